"""When the cardiovascular steps fire: risk estimation, lipids, blood pressure, smoking, antiplatelet.

Texts, citations and classes are in rules.json; thresholds in thresholds.json. A treated patient is never
offered the same treatment again: the step is returned with ``already_done`` and the next move (intensify,
add-on) is a separate step.
"""

from __future__ import annotations

from typing import Any

from risk.advise.category import band_for, categorise
from risk.advise.conditions import severe_bp
from risk.advise.data import message, text, thresholds
from risk.advise.inputs import score_trigger
from risk.advise.model import TriggerInput
from risk.advise.registry import Context, Firing, rule
from risk.advise.wording import bp_text, category_label, input_label, join
from risk.i18n import Text

HIGH = ("high", "very_high")
# The measured inputs of each score (their dates are printed with the risk estimate).
SCORE_INPUTS = {
    "score2": ("sbp", "total_chol", "hdl"),
    "score2_diabetes": ("sbp", "total_chol", "hdl", "hba1c", "egfr"),
}
ANTICOAGULANTS = ("rx_anticoagulant_vka", "rx_anticoagulant_doac", "rx_anticoagulant_parenteral")


# ---------------------------------------------------------------- risk estimation


def _estimate(ctx: Context, score_names: tuple[str, ...]) -> Firing | None:
    """Done (with the score) when available, else the action naming what is missing."""
    risk = next((ctx.scores[n] for n in score_names if ctx.scores.get(n) is not None), None)
    age = ctx.f.num("age")
    shown = score_names[0]
    if risk is None:
        if ctx.f.yes("prior_hf"):  # SCORE2/-OP were derived without heart failure: not applicable, not "failed"
            return Firing(triggered_by=(ctx.f.trigger("prior_hf", ""),), variant="not_applicable_hf")
        missing = ctx.category.missing
        if not missing:
            return Firing(triggered_by=(score_trigger(shown, None),), variant="failed")
        return Firing(
            triggered_by=tuple(
                ctx.f.trigger(m, "") if m in ("sex_male", "smoking_current", "diabetes_any") else ctx.f.trigger(m)
                for m in missing
            ),
            params={"missing": join([input_label(m) for m in missing])},
        )
    params: dict[str, Any] = {"score": risk, "region": message(f"region.{ctx.region}")}
    inputs = SCORE_INPUTS["score2_diabetes" if shown == "score2_diabetes" else "score2"]
    acts_on = tuple(ctx.f.trigger(k) for k in inputs)
    if ctx.category.basis == "outside_derivation":  # shown for information, sets no category (project issue 12)
        return Firing(triggered_by=(score_trigger(shown, risk), ctx.f.trigger("age")), params=params,
                      variant="outside", already_done=True, acts_on=acts_on)
    if shown == "score2_diabetes":
        params["category"] = category_label(categorise("esc2023_score2_diabetes", age or 0.0, risk))
    else:
        set_key = thresholds()["guideline_sets"][ctx.guideline_set]["risk_thresholds"]
        params["category"] = category_label(categorise(set_key, age or 0.0, risk))
        params["band"] = text(band_for(set_key, age or 0.0)["label"])
    return Firing(
        triggered_by=(score_trigger(shown, risk), ctx.f.trigger("age")),
        params=params,
        already_done=True,
        acts_on=acts_on,  # the measurements the score was computed from
    )


@rule("risk_estimate_score2")
def _score2(ctx: Context) -> Firing | None:
    age = ctx.f.num("age")
    if not ctx.apparently_healthy or age is None or not 40 <= age < 70:
        return None
    return _estimate(ctx, ("score2",))


@rule("risk_estimate_score2_op")
def _score2_op(ctx: Context) -> Firing | None:
    age = ctx.f.num("age")
    if not ctx.apparently_healthy or age is None or age < 70:
        return None
    return _estimate(ctx, ("score2_op", "score2"))


@rule("risk_estimate_score2_diabetes")
def _score2_diabetes(ctx: Context) -> Firing | None:
    age = ctx.f.num("age")
    if (
        not ctx.t2d
        or ctx.cvd
        or ctx.category.basis == "diabetes_target_organ_damage"
        or age is None
        or not 40 <= age < 70
    ):
        return None
    return _estimate(ctx, ("score2_diabetes",))


# ---------------------------------------------------------------- lipids


