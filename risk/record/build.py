"""FHIR resources -> PatientRecord: codes to concepts, units to canonical units, dates to UTC.

Each resource is flattened on its own (a pure function), so the same code serves one patient from a bundle and
millions of resources streamed from a bulk export. Whatever cannot be used becomes a `DataIssue` with its
reason; nothing is dropped silently: a resource that does not reach the record is counted under its reason (an
unknown code system, a subject that is not this patient, an unsupported type...) and each reason becomes one
issue with the count, or its type is on `IGNORED_TYPES` (types that carry no risk input). Codes of a known system
that are not risk concepts (a sprained ankle) are simply out of scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from risk import terminology
from risk.errors import ExitCode, RecordError
from risk.fhir.bundle import FULL_URL_KEY
from risk.fhir.dates import parse_fhir_date, parse_fhir_datetime
from risk.fhir.references import resolve_reference
from risk.i18n.labels import DRUG_CLASSES
from risk.i18n.messages import join_words
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
from risk.record.quantity import code_str, plain_measurement, quantity_measurement, text_field
from risk.terminology.concepts import (
    CARE_EVIDENCE_CONCEPTS,
    MEASUREMENT_CONCEPTS,
    MEDICATION_GROUPS,
    SMOKING_LABELS,
)
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
EXCLUDED_ENCOUNTER_STATUS = frozenset({"entered-in-error", "cancelled", "planned"})
EXCLUDED_CONDITION_VERIFICATION = frozenset({"entered-in-error", "refuted"})
# FHIR R4 condition-ver-status: not established, so never a diagnosis (shown as an issue; issue 11).
UNCONFIRMED_CONDITION_VERIFICATION = frozenset({"unconfirmed", "provisional", "differential"})
ACTIVE_CLINICAL_STATUS = frozenset({"active", "recurrence", "relapse"})
EXCLUDED_MED_STATUS = frozenset({"entered-in-error", "cancelled", "draft", "not-taken", "not-done", "declined"})
ENDED_MED_STATUS = frozenset({"stopped", "completed"})
# MedicationRequest.intent: a proposal or a plan is not a treatment the patient is on (FHIR R4 request-intent).
NOT_TREATMENT_INTENTS = frozenset({"proposal", "plan"})
OPTION_INTENT = "option"  # alternatives of one prescription (RequestGroup): one therapy, which one is not known
# Resource types that carry no risk input, read by nothing and listed here so that leaving them out is a decision
# (issue 11, "nothing vanishes without a word"): administration, billing outcome, documents and devices.
# Medication is read through the resources that reference it; the Bundle header gives the document date.
IGNORED_TYPES = frozenset({
    "Organization", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "Endpoint", "Coverage",
    "ExplanationOfBenefit",  # the payer's copy of a Claim: diagnoses are read from the Claim
    "Composition", "DocumentReference", "Binary", "Provenance", "AuditEvent", "Consent", "List",
    "Device", "DeviceUseStatement", "Immunization", "AllergyIntolerance", "AdverseEvent", "CarePlan", "CareTeam",
    "Goal", "RequestGroup", "ServiceRequest", "Appointment", "Specimen", "Media", "SupplyDelivery", "SupplyRequest",
    "Medication", "Bundle",
})
# Lab rounding allowed before LDL + HDL is said to exceed total cholesterol (mmol/L; results are given to 0.01-0.1).
LIPID_PANEL_TOLERANCE_MMOL = 0.1
SMOKING_EVIDENCE = {"smoking_current": 2, "smoking_former": 1}  # diagnosis concept -> smoking status it implies
# Reasons a resource is left out; each becomes one counted issue (risk/i18n/messages.json "record.dropped.*").
OUT_OF_SCOPE = "out_of_scope"  # a known code system, not a risk concept: no issue
READ = "read"
IGNORED = "ignored_type"
Fate = str | tuple[str, str]  # what a flattener did with a resource: READ, OUT_OF_SCOPE or (reason, detail)


@dataclass(kw_only=True)
class Dropped:
    """Resources left out for one reason: how many, of which types, and what they said (for the issue)."""

    count: int = 0
    resource_types: set[str] = field(default_factory=set)
    details: set[str] = field(default_factory=set)  # code systems, references, drug names (a few shown)
    first_id: str | None = None


@dataclass(kw_only=True)
class Flat:
    """What one or more resources contribute to a record.

    `fates` (source id -> READ, OUT_OF_SCOPE, IGNORED or a dropped reason) is kept only when asked for (tests and
    audits pass a dict); a panel of millions of resources keeps only the counts in `dropped`.
    """

    measurements: list[Measurement] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)
    dropped: dict[str, Dropped] = field(default_factory=dict)
    fates: dict[str, str] | None = None
    # The medication graph: Medication resources by every name a reference may use (Medication/id, #id, fullUrl),
    # and the resources that wait for something later in the source (a Medication, a document's date): read at
    # the end, as entries come in any order.
    medication_index: dict[str, dict] = field(default_factory=dict)
    waiting: list[dict] = field(default_factory=list)
    options: dict[str, list[list[Medication]]] = field(default_factory=dict)  # intent=option, by group
    document_date: datetime | None = None  # Bundle.timestamp / Composition.date of a document bundle
    patient_id: str | None = None  # when known, resources about someone else are counted, not read

    def drop(self, reason: str, resource: dict, detail: str | None = None) -> None:
        rtype = str(resource.get("resourceType"))
        d = self.dropped.setdefault(reason, Dropped())
        d.count += 1
        d.resource_types.add(rtype)
        if detail:
            d.details.add(detail)
        d.first_id = d.first_id or f"{rtype}/{resource.get('id')}"
        self.note(resource, reason)

    def note(self, resource: dict, fate: str) -> None:
        if self.fates is not None:
            self.fates[f"{resource.get('resourceType')}/{resource.get('id')}"] = fate


@dataclass(frozen=True, kw_only=True, slots=True)
class Match:
    """What the codings of a CodeableConcept give for one lookup: concepts, the coding that gave them, and
    whether any coding belongs to a code system the reader knows (out of scope rather than unreadable)."""

    concepts: frozenset[str]
    coding: dict | None
    known_system: bool
    systems: tuple[str, ...] = ()


def _codings(codeable: object) -> list[dict]:
    """The codings of a CodeableConcept whose code, if any, is a string (anything else cannot be looked up)."""
    if not isinstance(codeable, dict):
        return []
    codings = codeable.get("coding")
    if not isinstance(codings, list):
        return []
    return [c for c in codings if isinstance(c, dict) and isinstance(c.get("code"), str | None)]


def _match(codeable: object, lookup, kind: str) -> Match:  # noqa: ANN001 (lookup: (system, code, display) -> set)
    """The one loop from codings to concepts (conditions, procedures, medications, claims; review D30): the
    union of what every coding gives, the first coding that gave something, and whether a system was known."""
    concepts: set[str] = set()
    matched: dict | None = None
    known = False
    systems: list[str] = []
    for coding in _codings(codeable):
        code = coding.get("code")
        if not isinstance(code, str):
            continue
        system = _system(coding)
        systems.append(system or "no system")
        known = known or terminology.is_known_system(system, kind)
        found = lookup(system, code, text_field(coding.get("display")))
        if found:
            concepts |= found
            matched = matched or coding
    return Match(concepts=frozenset(concepts), coding=matched, known_system=known, systems=tuple(systems))


def _unknown(match: Match) -> tuple[str, str]:
    return "unknown_system", ", ".join(sorted(set(match.systems))) or "no code"


def _system(coding: dict) -> str | None:
    return text_field(coding.get("system"))


def _status(resource: dict) -> str | None:
    return text_field(resource.get("status"))


def _status_code(value: object) -> str | None:
    """Condition clinical/verification status is a CodeableConcept; other statuses are plain codes."""
    if isinstance(value, str):
        return value
    for c in _codings(value):
        if isinstance(c.get("code"), str):
            return c["code"]
    return None


def _period(resource: dict, key: str) -> dict:
    value = resource.get(key)
    return value if isinstance(value, dict) else {}


def _effective(resource: dict) -> datetime | None:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        if key in resource:
            return parse_fhir_datetime(resource.get(key))
    period = _period(resource, "effectivePeriod")
    return parse_fhir_datetime(period.get("start") or period.get("end")) if period else None


def _observation_concept(codeable: dict | None) -> tuple[str | None, dict | None]:
    for coding in _codings(codeable):
        code = coding.get("code")
        if not isinstance(code, str):
            continue
        concept = terminology.observation_concept(_system(coding), code)
        if concept:
            return concept, coding
    return None, None


def _smoking(*, resource: dict, when: datetime, coding: dict, source_id: str, out: Flat) -> None:
    answer = resource.get("valueCodeableConcept")
    for c in _codings(answer):
        code = c.get("code")
        if isinstance(code, str):
            status = terminology.smoking_answer(_system(c), code)
            if status is not None:
                out.measurements.append(Measurement(
                    concept="smoking_status", value=float(status), unit="{status}", time=when,
                    original_value=text_field(c.get("display")) or code, code=code_str(coding), source_id=source_id,
                    text=SMOKING_LABELS[status][0],
                ))
                return
    shown = text_field(answer.get("text")) if isinstance(answer, dict) else None
    shown = shown or next((text_field(c.get("display")) or text_field(c.get("code")) for c in _codings(answer)), None)
    out.issues.append(DataIssue(kind=IssueKind.UNKNOWN_CODE, concept="smoking_status", time=when,
                                source_id=source_id,
                                message=f"Smoking status answer {shown!r} is not a known never/former/current code",
                                code="record.smoking_unknown_answer", params={"answer": shown}))


def _evidence_concept(codeable: object) -> tuple[str | None, dict | None]:
    for coding in _codings(codeable):
        code = coding.get("code")
        concept = terminology.evidence_observation(_system(coding), code) if isinstance(code, str) else None
        if concept:
            return concept, coding
    return None, None


@dataclass(frozen=True, slots=True)
class _ObservationCode:
    """What an Observation's `code` alone decides, worked out once per distinct code: a bulk export repeats a few
    dozen codes over millions of observations. Codings are named by their index in `code.coding`."""

    qrisk3: bool  # a code risk.record.qrisk3 may read (cigarettes a day, a family-history finding)
    cause_of_death: bool
    concept: str | None
    concept_at: int  # the coding that gave `concept` (-1: none)
    evidence: str | None
    evidence_at: int
    is_panel: bool
    unmatched: Fate  # the fate of an observation with neither concept, evidence nor components
    measured: bool  # `concept` is a measurement read from valueQuantity (not smoking, evidence or a panel)
    concept_code: str | None  # code_str of the concept's coding when its system and code are strings
    plain: bool  # `measured`, and neither a QRISK3 code nor a cause of death: flatten_observation's hot path
    panel: bool  # a panel read only from its components (blood pressure): the other hot path


_OBSERVATION_CODES: dict[tuple, _ObservationCode] = {}
_OBSERVATION_CODES_MAX = 4096  # distinct codes remembered (bounds memory on a hostile file)


def _code_key(codeable: object) -> tuple:
    """(system, code) of each entry of `codeable.coding`, in order: all that the decisions of `_ObservationCode`
    read (a display or a text never changes them). Not hashable when the source put a list or an object there."""
    codings = codeable.get("coding") if isinstance(codeable, dict) else None
    if not isinstance(codings, list):
        return ()
    if len(codings) == 1:  # the common case, without a generator
        first = codings[0]
        return ((first.get("system"), first.get("code")),) if isinstance(first, dict) else (None,)
    return tuple((c.get("system"), c.get("code")) if isinstance(c, dict) else None for c in codings)


def _observation_code(codeable: object) -> _ObservationCode:
    """The decisions of `codeable` (an Observation's or a component's `code`), from the cache when seen before."""
    codings = codeable.get("coding") if isinstance(codeable, dict) else None
    if isinstance(codings, list) and len(codings) == 1 and isinstance(codings[0], dict):  # `_code_key`, inline
        key: tuple = ((codings[0].get("system"), codings[0].get("code")),)
    else:
        key = _code_key(codeable)
    try:
        found = _OBSERVATION_CODES.get(key)
    except TypeError:  # a list or an object where a string belongs (not hashable): decided afresh, never cached
        return _decide_observation_code(codeable)
    if found is None:
        found = _decide_observation_code(codeable)
        if len(_OBSERVATION_CODES) >= _OBSERVATION_CODES_MAX:
            _OBSERVATION_CODES.clear()
        _OBSERVATION_CODES[key] = found
    return found


def _decide_observation_code(codeable: object) -> _ObservationCode:
    codings = _codings(codeable)
    raw = codeable.get("coding") if isinstance(codeable, dict) else None
    concept, coding = _observation_concept(codeable)
    evidence, evidence_coding = _evidence_concept(codeable)
    systems = [_system(c) or "no system" for c in codings]
    known = any(terminology.is_known_system(s, "observation") for s in systems)
    is_panel = any(c.get("code") in BP_PANELS for c in codings)
    qrisk3 = qrisk3_inputs.may_read_observation_code(codeable)
    cause_of_death = any(c.get("code") == CAUSE_OF_DEATH for c in codings)
    measured = (concept is not None and concept in MEASUREMENT_CONCEPTS and concept != "smoking_status"
                and concept not in CARE_EVIDENCE_CONCEPTS and evidence is None and not is_panel)
    return _ObservationCode(
        qrisk3=qrisk3,
        cause_of_death=cause_of_death,
        concept=concept, concept_at=_index_of(raw, coding),
        evidence=evidence, evidence_at=_index_of(raw, evidence_coding),
        is_panel=is_panel,
        unmatched=OUT_OF_SCOPE if known else ("unknown_system", ", ".join(sorted(set(systems))) or "no code"),
        measured=measured,
        concept_code=code_str(coding) if coding is not None and isinstance(coding.get("system"), str) else None,
        plain=measured and not qrisk3 and not cause_of_death,
        panel=(is_panel and not qrisk3 and not cause_of_death and evidence is None and concept != "smoking_status"
               and concept not in CARE_EVIDENCE_CONCEPTS),
    )


def _index_of(codings: object, coding: dict | None) -> int:
    if coding is None or not isinstance(codings, list):
        return -1
    return next(i for i, c in enumerate(codings) if c is coding)


def _coding_at(codeable: dict, index: int) -> dict | None:
    """The coding an `_ObservationCode` names (the same dict the decision was made on, for the same key)."""
    return None if index < 0 else codeable["coding"][index]


def _dated_from_document(resource: dict, source_id: str, out: Flat) -> datetime | None:
    """An undated smoking observation of a document (the ANS IPS pattern: a data-absent-reason instead of a
    date) takes the document's date, with a visible issue; None outside a document."""
    if out.document_date is None:
        return None
    out.issues.append(DataIssue(kind=IssueKind.NO_DATE, source_id=source_id, time=out.document_date,
                                concept="smoking_status",
                                message=f"Observation has no date; dated from its document "
                                        f"({out.document_date.date().isoformat()})",
                                code="record.dated_from_document", params={"date": out.document_date.date()}))
    return out.document_date


