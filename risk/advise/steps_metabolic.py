"""When the diabetes, kidney and drug-safety steps fire: ESC 2023 (SGLT2i, GLP-1 RA, finerenone, HbA1c), KDIGO
(RAS blockade in albuminuria, SGLT2i without diabetes, heat-map monitoring, nephrology referral incl. KFRE, statin
dose at eGFR <30), ESC HF 2021/2023 (SGLT2i), product labels (metformin by eGFR, potassium before an MRA),
ESC/EAS 2019 (familial hypercholesterolaemia).

Texts, citations and classes are in rules.json; thresholds in thresholds.json.
"""

from __future__ import annotations

from risk.advise import kidney
from risk.advise.data import message, text, thresholds
from risk.advise.inputs import score_trigger
from risk.advise.registry import Context, Firing, rule
from risk.advise.wording import bp_text, category_label, join
from risk.i18n import Text

HIGH = ("high", "very_high")


def _under_kidney_care(ctx: Context) -> bool:
    """Dialysis, kidney failure or a kidney transplant: the nephrologist's patient (no SGLT2i step: the trials
    excluded them; KDIGO 2024 3.7 is for CKD not on dialysis; ESC 2023 Table 24 the same)."""
    return ctx.f.yes("dx_esrd") or ctx.f.yes("dx_kidney_transplant")


# ---------------------------------------------------------------- diabetes (ESC 2023)


@rule("sglt2i_t2d")
def _sglt2i(ctx: Context) -> Firing | None:
    if not ctx.t2d or _under_kidney_care(ctx):
        return None
    d = thresholds()["diabetes"]
    egfr = ctx.f.num("egfr")
    if egfr is not None and egfr < d["sglt2i_min_egfr"]:
        return None  # not started below eGFR 20
    indications: list[Text] = []
    triggers = [ctx.f.trigger("diabetes_t2", "")]
    if ctx.cvd:
        indications.append(message("ind.ascvd"))
        triggers.append(ctx.f.trigger("established_cvd", ""))
    if ctx.kidney.ckd and egfr is not None:
        indications.append(message("ind.ckd"))
        triggers += [ctx.f.trigger("egfr"), ctx.f.trigger("uacr")]
    if ctx.f.yes("prior_hf"):
        indications.append(message("ind.hf"))
        triggers.append(ctx.f.trigger("prior_hf", ""))
    if not indications:
        return None
    triggers.append(ctx.f.trigger("rx_sglt2_inhibitor", ""))
    return Firing(
        triggered_by=tuple(triggers),
        params={"indications": join(indications)},
        already_done=ctx.f.yes("rx_sglt2_inhibitor"),
    )


@rule("glp1ra_t2d_ascvd")
def _glp1ra(ctx: Context) -> Firing | None:
    if not (ctx.t2d and ctx.cvd):
        return None
    return Firing(
        triggered_by=(
            ctx.f.trigger("diabetes_t2", ""),
            ctx.f.trigger("established_cvd", ""),
            ctx.f.trigger("rx_glp1_receptor_agonist", ""),
        ),
        already_done=ctx.f.yes("rx_glp1_receptor_agonist"),
    )


@rule("sglt2i_or_glp1ra_high_risk")
def _sglt2i_or_glp1ra(ctx: Context) -> Firing | None:
    c = ctx.category
    if not ctx.t2d or ctx.cvd or c.score_name != "score2_diabetes" or c.category not in HIGH:
        return None
    on_either = ctx.f.yes("rx_sglt2_inhibitor") or ctx.f.yes("rx_glp1_receptor_agonist")
    return Firing(
        triggered_by=(
            score_trigger("score2_diabetes", c.score_value),
            ctx.f.trigger("rx_sglt2_inhibitor", ""),
            ctx.f.trigger("rx_glp1_receptor_agonist", ""),
        ),
        params={"score": c.score_value, "category": category_label(c.category)},
        already_done=on_either,
    )


