"""Which published equation applies, and why not, on records built from FHIR files (not from hand-made features):
FHIR bundle -> service.iter_records -> patient_view -> reference_scores. And the unit path end to end: a French
record (g/L, mmol/mol, µmol/L, CIM-10, ATC) scores exactly like the same patient written the American way."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from risk.assess.snapshot import PatientSnapshot, snapshot
from risk.equations.applicability import RESULT_KEYS, EquationResult, reference_scores
from risk.equations.ckd_epi import ckd_epi_2021
from risk.equations.kfre import kfre
from risk.equations.score2 import score2
from risk.equations.score2_diabetes import score2_diabetes
from risk.record.load import iter_records
from tests.fhir_spec import ATC, BP, RXNORM, SNOMED, Code, Lab, PatientSpec, write_bundle

AS_OF = date(2024, 6, 30)
VISIT = "2024-03-01"
CIM10_ANS = "https://smt.esante.gouv.fr/terminologie-cim-10/"  # how French files often name CIM-10
T2D = Code(SNOMED, "44054006", "2015-09-14", "Diabetes mellitus type 2")
MI = Code(SNOMED, "22298006", "2019-03-02", "Myocardial infarction")


def person(pid: str, birth: str, *, sex: str = "male", labs: list[Lab] | None = None,
           conditions: list[Code] | None = None, meds: list[Code] | None = None, smoking: str = "never",
           hba1c: float | None = None, egfr: float | None = 88.0, uacr: float | None = None) -> PatientSpec:
    """A GP's usual cardiovascular work-up at one visit (mmol/L lipids, BP, weight, height, smoking)."""
    base = [Lab("total_chol", 5.8, "mmol/L", VISIT), Lab("hdl", 1.2, "mmol/L", VISIT),
            Lab("weight", 82, "kg", VISIT), Lab("height", 176, "cm", VISIT)]
    if hba1c is not None:
        base.append(Lab("hba1c_ifcc", hba1c, "mmol/mol", VISIT))
    if egfr is not None:
        base.append(Lab("egfr", egfr, "mL/min/{1.73_m2}", VISIT))
    if uacr is not None:
        base.append(Lab("uacr_molar", uacr, "mg/mmol", VISIT))
    return PatientSpec(id=pid, sex=sex, birth=birth, labs=base + (labs or []), bp=[BP(142, 86, VISIT)],
                       conditions=conditions or [], meds=meds or [], smoking=(smoking, VISIT))


def view_of(tmp_path: Path, spec: PatientSpec) -> PatientSnapshot:
    (record,) = iter_records(write_bundle(tmp_path, spec))
    return snapshot(record, AS_OF)


def scores(tmp_path: Path, spec: PatientSpec) -> tuple[dict[str, EquationResult], PatientSnapshot]:
    view = view_of(tmp_path, spec)
    return reference_scores(view.features, region="low"), view


# -- SCORE2 / SCORE2-OP -------------------------------------------------------------------------------


def test_score2_applies_to_a_healthy_55_year_old(tmp_path):
    results, view = scores(tmp_path, person("healthy55", "1969-01-15"))
    f = view.features
    assert 55 < f["age"] < 56
    s2 = results["score2"]
    assert (s2.name, s2.reason) == ("SCORE2", None)
    assert s2.risk == score2(sex="male", age=f["age"], smoker=False, sbp=142.0, total_chol=5.8, hdl=1.2,
                             region="low")
    assert s2.inputs["sbp"] == {"value": 142.0, "unit": "mmHg", "date": VISIT}
    assert results["score2_diabetes"].reason == "SCORE2-Diabetes not applicable: no type 2 diabetes recorded"


def test_score2_does_not_apply_with_diabetes_and_says_score2_diabetes_is_used(tmp_path):
    results, view = scores(tmp_path, person("dm55", "1969-01-15", conditions=[T2D], hba1c=58))
    f = view.features
    assert results["score2"].risk is None
    assert results["score2"].reason == "SCORE2 not applicable: type 2 diabetes (SCORE2-Diabetes is used instead)"
    assert results["score2_diabetes"].risk == score2_diabetes(
        sex="male", age=f["age"], smoker=False, sbp=142.0, total_chol=5.8, hdl=1.2, hba1c=58.0, egfr=88.0,
        age_at_diabetes_diagnosis=f["age_at_diabetes"], region="low")


def test_score2_does_not_apply_after_a_myocardial_infarction_and_gives_its_date(tmp_path):
    results, _ = scores(tmp_path, person("mi60", "1964-05-20", conditions=[MI]))
    reason = results["score2"].reason
    assert results["score2"].risk is None
    assert reason.startswith("SCORE2 not applicable: prior myocardial infarction (2019-03-02)"), reason
    for key in ("prevent_cvd", "prevent_ascvd", "prevent_hf"):
        assert "not applicable: prior myocardial infarction (2019-03-02)" in results[key].reason


