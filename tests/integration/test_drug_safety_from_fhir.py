"""Drug safety and missing actions read from FHIR bundles (issue 12, part B): potassium as French labs report it,
finerenone only with a known potassium <=5.0 mmol/L on an ACE inhibitor or ARB, metformin by eGFR, no SGLT2
inhibitor after a kidney transplant or on dialysis, SGLT2 inhibitors for CKD without diabetes and for heart failure,
a moderate statin dose at eGFR <30, and heart failure named as the reason SCORE2 does not apply.

Each test writes a GP's chart as a FHIR R4 bundle (tests/fhir_spec.py), reads it through the real pipeline and
asserts the exact step, in English and in French, or its absence.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from risk.advise import next_steps, risk_category
from risk.advise.model import NextStep
from risk.assess.snapshot import snapshot
from risk.record import IssueKind, PatientRecord
from risk.record.load import iter_records
from tests.fhir_spec import ATC, BP, ICD10, SNOMED, Code, Lab, PatientSpec, write_bundle

AS_OF = date(2025, 6, 30)


def _on(days: int) -> str:
    return (AS_OF - timedelta(days=days)).isoformat()


def _read(folder: Path, spec: PatientSpec) -> PatientRecord:
    (record,) = list(iter_records(write_bundle(folder, spec)))
    return record


def _steps(folder: Path, spec: PatientSpec, scores: dict | None = None) -> dict[str, NextStep]:
    features = snapshot(_read(folder, spec), AS_OF).features
    return {s.id: s for s in next_steps(features, scores or {})}


T2D = Code(ICD10, "E11.9", _on(3650), "Diabète sucré de type 2, sans complication")
RAMIPRIL = Code(ATC, "C09AA05", _on(400), "ramipril")
METFORMIN = Code(ATC, "A10BA02", _on(2000), "metformine")


def _t2d_ckd(pid: str, *, potassium: Lab | None, meds: list[Code]) -> PatientSpec:
    """A 66-year-old man with type 2 diabetes and hypertension, eGFR 48 and UACR 12 mg/mmol: finerenone is
    indicated (ESC 2023 Table 24)."""
    labs = [Lab("egfr", 48, "mL/min/{1.73_m2}", _on(20)), Lab("uacr_molar", 12, "mg/mmol", _on(20))]
    return PatientSpec(
        id=pid,
        sex="male",
        birth="1959-01-10",
        labs=labs + ([potassium] if potassium else []),
        bp=[BP(132, 78, _on(20))],
        conditions=[T2D, Code(ICD10, "I10", _on(2000), "Hypertension essentielle (primitive)")],
        meds=meds,
        smoking=("never", _on(60)),
    )


def test_potassium_in_meq_per_litre_is_read_as_mmol_per_litre(tmp_path: Path) -> None:
    spec = _t2d_ckd("k-meq", potassium=Lab("potassium", 4.7, "meq/L", _on(10)), meds=[RAMIPRIL])
    record = _read(tmp_path, spec)
    (k,) = [m for m in record.measurements if m.concept == "potassium"]
    assert (k.value, k.unit, k.original_unit) == (4.7, "mmol/L", "meq/L")
    assert not record.issues


def test_an_implausible_potassium_is_a_visible_issue_and_never_reaches_the_advice(tmp_path: Path) -> None:
    spec = _t2d_ckd("k-implausible", potassium=Lab("potassium", 47, "mmol/L", _on(10)), meds=[RAMIPRIL])
    record = _read(tmp_path, spec)
    assert [i.kind for i in record.issues if i.concept == "potassium"] == [IssueKind.IMPLAUSIBLE]
    assert not [m for m in record.measurements if m.concept == "potassium"]
    step = _steps(tmp_path, spec)["finerenone_t2d_ckd"]
    assert step.text_en.startswith("Finerenone is indicated with the ACE inhibitor or ARB")
    assert "measure serum potassium first (start only at ≤5.0 mmol/L)" in step.text_en


def test_finerenone_is_added_to_an_ace_inhibitor_only_with_potassium_at_most_5(tmp_path: Path) -> None:
    ok = _steps(tmp_path, _t2d_ckd("k-ok", potassium=Lab("potassium", 4.8, "mmol/L", _on(10)), meds=[RAMIPRIL]))
    step = ok["finerenone_t2d_ckd"]
    assert step.text_en.startswith("Add finerenone to the ACE inhibitor or ARB at its highest tolerated dose")
    assert "potassium 4.8 mmol/L ≤5.0" in step.text_en
    assert "kaliémie 4,8 mmol/L ≤ 5,0" in step.text_fr
    assert {t.name for t in step.triggered_by} >= {"potassium", "egfr", "uacr", "rx_ace_inhibitor"}
    assert next(t for t in step.triggered_by if t.name == "potassium").date == AS_OF - timedelta(days=10)


def test_finerenone_is_not_started_with_potassium_above_5(tmp_path: Path) -> None:
    high = _steps(tmp_path, _t2d_ckd("k-high", potassium=Lab("potassium", 5.3, "mmol/L", _on(10)), meds=[RAMIPRIL]))
    step = high["finerenone_t2d_ckd"]
    assert step.text_en.startswith("Do not start finerenone: potassium 5.3 mmol/L is above 5.0 mmol/L")
    assert step.text_fr.startswith("Ne pas débuter la finérénone\u00a0: kaliémie 5,3 mmol/L au-dessus de 5,0 mmol/L")


def test_finerenone_is_never_proposed_beside_start_an_ace_inhibitor(tmp_path: Path) -> None:
    spec = _t2d_ckd("no-ras", potassium=Lab("potassium", 4.4, "mmol/L", _on(10)), meds=[METFORMIN])
    steps = _steps(tmp_path, spec)
    assert not steps["ras_blockade_diabetes_albuminuria"].already_done
    assert steps["ras_blockade_diabetes_albuminuria"].text_en.startswith("Start an ACE inhibitor or ARB")
    assert "finerenone_t2d_ckd" not in steps


def test_potassium_above_5_5_on_finerenone_withholds_it(tmp_path: Path) -> None:
    finerenone = Code(ATC, "C03DA05", _on(200), "finérénone")
    spec = _t2d_ckd("mra-k", potassium=Lab("potassium", 5.9, "mmol/L", _on(5)), meds=[RAMIPRIL, finerenone])
    steps = _steps(tmp_path, spec)
    assert steps["finerenone_t2d_ckd"].already_done
    alert = steps["potassium_high_on_mra"]
    assert alert.priority == 1
    assert alert.text_en.startswith("Potassium 5.9 mmol/L on a mineralocorticoid receptor antagonist (above 5.5)")
    assert alert.text_fr.startswith("Kaliémie 5,9 mmol/L sous antagoniste des récepteurs minéralocorticoïdes")


def _metformin_patient(pid: str, egfr: float) -> PatientSpec:
    return PatientSpec(
        id=pid,
        sex="female",
        birth="1950-05-02",
        labs=[Lab("egfr", egfr, "mL/min/{1.73_m2}", _on(15)), Lab("hba1c_ifcc", 55, "mmol/mol", _on(15))],
        conditions=[T2D],
        meds=[METFORMIN],
        smoking=("never", _on(60)),
    )


def test_metformin_at_egfr_30_to_44_is_capped_at_1000_mg_and_not_started(tmp_path: Path) -> None:
    step = _steps(tmp_path, _metformin_patient("met-38", 38))["metformin_kidney_dose"]
    assert step.text_en == (
        "Metformin with eGFR 38 mL/min/1.73 m² (30-44): at most 1000 mg a day, do not start it anew at this eGFR, "
        "and check eGFR every 3-6 months (stop below 30). (Values used: eGFR of 15 Jun 2025.)"
    )
    assert step.text_fr.startswith("Metformine avec un DFGe à 38 mL/min/1,73 m² (30-44)\u00a0: au maximum 1000 mg")
    assert (step.guideline, step.recommendation_class) == ("Metformin EU SmPC", "SmPC")


def test_metformin_below_egfr_30_is_stopped_and_at_45_is_left_alone(tmp_path: Path) -> None:
    stop = _steps(tmp_path, _metformin_patient("met-25", 25))["metformin_kidney_dose"]
    assert stop.text_en == (
        "Stop metformin: eGFR 25 mL/min/1.73 m² is below 30 (contraindicated). (Values used: eGFR of 15 Jun 2025.)"
    )
    assert stop.text_fr == (
        "Arrêter la metformine\u00a0: DFGe 25 mL/min/1,73 m² inférieur à 30 (contre-indication). "
        "(Valeurs utilisées\u00a0: DFGe du 15/06/2025.)"
    )
    assert "metformin_kidney_dose" not in _steps(tmp_path, _metformin_patient("met-45", 45))


def test_no_sglt2_inhibitor_step_after_a_kidney_transplant_or_on_dialysis(tmp_path: Path) -> None:
    base = _t2d_ckd("tx", potassium=Lab("potassium", 4.4, "mmol/L", _on(10)), meds=[RAMIPRIL])
    assert "sglt2i_t2d" in _steps(tmp_path, base)
    transplant = Code(SNOMED, "70536003", _on(900), "Transplant of kidney")
    base.procedures = [transplant]
    steps = _steps(tmp_path, base)
    assert not {"sglt2i_t2d", "sglt2i_ckd", "finerenone_t2d_ckd"} & set(steps)
    dialysis = PatientSpec(
        id="dialysis",
        sex="male",
        birth="1955-03-03",
        labs=[Lab("egfr", 9, "mL/min/{1.73_m2}", _on(10))],
        conditions=[T2D, Code(ICD10, "Z99.2", _on(400), "Dépendance envers une dialyse rénale")],
        meds=[METFORMIN],
        smoking=("never", _on(60)),
    )
    steps = _steps(tmp_path, dialysis)
    assert not {"sglt2i_t2d", "sglt2i_ckd", "sglt2i_hf"} & set(steps)
    assert steps["metformin_kidney_dose"].text_en.startswith("Stop metformin: kidney failure")
    assert steps["statin_kidney_dose"].text_en.startswith("On dialysis: do not start a statin")
    assert steps["statin_kidney_dose"].text_fr.startswith("Patient dialysé\u00a0: ne pas débuter de statine")
    assert "statin_start" not in steps


def test_ckd_without_diabetes_gets_an_sglt2_inhibitor(tmp_path: Path) -> None:
    spec = PatientSpec(
        id="ckd-no-dm",
        sex="female",
        birth="1970-09-09",
        labs=[Lab("egfr", 38, "mL/min/{1.73_m2}", _on(20)), Lab("uacr_molar", 8, "mg/mmol", _on(20))],
        meds=[RAMIPRIL],
        smoking=("never", _on(60)),
    )
    step = _steps(tmp_path, spec)["sglt2i_ckd"]
    assert (step.recommendation_class, step.evidence_level) == ("2", "B")  # eGFR 20-45 without A3: KDIGO 3.7.3
    assert step.text_en.startswith("Consider an SGLT2 inhibitor (dapagliflozin or empagliflozin) for chronic kidney")
    assert "DFGe 38 mL/min/1,73 m² (20-45)" in step.text_fr


def test_heart_failure_gets_an_sglt2_inhibitor_and_is_why_score2_does_not_apply(tmp_path: Path) -> None:
    spec = PatientSpec(
        id="hf",
        sex="male",
        birth="1962-02-02",
        labs=[
            Lab("total_chol", 5.8, "mmol/L", _on(30)),
            Lab("hdl", 1.2, "mmol/L", _on(30)),
            Lab("egfr", 70, "mL/min/{1.73_m2}", _on(30)),
        ],
        bp=[BP(126, 76, _on(30))],
        conditions=[Code(ICD10, "I50.9", _on(700), "Insuffisance cardiaque, sans précision")],
        smoking=("former", _on(60)),
    )
    features = snapshot(_read(tmp_path, spec), AS_OF).features
    steps = {s.id: s for s in next_steps(features, {})}
    assert steps["sglt2i_hf"].text_en.startswith("Heart failure: start an SGLT2 inhibitor")
    assert steps["sglt2i_hf"].text_fr.startswith("Insuffisance cardiaque\u00a0: débuter un inhibiteur de SGLT2")
    score = steps["risk_estimate_score2"]
    assert score.text_en.startswith("SCORE2 does not apply in heart failure")
    assert score.text_fr.startswith("SCORE2 ne s'applique pas en cas d'insuffisance cardiaque")
    assert "check the inputs" not in score.text_en
    category = risk_category(features, {})
    assert "it does not apply in heart failure" in category.reason_en
    assert "il ne s'applique pas en cas d'insuffisance cardiaque" in category.reason_fr


def test_statin_at_egfr_below_30_is_a_moderate_dose_never_high_intensity(tmp_path: Path) -> None:
    spec = PatientSpec(
        id="ckd-g4",
        sex="male",
        birth="1950-01-01",
        labs=[
            Lab("egfr", 24, "mL/min/{1.73_m2}", _on(20)),
            Lab("uacr_molar", 35, "mg/mmol", _on(20)),
            Lab("ldl", 3.2, "mmol/L", _on(20)),
        ],
        smoking=("never", _on(60)),
    )
    steps = _steps(tmp_path, spec)
    assert "statin_start" not in steps and "statin_start_older_primary" not in steps
    step = steps["statin_kidney_dose"]
    assert "eGFR 24 mL/min/1.73 m² is below 30, so no high-intensity statin and no high-dose rosuvastatin" in (
        step.text_en
    )
    assert "DFGe 24 mL/min/1,73 m² inférieur à 30, donc pas de statine de forte intensité" in step.text_fr
    assert (step.guideline, step.year) == ("KDIGO 2013 lipids in CKD", 2013)


def test_ldl_at_least_4_9_raises_familial_hypercholesterolaemia(tmp_path: Path) -> None:
    spec = PatientSpec(
        id="fh",
        sex="female",
        birth="1987-04-04",
        labs=[Lab("ldl", 2.1, "g/L", _on(40))],  # a French lab in g/L: 5.43 mmol/L
        smoking=("never", _on(60)),
    )
    step = _steps(tmp_path, spec)["familial_hypercholesterolaemia"]
    assert step.text_en.startswith("LDL-C 5.43 mmol/L (≥4.9): look for familial hypercholesterolaemia")
    assert step.text_fr.startswith(
        "LDL-c 5,43 mmol/L (2,10 g/L\u202f; ≥ 4,9)\u00a0: rechercher une hypercholestérolémie"
    )
    below = PatientSpec(id="no-fh", sex="female", birth="1987-04-04", labs=[Lab("ldl", 1.85, "g/L", _on(40))])
    assert "familial_hypercholesterolaemia" not in _steps(tmp_path, below)
