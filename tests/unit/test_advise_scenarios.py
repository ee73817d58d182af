"""Whole-patient scenarios: the right steps are offered, treatments in place are shown as done and never
offered again, model predictions are context only, and bad input is refused with a clear message."""

from __future__ import annotations

import pytest

from risk.advise import AdviceInputError, next_steps, risk_category
from tests.advise_scenarios import SCENARIOS, TREATMENT_FLAGS, Score, make_features, scenario_features, scores_for


def _run(s, models=None):
    f = scenario_features(s)
    return f, next_steps(f, scores_for(s), models, guideline_set=s.guideline_set)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_gets_its_expected_category_and_steps(name):
    s = SCENARIOS[name]
    f, steps = _run(s)
    offered = {x.id for x in steps if not x.already_done}
    done = {x.id for x in steps if x.already_done}
    if s.expect_category is not None:
        assert risk_category(f, scores_for(s), s.guideline_set).category == s.expect_category
    assert set(s.expect_steps) <= offered, f"{s.story}: offered {sorted(offered)}"
    assert set(s.expect_done) <= done, f"{s.story}: done {sorted(done)}"
    assert not (set(s.expect_absent) & (offered | done)), f"{s.story}: got {sorted(offered | done)}"
    assert len({x.id for x in steps}) == len(steps), "a rule appears at most once"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_treatment_the_patient_receives_is_never_offered_again(name):
    f, steps = _run(SCENARIOS[name])
    for step in steps:
        flags = TREATMENT_FLAGS.get(step.id, ())
        if any(f.get(flag) == 1 for flag in flags):
            assert step.already_done, f"{step.id} offered although {flags} is set: {step.text_en}"


def test_steps_are_ordered_by_urgency_with_steps_in_place_last():
    _, steps = _run(SCENARIOS["secondary_prevention_full_lipid_therapy_above_goal"])
    keys = [(s.already_done, s.priority) for s in steps]
    assert keys == sorted(keys)
    assert steps[-1].already_done and not steps[0].already_done


def test_treated_patient_gets_intensify_and_add_on_instead_of_start():
    untreated = {x.id: x for x in _run(SCENARIOS["primary_high_risk_untreated_smoker"])[1]}
    treated = {x.id: x for x in _run(SCENARIOS["primary_high_risk_on_statin_above_goal"])[1]}
    assert not untreated["statin_start"].already_done
    assert "Débuter une statine" in untreated["statin_start"].text_fr
    assert treated["statin_start"].already_done
    assert "Statine déjà prescrite" in treated["statin_start"].text_fr
    assert "check adherence" in treated["statin_intensify"].text_en
    assert "Débuter" not in treated["statin_start"].text_fr


def test_established_cvd_gets_secondary_prevention_without_any_score():
    s = SCENARIOS["secondary_prevention_untreated"]
    f = scenario_features(s)
    category = risk_category(f, {}, "esc2021")
    assert category.category == "very_high" and category.basis == "established_cvd"
    assert category.score_name is None
    ids = {x.id for x in next_steps(f, {})}
    assert {"statin_start", "antiplatelet_secondary"} <= ids
    assert not any(i.startswith("risk_estimate") for i in ids)


def test_model_predictions_are_shown_as_context_but_never_change_the_steps():
    s = SCENARIOS["t2d_with_ascvd_untreated"]
    models = {"cvd10": Score(0.31), "hf10": Score(0.12), "ckd5": Score(0.08)}
    _, without = _run(s)
    _, with_models = _run(s, models)
    assert [x.id for x in without] == [x.id for x in with_models]
    sglt2 = next(x for x in with_models if x.id == "sglt2i_t2d")
    assert {c.name: c.value for c in sglt2.context} == {"cvd10": 31.0, "hf10": 12.0}
    assert all(c.unit == "%" for c in sglt2.context)
    assert next(x for x in without if x.id == "sglt2i_t2d").context == ()


def test_triggering_inputs_carry_value_unit_and_date():
    _, steps = _run(SCENARIOS["primary_high_risk_untreated_smoker"])
    statin = next(x for x in steps if x.id == "statin_start")
    ldl = next(t for t in statin.triggered_by if t.name == "ldl")
    assert (ldl.value, ldl.unit) == (4.2, "mmol/L")
    assert ldl.date is not None and ldl.date.isoformat() == "2025-05-31"
    score = next(t for t in statin.triggered_by if t.name == "score2")
    assert (score.value, score.unit) == (8.0, "%")


def test_a_risk_given_in_percent_is_refused_not_misread():
    with pytest.raises(AdviceInputError, match="outside 0-1: risks must be fractions"):
        next_steps(make_features(age=60, ldl=3.0), {"score2": Score(8.0)})


def test_model_prediction_out_of_range_is_refused():
    with pytest.raises(AdviceInputError, match="model 'cvd10'"):
        next_steps(make_features(age=60), {}, {"cvd10": Score(-0.1)})


def test_unknown_guideline_set_and_region_are_refused_with_the_choices():
    with pytest.raises(AdviceInputError, match="use one of esc2021, esc_eas2025"):
        next_steps(make_features(), {}, guideline_set="esc2019")
    with pytest.raises(AdviceInputError, match="unknown SCORE2 risk region 'france'"):
        next_steps(make_features(), {}, region="france")


def test_a_flag_that_is_not_zero_or_one_is_refused():
    with pytest.raises(AdviceInputError, match="'smoking_current' should be 0 or 1"):
        next_steps(make_features(smoking_current=2), {})


def test_features_that_are_not_a_mapping_are_refused():
    with pytest.raises(AdviceInputError, match="mapping of column name to value"):
        next_steps([1, 2, 3], {})  # type: ignore[arg-type]


def test_a_row_with_nothing_recorded_gives_no_treatment_step():
    steps = next_steps(
        make_features(age=float("nan"), sex_male=float("nan"), smoking_current=float("nan")), {}
    )
    assert steps == []


def test_a_pandas_series_row_is_accepted():
    import pandas as pd

    s = SCENARIOS["primary_high_risk_untreated_smoker"]
    row = pd.Series(scenario_features(s))
    ids = {x.id for x in next_steps(row, scores_for(s), guideline_set=s.guideline_set)}
    assert "statin_start" in ids
