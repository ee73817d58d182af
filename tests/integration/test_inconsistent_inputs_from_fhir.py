"""Inconsistent kidney inputs read from FHIR bundles (issue 12, part B): a reported eGFR that disagrees with the
same day's creatinine, an eGFR slope across two equations or over less than a year, and a CKD stage from one acute
fall rather than values lasting more than 3 months (KDIGO).

Each test writes a GP's chart as a FHIR R4 bundle (tests/fhir_spec.py), reads it through the real pipeline and
asserts the exact issue, value, step or alert, in English and in French, or its absence.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from risk.advise import alerts, next_steps
from risk.assess.snapshot import PatientSnapshot, snapshot
from risk.equations.ckd_epi import ckd_epi_2021
from risk.i18n.messages import message_text
from risk.record import IssueKind
from risk.record.load import iter_records
from tests.fhir_spec import Lab, PatientSpec, write_bundle

AS_OF = date(2025, 6, 30)
EGFR_UNIT = "mL/min/{1.73_m2}"
NBSP, NNBSP = "\u00a0", "\u202f"


def _on(days: int) -> str:
    return (AS_OF - timedelta(days=days)).isoformat()


def _snap(folder: Path, pid: str, labs: list[Lab]) -> PatientSnapshot:
    spec = PatientSpec(id=pid, sex="male", birth="1960-03-01", labs=labs, smoking=("never", _on(60)))
    (record,) = list(iter_records(write_bundle(folder, spec)))
    return snapshot(record, AS_OF)


def _plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ")


# --- reported eGFR vs the same day's creatinine -----------------------------------------------------------------


def test_a_reported_egfr_far_from_the_creatinine_is_flagged_and_ckd_epi_2021_is_used(tmp_path: Path) -> None:
    snap = _snap(
        tmp_path, "egfr-mismatch", [Lab("egfr", 30, EGFR_UNIT, _on(20)), Lab("creatinine_molar", 80, "umol/L", _on(20))]
    )
    (issue,) = [i for i in snap.record.issues if i.concept == "egfr"]
    assert issue.kind == IssueKind.INCONSISTENT and issue.code == "record.egfr_creatinine_disagree"
    assert message_text(issue.as_message(), "en") == (
        "eGFR 30 mL/min/1.73 m² reported on 2025-06-10 differs by 68 % from CKD-EPI 2021 94 mL/min/1.73 m² from the "
        "same day's creatinine (80 µmol/L); the CKD-EPI 2021 value is used (the equations expect CKD-EPI)"
    )
    assert _plain(message_text(issue.as_message(), "fr")) == (
        "DFGe 30 mL/min/1,73 m² rendu le 10/06/2025 : écart de 68 % avec la CKD-EPI 2021 (94 mL/min/1,73 m²) "
        "calculée sur la créatininémie du même jour (80 µmol/L) ; la valeur CKD-EPI 2021 est retenue (les "
        "équations attendent la CKD-EPI)"
    )
    expected = ckd_epi_2021(sex="male", age=(date(2025, 6, 10) - date(1960, 3, 1)).days / 365.25, creatinine=80)
    assert snap.features["egfr"] == pytest.approx(expected, abs=0.01) and snap.features["egfr_derived"] == 1
    (row,) = [r for r in snap.inputs if r.concept == "egfr"]
    assert row.derived and row.value == pytest.approx(expected, abs=0.01)
    assert snap.features["ckd_stage"] == 0  # the reported 30 (G3b) is not used


def test_a_reported_egfr_within_25_percent_of_the_creatinine_is_kept(tmp_path: Path) -> None:
    snap = _snap(
        tmp_path, "egfr-agrees", [Lab("egfr", 85, EGFR_UNIT, _on(20)), Lab("creatinine_molar", 80, "umol/L", _on(20))]
    )
    assert not [i for i in snap.record.issues if i.concept == "egfr"]
    assert snap.features["egfr"] == 85 and snap.features["egfr_derived"] == 0


# --- eGFR slope: one equation, at least a year ------------------------------------------------------------------


def test_the_egfr_slope_never_mixes_a_lab_equation_with_ckd_epi_from_creatinine(tmp_path: Path) -> None:
    # The lab reported 60 then 45 (its own equation); creatinine 100 then 110 µmol/L over 390 days: the slope is
    # CKD-EPI 2021 from the two creatinines (about -7.7 a year), not the -46 a year of mixing the two series.
    labs = [
        Lab("egfr", 60, EGFR_UNIT, _on(700)),
        Lab("creatinine_molar", 100, "umol/L", _on(400)),
        Lab("egfr", 45, EGFR_UNIT, _on(300)),
        Lab("creatinine_molar", 110, "umol/L", _on(10)),
    ]
    f = _snap(tmp_path, "slope-one-equation", labs).features
    first = ckd_epi_2021(sex="male", age=(AS_OF - timedelta(days=400) - date(1960, 3, 1)).days / 365.25, creatinine=100)
    last = ckd_epi_2021(sex="male", age=(AS_OF - timedelta(days=10) - date(1960, 3, 1)).days / 365.25, creatinine=110)
    assert f["egfr_slope"] == pytest.approx((last - first) / (390 / 365.25), abs=0.05)


def test_no_egfr_slope_and_no_rapid_decline_alert_over_less_than_a_year(tmp_path: Path) -> None:
    labs = [Lab("egfr", 70, EGFR_UNIT, _on(200)), Lab("egfr", 58, EGFR_UNIT, _on(10))]
    f = _snap(tmp_path, "slope-short", labs).features
    assert f["egfr_slope"] != f["egfr_slope"]  # NaN: 190 days is not a slope (-23 a year if it were)
    assert "egfr_rapid_decline" not in {a.id for a in alerts(f.to_dict())}


def test_a_year_of_reported_egfr_gives_the_rapid_decline_alert(tmp_path: Path) -> None:
    labs = [Lab("egfr", 70, EGFR_UNIT, _on(400)), Lab("egfr", 58, EGFR_UNIT, _on(10))]
    f = _snap(tmp_path, "slope-year", labs).features
    (alert,) = [a for a in alerts(f.to_dict()) if a.id == "egfr_rapid_decline"]
    assert alert.text_en.startswith("eGFR falling by 11.2 mL/min/1.73 m² per year over the last 3 years")
    assert _plain(alert.text_fr).startswith("DFGe en baisse de 11,2 mL/min/1,73 m² par an sur les 3 dernières années")


# --- CKD stage only from values lasting more than 3 months --------------------------------------------------------


def test_one_acute_fall_after_normal_values_is_not_a_ckd_stage(tmp_path: Path) -> None:
    labs = [
        Lab("egfr", 78, EGFR_UNIT, _on(400)),
        Lab("egfr", 74, EGFR_UNIT, _on(200)),
        Lab("egfr", 41, EGFR_UNIT, _on(10)),
    ]
    f = _snap(tmp_path, "acute-fall", labs).features
    assert f["egfr"] == 41 and f["egfr_persistent"] == 74 and f["ckd_stage"] == 0
    steps = {s.id: s for s in next_steps(f.to_dict(), {})}
    assert not {"kidney_monitoring", "sglt2i_ckd", "statin_kidney_dose"} & set(steps)
    step = steps["egfr_acute_fall"]
    assert step.text_en.startswith(
        "eGFR 41 mL/min/1.73 m² on 20 Jun 2025, but up to 74 since 12 Dec 2024: a fall that has not lasted 3 months "
        "is not chronic kidney disease (KDIGO). Look for a cause of acute kidney injury"
    )
    assert _plain(step.text_fr).startswith(
        "DFGe 41 mL/min/1,73 m² le 20/06/2025, mais jusqu'à 74 depuis le 12/12/2024 : une baisse de moins de 3 mois "
        "n'est pas une maladie rénale chronique (KDIGO). Rechercher une cause d'insuffisance rénale aiguë"
    )


def test_egfr_below_60_for_more_than_3_months_is_ckd_g3a(tmp_path: Path) -> None:
    labs = [Lab("egfr", 52, EGFR_UNIT, _on(300)), Lab("egfr", 47, EGFR_UNIT, _on(10))]
    f = _snap(tmp_path, "chronic", labs).features
    assert f["egfr_persistent"] == 52 and f["ckd_stage"] == 3
    steps = {s.id: s for s in next_steps(f.to_dict(), {})}
    assert "egfr_acute_fall" not in steps
    assert "(G3aA?, albuminuria unknown)" in steps["kidney_monitoring"].text_en
    assert "(G3aA?, albuminurie inconnue)" in steps["kidney_monitoring"].text_fr


def test_persistence_is_read_in_one_equation_not_across_lab_and_creatinine_values(tmp_path: Path) -> None:
    # A lab eGFR of 110-112 on some days and creatinine 250-260 µmol/L on others (as in the Synthea samples): the
    # latest eGFR is CKD-EPI from creatinine, so persistence is read in that series (stage 4), never as a "fall"
    # from the lab's 112.
    labs = [
        Lab("egfr", 110, EGFR_UNIT, _on(400)),
        Lab("creatinine_molar", 250, "umol/L", _on(380)),
        Lab("egfr", 112, EGFR_UNIT, _on(200)),
        Lab("creatinine_molar", 260, "umol/L", _on(10)),
    ]
    f = _snap(tmp_path, "two-series", labs).features
    assert f["egfr_derived"] == 1 and f["egfr"] < 30 and f["egfr_persistent"] < 30 and f["ckd_stage"] == 4
    assert "egfr_acute_fall" not in {s.id for s in next_steps(f.to_dict(), {})}
