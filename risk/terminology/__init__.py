"""Codes to clinical concepts: LOINC, SNOMED CT, ICD-10 (WHO, French CIM-10, ICD-10-CM), ATC and RxNorm.

The value sets are data (risk/terminology/data/*.json, each row with its source and evidence mark), derived
from the project's verified value sets by scripts/build_terminology_data.py. All lookups are pure functions
over tables built once at import.
"""

from risk.terminology.codeable import codings, concepts_from_codeable, smoking_answer_from_codeable
from risk.terminology.conditions import (
    condition_concepts,
    evidence_observation,
    is_known_system,
    is_social_finding,
    normalise_icd10,
    procedure_concepts,
)
from risk.terminology.medications import MedicationMatch, atc_classes, medication_classes, medication_match
from risk.terminology.observations import (
    BP_PANEL,
    HOME_BP_SETTING,
    NOT_MAPPED_OBSERVATIONS,
    ObservationMatch,
    observation_concept,
    observation_match,
    smoking_answer,
)
from risk.terminology.systems import ATC, ICD10, ICD10CM, LOINC, RXNORM, SNOMED, canonical_system

__all__ = [
    "ATC", "BP_PANEL", "HOME_BP_SETTING", "ICD10", "ICD10CM", "LOINC", "NOT_MAPPED_OBSERVATIONS", "RXNORM",
    "SNOMED", "MedicationMatch", "ObservationMatch", "atc_classes", "canonical_system", "codings",
    "concepts_from_codeable", "condition_concepts", "evidence_observation", "is_known_system",
    "is_social_finding", "medication_classes",
    "medication_match", "normalise_icd10", "observation_concept", "observation_match", "procedure_concepts",
    "smoking_answer", "smoking_answer_from_codeable",
]
