"""Risk categories: ESC 2021 age-band thresholds at their boundaries, the ESC/EAS 2025 age-agnostic set,
SCORE2-Diabetes cut-points, the conditions that bypass scores, and honest "unknown" with what is missing."""

from __future__ import annotations

import pytest

from risk.advise import next_steps, risk_category
from tests.advise_scenarios import Score, make_features

NAN = float("nan")


def _category(age, risk, guideline_set="esc2021", **columns):
    f = make_features(age=age, **columns)
    return risk_category(f, {"score2": Score(risk)}, guideline_set)


@pytest.mark.parametrize(
    ("age", "risk", "expected"),
    [
        # <50 y: high from 2.5 %, very high from 7.5 %
        (45.0, 0.0249, "low_moderate"),
        (45.0, 0.025, "high"),
        (45.0, 0.0749, "high"),
        (45.0, 0.075, "very_high"),
        # 50-69 y: high from 5 %, very high from 10 %
        (55.0, 0.0499, "low_moderate"),
        (55.0, 0.05, "high"),
        (55.0, 0.0999, "high"),
        (55.0, 0.10, "very_high"),
        # >=70 y: high from 7.5 %, very high from 15 %
        (75.0, 0.0749, "low_moderate"),
        (75.0, 0.075, "high"),
        (75.0, 0.1499, "high"),
        (75.0, 0.15, "very_high"),
    ],
)
def test_esc2021_thresholds_within_each_age_band(age, risk, expected):
    assert _category(age, risk).category == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (49.99, "high"),  # 6 % is high below 50 (2.5-<7.5)
        (50.0, "high"),  # and high at 50-69 (5-<10)
        (69.99, "high"),
        (70.0, "low_moderate"),  # but low-to-moderate from 70 (<7.5)
    ],
)
def test_esc2021_age_band_boundaries_for_a_6_percent_risk(age, expected):
    assert _category(age, 0.06).category == expected


@pytest.mark.parametrize(
    ("age", "risk", "expected_band", "expected"),
    [
        (49.99, 0.08, (0.025, 0.075), "very_high"),
        (50.0, 0.08, (0.05, 0.10), "high"),
        (69.99, 0.12, (0.05, 0.10), "very_high"),
        (70.0, 0.12, (0.075, 0.15), "high"),
    ],
)
def test_the_band_in_force_changes_exactly_at_50_and_70(age, risk, expected_band, expected):
    c = _category(age, risk)
    assert c.thresholds == expected_band
    assert c.category == expected


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        (0.0199, "low"),
        (0.02, "moderate"),
        (0.0999, "moderate"),
        (0.10, "high"),
        (0.1999, "high"),
        (0.20, "very_high"),
    ],
)
@pytest.mark.parametrize("age", [45.0, 60.0, 75.0])
def test_esc_eas2025_thresholds_are_the_same_at_every_age(age, risk, expected):
    c = _category(age, risk, "esc_eas2025")
    assert c.category == expected
    assert c.threshold_set == "esc_eas2025"
    assert c.thresholds == (0.02, 0.10, 0.20)


def test_the_category_says_which_threshold_set_is_in_force_and_cites_it():
    c2021 = _category(55.0, 0.06, "esc2021")
    c2025 = _category(55.0, 0.06, "esc_eas2025")
    assert (c2021.category, c2025.category) == ("high", "moderate")
    assert (c2021.guideline, c2021.year) == ("ESC 2021 CVD prevention", 2021)
    assert (c2025.guideline, c2025.year) == ("ESC/EAS 2025 dyslipidaemias focused update", 2025)
    assert "age-specific" in c2021.reason_en and "5% to <10%" in c2021.reason_en
    assert "seuils SCORE2 selon l'âge" in c2021.reason_fr and "6,0\u202f%" in c2021.reason_fr
    assert "age-agnostic" in c2025.reason_en and "doi:10.1093/eurheartj/ehaf190" in c2025.reference
    assert (c2021.recommendation_class, c2021.evidence_level) == ("I", "B")


def test_score2_op_is_used_from_70_when_given_separately():
    f = make_features(age=72.0)
    c = risk_category(f, {"score2": Score(0.01), "score2_op": Score(0.20)}, "esc2021")
    assert (c.score_name, c.score_value, c.category) == ("score2_op", 0.20, "very_high")


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        (0.0499, "low"),
        (0.05, "moderate"),
        (0.0999, "moderate"),
        (0.10, "high"),
        (0.1999, "high"),
        (0.20, "very_high"),
    ],
)
def test_score2_diabetes_categories_esc2023(risk, expected):
    f = make_features(age=60.0, diabetes_t2=1, diabetes_any=1, egfr=85.0, uacr=1.0)
    c = risk_category(f, {"score2_diabetes": Score(risk)}, "esc2021")
    assert c.category == expected
    assert c.threshold_set == "esc2023_score2_diabetes"
    assert (c.guideline, c.year) == ("ESC 2023 CVD in diabetes", 2023)


