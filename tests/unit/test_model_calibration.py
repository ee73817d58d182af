"""Recalibration choice, Harrell's C and the paired comparison with the published equations
(risk/models/calibration.py, evaluate.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from risk.models.calibration import recalibrate
from risk.models.evaluate import c_index, paired_c_difference


def _outcomes(true_logit: np.ndarray, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(len(true_logit)) < expit(true_logit)).astype(float)


def test_well_calibrated_log_odds_get_only_an_intercept_shift():
    rng = np.random.default_rng(1)
    margin = rng.normal(-2.5, 1.0, 20_000)
    y = _outcomes(margin - 0.3, seed=2)  # true risk lower by a constant on the log-odds scale
    a, b, method = recalibrate(margin, y, np.ones_like(y))
    assert b == 1.0 and method.startswith("intercept only")
    assert abs(a - (-0.3)) < 0.1


def test_over_dispersed_log_odds_get_a_slope_below_one():
    rng = np.random.default_rng(3)
    margin = rng.normal(-2.5, 1.5, 20_000)
    y = _outcomes(-2.5 + 0.5 * (margin + 2.5), seed=4)  # the model spreads risks twice too far
    a, b, method = recalibrate(margin, y, np.ones_like(y))
    assert method.startswith("Platt")
    assert 0.4 < b < 0.6


@pytest.mark.slow  # 15-17 s: the paired bootstrap of Harrell's C on 5,000 patients
def test_paired_difference_is_positive_for_the_better_ranker_and_zero_for_the_same():
    rng = np.random.default_rng(5)
    n = 5_000
    risk_factor = rng.normal(size=n)
    hidden = rng.normal(size=n)
    true = -3 + risk_factor + hidden
    status = _outcomes(true, seed=6).astype(int)
    time = np.where(status == 1, rng.uniform(0, 10, n), 10.0)
    sees_both, sees_one = expit(true), expit(-3 + risk_factor)
    d = paired_c_difference(time, status, sees_both, sees_one)
    assert d["estimate"] == c_index(time, status, sees_both) - c_index(time, status, sees_one)
    assert d["estimate"] > 0.05 and d["ci"][0] > 0 and d["share_model_ahead"] == 1.0
    same = paired_c_difference(time, status, sees_one, sees_one)
    assert same["estimate"] == 0.0 and same["ci"] == [0.0, 0.0]


def _harrell_by_pairs(time: np.ndarray, status: np.ndarray, risk: np.ndarray) -> float:
    """Reference: every ordered pair, straight from the definition (events are status 1; others censor)."""
    concordant = tied = pairs = 0
    for i in np.flatnonzero(status == 1):
        for j in range(len(time)):
            if time[j] > time[i] or (time[j] == time[i] and status[j] != 1):
                pairs += 1
                concordant += risk[i] > risk[j]
                tied += risk[i] == risk[j]
    return (concordant + tied / 2) / pairs if pairs else math.nan


@pytest.mark.parametrize("seed", range(40))
def test_c_index_equals_the_pairwise_definition_with_ties_and_competing_events(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    time = rng.integers(0, 12, n).astype(float) if seed % 2 else rng.exponential(5.0, n)  # tied times or not
    risk = rng.integers(0, 5, n) / 4 if seed % 3 else rng.random(n)  # tied risks or not
    status = rng.choice([0, 1, 2], n, p=[0.4, 0.4, 0.2])  # 2: competing death, censored for this outcome
    expected = _harrell_by_pairs(time, status, risk)
    got = c_index(time, status, risk)
    assert got == pytest.approx(expected, abs=1e-12, nan_ok=True)


def test_c_index_edge_cases():
    assert c_index(np.array([1.0, 2.0]), np.array([1, 0]), np.array([0.9, 0.1])) == 1.0
    assert c_index(np.array([1.0, 2.0]), np.array([1, 0]), np.array([0.1, 0.9])) == 0.0
    assert c_index(np.array([1.0, 2.0]), np.array([1, 1]), np.array([0.5, 0.5])) == 0.5
    assert math.isnan(c_index(np.array([1.0, 1.0]), np.array([1, 1]), np.array([0.2, 0.1])))  # no comparable pair
    with pytest.raises(ValueError):
        c_index(np.array([1.0, 2.0]), np.array([1, 0]), np.array([np.nan, 0.1]))
