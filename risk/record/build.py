"""FHIR resources -> PatientRecord: codes to concepts, units to canonical units, dates to UTC.

Each resource is flattened on its own (a pure function), so the same code serves one patient from a bundle and
millions of resources streamed from a bulk export. Whatever cannot be used becomes a `DataIssue` with its
reason; nothing is dropped silently (irrelevant codes, e.g. a sprained ankle, are simply out of scope).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from risk import terminology
from risk.errors import ExitCode, RecordError
from risk.fhir.dates import parse_fhir_date, parse_fhir_datetime
from risk.record import (
    DataIssue,
    Diagnosis,
    Encounter,
    IssueKind,
    Measurement,
    Medication,
    PatientRecord,
)
from risk.record import qrisk3 as qrisk3_inputs
from risk.record.consistency import egfr_creatinine_check
from risk.terminology import units
from risk.terminology.concepts import CARE_EVIDENCE_CONCEPTS, MEASUREMENT_CONCEPTS, SMOKING_LABELS
from risk.terminology.messages import Message
from risk.terminology.qrisk3 import qrisk3_medication_class

CAUSE_OF_DEATH = "69453-9"  # LOINC "Cause of death" (Synthea writes it with a SNOMED value)
# Cardiovascular causes of death: ICD-10 chapter IX (I00-I99) and SNOMED sudden cardiac death / cardiac arrest,
# plus any SNOMED code that maps to MI, stroke, heart failure or coronary heart disease (SCORE2 outcome definition
# counts fatal CVD: SCORE2 working group, Eur Heart J 2021;42:2439).
CV_DEATH_SNOMED = frozenset({"95281009", "410429000"})
CV_DEATH_CONCEPTS = frozenset({"myocardial_infarction", "stroke", "stroke_ischaemic", "stroke_haemorrhagic",
                               "heart_failure", "coronary_heart_disease"})
BP_PANELS = frozenset({"55284-4", "85354-9", "96607-7"})
EXCLUDED_OBSERVATION_STATUS = frozenset({"entered-in-error", "cancelled", "registered"})
EXCLUDED_CONDITION_VERIFICATION = frozenset({"entered-in-error", "refuted"})
EXCLUDED_MED_STATUS = frozenset({"entered-in-error", "cancelled", "draft", "not-taken"})
ENDED_MED_STATUS = frozenset({"stopped", "completed"})


@dataclass(kw_only=True)
class Flat:
    """What one or more resources contribute to a record."""

    measurements: list[Measurement] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)


def _codings(codeable: object) -> list[dict]:
    """The codings of a CodeableConcept whose code, if any, is a string (anything else cannot be looked up)."""
    if not isinstance(codeable, dict):
        return []
    codings = codeable.get("coding")
    if not isinstance(codings, list):
        return []
    return [c for c in codings if isinstance(c, dict) and isinstance(c.get("code"), str | None)]


def _text(value: object) -> str | None:
    """A string field, or None when the source put something else there (a list, a number, an object)."""
    return value if isinstance(value, str) else None


def _system(coding: dict) -> str | None:
    return _text(coding.get("system"))


def _status(resource: dict) -> str | None:
    return _text(resource.get("status"))


def _code_str(coding: dict) -> str:
    return f"{coding.get('system', '')}|{coding.get('code', '')}"


def _status_code(value: object) -> str | None:
    """Condition clinical/verification status is a CodeableConcept; other statuses are plain codes."""
    if isinstance(value, str):
        return value
    for c in _codings(value):
        if isinstance(c.get("code"), str):
            return c["code"]
    return None


def _effective(resource: dict) -> datetime | None:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        if key in resource:
            return parse_fhir_datetime(resource.get(key))
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        return parse_fhir_datetime(period.get("start") or period.get("end"))
    return None


def _observation_concept(codeable: dict | None) -> tuple[str | None, dict | None]:
    for coding in _codings(codeable):
        code = coding.get("code")
        if not isinstance(code, str):
            continue
        concept = terminology.observation_concept(_system(coding), code)
        if concept:
            return concept, coding
    return None, None


def _quantity_measurement(
    *, concept: str, quantity: object, when: datetime, coding: dict, source_id: str, out: Flat
) -> None:
    label = MEASUREMENT_CONCEPTS[concept].label_en
    if not isinstance(quantity, dict) or "value" not in quantity:
        out.issues.append(DataIssue(kind=IssueKind.NON_NUMERIC, concept=concept, time=when, source_id=source_id,
                                    message=f"{label}: no numeric value", code="value.none",
                                    params={"concept": concept}))
        return
    raw = quantity.get("value")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        try:
            raw = float(str(raw).replace(",", "."))  # a valueString "7,2" (French decimal comma) is 7.2
        except ValueError:
            out.issues.append(DataIssue(kind=IssueKind.NON_NUMERIC, concept=concept, time=when,
                                        source_id=source_id, message=f"{label}: value {raw!r} is not a number",
                                        code="value.not_a_number", params={"concept": concept, "value": raw}))
            return
    number = units.finite_float(raw)
    if number is None:  # "NaN", "Infinity", 1e999
        out.issues.append(DataIssue(kind=IssueKind.NON_NUMERIC, concept=concept, time=when, source_id=source_id,
                                    message=f"{label}: value {raw!r} is not a finite number",
                                    code="value.not_finite", params={"concept": concept, "value": raw}))
        return
    unit = _text(quantity.get("code")) or _text(quantity.get("unit"))
    shown_unit = _text(quantity.get("unit")) or _text(quantity.get("code"))
    conv = units.to_canonical(concept, number, unit)
    if conv.value is None:
        kind = IssueKind.MISSING_UNIT if not unit else IssueKind.UNKNOWN_UNIT
        coded = conv.problem_message or Message(code="unit.unusable", params={"concept": concept, "source_unit": unit})
        out.issues.append(DataIssue(kind=kind, concept=concept, time=when, source_id=source_id,
                                    message=conv.problem or f"{label}: unit {unit!r} cannot be used",
                                    code=coded.code, params=coded.params))
        return
    problem = units.plausibility_problem(concept, conv.value)
    if problem:
        spec = MEASUREMENT_CONCEPTS[concept]
        out.issues.append(DataIssue(
            kind=IssueKind.IMPLAUSIBLE, concept=concept, time=when, source_id=source_id,
            message=f"{problem} (reported {number:g} {shown_unit or 'no unit'})",
            code="record.implausible" if shown_unit else "record.implausible_no_unit",
            params={"concept": concept, "value": conv.value, "low": spec.low, "high": spec.high,
                    "unit": spec.display_unit, "reported_value": number, "source_unit": shown_unit}))
        return
    out.measurements.append(Measurement(
        concept=concept, value=conv.value, unit=conv.unit, time=when, original_value=raw,
        original_unit=shown_unit, code=_code_str(coding),
        source_id=source_id, text=conv.note,
    ))


def _smoking(*, resource: dict, when: datetime, coding: dict, source_id: str, out: Flat) -> None:
    answer = resource.get("valueCodeableConcept")
    for c in _codings(answer):
        code = c.get("code")
        if isinstance(code, str):
            status = terminology.smoking_answer(_system(c), code)
            if status is not None:
                out.measurements.append(Measurement(
                    concept="smoking_status", value=float(status), unit="{status}", time=when,
                    original_value=_text(c.get("display")) or code, code=_code_str(coding), source_id=source_id,
                    text=SMOKING_LABELS[status][0],
                ))
                return
    shown = _text(answer.get("text")) if isinstance(answer, dict) else None
    shown = shown or next((_text(c.get("display")) or _text(c.get("code")) for c in _codings(answer)), None)
    out.issues.append(DataIssue(kind=IssueKind.UNKNOWN_CODE, concept="smoking_status", time=when,
                                source_id=source_id,
                                message=f"Smoking status answer {shown!r} is not a known never/former/current code",
                                code="record.smoking_unknown_answer", params={"answer": shown}))


def flatten_observation(resource: dict, out: Flat) -> None:
    source_id = f"Observation/{resource.get('id')}"
    if _status(resource) in EXCLUDED_OBSERVATION_STATUS:
        return
    code = resource.get("code")
    if qrisk3_inputs.flatten_qrisk3_observation(resource, out):  # cigarettes per day, family history (QRISK3)
        return
    if any(c.get("code") == CAUSE_OF_DEATH for c in _codings(code)):
        _cause_of_death(resource, source_id, out)
        return
    concept, coding = _observation_concept(code)
    is_panel = any(c.get("code") in BP_PANELS for c in _codings(code))
    components = resource.get("component") if isinstance(resource.get("component"), list) else []
    if concept is None and not components:
        return
    when = _effective(resource)
    if when is None:
        out.issues.append(DataIssue(kind=IssueKind.NO_DATE, concept=concept, source_id=source_id,
                                    message="Observation has no usable effective date; not used",
                                    code="record.observation_no_date"))
        return
    if concept == "smoking_status" and coding is not None:
        _smoking(resource=resource, when=when, coding=coding, source_id=source_id, out=out)
        return
    if concept in CARE_EVIDENCE_CONCEPTS and coding is not None:
        # A result (a FIT, a retinopathy grade) shows the test was done: it closes the care gap like a Procedure.
        out.diagnoses.append(Diagnosis(concept=concept, onset=when, code=_code_str(coding),
                                       display=_text(coding.get("display")), source_id=source_id,
                                       resource_type="Observation"))
        return
    if concept is not None and concept in MEASUREMENT_CONCEPTS and not is_panel and "valueQuantity" in resource:
        _quantity_measurement(concept=concept, quantity=resource.get("valueQuantity"), when=when,
                              coding=coding or {}, source_id=source_id, out=out)
        return
    if concept is not None and concept in MEASUREMENT_CONCEPTS and not components:
        value = resource.get("valueString", resource.get("valueInteger", resource.get("valueDecimal")))
        _quantity_measurement(concept=concept, quantity={"value": value} if value is not None else None,
                              when=when, coding=coding or {}, source_id=source_id, out=out)
        return
    for component in components:
        if not isinstance(component, dict):
            continue
        c_concept, c_coding = _observation_concept(component.get("code"))
        if c_concept is None or c_concept not in MEASUREMENT_CONCEPTS:
            continue
        _quantity_measurement(concept=c_concept, quantity=component.get("valueQuantity"), when=when,
                              coding=c_coding or {}, source_id=source_id, out=out)


def _cause_of_death(resource: dict, source_id: str, out: Flat) -> None:
    """A coded cause of death becomes a `cv_death` or `death_other` event (outcome labelling reads them)."""
    when = _effective(resource)
    for c in _codings(resource.get("valueCodeableConcept")):
        system, code = _system(c) or "", _text(c.get("code")) or ""
        cv = (("icd-10" in system or "cim" in system.lower()) and code[:1].upper() == "I") or (
            "snomed" in system and (code in CV_DEATH_SNOMED or terminology.condition_concepts(system, code)
                                    & CV_DEATH_CONCEPTS))
        out.diagnoses.append(Diagnosis(concept="cv_death" if cv else "death_other", onset=when,
                                       code=_code_str(c), display=_text(c.get("display")), source_id=source_id,
                                       resource_type="Observation"))
        return


def flatten_condition(resource: dict, out: Flat) -> None:
    source_id = f"Condition/{resource.get('id')}"
    if _status_code(resource.get("verificationStatus")) in EXCLUDED_CONDITION_VERIFICATION:
        return
    concepts: set[str] = set()
    matched: dict | None = None
    for coding in _codings(resource.get("code")):
        code = coding.get("code")
        if not isinstance(code, str):
            continue
        qrisk3 = qrisk3_inputs.condition_concepts(_system(coding), code)  # QRISK3's predictors
        if not qrisk3 and terminology.is_social_finding(_system(coding), code, _text(coding.get("display"))):
            return
        found = terminology.condition_concepts(_system(coding), code) | qrisk3
        if found:
            concepts |= found
            matched = matched or coding
    if not concepts or matched is None:
        return
    onset = parse_fhir_datetime(resource.get("onsetDateTime"))
    if onset is None and isinstance(resource.get("onsetPeriod"), dict):
        onset = parse_fhir_datetime(resource["onsetPeriod"].get("start"))
    if onset is None:
        onset = parse_fhir_datetime(resource.get("recordedDate"))
    abatement = parse_fhir_datetime(resource.get("abatementDateTime"))
    display = _text(matched.get("display")) or _text(resource["code"].get("text"))
    if onset is None:
        out.issues.append(DataIssue(kind=IssueKind.NO_DATE, source_id=source_id, concept=sorted(concepts)[0],
                                    message=f"Condition {display!r} has no onset or recorded date; "
                                            "counted as present with unknown onset",
                                    code="record.condition_no_date", params={"display": display}))
    for concept in sorted(concepts):
        out.diagnoses.append(Diagnosis(concept=concept, onset=onset, abatement=abatement,
                                       code=_code_str(matched), display=display, source_id=source_id))


def flatten_procedure(resource: dict, out: Flat) -> None:
    rtype = resource.get("resourceType", "Procedure")
    source_id = f"{rtype}/{resource.get('id')}"
    if _status(resource) in {"entered-in-error", "not-done"}:
        return
    code_field = resource.get("code")
    if rtype == "ImagingStudy":
        codes = resource.get("procedureCode")
        code_field = codes[0] if isinstance(codes, list) and codes else None
    concepts: set[str] = set()
    matched: dict | None = None
    for coding in _codings(code_field):
        code = coding.get("code")
        if isinstance(code, str):
            found = terminology.procedure_concepts(_system(coding), code)
            if found:
                concepts |= found
                matched = matched or coding
    if not concepts or matched is None:
        return
    when = parse_fhir_datetime(resource.get("performedDateTime")) or _effective(resource)
    if when is None and isinstance(resource.get("performedPeriod"), dict):
        when = parse_fhir_datetime(resource["performedPeriod"].get("start"))
    if when is None:
        when = parse_fhir_datetime(resource.get("started"))
    if when is None:
        out.issues.append(DataIssue(kind=IssueKind.NO_DATE, source_id=source_id,
                                    message=f"{rtype} {matched.get('display')!r} has no date; not used",
                                    code="record.procedure_no_date",
                                    params={"resource_type": rtype, "display": matched.get("display")}))
        return
    for concept in sorted(concepts):
        out.diagnoses.append(Diagnosis(concept=concept, onset=when, code=_code_str(matched),
                                       display=_text(matched.get("display")), source_id=source_id,
                                       resource_type=rtype))


def flatten_medication(resource: dict, out: Flat) -> None:
    rtype = resource.get("resourceType", "MedicationRequest")
    source_id = f"{rtype}/{resource.get('id')}"
    status = _status(resource)
    if status in EXCLUDED_MED_STATUS:
        return
    med = resource.get("medicationCodeableConcept")
    if med is None and isinstance(resource.get("medicationReference"), dict):
        med = _contained_medication(resource)
    classes: set[str] = set()
    matched: dict | None = None
    text = _text(med.get("text")) if isinstance(med, dict) else None
    for coding in _codings(med):
        code = coding.get("code")
        if isinstance(code, str):
            found = terminology.medication_classes(_system(coding), code, _text(coding.get("display")) or text)
            qrisk3_class = qrisk3_medication_class(_system(coding), code)  # QRISK3's treatments
            found = found | {qrisk3_class} if qrisk3_class else found
            if found:
                classes |= found
                matched = matched or coding
    if not classes and text:
        classes |= terminology.medication_classes(None, "", text)
        matched = {"display": text}
    if not classes or matched is None:
        return
    if rtype == "MedicationStatement":
        period = resource.get("effectivePeriod") if isinstance(resource.get("effectivePeriod"), dict) else {}
        start = parse_fhir_datetime(resource.get("effectiveDateTime") or period.get("start"))
        end = parse_fhir_datetime(period.get("end"))
    else:
        start = parse_fhir_datetime(resource.get("authoredOn"))
        dispense = resource.get("dispenseRequest") if isinstance(resource.get("dispenseRequest"), dict) else {}
        validity = dispense.get("validityPeriod") if isinstance(dispense.get("validityPeriod"), dict) else {}
        start = start or parse_fhir_datetime(validity.get("start"))
        end = parse_fhir_datetime(validity.get("end"))
    if start is None:
        out.issues.append(DataIssue(kind=IssueKind.NO_DATE, source_id=source_id,
                                    message=f"{rtype} {matched.get('display')!r} has no start date; not used",
                                    code="record.medication_no_start",
                                    params={"resource_type": rtype, "display": matched.get("display")}))
        return
    if end is None and status in ENDED_MED_STATUS:
        # Stopped with no recorded end: we cannot know how long it was taken. Counting it as taken only on the
        # day it was prescribed is the conservative choice (never claims a treatment the patient is not on).
        end = start
    for concept in sorted(classes):
        out.medications.append(Medication(concept=concept, start=start, end=end, status=status,
                                          code=_code_str(matched) if "system" in matched else None,
                                          display=_text(matched.get("display")), source_id=source_id))


def _contained_medication(resource: dict) -> dict | None:
    ref = resource["medicationReference"].get("reference", "")
    contained = resource.get("contained")
    if isinstance(ref, str) and ref.startswith("#") and isinstance(contained, list):
        for c in contained:
            if isinstance(c, dict) and c.get("id") == ref[1:] and c.get("resourceType") == "Medication":
                return c.get("code")
    display = _text(resource["medicationReference"].get("display"))
    return {"text": display} if display else None


def flatten_encounter(resource: dict, out: Flat) -> None:
    if _status(resource) in {"entered-in-error", "cancelled", "planned"}:
        return
    period = resource.get("period") if isinstance(resource.get("period"), dict) else {}
    when = parse_fhir_datetime(period.get("start") or period.get("end"))
    if when is None:
        return
    cls = resource.get("class")
    kind = _text(cls.get("code")) if isinstance(cls, dict) else None
    out.encounters.append(Encounter(time=when, kind=kind, source_id=f"Encounter/{resource.get('id')}"))


FLATTENERS = {
    "Observation": flatten_observation,
    "Condition": flatten_condition,
    "Procedure": flatten_procedure,
    "ImagingStudy": flatten_procedure,
    "DiagnosticReport": flatten_procedure,
    "MedicationRequest": flatten_medication,
    "MedicationStatement": flatten_medication,
    "Encounter": flatten_encounter,
    "FamilyMemberHistory": qrisk3_inputs.flatten_family_member_history,
}


def flatten(resources: Iterable[dict], out: Flat | None = None) -> Flat:
    """Flatten resources of one patient (any order, any irrelevant types ignored)."""
    out = out or Flat()
    for resource in resources:
        rtype = resource.get("resourceType") if isinstance(resource, dict) else None
        fn = FLATTENERS.get(rtype) if isinstance(rtype, str) else None
        if fn is not None:
            fn(resource, out)
    return out


def patient_demographics(patient: dict) -> tuple[str, str, datetime | None, str | None, object]:
    """(id, sex, deceased, name, birth_date) from a Patient resource; raises RecordError when unusable."""
    if not isinstance(patient, dict):
        raise RecordError("The Patient resource is not a JSON object", ExitCode.NOT_FHIR)
    pid = patient.get("id")
    if not pid or not isinstance(pid, str):
        raise RecordError("The Patient resource has no id", ExitCode.MISSING_DEMOGRAPHICS)
    birth = parse_fhir_date(patient.get("birthDate"))
    gender = patient.get("gender")
    if birth is None:
        raise RecordError(f"Patient {pid} has no usable birth date (birthDate={patient.get('birthDate')!r}); "
                          "age-based risk cannot be computed", ExitCode.MISSING_DEMOGRAPHICS)
    if gender not in ("male", "female"):
        raise RecordError(f"Patient {pid} has no usable sex (gender={gender!r}); the risk equations and "
                          "models are sex-specific", ExitCode.MISSING_DEMOGRAPHICS)
    deceased = parse_fhir_datetime(patient.get("deceasedDateTime"))
    return pid, gender, deceased, _name(patient), birth


def _name(patient: dict) -> str | None:
    names = patient.get("name")
    for n in names if isinstance(names, list) else []:
        if isinstance(n, dict):
            if _text(n.get("text")):
                return n["text"]
            given = n.get("given")
            given = " ".join(g for g in given if isinstance(g, str)) if isinstance(given, list) else ""
            family = _text(n.get("family")) or ""
            full = f"{given} {family}".strip()
            if full:
                return full
    return None


def build_record(patient: dict, resources: Iterable[dict], *, now: datetime | None = None,
                 source: str | None = None) -> PatientRecord:
    """Build one patient's record; dates in the future or before birth become issues, duplicates are merged.

    The record does not depend on the order of `resources` (a bundle, a bulk export and a server list them
    differently): every list is sorted on a complete key, so that ties (two values at the same instant) and
    the choice of which duplicate is kept are the same whatever the source.
    """
    return finalise_record(patient, flatten(resources), now=now, source=source)


def finalise_record(patient: dict, flat: Flat, *, now: datetime | None = None,
                    source: str | None = None) -> PatientRecord:
    """Second half of `build_record`, shared with the streaming bulk path (risk.record.bulk)."""
    pid, sex, deceased, name, birth = patient_demographics(patient)
    now = now or datetime.now(UTC)
    issues = list(flat.issues)
    birth_dt = datetime(birth.year, birth.month, birth.day, tzinfo=UTC)  # type: ignore[attr-defined]

    def in_time(when: datetime | None, what: str, source_id: str | None, concept: str | None, *,
                measured: bool = False) -> bool:
        """`measured`: `what` is the measurement concept's label (coded by concept), else the source's words."""
        if when is None:
            return True
        named = {"concept": concept} if measured else {"item": what}
        if when > now:
            issues.append(DataIssue(kind=IssueKind.FUTURE_DATE, source_id=source_id, concept=concept, time=when,
                                    message=f"{what} dated {when.date()} is in the future; not used",
                                    code="record.future_date" if measured else "record.future_date_item",
                                    params={**named, "date": when.date()}))
            return False
        if deceased is not None and when.date() > deceased.date():
            issues.append(DataIssue(kind=IssueKind.AFTER_DEATH, source_id=source_id, concept=concept, time=when,
                                    message=f"{what} dated {when.date()} is after the date of death "
                                            f"({deceased.date()}); not used",
                                    code="record.after_death" if measured else "record.after_death_item",
                                    params={**named, "date": when.date(), "death_date": deceased.date()}))
            return False
        if when < birth_dt:
            issues.append(DataIssue(kind=IssueKind.BEFORE_BIRTH, source_id=source_id, concept=concept, time=when,
                                    message=f"{what} dated {when.date()} is before birth ({birth}); not used",
                                    code="record.before_birth" if measured else "record.before_birth_item",
                                    params={**named, "date": when.date(), "birth_date": birth}))
            return False
        return True

    measurements: list[Measurement] = []
    seen: dict[tuple[str, datetime, float], Measurement] = {}
    for m in sorted(flat.measurements, key=lambda m: (m.time, m.concept, m.source_id or "", m.value,
                                                       m.code or "", m.original_unit or "")):
        if not in_time(m.time, MEASUREMENT_CONCEPTS[m.concept].label_en, m.source_id, m.concept, measured=True):
            continue
        key = (m.concept, m.time, round(m.value, 6))
        if key in seen:
            if seen[key].source_id != m.source_id:
                issues.append(DataIssue(kind=IssueKind.DUPLICATE, source_id=m.source_id, concept=m.concept,
                                        time=m.time, message=f"{MEASUREMENT_CONCEPTS[m.concept].label_en} "
                                        f"duplicates {seen[key].source_id}; counted once",
                                        code="record.duplicate",
                                        params={"concept": m.concept, "source_id": seen[key].source_id}))
            continue
        seen[key] = m
        measurements.append(m)
    egfr_creatinine_check(measurements, issues, sex=sex, birth=birth)  # type: ignore[arg-type]
    diagnoses = tuple(sorted(
        (d for d in flat.diagnoses if in_time(d.onset, d.display or d.concept, d.source_id, d.concept)),
        key=lambda d: (d.onset or birth_dt, d.concept, d.source_id or "", d.code or "")))
    medications = tuple(sorted(
        (m for m in flat.medications if in_time(m.start, m.display or m.concept, m.source_id, m.concept)),
        key=lambda m: (m.start or birth_dt, m.concept, m.source_id or "", m.code or "")))
    encounters = tuple(sorted((e for e in flat.encounters if e.time <= now and e.time >= birth_dt),
                              key=lambda e: (e.time, e.source_id or "", e.kind or "")))
    issues.sort(key=lambda i: (i.time is not None, i.time or birth_dt, i.source_id or "", i.kind,
                               i.concept or "", i.message))
    return PatientRecord(
        patient_id=pid, sex=sex, birth_date=birth, name=name, deceased=deceased,  # type: ignore[arg-type]
        deceased_boolean=patient.get("deceasedBoolean") is True,
        measurements=tuple(measurements), diagnoses=diagnoses, medications=medications, encounters=encounters,
        issues=tuple(issues), source=source,
    )