@pytest.mark.parametrize(
    ("egfr", "uacr", "very_high"),
    [
        (44.0, 1.0, True),  # eGFR <45 regardless of albuminuria
        (45.0, 1.0, False),
        (50.0, 3.0, True),  # eGFR 45-59 with microalbuminuria
        (50.0, 2.9, False),
        (60.0, 10.0, False),  # microalbuminuria with eGFR >=60 is not severe
        (80.0, 30.1, True),  # proteinuria
        (80.0, 30.0, False),
    ],
)
def test_severe_target_organ_damage_in_type2_diabetes_means_very_high_risk(egfr, uacr, very_high):
    f = make_features(age=60.0, diabetes_t2=1, diabetes_any=1, egfr=egfr, uacr=uacr)
    c = risk_category(f, {"score2_diabetes": Score(0.03)}, "esc2021")
    assert (c.category == "very_high") is very_high
    assert (c.basis == "diabetes_target_organ_damage") is very_high


def test_three_microvascular_sites_are_severe_organ_damage():
    f = make_features(
        age=60.0,
        diabetes_t2=1,
        diabetes_any=1,
        egfr=90.0,
        uacr=5.0,
        dx_diabetic_retinopathy=1,
        dx_diabetic_neuropathy=1,
    )
    c = risk_category(f, {"score2_diabetes": Score(0.03)}, "esc2021")
    assert c.category == "very_high"
    assert "microvascular disease in 3 sites" in c.reason_en
    assert "atteinte microvasculaire de 3 sites" in c.reason_fr


def test_type2_diabetes_at_70_uses_score2_op_with_the_set_thresholds():
    f = make_features(age=72.0, diabetes_t2=1, diabetes_any=1, egfr=80.0, uacr=1.0)
    c = risk_category(f, {"score2": Score(0.16)}, "esc2021")
    assert (c.category, c.score_name, c.thresholds) == ("very_high", "score2_op", (0.075, 0.15))
    assert "SCORE2-Diabetes covers 40-69 years" in c.reason_en


@pytest.mark.parametrize(
    ("egfr", "uacr", "expected"),
    [
        (50.0, 1.0, None),  # G3a A1 (yellow): the score decides
        (40.0, 1.0, "high"),  # G3b A1 orange
        (50.0, 10.0, "high"),  # G3a A2 orange
        (70.0, 40.0, "high"),  # G2 A3 orange
        (40.0, 10.0, "very_high"),  # G3b A2 red
        (25.0, 1.0, "very_high"),  # G4 red
    ],
)
def test_chronic_kidney_disease_sets_the_category_from_the_kdigo_colour(egfr, uacr, expected):
    f = make_features(age=60.0, egfr=egfr, uacr=uacr)
    c = risk_category(f, {"score2": Score(0.01)}, "esc2021")
    if expected is None:
        assert c.basis == "score" and c.category == "low_moderate"
    else:
        assert (c.basis, c.category) == ("ckd", expected)


def test_ckd_without_albuminuria_result_says_the_category_may_be_higher():
    c = risk_category(make_features(age=60.0, egfr=40.0), {}, "esc2021")
    assert c.category == "high"
    assert "Albuminuria not measured" in c.reason_en
    assert "Albuminurie non mesurée" in c.reason_fr


@pytest.mark.parametrize(
    ("columns", "fragment"),
    [
        ({"ldl": 5.0}, "LDL-C 5.0 mmol/L >4.9"),
        ({"total_chol": 8.5}, "total cholesterol 8.5 mmol/L >8"),
        ({"sbp": 182.0, "dbp": 95.0}, "(systolic BP 182 mmHg ≥180)"),  # the component that crossed it
        ({"sbp": 138.0, "dbp": 112.0}, "(diastolic BP 112 mmHg ≥110)"),
    ],
)
def test_a_markedly_elevated_single_risk_factor_means_at_least_high_risk(columns, fragment):
    c = _category(55.0, 0.02, **columns)
    assert (c.category, c.basis) == ("high", "markedly_elevated")
    assert fragment in c.reason_en


def test_a_markedly_elevated_factor_never_lowers_a_very_high_category():
    assert _category(55.0, 0.12, ldl=5.0).category == "very_high"


def test_missing_score_gives_unknown_with_the_missing_inputs_named():
    f = make_features(age=58.0, sbp=130.0, total_chol=5.0)  # no HDL
    c = risk_category(f, {"score2": Score(None)}, "esc2021")
    assert (c.category, c.basis) == ("unknown", "not_computable")
    assert c.missing == ("hdl",)
    assert "missing: HDL cholesterol" in c.reason_en
    assert "manquant\u00a0: HDL-cholestérol" in c.reason_fr


@pytest.mark.parametrize(
    ("columns", "fragment"),
    [
        ({"age": 35.0}, "SCORE2 applies from 40 years"),
        ({"age": float("nan")}, "Age not recorded"),
    ],
)
def test_categories_that_cannot_be_determined_say_why(columns, fragment):
    c = risk_category(make_features(**columns), {"score2": Score(0.05)}, "esc2021")
    assert c.category == "unknown" and not c.known
    assert fragment in c.reason_en
    assert c.reason_fr and c.reason_fr != c.reason_en


# Issue 12: ESC/EAS 2019 Table 4 has no low (and no undetermined) category in diabetes. These patients were
# "unknown" before, which left them without an LDL-C goal: that expectation was clinically wrong.
@pytest.mark.parametrize(
    ("columns", "category", "en", "fr"),
    [
        (
            {"age": 50.0, "diabetes_t1": 1, "diabetes_any": 1, "diabetes_years": 24.0},
            "very_high",
            "Type 1 diabetes: ESC/EAS 2019 diabetes categories (Table 4) give very high risk (type 1 diabetes for "
            "24 years (>20)).",
            "Diabète de type 1\u00a0: les catégories du diabète ESC/EAS 2019 (tableau 4) donnent un risque très "
            "élevé (diabète de type 1 depuis 24 ans (> 20)).",
        ),
        (
            {"age": 30.0, "diabetes_t1": 1, "diabetes_any": 1, "diabetes_years": 8.0, "uacr": 4.0},
            "very_high",
            "target-organ damage: UACR 4.0 mg/mmol (≥3)",
            "atteinte d'organe cible\u00a0: RAC 4,0 mg/mmol (≥ 3)",
        ),
        (
            {"age": 58.0, "diabetes_any": 1, "diabetes_years": 4.0, "rx_metformin": 1},
            "moderate",
            "Diabetes of unrecorded type (record the type: SCORE2-Diabetes is for type 2): ESC/EAS 2019",
            "diabète n'a pas de catégorie de risque faible",
        ),
        (
            {"age": 58.0, "diabetes_any": 1, "diabetes_years": 12.0, "rx_metformin": 1},
            "high",
            "high risk (diabetes for 12 years (≥10))",
            "risque élevé (diabète depuis 12 ans (≥ 10))",
        ),
        (
            {"age": 35.0, "diabetes_t2": 1, "diabetes_any": 1, "diabetes_years": 3.0, "smoking_current": 1.0},
            "high",
            "SCORE2-Diabetes applies from 40 years (age 35), so the ESC/EAS 2019 diabetes categories (Table 4) give "
            "high risk (additional risk factor: current smoking).",
            "facteur de risque associé\u00a0: tabagisme actuel",
        ),
    ],
)
def test_diabetes_without_a_usable_score_is_at_least_moderate_by_esc_eas_2019(columns, category, en, fr):
    c = risk_category(make_features(**columns), {"score2": Score(0.05)}, "esc2021")
    assert (c.category, c.basis, c.guideline) == (category, "diabetes_table", "ESC/EAS 2019 dyslipidaemias")
    assert en in c.reason_en
    assert fr in c.reason_fr


def test_type_2_diabetes_without_hba1c_gets_a_category_and_still_asks_for_hba1c():
    f = make_features(
        age=52.0, diabetes_t2=1, diabetes_any=1, diabetes_years=2.0, sbp=126.0, total_chol=5.0, hdl=1.3, egfr=95.0
    )
    c = risk_category(f, {"score2_diabetes": Score(None)}, "esc2021")
    assert c.category == "moderate" and "hba1c" in c.missing
    assert c.reason_en.startswith("Type 2 diabetes: SCORE2-Diabetes not available (missing: ")
    assert c.reason_fr.startswith("Diabète de type 2\u00a0: SCORE2-Diabetes non disponible (manquant\u00a0: ")
    steps = {s.id: s for s in next_steps(f, {"score2_diabetes": Score(None)})}
    assert "record " in steps["risk_estimate_score2_diabetes"].text_en
    assert "HbA1c" in steps["risk_estimate_score2_diabetes"].text_en