def test_score2_op_applies_at_75(tmp_path):
    results, view = scores(tmp_path, person("old75", "1949-02-10", sex="female"))
    assert 75 < view.features["age"] < 76
    op = results["score2"]
    assert (op.name, op.reason) == ("SCORE2-OP", None)
    assert op.risk == score2(sex="female", age=view.features["age"], smoker=False, sbp=142.0, total_chol=5.8,
                             hdl=1.2, region="low", diabetes=False)


# -- SCORE2-Diabetes ------------------------------------------------------------------------------------


def test_score2_diabetes_applies_to_type_2_diabetes_from_40_to_69(tmp_path):
    results, view = scores(tmp_path, person("dm62", "1962-02-01", conditions=[T2D], hba1c=58))
    f = view.features
    assert f["diabetes_t2"] == 1 and f["age_at_diabetes"] == pytest.approx(53.6, abs=0.1)
    result = results["score2_diabetes"]
    assert result.reason is None
    assert result.risk == score2_diabetes(sex="male", age=f["age"], smoker=False, sbp=142.0, total_chol=5.8,
                                          hdl=1.2, hba1c=58.0, egfr=88.0,
                                          age_at_diabetes_diagnosis=f["age_at_diabetes"], region="low")
    assert result.inputs["hba1c"] == {"value": 58.0, "unit": "mmol/mol", "date": VISIT}


def test_score2_diabetes_without_hba1c_says_hba1c_missing(tmp_path):
    results, _ = scores(tmp_path, person("dm62nohba1c", "1962-02-01", conditions=[T2D]))
    assert results["score2_diabetes"].reason == "SCORE2-Diabetes: HbA1c missing"
    assert results["score2_diabetes"].risk is None


def test_score2_diabetes_outside_40_to_69_names_the_ages_it_covers(tmp_path):
    results, view = scores(tmp_path, person("dm74", "1950-01-10", conditions=[T2D], hba1c=58))
    assert results["score2_diabetes"].reason == (
        "SCORE2-Diabetes not applicable: age 74 (the score covers ages 40-69; SCORE2-OP, which includes "
        "diabetes, is shown instead)")
    assert results["score2"].name == "SCORE2-OP"
    assert results["score2"].risk == score2(sex="male", age=view.features["age"], smoker=False, sbp=142.0,
                                            total_chol=5.8, hdl=1.2, region="low", diabetes=True)


def test_an_hba1c_with_no_unit_is_an_issue_and_then_a_missing_input(tmp_path):
    spec = person("dm62nounit", "1962-02-01", conditions=[T2D], labs=[Lab("hba1c", 7.5, None, VISIT)])
    results, view = scores(tmp_path, spec)
    assert results["score2_diabetes"].reason == "SCORE2-Diabetes: HbA1c missing"
    assert [i.message for i in view.record.issues] == [
        "no unit given for HbA1c: the value cannot be used without its unit"]


# -- PREVENT ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("birth", "age"), [("1993-01-10", 31), ("1969-01-15", 55), ("1945-02-01", 79)])
def test_prevent_applies_from_30_to_79_without_cardiovascular_disease(tmp_path, birth, age):
    results, view = scores(tmp_path, person(f"prevent{age}", birth))
    assert int(view.features["age"]) == age
    for key in ("prevent_cvd", "prevent_ascvd", "prevent_hf"):
        assert results[key].reason is None and 0 < results[key].risk < 1, results[key]
    assert results["prevent_cvd"].name == "PREVENT 10-year total CVD (base model)"


def test_prevent_model_follows_the_labs_in_the_record(tmp_path):
    results, _ = scores(tmp_path, person("prevent-full", "1969-01-15", hba1c=40, uacr=2.5))
    assert results["prevent_cvd"].name.startswith("PREVENT 10-year total CVD (full model: HbA1c + UACR")
    assert results["prevent_cvd"].inputs["uacr"]["unit"] == "mg/mmol"


def test_prevent_does_not_apply_at_82(tmp_path):
    results, view = scores(tmp_path, person("prevent82", "1942-01-10"))
    for key, name in (("prevent_cvd", "total CVD"), ("prevent_ascvd", "ASCVD"), ("prevent_hf", "heart failure")):
        assert results[key].reason == f"PREVENT 10-year {name} not applicable: age 82 (PREVENT covers ages 30-79)"
    assert results["score2"].name == "SCORE2-OP"
    assert results["score2"].risk == score2(sex="male", age=view.features["age"], smoker=False, sbp=142.0,
                                            total_chol=5.8, hdl=1.2, region="low", diabetes=False)


