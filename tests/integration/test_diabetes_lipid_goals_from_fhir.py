"""Lipid goals in diabetes when no diabetes score applies (issue 12), read from FHIR bundles: ESC/EAS 2019 Table 4
has no low category in diabetes, so type 1 diabetes, diabetes of unrecorded type on metformin and type 2 diabetes
without HbA1c all get a category and an LDL-C goal, in both languages."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from risk.advise import next_steps, risk_category
from risk.assess.snapshot import snapshot
from risk.record.load import iter_records
from tests.fhir_spec import ATC, ICD10, Code, Lab, PatientSpec, write_bundle

AS_OF = date(2025, 6, 30)


def _on(days: int) -> str:
    return (AS_OF - timedelta(days=days)).isoformat()


def _features(folder: Path, spec: PatientSpec):
    (record,) = list(iter_records(write_bundle(folder, spec)))
    assert not record.issues, record.issues
    return snapshot(record, AS_OF).features


def _diabetic(pid: str, code: str, display: str, years: int, ldl: float, **kw) -> PatientSpec:
    return PatientSpec(
        id=pid,
        sex="female",
        birth="1975-06-01",
        labs=[Lab("ldl", ldl, "mmol/L", _on(30)), Lab("egfr", 92, "mL/min/{1.73_m2}", _on(30))],
        conditions=[Code(ICD10, code, _on(round(years * 365.25)), display)],
        smoking=("never", _on(60)),
        **kw,
    )


def test_type_1_diabetes_of_more_than_20_years_is_very_high_risk_with_goal_1_4(tmp_path: Path) -> None:
    f = _features(tmp_path, _diabetic("t1d", "E10.9", "Diabète sucré de type 1, sans complication", 26, 2.9))
    c = risk_category(f, {})
    assert (c.category, c.basis) == ("very_high", "diabetes_table")
    assert "type 1 diabetes for 26 years (>20)" in c.reason_en
    assert "diabète de type 1 depuis 26 ans (> 20)" in c.reason_fr
    step = {s.id: s for s in next_steps(f, {})}["statin_start"]
    assert "above the goal of <1.4 mmol/L for very high cardiovascular risk" in step.text_en
    assert "au-dessus de l'objectif < 1,4 mmol/L (0,54 g/L) pour un risque cardiovasculaire très élevé" in step.text_fr


def test_diabetes_of_unrecorded_type_on_metformin_is_at_least_moderate(tmp_path: Path) -> None:
    metformin = Code(ATC, "A10BA02", _on(1500), "metformine")
    spec = _diabetic("dm-unknown", "E14.9", "Diabète sucré, sans précision", 12, 3.3, meds=[metformin])
    f = _features(tmp_path, spec)
    c = risk_category(f, {})
    assert c.category == "high"
    assert c.reason_en.startswith("Diabetes of unrecorded type (record the type: SCORE2-Diabetes is for type 2)")
    assert "diabète depuis 12 ans (≥ 10)" in c.reason_fr
    step = {s.id: s for s in next_steps(f, {})}["statin_start"]
    assert "above the goal of <1.8 mmol/L for high cardiovascular risk" in step.text_en


def test_type_2_diabetes_without_hba1c_is_moderate_and_still_asks_for_it(tmp_path: Path) -> None:
    spec = _diabetic("t2d-no-a1c", "E11.9", "Diabète sucré de type 2, sans complication", 3, 3.0)
    f = _features(tmp_path, spec)
    c = risk_category(f, {})
    assert (c.category, "hba1c" in c.missing) == ("moderate", True)
    assert "diabetes has no low-risk category" in c.reason_en
    steps = {s.id: s for s in next_steps(f, {})}
    assert "goal <2.6 mmol/L at moderate cardiovascular risk" in steps["lipid_lifestyle"].text_en
    assert "objectif < 2,6 mmol/L pour un risque cardiovasculaire modéré" in steps["lipid_lifestyle"].text_fr
    assert "HbA1c" in steps["risk_estimate_score2_diabetes"].text_en
