"""The external check on the real NAFLD cohort runs from validation/nafld.py and its figure is in the card."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT.parent / "shared" / "datasets" / "nafld_cohort.csv"


def _script():
    spec = importlib.util.spec_from_file_location("nafld_check", ROOT / "validation" / "nafld.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not CSV.is_file(), reason="shared/datasets/nafld_cohort.csv is not beside the repository")
def test_nafld_check_reproduces_the_figure_written_in_the_cvd10_card():
    result = _script().run(CSV, ROOT / "models")
    stored = json.loads((ROOT / "models" / "cvd10" / "external_nafld.json").read_text())
    assert result["n"] == stored["n"] and result["events_10y"] == stored["events_10y"]
    assert result["c_index"] == pytest.approx(stored["c_index"], abs=1e-9)
    card = (ROOT / "models" / "cvd10" / "card.md").read_text()
    assert f"C-index {stored['c_index']:.3f}" in card and "NAFLD" in card
    assert 0.5 < result["c_index"] < 1.0


def test_nafld_outcome_counts_mi_or_stroke_within_ten_years_and_death_as_competing():
    import pandas as pd

    df = pd.DataFrame({"hard_ascvd_event": [1, 1, 0, 0], "hard_ascvd_days": [400, 4000, 3000, 3700],
                       "followup_days": [5000, 5000, 3000, 3700], "death": [0, 0, 1, 0]})
    lab = _script().outcome(df)
    assert list(lab["status"]) == [1, 0, 2, 0]
    assert lab["time"].iloc[0] == pytest.approx(400 / 365.25)
    assert lab["time"].iloc[3] == pytest.approx(3652 / 365.25)
