"""The external check on the real NAFLD cohort runs from validation/nafld.py and its figure is in the card."""

from __future__ import annotations

import json

import pytest

from tests.paths import REPO, SHARED, script_module

ROOT = REPO
CSV = SHARED / "datasets" / "nafld_cohort.csv"


@pytest.mark.skipif(not CSV.is_file(), reason="shared/datasets/nafld_cohort.csv is not beside the repository")
def test_nafld_check_reproduces_the_figure_written_in_the_cvd10_card():
    result = script_module("validation/nafld.py").run(CSV, ROOT / "models")
    stored = json.loads((ROOT / "models" / "cvd10" / "external_nafld.json").read_text())
    assert result["n"] == stored["n"] and result["events_10y"] == stored["events_10y"]
    assert result["c_index"] == pytest.approx(stored["c_index"], abs=1e-9)
    card = (ROOT / "models" / "cvd10" / "card.md").read_text()
    assert f"C-index {stored['c_index']:.3f}" in card and "NAFLD" in card
    assert 0.5 < result["c_index"] < 1.0
