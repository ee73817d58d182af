"""The anchor of a model (its published equation, recalibrated) and the equation part of its explanation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from risk.equations import reference_scores
from risk.models.anchor import (
    ANCHORS,
    Anchor,
    equation_factor_split,
    equation_inputs,
    equation_log_odds,
    equation_table,
    first_applicable,
    fit_anchor,
    smoking_floor,
)
from risk.models.gate import gate
from risk.models.spec import MODEL_SPECS, MONOTONE, NOT_IN_TREES, tree_features

# One person per anchor equation (a table: the same keys, one row each).
# fmt: off
PEOPLE = {
    "score2": dict(age=55, sex_male=1, smoking_current=1, sbp=154, total_chol=6.2, hdl=1.1, diabetes_any=0,
                   diabetes_t2=0, diabetes_t1=0, egfr=85, bmi=29, on_antihypertensive=1, on_statin=0),
    "score2_op": dict(age=76, sex_male=0, smoking_current=0, sbp=162, total_chol=5.1, hdl=1.6, diabetes_any=1,
                      diabetes_t2=1, diabetes_t1=0, egfr=55, bmi=31, on_antihypertensive=1, on_statin=1,
                      hba1c=58, age_at_diabetes=61),
    "score2_diabetes": dict(age=62, sex_male=1, smoking_current=0, sbp=141, total_chol=4.6, hdl=0.9, diabetes_any=1,
                            diabetes_t2=1, diabetes_t1=0, egfr=70, bmi=33, on_antihypertensive=0, on_statin=1,
                            hba1c=64, age_at_diabetes=51, uacr=4.0),
}
# fmt: on


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


@pytest.mark.parametrize("who", list(PEOPLE))
def test_equation_log_odds_is_the_logit_of_the_published_result(who):
    row = PEOPLE[who]
    results = reference_scores(row)
    # PREVENT-HF as the anchor reads it: BMI below 30 as 30 (anchor_floors); the others as published.
    results["prevent_hf"] = reference_scores({**row, "bmi": max(row["bmi"], 30.0)})["prevent_hf"]
    for key in ("score2", "score2_diabetes", "prevent_cvd", "prevent_hf"):
        if results[key].risk is not None:
            assert equation_log_odds(key, equation_inputs(key, row)) == pytest.approx(
                _logit(results[key].risk), abs=1e-9
            ), key


@pytest.mark.parametrize("who", list(PEOPLE))
def test_equation_split_adds_up_exactly_and_shows_blood_pressure_as_itself(who):
    row = PEOPLE[who]
    key = "score2_diabetes" if who == "score2_diabetes" else "score2"
    reference, split, members = equation_factor_split(key, row)
    total = equation_log_odds(key, equation_inputs(key, row))
    assert reference + sum(split.values()) == pytest.approx(total, abs=1e-9)
    assert split["blood_pressure"] > 0  # SBP above 120 raises every SCORE2-family risk
    assert "sbp" in members["blood_pressure"]


def test_prevent_bp_treatment_is_part_of_blood_pressure_not_a_factor_of_its_own():
    _, split, members = equation_factor_split("prevent_hf", PEOPLE["score2"])
    assert "treatments" not in split
    assert set(members["blood_pressure"]) == {"sbp", "on_antihypertensive"}


def test_first_applicable_takes_the_equations_in_order():
    eq = pd.DataFrame(
        {"score2_diabetes": [0.2, np.nan, np.nan], "score2": [np.nan, 0.1, np.nan], "prevent_cvd": [0.3, 0.05, np.nan]}
    )
    risk, which = first_applicable(eq, ANCHORS["cvd10"])
    np.testing.assert_allclose(risk[:2], [0.2, 0.1])
    assert np.isnan(risk[2]) and list(which) == [0, 1, -1]


def test_fitted_anchor_recovers_a_miscalibrated_equation_and_uses_the_fallback_where_none_applies():
    rng = np.random.default_rng(3)
    n = 20000
    lp = rng.normal(-2.5, 0.8, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.4 + lp)))).astype(float)
    risk = 1 / (1 + np.exp(-lp))
    risk[:2000] = np.nan  # no equation for these rows
    eq = pd.DataFrame({"prevent_hf": risk})
    anchor = fit_anchor(("prevent_hf",), eq, y, np.ones(n))
    assert anchor.a == pytest.approx(0.4, abs=0.1)
    margin = anchor.margin_from(eq)
    assert np.all(margin[:2000] == anchor.fallback)
    observed = y[:2000].mean()
    assert 1 / (1 + math.exp(-anchor.fallback)) == pytest.approx(observed, abs=1e-6)
    assert Anchor.from_manifest(anchor.as_manifest()) == anchor


def test_equation_table_has_every_result_key_for_every_row():
    frame = pd.DataFrame([PEOPLE["score2"], PEOPLE["score2_diabetes"]])
    table = equation_table(frame)
    assert table.loc[0, "score2"] == pytest.approx(reference_scores(PEOPLE["score2"])["score2"].risk)
    assert np.isnan(table.loc[1, "score2"]) and table.loc[1, "score2_diabetes"] > 0


def test_treatments_and_former_smoking_are_not_tree_inputs_and_constraints_name_real_features():
    for spec in MODEL_SPECS.values():
        used = tree_features(spec)
        assert not set(used) & NOT_IN_TREES
        assert "on_antihypertensive" in spec.features and "on_antihypertensive" not in used
    every = set().union(*(s.features for s in MODEL_SPECS.values()))
    assert set(MONOTONE) <= every
    assert MONOTONE["egfr"] == -1 and MONOTONE["hdl"] == -1 and MONOTONE["sbp"] == 1


def _metrics(estimate: float, ci: tuple[float, float], slope: float) -> dict:
    block = {"calibration_slope": slope, "calibration_intercept": 0.01}
    return {
        "overall": block,
        "comparators": {
            "score2_family": {
                "on_same_patients": {"model": block},
                "c_index_difference": {"estimate": estimate, "ci": list(ci)},
            }
        },
    }


def test_gate_is_primary_only_when_the_lower_bound_is_above_zero_and_calibration_is_acceptable():
    assert gate("cvd10", _metrics(0.02, (0.005, 0.03), 1.05))["verdict"] == "primary"
    assert gate("cvd10", _metrics(0.02, (0.005, 0.03), 1.05))["headline_earned"] is True
    tie = gate("cvd10", _metrics(0.003, (-0.006, 0.009), 1.0))
    assert tie["verdict"] == "challenger" and not tie["headline_earned"]
    assert "not better than score2_family" in tie["reason"]
    assert gate("cvd10", _metrics(0.02, (0.005, 0.03), 1.3))["verdict"] == "challenger"
    no_rows = gate("hf10", {"overall": {"calibration_slope": 1.0, "calibration_intercept": 0.0}, "comparators": {}})
    assert no_rows["verdict"] == "challenger"


def test_smoking_never_lowers_the_anchor_even_where_score2_op_makes_it_protective():
    old = pd.DataFrame([{**PEOPLE["score2_op"], "age": 89, "sex_male": 1, "diabetes_any": 0, "diabetes_t2": 0,
                         "smoking_current": 1}])
    quit = old.assign(smoking_current=0)
    published, as_quitter = equation_table(old), equation_table(quit)
    assert published.loc[0, "score2"] < as_quitter.loc[0, "score2"]  # SCORE2-OP's smoking x age interaction
    floored = smoking_floor(old, published)
    assert floored.loc[0, "score2"] == pytest.approx(as_quitter.loc[0, "score2"])
    young = pd.DataFrame([PEOPLE["score2"]])  # a 55-year-old smoker: the published risk stands
    assert smoking_floor(young, equation_table(young)).loc[0, "score2"] == equation_table(young).loc[0, "score2"]


def test_the_anchor_reads_bmi_below_30_as_30_so_losing_weight_never_raises_prevent_hf() -> None:
    from risk.models.anchor import anchor_floors

    base = dict(age=55.0, sex_male=1.0, smoking_current=0.0, sbp=130.0, total_chol=5.0, hdl=1.3, egfr=90.0,
                diabetes_any=0.0, on_antihypertensive=0.0, on_statin=0.0)
    rows = pd.DataFrame([{**base, "bmi": b} for b in (22.0, 25.6, 30.0, 34.0)])
    published = equation_table(rows)
    anchored = anchor_floors(rows, published)["prevent_hf"].to_numpy()
    # Published PREVENT-HF falls from BMI 22 to 30 (2 % -> 1.8 % for this man); the anchor is flat there, then rises.
    assert published["prevent_hf"].iloc[0] > published["prevent_hf"].iloc[2]
    assert anchored[0] == anchored[1] == anchored[2] == pytest.approx(published["prevent_hf"].iloc[2])
    assert anchored[3] == published["prevent_hf"].iloc[3] > anchored[2]
    # Other equations do not read BMI and are untouched.
    assert anchor_floors(rows, published)["score2"].equals(published["score2"])


def test_the_bmi_floor_works_when_rows_share_an_index_as_landmark_rows_do() -> None:
    from risk.models.anchor import anchor_floors

    base = dict(age=55.0, sex_male=1.0, smoking_current=0.0, sbp=130.0, total_chol=5.0, hdl=1.3, egfr=90.0,
                diabetes_any=0.0, on_antihypertensive=0.0, on_statin=0.0)
    rows = pd.DataFrame([{**base, "bmi": 22.0}, {**base, "bmi": 34.0}, {**base, "bmi": 26.0}], index=[7, 7, 8])
    anchored = anchor_floors(rows, equation_table(rows))["prevent_hf"].to_numpy()
    at30 = equation_table(pd.DataFrame([{**base, "bmi": 30.0}]))["prevent_hf"].iloc[0]
    assert anchored[0] == anchored[2] == pytest.approx(at30) and anchored[1] > at30
