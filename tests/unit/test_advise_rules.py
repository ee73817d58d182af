"""Each next-step rule, in a clinical scenario: fires, cites its guideline (name, year, class, level),
reads in
French and English with the patient's values, and is never re-offered to a patient who already receives it."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from risk.advise import NextStep, next_steps
from risk.advise.data import rules
from risk.advise.engine import check_registry
from tests.advise_scenarios import RULE_CASES, SCENARIOS, Obs, Scenario, models_for, scenario_features, scores_for


def _scenario(name: str) -> Scenario:
    return SCENARIOS[name]


def _steps(s: Scenario) -> dict[str, NextStep]:
    return {
        x.id: x
        for x in next_steps(scenario_features(s), scores_for(s), models_for(s), guideline_set=s.guideline_set)
    }


def test_every_rule_in_rules_json_has_a_function_and_a_scenario_case():
    check_registry()
    assert {r.id for r in rules()} == set(RULE_CASES)


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_fires_with_its_citation_and_both_languages(rule_id):
    scenario, guideline, year, klass, level, en, fr = RULE_CASES[rule_id]
    steps = _steps(_scenario(scenario))
    assert rule_id in steps, f"{rule_id} did not fire in {scenario}: got {sorted(steps)}"
    step = steps[rule_id]
    assert (step.guideline, step.year, step.recommendation_class, step.evidence_level) == (
        guideline,
        year,
        klass,
        level,
    )
    assert en in step.text_en
    assert fr in step.text_fr
    assert step.reference and step.confidence in {"V2+", "V1", "M"}
    assert step.triggered_by, "a step must say which inputs triggered it"


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_numbers_use_the_decimal_mark_of_each_language(rule_id):
    scenario = RULE_CASES[rule_id][0]
    step = _steps(_scenario(scenario))[rule_id]

    assert not re.search(r"\d\.\d", step.text_fr), step.text_fr  # "1.73" must read "1,73" in French
    assert not re.search(r"\d,\d", step.text_en), step.text_en  # and never the other way round
    assert step.text_fr != step.text_en


def test_grade_2_hypertension_drug_start_is_cited_I_A_and_grade_1_I_C():
    """ESC 2021 section 4.7: drug treatment for grade >=2 is I A; for grade 1 it rests on risk, lifetime
    benefit and organ damage (I C), so the grade-1 text says 'consider' and carries the lower grading."""
    base = _scenario("primary_high_risk_untreated_smoker")
    grade1 = _steps(base)["bp_drug_start_esc2021"]
    grade2_obs = tuple(
        replace(o, value=168) if o.concept == "sbp" else replace(o, value=102) if o.concept == "dbp" else o
        for o in base.observations
    )
    grade2 = _steps(replace(base, observations=grade2_obs))["bp_drug_start_esc2021"]
    assert (grade1.recommendation_class, grade1.evidence_level) == ("I", "C")
    assert grade1.text_en.startswith("Consider starting BP-lowering drug treatment: BP 150/92 mmHg")
    assert (grade2.recommendation_class, grade2.evidence_level) == ("I", "A")
    assert grade2.text_en.startswith("Start BP-lowering drug treatment: BP 168/102 mmHg (grade 2")
    assert grade2.text_fr.startswith("Débuter un traitement antihypertenseur")


def _with(s: Scenario, **values: float) -> Scenario:
    obs = tuple(replace(o, value=values[o.concept]) if o.concept in values else o for o in s.observations)
    return replace(s, observations=obs)


def test_esc2024_diastolic_only_miss_on_treatment_is_a_IIb_C_consider_not_an_I_A_intensify():
    """ESC 2024 Recommendation Table 18: the systolic target 120-129 mmHg is I A; a diastolic 70-79 mmHg target is
    only IIb C. Systolic at target with diastolic 84 must not read 'intensify treatment' graded I A."""
    base = _scenario("treated_hypertension_2025")  # 132/78: systolic above target
    systolic = _steps(base)["bp_above_target_esc2024"]
    assert (systolic.recommendation_class, systolic.evidence_level) == ("I", "A")
    assert "intensify treatment" in systolic.text_en
    diastolic = _steps(_with(base, sbp=126, dbp=84))["bp_above_target_esc2024"]
    assert (diastolic.recommendation_class, diastolic.evidence_level) == ("IIb", "C")
    assert diastolic.text_en.startswith("BP 126/84 mmHg on treatment: systolic at target, diastolic above it")
    assert "Consider lowering diastolic BP to 70-79 mmHg" in diastolic.text_en
    assert "Envisager d'abaisser la PAD à 70-79 mmHg" in diastolic.text_fr
    both = _steps(_with(base, sbp=138, dbp=86))["bp_above_target_esc2024"]
    assert (both.recommendation_class, both.evidence_level) == ("I", "A")
    at_target = _steps(_with(base, sbp=124, dbp=76))["bp_above_target_esc2024"]
    assert at_target.text_en.startswith("BP 124/76 mmHg at target on treatment")


def test_esc2024_elevated_bp_counts_moderate_or_severe_ckd_only_as_a_high_risk_condition():
    """ESC 2024 Recommendation Table 17 lists 'moderate or severe CKD' among the high-risk conditions: eGFR <60 or
    UACR >=3 mg/mmol, or a recorded stage G3-G5. A stage-2 CKD diagnosis with normal measurements does not count."""
    low_risk = replace(_scenario("elevated_bp_high_risk_2025"), scores={"score2": 0.04})
    assert "bp_elevated_esc2024" not in _steps(low_risk)
    kidney = (Obs(concept="egfr", value=75), Obs(concept="uacr", value=1.0))
    stage2 = replace(low_risk, diagnoses={"ckd_stage_2": 3.0}, observations=(*low_risk.observations, *kidney))
    assert "bp_elevated_esc2024" not in _steps(stage2)
    g3 = _with(replace(stage2, diagnoses={}), egfr=52)
    step = _steps(g3)["bp_elevated_esc2024"]
    assert "chronic kidney disease" in step.text_en
    a2 = _with(replace(stage2, diagnoses={}), uacr=4.0)
    assert "bp_elevated_esc2024" in _steps(a2)


def test_score2_diabetes_not_computed_in_heart_failure_says_it_does_not_apply():
    """Found by `risk panel` on a synthetic cohort: type 2 diabetes with heart failure and no SCORE2-Diabetes
    crashed the step (no 'not_applicable_hf' text for SCORE2-Diabetes, as SCORE2 and SCORE2-OP have)."""
    s = replace(_scenario("t2d_score_not_computable"), diagnoses={"diabetes_type2": 2, "heart_failure": 1})
    step = _steps(s)["risk_estimate_score2_diabetes"]
    assert step.text_en.startswith("SCORE2-Diabetes does not apply in heart failure")
    assert step.text_fr.startswith("SCORE2-Diabetes ne s'applique pas en cas d'insuffisance cardiaque")
