"""QRISK3's record-rich inputs read from FHIR: family history, cigarettes per day, and the codes of
risk.terminology.qrisk3 (conditions and drugs, which risk.record.build maps through this module).

- FamilyMemberHistory: a first-degree relative (HL7 v3 RoleCode) with coronary heart disease (MI, angina,
  coronary disease) whose onset age is under 60 gives `family_history_chd` (QRISK3: "angina or heart attack in a
  first-degree relative under 60"); at 60 or over it is not counted; without an age it gives
  `family_history_chd_age_unknown`, which QRISK3 does not count and the result names.
- A family-history finding coded in a Condition or an Observation (SNOMED CT 266897007, ICD-10 Z82.4) gives
  `family_history_chd_age_unknown` too: such codes do not say the relative's age.
- Cigarettes per day: an Observation with a count (or packs x 20) a day, or a SNOMED CT amount finding (light,
  moderate, heavy smoker) as its code or value, which also says the patient smokes.
"""

from __future__ import annotations

from typing import Protocol

from risk.fhir.dates import parse_fhir_datetime
from risk.record import Diagnosis, Measurement
from risk.record.quantity import Sink as QuantitySink
from risk.record.quantity import quantity_measurement
from risk.terminology.qrisk3 import (
    CIGARETTE_AMOUNT_FINDINGS,
    CIGARETTES_PER_DAY_CODES,
    family_chd_code,
    is_first_degree_relative,
    qrisk3_condition_concepts,
)
from risk.terminology.systems import SNOMED, canonical_system

FAMILY_HISTORY_AGE_LIMIT = 60.0  # QRISK3: first-degree relative with angina or heart attack under 60


class Sink(QuantitySink, Protocol):
    """Where flattened items go (risk.record.build.Flat)."""

    diagnoses: list[Diagnosis]


def _codings(codeable: object) -> list[dict]:
    if not isinstance(codeable, dict) or not isinstance(codeable.get("coding"), list):
        return []
    return [c for c in codeable["coding"] if isinstance(c, dict) and isinstance(c.get("code"), str)]


def _system(coding: dict) -> str | None:
    system = coding.get("system")
    return system if isinstance(system, str) else None


def _effective(resource: dict) -> object:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        if key in resource:
            return parse_fhir_datetime(resource.get(key))
    period = resource.get("effectivePeriod")
    return parse_fhir_datetime(period.get("start") or period.get("end")) if isinstance(period, dict) else None


def _onset_age(condition: dict) -> float | None:
    """A relative's age at onset in years (onsetAge, or the low end of onsetRange); None when not stated."""
    age = condition.get("onsetAge")
    if isinstance(age, dict) and isinstance(age.get("value"), int | float) and age.get("code", "a") in ("a", None):
        return float(age["value"])
    low = condition.get("onsetRange", {}).get("low") if isinstance(condition.get("onsetRange"), dict) else None
    if isinstance(low, dict) and isinstance(low.get("value"), int | float) and low.get("code", "a") in ("a", None):
        return float(low["value"])
    return None


def flatten_family_member_history(resource: dict, out: Sink) -> None:
    """A FamilyMemberHistory of a first-degree relative's coronary heart disease (see the module docstring)."""
    if resource.get("status") in ("entered-in-error", "health-unknown"):
        return
    relation = [c.get("code") for c in _codings(resource.get("relationship"))]
    if not any(is_first_degree_relative(code) for code in relation):
        return
    recorded = parse_fhir_datetime(resource.get("date")) or parse_fhir_datetime(
        (resource.get("meta") or {}).get("lastUpdated") if isinstance(resource.get("meta"), dict) else None
    )
    source_id = f"FamilyMemberHistory/{resource.get('id')}"
    conditions = resource.get("condition") if isinstance(resource.get("condition"), list) else []
    for condition in conditions:
        if not isinstance(condition, dict):
            continue
        for coding in _codings(condition.get("code")):
            if not family_chd_code(_system(coding), coding["code"]):
                continue
            age = _onset_age(condition)
            if age is not None and age >= FAMILY_HISTORY_AGE_LIMIT:
                break
            concept = "family_history_chd" if age is not None else "family_history_chd_age_unknown"
            who = "/".join(str(c) for c in relation if c)
            shown = coding.get("display") or coding["code"]
            display = f"{shown} ({who}, {age:g} y)" if age is not None else f"{shown} ({who}, age not recorded)"
            out.diagnoses.append(
                Diagnosis(
                    concept=concept,
                    onset=recorded,
                    code=f"{_system(coding)}|{coding['code']}",
                    display=display,
                    source_id=source_id,
                    resource_type="FamilyMemberHistory",
                )
            )
            return


def condition_concepts(system: str | None, code: str) -> frozenset[str]:
    """QRISK3 concepts of a Condition code; a family-history finding has no relative's age."""
    found = qrisk3_condition_concepts(system, code)
    if "family_history_chd" in found:
        found = (found - {"family_history_chd"}) | {"family_history_chd_age_unknown"}
    return found


def may_read_observation_code(code: object) -> bool:
    """Whether `flatten_qrisk3_observation` could use an Observation with this `code` (a coded value aside): the
    record builder skips the call for the many codes that can never concern it."""
    for coding in _codings(code):
        system, value = canonical_system(_system(coding)), coding["code"]
        if (system == SNOMED and value in CIGARETTE_AMOUNT_FINDINGS) or condition_concepts(system, value) or (
                (system or "", value) in CIGARETTES_PER_DAY_CODES):
            return True
    return False


def flatten_qrisk3_observation(resource: dict, out: Sink) -> bool:
    """Cigarettes per day or a family-history finding in an Observation; True when the resource was used here."""
    when = _effective(resource)
    source_id = f"Observation/{resource.get('id')}"
    codings = _codings(resource.get("code")) + _codings(resource.get("valueCodeableConcept"))
    for coding in codings:
        system, code = canonical_system(_system(coding)), coding["code"]
        if system == SNOMED and code in CIGARETTE_AMOUNT_FINDINGS and when is not None:
            text = coding.get("display") if isinstance(coding.get("display"), str) else None
            out.measurements.append(
                Measurement(
                    concept="cigarettes_per_day",
                    value=CIGARETTE_AMOUNT_FINDINGS[code],
                    unit="/d",
                    time=when,
                    original_value=text or code,
                    code=f"{system}|{code}",
                    source_id=source_id,
                    text=text,
                )
            )
            out.measurements.append(
                Measurement(
                    concept="smoking_status",
                    value=2.0,
                    unit="{status}",
                    time=when,
                    code=f"{system}|{code}",
                    source_id=source_id,
                    text=text,
                )
            )
            return True
        if condition_concepts(system, code):
            out.diagnoses.append(
                Diagnosis(
                    concept="family_history_chd_age_unknown",
                    onset=when,
                    code=f"{system}|{code}",
                    display=coding.get("display") if isinstance(coding.get("display"), str) else None,
                    source_id=source_id,
                    resource_type="Observation",
                )
            )
            return True
    for coding in _codings(resource.get("code")):
        factor = CIGARETTES_PER_DAY_CODES.get((canonical_system(_system(coding)) or "", coding["code"]))
        if factor is None or "valueQuantity" not in resource or when is None:
            continue
        # the one path of every numeric input: UCUM units, the concept's plausible range, a visible issue if not
        quantity_measurement(concept="cigarettes_per_day", quantity=resource["valueQuantity"], when=when,
                             coding=coding, source_id=source_id, out=out, scale=factor)
        return True
    return False
