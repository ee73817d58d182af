"""Explanations of a sample patient (risk.explain): the healthy peer, and factor evidence worded in French with
the lab's units and French dates."""

from __future__ import annotations

import pytest

from risk.assess.assessment import assess
from risk.assess.snapshot import snapshot
from risk.explain.peers import healthy_peer
from risk.explain.wording import factor_evidence, summary
from tests.app_fixtures import SAMPLE_AS_OF, sample_record


def test_healthy_peer_of_a_smoker_with_high_cholesterol_has_a_lower_score2_risk():
    r = sample_record("fr-karim-benali")  # current smoker, LDL 1.98 g/L
    res = assess(snapshot(r, SAMPLE_AS_OF), {})
    peers = healthy_peer(res.snapshot.frame, {}, res.current_risks())
    assert peers == res.peers  # the Assessment holds the same comparison
    assert peers["score2"].risk == pytest.approx(float(res.scores.equations["score2"].risk))
    assert peers["score2"].peer_risk < peers["score2"].risk
    assert peers["score2"].relative_risk > 1.5


def test_factor_evidence_reads_in_french_with_lab_units_and_french_dates(jp):
    expl = jp.explanations["cvd10"]
    row = jp.snapshot.features
    lipids = next(f for f in expl.factors if f.key == "lipids")
    text = " ".join(factor_evidence(lipids, row, "fr", jp.units, limit=5))
    assert "g/L" in text and "14/09/2026" in text
    assert summary(expl, row, "fr", jp.units).startswith("Principaux facteurs : ")
