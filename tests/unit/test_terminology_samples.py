"""Every code in the public sample data that should map does map, and nothing else does.

Expectations come from value_sets.md section 5b (coverage on the sample data), code by code. Reads the
samples in ../shared/fhir_samples (skipped when that folder is absent).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from risk.terminology import (
    concepts_from_codeable,
    is_social_finding,
    medication_match,
    smoking_answer_from_codeable,
)
from tests.paths import SHARED

SAMPLES = SHARED / "fhir_samples"
R4 = SAMPLES / "smart-generated-sample-data-r4" / "ndjson"
BULK = SAMPLES / "smart-sample-bulk-fhir-datasets" / "10-patients"

pytestmark = pytest.mark.skipif(not R4.exists(), reason="shared/fhir_samples not present")


def _resources(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _seen(path: Path, field: str, kind: str) -> dict[str, tuple[frozenset[str], int]]:
    """code -> (concepts, number of resources), over the first coding of each resource's `field`."""
    counts: Counter[str] = Counter()
    concepts: dict[str, frozenset[str]] = {}
    for r in _resources(path):
        cc = r[field]
        code = cc["coding"][0]["code"]
        counts[code] += 1
        concepts[code] = concepts_from_codeable(cc, kind)
    return {code: (concepts[code], n) for code, n in counts.items()}


def _check(seen: dict[str, tuple[frozenset[str], int]], expected: dict[str, set[str]]) -> None:
    """Codes listed map exactly as expected; every other code seen maps to nothing."""
    missing = sorted(set(expected) - set(seen))
    assert not missing, f"expected codes absent from the sample: {missing}"
    wrong = {code: sorted(c) for code, (c, _) in seen.items() if c != frozenset(expected.get(code, set()))}
    assert not wrong, f"codes mapped differently than expected: {wrong}"