def test_prevent_does_not_apply_with_heart_failure(tmp_path):
    hf = Code(SNOMED, "88805009", "2021-11-05", "Chronic congestive heart failure")
    results, _ = scores(tmp_path, person("hf60", "1964-05-20", conditions=[hf]))
    assert results["prevent_hf"].reason == "PREVENT 10-year heart failure not applicable: heart failure (2021-11-05)"
    assert results["score2"].reason == "SCORE2 not applicable: heart failure (2021-11-05)"


# -- KFRE --------------------------------------------------------------------------------------------------


def test_kfre_applies_with_egfr_below_60_and_a_uacr(tmp_path):
    results, _ = scores(tmp_path, person("ckd3", "1958-07-01", egfr=42, uacr=35))
    for key in ("kfre_2y", "kfre_5y"):
        assert results[key].reason is None and 0 < results[key].risk < 1
    assert results["kfre_5y"].name == "KFRE 5-year kidney failure (4-variable, non-North-American calibration)"
    assert results["kfre_5y"].inputs["egfr"] == {"value": 42.0, "unit": "mL/min/1.73 m²", "date": VISIT}
    assert results["kfre_2y"].risk < results["kfre_5y"].risk


def test_kfre_uses_an_egfr_derived_from_creatinine_and_says_so(tmp_path):
    spec = person("ckd-creat", "1958-07-01", egfr=None, uacr=35, labs=[Lab("creatinine_molar", 150, "umol/L", VISIT)])
    results, view = scores(tmp_path, spec)
    f = view.features
    drawn = datetime.fromisoformat(f"{VISIT}T09:30:00+01:00").astimezone(UTC)  # tests.fhir_spec: 9:30 in Paris
    age_at_visit = (drawn.replace(tzinfo=None) - datetime(1958, 7, 1)) / timedelta(days=365.25)
    egfr = ckd_epi_2021(sex="male", age=age_at_visit, creatinine=150.0)  # 44.1 mL/min/1.73 m2: G3b
    assert f["egfr_derived"] == 1 and f["egfr"] == pytest.approx(egfr, rel=1e-9) and 30 <= egfr < 45
    assert results["kfre_5y"].risk == pytest.approx(kfre(sex="male", age=f["age"], egfr=egfr, uacr=35.0, years=5),
                                                    rel=1e-9)
    assert results["kfre_5y"].inputs["egfr"]["derived"] is True


def test_kfre_needs_a_uacr(tmp_path):
    results, _ = scores(tmp_path, person("ckd3-nouacr", "1958-07-01", egfr=42))
    assert results["kfre_5y"].reason == "KFRE 5-year kidney failure: urine albumin/creatinine ratio (UACR) missing"


def test_kfre_does_not_apply_without_ckd_g3_to_g5(tmp_path):
    results, _ = scores(tmp_path, person("ckd1", "1958-07-01", egfr=75, uacr=35))
    assert results["kfre_5y"].reason == ("KFRE 5-year kidney failure not applicable: no CKD stage G3-G5 "
                                         "(latest eGFR 75 mL/min/1.73 m², no CKD stage 3-5 diagnosis)")


def test_kfre_applies_from_a_ckd_stage_3_diagnosis_even_with_an_older_higher_egfr(tmp_path):
    ckd3 = Code(SNOMED, "433144002", "2023-01-10", "Chronic kidney disease stage 3")
    results, view = scores(tmp_path, person("ckd3dx", "1958-07-01", egfr=62, uacr=35, conditions=[ckd3]))
    assert view.features["ckd_stage"] == 3
    # computed with the recorded eGFR of 62, not one made up to fit stage 3
    assert results["kfre_5y"].risk == kfre(sex="male", age=view.features["age"], egfr=62.0, uacr=35.0, years=5)


# -- the unit path end to end: France and the United States ---------------------------------------------

IFCC_TO_PERCENT = (0.09148, 2.152)  # NGSP % = 0.09148 x IFCC mmol/mol + 2.152 (master equation)


