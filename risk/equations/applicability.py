"""Which published equations apply to a patient, their results, and in plain words why not.

Input: one patient's features (the column contract of risk/features.py; NaN = missing), e.g. a dict or a
pandas Series row. Output: one :class:`EquationResult` per key of :data:`RESULT_KEYS`, always present, with
either a risk or a reason a GP understands ("SCORE2 not applicable: prior myocardial infarction
(2019-03-02)", "SCORE2-Diabetes: HbA1c missing"). The reason and each warning are given twice: in English
(``reason``, ``warnings``: the public API, unchanged) and coded (``message``, ``warning_messages``), which
risk.i18n.messages words in French or English; a test keeps the two English texts identical. All the
eligibility logic lives here so that it can be tested on plain feature dicts and, unchanged, on records built
from FHIR.

Eligibility rules (sources in each equation's module):
- SCORE2 / SCORE2-OP: no established cardiovascular disease (MI, coronary heart disease or revascularisation,
  stroke, TIA, peripheral arterial disease) and no heart failure; no diabetes below 70; ages 40 and over.
  Documented choice for type 2 diabetes at 70 and over: SCORE2-Diabetes covers only 40-69, and SCORE2-OP was
  derived with history of diabetes as a predictor, so SCORE2-OP is computed *with* its diabetes term (and says
  so in the warnings). Type 1 diabetes is excluded at every age: no ESC SCORE2 model covers it.
- SCORE2-Diabetes: type 2 diabetes, ages 40-69, no established cardiovascular disease or heart failure.
- PREVENT (total CVD, ASCVD, heart failure): ages 30-79, no cardiovascular disease or heart failure (its
  derivation population). The model variant follows the available HbA1c / UACR.
- QRISK3 (the project's implementation of the QRISK3-2017 algorithm): ages 25-84, no cardiovascular disease or
  heart failure (the derivation cohort was free of CVD and not on statins: a statin user gets a warning). Every
  input must be recorded: BMI, a same-day cholesterol/HDL ratio, SBP and its SD over 5 years (two readings or
  more), the smoking category (a current smoker needs cigarettes per day) and the diabetes type; a condition
  or treatment not recorded counts as absent, as in QRISK3. Ethnicity is not recorded in France and there is no
  Townsend score: "not recorded" and 0 are assumed and every result says so, with its UK derivation. SCORE2
  stays the ESC reference; QRISK3 is a comparator.
- KFRE: CKD stage G3-G5, i.e. latest eGFR < 60 mL/min/1.73 m² or a CKD stage 3-5 diagnosis, not already on
  dialysis or transplanted. Non-North-American calibration (France). 8-variable when albumin, bicarbonate,
  calcium and phosphate are all present.
Region: from configuration (``region`` argument), default "low" (France, ESC 2021).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import pandas as pd

# Names are imported from the modules themselves: the package re-exports functions named like their modules
# (risk.equations.score2 is the function), so `from risk.equations import score2` would not give the module.
from risk.equations._common import InputError, RangeIssue
from risk.equations.kfre import CITATION as KFRE_CITATION
from risk.equations.kfre import EXTRA_LABS, KFRE_EGFR_LIMIT, kfre_range_issues, kfre_result
from risk.equations.prevent import AGE_RANGE as PREVENT_AGE_RANGE
from risk.equations.prevent import CITATION as PREVENT_CITATION
from risk.equations.prevent import MODEL_NAMES, prevent, prevent_model, prevent_range_issues
from risk.equations.qrisk3 import AGE_RANGE as QRISK3_AGE_RANGE
from risk.equations.qrisk3 import CITATION as QRISK3_CITATION
from risk.equations.qrisk3 import qrisk3, qrisk3_range_issues
from risk.equations.score2 import (
    CITATION_SCORE2,
    CITATION_SCORE2_OP,
    OP_MIN_AGE,
    SCORE2_MIN_AGE,
    parse_region,
    score2,
    score2_model_name,
    score2_range_issues,
)
from risk.equations.score2_diabetes import CITATION as SCORE2_DIABETES_CITATION
from risk.equations.score2_diabetes import score2_diabetes, score2_diabetes_range_issues
from risk.terminology.messages import Message

RESULT_KEYS: tuple[str, ...] = (
    "score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd", "prevent_hf", "qrisk3", "kfre_5y", "kfre_2y",
)
STATUSES: tuple[str, ...] = ("computed", "not_applicable", "not_computable")


@dataclass(frozen=True, kw_only=True)
class EquationResult:
    """One published equation for one patient: a risk, or the reason there is none."""

    name: str  # display name, e.g. "SCORE2-OP" or "PREVENT 10-year heart failure (base model)"
    citation: str  # paper of the equation
    risk: float | None = None  # fraction 0-1; None when not computed
    reason: str | None = None  # why not computed, in plain words (None when computed)
    warnings: list[str] = field(default_factory=list)  # derivation range and documented choices
    inputs: dict[str, Any] = field(default_factory=dict)  # values used: {"sbp": {"value", "unit", "date"}}
    # "computed" | "not_applicable" (outside the equation's population: age, diabetes type, prior CVD, no CKD)
    # | "not_computable" (an input missing, impossible or implausible, or an extrapolation withheld)
    status: str = "computed"
    message: Message | None = None  # `reason` coded, for risk.i18n.messages.message_text
    warning_messages: list[Message] = field(default_factory=list)  # one per entry of `warnings`, same order


# Feature key -> (label in messages, canonical unit, concept key naming it in coded messages)
_LABELS: dict[str, tuple[str, str | None, str]] = {
    "age": ("age", "years", "age"),
    "sex_male": ("sex", None, "sex"),
    "smoking_current": ("smoking status", None, "smoking_status"),
    "sbp": ("systolic blood pressure", "mmHg", "sbp"),
    "total_chol": ("total cholesterol", "mmol/L", "total_chol"),
    "hdl": ("HDL cholesterol", "mmol/L", "hdl"),
    "hba1c": ("HbA1c", "mmol/mol", "hba1c"),
    "egfr": ("eGFR", "mL/min/1.73 m²", "egfr"),
    "uacr": ("urine albumin/creatinine ratio (UACR)", "mg/mmol", "uacr"),
    "bmi": ("BMI", "kg/m²", "bmi"),
    "age_at_diabetes": ("age at diabetes diagnosis", "years", "age_at_diabetes"),
    "on_antihypertensive": ("antihypertensive treatment", None, "bp_treatment"),
    "on_statin": ("statin treatment", None, "statin_treatment"),
    "diabetes": ("diabetes status", None, "diabetes"),
    "albumin": ("serum albumin", "g/L", "albumin"),
    "bicarbonate": ("bicarbonate", "mmol/L", "bicarbonate"),
    "calcium": ("calcium", "mmol/L", "calcium"),
    "phosphate": ("phosphate", "mmol/L", "phosphate"),
    "chol_hdl_ratio": ("cholesterol/HDL ratio (same-day pair)", None, "chol_hdl_ratio"),
    "qrisk3_sbp_sd": ("SD of systolic blood pressure (two readings or more in 5 years)", "mmHg", "sbp_sd"),
    "cigarettes_per_day": ("cigarettes per day", "/day", "cigarettes_per_day"),
}

# Established cardiovascular disease and heart failure: (feature flag, words). Dates from `<flag>_date`.
_CVD_FLAGS: tuple[tuple[str, str], ...] = (
    ("prior_mi", "prior myocardial infarction"),
    ("prior_chd", "coronary heart disease"),
    ("dx_coronary_revascularisation", "coronary revascularisation"),
    ("prior_stroke", "prior stroke"),
    ("prior_tia", "prior transient ischaemic attack"),
    ("prior_pad", "peripheral arterial disease"),
    ("prior_hf", "heart failure"),
)
_KIDNEY_FAILURE_FLAGS: tuple[tuple[str, str], ...] = (
    ("dx_esrd", "kidney failure (end-stage kidney disease)"),
    ("dx_kidney_transplant", "kidney transplant"),
)


# ---------------------------------------------------------------------------------------------- reading
def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    kind = type(value)
    if kind is float:  # the features' own types: no ABC check
        return value != value  # NaN
    if kind is int or kind is bool:  # the 0/1 flags and counts of an integer column
        return math.isnan(float(value))
    if value is pd.NaT:  # an empty date column
        return True
    if isinstance(value, Real):  # numpy numbers
        return math.isnan(float(value))
    try:  # pandas NA / NaT / numpy datetime
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number(features: Mapping[str, Any], key: str) -> float | None:
    value = features.get(key)
    if _is_missing(value):
        return None
    return float(value)


def _flag(features: Mapping[str, Any], key: str) -> bool | None:
    value = _number(features, key)
    return None if value is None else value != 0


def _date(features: Mapping[str, Any], key: str) -> str | None:
    value = features.get(key)
    if _is_missing(value):
        return None
    if isinstance(value, dt.datetime):  # includes pandas Timestamp
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


@dataclass(frozen=True)
class _Conditions:
    """Conditions found in the features: in words ("prior stroke (2021-06-10); heart failure") and coded."""

    text: str
    messages: list[Message]


def _cvd_conditions(
    features: Mapping[str, Any], flags: tuple[tuple[str, str], ...] = _CVD_FLAGS
) -> _Conditions | None:
    found: list[tuple[str, str, str | None]] = [
        (key, words, _date(features, f"{key}_date")) for key, words in flags if _flag(features, key)]
    if not found and flags is _CVD_FLAGS and _flag(features, "established_cvd"):
        found.append(("established_cvd", "established cardiovascular disease",
                      _date(features, "established_cvd_date")))
    if not found:
        return None
    text = "; ".join(f"{words} ({when})" if when else words for _key, words, when in found)
    messages = [Message(code="condition.recorded_on", params={"condition": key, "date": _day(when)}) if when
                else Message(code="condition.recorded", params={"condition": key}) for key, _words, when in found]
    return _Conditions(text=text, messages=messages)


def _day(iso: str) -> dt.date | str:
    """A date parameter as a date (worded by the reader's language), or the text as recorded when not ISO."""
    try:
        return dt.date.fromisoformat(iso)
    except ValueError:
        return iso


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class _Inputs:
    """Collects the values an equation uses, with units and dates, and the ones that are missing."""

    def __init__(self, features: Mapping[str, Any]) -> None:
        self.features = features
        self.used: dict[str, Any] = {}
        self.missing: list[str] = []
        self.missing_concepts: list[str] = []

    def _absent(self, key: str) -> None:
        self.missing.append(_LABELS[key][0])
        self.missing_concepts.append(_LABELS[key][2])

    def number(self, key: str, *, required: bool = True) -> float | None:
        value = _number(self.features, key)
        if value is None:
            if required:
                self._absent(key)
            return None
        entry: dict[str, Any] = {"value": value, "unit": _LABELS[key][1]}
        when = _date(self.features, f"{key}_date")
        if when:
            entry["date"] = when
        if _flag(self.features, f"{key}_derived"):
            entry["derived"] = True  # e.g. eGFR computed from creatinine (CKD-EPI 2021)
        self.used[key] = entry
        return value

    def flag(self, key: str, *, value: bool | None = None) -> bool | None:
        if value is None:
            value = _flag(self.features, key)
        if value is None:
            self._absent(key)
            return None
        self.used[key] = {"value": value, "unit": None}
        return value

    def sex(self) -> str | None:
        male = self.flag("sex_male")
        return None if male is None else ("male" if male else "female")


def _diabetes_types(features: Mapping[str, Any]) -> tuple[bool, bool, bool | None]:
    """(type 2, type 1, any diabetes); any is None when nothing about diabetes is recorded."""
    t2, t1, any_dm = (_flag(features, k) for k in ("diabetes_t2", "diabetes_t1", "diabetes_any"))
    known = [v for v in (t2, t1, any_dm) if v is not None]
    return bool(t2), bool(t1), (any(known) if known else None)


def _equation(key: str, variant: str | None) -> dict[str, Any]:
    return {"equation": key, "variant": variant} if variant else {"equation": key}


def _missing(name: str, citation: str, key: str, words: list[str], concepts: list[str], *,
             inputs: dict[str, Any] | None = None) -> EquationResult:
    return EquationResult(name=name, citation=citation, reason=f"{name}: {_join(words)} missing",
                          inputs=inputs or {}, status="not_computable",
                          message=Message(code="equation.missing_inputs",
                                          params={**_equation(key, None), "concepts": concepts}))


def _finish(
    name: str, citation: str, key: str, variant: str | None, inputs: _Inputs, compute: Callable[[], float],
    issues: Callable[[], list[RangeIssue]], extra_warnings: list[tuple[str, Message]] | None = None,
) -> EquationResult:
    """Run an equation: missing inputs, impossible values and withheld results all become a reason."""
    if inputs.missing:
        return _missing(name, citation, key, inputs.missing, inputs.missing_concepts, inputs=inputs.used)
    try:
        risk = compute()
        found = issues()
    except ValueError as error:
        cause = error.message if isinstance(error, InputError) else Message(
            code="equation.error", params={"detail": str(error)})  # not expected: every input error is coded
        return EquationResult(name=name, citation=citation, reason=f"{name} not computed: {error}",
                              inputs=inputs.used, status="not_computable",
                              message=Message(code="equation.not_computed",
                                              params={**_equation(key, variant), "cause": cause}))
    extra = extra_warnings or []
    kept = [i for i in found if not i.withhold]
    warnings = [*(text for text, _m in extra), *(i.message for i in kept)]
    warning_messages = [*(m for _t, m in extra), *(i.as_message() for i in kept)]
    withheld = [i for i in found if i.withhold]
    if withheld:
        message = withheld[0].as_message() if len(withheld) == 1 else Message(
            code="equation.withheld", params={"reasons": [i.as_message() for i in withheld]})
        return EquationResult(name=name, citation=citation, reason="; ".join(i.message for i in withheld),
                              warnings=warnings, inputs=inputs.used, status="not_computable", message=message,
                              warning_messages=warning_messages)
    return EquationResult(name=name, citation=citation, risk=risk, warnings=warnings, inputs=inputs.used,
                          warning_messages=warning_messages)


def _not_applicable(name: str, citation: str, why: str, message: Message) -> EquationResult:
    return EquationResult(name=name, citation=citation, reason=f"{name} not applicable: {why}",
                          status="not_applicable", message=message)


def _excluded(name: str, citation: str, key: str, found: _Conditions) -> EquationResult:
    return _not_applicable(name, citation, found.text, Message(
        code="equation.prior_conditions", params={"equation": key, "conditions": found.messages}))


# ------------------------------------------------------------------------------------------- equations
def _score2(features: Mapping[str, Any], region: str) -> EquationResult:
    age = _number(features, "age")
    name = "SCORE2" if age is None else score2_model_name(age)
    key = "score2_op" if name == "SCORE2-OP" else "score2"
    citation = CITATION_SCORE2_OP if name == "SCORE2-OP" else CITATION_SCORE2
    if age is None:
        return _missing(name, citation, key, ["age"], ["age"])
    cvd = _cvd_conditions(features)
    if cvd:
        return _excluded(name, citation, key, cvd)
    t2, t1, any_dm = _diabetes_types(features)
    if any_dm is None:
        return _missing(name, citation, key, ["diabetes status"], ["diabetes"])
    if t1:
        return _not_applicable(name, citation, "type 1 diabetes (no SCORE2 model covers type 1 diabetes)",
                               Message(code="score2.type1_diabetes", params={"equation": key}))
    extra: list[tuple[str, Message]] = []
    if any_dm and age < OP_MIN_AGE:
        if t2:
            return _not_applicable(name, citation, "type 2 diabetes (SCORE2-Diabetes is used instead)",
                                   Message(code="score2.type2_diabetes", params={"equation": key}))
        return _not_applicable(name, citation, (
            "diabetes (SCORE2 is for people without diabetes; the diabetes type, needed for "
            "SCORE2-Diabetes, is not recorded)"), Message(code="score2.diabetes_type_unknown",
                                                          params={"equation": key}))
    if any_dm:
        extra.append(("SCORE2-OP includes diabetes as a risk factor and is used at 70 and over; "
                      "SCORE2-Diabetes covers ages 40-69 only", Message(code="score2_op.includes_diabetes")))
        if not t2:
            extra.append(("diabetes type not recorded: SCORE2-OP's diabetes term applies to any history "
                          "of diabetes", Message(code="score2_op.diabetes_type_unknown")))
    if age < SCORE2_MIN_AGE:
        return _not_applicable(name, citation,
                               f"age {math.floor(age)} (SCORE2 covers ages 40-69, SCORE2-OP 70 and over)",
                               Message(code="score2.age_below_40", params={"equation": key, "age": age}))
    x = _Inputs(features)
    x.number("age")
    sex = x.sex()
    smoker = x.flag("smoking_current")
    sbp, tc, hdl = x.number("sbp"), x.number("total_chol"), x.number("hdl")
    diabetes = bool(any_dm)
    x.used["diabetes"] = {"value": diabetes, "unit": None}
    kwargs = dict(sex=sex, age=age, smoker=smoker, sbp=sbp, total_chol=tc, hdl=hdl, region=region,
                  diabetes=diabetes)
    return _finish(name, citation, key, None, x, lambda: score2(**kwargs),
                   lambda: score2_range_issues(**kwargs), extra)


def _score2_diabetes(features: Mapping[str, Any], region: str) -> EquationResult:
    name, citation, key = "SCORE2-Diabetes", SCORE2_DIABETES_CITATION, "score2_diabetes"
    t2, t1, any_dm = _diabetes_types(features)
    if t1 and not t2:
        return _not_applicable(name, citation, "type 1 diabetes (the score is for type 2 diabetes)",
                               Message(code="score2_diabetes.type1_diabetes", params={"equation": key}))
    if not t2 and any_dm:
        return _not_applicable(name, citation, "diabetes type not recorded (the score is for type 2 diabetes)",
                               Message(code="score2_diabetes.diabetes_type_unknown", params={"equation": key}))
    if not t2:
        return _not_applicable(name, citation, "no type 2 diabetes recorded",
                               Message(code="score2_diabetes.no_type2_diabetes", params={"equation": key}))
    cvd = _cvd_conditions(features)
    if cvd:
        return _excluded(name, citation, key, cvd)
    age = _number(features, "age")
    if age is None:
        return _missing(name, citation, key, ["age"], ["age"])
    if age < 40:
        return _not_applicable(name, citation, f"age {math.floor(age)} (the score covers ages 40-69)",
                               Message(code="score2_diabetes.age_below_40", params={"equation": key, "age": age}))
    if age >= OP_MIN_AGE:
        return _not_applicable(name, citation, f"age {math.floor(age)} (the score covers ages 40-69; SCORE2-OP, "
                                               "which includes diabetes, is shown instead)",
                               Message(code="score2_diabetes.age_70_or_over", params={"equation": key, "age": age}))
    x = _Inputs(features)
    x.number("age")
    sex = x.sex()
    smoker = x.flag("smoking_current")
    values = {k: x.number(k) for k in ("sbp", "total_chol", "hdl", "hba1c", "egfr", "age_at_diabetes")}
    kwargs = dict(sex=sex, age=age, smoker=smoker, sbp=values["sbp"], total_chol=values["total_chol"],
                  hdl=values["hdl"], hba1c=values["hba1c"], egfr=values["egfr"],
                  age_at_diabetes_diagnosis=values["age_at_diabetes"], region=region)
    return _finish(name, citation, key, None, x, lambda: score2_diabetes(**kwargs),
                   lambda: score2_diabetes_range_issues(**kwargs))


def _primary_prevention_gate(features: Mapping[str, Any], name: str, citation: str,
                             key: str) -> EquationResult | None:
    """Why a primary-prevention equation (PREVENT, QRISK3) does not apply before its age range is looked at:
    age missing, or established cardiovascular disease or heart failure; None when neither."""
    if _number(features, "age") is None:
        return _missing(name, citation, key, ["age"], ["age"])
    cvd = _cvd_conditions(features)
    return _excluded(name, citation, key, cvd) if cvd else None


_PREVENT_NAMES = {"cvd": "PREVENT 10-year total CVD", "ascvd": "PREVENT 10-year ASCVD",
                  "hf": "PREVENT 10-year heart failure"}


def _prevent(features: Mapping[str, Any], outcome: str) -> EquationResult:
    base_name, citation, key = _PREVENT_NAMES[outcome], PREVENT_CITATION, f"prevent_{outcome}"
    age = _number(features, "age")
    gate = _primary_prevention_gate(features, base_name, citation, key)
    if gate is not None or age is None:
        return gate or _missing(base_name, citation, key, ["age"], ["age"])
    low, high = PREVENT_AGE_RANGE
    if not low <= age < high + 1:
        return _not_applicable(base_name, citation, f"age {math.floor(age)} (PREVENT covers ages 30-79)", Message(
            code="prevent.age_out_of_range", params={"equation": key, "age": age, "low": low, "high": high}))
    x = _Inputs(features)
    x.number("age")
    sex = x.sex()
    smoker = x.flag("smoking_current")
    sbp, egfr = x.number("sbp"), x.number("egfr")
    _t2, _t1, any_dm = _diabetes_types(features)
    diabetes = x.flag("diabetes", value=any_dm)
    on_bp = x.flag("on_antihypertensive")
    lipids = outcome != "hf"
    tc = x.number("total_chol", required=lipids)
    hdl = x.number("hdl", required=lipids)
    on_statin = x.flag("on_statin") if lipids else _flag(features, "on_statin")
    bmi = x.number("bmi", required=outcome == "hf")
    hba1c, uacr = x.number("hba1c", required=False), x.number("uacr", required=False)
    model = prevent_model(hba1c=hba1c, uacr=uacr)
    name = f"{base_name} ({MODEL_NAMES[model]})"
    variant: str | None = model
    if x.missing:
        name, variant = base_name, None
    kwargs = dict(sex=sex, age=age, smoker=smoker, sbp=sbp, total_chol=tc, hdl=hdl, egfr=egfr, bmi=bmi,
                  diabetes=diabetes, on_antihypertensive=on_bp, on_statin=on_statin, hba1c=hba1c, uacr=uacr,
                  outcome=outcome)
    return _finish(name, citation, key, variant, x, lambda: prevent(**kwargs),
                   lambda: prevent_range_issues(**kwargs))


def _kfre(features: Mapping[str, Any], years: int) -> EquationResult:
    name, citation, key = f"KFRE {years}-year kidney failure", KFRE_CITATION, f"kfre_{years}y"
    kidney_failure = _cvd_conditions(features, _KIDNEY_FAILURE_FLAGS)
    if kidney_failure:
        return _not_applicable(name, citation, f"{kidney_failure.text} already recorded", Message(
            code="kfre.kidney_failure_recorded", params={"equation": key, "conditions": kidney_failure.messages}))
    egfr = _number(features, "egfr")
    stage = _number(features, "ckd_stage")
    stage_dx = (stage is not None and stage >= 3) or any(
        _flag(features, f"dx_ckd_stage_{n}") for n in (3, 4, 5))
    if not ((egfr is not None and egfr < KFRE_EGFR_LIMIT) or stage_dx):
        latest = f"latest eGFR {egfr:.0f} mL/min/1.73 m²" if egfr is not None else "no eGFR"
        message = (Message(code="kfre.no_ckd", params={"equation": key, "egfr": egfr}) if egfr is not None
                   else Message(code="kfre.no_ckd_no_egfr", params={"equation": key}))
        return _not_applicable(name, citation, f"no CKD stage G3-G5 ({latest}, no CKD stage 3-5 diagnosis)",
                               message)
    x = _Inputs(features)
    age = x.number("age")
    sex = x.sex()
    egfr_v, uacr = x.number("egfr"), x.number("uacr")
    labs = {k: x.number(k, required=False) for k in EXTRA_LABS}
    result = kfre_result
    kwargs = dict(sex=sex, age=age, egfr=egfr_v, uacr=uacr, years=years, north_american=False, **labs)
    variant: str | None = None
    if not x.missing:
        try:
            variant = result(**kwargs).model
            name = f"{name} ({variant}, non-North-American calibration)"
        except ValueError:
            pass
    return _finish(name, citation, key, variant, x, lambda: result(**kwargs).risk,
                   lambda: kfre_range_issues(**kwargs))


# QRISK3's conditions and treatments: keyword -> feature flag (absent when not recorded, as in QRISK3).
_QRISK3_FLAGS: dict[str, str] = {
    "atrial_fibrillation": "af", "atypical_antipsychotic": "qrisk3_atypical_antipsychotic",
    "corticosteroids": "qrisk3_oral_corticosteroid", "erectile_dysfunction": "dx_erectile_dysfunction",
    "migraine": "dx_migraine", "rheumatoid_arthritis": "dx_rheumatoid_arthritis",
    "severe_mental_illness": "dx_severe_mental_illness", "sle": "dx_sle", "bp_treatment": "on_antihypertensive",
    "family_history_chd": "dx_family_history_chd",
}
# QRISK3 smoking bands (BMJ 2017;357:j2099): light < 10 a day, moderate 10-19, heavy >= 20.
_QRISK3_SMOKING_BANDS = ((10.0, "light"), (20.0, "moderate"), (math.inf, "heavy"))


def _qrisk3_smoking(x: _Inputs) -> str | None:
    """QRISK3's smoking category; None (and missing) when a current smoker's amount is not recorded."""
    features = x.features
    current, former = _flag(features, "smoking_current"), _flag(features, "smoking_former")
    if current is None:
        x._absent("smoking_current")
        return None
    x.used["smoking_current"] = {"value": current, "unit": None}
    if not current:
        return "ex" if former else "non"
    per_day = x.number("cigarettes_per_day")
    return None if per_day is None else next(band for limit, band in _QRISK3_SMOKING_BANDS if per_day < limit)


def _qrisk3(features: Mapping[str, Any]) -> EquationResult:
    name, citation, key = "QRISK3", QRISK3_CITATION, "qrisk3"
    age = _number(features, "age")
    gate = _primary_prevention_gate(features, name, citation, key)
    if gate is not None or age is None:
        return gate or _missing(name, citation, key, ["age"], ["age"])
    low, high = QRISK3_AGE_RANGE
    if not low <= age < high + 1:
        return _not_applicable(name, citation, f"age {age:.0f} (QRISK3 covers ages 25-84)", Message(
            code="qrisk3.age_out_of_range", params={"equation": key, "age": age, "low": low, "high": high}))
    t2, t1, any_dm = _diabetes_types(features)
    if any_dm and not (t1 or t2):
        return _not_applicable(name, citation, "diabetes type not recorded (QRISK3 scores type 1 and type 2 apart)",
                               Message(code="qrisk3.diabetes_type_unknown", params={"equation": key}))
    x = _Inputs(features)
    x.number("age")
    sex = x.sex()
    bmi, ratio = x.number("bmi"), x.number("chol_hdl_ratio")
    sbp, sbp_sd = x.number("sbp"), x.number("qrisk3_sbp_sd")
    smoking = _qrisk3_smoking(x)
    if smoking is not None:
        x.used["smoking"] = {"value": smoking, "unit": None}
    diabetes = "type1" if t1 and not t2 else "type2" if t2 else "none"
    x.used["diabetes"] = {"value": diabetes, "unit": None}
    flags = {arg: bool(_flag(features, col)) for arg, col in _QRISK3_FLAGS.items()}
    flags["erectile_dysfunction"] = flags["erectile_dysfunction"] and sex == "male"
    stage = _number(features, "ckd_stage")
    flags["ckd_3_5"] = stage is not None and stage >= 3
    for arg, value in flags.items():
        entry: dict[str, Any] = {"value": value, "unit": None}
        when = _date(features, f"{_QRISK3_FLAGS.get(arg, '')}_date") if value else None
        if when:
            entry["date"] = when
        x.used[arg] = entry
    x.used["ethnicity"] = {"value": None, "unit": None, "assumed": "not recorded"}
    x.used["townsend"] = {"value": 0.0, "unit": None, "assumed": "UK mean"}
    extra: list[tuple[str, Message]] = [
        ("derived and calibrated in the UK (QResearch, England): a comparator; SCORE2 stays the ESC reference",
         Message(code="qrisk3.uk_derivation")),
        ("ethnicity is not recorded in French records: computed as 'not recorded' (scored as white)",
         Message(code="qrisk3.ethnicity_assumed")),
        ("no Townsend deprivation score in France: 0 assumed (about the UK mean); no French index is mapped onto it",
         Message(code="qrisk3.townsend_assumed")),
    ]
    if _flag(features, "dx_family_history_chd_age_unknown") and not flags["family_history_chd"]:
        extra.append(("family history of coronary heart disease recorded without the relative's age: not counted "
                      "(QRISK3 counts a first-degree relative under 60)",
                      Message(code="qrisk3.family_history_age_unknown")))
    if _flag(features, "on_statin"):
        extra.append(("on a statin: QRISK3 was derived in people not taking statins",
                      Message(code="qrisk3.on_statin")))
    kwargs = dict(sex=sex, age=age, ethnicity=None, bmi=bmi, chol_hdl_ratio=ratio, sbp=sbp, sbp_sd=sbp_sd,
                  townsend=0.0, smoking=smoking, diabetes=diabetes, **flags)
    return _finish(name, citation, key, None, x, lambda: qrisk3(**kwargs),
                   lambda: qrisk3_range_issues(**kwargs), extra)


_EQUATIONS: dict[str, Callable[[Mapping[str, Any], str], EquationResult]] = {
    "score2": _score2,
    "score2_diabetes": _score2_diabetes,
    "prevent_cvd": lambda f, _region: _prevent(f, "cvd"),
    "prevent_ascvd": lambda f, _region: _prevent(f, "ascvd"),
    "prevent_hf": lambda f, _region: _prevent(f, "hf"),
    "qrisk3": lambda f, _region: _qrisk3(f),
    "kfre_5y": lambda f, _region: _kfre(f, 5),
    "kfre_2y": lambda f, _region: _kfre(f, 2),
}


def reference_scores(features: Mapping[str, Any], *, region: str = "low",
                     keys: Iterable[str] = RESULT_KEYS) -> dict[str, EquationResult]:
    """Every reference equation for one patient: a risk or the reason why not (keys: :data:`RESULT_KEYS`, or only
    `keys` when a caller needs a few, e.g. a model's anchor).

    ``region`` is the ESC 2021 SCORE2 risk region from configuration (France: "low"); an unknown region is a
    configuration error and raises ValueError.
    """
    reg = parse_region(region)
    return {key: _EQUATIONS[key](features, reg) for key in keys}


# The SCORE2 family, in the order the ESC applies it: SCORE2-Diabetes for type 2 diabetes at 40-69 (ESC 2023),
# else SCORE2 / SCORE2-OP (ESC 2021; SCORE2-OP already counts diabetes at 70 and over).
SCORE2_FAMILY: tuple[str, ...] = ("score2_diabetes", "score2")


def score2_family(results: Mapping[str, EquationResult]) -> str | None:
    """Key of the SCORE2-family result that applies to this patient and was computed; None when neither was."""
    for name in SCORE2_FAMILY:
        r = results.get(name)
        if r is not None and r.risk is not None:
            return name
    return None
