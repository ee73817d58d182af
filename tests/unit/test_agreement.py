"""cvd10 and its reference equation in different ESC risk categories: said in words, by the same thresholds."""

from __future__ import annotations

from risk.advise.agreement import cvd_category_disagreement


def test_same_category_by_the_age_specific_esc2021_thresholds_is_not_a_disagreement():
    # 55 years: 5-<10 % is "high" for both 6 % and 9.9 % (ESC 2021 prevention, age 50-69)
    assert cvd_category_disagreement(age=55, model_risk=0.06, equations={"score2": 0.099},
                                     guideline_set="esc2021") is None


def test_model_very_high_and_score2_high_at_55_is_reported_with_both_numbers_and_the_thresholds():
    d = cvd_category_disagreement(age=55, model_risk=0.12, equations={"score2": 0.07}, guideline_set="esc2021")
    assert (d.model_category, d.equation_category, d.threshold_set) == ("very_high", "high", "esc2021_age_specific")
    en = d.text("en", synthetic=True)
    assert en.startswith("CVD 10 y (12.0%) and SCORE2 / SCORE2-OP (7.0%) place this patient in different ESC risk "
                         "categories: very high vs high (ESC 2021 CVD prevention thresholds).")
    assert "trained on synthetic data: decide with SCORE2 / SCORE2-OP" in en


def test_the_same_numbers_at_45_use_the_under_50_cut_points():
    # under 50: <2.5 % low-moderate, 2.5-<7.5 % high, >=7.5 % very high
    d = cvd_category_disagreement(age=45, model_risk=0.08, equations={"score2": 0.07}, guideline_set="esc2021")
    assert (d.model_category, d.equation_category) == ("very_high", "high")
    assert cvd_category_disagreement(age=75, model_risk=0.08, equations={"score2": 0.14},
                                     guideline_set="esc2021") is None  # both high at 70+


def test_diabetes_uses_score2_diabetes_and_the_esc2023_categories_in_french():
    d = cvd_category_disagreement(age=64, model_risk=0.364, equations={"score2": None, "score2_diabetes": 0.169})
    assert (d.equation, d.threshold_set) == ("score2_diabetes", "esc2023_score2_diabetes")
    fr = d.text("fr", synthetic=False)
    assert fr.startswith("MCV 10 ans (36,4\u202f%) et SCORE2-Diabetes (16,9\u202f%) classent ce patient dans des "
                         "catégories de risque ESC différentes : très élevé contre élevé")
    assert "voir la fiche du modèle" in fr and "synthétiques" not in fr


def test_nothing_to_compare_when_the_model_or_the_equations_are_not_computed():
    assert cvd_category_disagreement(age=60, model_risk=None, equations={"score2": 0.2}) is None
    none = {"score2": None, "score2_diabetes": None}
    assert cvd_category_disagreement(age=60, model_risk=0.2, equations=none) is None