def french_and_american(diabetic: bool) -> tuple[PatientSpec, PatientSpec]:
    """One 62-year-old woman written by a French lab and GP, and by an American one.

    France: lipids in g/L, HbA1c in mmol/mol, creatinine in µmol/L, UACR in mg/mmol, weight and height in kg
    and cm, CIM-10 diagnoses, ATC drugs. United States: mg/dL, %, mg/dL, mg/g, pounds and inches, SNOMED CT,
    RxNorm. Each American value is the French one converted with the published factor (cholesterol 38.67,
    creatinine 88.4, UACR 8.84, HbA1c master equation, 1 lb = 0.45359237 kg, 1 in = 2.54 cm).
    """
    hba1c = 61.0
    fr_labs = [Lab("total_chol", 2.32, "g/L", VISIT), Lab("hdl", 0.52, "g/L", VISIT),
               Lab("creatinine_molar", 71.0, "umol/L", VISIT), Lab("uacr_molar", 4.2, "mg/mmol", VISIT),
               Lab("weight", 81.6466266, "kg", VISIT), Lab("height", 165.1, "cm", VISIT)]
    us_labs = [Lab("total_chol", 232.0, "mg/dL", VISIT), Lab("hdl", 52.0, "mg/dL", VISIT),
               Lab("creatinine", 71.0 / 88.4, "mg/dL", VISIT), Lab("uacr", 4.2 * 8.84, "mg/g", VISIT),
               Lab("weight", 180, "[lb_av]", VISIT), Lab("height", 65, "[in_i]", VISIT)]
    fr_dx = [Code(CIM10_ANS, "I10", "2012-04-02", "Hypertension essentielle (primitive)")]
    us_dx = [Code(SNOMED, "38341003", "2012-04-02", "Hypertensive disorder")]
    fr_rx = [Code(ATC, "C10AA05", "2020-02-01", "atorvastatine"), Code(ATC, "C09AA03", "2012-04-02", "lisinopril")]
    us_rx = [Code(RXNORM, "617312", "2020-02-01", "atorvastatin 40 MG"),
             Code(RXNORM, "314076", "2012-04-02", "lisinopril 10 MG")]
    if diabetic:
        fr_labs.append(Lab("hba1c_ifcc", hba1c, "mmol/mol", VISIT))
        us_labs.append(Lab("hba1c", hba1c * IFCC_TO_PERCENT[0] + IFCC_TO_PERCENT[1], "%", VISIT))
        fr_dx.append(Code(CIM10_ANS, "E11.9", "2014-06-20", "Diabète sucré de type 2, sans complication"))
        us_dx.append(Code(SNOMED, "44054006", "2014-06-20", "Diabetes mellitus type 2"))
        fr_rx.append(Code(ATC, "A10BA02", "2014-06-20", "metformine"))
        us_rx.append(Code(RXNORM, "860975", "2014-06-20", "metformin 500 MG 24HR"))
    common = dict(sex="female", birth="1962-03-08", bp=[BP(148, 88, VISIT)], smoking=("current", VISIT))
    kind = "dm" if diabetic else "nodm"
    return (PatientSpec(id=f"fr-{kind}", labs=fr_labs, conditions=fr_dx, meds=fr_rx, **common),
            PatientSpec(id=f"us-{kind}", labs=us_labs, conditions=us_dx, meds=us_rx, **common))


INPUT_COLUMNS = ["age", "sbp", "total_chol", "hdl", "hba1c", "creatinine", "egfr", "uacr", "bmi", "weight", "height",
                 "smoking_current", "diabetes_t2", "age_at_diabetes", "hypertension", "on_statin",
                 "on_antihypertensive", "on_glucose_lowering"]


@pytest.mark.parametrize("diabetic", [False, True], ids=["score2", "score2-diabetes"])
def test_a_french_record_scores_exactly_like_the_same_american_record(tmp_path, diabetic):
    fr_spec, us_spec = french_and_american(diabetic)
    fr_results, fr = scores(tmp_path, fr_spec)
    us_results, us = scores(tmp_path, us_spec)
    assert not fr.record.issues and not us.record.issues
    for column in INPUT_COLUMNS:
        a, b = fr.features[column], us.features[column]
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9), (column, a, b)
    assert fr.features["egfr_derived"] == us.features["egfr_derived"] == 1  # CKD-EPI 2021 from creatinine
    assert fr.features["on_statin"] == fr.features["on_antihypertensive"] == 1
    f = fr.features
    common = dict(sex="female", age=f["age"], smoker=True, sbp=148.0, total_chol=2.32 * 100 / 38.67,
                  hdl=0.52 * 100 / 38.67, region="low")
    if diabetic:
        expected = score2_diabetes(**common, hba1c=61.0, egfr=f["egfr"], age_at_diabetes_diagnosis=f["age_at_diabetes"])
        assert fr_results["score2_diabetes"].risk == pytest.approx(expected, rel=1e-9)
    else:
        assert fr_results["score2"].risk == pytest.approx(score2(**common), rel=1e-9)
    for key in RESULT_KEYS:
        a, b = fr_results[key], us_results[key]
        assert (a.name, a.reason) == (b.name, b.reason), key
        if a.risk is not None:
            assert a.risk == pytest.approx(b.risk, rel=1e-9), key
    # and the French values really were converted (not read as if they were already mmol/L)
    assert fr.features["total_chol"] == pytest.approx(2.32 * 100 / 38.67, rel=1e-12)
    assert fr.features["hdl"] == pytest.approx(0.52 * 100 / 38.67, rel=1e-12)
