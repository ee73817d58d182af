"""What each model predicts, for whom, from which features, and how features group into clinical factors.

One place for the definitions used by labelling, training, scoring, explanation and the model cards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.terminology.messages import Message


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    name: str
    title_en: str
    title_fr: str
    horizon_years: float
    outcome: str  # label definition key in risk.models.outcomes.OUTCOMES
    population: str  # plain-language eligibility, printed in the card and in "not computed" reasons
    features: tuple[str, ...]
    min_age: float = 40.0
    max_age: float = 89.0
    requires_diabetes: bool = False
    excludes: tuple[str, ...] = ()  # feature flags that exclude a patient (prior event = not at risk of first)


CORE = ("age", "sex_male", "sbp", "dbp", "sbp_mean3", "sbp_sd", "sbp_slope", "total_chol", "hdl", "ldl",
        "non_hdl", "triglycerides", "ldl_slope", "glucose", "hba1c", "hba1c_slope", "egfr", "egfr_slope", "uacr",
        "bmi", "bmi_slope", "weight_change_1y", "smoking_current", "smoking_former", "diabetes_any",
        "diabetes_years", "hypertension", "af", "ckd_stage", "on_statin", "on_antihypertensive",
        "n_antihypertensive_classes", "rx_antiplatelet", "rx_metformin", "rx_insulin", "rx_sglt2_inhibitor",
        "rx_glp1_receptor_agonist", "visits_1y", "visits_5y", "sbp_days", "total_chol_days", "hba1c_days",
        "sbp_mean5y", "sbp_mean10y", "total_chol_mean10y", "ldl_mean10y", "hba1c_mean5y", "hba1c_mean10y",
        "sbp_sd10y", "ldl_sd10y", "sbp_max10y", "ldl_max10y")
# QRISK3's record-rich predictors (Hippisley-Cox et al., BMJ 2017;357:j2099): what the record knows beyond the
# SCORE2 family, for the trees to learn from (features: risk.features.build, QRISK3's own inputs). Regular oral
# corticosteroids and atypical antipsychotics are risk factors in their own right (QRISK3 hazard ratios), not
# markers of the cardiovascular disease a treatment would stand in for, so they are tree inputs.
QRISK3_PREDICTORS = ("dx_rheumatoid_arthritis", "dx_sle", "dx_migraine", "dx_severe_mental_illness",
                     "dx_erectile_dysfunction", "dx_family_history_chd", "dx_family_history_chd_age_unknown",
                     "qrisk3_oral_corticosteroid", "qrisk3_atypical_antipsychotic", "qrisk3_sbp_sd")
# Treatments are not tree inputs: in observational data a treatment marks the disease it treats (confounding by
# indication), so "on BP treatment" would stand in for a blood pressure the trees already see, and would make a
# treated patient look worse than the same patient untreated. Treatment effects are shown from trials instead
# (risk.explain.whatif); PREVENT's own treatment terms stay inside its anchor. Former smoking is left out so that
# stopping smoking (current 1 -> 0, former 0 -> 1) can only move the risk the way `smoking_current` allows.
NOT_IN_TREES = frozenset({"on_statin", "on_antihypertensive", "n_antihypertensive_classes", "rx_antiplatelet",
                          "rx_metformin", "rx_insulin", "rx_sglt2_inhibitor", "rx_glp1_receptor_agonist",
                          "smoking_former"})
# Monotone constraints of the trees (+1 risk rises with the value, -1 falls) where the direction is causal and
# known (ESC 2021 prevention guideline, KDIGO 2024): blood pressure, atherogenic cholesterol, glycaemia, smoking,
# albuminuria, diabetes duration, BMI and age up; eGFR and HDL down. With the anchor equations (monotone in the
# same inputs) this is what makes "lowering a modifiable factor never raises a model's risk" hold by construction.
MONOTONE: dict[str, int] = {
    **dict.fromkeys(("age", "sbp", "sbp_mean3", "sbp_mean5y", "sbp_mean10y", "sbp_max10y", "total_chol", "ldl",
                     "non_hdl", "total_chol_mean10y", "ldl_mean10y", "ldl_max10y", "hba1c", "hba1c_mean5y",
                     "hba1c_mean10y", "smoking_current", "uacr", "diabetes_years", "bmi"), 1),
    **dict.fromkeys(("egfr", "hdl"), -1),
}


def tree_features(spec: ModelSpec) -> list[str]:
    """The features the boosted trees of `spec` may use (its features minus NOT_IN_TREES)."""
    return [f for f in spec.features if f not in NOT_IN_TREES]


HISTORY = ("prior_mi", "prior_stroke", "prior_tia", "prior_pad", "prior_chd", "prior_hf", "established_cvd")
MICROVASCULAR = ("dx_diabetic_retinopathy", "dx_diabetic_neuropathy", "dx_diabetic_nephropathy",
                 "dx_diabetic_foot_ulcer", "dx_amputation")

MODEL_SPECS: dict[str, ModelSpec] = {
    s.name: s
    for s in [
        ModelSpec(name="cvd10", title_en="10-year risk of myocardial infarction, stroke or cardiovascular death",
                  title_fr="Risque à 10 ans d'infarctus, d'AVC ou de décès cardiovasculaire",
                  horizon_years=10, outcome="cvd", features=CORE + MICROVASCULAR + QRISK3_PREDICTORS,
                  population="adults 40-89 without established cardiovascular disease (primary prevention)",
                  excludes=("established_cvd",)),
        ModelSpec(name="hf10", title_en="10-year risk of heart failure",
                  title_fr="Risque à 10 ans d'insuffisance cardiaque", horizon_years=10, outcome="hf",
                  features=CORE + HISTORY + MICROVASCULAR + QRISK3_PREDICTORS,
                  population="adults 40-89 without heart failure", excludes=("prior_hf",)),
        ModelSpec(name="ckd5", title_en="5-year risk of CKD progression (eGFR fall >= 40 %, kidney failure or "
                  "new A3 albuminuria)", title_fr="Risque à 5 ans de progression de la maladie rénale chronique",
                  horizon_years=5, outcome="ckd_progression", features=CORE + HISTORY + MICROVASCULAR,
                  population="adults 40-89 with diabetes, not on kidney replacement therapy",
                  requires_diabetes=True, excludes=("dx_esrd",)),
        ModelSpec(name="retinopathy5", title_en="5-year risk of diabetic retinopathy",
                  title_fr="Risque à 5 ans de rétinopathie diabétique", horizon_years=5, outcome="retinopathy",
                  features=CORE + HISTORY + MICROVASCULAR,
                  population="adults 40-89 with diabetes and no diabetic retinopathy", requires_diabetes=True,
                  excludes=("dx_diabetic_retinopathy",)),
        ModelSpec(name="foot5", title_en="5-year risk of diabetic neuropathy, foot ulcer or amputation",
                  title_fr="Risque à 5 ans de neuropathie, d'ulcère du pied ou d'amputation",
                  horizon_years=5, outcome="foot", features=CORE + HISTORY + MICROVASCULAR,
                  population="adults 40-89 with diabetes and no neuropathy, foot ulcer or amputation",
                  requires_diabetes=True,
                  excludes=("dx_diabetic_neuropathy", "dx_diabetic_foot_ulcer", "dx_amputation")),
    ]
}

# Clinical factor of each feature, for grouped explanations (product.md section 5: group derived features).
FACTOR_OF: dict[str, str] = {
    "age": "age", "sex_male": "sex",
    **dict.fromkeys(("sbp", "dbp", "sbp_mean3", "sbp_sd", "hypertension", "sbp_days", "sbp_mean5y", "sbp_mean10y",
                     "sbp_sd10y", "sbp_max10y", "qrisk3_sbp_sd"),
                    "blood_pressure"),
    **dict.fromkeys(("total_chol", "hdl", "ldl", "non_hdl", "triglycerides", "total_chol_days", "total_chol_mean10y",
                     "ldl_mean10y", "ldl_sd10y", "ldl_max10y"), "lipids"),
    **dict.fromkeys(("glucose", "hba1c", "diabetes_any", "diabetes_years", "hba1c_days", "hba1c_mean5y",
                     "hba1c_mean10y"), "glycaemia"),
    **dict.fromkeys(("egfr", "uacr", "ckd_stage"), "kidney"),
    **dict.fromkeys(("smoking_current", "smoking_former"), "smoking"),
    **dict.fromkeys(("bmi", "weight_change_1y"), "weight"),
    **dict.fromkeys(("on_statin", "on_antihypertensive", "n_antihypertensive_classes", "rx_antiplatelet",
                     "rx_metformin", "rx_insulin", "rx_sglt2_inhibitor", "rx_glp1_receptor_agonist"),
                    "treatments"),
    **dict.fromkeys(HISTORY + MICROVASCULAR + ("af", "visits_1y", "visits_5y"), "history"),
    **dict.fromkeys(QRISK3_PREDICTORS[:7], "history"),
    **dict.fromkeys(("qrisk3_oral_corticosteroid", "qrisk3_atypical_antipsychotic"), "treatments"),
    **dict.fromkeys(("sbp_slope", "ldl_slope", "hba1c_slope", "egfr_slope", "bmi_slope"), "trends"),
}
FACTOR_LABELS = {
    "age": ("Age", "Âge"), "sex": ("Sex", "Sexe"), "blood_pressure": ("Blood pressure", "Pression artérielle"),
    "lipids": ("Lipids", "Lipides"), "glycaemia": ("Glycaemia", "Glycémie"),
    "kidney": ("Kidney function", "Fonction rénale"), "smoking": ("Smoking", "Tabac"),
    "weight": ("Weight", "Poids"), "treatments": ("Treatments", "Traitements"),
    "history": ("History", "Antécédents"), "trends": ("Trends", "Tendances"),
}


def eligibility_message(spec: ModelSpec, row: pd.Series) -> Message | None:
    """Why this model does not apply to this patient, as a coded message (None when it does)."""
    age = row.get("age")
    if age is None or pd.isna(age) or not spec.min_age <= age <= spec.max_age + 0.999:
        return Message(code="model.age_out_of_range", params={
            "model": spec.name, "low": int(spec.min_age), "high": int(spec.max_age),
            "age": None if age is None or pd.isna(age) else int(age)})
    if spec.requires_diabetes and not row.get("diabetes_any"):
        return Message(code="model.diabetes_only", params={"model": spec.name})
    for flag in spec.excludes:
        if row.get(flag) == 1:
            return Message(code="model.condition_present", params={"model": spec.name, "condition": flag})
    return None


def eligible_mask(spec: ModelSpec, features: pd.DataFrame) -> pd.Series:
    """Who the model applies to, one boolean per row (the population of `spec`)."""
    ok = features["age"].between(spec.min_age, spec.max_age + 0.999)
    if spec.requires_diabetes:
        ok &= features["diabetes_any"] == 1
    for flag in spec.excludes:
        ok &= features[flag] != 1
    return ok


def eligible_array(spec: ModelSpec, features: pd.DataFrame) -> np.ndarray:
    """`eligible_mask` as a numpy array, without pandas' per-operation cost (a micro-batch scores 1-32 rows)."""
    age = features["age"].to_numpy()
    ok = (age >= spec.min_age) & (age <= spec.max_age + 0.999)
    if spec.requires_diabetes:
        ok &= features["diabetes_any"].to_numpy() == 1
    for flag in spec.excludes:
        ok &= features[flag].to_numpy() != 1
    return ok


def eligibility_columns(spec: ModelSpec, features: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns `eligibility_message` reads (age, diabetes, the excluding flags): row i as a mapping is
    `{c: v[i] for c, v in ...items()}`, without slicing a whole wide row out of the frame."""
    return {c: features[c].to_numpy() for c in ("age", "diabetes_any", *spec.excludes) if c in features}
