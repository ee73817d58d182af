"""What would change the risk: re-scoring with modifiable factors at target, and trial-based benefit estimates.

Re-scoring is counterfactual prediction (same model, edited inputs), not a reading of SHAP values as causal
effects (product.md section 5). Trial-based estimates apply published relative risk reductions to the current
risk and are labelled as estimates with their source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from risk.equations import reference_scores
from risk.features.row import FeatureRow
from risk.i18n.lab_units import LabUnit, from_lab, to_lab
from risk.models.registry import LoadedModel
from risk.terminology.messages import Message

# Targets (canonical units) with their source. The LDL-C target is the patient's own goal, given by the caller from
# the ESC risk category (risk.advise.ldl_goal: ESC/EAS 2019, 1.4 / 1.8 / 2.6 / 3.0 mmol/L); no goal, no LDL scenario.
SBP_TARGET = 130.0  # ESC 2021 prevention / ESC 2024 hypertension: treat to 120-130 mmHg if tolerated
HBA1C_TARGET = 53.0  # mmol/mol (7.0 %), ADA 2025 / ESC 2023 usual target
BMI_TARGET = 25.0  # WHO upper limit of normal weight

# Trial-based relative effects (estimates, per unit change).
CTT_RRR_PER_MMOL = 0.22  # CTT Collaboration, Lancet 2010;376:1670: major vascular events -22 % per 1 mmol/L LDL
BPLTTC_RRR_PER_10MMHG = 0.20  # Ettehad et al., Lancet 2016;387:957: major CVD events -20 % per 10 mmHg SBP
SMOKING_CESSATION_RRR = 0.36  # Critchley & Capewell, JAMA 2003;290:86: mortality RR 0.64 after quitting (CHD)
# The trial effects are extrapolated no further than the trials went: BP trials lowered SBP by up to about 20 mmHg
# (Ettehad 2016: effects per 10 mmHg, proportional across trials of up to ~20 mmHg); CTT 2010 projects its per-mmol/L
# effect to reductions of 2-3 mmol/L ("about 40-50 %"). Beyond these the estimate is computed at the cap and says so.
SBP_TRIAL_MAX_DROP = 20.0  # mmHg
LDL_TRIAL_MAX_DROP = 3.0  # mmol/L
# Trial relative risks are for cardiovascular events: they apply only to a cardiovascular risk (never to heart
# failure, kidney or microvascular outcomes).
CARDIOVASCULAR_OUTCOMES = frozenset({"cvd10", "score2", "score2_op", "score2_diabetes", "prevent_cvd",
                                     "prevent_ascvd", "qrisk3"})


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
    trial_estimates: list[TrialEstimate] = field(default_factory=list)


def treatment_targets(row: pd.Series) -> dict[str, float]:
    """The targets that apply to this patient (canonical units): SBP always, HbA1c only with diabetes."""
    return {"sbp": SBP_TARGET} | ({"hba1c": HBA1C_TARGET} if FeatureRow(row).yes("diabetes_any") else {})


def scenarios(row: pd.Series, *, ldl_target: float | None = None) -> list[Scenario]:
    """Modifiable factors that are away from target for this patient (nothing offered when already at target).

    ``ldl_target`` is the patient's LDL-C goal (mmol/L) from the ESC category; without it there is no LDL
    scenario. Reaching the goal means a lipid-lowering drug, so the scenario also sets statin treatment (an
    input of PREVENT) when none is recorded.
    """
    out: list[Scenario] = []

    read = FeatureRow(row)

    def val(name: str) -> float:
        v = read.num(name)
        return math.nan if v is None else v

    sbp = val("sbp")
    if sbp > SBP_TARGET:
        out.append(Scenario(key="sbp", label_en=f"Systolic BP {SBP_TARGET:.0f} mmHg",
                            label_fr=f"PA systolique {SBP_TARGET:.0f} mmHg",
                            changes={"sbp": SBP_TARGET, "sbp_mean3": min(val("sbp_mean3"), SBP_TARGET)
                                     if not math.isnan(val("sbp_mean3")) else SBP_TARGET}))
    ldl = val("ldl")
    if ldl_target is not None and ldl > ldl_target:
        delta = ldl - ldl_target
        changes = {"ldl": ldl_target}
        if val("on_statin") != 1:
            changes["on_statin"] = 1.0
        for lipid in ("total_chol", "non_hdl"):
            if not math.isnan(val(lipid)):
                changes[lipid] = val(lipid) - delta
        out.append(Scenario(key="ldl", label_en=f"LDL cholesterol {ldl_target:g} mmol/L",
                            label_fr=f"LDL-cholestérol {ldl_target:g} mmol/L".replace(".", ","), changes=changes))
    if val("smoking_current") == 1:
        out.append(Scenario(key="smoking", label_en="Stops smoking", label_fr="Arrêt du tabac",
                            changes={"smoking_current": 0.0, "smoking_former": 1.0}))
    if "hba1c" in treatment_targets(row) and val("hba1c") > HBA1C_TARGET:
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


@dataclass(frozen=True, kw_only=True)
class TrialEstimate:
    """Risk after a change, from a published relative effect: an estimate, labelled with its source."""

    effect: Message  # what changes, e.g. "whatif.effect.ldl" {delta: 1.2}
    relative_risk: float
    risk_after: float
    source: str  # bibliographic citation (language-neutral)
    finding: Message  # the trial's result in words


def _effect(key: str, delta: float, capped: bool, cap: float) -> Message:
    """What changes, saying when the estimate stops at the largest change the trials studied."""
    if key == "ldl":
        if capped:
            return Message(code="whatif.effect.ldl_capped", params={"delta": delta, "cap": cap})
        return Message(code="whatif.effect.ldl", params={"delta": delta})
    if capped:
        return Message(code="whatif.effect.sbp_capped", params={"delta": delta, "cap": cap})
    return Message(code="whatif.effect.sbp", params={"delta": delta})


def trial_estimates(row: pd.Series, scenario: Scenario, current_risk: float) -> list[TrialEstimate]:
    """Risk after the change from trial relative effects (an estimate, labelled with its source)."""
    out = []
    if scenario.key in ("ldl", "all") and "ldl" in scenario.changes:
        delta = min(float(row["ldl"]) - scenario.changes["ldl"], LDL_TRIAL_MAX_DROP)
        rr = (1 - CTT_RRR_PER_MMOL) ** delta
        out.append(TrialEstimate(effect=_effect("ldl", round(delta, 1), float(row["ldl"]) - scenario.changes["ldl"]
                                                > LDL_TRIAL_MAX_DROP, LDL_TRIAL_MAX_DROP),
                                 relative_risk=round(rr, 3), risk_after=round(current_risk * rr, 4),
                                 source="CTT Collaboration, Lancet 2010;376:1670-81",
                                 finding=Message(code="whatif.finding.ctt")))
    if scenario.key in ("sbp", "all") and "sbp" in scenario.changes:
        drop = float(row["sbp"]) - scenario.changes["sbp"]
        delta = min(drop, SBP_TRIAL_MAX_DROP)
        rr = (1 - BPLTTC_RRR_PER_10MMHG) ** (delta / 10)
        out.append(TrialEstimate(effect=_effect("sbp", round(delta), drop > SBP_TRIAL_MAX_DROP, SBP_TRIAL_MAX_DROP),
                                 relative_risk=round(rr, 3), risk_after=round(current_risk * rr, 4),
                                 source="Ettehad et al., Lancet 2016;387:957-67",
                                 finding=Message(code="whatif.finding.bplttc")))
    if scenario.key in ("smoking", "all") and scenario.changes.get("smoking_current") == 0:
        rr = 1 - SMOKING_CESSATION_RRR
        out.append(TrialEstimate(effect=Message(code="whatif.effect.smoking"), relative_risk=rr,
                                 risk_after=round(current_risk * rr, 4), source="Critchley & Capewell, JAMA "
                                 "2003;290:86-97", finding=Message(code="whatif.finding.smoking")))
    return out


def what_if(features_row: pd.DataFrame, models: Mapping[str, LoadedModel], current: Mapping[str, float], *,
            region: str = "low", equations: bool = True, reference: float | None = None,
            reference_name: str | None = None, ldl_target: float | None = None) -> list[WhatIfResult]:
    """Re-score every applicable model (and equation) under each scenario; trial-based estimates apply to
    `reference` (the headline risk) only when `reference_name` is a cardiovascular outcome."""
    row = features_row.iloc[0]
    plans = scenarios(row, ldl_target=ldl_target)
    if reference_name not in CARDIOVASCULAR_OUTCOMES:
        reference = None
    if not plans:
        return []
    # One batch per model: every scenario is a row, scored in a single call.
    edited = pd.concat([apply(features_row, sc.changes) for sc in plans], ignore_index=True)
    by_model = {name: models[name].predict(edited) for name, risk in current.items()
                if name in models and risk is not None}
    base_eq = reference_scores(row.to_dict(), region=region) if equations else {}
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


# --- interactive what-if: sliders in the lab's units, and re-scoring -------------------------------------


@dataclass(frozen=True, kw_only=True)
class Control:
    """One what-if slider (or toggle) in the unit the lab reports."""

    key: str  # sbp, ldl, hba1c, bmi, smoking
    concept: str  # measurement concept behind it ("smoking_status" for the toggle)
    value: float  # the patient's current value, in `unit`
    low: float
    high: float
    step: float
    unit: str  # display unit


# Slider ranges in canonical units: wide enough for any target, inside the plausible ranges of
# risk.terminology.concepts.
_RANGES = {"sbp": (90.0, 220.0, 1.0), "ldl": (0.5, 8.0, 0.05), "hba1c": (31.0, 120.0, 1.0), "bmi": (16.0, 50.0, 0.5)}


def whatif_controls(row: pd.Series, units: Mapping[str, LabUnit]) -> list[Control]:
    """Controls for the modifiable inputs this patient has a value for (no value: nothing to move)."""
    out = []
    for key, (lo, hi, step) in _RANGES.items():
        if key == "hba1c" and key not in treatment_targets(row):
            continue
        v = FeatureRow(row).num(key)
        if v is None:
            continue
        shown, unit = to_lab(key, v, units.get(key))
        lo_s, _ = to_lab(key, lo, units.get(key))
        hi_s, _ = to_lab(key, hi, units.get(key))
        scale = (hi_s - lo_s) / (hi - lo)
        # A power of ten in the lab's unit: 0.05 mmol/L LDL -> 0.01 g/L, 1 mmol/mol HbA1c -> 0.01 % (a lab's
        # own resolution), so that the patient's value sits exactly on the slider.
        s = 10.0 ** math.floor(math.log10(step * scale))
        digits = max(0, -int(math.floor(math.log10(s))))
        out.append(Control(key=key, concept=key, value=round(shown, digits), low=round(min(lo_s, shown), digits),
                           high=round(max(hi_s, shown), digits), step=s, unit=unit))
    if FeatureRow(row).yes("smoking_current"):
        out.append(Control(key="smoking", concept="smoking_status", value=1.0, low=0.0, high=1.0, step=1.0, unit=""))
    return out


def changes_from_controls(row: pd.Series, values: Mapping[str, float], units: Mapping[str, LabUnit],
                          controls: list[Control] | None = None) -> dict[str, float]:
    """Feature edits for control values (same edits as risk.explain.whatif.scenarios: LDL moves TC and non-HDL too).

    A control left at the patient's value (as shown, i.e. rounded to the lab's resolution) changes nothing.
    """
    start = {c.key: c for c in controls or whatif_controls(row, units)}
    changes: dict[str, float] = {}
    for key, shown in values.items():
        if key == "smoking":
            if shown < 0.5:
                changes.update({"smoking_current": 0.0, "smoking_former": 1.0})
            continue
        c = start.get(key)
        if c is not None and abs(float(shown) - c.value) < c.step / 2:
            continue
        new = from_lab(key, float(shown), units.get(key))
        old = FeatureRow(row).num(key)
        changes[key] = new
        if key == "sbp":
            changes["sbp_mean3"] = new
        elif key == "ldl" and old is not None:
            for lipid in ("total_chol", "non_hdl"):
                v = FeatureRow(row).num(lipid)
                if v is not None:
                    changes[lipid] = v - (old - new)
    return changes


@dataclass(frozen=True, kw_only=True)
class Rescored:
    models: dict[str, tuple[float, float, float]]  # name -> (risk, low, high)
    equations: dict[str, float]


def rescore(features_row: pd.DataFrame, models: Mapping[str, LoadedModel], changes: Mapping[str, float], *,
            model_names: list[str], equation_names: list[str], region: str = "low") -> Rescored:
    """The models and equations named (those that had a risk before the edit) again, with edited inputs."""
    edited = apply(features_row, changes)
    out_models = {}
    for name in model_names:
        if name in models:
            p = models[name].predict(edited)
            out_models[name] = (float(p.risk[0]), float(p.low[0]), float(p.high[0]))
    after = reference_scores(edited.iloc[0].to_dict(), region=region)
    eq = {k: float(after[k].risk) for k in equation_names if after[k].risk is not None}
    return Rescored(models=out_models, equations=eq)
