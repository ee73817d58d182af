"""SCORE2 (ages 40-69) and SCORE2-OP (70 and over): ESC 10-year risk of fatal and non-fatal cardiovascular
disease (CV death, non-fatal myocardial infarction, non-fatal stroke), recalibrated to four European risk
regions (France: low).

References
- SCORE2 working group and ESC Cardiovascular Risk Collaboration. SCORE2 risk prediction algorithms: new
  models to estimate 10-year risk of cardiovascular disease in Europe. Eur Heart J 2021;42(25):2439-2454.
  doi:10.1093/eurheartj/ehab309 (model: Supplementary Methods; worked example: Supplementary Table 4).
- SCORE2-OP working group and ESC Cardiovascular Risk Collaboration. SCORE2-OP risk prediction algorithms:
  estimating incident cardiovascular event risk in older persons in four geographical risk regions.
  Eur Heart J 2021;42(25):2455-2467. doi:10.1093/eurheartj/ehab312 (example: Supplementary Table 3).
Numbers as transcribed and cross-checked in clinical_reference.md sections 1.1-1.3 (authors' Stata programs
skkceu/stata score2risk.ado and score2oprisk.ado, commit abd8702; RiskScorescvd 0.3.1; paper abstracts).

What ``diabetes=True`` does (documented choice, clinical_reference.md section 1):
- Ages 40-69: SCORE2 is for people *without* diabetes. Its fitted model has a diabetes term only because the
  recalibration used the whole population; the authors state the term is 0 for the target population.
  Applying that coefficient (as some public implementations do) gives a number nobody validated, and
  ignoring the diabetes silently would under-state risk. So ``score2(diabetes=True)`` below 70 raises
  ``ValueError`` pointing to SCORE2-Diabetes, the ESC model for type 2 diabetes at 40-69.
- Ages 70 and over: SCORE2-OP was derived with history of diabetes as a predictor, so its diabetes term and
  the diabetes x age interaction are applied.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from risk.equations._common import (
    RangeIssue,
    check_cholesterol_pair,
    parse_age,
    parse_flag,
    parse_measurement,
    parse_sex,
    range_issue,
)

CITATION_SCORE2 = (
    "SCORE2 working group and ESC Cardiovascular Risk Collaboration. Eur Heart J 2021;42(25):2439-2454. "
    "doi:10.1093/eurheartj/ehab309"
)
CITATION_SCORE2_OP = (
    "SCORE2-OP working group and ESC Cardiovascular Risk Collaboration. Eur Heart J 2021;42(25):2455-2467. "
    "doi:10.1093/eurheartj/ehab312"
)

REGIONS: tuple[str, ...] = ("low", "moderate", "high", "very_high")
OP_MIN_AGE = 70.0  # SCORE2 covers 40-69, SCORE2-OP 70 and over (ESC 2021 prevention guideline)


def parse_region(region: object) -> str:
    """Normalise an ESC 2021 risk region name ('very high', 'very-high' and 'very_high' are the same)."""
    if isinstance(region, str):
        key = region.strip().lower().replace("-", "_").replace(" ", "_")
        if key in REGIONS:
            return key
    raise ValueError(f"region must be one of {', '.join(REGIONS)} (ESC 2021 risk regions), got {region!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class _Score2Coefficients:
    """Log sub-distribution hazard ratios; SCORE2 Supplementary Methods (values as in score2risk.ado)."""

    age: float  # per 5 years, centred at 60
    smoking: float
    sbp: float  # per 20 mmHg, centred at 120
    diabetes: float  # recalibration-only term: 0 for the SCORE2 target population (never applied here)
    total_chol: float  # per 1 mmol/L, centred at 6
    hdl: float  # per 0.5 mmol/L, centred at 1.3
    smoking_age: float
    sbp_age: float
    diabetes_age: float  # idem: not applied
    total_chol_age: float
    hdl_age: float
    baseline_survival: float  # S0(10)


# clinical_reference.md section 1.1 [V2+]: score2risk.ado, identical in RiskScorescvd R/11_SCORE2_func.R.
SCORE2_MEN = _Score2Coefficients(
    age=0.3742, smoking=0.6012, sbp=0.2777, diabetes=0.6457, total_chol=0.1458, hdl=-0.2698,
    smoking_age=-0.0755, sbp_age=-0.0255, diabetes_age=-0.0983, total_chol_age=-0.0281, hdl_age=0.0426,
    baseline_survival=0.9605,
)
SCORE2_WOMEN = _Score2Coefficients(
    age=0.4648, smoking=0.7744, sbp=0.3131, diabetes=0.8096, total_chol=0.1002, hdl=-0.2606,
    smoking_age=-0.1088, sbp_age=-0.0277, diabetes_age=-0.1272, total_chol_age=-0.0226, hdl_age=0.0613,
    baseline_survival=0.9776,
)

# Region recalibration (scale1, scale2) for SCORE2 40-69, 6 decimals as in score2risk.ado (the paper prints
# 4 decimals); clinical_reference.md section 1.1 and section 7 ("use the 6-decimal values"). Also used by
# SCORE2-Diabetes (section 1.4: same scales).
SCORE2_SCALES: dict[tuple[str, bool], tuple[float, float]] = {
    ("low", True): (-0.569857, 0.747593),
    ("low", False): (-0.737966, 0.701868),
    ("moderate", True): (-0.156481, 0.800869),
    ("moderate", False): (-0.314269, 0.770149),
    ("high", True): (0.320717, 0.936004),
    ("high", False): (0.570963, 0.936893),
    ("very_high", True): (0.583578, 0.829368),
    ("very_high", False): (0.941177, 0.832923),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class _Score2OpCoefficients:
    """SCORE2-OP as *published* (4 dp), uncentred-scale terms: age-73, SBP-150, TC-6, HDL-1.4."""

    age: float
    diabetes: float
    diabetes_age: float
    smoking: float
    smoking_age: float
    sbp: float
    sbp_age: float
    total_chol: float
    total_chol_age: float
    hdl: float
    hdl_age: float
    mean_linear_predictor: float
    baseline_survival: float


# The published rounded set, not the unrounded .ado values: the paper's Supplementary Table 3 example and the
# HeartScore-checked values are reproduced only by the rounded set (unrounded differs by up to ~0.3 points).
# clinical_reference.md section 1.2 (caveat); score2oprisk.ado `rounded(1)` branch has the same numbers.
SCORE2_OP_MEN = _Score2OpCoefficients(
    age=0.0634, diabetes=0.4245, diabetes_age=-0.0174, smoking=0.3524, smoking_age=-0.0247, sbp=0.0094,
    sbp_age=-0.0005, total_chol=0.0850, total_chol_age=0.0073, hdl=-0.3564, hdl_age=0.0091,
    mean_linear_predictor=0.0929, baseline_survival=0.7576,
)
SCORE2_OP_WOMEN = _Score2OpCoefficients(
    age=0.0789, diabetes=0.6010, diabetes_age=-0.0107, smoking=0.4921, smoking_age=-0.0255, sbp=0.0102,
    sbp_age=-0.0004, total_chol=0.0605, total_chol_age=-0.0009, hdl=-0.3040, hdl_age=0.0154,
    mean_linear_predictor=0.2288, baseline_survival=0.8082,
)

# SCORE2-OP region scales as published (2 dp), the set that reproduces the published examples.
SCORE2_OP_SCALES: dict[tuple[str, bool], tuple[float, float]] = {
    ("low", True): (-0.34, 1.19),
    ("low", False): (-0.52, 1.01),
    ("moderate", True): (0.01, 1.25),
    ("moderate", False): (-0.10, 1.10),
    ("high", True): (0.08, 1.15),
    ("high", False): (0.38, 1.09),
    ("very_high", True): (0.05, 0.70),
    ("very_high", False): (0.38, 0.69),
}

# Ranges covered by the ESC 2021 SCORE2 / SCORE2-OP charts (ages 40-89 in 5-year bands, SBP 100-179 mmHg,
# non-HDL cholesterol 3.0-6.9 mmol/L) [M: ESC 2021 prevention guideline figures, see VERIFICATION.md].
SCORE2_MIN_AGE = 40.0
SCORE2_OP_AGE_LIMIT = 90.0  # SCORE2-OP charts stop at 89
CHART_SBP_RANGE = (100.0, 179.0)
CHART_NON_HDL_RANGE = (3.0, 6.9)


def recalibrate(uncalibrated_risk: float, scale1: float, scale2: float) -> float:
    """Region recalibration shared by SCORE2, SCORE2-OP and SCORE2-Diabetes (Supplementary Methods)."""
    return 1.0 - math.exp(-math.exp(scale1 + scale2 * math.log(-math.log(1.0 - uncalibrated_risk))))


def _score2_linear_predictor(c: _Score2Coefficients, age: float, smoker: bool, sbp: float,
                             total_chol: float, hdl: float) -> float:
    cage, csbp, ctc, chdl = (age - 60) / 5, (sbp - 120) / 20, total_chol - 6, (hdl - 1.3) / 0.5
    smk = 1.0 if smoker else 0.0
    return (c.age * cage + c.smoking * smk + c.sbp * csbp + c.total_chol * ctc + c.hdl * chdl
            + c.smoking_age * smk * cage + c.sbp_age * csbp * cage + c.total_chol_age * ctc * cage
            + c.hdl_age * chdl * cage)  # diabetes = 0 for the SCORE2 target population


def _score2_op_linear_predictor(c: _Score2OpCoefficients, age: float, smoker: bool, sbp: float,
                                total_chol: float, hdl: float, diabetes: bool) -> float:
    cage, csbp, ctc, chdl = age - 73, sbp - 150, total_chol - 6, hdl - 1.4
    smk, dm = (1.0 if smoker else 0.0), (1.0 if diabetes else 0.0)
    return (c.age * cage + c.diabetes * dm + c.diabetes_age * dm * cage + c.smoking * smk
            + c.smoking_age * smk * cage + c.sbp * csbp + c.sbp_age * csbp * cage + c.total_chol * ctc
            + c.total_chol_age * ctc * cage + c.hdl * chdl + c.hdl_age * chdl * cage
            - c.mean_linear_predictor)


def _score2_raw(male: bool, age: float, smoker: bool, sbp: float, total_chol: float, hdl: float,
                region: str) -> float:
    c = SCORE2_MEN if male else SCORE2_WOMEN
    lp = _score2_linear_predictor(c, age, smoker, sbp, total_chol, hdl)
    return recalibrate(1.0 - c.baseline_survival ** math.exp(lp), *SCORE2_SCALES[(region, male)])


def _score2_op_raw(male: bool, age: float, smoker: bool, sbp: float, total_chol: float, hdl: float,
                   diabetes: bool, region: str) -> float:
    c = SCORE2_OP_MEN if male else SCORE2_OP_WOMEN
    lp = _score2_op_linear_predictor(c, age, smoker, sbp, total_chol, hdl, diabetes)
    return recalibrate(1.0 - c.baseline_survival ** math.exp(lp), *SCORE2_OP_SCALES[(region, male)])


def _parse_inputs(
    sex: object, age: object, smoker: object, sbp: object, total_chol: object, hdl: object, region: object,
    diabetes: object,
) -> tuple[bool, float, bool, float, float, float, str, bool]:
    male = parse_sex(sex)
    age_v = parse_age(age)
    smk = parse_flag("smoker", smoker)
    sbp_v = parse_measurement("sbp", sbp)
    tc = parse_measurement("total_chol", total_chol)
    hdl_v = parse_measurement("hdl", hdl)
    check_cholesterol_pair(tc, hdl_v)
    return male, age_v, smk, sbp_v, tc, hdl_v, parse_region(region), parse_flag("diabetes", diabetes)


def score2(*, sex: str, age: float, smoker: bool, sbp: float, total_chol: float, hdl: float,
           region: str = "low", diabetes: bool = False) -> float:
    """10-year risk of fatal and non-fatal CVD (fraction 0-1): SCORE2 below 70, SCORE2-OP from 70.

    Inputs in canonical units: SBP mmHg, cholesterol mmol/L. ``region``: low | moderate | high | very_high
    (France: low). Below 70, ``diabetes=True`` raises ValueError (use ``score2_diabetes``; see module doc).
    Ages outside the derivation ranges still compute; :func:`score2_range_issues` says why to be careful.
    """
    male, age_v, smk, sbp_v, tc, hdl_v, reg, dm = _parse_inputs(
        sex, age, smoker, sbp, total_chol, hdl, region, diabetes
    )
    if age_v >= OP_MIN_AGE:
        return _score2_op_raw(male, age_v, smk, sbp_v, tc, hdl_v, dm, reg)
    if dm:
        raise ValueError(
            "SCORE2 (ages 40-69) is not for people with diabetes: its diabetes term is a recalibration "
            "device and is 0 for its target population. Use score2_diabetes() (SCORE2-Diabetes) for type 2 "
            "diabetes."
        )
    return _score2_raw(male, age_v, smk, sbp_v, tc, hdl_v, reg)


def score2_model_name(age: float) -> str:
    """'SCORE2' below 70, 'SCORE2-OP' from 70."""
    return "SCORE2-OP" if age >= OP_MIN_AGE else "SCORE2"


def score2_range_issues(*, sex: str, age: float, smoker: bool, sbp: float, total_chol: float, hdl: float,
                        region: str = "low", diabetes: bool = False) -> list[RangeIssue]:
    """Why a SCORE2 / SCORE2-OP result needs care for these inputs (empty list: inside the ranges)."""
    _male, age_v, _smk, sbp_v, tc, hdl_v, _reg, _dm = _parse_inputs(
        sex, age, smoker, sbp, total_chol, hdl, region, diabetes
    )
    issues: list[RangeIssue | None] = []
    if age_v < SCORE2_MIN_AGE:
        issues.append(range_issue("age", "age", age_v, "years", SCORE2_MIN_AGE, OP_MIN_AGE - 1, equation="score2"))
    elif age_v >= SCORE2_OP_AGE_LIMIT:
        issues.append(range_issue("age", "age", age_v, "years", OP_MIN_AGE, SCORE2_OP_AGE_LIMIT - 1,
                                  equation="score2_op"))
    issues.append(range_issue("sbp", "systolic blood pressure", sbp_v, "mmHg", *CHART_SBP_RANGE, equation=None))
    issues.append(range_issue("non_hdl", "non-HDL cholesterol", tc - hdl_v, "mmol/L", *CHART_NON_HDL_RANGE,
                              equation=None))
    return [i for i in issues if i is not None]


def score2_range_warnings(**inputs: object) -> list[str]:
    """Plain-language derivation-range warnings for :func:`score2` (same keyword arguments)."""
    return [issue.message for issue in score2_range_issues(**inputs)]  # type: ignore[arg-type]


# SCORE2 "risk age" ideal profile: non-smoker, no diabetes, SBP 135 mmHg, total cholesterol 4.7 (men) /
# 4.9 (women) mmol/L, HDL 1.3 (men) / 1.5 (women) mmol/L, i.e. non-HDL 3.4: the default `riskage1`
# definition of the authors' score2risk.ado / score2oprisk.ado (Oct 2021). Risk age is the age at which a
# person of the same sex and region with this profile has the same predicted risk.
RISK_AGE_IDEAL = {True: (135.0, 4.7, 1.3), False: (135.0, 4.9, 1.5)}
RISK_AGE_SEARCH = (20.0, 100.0)


def score2_risk_age(*, sex: str, age: float, smoker: bool, sbp: float, total_chol: float, hdl: float,
                    region: str = "low", diabetes: bool = False) -> float | None:
    """SCORE2 / SCORE2-OP risk age in years, or None when it falls outside 20-100 years.

    Solved exactly on the same model family as the displayed risk (SCORE2 below 70, SCORE2-OP from 70),
    where the authors' Stata programs use a fitted approximation of the same curve.
    """
    risk = score2(sex=sex, age=age, smoker=smoker, sbp=sbp, total_chol=total_chol, hdl=hdl, region=region,
                  diabetes=diabetes)
    male, reg = parse_sex(sex), parse_region(region)
    ideal_sbp, ideal_tc, ideal_hdl = RISK_AGE_IDEAL[male]

    def ideal_risk(a: float) -> float:
        if a >= OP_MIN_AGE:
            return _score2_op_raw(male, a, False, ideal_sbp, ideal_tc, ideal_hdl, False, reg)
        return _score2_raw(male, a, False, ideal_sbp, ideal_tc, ideal_hdl, reg)

    return _first_age_reaching(ideal_risk, risk, *RISK_AGE_SEARCH)


def _first_age_reaching(
    curve: Callable[[float], float], target: float, start: float, stop: float
) -> float | None:
    """Smallest age in [start, stop] where ``curve`` (rising with age) reaches ``target``; None if outside.

    The curve switches model at 70 (SCORE2 -> SCORE2-OP) and may jump there, so the search never bisects
    across 70: if the jump itself crosses the target, the answer is 70.
    """
    if curve(start) > target:
        return None
    step = 0.25
    lo = start
    while lo < stop:
        hi = min(lo + step, stop)
        if lo < OP_MIN_AGE <= hi:
            below = OP_MIN_AGE - 1e-9
            if curve(below) >= target:
                return _bisect(curve, target, lo, below)
            if curve(OP_MIN_AGE) >= target:
                return OP_MIN_AGE
            if curve(hi) >= target:
                return _bisect(curve, target, OP_MIN_AGE, hi)
        elif curve(hi) >= target:
            return _bisect(curve, target, lo, hi)
        lo = hi
    return None


def _bisect(curve: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    for _ in range(60):
        mid = (lo + hi) / 2
        if curve(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi
