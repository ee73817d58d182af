"""What would change the risk: re-scoring with modifiable factors at target, and trial-based benefit estimates.

Re-scoring is counterfactual prediction (same model, edited inputs), not a reading of SHAP values as causal
effects (product.md section 5). Trial-based estimates apply published relative risk reductions to the current
risk and are labelled as estimates with their source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from risk.models.registry import LoadedModel

# Targets (canonical units) with their source.
SBP_TARGET = 130.0  # ESC 2021 prevention / ESC 2024 hypertension: treat to 120-130 mmHg if tolerated
LDL_TARGETS = {"very_high": 1.4, "high": 1.8, "moderate": 2.6}  # ESC/EAS 2019 (mmol/L)
HBA1C_TARGET = 53.0  # mmol/mol (7.0 %), ADA 2025 / ESC 2023 usual target
BMI_TARGET = 25.0  # WHO upper limit of normal weight

# Trial-based relative effects (estimates, per unit change).
CTT_RRR_PER_MMOL = 0.22  # CTT Collaboration, Lancet 2010;376:1670: major vascular events -22 % per 1 mmol/L LDL
BPLTTC_RRR_PER_10MMHG = 0.20  # Ettehad et al., Lancet 2016;387:957: major CVD events -20 % per 10 mmHg SBP
SMOKING_CESSATION_RRR = 0.36  # Critchley & Capewell, JAMA 2003;290:86: mortality RR 0.64 after quitting (CHD)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    key: str  # "sbp", "ldl", "smoking", "hba1c", "bmi", "all"
    label_en: str
    label_fr: str
    changes: dict[str, float]  # feature -> new value


@dataclass(frozen=True, kw_only=True)
class WhatIfResult:
    scenario: Scenario
    models: dict[str, tuple[float, float, float]]  # name -> (risk, low, high) after the change
    equations: dict[str, float]  # name -> risk after the change
    trial_estimates: list[dict[str, Any]] = field(default_factory=list)


def scenarios(row: pd.Series, *, ldl_target: float = LDL_TARGETS["high"]) -> list[Scenario]:
    """Modifiable factors that are away from target for this patient (nothing offered when already at target)."""
    out: list[Scenario] = []

    def val(name: str) -> float:
        v = row.get(name)
        return float(v) if v is not None and not pd.isna(v) else math.nan

    sbp = val("sbp")
    if sbp > SBP_TARGET:
        out.append(Scenario(key="sbp", label_en=f"Systolic BP {SBP_TARGET:.0f} mmHg",
                            label_fr=f"PA systolique {SBP_TARGET:.0f} mmHg",
                            changes={"sbp": SBP_TARGET, "sbp_mean3": min(val("sbp_mean3"), SBP_TARGET)
                                     if not math.isnan(val("sbp_mean3")) else SBP_TARGET}))
    ldl = val("ldl")
    if ldl > ldl_target:
        delta = ldl - ldl_target
        changes = {"ldl": ldl_target}
        for lipid in ("total_chol", "non_hdl"):
            if not math.isnan(val(lipid)):
                changes[lipid] = val(lipid) - delta
        out.append(Scenario(key="ldl", label_en=f"LDL cholesterol {ldl_target:g} mmol/L",
                            label_fr=f"LDL-cholestérol {ldl_target:g} mmol/L".replace(".", ","), changes=changes))
    if val("smoking_current") == 1:
        out.append(Scenario(key="smoking", label_en="Stops smoking", label_fr="Arrêt du tabac",
                            changes={"smoking_current": 0.0, "smoking_former": 1.0}))
    if val("diabetes_any") == 1 and val("hba1c") > HBA1C_TARGET:
        out.append(Scenario(key="hba1c", label_en=f"HbA1c {HBA1C_TARGET:.0f} mmol/mol (7 %)",
                            label_fr=f"HbA1c {HBA1C_TARGET:.0f} mmol/mol (7 %)", changes={"hba1c": HBA1C_TARGET}))
    if val("bmi") > BMI_TARGET + 2:
        out.append(Scenario(key="bmi", label_en=f"BMI {BMI_TARGET:.0f} kg/m²", label_fr=f"IMC {BMI_TARGET:.0f} kg/m²",
                            changes={"bmi": BMI_TARGET}))
    if len(out) > 1:
        merged: dict[str, float] = {}
        for s in out:
            merged.update(s.changes)
        out.append(Scenario(key="all", label_en="All of the above", label_fr="Tout ce qui précède", changes=merged))
    return out


def apply(features_row: pd.DataFrame, changes: Mapping[str, float]) -> pd.DataFrame:
    edited = features_row.copy()
    for col, value in changes.items():
        edited[col] = value
    return edited


def trial_estimates(row: pd.Series, scenario: Scenario, current_risk: float) -> list[dict[str, Any]]:
    """Risk after the change from trial relative effects (an estimate, labelled with its source)."""
    out = []
    if scenario.key in ("ldl", "all") and "ldl" in scenario.changes:
        delta = float(row["ldl"]) - scenario.changes["ldl"]
        rr = (1 - CTT_RRR_PER_MMOL) ** delta
        out.append({"effect": f"LDL -{delta:.1f} mmol/L", "relative_risk": round(rr, 3),
                    "risk_after": round(current_risk * rr, 4),
                    "source": "CTT Collaboration, Lancet 2010;376:1670-81 (22 % fewer major vascular events per "
                              "1 mmol/L LDL reduction)"})
    if scenario.key in ("sbp", "all") and "sbp" in scenario.changes:
        delta = float(row["sbp"]) - scenario.changes["sbp"]
        rr = (1 - BPLTTC_RRR_PER_10MMHG) ** (delta / 10)
        out.append({"effect": f"SBP -{delta:.0f} mmHg", "relative_risk": round(rr, 3),
                    "risk_after": round(current_risk * rr, 4),
                    "source": "Ettehad et al., Lancet 2016;387:957-67 (20 % fewer major CVD events per 10 mmHg)"})
    if scenario.key in ("smoking", "all") and scenario.changes.get("smoking_current") == 0:
        rr = 1 - SMOKING_CESSATION_RRR
        out.append({"effect": "smoking cessation", "relative_risk": rr, "risk_after": round(current_risk * rr, 4),
                    "source": "Critchley & Capewell, JAMA 2003;290:86-97 (RR 0.64 for mortality in CHD after "
                              "quitting)"})
    return out


def what_if(features_row: pd.DataFrame, models: Mapping[str, LoadedModel], current: Mapping[str, float], *,
            region: str = "low", equations: bool = True) -> list[WhatIfResult]:
    """Re-score every applicable model (and equation) under each scenario."""
    from risk.equations.applicability import reference_scores

    row = features_row.iloc[0]
    plans = scenarios(row)
    if not plans:
        return []
    # One batch per model: every scenario is a row, scored in a single call.
    edited = pd.concat([apply(features_row, sc.changes) for sc in plans], ignore_index=True)
    by_model = {name: models[name].predict(edited) for name, risk in current.items()
                if name in models and risk is not None}
    base_eq = reference_scores(row.to_dict(), region=region) if equations else {}
    reference = current.get("cvd10") or next((v for v in current.values() if v is not None), None)
    results = []
    for i, sc in enumerate(plans):
        model_out = {name: (float(p.risk[i]), float(p.low[i]), float(p.high[i])) for name, p in by_model.items()}
        eq_out = {}
        if equations:
            after = reference_scores(edited.iloc[i].to_dict(), region=region)
            eq_out = {k: float(v.risk) for k, v in after.items()
                      if v.risk is not None and base_eq[k].risk is not None}
        trials = trial_estimates(row, sc, reference) if reference is not None else []
        results.append(WhatIfResult(scenario=sc, models=model_out, equations=eq_out, trial_estimates=trials))
    return results


def what_if_json(results: list[WhatIfResult]) -> list[dict[str, Any]]:
    return [{"scenario": r.scenario.key, "label_en": r.scenario.label_en, "label_fr": r.scenario.label_fr,
             "changes": {k: round(v, 2) for k, v in r.scenario.changes.items()},
             "models": {k: {"risk": round(v[0], 4), "interval": [round(v[1], 4), round(v[2], 4)]}
                        for k, v in r.models.items()},
             "equations": {k: round(v, 4) for k, v in r.equations.items()},
             "trial_estimates": r.trial_estimates} for r in results]