@rule("finerenone_t2d_ckd")
def _finerenone(ctx: Context) -> Firing | None:
    """ESC 2023 Table 24: finerenone *in addition to* an ACE inhibitor or ARB, so never beside "start an ACE
    inhibitor or ARB"; EU SmPC (Kerendia) 4.2: started only with potassium <=5.0 mmol/L (measured first)."""
    d, safety = thresholds()["diabetes"], thresholds()["drug_safety"]
    egfr, uacr = ctx.f.num("egfr"), ctx.f.num("uacr")
    if not ctx.t2d or egfr is None or uacr is None or egfr < d["finerenone_min_egfr"] or _under_kidney_care(ctx):
        return None
    if kidney.acute_fall(ctx.f):  # not during an unexplained acute fall (egfr_acute_fall comes first)
        return None
    if egfr <= d["finerenone_egfr_split"]:
        indicated = uacr >= d["finerenone_uacr_low_egfr"]
    else:
        indicated = uacr >= d["finerenone_uacr_high_egfr"]
    on_mra = ctx.f.yes("rx_mineralocorticoid_antagonist")
    if not indicated or not (on_mra or ctx.f.yes("rx_ace_inhibitor") or ctx.f.yes("rx_arb")):
        return None
    potassium = ctx.f.num("potassium")
    if potassium is None:
        variant = "measure_potassium"
    elif potassium > safety["potassium_max_to_start"]:
        variant = "potassium_high"
    else:
        variant = "default"
    return Firing(
        triggered_by=(
            ctx.f.trigger("diabetes_t2", ""),
            ctx.f.trigger("egfr"),
            ctx.f.trigger("uacr"),
            ctx.f.trigger("potassium"),
            ctx.f.trigger("rx_ace_inhibitor", ""),
            ctx.f.trigger("rx_arb", ""),
            ctx.f.trigger("rx_mineralocorticoid_antagonist", ""),
        ),
        params={"egfr": egfr, "uacr": uacr, "k": potassium, "k_max": safety["potassium_max_to_start"]},
        variant=variant,
        already_done=on_mra,
    )


@rule("potassium_high_on_mra")
def _potassium_high_on_mra(ctx: Context) -> Firing | None:
    """EU SmPC (Kerendia) 4.2: withhold finerenone above 5.5 mmol/L; ESC HF 2021: halve spironolactone or
    eplerenone above 5.5, stop above 6.0."""
    potassium = ctx.f.num("potassium")
    limit = thresholds()["drug_safety"]["potassium_withhold_above"]
    if not ctx.f.yes("rx_mineralocorticoid_antagonist") or potassium is None or potassium <= limit:
        return None
    return Firing(
        triggered_by=(ctx.f.trigger("potassium"), ctx.f.trigger("rx_mineralocorticoid_antagonist", "")),
        params={"k": potassium, "limit": limit},
    )


@rule("metformin_kidney_dose")
def _metformin_kidney(ctx: Context) -> Firing | None:
    """EU SmPC metformin 4.2 (GFR 30-44: at most 1,000 mg a day) and 4.3 (contraindicated below 30)."""
    d = thresholds()["drug_safety"]
    egfr = ctx.f.num("egfr")
    if not ctx.f.yes("rx_metformin"):
        return None
    if ctx.f.yes("dx_esrd") and not ctx.f.yes("dx_kidney_transplant"):
        variant = "stop_kidney_failure"
    elif egfr is None or egfr >= d["metformin_full_dose_min_egfr"]:
        return None
    else:
        variant = "stop" if egfr < d["metformin_stop_below_egfr"] else "default"
    return Firing(
        triggered_by=(ctx.f.trigger("egfr"), ctx.f.trigger("dx_esrd", ""), ctx.f.trigger("rx_metformin", "")),
        params={"egfr": egfr, "max_mg": str(d["metformin_reduced_max_mg"])},  # "1000", no thousands mark
        variant=variant,
    )


@rule("ras_blockade_diabetes_albuminuria")
def _ras_blockade(ctx: Context) -> Firing | None:
    uacr = ctx.f.num("uacr")
    if not ctx.diabetes or uacr is None or uacr < thresholds()["kdigo"]["albuminuria"][0]["below"]:
        return None
    sbp, dbp = ctx.f.num("sbp"), ctx.f.num("dbp")
    hypertension = (
        ctx.f.yes("hypertension")
        or ctx.f.yes("on_antihypertensive")
        or (sbp is not None and sbp >= 140)
        or (dbp is not None and dbp >= 90)
    )
    if not hypertension:
        return None
    on_ras = ctx.f.yes("rx_ace_inhibitor") or ctx.f.yes("rx_arb")
    return Firing(
        triggered_by=(
            ctx.f.trigger("uacr"),
            ctx.f.trigger("hypertension", ""),
            ctx.f.trigger("sbp"),
            ctx.f.trigger("rx_ace_inhibitor", ""),
            ctx.f.trigger("rx_arb", ""),
        ),
        params={"uacr": uacr},
        already_done=on_ras,
    )


@rule("hba1c_above_target")
def _hba1c(ctx: Context) -> Firing | None:
    hba1c = ctx.f.num("hba1c")
    target = thresholds()["diabetes"]["hba1c_target"]
    if not ctx.t2d or hba1c is None or hba1c <= target:
        return None
    conv = thresholds()["hba1c_percent"]
    return Firing(
        triggered_by=(ctx.f.trigger("hba1c"),),
        params={"hba1c": hba1c, "pct": conv["slope"] * hba1c + conv["intercept"]},
    )


