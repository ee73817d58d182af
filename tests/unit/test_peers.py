"""Risk communication (risk.explain.peers): n in 100 and the icon array."""

from __future__ import annotations

import pytest

from risk.explain.peers import icon_counts, n_in_100


@pytest.mark.parametrize(("risk", "n"), [(0.0, 0), (0.004, 1), (0.124, 12), (0.125, 13), (0.999, 100)])
def test_risk_as_n_in_100_never_says_zero_for_a_non_zero_risk(risk, n):
    assert n_in_100(risk) == n


def test_icon_array_splits_events_into_peer_and_extra_and_always_shows_100_people():
    assert icon_counts(0.16, 0.11) == {"peer": 11, "extra": 5, "none": 84}
    assert icon_counts(0.05, 0.08) == {"peer": 5, "extra": 0, "none": 95}  # below the peer: no "extra" icon
    assert sum(icon_counts(0.33).values()) == 100