def _per_concept(seen: dict[str, tuple[frozenset[str], int]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for concepts, n in seen.values():
        for c in concepts:
            out[c] += n
    return out


# --- R4 bundles (449 adults, Synthea v2.4) --------------------------------------------------------------

OBSERVATIONS = {
    "55284-4": {"bp_panel"}, "8302-2": {"height"}, "29463-7": {"weight"}, "72166-2": {"smoking_status"},
    "39156-5": {"bmi"}, "2339-0": {"glucose"}, "2345-7": {"glucose"}, "38483-4": {"creatinine"},
    "2160-0": {"creatinine"}, "33914-3": {"egfr"}, "2093-3": {"total_chol"}, "2571-8": {"triglycerides"},
    "18262-6": {"ldl"}, "2085-9": {"hdl"}, "4548-4": {"hba1c"}, "14959-1": {"uacr"},
    "57905-2": {"colorectal_screening"},
    # KFRE labs (not counted in 5b; mapped by this library)
    "49765-1": {"calcium"}, "17861-6": {"calcium"}, "20565-8": {"bicarbonate"}, "2028-9": {"bicarbonate"},
    "1751-7": {"albumin"},
    # potassium (finerenone and MRA safety, issue 12; mapped by this library)
    "2823-3": {"potassium"}, "6298-4": {"potassium"},
}


def test_r4_observation_codes_map_as_expected():
    seen = _seen(R4 / "Observation.ndjson.gz", "code", "observation")
    _check(seen, OBSERVATIONS)
    counts = _per_concept(seen)
    # value_sets.md 5b, R4 Observation row
    assert {c: counts[c] for c in ("bp_panel", "height", "weight", "smoking_status", "bmi", "glucose",
                                   "creatinine", "egfr", "total_chol", "triglycerides", "ldl", "hdl",
                                   "hba1c", "uacr", "colorectal_screening")} == {
        "bp_panel": 4042, "height": 3699, "weight": 3699, "smoking_status": 3699, "bmi": 3644,
        "glucose": 2653, "creatinine": 2653, "egfr": 2152, "total_chol": 2074, "triglycerides": 2074,
        "ldl": 2074, "hdl": 2074, "hba1c": 1768, "uacr": 392, "colorectal_screening": 42}


def test_r4_bp_components_and_smoking_answers():
    components: Counter[str] = Counter()
    answers: Counter[int | None] = Counter()
    for r in _resources(R4 / "Observation.ndjson.gz"):
        for comp in r.get("component", []):
            for c in concepts_from_codeable(comp["code"], "observation"):
                components[c] += 1
        if r["code"]["coding"][0]["code"] == "72166-2":
            answers[smoking_answer_from_codeable(r["valueCodeableConcept"])] += 1
    assert components == {"sbp": 4042, "dbp": 4042}
    # 266919005 never 2,538; 8517006 former 1,144; 449868002 current 17 (value_sets.md 3.2)
    assert answers == {0: 2538, 1: 1144, 2: 17}


CONDITIONS = {
    "15777000": {"prediabetes"}, "80394007": {"prediabetes"}, "162864005": {"obesity"},
    "38341003": {"hypertension"}, "55822004": {"hyperlipidaemia"}, "302870006": {"hyperlipidaemia"},
    "88805009": {"heart_failure"}, "53741008": {"coronary_heart_disease"}, "230690007": {"stroke"},
    "44054006": {"diabetes_type2", "diabetes_any"}, "49436004": {"atrial_fibrillation"},
    "368581000119106": {"diabetic_neuropathy", "diabetes_type2", "diabetes_any"},
    "22298006": {"myocardial_infarction", "coronary_heart_disease"},
    "399211009": {"myocardial_infarction_history", "coronary_heart_disease"},
    "127013003": {"diabetic_nephropathy", "diabetes_any"},
    "90781000119102": {"diabetic_nephropathy", "diabetes_type2", "diabetes_any"},
    "422034002": {"diabetic_retinopathy", "diabetes_type2", "diabetes_any"},
    "1551000119108": {"diabetic_retinopathy", "diabetes_type2", "diabetes_any"},
    "1501000119109": {"diabetic_retinopathy", "diabetes_type2", "diabetes_any"},
    "449868002": {"smoking_current"}, "431855005": {"ckd_stage_1", "ckd"},
    "431856006": {"ckd_stage_2", "ckd"},
    # colorectal cancer takes a person out of the FIT programme (issue 12; data/screening_history.json)
    "363406005": {"colorectal_cancer"}, "94260004": {"colorectal_cancer"}, "109838007": {"colorectal_cancer"},
    # 237602007 metabolic syndrome is in the value sets but has no concept in risk/concepts.py
}


def test_r4_condition_codes_map_as_expected():
    seen = _seen(R4 / "Condition.ndjson.gz", "code", "condition")
    _check(seen, CONDITIONS)
    counts = _per_concept(seen)
    # value_sets.md 5b, R4 Condition row
    assert {c: counts[c] for c in ("prediabetes", "obesity", "hypertension", "hyperlipidaemia",
                                   "heart_failure", "stroke", "atrial_fibrillation", "diabetic_neuropathy",
                                   "myocardial_infarction", "myocardial_infarction_history",
                                   "diabetic_nephropathy", "diabetic_retinopathy", "smoking_current",
                                   "ckd_stage_1", "ckd_stage_2")} == {
        "prediabetes": 217, "obesity": 181, "hypertension": 157, "hyperlipidaemia": 116, "heart_failure": 49,
        "stroke": 39, "atrial_fibrillation": 33, "diabetic_neuropathy": 18, "myocardial_infarction": 16,
        "myocardial_infarction_history": 16, "diabetic_nephropathy": 12, "diabetic_retinopathy": 12,
        "smoking_current": 10, "ckd_stage_1": 10, "ckd_stage_2": 2}
    # 5b counts coronary heart disease 40 and type 2 diabetes 37 by the code alone; here MI (16 + 16 history)
    # implies coronary heart disease, and complications 'due to type 2 diabetes' (18 + 2 + 8 + 3 + 1) imply
    # type 2 diabetes
    assert counts["coronary_heart_disease"] == 40 + 16 + 16
    assert counts["diabetes_type2"] == 37 + 18 + 2 + 8 + 3 + 1


MEDICATIONS = {
    "316672": {"statin"}, "312961": {"statin"}, "259255": {"statin"}, "316049": {"thiazide_diuretic"},
    "316052": {"thiazide_diuretic"}, "866414": {"beta_blocker"}, "315971": {"loop_diuretic"},
    "309362": {"antiplatelet"}, "243670": {"antiplatelet"}, "855332": {"anticoagulant_vka"},
    "897718": {"calcium_channel_blocker"}, "197361": {"calcium_channel_blocker"}, "860975": {"metformin"},
    "106892": {"insulin"}, "833036": {"ace_inhibitor"}, "314659": {"anticoagulant_parenteral"},
    # 1719286 IV furosemide: loop diuretic flagged acute -> no chronic class (5b counts it as loop_diuretic)
    # 197604 digoxin, 705129 nitroglycerin, 1804799 alteplase: 'other_cv_drug', not a class of risk.terminology.concepts
}


def test_r4_medication_codes_map_as_expected():
    seen = _seen(R4 / "MedicationRequest.ndjson.gz", "medicationCodeableConcept", "medication")
    _check(seen, MEDICATIONS)
    counts = _per_concept(seen)
    assert counts == {"statin": 1399, "thiazide_diuretic": 169, "antiplatelet": 63,
                      "calcium_channel_blocker": 62, "beta_blocker": 49, "loop_diuretic": 92 - 43,
                      "anticoagulant_vka": 33, "metformin": 26, "insulin": 10, "ace_inhibitor": 9,
                      "anticoagulant_parenteral": 1}
    iv = medication_match("http://www.nlm.nih.gov/research/umls/rxnorm", "1719286")
    assert iv.acute and iv.classes == {"loop_diuretic"}
    assert seen["1719286"][1] == 43


PROCEDURES = {
    # a colonoscopy is not the programme's FIT; the smear is a cytology (issue 12: evidence names the test)
    "73761001": {"colonoscopy"}, "1015401000000102": {"colorectal_screening"},
    "90226004": {"cervical_cytology"}, "415070008": {"coronary_revascularisation"},
    "232717009": {"coronary_revascularisation"},
}


def test_r4_procedure_codes_map_as_expected():
    seen = _seen(R4 / "Procedure.ndjson.gz", "code", "procedure")
    _check(seen, PROCEDURES)
    assert _per_concept(seen) == {"colonoscopy": 368, "colorectal_screening": 42, "cervical_cytology": 121,
                                  "coronary_revascularisation": 28}


# --- bulk export (10 patients, Synthea ~2023): social findings ------------------------------------------


@pytest.mark.skipif(not BULK.exists(), reason="bulk sample not present")
def test_bulk_social_findings_are_recognised_and_never_diagnoses():
    social = diagnoses = 0
    counts: Counter[str] = Counter()
    for r in _resources(BULK / "Condition.000.ndjson"):
        coding = r["code"]["coding"][0]
        concepts = concepts_from_codeable(r["code"], "condition")
        if is_social_finding(coding.get("system"), coding["code"], coding.get("display")):
            social += 1
            assert not concepts, coding
        elif concepts:
            diagnoses += 1
            counts.update(concepts)
    assert social == 424  # value_sets.md 5b: _exclude_sdoh_findings 424
    assert counts["obesity"] == 6 and counts["prediabetes"] == 6 and counts["esrd"] == 1
    assert counts["kidney_transplant"] == 1 and counts["diabetic_nephropathy"] == 3


@pytest.mark.skipif(not BULK.exists(), reason="bulk sample not present")
def test_bulk_medications_and_procedures():
    meds = _per_concept(_seen(BULK / "MedicationRequest.000.ndjson", "medicationCodeableConcept",
                              "medication"))
    assert meds == {"ace_inhibitor": 238, "metformin": 192, "insulin": 191, "statin": 46,
                    "thiazide_diuretic": 44, "antiplatelet": 2, "beta_blocker": 1}
    procs = _per_concept(_seen(BULK / "Procedure.000.ndjson", "code", "procedure"))
    assert procs == {"esrd": 430, "colonoscopy": 6, "cervical_cytology": 3, "breast_screening": 1,
                     "kidney_transplant": 1, "coronary_revascularisation": 1}