# ---------------------------------------------------------------- kidney (KDIGO)


@rule("kidney_monitoring")
def _kidney_monitoring(ctx: Context) -> Firing | None:
    ks = ctx.kidney
    if not ks.ckd or ks.colour is None or ks.times_per_year is None:
        return None
    colour = text(thresholds()["kdigo"]["colour_labels"][ks.colour])
    return Firing(
        triggered_by=(ctx.f.trigger("egfr"), ctx.f.trigger("uacr")),
        params={"times": message(f"times.{ks.times_per_year}"), "stage": ks.label, "colour": colour},
        variant="no_uacr" if ks.albuminuria is None else "default",
    )


@rule("egfr_acute_fall")
def _egfr_acute_fall(ctx: Context) -> Firing | None:
    """A fall below 60 that has not lasted 3 months is not a CKD stage (KDIGO): look for a cause, re-measure."""
    if _under_kidney_care(ctx) or not kidney.acute_fall(ctx.f):
        return None
    latest = ctx.f.trigger("egfr")
    params = {"egfr": latest.value, "date": latest.date, "lasting": ctx.f.num("egfr_persistent"),
              "since": ctx.f.date_of("egfr_persistent")}
    return Firing(triggered_by=(latest,), params=params)


def _kfre(ctx: Context) -> float | None:
    return ctx.scores.get("kfre_5y")


@rule("nephrology_referral")
def _nephrology(ctx: Context) -> Firing | None:
    if _under_kidney_care(ctx):
        return None
    k = thresholds()["kdigo"]
    egfr, uacr, slope = ctx.f.num("egfr"), ctx.f.num("uacr"), ctx.f.num("egfr_slope")
    reasons: list[Text] = []
    triggers = []
    if egfr is not None and egfr < k["referral_egfr_below"]:
        reasons.append(message("ref.egfr_below_30", egfr=egfr))
        triggers.append(ctx.f.trigger("egfr"))
    if uacr is not None and uacr >= k["referral_uacr_at_least"]:
        reasons.append(message("ref.uacr_a3", uacr=uacr))
        triggers.append(ctx.f.trigger("uacr"))
    if ctx.kidney.ckd and slope is not None and -slope > k["rapid_decline_per_year"]:
        reasons.append(message("ref.rapid_decline", decline=-slope))
        triggers.append(ctx.f.trigger("egfr_slope", date_key="egfr"))
    n_classes, sbp = ctx.f.num("n_antihypertensive_classes"), ctx.f.num("sbp")
    if (
        ctx.kidney.ckd
        and n_classes is not None
        and n_classes >= k["refractory_hypertension_classes"]
        and sbp is not None
        and sbp >= k["refractory_sbp"]
    ):
        reasons.append(message("ref.refractory_htn", bp=bp_text(ctx.f), n=int(n_classes)))
        triggers += [ctx.f.trigger("sbp"), ctx.f.trigger("n_antihypertensive_classes")]
    if not reasons:
        return None
    kfre = _kfre(ctx)
    if kfre is not None and kfre >= thresholds()["kfre"]["refer_at_least"]:
        reasons.append(message("ref.kfre", kfre=kfre))
        triggers.append(score_trigger("kfre_5y", kfre))
    return Firing(triggered_by=tuple(triggers), params={"reasons": join(reasons)})


@rule("nephrology_referral_kfre")
def _nephrology_kfre(ctx: Context) -> Firing | None:
    kfre = _kfre(ctx)
    if _under_kidney_care(ctx) or kfre is None or kfre < thresholds()["kfre"]["refer_at_least"]:
        return None
    return Firing(
        triggered_by=(score_trigger("kfre_5y", kfre), ctx.f.trigger("egfr"), ctx.f.trigger("uacr")),
        params={"kfre": kfre},
    )


@rule("nephrology_referral_consider_kfre")
def _nephrology_consider_kfre(ctx: Context) -> Firing | None:
    kfre, cfg = _kfre(ctx), thresholds()["kfre"]
    if (
        _under_kidney_care(ctx)
        or kfre is None
        or not cfg["consider_at_least"] <= kfre < cfg["refer_at_least"]
    ):
        return None
    return Firing(
        triggered_by=(score_trigger("kfre_5y", kfre), ctx.f.trigger("egfr"), ctx.f.trigger("uacr")),
        params={"kfre": kfre},
    )


# ---------------------------------------------------------------- SGLT2 inhibitor without diabetes


