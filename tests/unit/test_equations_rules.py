"""Rules of the published equations beyond the worked examples: coefficient choices, documented decisions,
derivation-range reporting, model selection, and which equation applies to whom (and why not).

Expected values come from public sources named in each test (the authors' Stata programs, package
documentation); none is produced by this library.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.equations import (
    EquationResult,
    KfreFallbackWarning,
    ckd_epi_2021,
    derivation_range_check,
    derivation_range_issues,
    kfre,
    kfre_result,
    prevent,
    prevent_model,
    reference_scores,
    score2,
    score2_diabetes,
    score2_range_warnings,
    score2_risk_age,
    withheld_reason,
)
from risk.equations.score2 import (
    SCORE2_MEN,
    SCORE2_OP_MEN,
    SCORE2_OP_SCALES,
    SCORE2_OP_WOMEN,
    SCORE2_SCALES,
    recalibrate,
    score2_model_name,
)
from tests.equation_cases import (
    HEALTHY_55_PREVENT,
    HEALTHY_55_SCORE2,
    T2D_CKD_62,
    T2D_CKD_62_KFRE,
    T2D_CKD_62_PREVENT,
    T2D_CKD_62_SCORE2_DIABETES,
    features,
)

MALE_50 = dict(sex="male", age=50, smoker=True, sbp=140, total_chol=5.5, hdl=1.3)
MALE_75_SMOKER_VERY_HIGH = dict(
    sex="male", age=75, smoker=True, sbp=140, total_chol=6.0, hdl=1.3, region="very_high"
)
PREVENT_WOMAN = dict(
    sex="female",
    age=50,
    smoker=False,
    sbp=160,
    total_chol=200 / 38.67,
    hdl=45 / 38.67,
    egfr=90,
    bmi=35,
    diabetes=True,
    on_antihypertensive=True,
    on_statin=False,
)


# ------------------------------------------------------------------------------------------- SCORE2-OP
def test_score2_op_uses_the_published_rounded_coefficients_not_the_unrounded_stata_ones():
    # Published SCORE2-OP (Eur Heart J 2021;42:2455, 4 dp) as in score2oprisk.ado `rounded(1)`.
    men, women = SCORE2_OP_MEN, SCORE2_OP_WOMEN
    assert (men.age, men.smoking, men.sbp, men.total_chol, men.hdl) == (
        0.0634,
        0.3524,
        0.0094,
        0.0850,
        -0.3564,
    )
    assert (men.mean_linear_predictor, men.baseline_survival) == (0.0929, 0.7576)
    assert (women.mean_linear_predictor, women.baseline_survival) == (0.2288, 0.8082)
    assert SCORE2_OP_SCALES[("very_high", True)] == (0.05, 0.70)
    # The worked example TV034 is 40.8 % with the rounded set and 40.52 % with the unrounded .ado values.
    risk = score2(**MALE_75_SMOKER_VERY_HIGH) * 100
    assert abs(risk - 40.8) <= 0.06
    assert abs(risk - 40.52) > 0.2


def test_score2_op_applies_its_diabetes_term_from_age_70():
    without = score2(**{**MALE_75_SMOKER_VERY_HIGH, "region": "low"})
    with_dm = score2(**{**MALE_75_SMOKER_VERY_HIGH, "region": "low"}, diabetes=True)
    assert with_dm > without
    assert score2_model_name(70) == "SCORE2-OP"
    assert score2_model_name(69.9) == "SCORE2"


# -------------------------------------------------------------------------------------- SCORE2 40-69
def test_score2_below_70_refuses_diabetes_and_points_to_score2_diabetes():
    with pytest.raises(ValueError, match="score2_diabetes"):
        score2(**MALE_50, diabetes=True)


def test_score2_40_to_69_has_no_diabetes_term():
    # The published abstract value (5.9 %, low region) is reproduced with the diabetes term left at 0 ...
    assert abs(score2(**MALE_50) * 100 - 5.9) <= 0.06
    # ... and applying the fitted diabetes coefficient (the known error) would give a very different number.
    c = SCORE2_MEN
    cage, csbp, ctc, chdl = (50 - 60) / 5, (140 - 120) / 20, 5.5 - 6, (1.3 - 1.3) / 0.5
    lp = (
        c.age * cage
        + c.smoking
        + c.sbp * csbp
        + c.total_chol * ctc
        + c.hdl * chdl
        + c.smoking_age * cage
        + c.sbp_age * csbp * cage
        + c.total_chol_age * ctc * cage
        + c.hdl_age * chdl * cage
    )
    with_dm_term = recalibrate(
        1 - c.baseline_survival ** math.exp(lp + c.diabetes + c.diabetes_age * cage), -0.569857, 0.747593
    )
    assert with_dm_term * 100 > 9.0


def test_score2_region_scales_use_the_six_decimal_stata_values():
    assert SCORE2_SCALES[("low", True)] == (-0.569857, 0.747593)
    assert SCORE2_SCALES[("very_high", False)] == (0.941177, 0.832923)


def test_region_names_are_normalised_and_unknown_regions_are_rejected():
    assert score2(**MALE_50, region="very high") == score2(**MALE_50, region="very_high")
    assert score2(**MALE_50, region="Very-High") == score2(**MALE_50, region="very_high")
    with pytest.raises(ValueError, match="low, moderate, high, very_high"):
        score2(**MALE_50, region="france")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sex", "unknown", "sex must be 'male' or 'female'"),
        ("total_chol", -5.0, "Total cholesterol -5 mmol/L is not a plausible value"),
        ("sbp", 400, "Systolic BP 400 mmHg is not a plausible value"),
        ("hdl", 6.0, "HDL cholesterol"),
        ("age", 10, "age 10 years is not a plausible value"),
        ("smoker", "yes", "smoker must be True or False"),
        ("sbp", float("nan"), "Systolic BP is missing"),
    ],
)
def test_impossible_score2_input_raises_a_clear_value_error(field, value, message):
    with pytest.raises(ValueError, match=message):
        score2(**{**MALE_50, field: value})


def test_hdl_above_total_cholesterol_is_rejected_as_a_unit_or_typing_error():
    with pytest.raises(ValueError, match="cannot be equal to or above total cholesterol"):
        score2(**{**MALE_50, "total_chol": 1.2, "hdl": 1.3})


def test_score2_range_warnings_name_the_derivation_range_in_plain_words():
    assert score2_range_warnings(**MALE_50) == []
    young = score2_range_warnings(**{**MALE_50, "age": 35})
    assert young == [
        "age 35 years is below the range SCORE2 was derived in (40-69 years); "
        "the estimate is an extrapolation"
    ]
    old = score2_range_warnings(**{**MALE_50, "age": 92})
    assert any("70-89 years" in w for w in old)
    high_bp = score2_range_warnings(**{**MALE_50, "sbp": 185})
    assert any("systolic blood pressure 185 mmHg is above" in w for w in high_bp)
    # the function still computes outside the ranges: the number and the warning go together
    assert 0 < score2(**{**MALE_50, "age": 35}) < 1


def test_french_gL_cholesterol_typed_as_mmol_per_L_is_flagged_by_the_range_warning():
    # 2.1 g/L total and 0.5 g/L HDL entered as if mmol/L: plausible numbers, but non-HDL 1.6 mmol/L is far
    # below anything SCORE2 was charted for, so the warning tells the user to look again.
    warnings_ = score2_range_warnings(**{**MALE_50, "total_chol": 2.1, "hdl": 0.5})
    assert any("non-HDL cholesterol 1.6 mmol/L is below" in w for w in warnings_)


def test_score2_risk_age_matches_the_authors_stata_approximation():
    # score2risk.ado `riskage1` (ideal: non-smoker, SBP 135, TC 4.7 M / 4.9 F, HDL 1.3 M / 1.5 F), fitted as
    # a + b ln(risk %) + c risk %^p per region and sex. The exact inversion must agree within half a year.
    fitted = {
        ("low", "male"): (31.8020, 17.0321, 0.1062, 1),
        ("low", "female"): (42.2955, 14.4114, 0.0885, 1),
        ("very_high", "male"): (20.9922, 15.6804, 0.0015, 2),
        ("very_high", "female"): (30.8637, 12.3014, 0.0013, 2),
    }
    for (region, sex), (a, b, c, p) in fitted.items():
        for age, smoker, sbp in [(45, True, 150), (55, False, 140), (60, True, 130)]:
            inputs = dict(sex=sex, age=age, smoker=smoker, sbp=sbp, total_chol=5.5, hdl=1.3, region=region)
            risk_pct = score2(**inputs) * 100
            expected = a + b * math.log(risk_pct) + c * risk_pct**p
            assert score2_risk_age(**inputs) == pytest.approx(expected, abs=0.5)


def test_risk_age_of_a_person_with_the_ideal_profile_is_their_own_age():
    ideal = dict(sex="female", age=57, smoker=False, sbp=135, total_chol=4.9, hdl=1.5)
    assert score2_risk_age(**ideal) == pytest.approx(57, abs=0.01)


# ----------------------------------------------------------------------------------------- SCORE2-Diabetes
def test_score2_diabetes_rejects_a_diagnosis_age_after_the_current_age():
    with pytest.raises(ValueError, match="age at diabetes diagnosis 65 years is not a plausible value"):
        score2_diabetes(
            sex="male",
            age=60,
            smoker=False,
            sbp=140,
            total_chol=5.5,
            hdl=1.3,
            hba1c=50,
            egfr=90,
            age_at_diabetes_diagnosis=65,
        )


def test_score2_diabetes_rises_with_hba1c():
    base = dict(
        sex="female",
        age=60,
        smoker=False,
        sbp=140,
        total_chol=5.5,
        hdl=1.3,
        egfr=90,
        age_at_diabetes_diagnosis=55,
    )
    assert score2_diabetes(**base, hba1c=75) > score2_diabetes(**base, hba1c=48)


# ----------------------------------------------------------------------------------------------- PREVENT
def test_prevent_base_model_reproduces_the_preventr_readme_example():
    # preventr README (CRAN 0.11.0): woman 50, SBP 160 treated, TC 200 / HDL 45 mg/dL, diabetes, BMI 35,
    # eGFR 90 -> 10-year total CVD 0.147, ASCVD 0.092, heart failure 0.081 (rounded to 3 dp).
    assert round(prevent(**PREVENT_WOMAN, outcome="cvd"), 3) == 0.147
    assert round(prevent(**PREVENT_WOMAN, outcome="ascvd"), 3) == 0.092
    assert round(prevent(**PREVENT_WOMAN, outcome="hf"), 3) == 0.081


def test_prevent_model_is_selected_by_which_optional_labs_are_given():
    assert prevent_model() == "base"
    assert prevent_model(hba1c=53.0) == "hba1c"
    assert prevent_model(uacr=3.4) == "uacr"
    assert prevent_model(hba1c=53.0, uacr=3.4) == "full"
    assert prevent_model(hba1c=float("nan"), uacr=None) == "base"
    risks = {
        prevent(**PREVENT_WOMAN, hba1c=h, uacr=u)
        for h, u in [(None, None), (53.0, None), (None, 3.4), (53.0, 3.4)]
    }
    assert len(risks) == 4  # four different coefficient sets


def test_prevent_hba1c_is_converted_from_mmol_per_mol_to_percent_before_use():
    # At HbA1c 5.3 % (the centring value, 34.41 mmol/mol) the HbA1c term is zero, so the result is the
    # HbA1c model's intercept path; at 6.3 % it rises by exactly the diabetes-HbA1c coefficient (log-odds).
    at_centre = prevent(**PREVENT_WOMAN, hba1c=(5.3 - 2.152) / 0.09148)
    one_point_up = prevent(**PREVENT_WOMAN, hba1c=(6.3 - 2.152) / 0.09148)
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert logit(one_point_up) - logit(at_centre) == pytest.approx(0.1338348, abs=1e-9)


def test_prevent_uacr_below_point_one_mg_per_g_is_floored_as_in_the_developers_code():
    tiny = prevent(**PREVENT_WOMAN, uacr=0.001)  # 0.00884 mg/g
    floor = prevent(**PREVENT_WOMAN, uacr=0.1 / 8.84)
    assert tiny == pytest.approx(floor, abs=1e-12)
    messages = derivation_range_issues("prevent", **PREVENT_WOMAN, uacr=0.001)
    assert any("entered as 0.1 mg/g" in m for m in messages)


def test_prevent_heart_failure_is_withheld_when_bmi_is_outside_18_5_to_40():
    obese = {**PREVENT_WOMAN, "bmi": 41.0}
    reason = withheld_reason("prevent_hf", **obese)
    assert reason is not None and "BMI 41 kg/m²" in reason
    assert withheld_reason("prevent", **obese, outcome="cvd") is None  # BMI is not in the CVD equation ...
    assert any("BMI 41 kg/m² is above" in m for m in derivation_range_issues("prevent_cvd", **obese))  # ...
    assert withheld_reason("prevent_hf", **{**PREVENT_WOMAN, "bmi": 39.95}) is None
    assert withheld_reason("prevent_hf", **{**PREVENT_WOMAN, "bmi": 18.4}) is not None


def test_range_checks_are_inclusive_and_tolerant_of_floating_point_noise():
    at_bounds = dict(
        sex="female",
        age=30,
        smoker=True,
        sbp=199.99999999999997,
        total_chol=130 / 38.67,
        hdl=20 / 38.67,
        egfr=15,
        bmi=18.500000000000004,
        diabetes=False,
        on_antihypertensive=False,
        on_statin=True,
    )
    for outcome in ("cvd", "ascvd", "hf"):
        assert derivation_range_check("prevent", **at_bounds, outcome=outcome) == []
    beyond = derivation_range_issues("prevent", **{**at_bounds, "sbp": 201.0})
    assert beyond == [
        "systolic blood pressure 201 mmHg is above the range PREVENT was derived in "
        "(90-200 mmHg); the estimate is an extrapolation"
    ]


def test_prevent_heart_failure_needs_bmi_but_not_cholesterol():
    hf_only = {**PREVENT_WOMAN, "total_chol": None, "hdl": None, "on_statin": None}
    assert 0 < prevent(**hf_only, outcome="hf") < 1
    with pytest.raises(ValueError, match="total_chol is required for PREVENT total cardiovascular disease"):
        prevent(**hf_only, outcome="cvd")
    with pytest.raises(ValueError, match="bmi is required for PREVENT heart failure"):
        prevent(**{**PREVENT_WOMAN, "bmi": None}, outcome="hf")


def test_unknown_equation_name_and_outcome_are_rejected():
    with pytest.raises(ValueError, match="unknown equation 'framingham'"):
        derivation_range_issues("framingham", age=50)
    with pytest.raises(ValueError, match="outcome must be one of cvd, ascvd, hf"):
        prevent(**PREVENT_WOMAN, outcome="stroke")


# -------------------------------------------------------------------------------------------------- KFRE
KFRE_MAN = dict(sex="male", age=55, egfr=45, uacr=120 / 8.84)


def test_kfre_north_american_calibration_matches_the_kfre_package_documentation():
    # kfre (CRAN 0.0.2) vignette: male 55, eGFR 45, uACR 120 mg/g, 4-variable North America:
    # 2-year 0.01247073, 5-year 0.03842137; female 72, eGFR 28, uACR 800 mg/g: 2-year 0.09997874.
    assert kfre(**KFRE_MAN, years=2, north_american=True) == pytest.approx(0.01247073, abs=5e-9)
    assert kfre(**KFRE_MAN, years=5, north_american=True) == pytest.approx(0.03842137, abs=5e-9)
    assert kfre(
        sex="female", age=72, egfr=28, uacr=800 / 8.84, years=2, north_american=True
    ) == pytest.approx(0.09997874, abs=5e-9)


def test_kfre_defaults_to_the_non_north_american_calibration_which_predicts_lower_risk():
    assert kfre(**KFRE_MAN) < kfre(**KFRE_MAN, north_american=True)


def test_kfre_with_some_extra_labs_falls_back_to_4_variable_and_says_so():
    with pytest.warns(KfreFallbackWarning, match="bicarbonate, calcium, phosphate are missing"):
        partial = kfre(**KFRE_MAN, albumin=38.0)
    assert partial == kfre(**KFRE_MAN)
    detail = kfre_result(**KFRE_MAN, albumin=38.0)
    assert detail.model == "4-variable" and detail.missing_for_8_variable == (
        "bicarbonate",
        "calcium",
        "phosphate",
    )
    assert any("4-variable KFRE used" in m for m in derivation_range_issues("kfre", **KFRE_MAN, albumin=38.0))


def test_kfre_uses_8_variable_equation_when_all_four_labs_are_present():
    labs = dict(albumin=42.0, bicarbonate=24.0, calcium=2.27, phosphate=1.07)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        full = kfre_result(**KFRE_MAN, **labs)
    assert full.model == "8-variable" and full.notes == ()
    assert full.risk != kfre(**KFRE_MAN)
    # the single-source non-North-American 8-variable baseline is flagged
    assert any(
        "8-variable KFRE outside North America" in m
        for m in derivation_range_issues("kfre", **KFRE_MAN, **labs)
    )


def test_kfre_8_variable_lab_units_use_the_exact_conversion_factors():
    # Labs exactly at the development-cohort means (albumin 3.997 g/dL, phosphate 3.916 mg/dL, bicarbonate
    # 25.57 mEq/L, calcium 9.355 mg/dL) cancel out, leaving only the 4 core terms of the 8-variable model.
    at_means = dict(albumin=39.97, phosphate=3.916 / 3.097, bicarbonate=25.57, calcium=9.355 / 4.008)
    result = kfre_result(**KFRE_MAN, **at_means, north_american=True, years=2)
    lp = (
        -0.1992 * (5.5 - 7.036)
        + 0.1602 * (1 - 0.5642)
        - 0.4919 * (9 - 7.222)
        + 0.3364 * (math.log(120) - 5.137)
    )
    assert result.risk == pytest.approx(1 - 0.9780 ** math.exp(lp), rel=1e-12)


def test_kfre_rejects_impossible_or_unsupported_input():
    with pytest.raises(ValueError, match="years must be 2 or 5"):
        kfre(**KFRE_MAN, years=10)
    with pytest.raises(ValueError, match="UACR must be above 0"):
        kfre(**{**KFRE_MAN, "uacr": 0.0})
    with pytest.raises(ValueError, match="Calcium 9.4 mmol/L is not a plausible value"):
        kfre(**KFRE_MAN, albumin=40, bicarbonate=24, phosphate=1.0, calcium=9.4)  # mg/dL typed as mmol/L


def test_kfre_warns_when_egfr_is_not_below_60():
    assert derivation_range_issues("kfre", **{**KFRE_MAN, "egfr": 65}) == [
        "eGFR 65 mL/min/1.73 m² is not below 60: KFRE was developed and validated in CKD stages G3-G5 "
        "(eGFR < 60); the estimate is an extrapolation"
    ]


# ------------------------------------------------------------------------------------------------ CKD-EPI
def test_ckd_epi_2021_takes_creatinine_in_umol_per_l_and_adults_only():
    assert ckd_epi_2021(sex="male", age=70, creatinine=70.72) == pytest.approx(95.2, abs=0.06)
    with pytest.raises(ValueError, match="age 16 years is not a plausible value"):
        ckd_epi_2021(sex="male", age=16, creatinine=70)
    with pytest.raises(ValueError, match="Creatinine 0.9 µmol/L is not a plausible value"):
        ckd_epi_2021(sex="male", age=40, creatinine=0.9)  # mg/dL typed as µmol/L


# ------------------------------------------------------------------------------------------ applicability



def test_reference_scores_returns_every_key_with_a_risk_or_a_reason():
    results = reference_scores(features())
    assert set(results) >= {
        "score2",
        "score2_diabetes",
        "prevent_cvd",
        "prevent_ascvd",
        "prevent_hf",
        "kfre_5y",
    }
    for result in results.values():
        assert isinstance(result, EquationResult)
        assert (result.risk is None) != (result.reason is None)
        assert result.citation and result.name


def test_equation_result_is_a_frozen_keyword_only_dataclass():
    result = reference_scores(features())["score2"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.risk = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        EquationResult("SCORE2", "citation")  # type: ignore[misc]


def test_healthy_55_year_old_gets_score2_and_prevent_and_reasons_for_the_rest():
    results = reference_scores(features())
    assert results["score2"].name == "SCORE2"
    assert results["score2"].risk == score2(**HEALTHY_55_SCORE2, region="low")
    assert results["score2_diabetes"].reason == "SCORE2-Diabetes not applicable: no type 2 diabetes recorded"
    assert results["kfre_5y"].reason == (
        "KFRE 5-year kidney failure not applicable: no CKD stage G3-G5 "
        "(latest eGFR 82 mL/min/1.73 m², no CKD stage 3-5 diagnosis)"
    )
    assert results["prevent_cvd"].risk == prevent(**HEALTHY_55_PREVENT, outcome="cvd")
    assert results["score2"].inputs["sbp"] == {"value": 142.0, "unit": "mmHg", "date": "2024-03-01"}


def test_region_comes_from_configuration_and_defaults_to_low():
    assert (
        reference_scores(features())["score2"].risk
        < reference_scores(features(), region="very_high")["score2"].risk
    )
    with pytest.raises(ValueError, match="region must be one of"):
        reference_scores(features(), region="europe")


def test_prior_myocardial_infarction_excludes_score2_and_prevent_with_its_date():
    results = reference_scores(
        features(prior_mi=1, established_cvd=1, prior_mi_date=pd.Timestamp("2019-03-02"))
    )
    assert results["score2"].reason == "SCORE2 not applicable: prior myocardial infarction (2019-03-02)"
    assert results["score2"].risk is None
    assert results["prevent_ascvd"].reason == (
        "PREVENT 10-year ASCVD not applicable: prior myocardial infarction (2019-03-02)"
    )


def test_cvd_exclusion_without_a_date_and_with_several_conditions():
    assert (
        reference_scores(features(prior_mi=1))["score2"].reason
        == "SCORE2 not applicable: prior myocardial infarction"
    )
    several = reference_scores(features(prior_stroke=1, prior_hf=1, prior_stroke_date="2021-06-10"))
    assert several["score2"].reason == "SCORE2 not applicable: prior stroke (2021-06-10); heart failure"
    generic = reference_scores(features(established_cvd=1))
    assert generic["prevent_cvd"].reason == (
        "PREVENT 10-year total CVD not applicable: established cardiovascular disease"
    )


def test_type_2_diabetes_before_70_moves_from_score2_to_score2_diabetes():
    t2 = features(age=62.0, diabetes_t2=1, diabetes_any=1, age_at_diabetes=55.0)
    results = reference_scores(t2)
    assert (
        results["score2"].reason == "SCORE2 not applicable: type 2 diabetes (SCORE2-Diabetes is used instead)"
    )
    assert results["score2_diabetes"].reason == "SCORE2-Diabetes: HbA1c missing"
    complete = reference_scores({**t2, "hba1c": 58.0})["score2_diabetes"]
    assert complete.risk == score2_diabetes(
        sex="male",
        age=62.0,
        smoker=False,
        sbp=142.0,
        total_chol=5.8,
        hdl=1.2,
        hba1c=58.0,
        egfr=82.0,
        age_at_diabetes_diagnosis=55.0,
    )
    assert complete.inputs["hba1c"] == {"value": 58.0, "unit": "mmol/mol"}


def test_type_2_diabetes_at_70_and_over_uses_score2_op_with_its_diabetes_term():
    results = reference_scores(
        features(age=74.0, diabetes_t2=1, diabetes_any=1, age_at_diabetes=60.0, hba1c=55.0)
    )
    op = results["score2"]
    assert op.name == "SCORE2-OP"
    assert op.risk == score2(
        sex="male", age=74.0, smoker=False, sbp=142.0, total_chol=5.8, hdl=1.2, diabetes=True
    )
    assert any("SCORE2-OP includes diabetes" in w for w in op.warnings)
    assert results["score2_diabetes"].reason == (
        "SCORE2-Diabetes not applicable: age 74 (the score covers ages "
        "40-69; SCORE2-OP, which includes diabetes, is shown instead)"
    )


def test_type_1_diabetes_is_not_covered_by_any_score2_model():
    results = reference_scores(features(diabetes_t1=1, diabetes_any=1))
    assert results["score2"].reason == (
        "SCORE2 not applicable: type 1 diabetes (no SCORE2 model covers type 1 diabetes)"
    )
    assert results["score2_diabetes"].reason == (
        "SCORE2-Diabetes not applicable: type 1 diabetes (the score is for type 2 diabetes)"
    )
    # PREVENT's diabetes term covers any diabetes, type 1 included
    assert results["prevent_cvd"].risk == prevent(**{**HEALTHY_55_PREVENT, "diabetes": True}, outcome="cvd")
    assert results["prevent_cvd"].risk > reference_scores(features())["prevent_cvd"].risk


def test_ages_outside_each_equation_say_which_ages_it_covers():
    young = reference_scores(features(age=35.0))
    assert young["score2"].reason == (
        "SCORE2 not applicable: age 35 (SCORE2 covers ages 40-69, SCORE2-OP 70 and over)"
    )
    assert young["prevent_cvd"].risk == prevent(**{**HEALTHY_55_PREVENT, "age": 35.0}, outcome="cvd")
    old = reference_scores(features(age=82.0))
    assert (
        old["prevent_hf"].reason
        == "PREVENT 10-year heart failure not applicable: age 82 (PREVENT covers ages 30-79)"
    )
    assert old["score2"].name == "SCORE2-OP"
    assert old["score2"].risk == score2(**{**HEALTHY_55_SCORE2, "age": 82.0}, region="low")


def test_missing_inputs_are_listed_in_the_reason():
    results = reference_scores(features(sbp=float("nan"), hdl=None))
    assert results["score2"].reason == "SCORE2: systolic blood pressure and HDL cholesterol missing"
    assert reference_scores(features(sex_male=float("nan")))["score2"].reason == "SCORE2: sex missing"
    assert reference_scores(features(age=None))["score2"].reason == "SCORE2: age missing"
    no_smoking = reference_scores(features(smoking_current=float("nan")))
    assert no_smoking["prevent_cvd"].reason == "PREVENT 10-year total CVD: smoking status missing"


def test_an_implausible_value_becomes_a_reason_not_a_traceback():
    result = reference_scores(features(sbp=400.0))["score2"]
    assert result.risk is None
    assert result.reason.startswith("SCORE2 not computed: Systolic BP 400 mmHg is not a plausible value")


def test_features_may_be_a_pandas_series_row():
    row = pd.Series(features())
    assert reference_scores(row)["score2"].risk == reference_scores(features())["score2"].risk


def test_prevent_model_follows_available_labs_and_heart_failure_follows_the_bmi_rule():
    with_labs = reference_scores(features(hba1c=40.0, uacr=2.5))
    assert with_labs["prevent_cvd"].name.endswith(
        "(full model: HbA1c + UACR, social deprivation index missing)"
    )
    assert with_labs["prevent_cvd"].risk == prevent(**HEALTHY_55_PREVENT, hba1c=40.0, uacr=2.5)
    obese = reference_scores(features(bmi=42.0))
    assert obese["prevent_hf"].risk is None
    assert obese["prevent_hf"].reason.startswith("PREVENT heart-failure risk not shown: BMI 42 kg/m²")
    # total CVD does not use BMI: still shown, with a warning, and the same risk as at BMI 27
    assert obese["prevent_cvd"].risk == prevent(**{**HEALTHY_55_PREVENT, "bmi": 42.0}, outcome="cvd")
    assert obese["prevent_cvd"].risk == reference_scores(features())["prevent_cvd"].risk
    assert any("BMI 42 kg/m² is above" in w for w in obese["prevent_cvd"].warnings)


def test_prevent_heart_failure_does_not_need_cholesterol():
    results = reference_scores(features(total_chol=float("nan"), hdl=float("nan")))
    no_lipids = {**HEALTHY_55_PREVENT, "total_chol": None, "hdl": None}
    assert results["prevent_hf"].risk == prevent(**no_lipids, outcome="hf")
    assert results["prevent_hf"].risk == reference_scores(features())["prevent_hf"].risk
    assert (
        results["prevent_cvd"].reason
        == "PREVENT 10-year total CVD: total cholesterol and HDL cholesterol missing"
    )


def test_kfre_applies_from_egfr_below_60_or_a_ckd_stage_3_to_5_diagnosis():
    by_egfr = reference_scores(features(egfr=45.0, ckd_stage=3, uacr=30.0))["kfre_5y"]
    assert by_egfr.risk == kfre(sex="male", age=55.0, egfr=45.0, uacr=30.0, years=5)
    assert by_egfr.name == "KFRE 5-year kidney failure (4-variable, non-North-American calibration)"
    by_diagnosis = reference_scores(features(egfr=62.0, ckd_stage=3, uacr=30.0))["kfre_2y"]
    assert by_diagnosis.risk == kfre(sex="male", age=55.0, egfr=62.0, uacr=30.0, years=2)  # the recorded eGFR
    assert any("eGFR 62 mL/min/1.73 m² is not below 60" in w for w in by_diagnosis.warnings)
    missing_uacr = reference_scores(features(egfr=45.0))["kfre_5y"]
    assert missing_uacr.reason == "KFRE 5-year kidney failure: urine albumin/creatinine ratio (UACR) missing"


def test_a_man_with_type_2_diabetes_and_ckd_g3a_gets_every_equation_that_applies():
    """The benchmark's patient (tests/equation_cases.py): the features row and the equations' own inputs agree."""
    results = reference_scores(T2D_CKD_62)
    assert results["score2"].reason == "SCORE2 not applicable: type 2 diabetes (SCORE2-Diabetes is used instead)"
    assert results["score2_diabetes"].risk == score2_diabetes(**T2D_CKD_62_SCORE2_DIABETES, region="low")
    for outcome in ("cvd", "ascvd", "hf"):
        assert results[f"prevent_{outcome}"].risk == prevent(**T2D_CKD_62_PREVENT, outcome=outcome), outcome
    for years in (2, 5):
        assert results[f"kfre_{years}y"].risk == kfre(**T2D_CKD_62_KFRE, years=years), years

def test_kfre_is_not_applicable_once_kidney_failure_is_treated():
    on_dialysis = reference_scores(
        features(egfr=9.0, ckd_stage=5, uacr=150.0, dx_esrd=1, dx_esrd_date=pd.Timestamp("2022-01-15"))
    )
    assert on_dialysis["kfre_5y"].reason == (
        "KFRE 5-year kidney failure not applicable: kidney failure "
        "(end-stage kidney disease) (2022-01-15) already recorded"
    )


def test_kfre_from_features_reports_the_8_variable_fallback():
    partial = reference_scores(features(egfr=40.0, uacr=50.0, albumin=38.0, calcium=2.3))["kfre_5y"]
    assert partial.name.startswith("KFRE 5-year kidney failure (4-variable")
    assert any("bicarbonate, phosphate are missing" in w for w in partial.warnings)
    full = reference_scores(
        features(egfr=40.0, uacr=50.0, albumin=38.0, calcium=2.3, bicarbonate=23.0, phosphate=1.2)
    )["kfre_5y"]
    assert full.name.startswith("KFRE 5-year kidney failure (8-variable")


# ------------------------------------------------------------------------------------ robustness / doctests
_maybe = lambda values: st.one_of(st.just(float("nan")), st.none(), st.sampled_from(values))  # noqa: E731


@settings(max_examples=150, deadline=None)
@given(
    age=_maybe([17.0, 25.0, 35.0, 45.0, 62.0, 69.9, 70.0, 78.0, 85.0, 95.0]),
    sex_male=_maybe([0, 1]),
    sbp=_maybe([50.0, 95.0, 130.0, 185.0, 210.0]),
    total_chol=_maybe([2.0, 5.0, 7.5, 9.0]),
    hdl=_maybe([0.4, 1.2, 2.6, 8.0]),
    hba1c=_maybe([30.0, 53.0, 90.0]),
    egfr=_maybe([8.0, 25.0, 55.0, 75.0, 145.0]),
    uacr=_maybe([0.0, 0.5, 30.0, 400.0]),
    bmi=_maybe([17.0, 24.0, 39.95, 45.0]),
    flags=st.fixed_dictionaries(
        {
            k: _maybe([0, 1])
            for k in (
                "smoking_current",
                "diabetes_t2",
                "diabetes_t1",
                "diabetes_any",
                "prior_mi",
                "prior_hf",
                "on_antihypertensive",
                "on_statin",
                "dx_esrd",
            )
        }
    ),
    ckd_stage=_maybe([0, 2, 3, 5]),
    age_at_diabetes=_maybe([30.0, 50.0, 100.0]),
)
def test_reference_scores_never_raises_and_always_gives_a_risk_or_a_reason(**values):
    flags = values.pop("flags")
    results = reference_scores({**values, **flags})
    for key, result in results.items():
        assert (result.risk is None) != (result.reason is None), key
        if result.risk is not None:
            assert 0.0 < result.risk < 1.0, (key, result.risk)
        else:
            assert result.reason.strip(), key


def test_conversion_doctests_pass():
    import doctest

    from risk.equations import conversions

    assert doctest.testmod(conversions).failed == 0


def test_unknown_diabetes_status_is_a_missing_input_not_an_assumption():
    unknown = {k: v for k, v in features().items() if k not in ("diabetes_t2", "diabetes_t1", "diabetes_any")}
    results = reference_scores(unknown)
    assert results["score2"].reason == "SCORE2: diabetes status missing"
    assert results["prevent_cvd"].reason == "PREVENT 10-year total CVD: diabetes status missing"
