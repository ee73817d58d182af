"""Condition and procedure codes to diagnosis concepts (SNOMED CT, ICD-10 WHO / French CIM-10, ICD-10-CM).

SNOMED CT codes match exactly. ICD-10 codes match by prefix after normalisation, so that French CIM-10 as
written in PMSI exports ("E119", "E11.9", "e11.9+0", "I10.+0", dagger-asterisk "E11.2†" / "N08.3*") finds
the same rows as WHO ICD-10. One code can give several concepts (E11.2: type 2 diabetes, diabetic
nephropathy, any diabetes). Tables are built once at import; lookups are cached.
"""

from __future__ import annotations

import re
from functools import lru_cache

from risk.terminology.concepts import CARE_EVIDENCE_CONCEPTS
from risk.terminology.observations import observation_concept
from risk.terminology.systems import ICD10, ICD10CM, LOINC, SNOMED, canonical_system, load_data

_EMPTY: frozenset[str] = frozenset()
_ICD_SHAPE = re.compile(r"^[A-Z][0-9]{2}[0-9A-Z]{0,5}$")


def normalise_icd10(code: str) -> str | None:
    """ICD-10 / CIM-10 code in lookup form (upper case, no dot, no French extension or dagger/asterisk).

    >>> [normalise_icd10(c) for c in ("E11.9+0", "e119", "N08.3*", "I10.+0")]
    ['E119', 'E119', 'N083', 'I10']
    >>> normalise_icd10("hello") is None
    True
    """
    if not isinstance(code, str):
        return None
    s = code.strip().upper().split("+", 1)[0]
    s = re.sub(r"[\s.*†‡!#]", "", s).rstrip("-")  # "E11.-" is the category E11; "I20-I25" is no code
    return s if _ICD_SHAPE.match(s) else None


def _build_conditions() -> tuple[dict[str, frozenset[str]], dict[str, dict[str, frozenset[str]]]]:
    snomed: dict[str, frozenset[str]] = {}
    icd: dict[str, dict[str, frozenset[str]]] = {ICD10: {}, ICD10CM: {}}
    # The generated value sets, then the hand-curated screening history (data/screening_history.json, issue 12).
    for e in [*load_data("conditions.json")["entries"], *load_data("screening_history.json")["conditions"]]:
        concepts = frozenset(e["concepts"])
        if e["system"] == SNOMED:
            snomed[e["code"]] = concepts
        else:
            key = normalise_icd10(e["code"])
            assert key is not None, e["code"]
            table = icd[e["system"]]
            table[key] = table.get(key, _EMPTY) | concepts
    return snomed, icd


_SNOMED_CONDITIONS, _ICD_PREFIXES = _build_conditions()
_PROCEDURES: dict[str, frozenset[str]] = {
    e["code"]: frozenset(e["concepts"])
    for e in [*load_data("procedures.json")["entries"], *load_data("screening_history.json")["procedures"]]
}
_SOCIAL: frozenset[str] = frozenset(e["code"] for e in load_data("social_findings.json")["entries"])
_SOCIAL_WORDS = re.compile(
    r"employ|labou?r force|stress|social|isolation|violence|abuse|criminal|educat|school|housing|homeless"
    r"|transport|migrant|military|risk activity|alcohol|misuses drugs|drug use|insurance|income|poverty"
    r"|food insecurity|refugee|incarcerat|prison",
    re.IGNORECASE,
)


@lru_cache(maxsize=8192)
def _icd_concepts(system: str, key: str) -> frozenset[str]:
    table = _ICD_PREFIXES[system]
    found = _EMPTY
    for n in range(3, len(key) + 1):
        hit = table.get(key[:n])
        if hit:
            found = found | hit
    return found


def condition_concepts(system: str | None, code: str) -> frozenset[str]:
    """Diagnosis concepts (risk.terminology.concepts.DIAGNOSIS_CONCEPTS) of a Condition code; empty when unknown.

    >>> sorted(condition_concepts("https://smt.esante.gouv.fr/terminologie-cim-10", "E11.2"))
    ['diabetes_any', 'diabetes_type2', 'diabetic_nephropathy']
    >>> condition_concepts("http://snomed.info/sct", "160903007")  # Full-time employment (finding)
    frozenset()
    """
    if not isinstance(code, str):
        return _EMPTY
    s = canonical_system(system)
    if s == SNOMED:
        return _SNOMED_CONDITIONS.get(code.strip(), _EMPTY)
    if s in (ICD10, ICD10CM):
        key = normalise_icd10(code)
        return _EMPTY if key is None else _icd_concepts(s, key)
    return _EMPTY


def procedure_concepts(system: str | None, code: str) -> frozenset[str]:
    """Concepts of a Procedure code (SNOMED CT): revascularisation, dialysis (esrd), kidney transplant,
    lower-limb amputation and care-gap evidence. LOINC report codes that close a care gap (e.g. 24606-6
    screening mammography on a DiagnosticReport) are accepted too.
    """
    if not isinstance(code, str):
        return _EMPTY
    s = canonical_system(system)
    if s == SNOMED:
        return _PROCEDURES.get(code.strip(), _EMPTY)
    if s == LOINC:
        c = observation_concept(s, code)
        return frozenset((c,)) if c in CARE_EVIDENCE_CONCEPTS else _EMPTY
    return _EMPTY


def is_social_finding(system: str | None, code: str, display: str | None = None) -> bool:
    """True for social-determinant / screening findings written as Conditions (employment, stress,
    housing...): they are never diagnoses. Findings the value sets keep (obesity BMI 30+, prediabetes,
    smoking) are never social findings.

    Listed codes (value_sets.md 2.2) are recognised by code; other '(finding)' displays by social keywords.
    """
    if not isinstance(code, str):
        return False
    if canonical_system(system) == SNOMED and code.strip() in _SOCIAL:
        return True
    if condition_concepts(system, code):
        return False
    if isinstance(display, str) and "(finding)" in display.lower():
        return _SOCIAL_WORDS.search(display) is not None
    return False
