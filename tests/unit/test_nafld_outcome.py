"""The NAFLD validation script's outcome: MI or stroke within ten years, death as a competing event
(validation/nafld.py; the run on the real cohort is in tests/integration/test_validation_nafld.py)."""

from __future__ import annotations

import pytest

from tests.paths import script_module


def test_nafld_outcome_counts_mi_or_stroke_within_ten_years_and_death_as_competing():
    import pandas as pd

    df = pd.DataFrame({"hard_ascvd_event": [1, 1, 0, 0], "hard_ascvd_days": [400, 4000, 3000, 3700],
                       "followup_days": [5000, 5000, 3000, 3700], "death": [0, 0, 1, 0]})
    lab = script_module("validation/nafld.py").outcome(df)
    assert list(lab["status"]) == [1, 0, 2, 0]
    assert lab["time"].iloc[0] == pytest.approx(400 / 365.25)
    assert lab["time"].iloc[3] == pytest.approx(3652 / 365.25)