def _lipid_params(ctx: Context, goal: float, ldl: float | None) -> dict[str, Any]:
    per_g = thresholds()["mmol_per_g_ldl"]
    params: dict[str, Any] = {
        "goal": goal,
        "goal_gl": goal / per_g,
        "category": category_label(ctx.category.category),
    }
    if ldl is not None:
        params |= {"ldl": ldl, "ldl_gl": ldl / per_g}
    return params


def _older_primary(ctx: Context) -> bool:
    """Primary prevention at an age where a statin is only considered, at a low dose (thresholds.json
    "older_primary_statin": 70 with ESC 2021, 75 with ESC/EAS 2019-2025, 70 with diabetes)."""
    age, cfg = ctx.f.num("age"), thresholds()["older_primary_statin"]
    if age is None or ctx.cvd or ctx.kidney_risk_category:
        return False
    return age >= (cfg["with_diabetes"] if ctx.diabetes else cfg[ctx.guideline_set])


@rule("statin_start")
def _statin_start(ctx: Context) -> Firing | None:
    if ctx.category.category not in HIGH or _older_primary(ctx):
        return None
    goal = ctx.ldl_goal()
    assert goal is not None  # every known category has a goal in thresholds.json
    ldl = ctx.f.num("ldl")
    on_statin = ctx.f.yes("on_statin")
    triggers = (*ctx.category_triggers(), ctx.f.trigger("ldl"), ctx.f.trigger("on_statin", ""))
    params = _lipid_params(ctx, goal, ldl)
    if on_statin:
        return Firing(triggered_by=triggers, params=params, already_done=True)
    if ldl is None:
        # ESC 2021: high-intensity statin for all patients with ASCVD; otherwise LDL-C is needed first.
        return Firing(triggered_by=triggers, params=params, variant="no_ldl") if ctx.cvd else None
    if ldl >= goal or ctx.cvd:
        return Firing(triggered_by=triggers, params=params)
    return None


@rule("statin_start_older_primary")
@rule("statin_start_older_primary_eas")
def _statin_older(ctx: Context) -> Firing | None:
    if ctx.category.category not in HIGH or not _older_primary(ctx):
        return None
    goal = ctx.ldl_goal()
    assert goal is not None
    ldl = ctx.f.num("ldl")
    triggers = (*ctx.category_triggers(), ctx.f.trigger("ldl"), ctx.f.trigger("on_statin", ""))
    params = _lipid_params(ctx, goal, ldl) | {"age_from": _older_from(ctx)}
    if ctx.f.yes("on_statin"):
        return Firing(triggered_by=triggers, params=params, already_done=True)
    if ldl is not None and ldl >= goal:
        return Firing(triggered_by=triggers, params=params)
    return None


def _older_from(ctx: Context) -> int:
    cfg = thresholds()["older_primary_statin"]
    return int(cfg["with_diabetes"] if ctx.diabetes else cfg[ctx.guideline_set])


def _above_goal_on_statin(ctx: Context) -> tuple[float, float] | None:
    """LDL-C above goal on a statin; never in older primary prevention, where the statin is kept at the dose
    tolerated (no maximal dose, no ezetimibe: ESC/EAS 2019 section 9.1, ESC 2021 section 4.6.4)."""
    goal, ldl = ctx.ldl_goal(), ctx.f.num("ldl")
    if goal is None or ldl is None or not ctx.f.yes("on_statin") or ldl < goal or _older_primary(ctx):
        return None
    return ldl, goal


@rule("statin_intensify")
def _statin_intensify(ctx: Context) -> Firing | None:
    above = _above_goal_on_statin(ctx)
    if above is None:
        return None
    ldl, goal = above
    return Firing(
        triggered_by=(ctx.f.trigger("ldl"), ctx.f.trigger("on_statin", "")),
        params=_lipid_params(ctx, goal, ldl),
    )


@rule("ezetimibe_add")
def _ezetimibe(ctx: Context) -> Firing | None:
    above = _above_goal_on_statin(ctx)
    if above is None:
        return None
    ldl, goal = above
    return Firing(
        triggered_by=(ctx.f.trigger("ldl"), ctx.f.trigger("rx_ezetimibe", "")),
        params=_lipid_params(ctx, goal, ldl),
        already_done=ctx.f.yes("rx_ezetimibe"),
    )


