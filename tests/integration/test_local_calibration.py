"""Local calibration (risk.models.local_calibration) with the throwaway models: predicted against observed when
outcomes are known, and why it is not shown on 15 samples."""

from __future__ import annotations

import math

from risk.models.local_calibration import calibration_on_tables, local_calibration
from risk.record.load import iter_records
from tests.app_fixtures import SAMPLES
from tests.synthetic_models import synthetic_tables


def test_local_calibration_compares_predicted_and_observed_when_outcomes_are_known(trained_models):
    result = calibration_on_tables(synthetic_tables(600, seed=3), "cvd10", trained_models["cvd10"])
    assert result.reason is None and result.events >= 10
    assert result.table["n"].sum() <= result.n and len(result.table) >= 3
    assert math.isclose(result.observed, result.mean_predicted, abs_tol=0.08)  # same world it was trained on


def test_local_calibration_on_the_15_samples_says_why_it_is_not_shown(trained_models):
    result = local_calibration(list(iter_records(SAMPLES)), "cvd10", trained_models["cvd10"])
    assert result.table is None
    assert "needs at least 100 patients" in result.reason and "demande au moins 100 patients" in result.reason_fr
