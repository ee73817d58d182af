"""Why this risk: exact TreeSHAP contributions grouped into clinical factors, in percentage points of risk.

From log-odds to points of risk: XGBoost's `pred_contribs` gives exact SHAP values phi_j on the model's log-odds
scale (calibrated: a + b x raw margin, so each phi_j is scaled by b and a joins the bias). The displayed risk is
p = sigmoid(bias + sum_g Phi_g), Phi_g the sum of a group's phi_j. We split p - p0 (p0 = sigmoid(bias), "the
average patient of the development data") among the groups by the exact Shapley value of the game
v(S) = sigmoid(bias + sum_{g in S} Phi_g). This is additive by construction (the factors add up exactly to
p - p0), symmetric, and reduces to Phi_g * sigmoid'(.) when effects are small; with 11 groups it is 2^11 subsets,
a few microseconds of numpy.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from risk.models.registry import LoadedModel
from risk.models.spec import FACTOR_LABELS, FACTOR_OF
from risk.terminology.concepts import MEASUREMENT_CONCEPTS


@dataclass(frozen=True, kw_only=True)
class Factor:
    key: str  # clinical factor, e.g. "blood_pressure"
    label_en: str
    label_fr: str
    points: float  # contribution in percentage points of risk (signed)
    log_odds: float  # the same factor on the model's log-odds scale (sum of its SHAP values)
    evidence: tuple[str, ...]  # the patient's values behind it, e.g. "systolic BP 162 mmHg (2024-05-02)"


@dataclass(frozen=True, kw_only=True)
class Explanation:
    model: str
    risk: float  # displayed risk, fraction
    base_risk: float  # average patient in the development data, fraction
    factors: tuple[Factor, ...]  # sorted by |points|, largest first
    feature_shap: dict[str, float]  # before grouping, log-odds scale

    def summary(self, lang: str = "en", top: int = 3) -> str:
        drivers = [f for f in self.factors if f.points > 0.05][:top]
        if not drivers:
            return "No factor raises this risk above average." if lang == "en" else \
                "Aucun facteur n'élève ce risque au-dessus de la moyenne."
        parts = [", ".join(f.evidence[:1]) or (f.label_en if lang == "en" else f.label_fr) for f in drivers]
        return ("Main drivers: " if lang == "en" else "Principaux facteurs : ") + ", ".join(parts)


@lru_cache(maxsize=32)
def _subsets(k: int) -> tuple[np.ndarray, np.ndarray]:
    """All subsets of k players as a 0/1 matrix, and the Shapley weight |S|!(k-|S|-1)!/k! per subset size."""
    masks = np.array(list(itertools.product([0, 1], repeat=k)), dtype=float)
    weights = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
    return masks, weights


def group_shapley_points(bias: float, group_logodds: np.ndarray) -> np.ndarray:
    """Exact Shapley split of sigmoid(bias + sum) - sigmoid(bias) among groups (see module docstring)."""
    k = len(group_logodds)
    if k == 0:
        return np.zeros(0)
    masks, weights = _subsets(k)
    value = 1.0 / (1.0 + np.exp(-(bias + masks @ group_logodds)))
    sizes = masks.sum(axis=1).astype(int)
    out = np.zeros(k)
    for g in range(k):
        without = masks[:, g] == 0
        with_g = masks[without].copy()
        with_g[:, g] = 1
        v_with = 1.0 / (1.0 + np.exp(-(bias + with_g @ group_logodds)))
        out[g] = np.sum(weights[sizes[without]] * (v_with - value[without]))
    return out


def _evidence(feature: str, row: pd.Series) -> str | None:
    """Plain-language value of one feature, with its date where it has one."""
    value = row.get(feature)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if feature in MEASUREMENT_CONCEPTS:
        spec = MEASUREMENT_CONCEPTS[feature]
        when = row.get(f"{feature}_date")
        day = f" ({pd.Timestamp(when).date()})" if when is not None and not pd.isna(when) else ""
        shown = f"{value:.0f}" if abs(value) >= 20 else f"{value:.1f}" if abs(value) >= 2 else f"{value:.2f}"
        return f"{spec.label_en} {shown} {spec.display_unit}{day}"
    named = {
        "smoking_current": "current smoker" if value == 1 else None,
        "smoking_former": "former smoker" if value == 1 else None,
        "age": f"age {value:.0f}", "sex_male": "male" if value == 1 else "female",
        "diabetes_any": "diabetes" if value == 1 else None,
        "diabetes_years": f"diabetes for {value:.0f} years",
        "hypertension": "hypertension" if value == 1 else None, "af": "atrial fibrillation" if value == 1 else None,
        "ckd_stage": f"CKD stage {value:.0f}" if value >= 1 else None,
        "on_statin": "on a statin" if value == 1 else None,
        "on_antihypertensive": "on BP treatment" if value == 1 else None,
        "sbp_sd": f"SBP variability {value:.0f} mmHg (SD, 3 y)",
        "hba1c_slope": f"HbA1c {value:+.1f} mmol/mol per year",
        "egfr_slope": f"eGFR {value:+.1f} mL/min/1.73 m² per year",
        "sbp_slope": f"SBP {value:+.1f} mmHg per year", "ldl_slope": f"LDL {value:+.2f} mmol/L per year",
        "bmi_slope": f"BMI {value:+.1f} kg/m² per year",
        "sbp_mean3": f"mean of last 3 SBP {value:.0f} mmHg",
        "weight_change_1y": f"weight change {value:+.1f} kg in a year",
    }
    if feature in named:
        return named[feature]
    if feature.startswith(("prior_", "dx_", "rx_")) and value == 1:
        return feature.split("_", 1)[1].replace("_", " ")
    return None


def explain_row(model: LoadedModel, features_row: pd.DataFrame) -> Explanation:
    """Explanation for one patient (a one-row features frame); factors add up exactly to the displayed risk."""
    contribs = model.contributions(features_row)[0]
    names = model.features
    bias = float(contribs[-1])
    phi = dict(zip(names, contribs[:-1].astype(float), strict=True))
    groups: dict[str, list[str]] = {}
    for f in names:
        groups.setdefault(FACTOR_OF.get(f, "history"), []).append(f)
    keys = list(groups)
    group_lo = np.array([sum(phi[f] for f in groups[k]) for k in keys])
    points = group_shapley_points(bias, group_lo) * 100.0
    row = features_row.iloc[0]
    factors = []
    for k, pts, lo in zip(keys, points, group_lo, strict=True):
        members = sorted(groups[k], key=lambda f: -abs(phi[f]))
        evidence = tuple(e for e in (_evidence(f, row) for f in members if abs(phi[f]) > 1e-6) if e)
        en, fr = FACTOR_LABELS[k]
        factors.append(Factor(key=k, label_en=en, label_fr=fr, points=float(pts), log_odds=float(lo),
                              evidence=evidence))
    factors.sort(key=lambda f: -abs(f.points))
    risk = 1.0 / (1.0 + math.exp(-(bias + group_lo.sum())))
    return Explanation(model=model.name, risk=risk, base_risk=1.0 / (1.0 + math.exp(-bias)),
                       factors=tuple(factors), feature_shap=phi)


def factor_json(expl: Explanation) -> dict:
    return {
        "risk": round(expl.risk, 4), "base_risk": round(expl.base_risk, 4),
        "summary_en": expl.summary("en"), "summary_fr": expl.summary("fr"),
        "factors": [{"factor": f.key, "label_en": f.label_en, "label_fr": f.label_fr,
                     "points": round(f.points, 2), "evidence": list(f.evidence)} for f in expl.factors],
    }

