"""Weak-signal alerts fire on the documented thresholds, stay silent below them or without a trend, and read
in both languages."""

from __future__ import annotations

import pytest

from risk.advise import alerts
from tests.advise_scenarios import Scenario, make_features, scenario_features, series

NAN = float("nan")


def _ids(**columns) -> set[str]:
    return {a.id for a in alerts(make_features(**columns))}


@pytest.mark.parametrize(
    ("slope", "fires"), [(5.5, True), (8.0, True), (5.49, False), (-3.0, False), (NAN, False)]
)
def test_hba1c_rising_fires_from_5_5_mmol_per_mol_per_year(slope, fires):
    assert ("hba1c_rising" in _ids(hba1c=58.0, hba1c_slope=slope)) is fires


def test_hba1c_rising_from_a_real_series_reads_in_both_languages():
    s = Scenario(
        name="hba1c_drift",
        story="HbA1c 50 -> 62 over two years.",
        age=60,
        diagnoses={"diabetes_type2": 4},
        observations=series("hba1c", (730, 50), (365, 56), (0, 62)),
    )
    (alert,) = [a for a in alerts(scenario_features(s)) if a.id == "hba1c_rising"]
    assert (
        alert.value == pytest.approx(6.0, abs=0.01)
        and alert.unit == "mmol/mol/year"
        and alert.window == "P3Y"
    )
    assert "HbA1c rising by 6.0 mmol/mol per year (that is 0.55 HbA1c percentage points" in alert.text_en
    assert "HbA1c en hausse de 6,0 mmol/mol par an (soit 0,55 point d'HbA1c par an)" in alert.text_fr
    assert "Project threshold" in alert.guideline_or_rationale
    assert {t.name for t in alert.triggered_by} == {"hba1c_slope", "hba1c"}


@pytest.mark.parametrize(
    ("slope", "fires"), [(-5.01, True), (-9.0, True), (-5.0, False), (-2.0, False), (NAN, False)]
)
def test_egfr_decline_faster_than_5_per_year_is_rapid_progression(slope, fires):
    assert ("egfr_rapid_decline" in _ids(egfr=55.0, egfr_slope=slope)) is fires


def test_egfr_alert_cites_kdigo_and_mentions_the_expected_dip_on_sglt2_inhibitors():
    (a,) = alerts(make_features(egfr=48.0, egfr_slope=-7.2, rx_sglt2_inhibitor=1))
    assert "KDIGO 2012" in a.guideline_or_rationale
    assert "eGFR falling by 7.2 mL/min/1.73 m² per year" in a.text_en
    assert "DFGe en baisse de 7,2 mL/min/1,73 m² par an" in a.text_fr
    assert "SGLT2 inhibitor" in a.text_en and "gliflozine" in a.text_fr
    (plain,) = alerts(make_features(egfr=48.0, egfr_slope=-7.2))
    assert "SGLT2" not in plain.text_en


@pytest.mark.parametrize(
    ("slope", "mean3", "fires"),
    [
        (5.0, 132.0, True),
        (7.0, 120.0, True),
        (4.9, 150.0, False),
        (6.0, 119.0, False),
        (NAN, 150.0, False),
    ],
)
def test_sbp_rising_needs_5_mmhg_per_year_above_120(slope, mean3, fires):
    assert ("sbp_rising" in _ids(sbp=mean3, sbp_mean3=mean3, sbp_slope=slope)) is fires


def test_sbp_rising_reads_in_both_languages():
    (a,) = alerts(make_features(sbp=138.0, sbp_mean3=134.0, sbp_slope=6.5))
    assert a.text_en == (
        "Systolic BP rising by 6.5 mmHg per year over the last 3 years "
        "(mean of the last 3 readings 134 mmHg)."
    )
    assert a.text_fr.startswith("PA systolique en hausse de 6,5 mmHg par an")


@pytest.mark.parametrize(
    ("weight", "change", "diabetes", "fires"),
    [
        (76.0, -4.0, 1, True),  # 4 / 80 = 5.0 %
        (71.0, -9.0, 1, True),  # 11 %
        (76.1, -3.9, 1, False),  # 4.9 %
        (76.0, -4.0, 0, False),  # not diabetic
        (84.0, 4.0, 1, False),  # weight gain
        (76.0, NAN, 1, False),
    ],
)
def test_weight_loss_of_5_percent_in_a_year_in_diabetes(weight, change, diabetes, fires):
    ids = _ids(weight=weight, weight_change_1y=change, diabetes_any=diabetes, diabetes_t2=diabetes)
    assert ("weight_loss_diabetes" in ids) is fires


def test_weight_loss_alert_from_a_weight_series():
    s = Scenario(
        name="weight_loss",
        story="T2D, 90 -> 82 kg in a year.",
        age=64,
        diagnoses={"diabetes_type2": 3},
        observations=series("weight", (370, 90.0), (0, 82.0)),
    )
    (a,) = [x for x in alerts(scenario_features(s)) if x.id == "weight_loss_diabetes"]
    assert a.value == pytest.approx(8 / 90, abs=1e-4) and a.window == "P1Y"
    assert "Weight loss of 8.9% (8.0 kg)" in a.text_en
    assert "Perte de poids de 8,9\u202f% (8,0 kg)" in a.text_fr


def test_no_trend_data_means_no_alert():
    assert alerts(make_features(hba1c=70.0, egfr=40.0, sbp=160.0, weight=70.0)) == []