@rule("sglt2i_ckd")
def _sglt2i_ckd(ctx: Context) -> Firing | None:
    """KDIGO 2024 3.7.2 (eGFR >=20 with UACR >=20 mg/mmol, 1A) and 3.7.3 (eGFR 20-45, 2B), without diabetes
    (type 2 diabetes has its own step; type 1 and unrecorded type are left to the specialist: ketoacidosis)."""
    if ctx.diabetes or _under_kidney_care(ctx) or kidney.acute_fall(ctx.f):  # an acute fall is not CKD (KDIGO)
        return None
    d = thresholds()["drug_safety"]
    egfr, uacr = ctx.f.num("egfr"), ctx.f.num("uacr")
    if egfr is None or egfr < d["sglt2i_ckd_min_egfr"]:
        return None
    if uacr is not None and uacr >= d["sglt2i_ckd_uacr_at_least"]:
        variant = "default"
    elif egfr < d["sglt2i_ckd_low_egfr_below"]:
        variant = "low_egfr"
    else:
        return None
    return Firing(
        triggered_by=(ctx.f.trigger("egfr"), ctx.f.trigger("uacr"), ctx.f.trigger("rx_sglt2_inhibitor", "")),
        params={"egfr": egfr, "uacr": uacr},
        variant=variant,
        already_done=ctx.f.yes("rx_sglt2_inhibitor"),
    )


@rule("sglt2i_hf")
def _sglt2i_hf(ctx: Context) -> Firing | None:
    """ESC HF 2021 (HFrEF, I A) and 2023 focused update (HFmrEF and HFpEF, I A): an SGLT2 inhibitor whatever
    the ejection fraction; not in type 1 diabetes, not below eGFR 20 or on dialysis (trial populations)."""
    egfr = ctx.f.num("egfr")
    if (
        not ctx.f.yes("prior_hf")
        or ctx.f.yes("diabetes_t1")
        or _under_kidney_care(ctx)
        or (egfr is not None and egfr < thresholds()["drug_safety"]["sglt2i_ckd_min_egfr"])
    ):
        return None
    return Firing(
        triggered_by=(ctx.f.trigger("prior_hf", ""), ctx.f.trigger("egfr"), ctx.f.trigger("rx_sglt2_inhibitor", "")),
        already_done=ctx.f.yes("rx_sglt2_inhibitor"),
    )


# ---------------------------------------------------------------- lipids where the kidney or genetics decide


@rule("statin_kidney_dose")
def _statin_kidney(ctx: Context) -> Firing | None:
    """KDIGO 2013 lipids: eGFR <30 not on dialysis -> a moderate dose studied in CKD (Table 3; rosuvastatin is
    contraindicated below 30 mL/min in its SmPC), 2.1.1 (age >=50: 1A) and 2.2 (18-49 with CHD, diabetes or
    stroke: 2A); on dialysis statins are not started (3.1, 2A) but continued."""
    egfr, age = ctx.f.num("egfr"), ctx.f.num("age")
    dialysis = ctx.f.yes("dx_esrd") and not ctx.f.yes("dx_kidney_transplant")
    low = egfr is not None and egfr < thresholds()["drug_safety"]["statin_moderate_dose_below_egfr"]
    if not (dialysis or low):
        return None
    on_statin = ctx.f.yes("on_statin")
    triggers = (ctx.f.trigger("egfr"), ctx.f.trigger("dx_esrd", ""), ctx.f.trigger("on_statin", ""))
    params = {"egfr": egfr}
    if on_statin:
        return Firing(triggered_by=triggers, params=params, already_done=True)
    if dialysis:
        return Firing(triggered_by=triggers, params=params, variant="dialysis")
    if (age is not None and age >= 50) or ctx.cvd or ctx.diabetes:
        return Firing(triggered_by=(*triggers, ctx.f.trigger("age")), params=params)
    return None


@rule("familial_hypercholesterolaemia")
def _fh(ctx: Context) -> Firing | None:
    """ESC/EAS 2019 section 10.1: consider FH with severely elevated LDL-C (>=4.9 mmol/L, 190 mg/dL, in an
    adult); Dutch Lipid Clinic Network criteria, genetic testing, cascade testing of relatives (I C)."""
    ldl, age = ctx.f.num("ldl"), ctx.f.num("age")
    if ldl is None or age is None or age < 18 or ldl < thresholds()["drug_safety"]["fh_ldl_at_least"]:
        return None
    per_g = thresholds()["mmol_per_g_ldl"]
    return Firing(
        triggered_by=(ctx.f.trigger("ldl"), ctx.f.trigger("on_statin", "")),
        params={"ldl": ldl, "ldl_gl": ldl / per_g},
    )
