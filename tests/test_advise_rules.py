"""Each next-step rule, in a clinical scenario: fires, cites its guideline (name, year, class, level),
reads in
French and English with the patient's values, and is never re-offered to a patient who already receives it."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from advise_scenarios import SCENARIOS, Obs, Scenario, models_for, scenario_features, scores_for

from risk.advise import NextStep, next_steps
from risk.advise.data import rules
from risk.advise.engine import check_registry

# rule id -> (scenario, guideline short name, year, class, level, English fragment, French fragment)
RULE_CASES: dict[str, tuple[str, str, int, str, str, str, str]] = {
    "risk_estimate_score2": (
        "primary_high_risk_untreated_smoker",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "B",
        "SCORE2, low-risk region): 8.0%, high risk (age 50-69 y)",
        "SCORE2, région à risque faible)\u00a0: 8,0\u202f%, risque élevé (âge 50-69 ans)",
    ),
    "risk_estimate_score2_op": (
        "older_primary_prevention_high_risk",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "B",
        "SCORE2-OP, low-risk region): 16.0%, very high risk",
        "16,0\u202f%, risque très élevé",
    ),
    "risk_estimate_score2_diabetes": (
        "t2d_score_not_computable",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "B",
        "SCORE2-Diabetes",
        "renseigner HbA1c",
    ),
    "statin_start": (
        "primary_high_risk_untreated_smoker",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "A",
        "Start a statin: LDL-C 4.20 mmol/L is above the goal of <1.8 mmol/L",
        "Débuter une statine\u00a0: LDL-c 4,20 mmol/L (1,62 g/L), au-dessus de l'objectif < 1,8 mmol/L",
    ),
    "statin_start_older_primary": (
        "older_primary_prevention_high_risk",
        "ESC 2021 CVD prevention",
        2021,
        "IIb",
        "B",
        "Consider starting a statin for primary prevention (age ≥70",
        "Envisager une statine en prévention primaire",
    ),
    "statin_intensify": (
        "primary_high_risk_on_statin_above_goal",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "A",
        "LDL-C 2.60 mmol/L is above the goal of <1.8 mmol/L on a statin: check adherence",
        "LDL-c 2,60 mmol/L (1,01 g/L) au-dessus de l'objectif < 1,8 mmol/L sous statine",
    ),
    "ezetimibe_add": (
        "primary_high_risk_on_statin_above_goal",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "B",
        "Add ezetimibe",
        "Ajouter l'ézétimibe",
    ),
    "pcsk9_add": (
        "secondary_prevention_full_lipid_therapy_above_goal",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "A",
        "add a PCSK9 inhibitor, as LDL-C 1.90 mmol/L",
        "ajouter un inhibiteur de PCSK9, le LDL-c (1,90",
    ),
    "lipid_lifestyle": (
        "moderate_risk_lipid_lifestyle_2025",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "IIa",
        "A",
        "Lifestyle measures for LDL-C 3.40 mmol/L (goal <2.6 mmol/L at moderate cardiovascular risk)",
        "Mesures hygiéno-diététiques pour un LDL-c à 3,40 mmol/L (1,31 g/L ; objectif < 2,6",
    ),
    "bp_drug_start_esc2021": (  # grade 1: ESC 2021 'treatment initiation based on absolute CVD risk ...' I C
        "primary_high_risk_untreated_smoker",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "C",
        "Consider starting BP-lowering drug treatment: BP 150/92 mmHg (grade 1 hypertension at high",
        "Envisager un traitement antihypertenseur\u00a0: PA 150/92 mmHg (HTA grade 1",
    ),
    "bp_lifestyle_first_esc2021": (
        "grade1_hypertension_low_risk",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "A",
        "lifestyle measures for 3-6 months",
        "mesures hygiéno-diététiques pendant 3 à 6 mois",
    ),
    "bp_above_target_esc2021": (
        "treated_hypertension_above_target",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "A",
        "BP 142/84 mmHg is above target on treatment (target: SBP 120-130 mmHg",
        "PA 142/84 mmHg au-dessus de la cible sous traitement",
    ),
    "bp_drug_start_esc2024": (
        "grade1_hypertension_low_risk_2025",
        "ESC 2024 elevated BP and hypertension",
        2024,
        "I",
        "A",
        "BP 145/88 mmHg (hypertension, ≥140/90 mmHg)",
        "PA 145/88 mmHg (hypertension",
    ),
    "bp_elevated_esc2024": (
        "elevated_bp_high_risk_2025",
        "ESC 2024 elevated BP and hypertension",
        2024,
        "I",
        "A",
        "Elevated BP 134/84 mmHg with 10-year risk 12.0% (≥10%)",
        "PA élevée 134/84 mmHg avec risque à 10 ans 12,0\u202f%",
    ),
    "bp_above_target_esc2024": (
        "treated_hypertension_2025",
        "ESC 2024 elevated BP and hypertension",
        2024,
        "I",
        "A",
        "BP 132/78 mmHg is above target on treatment (target: SBP 120-129 mmHg",
        "PA 132/78 mmHg au-dessus de la cible",
    ),
    "smoking_cessation": (
        "primary_high_risk_untreated_smoker",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "A",
        "advise stopping all tobacco use",
        "conseiller l'arrêt complet du tabac",
    ),
    "smoking_cessation_support": (
        "primary_high_risk_untreated_smoker",
        "ESC 2021 CVD prevention",
        2021,
        "IIa",
        "A",
        "varenicline or bupropion",
        "varénicline ou bupropion",
    ),
    "antiplatelet_secondary": (
        "secondary_prevention_untreated",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "A",
        "aspirin 75-100 mg daily",
        "aspirine 75-100 mg/j",
    ),
    "sglt2i_t2d": (
        "t2d_with_ckd_on_ace_inhibitor",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "A",
        "Start an SGLT2 inhibitor with proven cardiovascular and kidney benefit (chronic kidney disease)",
        "Débuter un inhibiteur de SGLT2 (gliflozine) au bénéfice cardiovasculaire et rénal démontré "
        "(maladie rénale chronique)",
    ),
    "glp1ra_t2d_ascvd": (
        "t2d_with_ascvd_untreated",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "A",
        "Start a GLP-1 receptor agonist",
        "Débuter un agoniste du récepteur du GLP-1",
    ),
    "sglt2i_or_glp1ra_high_risk": (
        "t2d_high_score_without_organ_damage",
        "ESC 2023 CVD in diabetes",
        2023,
        "IIb",
        "C",
        "SCORE2-Diabetes 14.0%, high risk",
        "SCORE2-Diabetes 14,0\u202f%, risque élevé",
    ),
    "finerenone_t2d_ckd": (
        "t2d_with_ckd_on_ace_inhibitor",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "A",
        "Add finerenone to an ACE inhibitor or ARB (type 2 diabetes with CKD: eGFR 48 mL/min/1.73 m², "
        "UACR 12.0 mg/mmol)",
        "Ajouter la finérénone à un IEC ou un ARA2 (diabète de type 2 avec "
        "maladie rénale chronique\u00a0: DFGe 48 mL/min/1,73 m², RAC 12,0 mg/mmol)",
    ),
    "ras_blockade_diabetes_albuminuria": (
        "t2d_albuminuria_hypertension_without_ras",
        "KDIGO 2022 diabetes in CKD",
        2022,
        "1",
        "B",
        "UACR 8.0 mg/mmol",
        "RAC 8,0 mg/mmol",
    ),
    "hba1c_above_target": (
        "t2d_with_ascvd_untreated",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "A",
        "HbA1c 64 mmol/mol (8.0%) is above the usual target of <53 mmol/mol (7%)",
        "HbA1c 64 mmol/mol (8,0\u202f%) au-dessus de la cible habituelle < 53 mmol/mol (7\u202f%)",
    ),
    "kidney_monitoring": (
        "t2d_with_ckd_on_ace_inhibitor",
        "KDIGO 2012 CKD",
        2012,
        "PP",
        "not graded",
        "Monitor eGFR and UACR twice a year (KDIGO G3aA2",
        "Surveiller DFGe et RAC 2 fois par an",
    ),
    "nephrology_referral": (
        "ckd_g4_a3_referral",
        "KDIGO 2012 CKD",
        2012,
        "1",
        "B",
        "Refer to nephrology: eGFR 25 mL/min/1.73 m² (<30), UACR 40.0 mg/mmol (≥30)",
        "Adresser au néphrologue\u00a0: DFGe 25 mL/min/1,73 m² (< 30), RAC 40,0 mg/mmol",
    ),
    "nephrology_referral_kfre": (
        "ckd_referral_by_kfre",
        "KDIGO 2024 CKD",
        2024,
        "PP",
        "not graded",
        "5-year kidney failure risk (KFRE) 6.0% (≥5%)",
        "(KFRE) 6,0\u202f%",
    ),
    "nephrology_referral_consider_kfre": (
        "ckd_consider_referral_by_kfre",
        "KDIGO 2024 CKD",
        2024,
        "PP",
        "not graded",
        "Consider nephrology referral",
        "Envisager un avis néphrologique",
    ),
}


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
