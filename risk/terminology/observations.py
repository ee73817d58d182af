"""LOINC observation codes to measurement concepts, and smoking-status answers to 0/1/2.

A code says *what* was measured; the unit of each result says how to convert it (risk.terminology.units). Mass and molar
codes of the same analyte therefore map to the same concept. Tables are built once at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from risk.terminology.systems import LOINC, SNOMED, canonical_system, load_data

BP_PANEL = "bp_panel"  # a blood-pressure panel: read SBP/DBP from its components (8480-6, 8462-4)


@dataclass(frozen=True, kw_only=True, slots=True)
class ObservationMatch:
    """What an observation code means, with the detail the concept name alone drops."""

    concept: str  # measurement concept, BP_PANEL, "smoking_status" or a care-evidence concept
    qualifier: str | None  # e.g. "fasting", "sitting", "calculated", "ckd_epi_2021", "total_co2"
    mark: str  # evidence mark of the mapping: "V2+", "V1" or "M"
    display: str


def _build() -> tuple[dict[str, ObservationMatch], dict[str, str]]:
    data = load_data("observations.json")
    matches: dict[str, ObservationMatch] = {}
    not_mapped: dict[str, str] = {}
    for e in data["entries"]:
        if e.get("concept"):
            matches[e["code"]] = ObservationMatch(concept=e["concept"], qualifier=e.get("qualifier"),
                                                  mark=e["mark"], display=e["display"])
        else:
            not_mapped[e["code"]] = e.get("note", "")
    return matches, not_mapped


_OBSERVATIONS, NOT_MAPPED_OBSERVATIONS = _build()
HOME_BP_SETTING = load_data("observations.json")["home_bp_setting"]["code"]  # SNOMED 264362003 Home

_LOINC_SHAPE = re.compile(r"^\d{1,7}-\d$")


def _loinc_code(system: str | None, code: object) -> str | None:
    if not isinstance(code, str):
        return None
    code = code.strip()
    if system is None:  # a bare LOINC code is recognisable by its check-digit form; nothing else is
        return code if _LOINC_SHAPE.match(code) else None
    return code if canonical_system(system) == LOINC else None


def observation_match(system: str | None, code: str) -> ObservationMatch | None:
    """The mapping of an observation code, or None when the code is not in the value sets."""
    c = _loinc_code(system, code)
    return None if c is None else _OBSERVATIONS.get(c)


def observation_concept(system: str | None, code: str) -> str | None:
    """Concept of an observation code: a measurement concept (risk.terminology.concepts), BP_PANEL, "smoking_status" or
    a care-evidence concept; None when unknown or deliberately not mapped (standing BP, home BP averages,
    Cockcroft-Gault clearance: see NOT_MAPPED_OBSERVATIONS for the reason).

    >>> observation_concept("http://loinc.org", "2085-9")
    'hdl'
    >>> observation_concept("http://loinc.org", "35591-7") is None  # creatinine clearance is not an eGFR
    True
    """
    m = observation_match(system, code)
    return None if m is None else m.concept


def _build_smoking() -> dict[tuple[str, str], int | None]:
    out: dict[tuple[str, str], int | None] = {}
    for e in load_data("smoking_answers.json")["entries"]:
        out[(e["system"], e["code"])] = e["value"]
    return out


_SMOKING = _build_smoking()


def smoking_answer(system: str | None, code: str) -> int | None:
    """Smoking status answer (SNOMED CT or LOINC LA code) -> 0 never, 1 former, 2 current, 3 not current; None
    otherwise.

    8392000 'Non-smoker' is 3: never OR former, which is all SCORE2 and PREVENT need (not a current smoker).
    266927001 / LA18980-5 'unknown' is None.

    >>> smoking_answer("http://snomed.info/sct", "8517006")
    1
    >>> smoking_answer("http://snomed.info/sct", "8392000")
    3
    """
    if not isinstance(code, str):
        return None
    s = canonical_system(system)
    if s not in (SNOMED, LOINC):
        return None
    return _SMOKING.get((s, code.strip()))