def flatten_observation(resource: dict, out: Flat, *, final: bool = False) -> Fate:
    status = resource.get("status")
    if isinstance(status, str) and status in EXCLUDED_OBSERVATION_STATUS:
        return "status_excluded"
    code = resource.get("code")
    decided = _observation_code(code)
    # The hot paths, most of any export: a vital sign or a lab result (one value), a blood pressure panel (its
    # components). The steps of the general path below for these shapes (no coded value: not QRISK3's, not a
    # cause of death), without the calls they do not need; anything else takes the general path.
    if decided.plain and "valueQuantity" in resource and "valueCodeableConcept" not in resource:
        source_id = f"Observation/{resource.get('id')}"
        when = _effective_fast(resource)
        if when is None:
            _undated(decided.concept, source_id, out)
            return READ
        _measure(decided.concept, resource["valueQuantity"], when, code["coding"][decided.concept_at],  # type: ignore[arg-type,index]
                 source_id, out, decided.concept_code)
        return READ
    if decided.panel and "valueCodeableConcept" not in resource:
        components = resource.get("component")
        when = _effective_fast(resource) if isinstance(components, list) and components else None
        if when is not None:
            return _component_measurements(components, when, f"Observation/{resource.get('id')}", out)  # type: ignore[arg-type]
    source_id = f"Observation/{resource.get('id')}"
    # Cigarettes per day, family history (QRISK3): by the code, or by a coded value.
    if (decided.qrisk3 or "valueCodeableConcept" in resource) and qrisk3_inputs.flatten_qrisk3_observation(
            resource, out):
        return READ
    if decided.cause_of_death:
        _cause_of_death(resource, source_id, out)
        return READ
    if decided.measured and "valueQuantity" in resource:  # a plain measurement, most of any export
        when = _effective(resource)
        if when is None:
            _undated(decided.concept, source_id, out)
        else:
            quantity_measurement(concept=decided.concept, quantity=resource["valueQuantity"], when=when,  # type: ignore[arg-type]
                                 coding=_coding_at(code, decided.concept_at), source_id=source_id, out=out,  # type: ignore[arg-type]
                                 code=decided.concept_code)
        return READ
    concept, coding = decided.concept, _coding_at(code, decided.concept_at)
    evidence, evidence_coding = decided.evidence, _coding_at(code, decided.evidence_at)
    is_panel = decided.is_panel
    components = resource.get("component")
    components = components if isinstance(components, list) else []
    if concept is None and evidence is None and not components:
        return decided.unmatched
    when = _effective(resource)
    if when is None and (concept == "smoking_status" or evidence is not None):
        if out.document_date is None and not final:
            out.waiting.append(resource)  # the document's date may come later in the bundle
            return "waiting"
        when = _dated_from_document(resource, source_id, out)
    if when is None:
        _undated(concept, source_id, out)
        return READ
    if evidence is not None and evidence_coding is not None:
        quantity = resource.get("valueQuantity")
        value = quantity.get("value") if isinstance(quantity, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            out.diagnoses.append(Diagnosis(concept=evidence, onset=when, code=code_str(evidence_coding),
                                           display=text_field(evidence_coding.get("display")), source_id=source_id,
                                           resource_type="Observation"))
            return READ
        return OUT_OF_SCOPE  # 0 pack-years, or no number: proves nothing
    if concept == "smoking_status" and coding is not None:
        _smoking(resource=resource, when=when, coding=coding, source_id=source_id, out=out)
        return READ
    if concept in CARE_EVIDENCE_CONCEPTS and coding is not None:
        # A result (a FIT, a retinopathy grade) shows the test was done: it closes the care gap like a Procedure.
        out.diagnoses.append(Diagnosis(concept=concept, onset=when, code=code_str(coding),
                                       display=text_field(coding.get("display")), source_id=source_id,
                                       resource_type="Observation"))
        return READ
    if concept is not None and concept in MEASUREMENT_CONCEPTS and not is_panel and "valueQuantity" in resource:
        quantity_measurement(concept=concept, quantity=resource.get("valueQuantity"), when=when,
                              coding=coding or {}, source_id=source_id, out=out)
        return READ
    if concept is not None and concept in MEASUREMENT_CONCEPTS and not components:
        value = resource.get("valueString", resource.get("valueInteger", resource.get("valueDecimal")))
        quantity_measurement(concept=concept, quantity={"value": value} if value is not None else None,
                              when=when, coding=coding or {}, source_id=source_id, out=out, text_value=True)
        return READ
    return _component_measurements(components, when, source_id, out)


def _effective_fast(resource: dict) -> datetime | None:
    """`_effective`, its common case (effectiveDateTime) without the loop."""
    if "effectiveDateTime" in resource:
        return parse_fhir_datetime(resource["effectiveDateTime"])
    return _effective(resource)


def _component_measurements(components: list, when: datetime, source_id: str, out: Flat) -> Fate:
    """The measurements of a panel's components (systolic and diastolic of a blood pressure)."""
    fate = OUT_OF_SCOPE
    for component in components:
        if not isinstance(component, dict):
            continue
        c_code = component.get("code")
        c_decided = _observation_code(c_code)
        c_concept = c_decided.concept
        if c_concept is None or c_concept not in MEASUREMENT_CONCEPTS:
            continue
        _measure(c_concept, component.get("valueQuantity"), when, _coding_at(c_code, c_decided.concept_at) or {},  # type: ignore[arg-type]
                 source_id, out, c_decided.concept_code)
        fate = READ
    return fate


def _measure(concept: str, quantity: object, when: datetime, coding: dict, source_id: str, out: Flat,
             code: str | None) -> None:
    """`quantity_measurement`, trying its plain case first without the keyword call (millions of values)."""
    plain = plain_measurement(concept, quantity, when, coding, source_id, code) if isinstance(quantity, dict) else None
    if plain is not None:
        out.measurements.append(plain)
    else:
        quantity_measurement(concept=concept, quantity=quantity, when=when, coding=coding, source_id=source_id,
                             out=out, code=code)


def _undated(concept: str | None, source_id: str, out: Flat) -> None:
    out.issues.append(DataIssue(kind=IssueKind.NO_DATE, concept=concept, source_id=source_id,
                                message="Observation has no usable effective date; not used",
                                code="record.observation_no_date"))


def _cause_of_death(resource: dict, source_id: str, out: Flat) -> None:
    """A coded cause of death becomes a `cv_death` or `death_other` event (outcome labelling reads them)."""
    when = _effective(resource)
    for c in _codings(resource.get("valueCodeableConcept")):
        system, code = _system(c) or "", text_field(c.get("code")) or ""
        cv = (("icd-10" in system or "cim" in system.lower()) and code[:1].upper() == "I") or (
            "snomed" in system and (code in CV_DEATH_SNOMED or terminology.condition_concepts(system, code)
                                    & CV_DEATH_CONCEPTS))
        out.diagnoses.append(Diagnosis(concept="cv_death" if cv else "death_other", onset=when,
                                       code=code_str(c), display=text_field(c.get("display")), source_id=source_id,
                                       resource_type="Observation"))
        return


def _condition_lookup(system: str | None, code: str, display: str | None) -> frozenset[str]:
    return terminology.condition_concepts(system, code) | qrisk3_inputs.condition_concepts(system, code)


def _diagnosis_entries(*, match: Match, codeable: object, onset: datetime | None, abatement: datetime | None,
                       source_id: str, rtype: str, out: Flat) -> None:
    """Diagnoses of one coded problem (a Condition, or a Claim's diagnosis); the code wins over the display."""
    assert match.coding is not None
    display = text_field(match.coding.get("display")) or (text_field(codeable.get("text")) if isinstance(codeable, dict)
                                                      else None)
    if onset is None:
        out.issues.append(DataIssue(kind=IssueKind.NO_DATE, source_id=source_id,
                                    concept=sorted(match.concepts)[0],
                                    message=f"Condition {display!r} has no onset or recorded date; "
                                            "counted as present with unknown onset",
                                    code="record.condition_no_date", params={"display": display}))
    for concept in sorted(match.concepts):
        out.diagnoses.append(Diagnosis(concept=concept, onset=onset, abatement=abatement,
                                       code=code_str(match.coding), display=display, source_id=source_id,
                                       resource_type=rtype))


def flatten_condition(resource: dict, out: Flat) -> Fate:
    source_id = f"Condition/{resource.get('id')}"
    verification = _status_code(resource.get("verificationStatus"))
    if verification in EXCLUDED_CONDITION_VERIFICATION:
        return "status_excluded"
    for coding in _codings(resource.get("code")):
        code = coding.get("code")
        if (isinstance(code, str) and not qrisk3_inputs.condition_concepts(_system(coding), code)
                and terminology.is_social_finding(_system(coding), code, text_field(coding.get("display")))):
            return OUT_OF_SCOPE
    match = _match(resource.get("code"), _condition_lookup, "condition")
    if not match.concepts or match.coding is None:
        return OUT_OF_SCOPE if match.known_system else _unknown(match)
    if verification in UNCONFIRMED_CONDITION_VERIFICATION:
        display = text_field(match.coding.get("display")) or code_str(match.coding)
        out.issues.append(DataIssue(kind=IssueKind.STATUS_EXCLUDED, source_id=source_id,
                                    concept=sorted(match.concepts)[0],
                                    message=f"Condition {display!r} is not confirmed (verification status "
                                            f"{verification}); not counted as a diagnosis",
                                    code="record.condition_unconfirmed",
                                    params={"display": display, "status": verification}))
        return READ
    onset = parse_fhir_datetime(resource.get("onsetDateTime"))
    if onset is None and isinstance(resource.get("onsetPeriod"), dict):
        onset = parse_fhir_datetime(resource["onsetPeriod"].get("start"))
    if onset is None:
        onset = parse_fhir_datetime(resource.get("recordedDate"))
    abatement = parse_fhir_datetime(resource.get("abatementDateTime"))
    clinical = _status_code(resource.get("clinicalStatus"))
    if abatement is None and clinical is not None and clinical not in ACTIVE_CLINICAL_STATUS and (
            match.concepts & set(SMOKING_EVIDENCE)):
        abatement = onset  # an inactive or resolved smoking problem is history, not current smoking
    _diagnosis_entries(match=match, codeable=resource.get("code"), onset=onset, abatement=abatement,
                       source_id=source_id, rtype="Condition", out=out)
    return READ


def flatten_claim(resource: dict, out: Flat) -> Fate:
    """Coded diagnoses of a Claim (a French PMSI stay: DP, DR, DA in CIM-10), dated by the stay.

    Diagnoses given by reference (Synthea) are the Conditions themselves, read as such."""
    source_id = f"Claim/{resource.get('id')}"
    if _status(resource) in {"entered-in-error", "cancelled"}:
        return "status_excluded"
    period = _period(resource, "billablePeriod")
    when = parse_fhir_datetime(period.get("start") or period.get("end")) or parse_fhir_datetime(
        resource.get("created"))
    fate = OUT_OF_SCOPE
    unknown: list[str] = []
    for dx in resource.get("diagnosis") if isinstance(resource.get("diagnosis"), list) else []:
        codeable = dx.get("diagnosisCodeableConcept") if isinstance(dx, dict) else None
        if codeable is None:
            continue
        match = _match(codeable, _condition_lookup, "condition")
        if match.concepts and match.coding is not None:
            _diagnosis_entries(match=match, codeable=codeable, onset=when, abatement=None, source_id=source_id,
                               rtype="Claim", out=out)
            fate = READ
        elif not match.known_system:
            unknown.extend(match.systems)
    if fate != READ and unknown:
        return "unknown_system", ", ".join(sorted(set(unknown)))
    return fate


def _procedure_lookup(system: str | None, code: str, display: str | None) -> frozenset[str]:
    return terminology.procedure_concepts(system, code)


def flatten_procedure(resource: dict, out: Flat) -> Fate:
    rtype = resource.get("resourceType", "Procedure")
    source_id = f"{rtype}/{resource.get('id')}"
    if _status(resource) in {"entered-in-error", "not-done"}:
        return "status_excluded"
    code_field = resource.get("code")
    if rtype == "ImagingStudy":
        codes = resource.get("procedureCode")
        code_field = codes[0] if isinstance(codes, list) and codes else None
    match = _match(code_field, _procedure_lookup, "procedure")
    if not match.concepts or match.coding is None:
        return OUT_OF_SCOPE if match.known_system or rtype != "Procedure" else _unknown(match)
    matched = match.coding
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
        return READ
    for concept in sorted(match.concepts):
        out.diagnoses.append(Diagnosis(concept=concept, onset=when, code=code_str(matched),
                                       display=text_field(matched.get("display")), source_id=source_id,
                                       resource_type=rtype))
    return READ


# ------------------------------------------------------------------------------------------ medications
IHE_CLASSIFICATION = "ihe-ext-medication-classification"  # IHE MPD: the ATC class on a Medication
IHE_PRODUCT_NAME = "ihe-ext-medication-productname"
DURATION_DAYS = {"d": 1.0, "wk": 7.0, "mo": 30.4375, "a": 365.25}  # UCUM units of a boundsDuration, in days


def register_medication(resource: dict, index: dict[str, dict]) -> None:
    """Index a Medication by the names a reference may use: Medication/id, its bundle fullUrl and #id (ANS
    examples write `#id` for a sibling bundle entry, not a contained resource)."""
    mid = resource.get("id")
    names = [f"Medication/{mid}", f"#{mid}"] if isinstance(mid, str) else []
    full_url = resource.get(FULL_URL_KEY)
    if isinstance(full_url, str):
        names.append(full_url)
    for name in names:
        index.setdefault(name, resource)


def _medication_codeable(medication: dict) -> dict:
    """A Medication as one CodeableConcept: its code, the IHE ATC classification and the ingredients' codes
    (SMS substance codes with their names), with the product name as text when the code has none."""
    code = medication.get("code") if isinstance(medication.get("code"), dict) else {}
    codings = list(_codings(code))
    text = text_field(code.get("text"))
    for ext in medication.get("extension") if isinstance(medication.get("extension"), list) else []:
        url = text_field(ext.get("url")) if isinstance(ext, dict) else None
        if url and url.endswith(IHE_CLASSIFICATION):
            codings += _codings(ext.get("valueCodeableConcept"))
        elif url and url.endswith(IHE_PRODUCT_NAME) and not text:
            text = text_field(ext.get("valueString"))
    for ingredient in medication.get("ingredient") if isinstance(medication.get("ingredient"), list) else []:
        if isinstance(ingredient, dict):
            codings += _codings(ingredient.get("itemCodeableConcept"))
    return {"coding": codings, **({"text": text} if text else {})}


def _referenced_medication(resource: dict, out: Flat) -> tuple[dict | None, str | None]:
    """(CodeableConcept of the drug, unresolved reference): medicationCodeableConcept, or the Medication that
    medicationReference names (contained, a bundle entry, an NDJSON Medication), or its display."""
    med = resource.get("medicationCodeableConcept")
    if isinstance(med, dict):
        return med, None
    ref_obj = resource.get("medicationReference")
    if not isinstance(ref_obj, dict):
        return None, None
    ref = text_field(ref_obj.get("reference"))
    if ref and ref.startswith("#") and isinstance(resource.get("contained"), list):
        for c in resource["contained"]:
            if isinstance(c, dict) and c.get("id") == ref[1:] and c.get("resourceType") == "Medication":
                return _medication_codeable(c), None
    if ref:
        target = out.medication_index.get(ref)
        parsed = None if target is not None or ref.startswith("#") else resolve_reference(ref)
        if parsed is not None:
            target = out.medication_index.get(f"{parsed[0]}/{parsed[1]}")
        if target is not None:
            return _medication_codeable(target), None
    display = text_field(ref_obj.get("display"))
    return ({"text": display}, None) if display else (None, ref)


def _medication_lookup(text: str | None):  # noqa: ANN202 (a lookup for _match)
    def lookup(system: str | None, code: str, display: str | None) -> frozenset[str]:
        found = terminology.medication_classes(system, code, display or text)
        qrisk3_class = qrisk3_medication_class(system, code)  # QRISK3's treatments (regular steroids, ...)
        return found | {qrisk3_class} if qrisk3_class else found
    return lookup


def _flatten_family_history(resource: dict, out: Flat) -> Fate:
    """QRISK3's family history of premature coronary disease; a relative's other history is out of scope."""
    before = len(out.diagnoses) + len(out.issues)
    qrisk3_inputs.flatten_family_member_history(resource, out)
    return READ if len(out.diagnoses) + len(out.issues) > before else OUT_OF_SCOPE


def _duration_days(duration: object) -> float | None:
    if not isinstance(duration, dict):
        return None
    value, unit = duration.get("value"), text_field(duration.get("code")) or text_field(duration.get("unit"))
    if isinstance(value, bool) or not isinstance(value, int | float) or unit not in DURATION_DAYS:
        return None
    return float(value) * DURATION_DAYS[unit]


def _request_end(resource: dict, start: datetime | None) -> datetime | None:
    """When a prescription stops being current: the end of its dosage (`timing.repeat.boundsPeriod.end` or a
    `boundsDuration`, the French hospital pattern) when every dosage line has one, else the end of its validity
    (`dispenseRequest.validityPeriod.end`); None when neither says (ongoing)."""
    ends: list[datetime | None] = []
    for dosage in resource.get("dosageInstruction") if isinstance(resource.get("dosageInstruction"), list) else []:
        repeat = dosage.get("timing", {}).get("repeat", {}) if isinstance(dosage, dict) else {}
        repeat = repeat if isinstance(repeat, dict) else {}
        end = parse_fhir_datetime(_period(repeat, "boundsPeriod").get("end"))
        days = _duration_days(repeat.get("boundsDuration"))
        if end is None and days is not None and start is not None:
            end = start + timedelta(days=days)
        ends.append(end)
    if ends and all(e is not None for e in ends):
        return max(e for e in ends if e is not None)
    dispense = _period(resource, "dispenseRequest")
    return parse_fhir_datetime(_period(dispense, "validityPeriod").get("end"))


def _medication_period(resource: dict, rtype: str) -> tuple[datetime | None, datetime | None]:
    if rtype in ("MedicationStatement", "MedicationAdministration"):
        period = _period(resource, "effectivePeriod")
        start = parse_fhir_datetime(resource.get("effectiveDateTime") or period.get("start"))
        return start, parse_fhir_datetime(period.get("end")) or (start if "effectiveDateTime" in resource
                                                                  and rtype == "MedicationAdministration"
                                                                  else None)
    if rtype == "MedicationDispense":
        start = parse_fhir_datetime(resource.get("whenHandedOver") or resource.get("whenPrepared"))
        days = _duration_days(resource.get("daysSupply"))
        # Without a days' supply a dispense proves the treatment on that day only (never claims more).
        return start, (start + timedelta(days=days) if days is not None else start) if start else None
    dispense = _period(resource, "dispenseRequest")
    start = parse_fhir_datetime(resource.get("authoredOn")) or parse_fhir_datetime(
        _period(dispense, "validityPeriod").get("start"))
    for dosage in resource.get("dosageInstruction") if isinstance(resource.get("dosageInstruction"), list) else []:
        repeat = dosage.get("timing", {}).get("repeat", {}) if isinstance(dosage, dict) else {}
        start = start or parse_fhir_datetime(_period(repeat if isinstance(repeat, dict) else {},
                                                     "boundsPeriod").get("start"))
    return start, _request_end(resource, start)


def flatten_medication(resource: dict, out: Flat, *, final: bool = False) -> Fate:
    """A MedicationRequest, MedicationStatement, MedicationAdministration or MedicationDispense -> one Medication
    per drug class, current only while it should be (dates, status and intent). `final`: the last try of a
    resource whose Medication had not been read yet."""
    rtype = resource.get("resourceType", "MedicationRequest")
    source_id = f"{rtype}/{resource.get('id')}"
    status = _status(resource)
    if status in EXCLUDED_MED_STATUS:
        return "status_excluded"
    intent = text_field(resource.get("intent"))
    if intent in NOT_TREATMENT_INTENTS:
        return "not_treatment", intent
    med, unresolved = _referenced_medication(resource, out)
    if med is None and unresolved is not None:
        if not final:
            out.waiting.append(resource)
            return "waiting"
        return "unresolved_medication", unresolved
    text = text_field(med.get("text")) if isinstance(med, dict) else None
    match = _match(med, _medication_lookup(text), "medication")
    classes, matched = set(match.concepts), match.coding
    if not classes and text:
        classes |= terminology.medication_classes(None, "", text)
        matched = {"display": text}
    if not classes or matched is None:
        if match.known_system:
            return OUT_OF_SCOPE
        displays = (text_field(c.get("display")) for c in _codings(med))
        shown = text or next((d for d in displays if d), None)
        return "unrecognised_medication", shown or "no name"
    start, end = _medication_period(resource, rtype)
    if start is None:
        out.issues.append(DataIssue(kind=IssueKind.NO_DATE, source_id=source_id,
                                    message=f"{rtype} {matched.get('display')!r} has no start date; not used",
                                    code="record.medication_no_start",
                                    params={"resource_type": rtype, "display": matched.get("display")}))
        return READ
    if end is None and status in ENDED_MED_STATUS:
        # Stopped with no recorded end: we cannot know how long it was taken. Counting it as taken only on the
        # day it was prescribed is the conservative choice (never claims a treatment the patient is not on).
        end = start
    entries = [Medication(concept=concept, start=start, end=end, status=status,
                          code=code_str(matched) if "system" in matched else None,
                          display=text_field(matched.get("display")), source_id=source_id)
               for concept in sorted(classes)]
    if intent == OPTION_INTENT:
        group = resource.get("groupIdentifier")
        key = f"{group.get('system')}|{group.get('value')}" if isinstance(group, dict) else "-"
        out.options.setdefault(key, []).append(entries)
        return READ
    out.medications.extend(entries)
    return READ


def _settle_options(out: Flat) -> None:
    """Alternatives of one prescription (intent `option`, same group identifier) are one therapy whose drug is not
    known. A lone option is that therapy. Options that share a class count as that class; options of different
    classes of one group (metformin or gliclazide) count as one drug of the group (`glucose_lowering`: the patient
    is on glucose-lowering treatment, on which drug is not known); options with nothing in common are not counted.
    Each case with several options says so."""
    for entries_list in out.options.values():
        if len(entries_list) == 1:
            out.medications.extend(entries_list[0])
            continue
        options = [entries for entries in entries_list if entries]
        first = options[0][0]
        names = sorted({e[0].display or e[0].concept for e in options})
        source_ids = ", ".join(sorted({e[0].source_id or "" for e in options}))
        class_sets = [{e.concept for e in entries} for entries in options]
        common = set.intersection(*class_sets)
        groups = set.intersection(*({g for g, members in MEDICATION_GROUPS.items() if classes & members}
                                    for classes in class_sets))
        counted = sorted(common or groups)
        params = {"names": " / ".join(names), "sources": source_ids, "drug_classes": counted}
        if not counted:
            out.issues.append(DataIssue(
                kind=IssueKind.STATUS_EXCLUDED, source_id=first.source_id, time=first.start,
                message=f"Alternative prescriptions (intent option): {params['names']}; which one is taken is not "
                        f"known, none is counted ({source_ids})",
                code="record.medication_options", params=params))
            continue
        # The therapy runs while any of its alternatives runs.
        start = min(e.start for entries in options for e in entries if e.start is not None)
        ends = [e.end for entries in options for e in entries]
        end = None if any(x is None for x in ends) else max(e for e in ends if e is not None)
        out.medications.extend(
            Medication(concept=concept, start=start, end=end, status=first.status, code=None,
                       display=params["names"], source_id=first.source_id)
            for concept in counted)
        out.issues.append(DataIssue(
            kind=IssueKind.STATUS_EXCLUDED, source_id=first.source_id, time=first.start,
            message=f"Alternative prescriptions (intent option): {params['names']}; counted as one therapy "
                    f"({join_words([DRUG_CLASSES[c][0] for c in counted], 'en')}), which drug is taken is not known "
                    f"({source_ids})",
            code="record.medication_options_one", params=params))
    out.options.clear()


def flatten_encounter(resource: dict, out: Flat) -> Fate:
    status = resource.get("status")  # (`_status`, inline: a bulk export holds millions of encounters)
    if isinstance(status, str) and status in EXCLUDED_ENCOUNTER_STATUS:
        return "status_excluded"
    period = resource.get("period")
    period = period if isinstance(period, dict) else {}
    when = parse_fhir_datetime(period.get("start") or period.get("end"))
    if when is None:
        return OUT_OF_SCOPE  # an undated encounter shows no contact to date
    cls = resource.get("class")
    kind = text_field(cls.get("code")) if isinstance(cls, dict) else None
    out.encounters.append(_encounter(when, kind, f"Encounter/{resource.get('id')}"))
    return READ


_SET_ENCOUNTER = tuple(getattr(Encounter, name).__set__ for name in ("time", "kind", "source_id"))


def _encounter(time: datetime, kind: str | None, source_id: str) -> Encounter:
    """`Encounter(time=..., kind=..., source_id=...)` with its slots set directly, as `checked_measurement` does
    for measurements: a frozen dataclass's __init__ is three times slower, and an export holds millions."""
    encounter = object.__new__(Encounter)
    set_time, set_kind, set_source_id = _SET_ENCOUNTER
    set_time(encounter, time)
    set_kind(encounter, kind)
    set_source_id(encounter, source_id)
    return encounter


def read_document_header(resource: dict, out: Flat) -> str:
    """A document's date (Bundle.timestamp of a `document` Bundle, or Composition.date): undated smoking
    observations of the document take it, with an issue."""
    if resource.get("resourceType") == "Bundle" and resource.get("type") == "document":
        out.document_date = out.document_date or parse_fhir_datetime(resource.get("timestamp"))
    elif resource.get("resourceType") == "Composition":
        out.document_date = out.document_date or parse_fhir_datetime(resource.get("date"))
    return IGNORED


FLATTENERS = {
    "Observation": flatten_observation,
    "Condition": flatten_condition,
    "Claim": flatten_claim,
    "Procedure": flatten_procedure,
    "ImagingStudy": flatten_procedure,
    "DiagnosticReport": flatten_procedure,
    "MedicationRequest": flatten_medication,
    "MedicationStatement": flatten_medication,
    "MedicationAdministration": flatten_medication,
    "MedicationDispense": flatten_medication,
    "Encounter": flatten_encounter,
    "FamilyMemberHistory": _flatten_family_history,
}


def _subject_fate(resource: dict, out: Flat) -> tuple[str, str | None]:
    """Whether a resource is about this patient: ("ok", None), ("sibling", ref) for `#<patient id>` (a
    contained-style reference to the bundle's Patient entry, read with an issue), or a dropped reason."""
    refs: list[str] = []
    for key in ("subject", "patient"):
        value = resource.get(key)
        for ref_obj in value if isinstance(value, list) else [value]:
            if isinstance(ref_obj, dict) and isinstance(ref_obj.get("reference"), str):
                refs.append(ref_obj["reference"])
    if out.patient_id is None:
        return "ok", None
    if f"Patient/{out.patient_id}" in refs:
        return "ok", None
    if f"#{out.patient_id}" in refs:
        return "sibling", f"#{out.patient_id}"
    if not refs:
        return "no_subject", None
    return "other_subject", refs[0][:80]


def flatten(resources: Iterable[dict], out: Flat | None = None, *, patient_id: str | None = None) -> Flat:
    """Flatten resources of one patient (any order). With `patient_id`, resources that name someone else (or no
    one) are counted under their reason instead of read; a bundle gives all its resources this way."""
    out = out or Flat()
    out.patient_id = out.patient_id or patient_id
    for resource in resources:
        rtype = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(rtype, str):
            continue
        if rtype == "Medication":
            register_medication(resource, out.medication_index)
            out.note(resource, IGNORED)
            continue
        if rtype in ("Bundle", "Composition"):
            out.note(resource, read_document_header(resource, out))
            continue
        fn = FLATTENERS.get(rtype)
        if fn is None:
            if rtype in IGNORED_TYPES:
                out.note(resource, IGNORED)
            else:
                out.drop("unsupported_type", resource, rtype)
            continue
        subject, ref = _subject_fate(resource, out)
        if subject in ("no_subject", "other_subject"):
            out.drop(subject, resource, ref)
            continue
        if subject == "sibling":
            out.drop("sibling_subject", resource, ref)  # counted in its own issue, and read below
        _apply(fn, resource, out)
    resolve_waiting(out)
    return out


def _apply(fn, resource: dict, out: Flat, **kw: bool) -> None:  # noqa: ANN001 (a flattener)
    fate = fn(resource, out, **kw)
    reason, detail = fate if isinstance(fate, tuple) else (fate, None)
    if reason in (READ, OUT_OF_SCOPE):
        if out.fates is None or out.fates.get(f"{resource.get('resourceType')}/{resource.get('id')}") is None:
            out.note(resource, reason)
    elif reason != "waiting":
        out.drop(reason, resource, detail)


def resolve_waiting(out: Flat) -> None:
    """Read the resources whose Medication came later (bundle order, or another NDJSON file), then settle the
    option groups: called once all of a patient's resources (and the Medications) have been seen."""
    waiting, out.waiting = out.waiting, []
    for resource in waiting:
        _apply(FLATTENERS[resource["resourceType"]], resource, out, final=True)
    _settle_options(out)


# ------------------------------------------------------------------------------------------ the patient
# US Core moved sex from Patient.gender to this extension in 2025 (SNOMED CT 248152002 female, 248153007 male).
INDIVIDUAL_SEX_EXTENSION = "us-core-individual-sex"
INDIVIDUAL_SEX_CODES = {"248152002": "female", "248153007": "male"}


def _sex(patient: dict) -> object:
    gender = patient.get("gender")
    if gender in ("male", "female"):
        return gender
    for ext in patient.get("extension") if isinstance(patient.get("extension"), list) else []:
        url = text_field(ext.get("url")) if isinstance(ext, dict) else None
        if url and url.endswith(INDIVIDUAL_SEX_EXTENSION):
            coding = ext.get("valueCoding")
            code = text_field(coding.get("code")) if isinstance(coding, dict) else None
            if code in INDIVIDUAL_SEX_CODES:
                return INDIVIDUAL_SEX_CODES[code]
    return gender


def patient_demographics(patient: dict) -> tuple[str, str, datetime | None, str | None, object]:
    """(id, sex, deceased, name, birth_date) from a Patient resource; raises RecordError when unusable."""
    if not isinstance(patient, dict):
        raise RecordError("The Patient resource is not a JSON object", ExitCode.NOT_FHIR,
                          said=Message(code="patient.not_object"))
    pid = patient.get("id")
    if not pid or not isinstance(pid, str):
        raise RecordError("The Patient resource has no id", ExitCode.MISSING_DEMOGRAPHICS,
                          said=Message(code="patient.no_id"))
    birth = parse_fhir_date(patient.get("birthDate"))
    gender = _sex(patient)
    if birth is None:
        raise RecordError(f"Patient {pid} has no usable birth date (birthDate={patient.get('birthDate')!r}); "
                          "age-based risk cannot be computed", ExitCode.MISSING_DEMOGRAPHICS,
                          said=Message(code="patient.no_birth_date",
                                       params={"patient": pid, "birth_date": patient.get("birthDate")}))
    if gender not in ("male", "female"):
        raise RecordError(f"Patient {pid} has no usable sex (gender={gender!r}); the risk equations and "
                          "models are sex-specific", ExitCode.MISSING_DEMOGRAPHICS,
                          said=Message(code="patient.no_sex", params={"patient": pid, "gender": gender}))
    deceased = parse_fhir_datetime(patient.get("deceasedDateTime"))
    return pid, gender, deceased, _name(patient), birth  # type: ignore[return-value]


def _name(patient: dict) -> str | None:
    names = patient.get("name")
    for n in names if isinstance(names, list) else []:
        if isinstance(n, dict):
            if text_field(n.get("text")):
                return n["text"]
            given = n.get("given")
            given = " ".join(g for g in given if isinstance(g, str)) if isinstance(given, list) else ""
            family = text_field(n.get("family")) or ""
            full = f"{given} {family}".strip()
            if full:
                return full
    return None


def build_record(patient: dict, resources: Iterable[dict], *, now: datetime | None = None,
                 source: str | None = None, fates: dict[str, str] | None = None) -> PatientRecord:
    """Build one patient's record; dates in the future or before birth become issues, duplicates are merged.

    The record does not depend on the order of `resources` (a bundle, a bulk export and a server list them
    differently): every list is sorted on a complete key, so that ties (two values at the same instant) and
    the choice of which duplicate is kept are the same whatever the source. `fates`, when given, is filled with
    what became of each resource (see `Flat`).
    """
    pid = patient.get("id") if isinstance(patient, dict) else None
    flat = flatten(resources, Flat(fates=fates), patient_id=pid if isinstance(pid, str) else None)
    return finalise_record(patient, flat, now=now, source=source)


# Dropped reasons -> issue kind; the coded message of each is spelt where the issue is made (dropped_issue).
DROPPED_KINDS = {
    "unknown_system": IssueKind.UNKNOWN_CODE, "unrecognised_medication": IssueKind.UNKNOWN_CODE,
    "unsupported_type": IssueKind.INVALID_RESOURCE, "no_subject": IssueKind.BAD_REFERENCE,
    "other_subject": IssueKind.BAD_REFERENCE, "sibling_subject": IssueKind.BAD_REFERENCE,
    "unresolved_medication": IssueKind.BAD_REFERENCE, "status_excluded": IssueKind.STATUS_EXCLUDED,
    "not_treatment": IssueKind.STATUS_EXCLUDED,
}


def dropped_issue(reason: str, d: Dropped) -> DataIssue:
    """One issue per reason, with the count, the resource types and a few of the codes or names concerned."""
    types = ", ".join(sorted(d.resource_types))
    shown = sorted(d.details)
    details = "; ".join(shown[:4]) + (f"; +{len(shown) - 4}" if len(shown) > 4 else "")
    params = {"count": d.count, "resource_type": types, "details": details}
    coded, template = DROPPED_MESSAGES.get(reason, DROPPED_MESSAGES["status_excluded"])
    return DataIssue(kind=DROPPED_KINDS.get(reason, IssueKind.INVALID_RESOURCE), source_id=d.first_id,
                     params=params, code=coded.code,
                     message=template.format(types=types, n=d.count, details=details))


# reason -> (its catalogue code, English text); the French is in risk/i18n/messages.json under the code.
DROPPED_MESSAGES = {
    "unknown_system": (Message(code="record.dropped_unknown_system"),
                       "{types}: {n} coded only in a system the reader does not know ({details}); not used"),
    "unrecognised_medication": (Message(code="record.dropped_unrecognised_medication"),
                                "{types}: {n} medication(s) not recognised ({details}); in no drug class"),
    "unsupported_type": (Message(code="record.dropped_unsupported_type"),
                         "{types}: {n} resource(s) of a type the reader does not read; not used"),
    "no_subject": (Message(code="record.dropped_no_subject"), "{types}: {n} name no patient; not used"),
    "other_subject": (Message(code="record.dropped_other_subject"), "{types}: {n} point to another patient or to "
                      "a reference that cannot be resolved ({details}); not used"),
    "sibling_subject": (Message(code="record.sibling_subject"), "{types}: {n} point to the patient as '{details}' "
                        "(a contained-resource reference used for a bundle entry); read as this patient's"),
    "unresolved_medication": (Message(code="record.dropped_unresolved_medication"),
                              "{types}: {n} name a medication that is not in the record ({details}); not used"),
    "not_treatment": (Message(code="record.dropped_not_treatment"),
                      "{types}: {n} proposal(s) or plan(s) (intent {details}), not treatments; not counted"),
    "status_excluded": (Message(code="record.dropped_status"), "{types}: {n} excluded by their status (entered "
                        "in error, cancelled, not done...); not used"),
}


def _smoking_from_diagnoses(diagnoses: Iterable[Diagnosis], measurements: list[Measurement],
                            issues: list[DataIssue]) -> list[Measurement]:
    """Smoking diagnoses count (CIM-10 F17, Z72.0, Z87.891, SNOMED smoking findings; pack-years prove ever
    smoking): an active one becomes a derived smoking status at its date. When the latest smoking observation says
    "never smoked" against such evidence, the never-smoker observations are not used and an issue says why,
    instead of choosing silently (issue 12: a daily smoker by diagnosis read as a never-smoker)."""
    evidence = [d for d in diagnoses if d.concept in (*SMOKING_EVIDENCE, "smoking_ever") and d.onset is not None]
    observed = sorted((m for m in measurements if m.concept == "smoking_status" and not m.derived),
                      key=lambda m: m.time)
    derived = [Measurement(concept="smoking_status", value=float(SMOKING_EVIDENCE[d.concept]), unit="{status}",
                           time=d.onset, original_value=d.display or d.concept, code=d.code,  # type: ignore[arg-type]
                           source_id=d.source_id, derived=True,
                           text=SMOKING_LABELS[SMOKING_EVIDENCE[d.concept]][0])
               for d in evidence if d.concept in SMOKING_EVIDENCE and d.abatement is None]
    latest = observed[-1] if observed else None
    if latest is None or latest.value != 0 or not evidence:
        return derived
    against = max(evidence, key=lambda d: d.onset)  # type: ignore[arg-type,return-value]
    nevers = [m for m in observed if m.value == 0]
    for m in nevers:
        measurements.remove(m)
    issues.append(DataIssue(
        kind=IssueKind.IMPLAUSIBLE, concept="smoking_status", time=latest.time, source_id=latest.source_id,
        message=f"Smoking status 'never smoked' ({latest.time.date().isoformat()}, {len(nevers)} observation(s)) "
                f"contradicts {against.display or against.concept!r} ({against.onset.date().isoformat()}, "  # type: ignore[union-attr]
                f"{against.source_id}); the never-smoker status is not used: check with the patient",
        code="record.smoking_conflict",
        params={"date": latest.time.date(), "count": len(nevers), "evidence": against.display or against.concept,
                "evidence_date": against.onset.date(), "evidence_id": against.source_id,  # type: ignore[union-attr]
                "source_ids": [m.source_id for m in nevers]}))
    return derived


def _lipid_panel_check(measurements: list[Measurement], issues: list[DataIssue]) -> None:
    """LDL + HDL cannot exceed total cholesterol measured the same day (TC = LDL + HDL + VLDL): when they do,
    at least one of the three is wrong and none is used (issue 11; Friedewald, Clin Chem 1972;18:499). A total
    refused as implausible still counts as the panel's total (the Mesures example: TC 0.4, HDL 2.8, LDL 7.8)."""
    by_day: dict[tuple[str, object], list[Measurement]] = {}
    for m in measurements:
        if m.concept in ("total_chol", "hdl", "ldl") and not m.derived:
            by_day.setdefault((m.concept, m.time.date()), []).append(m)
    totals: dict[object, tuple[float, str | None]] = {d: (ms[0].value, ms[0].source_id)
                                                      for (c, d), ms in by_day.items() if c == "total_chol"}
    for i in issues:
        if i.concept == "total_chol" and i.kind == IssueKind.IMPLAUSIBLE and i.time is not None:
            totals.setdefault(i.time.date(), (float(i.params["value"]), i.source_id))
    for day, (total, total_id) in sorted(totals.items(), key=lambda kv: str(kv[0])):
        ldl, hdl = by_day.get(("ldl", day)), by_day.get(("hdl", day))
        if not ldl or not hdl or ldl[0].value + hdl[0].value <= total + LIPID_PANEL_TOLERANCE_MMOL:
            continue
        removed = {"ldl": ldl, "hdl": hdl, "total_chol": by_day.get(("total_chol", day), [])}
        for concept, ms in removed.items():
            for m in ms:
                measurements.remove(m)
            label = MEASUREMENT_CONCEPTS[concept].label_en
            ids = [m.source_id for m in ms] or [total_id]
            issues.append(DataIssue(
                kind=IssueKind.IMPLAUSIBLE, concept=concept, time=ldl[0].time, source_id=ids[0],
                message=f"{label} not used: in the lipid panel of {day}, LDL {ldl[0].value:g} + HDL "
                        f"{hdl[0].value:g} mmol/L exceed total cholesterol {total:g} mmol/L",
                code="record.lipid_panel_inconsistent",
                params={"concept": concept, "date": day, "ldl": ldl[0].value, "hdl": hdl[0].value,
                        "total": total, "source_ids": ids}))


def finalise_record(patient: dict, flat: Flat, *, now: datetime | None = None,
                    source: str | None = None) -> PatientRecord:
    """Second half of `build_record`, shared with the streaming bulk path (risk.record.bulk)."""
    pid, sex, deceased, name, birth = patient_demographics(patient)
    resolve_waiting(flat)
    now = now or datetime.now(UTC)
    issues = list(flat.issues)
    issues += [dropped_issue(reason, d) for reason, d in sorted(flat.dropped.items())]
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

    diagnoses = tuple(sorted(
        (d for d in flat.diagnoses if in_time(d.onset, d.display or d.concept, d.source_id, d.concept)),
        key=lambda d: (d.onset or birth_dt, d.concept, d.source_id or "", d.code or "")))
    measurements: list[Measurement] = []
    # A duplicate has the concept, instant and value (to 6 decimals) of one kept before it. Values are rounded only
    # when another shares their concept and instant (round() is slow, and a record holds thousands of values).
    at_instant: dict[tuple[str, datetime], Measurement | dict[float, Measurement]] = {}
    death_day = deceased.date() if deceased is not None else None
    for m in sorted(flat.measurements, key=lambda m: (m.time, m.concept, m.source_id or "", m.value,
                                                       m.code or "", m.original_unit or "")):
        t = m.time  # (in_time, called only for a value it refuses: a record holds thousands of values)
        if t is not None and (t > now or t < birth_dt or (death_day is not None and t.date() > death_day)):
            in_time(t, MEASUREMENT_CONCEPTS[m.concept].label_en, m.source_id, m.concept, measured=True)
            continue
        slot = (m.concept, t)
        kept_here = at_instant.get(slot)
        if kept_here is None:
            at_instant[slot] = m
            measurements.append(m)
            continue
        if not isinstance(kept_here, dict):
            kept_here = at_instant[slot] = {round(kept_here.value, 6): kept_here}
        value = round(m.value, 6)
        kept = kept_here.get(value)
        if kept is not None:
            if kept.source_id != m.source_id:
                issues.append(DataIssue(kind=IssueKind.DUPLICATE, source_id=m.source_id, concept=m.concept,
                                        time=m.time, message=f"{MEASUREMENT_CONCEPTS[m.concept].label_en} "
                                        f"duplicates {kept.source_id}; counted once",
                                        code="record.duplicate",
                                        params={"concept": m.concept, "source_id": kept.source_id}))
            continue
        kept_here[value] = m
        measurements.append(m)
    egfr_creatinine_check(measurements, issues, sex=sex, birth=birth)  # type: ignore[arg-type]
    _lipid_panel_check(measurements, issues)
    derived = _smoking_from_diagnoses(diagnoses, measurements, issues)
    if derived:  # (else still in the order of the sort above: the checks only removed entries)
        measurements += derived
        measurements.sort(key=lambda m: (m.time, m.concept, m.source_id or "", m.value, m.code or "",
                                         m.original_unit or ""))
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