@rule("pcsk9_add")
def _pcsk9(ctx: Context) -> Firing | None:
    above = _above_goal_on_statin(ctx)
    if above is None or not ctx.cvd or not ctx.f.yes("rx_ezetimibe"):
        return None
    ldl, goal = above
    return Firing(
        triggered_by=(
            ctx.f.trigger("established_cvd", ""),
            ctx.f.trigger("ldl"),
            ctx.f.trigger("rx_ezetimibe", ""),
        ),
        params=_lipid_params(ctx, goal, ldl),
        already_done=ctx.f.yes("rx_pcsk9_inhibitor"),
    )


@rule("lipid_lifestyle")
def _lipid_lifestyle(ctx: Context) -> Firing | None:
    goal, ldl = ctx.ldl_goal(), ctx.f.num("ldl")
    if (
        ctx.category.category in HIGH
        or goal is None
        or ldl is None
        or ldl < goal
        or ctx.f.yes("on_lipid_lowering")
        or ctx.f.yes("on_statin")
    ):
        return None
    return Firing(triggered_by=(*ctx.category_triggers(), ctx.f.trigger("ldl")), params=_lipid_params(ctx, goal, ldl))


# ---------------------------------------------------------------- blood pressure


def _bp(ctx: Context) -> tuple[int, int | None] | None:
    """Latest office BP in whole mmHg (how it is measured and how targets are written)."""
    sbp, dbp = ctx.f.num("sbp"), ctx.f.num("dbp")
    if sbp is None:
        return None
    return round(sbp), (round(dbp) if dbp is not None else None)


def _bp_triggers(ctx: Context) -> tuple[TriggerInput, ...]:
    return (ctx.f.trigger("sbp"), ctx.f.trigger("dbp"), ctx.f.trigger("on_antihypertensive", ""))


def _at_least(bp: tuple[int, int | None], limits: dict[str, float]) -> bool:
    sbp, dbp = bp
    return sbp >= limits["sbp"] or (dbp is not None and dbp >= limits["dbp"])


def _conditions(ctx: Context, *, moderate_ckd_only: bool = False) -> list[Text]:
    """High-risk conditions; ESC 2024 counts only moderate or severe CKD (Recommendation Table 17)."""
    out = []
    if ctx.cvd:
        out.append(message("cond.cvd"))
    if ctx.kidney.moderate_or_severe if moderate_ckd_only else ctx.kidney.ckd:
        out.append(message("cond.ckd"))
    if ctx.diabetes:
        out.append(message("cond.diabetes"))
    return out


def _untreated_bp(ctx: Context) -> tuple[int, int | None] | None:
    return None if ctx.f.yes("on_antihypertensive") else _bp(ctx)


@rule("bp_drug_start_esc2021")
def _bp_start_2021(ctx: Context) -> Firing | None:
    bp = _untreated_bp(ctx)
    cfg = thresholds()["bp"]["esc2021"]
    if bp is None or not _at_least(bp, cfg["grade1"]):
        return None
    variant = "grade1"  # ESC 2021: grade 1 treated on CVD risk, lifetime benefit and HMOD (I C); grade >=2 (I A)
    severe, used = severe_bp(ctx.f)
    if severe is not None:  # >=180/110: treat promptly, never "confirm out of office first"
        return Firing(triggered_by=_bp_triggers(ctx), params={"bp": bp_text(ctx.f), "severe": severe},
                      variant="urgent", acts_on=tuple(used))
    if _at_least(bp, cfg["grade2"]):
        reason, variant = message("bp.grade2"), "default"
    elif ctx.category.category in HIGH:
        reason = message("bp.grade1_risk", category=category_label(ctx.category.category))
    elif conditions := _conditions(ctx):
        reason = message("bp.grade1_condition", conditions=join(conditions))
    else:
        return None
    return Firing(
        triggered_by=(*_bp_triggers(ctx), *ctx.category_triggers()),
        params={"bp": bp_text(ctx.f), "reason": reason},
        variant=variant,
    )


@rule("bp_lifestyle_first_esc2021")
def _bp_lifestyle_2021(ctx: Context) -> Firing | None:
    bp = _untreated_bp(ctx)
    cfg = thresholds()["bp"]["esc2021"]
    if (
        bp is None
        or not _at_least(bp, cfg["grade1"])
        or _at_least(bp, cfg["grade2"])
        or ctx.category.category in HIGH
        or _conditions(ctx)
    ):
        return None
    return Firing(triggered_by=(*_bp_triggers(ctx), *ctx.category_triggers()), params={"bp": bp_text(ctx.f)})


