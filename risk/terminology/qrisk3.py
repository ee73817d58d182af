"""Codes of QRISK3's record-rich predictors (risk/terminology/data/qrisk3.json, each row with its source).

Conditions: SNOMED CT and CISP-2 (ICPC-2) codes match exactly; ICD-10 / CIM-10 by prefix after normalisation
(as risk.terminology.conditions does). Drugs: ATC by prefix, RxNorm exactly. Cigarettes per day: the
observation codes and the SNOMED CT amount findings below.

>>> sorted(qrisk3_condition_concepts("http://hl7.org/fhir/sid/icd-10", "M06.9"))
['rheumatoid_arthritis']
>>> qrisk3_medication_class("http://www.whocc.no/atc", "N05AH03")
'atypical_antipsychotic'
>>> is_first_degree_relative("MTH"), is_first_degree_relative("GRMTH")
(True, False)
"""

from __future__ import annotations

from functools import lru_cache

from risk.terminology.conditions import normalise_icd10
from risk.terminology.systems import ATC, ICD10, ICD10CM, LOINC, RXNORM, SNOMED, canonical_system, load_data

ICPC2 = "http://hl7.org/fhir/sid/icpc-2"  # CISP-2 in French practice software
_DATA = load_data("qrisk3.json")
QRISK3_DIAGNOSES: tuple[str, ...] = (
    "rheumatoid_arthritis",
    "sle",
    "migraine",
    "severe_mental_illness",
    "erectile_dysfunction",
    "family_history_chd",
)
QRISK3_MEDICATIONS: tuple[str, ...] = ("oral_corticosteroid", "atypical_antipsychotic")
FIRST_DEGREE: frozenset[str] = frozenset(_DATA["first_degree_relatives"])

# Cigarettes per day (canonical unit: cigarettes a day). Observation codes whose value is a number of cigarettes
# (or packs, x20) a day [M: LOINC 64218-1 "How many cigarettes do you smoke per day now", 8663-7 "Cigarettes
# smoked current (pack per day) - Reported"; SNOMED CT 230056004 "Cigarette consumption (observable entity)"].
CIGARETTES_PER_DAY_CODES: dict[tuple[str, str], float] = {
    (LOINC, "64218-1"): 1.0,
    (LOINC, "8663-7"): 20.0,  # packs a day
    (SNOMED, "230056004"): 1.0,
}
# SNOMED CT smoking findings that state an amount (a category, entered at its QRISK3 band) [M: SNOMED CT
# International: 160603005 light cigarette smoker (1-9 cigs/day), 160604004 moderate cigarette smoker (10-19),
# 160605003 heavy cigarette smoker (20-39), 160606002 very heavy cigarette smoker (40+)].
CIGARETTE_AMOUNT_FINDINGS: dict[str, float] = {
    "160603005": 5.0,
    "160604004": 15.0,
    "160605003": 30.0,
    "160606002": 40.0,
}


def _rows(section: str) -> list[dict]:
    return [row for row in _DATA[section] if isinstance(row, dict)]


@lru_cache(maxsize=4096)
def qrisk3_condition_concepts(system: str | None, code: str) -> frozenset[str]:
    """QRISK3 predictor concepts of one Condition / Observation code (empty when none)."""
    return _match("conditions", system, code)


@lru_cache(maxsize=4096)
def family_chd_code(system: str | None, code: str) -> bool:
    """Is this a relative's coronary heart disease (MI, angina, coronary disease) in a FamilyMemberHistory?"""
    return bool(_match("family_member_conditions", system, code))


@lru_cache(maxsize=4096)
def qrisk3_medication_class(system: str | None, code: str) -> str | None:
    """'oral_corticosteroid' or 'atypical_antipsychotic' for a drug code, else None."""
    found = _match("medications", system, code)
    return next(iter(sorted(found)), None)


def is_first_degree_relative(code: object) -> bool:
    """HL7 v3 RoleCode of a parent, sibling or child."""
    return isinstance(code, str) and code.strip().upper() in FIRST_DEGREE


def _match(section: str, system: str | None, code: str) -> frozenset[str]:
    if not isinstance(code, str) or not code.strip():
        return frozenset()
    sys_ = canonical_system(system) if system else None
    if sys_ is None and isinstance(system, str) and any(k in system.lower() for k in ("icpc", "cisp")):
        sys_ = ICPC2  # no HL7 canonical URI: HL7's sid/icpc-2 and the French SMT "cisp" URIs
    code = code.strip()
    found: set[str] = set()
    for row in _rows(section):
        row_system = row["system"]
        if row_system in (ICD10, ICD10CM) and sys_ in (ICD10, ICD10CM):
            wanted, given = normalise_icd10(row["code"]), normalise_icd10(code)
            if wanted and given and given.startswith(wanted):
                found.add(row["concept"])
        elif row_system == ATC and sys_ == ATC:
            if code.upper().startswith(row["code"]):
                found.add(row["concept"])
        elif row_system in (SNOMED, RXNORM, ICPC2) and sys_ == row_system and code.upper() == row["code"].upper():
            found.add(row["concept"])
    return frozenset(found)
