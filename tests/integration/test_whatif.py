"""What-if controls on a sample patient (risk.explain.whatif): sliders start at the patient's values in the lab's
units, and moving them rescores the equations and models."""

from __future__ import annotations

import pytest

from risk.explain.whatif import changes_from_controls, rescore, whatif_controls


def test_what_if_sliders_start_at_the_patients_values_in_the_lab_units(jp):
    controls = {c.key: c for c in whatif_controls(jp.snapshot.features, jp.units)}
    assert (controls["ldl"].unit, controls["ldl"].value, controls["ldl"].step) == ("g/L", 1.05, 0.01)
    assert (controls["sbp"].value, controls["hba1c"].value) == (154, 69)
    assert "smoking" not in controls  # a former smoker has nothing to stop
    untouched = {k: c.value for k, c in controls.items()}
    assert changes_from_controls(jp.snapshot.features, untouched, jp.units) == {}


def test_lowering_ldl_on_the_slider_lowers_total_and_non_hdl_cholesterol_by_the_same_amount(jp):
    row = jp.snapshot.features
    changes = changes_from_controls(row, {"ldl": 0.75}, jp.units)  # g/L
    drop = row["ldl"] - changes["ldl"]
    assert drop == pytest.approx(0.30 * 2.586, rel=1e-3)  # 0.30 g/L of cholesterol in mmol/L
    assert row["total_chol"] - changes["total_chol"] == pytest.approx(drop)
    assert row["non_hdl"] - changes["non_hdl"] == pytest.approx(drop)


def test_lower_sbp_lowers_every_published_equation_that_uses_it(jp, trained_models):
    after = rescore(jp.snapshot.frame, trained_models, {"sbp": 125.0, "sbp_mean3": 125.0},
                    model_names=[n for n, r in jp.scores.models.items() if r.risk is not None],
                    equation_names=[n for n, r in jp.scores.equations.items() if r.risk is not None])
    for name in ("score2_diabetes", "prevent_cvd", "prevent_ascvd"):
        assert after.equations[name] < jp.scores.equations[name].risk
    assert set(after.models) == {"cvd10", "retinopathy5"}
