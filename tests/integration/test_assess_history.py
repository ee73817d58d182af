"""Trends and history of a sample patient (risk.assess.history): the risk at a past visit uses only what was
known that day, and the input trends list every value up to the index date."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from risk.assess.assessment import assess
from risk.assess.history import input_trends, risk_history, visit_dates
from risk.assess.snapshot import snapshot
from risk.equations.applicability import reference_scores
from risk.features.build import build_features
from tests.app_fixtures import JP, SAMPLE_AS_OF, sample_record


def test_risk_at_a_past_visit_uses_only_what_was_known_that_day(trained_models):
    r = sample_record(JP)
    v = assess(snapshot(r, SAMPLE_AS_OF), trained_models).snapshot
    hist = risk_history(v.tables, JP, SAMPLE_AS_OF, trained_models)
    days = visit_dates(v.tables, JP, SAMPLE_AS_OF)
    assert list(hist.risks.index) == days and len(days) >= 3
    first = days[0]
    features = build_features(v.tables, first).iloc[0]
    expected = reference_scores(features.to_dict())["score2_diabetes"].risk
    assert hist.risks.loc[first, "score2_diabetes"] == pytest.approx(expected)
    model_then = trained_models["cvd10"].predict(features.to_frame().T.apply(pd.to_numeric, errors="coerce")).risk[0]
    assert hist.risks.loc[first, "cvd10"] == pytest.approx(model_then)
    assert hist.risks.loc[days[-1], "score2_diabetes"] != pytest.approx(expected)  # the risk moved over time


def test_input_trends_list_every_sbp_measured_up_to_the_index_date():
    r = sample_record(JP)
    sbp = [m for m in r.measurements if m.concept == "sbp"]
    v = assess(snapshot(r, SAMPLE_AS_OF), {}).snapshot
    trend = input_trends(v.tables, JP, SAMPLE_AS_OF)
    assert list(trend[trend["concept"] == "sbp"]["value"]) == [m.value for m in sbp]
    assert input_trends(v.tables, JP, date(2025, 1, 1)).query("concept == 'sbp'")["time"].max() < pd.Timestamp(
        "2025-01-02")