def _above_target(ctx: Context, key: str, *, diastolic_variant: bool = False) -> Firing | None:
    """On treatment and above target. With `diastolic_variant`, a diastolic-only miss gets its own, weaker step
    (ESC 2024: the systolic target is I A, the diastolic 70-79 mmHg target only IIb C)."""
    bp, age = _bp(ctx), ctx.f.num("age")
    if bp is None or age is None or not ctx.f.yes("on_antihypertensive"):
        return None
    target = next(t for t in thresholds()["bp"][key]["targets"] if t["min_age"] <= age < t["below_age"])
    sbp, dbp = bp
    sbp_above = sbp > target["sbp_max"]
    dbp_above = dbp is not None and dbp > target["dbp_max"]
    severe, _used = severe_bp(ctx.f)
    variant = "diastolic" if diastolic_variant and dbp_above and not sbp_above else "default"
    if severe is not None:
        variant = "urgent"
    elif _very_old_bp(ctx, key) and variant == "default" and (sbp_above or dbp_above):
        variant = "very_old"
    return Firing(
        triggered_by=(*_bp_triggers(ctx), ctx.f.trigger("age")),
        params={"bp": bp_text(ctx.f), "target": text(target["label"]), "severe": severe or ""},
        variant=variant,
        already_done=not (sbp_above or dbp_above),
    )


def _very_old_bp(ctx: Context, key: str) -> bool:
    """From 85 the ESC 2024 wording applies: as low as reasonably achievable, monotherapy first."""
    age, start = ctx.f.num("age"), thresholds()["bp"][key].get("very_old_from")
    return age is not None and start is not None and age >= start


@rule("bp_above_target_esc2021")
def _bp_target_2021(ctx: Context) -> Firing | None:
    return _above_target(ctx, "esc2021")


@rule("bp_above_target_esc2024")
def _bp_target_2024(ctx: Context) -> Firing | None:
    return _above_target(ctx, "esc2024", diastolic_variant=True)


@rule("bp_drug_start_esc2024")
def _bp_start_2024(ctx: Context) -> Firing | None:
    bp = _untreated_bp(ctx)
    if bp is None or not _at_least(bp, thresholds()["bp"]["esc2024"]["hypertension"]):
        return None
    severe, used = severe_bp(ctx.f)
    if severe is not None:  # >=180/110: treat promptly, never "confirm out of office first"
        return Firing(triggered_by=_bp_triggers(ctx), params={"bp": bp_text(ctx.f), "severe": severe},
                      variant="urgent", acts_on=tuple(used))
    variant = "very_old" if _very_old_bp(ctx, "esc2024") else "default"
    return Firing(triggered_by=_bp_triggers(ctx), params={"bp": bp_text(ctx.f)}, variant=variant)


@rule("bp_elevated_esc2024")
def _bp_elevated_2024(ctx: Context) -> Firing | None:
    cfg = thresholds()["bp"]["esc2024"]
    bp = _untreated_bp(ctx)
    if bp is None or _at_least(bp, cfg["hypertension"]) or not _at_least(bp, cfg["elevated_treat"]):
        return None
    if _very_old_bp(ctx, "esc2024"):  # from 85, drug treatment only from 140/90 (ESC 2024, older people)
        return None
    risk = ctx.category.score_value
    if conditions := _conditions(ctx, moderate_ckd_only=True):
        reason = join(conditions)
    elif risk is not None and risk >= cfg["elevated_treat"]["risk"]:
        reason = message("bp.risk_10", score=risk)
    else:
        return None
    return Firing(
        triggered_by=(*_bp_triggers(ctx), *ctx.category_triggers()),
        params={"bp": bp_text(ctx.f), "reason": reason},
    )


# ---------------------------------------------------------------- smoking and antiplatelet


def _smoker(ctx: Context) -> Firing | None:
    if not ctx.f.yes("smoking_current"):
        return None
    return Firing(triggered_by=(ctx.f.trigger("smoking_current", "", date_key="smoking"),))


rule("smoking_cessation")(_smoker)
rule("smoking_cessation_support")(_smoker)


@rule("antiplatelet_secondary")
def _antiplatelet(ctx: Context) -> Firing | None:
    if not ctx.cvd or ctx.f.yes("dx_stroke_haemorrhagic") or any(ctx.f.yes(k) for k in ANTICOAGULANTS):
        return None  # anticoagulated patients: the antithrombotic plan is a specialist decision
    return Firing(
        triggered_by=(ctx.f.trigger("established_cvd", ""), ctx.f.trigger("rx_antiplatelet", "")),
        already_done=ctx.f.yes("rx_antiplatelet"),
    )
