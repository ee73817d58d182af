"""What-if scenarios and trial-based estimates (issue 12): the LDL-C target is the patient's own goal, reaching it
means statin treatment (a PREVENT input), and trial relative risks stay within the trials' range and apply only to a
cardiovascular risk."""

from __future__ import annotations

import pandas as pd
import pytest

from risk.advise import ldl_goal
from risk.explain.whatif import scenarios, trial_estimates, what_if
from risk.features.build import row_frame
from risk.i18n.messages import message_text
from tests.advise_scenarios import make_features


def _row(**columns: float) -> pd.Series:
    return pd.Series(make_features(**columns), name="p1")


def test_the_ldl_scenario_targets_the_patients_goal_and_sets_statin_treatment():
    row = _row(ldl=3.4, total_chol=5.6, non_hdl=4.2, on_statin=0)
    (ldl,) = [s for s in scenarios(row, ldl_target=ldl_goal("very_high")) if s.key == "ldl"]
    assert ldl.changes["ldl"] == 1.4  # very high risk: < 1.4 mmol/L (ESC/EAS 2019), not the 1.8 of high risk
    assert ldl.changes["total_chol"] == pytest.approx(5.6 - 2.0)
    assert ldl.changes["on_statin"] == 1.0
    assert (ldl.label_en, ldl.label_fr) == ("LDL cholesterol 1.4 mmol/L", "LDL-cholestérol 1,4 mmol/L")
    (moderate,) = [s for s in scenarios(row, ldl_target=ldl_goal("moderate")) if s.key == "ldl"]
    assert moderate.changes["ldl"] == 2.6


def test_no_ldl_scenario_without_a_goal_or_at_goal_and_no_statin_change_when_on_one():
    row = _row(ldl=3.4, on_statin=1)
    assert "ldl" not in {s.key for s in scenarios(row, ldl_target=None)}
    assert "ldl" in {s.key for s in scenarios(row, ldl_target=ldl_goal("low"))}  # 3.4 > 3.0: offered
    assert "ldl" not in {s.key for s in scenarios(_row(ldl=2.9), ldl_target=ldl_goal("low"))}
    assert "on_statin" not in next(s for s in scenarios(_row(ldl=3.4, on_statin=1), ldl_target=1.8)).changes


def test_the_sbp_trial_estimate_stops_at_the_20_mmhg_the_trials_studied():
    row = _row(sbp=178.0, sbp_mean3=178.0)
    (sbp,) = [s for s in scenarios(row) if s.key == "sbp"]
    (estimate,) = trial_estimates(row, sbp, current_risk=0.20)
    assert estimate.relative_risk == pytest.approx(0.8**2, abs=1e-3)  # 20 mmHg, not the 48 mmHg to 130
    assert estimate.risk_after == pytest.approx(0.20 * 0.64, abs=1e-4)
    assert (
        message_text(estimate.effect, "en")
        == "SBP -20 mmHg (estimate stops at the 20 mmHg reduction studied in the trials)"
    )
    assert message_text(estimate.effect, "fr").startswith("PAS -20 mmHg (estimation arrêtée à la baisse de 20 mmHg")
    modest = _row(sbp=142.0, sbp_mean3=142.0)
    (est,) = trial_estimates(modest, scenarios(modest)[0], current_risk=0.10)
    assert message_text(est.effect, "en") == "SBP -12 mmHg"


def test_the_ldl_trial_estimate_stops_at_3_mmol_per_litre():
    row = _row(ldl=5.0)
    (ldl,) = [s for s in scenarios(row, ldl_target=1.4) if s.key == "ldl"]
    (estimate,) = trial_estimates(row, ldl, current_risk=0.10)
    assert estimate.relative_risk == pytest.approx(0.78**3, abs=1e-3)
    assert "estimate stops at the 3.0 mmol/L" in message_text(estimate.effect, "en")
    assert "3,0 mmol/L" in message_text(estimate.effect, "fr")


def test_trial_estimates_apply_only_to_a_cardiovascular_risk():
    frame = row_frame(_row(sbp=150.0, sbp_mean3=150.0, ldl=3.0, smoking_current=1.0))
    cardiovascular = what_if(frame, {}, {}, equations=False, reference=0.12, reference_name="score2", ldl_target=1.8)
    assert {s.scenario.key for s in cardiovascular} == {"sbp", "ldl", "smoking", "all"}
    assert all(s.trial_estimates for s in cardiovascular)
    kidney = what_if(frame, {}, {}, equations=False, reference=0.12, reference_name="ckd5", ldl_target=1.8)
    assert [s.trial_estimates for s in kidney] == [[], [], [], []]
