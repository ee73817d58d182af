"""Findings that set a risk category without a score (ESC 2023 severe target-organ damage in type 2
diabetes, ESC 2021 markedly elevated single risk factor, ESC/EAS 2019 diabetes categories); thresholds in
thresholds.json."""

from __future__ import annotations

from risk.advise.data import message, thresholds
from risk.advise.inputs import Features
from risk.advise.model import TriggerInput
from risk.advise.wording import bp_text
from risk.i18n import Text, lazy_join


def severe_target_organ_damage(f: Features) -> tuple[list[Text], list[TriggerInput]]:
    """ESC 2023 severe target-organ damage in type 2 diabetes (thresholds.json "diabetes")."""
    d = thresholds()["diabetes"]
    egfr, uacr = f.num("egfr"), f.num("uacr")
    found: list[Text] = []
    used: list[TriggerInput] = []
    if egfr is not None and egfr < d["tod_egfr_below"]:
        found.append(message("tod.egfr_below_45", egfr=egfr))
        used.append(f.trigger("egfr"))
    elif (
        egfr is not None
        and uacr is not None
        and egfr < d["tod_egfr_albuminuria_below"]
        and d["tod_uacr_micro"] <= uacr <= d["tod_uacr_proteinuria_above"]
    ):
        found.append(message("tod.egfr_45_59_albuminuria", egfr=egfr, uacr=uacr))
        used += [f.trigger("egfr"), f.trigger("uacr")]
    if uacr is not None and uacr > d["tod_uacr_proteinuria_above"]:
        found.append(message("tod.proteinuria", uacr=uacr))
        used.append(f.trigger("uacr"))
    sites = [
        k
        for k in ("dx_diabetic_retinopathy", "dx_diabetic_neuropathy", "dx_diabetic_nephropathy")
        if f.yes(k)
    ]
    if uacr is not None and uacr >= d["tod_uacr_micro"] and "dx_diabetic_nephropathy" not in sites:
        sites.append("uacr")  # albuminuria counts as the kidney site
    if len(sites) >= d["tod_microvascular_sites"]:
        found.append(message("tod.microvascular", n=len(sites)))
        used += [f.trigger(k, "") for k in sites if k != "uacr"]
    return found, used


def markedly_elevated(f: Features) -> tuple[Text | None, list[TriggerInput]]:
    m = thresholds()["markedly_elevated"]
    ldl, tc = f.num("ldl"), f.num("total_chol")
    if ldl is not None and ldl > m["ldl_above"]:
        return message("factor.ldl", ldl=ldl), [f.trigger("ldl")]
    if tc is not None and tc > m["total_chol_above"]:
        return message("factor.total_chol", tc=tc), [f.trigger("total_chol")]
    return severe_bp(f)


def severe_bp(f: Features) -> tuple[Text | None, list[TriggerInput]]:
    """BP >=180 systolic or >=110 diastolic (ESC 2021 markedly elevated; ESC 2024 / HAS severe hypertension),
    worded with the component that crossed its threshold ("diastolic BP 112 mmHg >=110", never "138/112 >=180/110")."""
    m = thresholds()["markedly_elevated"]
    sbp, dbp = f.num("sbp"), f.num("dbp")
    high_sbp = sbp is not None and sbp >= m["sbp_at_least"]
    high_dbp = dbp is not None and dbp >= m["dbp_at_least"]
    if not (high_sbp or high_dbp):
        return None, []
    key = "factor.sbp_dbp" if high_sbp and high_dbp else "factor.sbp" if high_sbp else "factor.dbp"
    used = ([f.trigger("sbp")] if high_sbp else []) + ([f.trigger("dbp")] if high_dbp else [])
    return message(key, sbp=sbp, dbp=dbp, bp=bp_text(f)), used


def diabetes_esc_eas2019(f: Features, *, type1: bool) -> tuple[str, Text, list[TriggerInput]]:
    """ESC/EAS 2019 Table 4 for diabetes without a usable score: very high with target-organ damage (albuminuria,
    retinopathy, neuropathy; eGFR <45 as ESC 2021) or type 1 diabetes of more than 20 years; high with a duration
    of 10 years or more or an additional risk factor (smoking, hypertension, obesity); otherwise moderate, because
    the table has no low-risk category in diabetes. The ">=3 major risk factors -> very high" row is not applied
    (its risk factors include age and dyslipidaemia, not coded here): this can under-state, never over-state."""
    cfg = thresholds()["diabetes_esc_eas2019"]
    egfr, uacr, years = f.num("egfr"), f.num("uacr"), f.num("diabetes_years")
    tod: list[Text] = []
    used: list[TriggerInput] = [f.trigger("diabetes_any", "")]
    if uacr is not None and uacr >= cfg["tod_uacr_at_least"]:
        tod.append(message("dm.tod.albuminuria", uacr=uacr))
        used.append(f.trigger("uacr"))
    if egfr is not None and egfr < cfg["tod_egfr_below"]:
        tod.append(message("tod.egfr_below_45", egfr=egfr))
        used.append(f.trigger("egfr"))
    for key in ("dx_diabetic_retinopathy", "dx_diabetic_neuropathy", "dx_diabetic_nephropathy"):
        if f.yes(key):
            tod.append(message(f"dm.tod.{key}"))
            used.append(f.trigger(key, ""))
    if tod:
        return "very_high", message("dm.why.tod", tod=_join(tod)), used
    if years is not None:
        used.append(f.trigger("diabetes_years"))
    if type1 and years is not None and years > cfg["type1_very_high_years_above"]:
        return "very_high", message("dm.why.t1_long", years=years), used
    if years is not None and years >= cfg["high_years_at_least"]:
        return "high", message("dm.why.duration", years=years), used
    factors: list[Text] = []
    sbp, bmi = f.num("sbp"), f.num("bmi")
    if f.yes("smoking_current"):
        factors.append(message("dm.rf.smoking"))
        used.append(f.trigger("smoking_current", "", date_key="smoking"))
    if f.yes("hypertension") or f.yes("on_antihypertensive") or (sbp is not None and sbp >= 140):
        factors.append(message("dm.rf.hypertension"))
        used.append(f.trigger("sbp"))
    if bmi is not None and bmi >= cfg["obesity_bmi_at_least"]:
        factors.append(message("dm.rf.obesity", bmi=bmi))
        used.append(f.trigger("bmi"))
    if factors:
        return "high", message("dm.why.risk_factor", factors=_join(factors)), used
    key = "dm.why.none" if years is not None else "dm.why.none_duration_unknown"
    return "moderate", message(key), used


def _join(parts: list[Text]) -> Text:
    return lazy_join(parts, ", ")
