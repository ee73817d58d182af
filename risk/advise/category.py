"""The patient's cardiovascular risk category and the threshold set in force, with the reason in words.

Order of precedence (ESC 2021 prevention, ESC 2023 diabetes; thresholds.json):
1. established atherosclerotic CVD -> very high, no score;
2. type 2 diabetes: severe target-organ damage -> very high; else SCORE2-Diabetes (40-69 y, ESC 2023
   cut-points 5/10/20 %); at >=70 y SCORE2-OP (it includes diabetes) read with the set's thresholds
   [project choice];
3. chronic kidney disease: KDIGO orange -> high, red -> very high, no score [M];
4. apparently healthy: SCORE2 (40-69) / SCORE2-OP (>=70) with the set's thresholds (ESC 2021 age-specific, or
   ESC/EAS 2025 age-agnostic), raised to at least high by a markedly elevated single risk factor.
A category that cannot be determined is "unknown" and says what is missing; it is never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from risk.advise import kidney
from risk.advise.conditions import diabetes_esc_eas2019, markedly_elevated, severe_target_organ_damage
from risk.advise.data import (
    DEFAULT_GUIDELINE_SET,
    GUIDELINE_SETS,
    Guideline,
    fixed_message,
    guidelines,
    message,
    text,
    thresholds,
)
from risk.advise.inputs import Features, outside_derivation, score_trigger, validated_risks
from risk.advise.model import AdviceInputError, RiskCategory, TriggerInput
from risk.advise.wording import category_label, cutoff_text, input_label, join
from risk.i18n import LazyText, Text, lazy_join

REGIONS = ("low", "moderate", "high", "very_high")
RANK = {"unknown": -1, "low": 0, "low_moderate": 1, "moderate": 1, "high": 2, "very_high": 3}

SCORE2_INPUTS = ("age", "sex_male", "smoking_current", "sbp", "total_chol", "hdl")
SCORE2_OP_INPUTS = (*SCORE2_INPUTS, "diabetes_any")
SCORE2_DIABETES_INPUTS = (*SCORE2_INPUTS, "age_at_diabetes", "hba1c", "egfr")


@cache
def _set_label(guideline_set: str) -> Text:
    return text(thresholds()["guideline_sets"][guideline_set]["label"])


@cache
def _band_label(set_key: str, min_age: float) -> Text:
    """The label of the age band of a threshold set that starts at ``min_age`` (bands do not overlap)."""
    for band in thresholds()["risk_threshold_sets"][set_key]["age_bands"]:
        if band["min_age"] == min_age:
            return text(band["label"])
    raise AdviceInputError(f"no band of threshold set {set_key!r} starts at {min_age}")


@cache
def kdigo_colour_label(colour: str) -> Text:
    """ "orange (high risk)": the KDIGO heat-map colour of a CKD stage, in words."""
    return text(thresholds()["kdigo"]["colour_labels"][colour])


def check_guideline_set(guideline_set: str) -> dict[str, Any]:
    if guideline_set not in GUIDELINE_SETS:
        raise AdviceInputError(
            f"unknown guideline set {guideline_set!r}: use one of {', '.join(GUIDELINE_SETS)}"
        )
    return thresholds()["guideline_sets"][guideline_set]


def check_region(region: str) -> str:
    if region not in REGIONS:
        raise AdviceInputError(f"unknown SCORE2 risk region {region!r}: use one of {', '.join(REGIONS)}")
    return region


def band_for(set_key: str, age: float) -> dict[str, Any]:
    for band in thresholds()["risk_threshold_sets"][set_key]["age_bands"]:
        if band["min_age"] <= age < band["below_age"]:
            return band
    raise AdviceInputError(f"age {age} is outside every band of threshold set {set_key!r}")


def categorise(set_key: str, age: float, risk: float) -> str:
    """Category of a 10-year risk (fraction) in a threshold set; a cut-point is in the higher category."""
    cats = thresholds()["risk_threshold_sets"][set_key]["categories"]
    cuts = band_for(set_key, age)["cutoffs"]
    index = sum(1 for c in cuts if risk >= c)
    return cats[index]


def missing_inputs(f: Features, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for n in names if f.num(n) is None)


def _result(
    *,
    category: str,
    basis: str,
    reason: Text,
    guideline: Guideline,
    guideline_set: str,
    region: str,
    threshold_set: str = "",
    klass: str = "not graded",
    level: str = "not graded",
    score_name: str | None = None,
    score_value: float | None = None,
    thresholds_used: tuple[float, ...] = (),
    triggered_by: tuple[TriggerInput, ...] = (),
    missing: tuple[str, ...] = (),
) -> RiskCategory:
    label = category_label(category)
    return RiskCategory(
        category=category,
        label_en=label.en,
        label_fr=label.fr,
        basis=basis,
        guideline_set=guideline_set,
        threshold_set=threshold_set,
        reason_en=reason,
        reason_fr=reason,
        guideline=guideline.short,
        year=guideline.year,
        reference=guideline.citation,
        recommendation_class=klass,
        evidence_level=level,
        score_name=score_name,
        score_value=score_value,
        thresholds=thresholds_used,
        region=region,
        triggered_by=triggered_by,
        missing=missing,
    )


def _score_category(
    f: Features,
    *,
    score_name: str,
    risk: float | None,
    set_key: str,
    age: float,
    reason_key: str,
    guideline_set: str,
    region: str,
    needed: tuple[str, ...],
    set_label: Text,
    outside: bool = False,
) -> RiskCategory:
    """Category from a score with a threshold set, or "unknown" naming what is missing or that the score lies
    outside the population it was derived in."""
    g = guidelines()
    set_guideline = g[thresholds()["risk_threshold_sets"][set_key]["guideline"]]
    score_label = fixed_message(f"score.{score_name}")
    if risk is not None and outside:
        return _result(
            category="unknown",
            basis="outside_derivation",
            guideline=set_guideline,
            reason=message("reason.outside_derivation", score_label=score_label, score=risk, age=age),
            guideline_set=guideline_set,
            region=region,
            score_name=score_name,
            score_value=risk,
            triggered_by=(score_trigger(score_name, risk), f.trigger("age")),
        )
    if risk is None:
        missing = missing_inputs(f, needed)
        why = _why_not_computed(f, missing)
        return _result(
            category="unknown",
            basis="not_computable",
            guideline=set_guideline,
            reason=message("reason.unknown_score_missing", score_label=score_label, missing=why),
            guideline_set=guideline_set,
            region=region,
            score_name=score_name,
            missing=missing,
            triggered_by=(score_trigger(score_name, None),),
        )
    band = band_for(set_key, age)
    category = categorise(set_key, age, risk)
    reason = message(
        reason_key,
        score_label=score_label,
        score=risk,
        region=fixed_message(f"region.{region}"),
        set_label=set_label,
        band=_band_label(set_key, band["min_age"]),
        cutoffs=cutoff_text(set_key, band),
    )
    is_diabetes_score = score_name == "score2_diabetes"
    return _result(
        category=category,
        basis="score",
        reason=reason,
        guideline=set_guideline,
        guideline_set=guideline_set,
        region=region,
        threshold_set=set_key,
        klass="I",
        level="B",  # SCORE2/-OP (ESC 2021) and SCORE2-Diabetes (ESC 2023): I B
        score_name=score_name,
        score_value=risk,
        thresholds_used=tuple(band["cutoffs"]),
        triggered_by=(score_trigger(score_name, risk), f.trigger("age"))
        + ((f.trigger("diabetes_t2", ""),) if is_diabetes_score else ()),
    )


def _why_not_computed(f: Features, missing: tuple[str, ...]) -> Text:
    if f.yes("prior_hf"):  # SCORE2 and SCORE2-OP exclude heart failure: not applicable, not "missing"
        return message("reason.not_applicable_hf")
    if missing:
        return message("reason.missing_list", missing=join([input_label(m) for m in missing]))
    return message("reason.missing_none")


def _diabetes_table(
    f: Features,
    kind: str,
    *,
    guideline_set: str,
    region: str,
    prefix: Text | None = None,
    missing: tuple[str, ...] = (),
) -> RiskCategory:
    """ESC/EAS 2019 Table 4 when no diabetes score applies: at least moderate, never "unknown" nor low."""
    category, why, used = diabetes_esc_eas2019(f, type1=kind == "t1")
    reason = message(
        "reason.diabetes_table",
        kind=fixed_message(f"dm.kind.{kind}"),
        prefix=prefix or Text(en="", fr=""),
        category=category_label(category),
        why=why,
    )
    return _result(
        category=category,
        basis="diabetes_table",
        guideline=guidelines()["esc_eas2019_lipids"],
        reason=reason,
        triggered_by=tuple(used),
        missing=missing,
        guideline_set=guideline_set,
        region=region,
    )


def risk_category(
    features: Mapping[str, Any],
    scores: Mapping[str, Any] | None,
    guideline_set: str = DEFAULT_GUIDELINE_SET,
    *,
    region: str = "low",
) -> RiskCategory:
    """Which ESC risk category applies, which threshold set is in force and why (pure)."""
    set_cfg = check_guideline_set(guideline_set)
    check_region(region)
    f = Features(features)
    risks = validated_risks(scores, what="score")
    g = guidelines()
    set_label = _set_label(guideline_set)
    common = {"guideline_set": guideline_set, "region": region}

    if f.yes("established_cvd"):
        guideline = g["esc2021_prevention"] if guideline_set == "esc2021" else g["esc_eas2025_lipids"]
        return _result(
            category="very_high",
            basis="established_cvd",
            guideline=guideline,
            reason=fixed_message("reason.established_cvd"),
            triggered_by=(f.trigger("established_cvd", ""),),
            **common,
        )

    age = f.num("age")
    ages = thresholds()["score_ages"]
    if f.yes("diabetes_t2"):
        tod, used = severe_target_organ_damage(f)
        if tod:
            return _result(
                category="very_high",
                basis="diabetes_target_organ_damage",
                guideline=g["esc2023_diabetes"],
                reason=message("reason.diabetes_tod", tod=join(tod)),
                triggered_by=(f.trigger("diabetes_t2", ""), *used),
                **common,
            )
        if age is None:
            return _unknown("reason.unknown_no_age", g["esc2023_diabetes"], ("age",), **common)
        if age < ages["score2_diabetes_min"]:
            return _diabetes_table(f, "t2", prefix=message("dm.prefix.under_40", age=age), **common)
        if age < ages["score2_diabetes_below"]:
            scored = _score_category(
                f,
                score_name="score2_diabetes",
                risk=risks.get("score2_diabetes"),
                set_key="esc2023_score2_diabetes",
                age=age,
                outside=outside_derivation((scores or {}).get("score2_diabetes")),
                reason_key="reason.score2_diabetes",
                needed=SCORE2_DIABETES_INPUTS,
                set_label=set_label,
                **common,
            )
            return scored if scored.known else _t2d_without_score(f, scored, common)
        name = "score2_op" if risks.get("score2_op") is not None else "score2"
        scored = _score_category(
            f,
            score_name="score2_op",
            risk=risks.get(name),
            outside=outside_derivation((scores or {}).get(name)),
            set_key=set_cfg["risk_thresholds"],
            age=age,
            reason_key="reason.score2_op_diabetes",
            needed=SCORE2_OP_INPUTS,
            set_label=set_label,
            **common,
        )
        return scored if scored.known else _t2d_without_score(f, scored, common)
    if f.yes("diabetes_t1"):
        return _diabetes_table(f, "t1", **common)
    if f.yes("diabetes_any"):
        return _diabetes_table(f, "unknown", **common)

    ks = kidney.stage(f)
    esc_from_colour = thresholds()["kdigo"]["esc_category_from_colour"]
    if ks.colour in esc_from_colour:
        category = esc_from_colour[ks.colour]
        colour = kdigo_colour_label(ks.colour)
        reason = message("reason.ckd", stage=ks.label, colour=colour, category=category_label(category))
        if ks.albuminuria is None:
            reason = lazy_join([reason, fixed_message("note.uacr_unknown")], "")
        used = (f.trigger("egfr"),) + ((f.trigger("uacr"),) if ks.albuminuria else ())
        return _result(
            category=category,
            basis="ckd",
            guideline=g["esc2021_prevention"],
            reason=reason,
            triggered_by=used,
            **common,
        )

    if age is None:
        return _unknown("reason.unknown_no_age", g["esc2021_prevention"], ("age",), **common)
    if age < ages["score2_min"]:
        return _unknown("reason.unknown_under_40", g["esc2021_prevention"], (), age=age, **common)
    if age >= ages["score2_op_min"]:
        name = "score2_op"
        source = "score2_op" if risks.get("score2_op") is not None else "score2"
        risk, needed = risks.get(source), SCORE2_OP_INPUTS
    else:
        name, source, risk, needed = "score2", "score2", risks.get("score2"), SCORE2_INPUTS
    result = _score_category(
        f,
        score_name=name,
        risk=risk,
        outside=outside_derivation((scores or {}).get(source)),
        set_key=set_cfg["risk_thresholds"],
        age=age,
        reason_key="reason.score",
        needed=needed,
        set_label=set_label,
        **common,
    )
    factor, used = markedly_elevated(f)
    if factor is not None and RANK[result.category] < RANK["high"]:
        extra = message("reason.markedly_elevated", factor=factor)
        scored = result  # its reason is read (rendered) only when this one is
        reason = LazyText(
            lambda lang: f"{scored.reason_fr if lang == 'fr' else scored.reason_en} {extra.get(lang)}".strip()
        )
        return _result(
            category="high",
            basis="markedly_elevated",
            guideline=g["esc2021_prevention"],
            reason=reason,
            score_name=result.score_name,
            score_value=result.score_value,
            threshold_set=result.threshold_set,
            thresholds_used=result.thresholds,
            triggered_by=(*result.triggered_by, *used),
            missing=result.missing,
            **common,
        )
    return result


def _unknown(
    key: str,
    guideline: Guideline,
    missing: tuple[str, ...],
    *,
    guideline_set: str,
    region: str,
    **params: Any,
) -> RiskCategory:
    reason = message(key, **params)
    return _result(
        category="unknown",
        basis="not_computable",
        guideline=guideline,
        reason=reason,
        guideline_set=guideline_set,
        region=region,
        missing=missing,
    )


def _t2d_without_score(f: Features, scored: RiskCategory, common: dict[str, str]) -> RiskCategory:
    """Type 2 diabetes whose score cannot be computed (no HbA1c, ...): the ESC/EAS 2019 table, naming what is
    missing so that the risk-estimation step still asks for it."""
    prefix = message(
        "dm.prefix.score_missing",
        score_label=fixed_message(f"score.{scored.score_name}"),
        missing=_why_not_computed(f, scored.missing),
    )
    return _diabetes_table(f, "t2", prefix=prefix, missing=scored.missing, **common)


def deceased_category(death: date | None, guideline_set: str = DEFAULT_GUIDELINE_SET, *, region: str = "low"
                      ) -> RiskCategory:
    """No category for a patient who has died (on ``death``, or on an unrecorded date): never a risk to act on."""
    check_guideline_set(guideline_set)
    reason = message("reason.deceased_on", death=death) if death else fixed_message("reason.deceased")
    return _result(category="unknown", basis="deceased", guideline=guidelines()["esc2021_prevention"], reason=reason,
                   guideline_set=guideline_set, region=region)
