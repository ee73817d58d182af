"""SCORE2-Diabetes: ESC 10-year risk of fatal and non-fatal cardiovascular disease in type 2 diabetes, ages
40-69, without established cardiovascular disease.

Reference: SCORE2-Diabetes Working Group and ESC Cardiovascular Risk Collaboration. SCORE2-Diabetes: 10-year
cardiovascular risk estimation in type 2 diabetes in Europe. Eur Heart J 2023;44(28):2544-2556.
doi:10.1093/eurheartj/ehad260 (model in the Supplementary Methods; worked examples in the structured graphical
abstract). Coefficients as in clinical_reference.md section 1.4 [V2+]: RiskScorescvd
R/15_SCORE2-Diabetes_func.R, cross-checked against the authors' score2dmrisk.ado (`fulladj`: SCORE2 beta plus
adjustment) and all 16 graphical-abstract values. Same baseline survival and region scales as SCORE2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from risk.equations._common import (
    RangeIssue,
    check_cholesterol_pair,
    parse_age,
    parse_flag,
    parse_measurement,
    parse_number,
    parse_sex,
    range_issue,
)
from risk.equations.score2 import (
    CHART_NON_HDL_RANGE,
    CHART_SBP_RANGE,
    SCORE2_SCALES,
    parse_region,
    recalibrate,
)

CITATION = (
    "SCORE2-Diabetes Working Group and ESC Cardiovascular Risk Collaboration. Eur Heart J 2023;44:2544-2556. "
    "doi:10.1093/eurheartj/ehad260"
)
AGE_RANGE = (40.0, 70.0)  # derived for ages 40-69 (upper bound exclusive: 70 and over is SCORE2-OP)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Score2DiabetesCoefficients:
    age: float  # (age - 60) / 5
    smoking: float
    sbp: float  # (SBP - 120) / 20
    diabetes: float  # always 1 in this model
    total_chol: float  # TC - 6 (mmol/L)
    hdl: float  # (HDL - 1.3) / 0.5
    smoking_age: float
    sbp_age: float
    diabetes_age: float
    total_chol_age: float
    hdl_age: float
    diabetes_age_at_diagnosis: float  # diabetes x (age at diagnosis - 50) / 5
    hba1c: float  # (HbA1c mmol/mol - 31) / 9.34
    egfr: float  # (ln eGFR - 4.5) / 0.15
    egfr_squared: float
    hba1c_age: float
    egfr_age: float
    baseline_survival: float


MEN = _Score2DiabetesCoefficients(
    age=0.5368, smoking=0.4774, sbp=0.1322, diabetes=0.6457, total_chol=0.1102, hdl=-0.1087,
    smoking_age=-0.0672, sbp_age=-0.0268, diabetes_age=-0.0983, total_chol_age=-0.0181, hdl_age=0.0095,
    diabetes_age_at_diagnosis=-0.0998, hba1c=0.0955, egfr=-0.0591, egfr_squared=0.0058, hba1c_age=-0.0134,
    egfr_age=0.0115, baseline_survival=0.9605,
)
WOMEN = _Score2DiabetesCoefficients(
    age=0.6624, smoking=0.6139, sbp=0.1421, diabetes=0.8096, total_chol=0.1127, hdl=-0.1568,
    smoking_age=-0.1122, sbp_age=-0.0167, diabetes_age=-0.1272, total_chol_age=-0.0200, hdl_age=0.0186,
    diabetes_age_at_diagnosis=-0.1180, hba1c=0.1173, egfr=-0.0640, egfr_squared=0.0062, hba1c_age=-0.0196,
    egfr_age=0.0169, baseline_survival=0.9776,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Inputs:
    male: bool
    age: float
    smoker: bool
    sbp: float
    total_chol: float
    hdl: float
    hba1c: float
    egfr: float
    age_at_diagnosis: float
    region: str


def _parse(sex: object, age: object, smoker: object, sbp: object, total_chol: object, hdl: object,
           hba1c: object, egfr: object, age_at_diabetes_diagnosis: object, region: object) -> _Inputs:
    age_v = parse_age(age)
    tc, hdl_v = parse_measurement("total_chol", total_chol), parse_measurement("hdl", hdl)
    check_cholesterol_pair(tc, hdl_v)
    diagnosis = parse_number("age_at_diabetes_diagnosis", age_at_diabetes_diagnosis, low=0.0, high=age_v,
                             unit="years", label="age at diabetes diagnosis", concept="age_at_diabetes")
    return _Inputs(
        male=parse_sex(sex), age=age_v, smoker=parse_flag("smoker", smoker),
        sbp=parse_measurement("sbp", sbp), total_chol=tc, hdl=hdl_v, hba1c=parse_measurement("hba1c", hba1c),
        egfr=parse_measurement("egfr", egfr), age_at_diagnosis=diagnosis, region=parse_region(region),
    )


def score2_diabetes(
    *, sex: str, age: float, smoker: bool, sbp: float, total_chol: float, hdl: float, hba1c: float,
    egfr: float, age_at_diabetes_diagnosis: float, region: str = "low",
) -> float:
    """10-year CVD risk (fraction 0-1) for a person with type 2 diabetes.

    Canonical units: SBP mmHg, cholesterol mmol/L, HbA1c mmol/mol (IFCC), eGFR mL/min/1.73 m² (CKD-EPI),
    ages in years. An age at diagnosis later than the current age is rejected as impossible.
    """
    x = _parse(sex, age, smoker, sbp, total_chol, hdl, hba1c, egfr, age_at_diabetes_diagnosis, region)
    c = MEN if x.male else WOMEN
    cage, csbp, ctc, chdl = (x.age - 60) / 5, (x.sbp - 120) / 20, x.total_chol - 6, (x.hdl - 1.3) / 0.5
    cdiag = (x.age_at_diagnosis - 50) / 5
    ca1c = (x.hba1c - 31) / 9.34
    cegfr = (math.log(x.egfr) - 4.5) / 0.15
    smk, dm = (1.0 if x.smoker else 0.0), 1.0
    lp = (c.age * cage + c.smoking * smk + c.sbp * csbp + c.diabetes * dm + c.total_chol * ctc + c.hdl * chdl
          + c.smoking_age * smk * cage + c.sbp_age * csbp * cage + c.diabetes_age * dm * cage
          + c.total_chol_age * ctc * cage + c.hdl_age * chdl * cage + c.diabetes_age_at_diagnosis * dm * cdiag
          + c.hba1c * ca1c + c.egfr * cegfr + c.egfr_squared * cegfr**2 + c.hba1c_age * ca1c * cage
          + c.egfr_age * cegfr * cage)
    uncalibrated = 1.0 - c.baseline_survival ** math.exp(lp)
    return recalibrate(uncalibrated, *SCORE2_SCALES[(x.region, x.male)])


def score2_diabetes_range_issues(*, sex: str, age: float, smoker: bool, sbp: float, total_chol: float,
                                 hdl: float, hba1c: float, egfr: float, age_at_diabetes_diagnosis: float,
                                 region: str = "low") -> list[RangeIssue]:
    """Why a SCORE2-Diabetes result needs care for these inputs (empty list: inside the ranges)."""
    x = _parse(sex, age, smoker, sbp, total_chol, hdl, hba1c, egfr, age_at_diabetes_diagnosis, region)
    issues: list[RangeIssue | None] = [
        range_issue("age", "age", x.age, "years", AGE_RANGE[0], AGE_RANGE[1] - 1, equation="score2_diabetes")
        if not AGE_RANGE[0] <= x.age < AGE_RANGE[1] else None,
        range_issue("sbp", "systolic blood pressure", x.sbp, "mmHg", *CHART_SBP_RANGE, equation=None),
        range_issue("non_hdl", "non-HDL cholesterol", x.total_chol - x.hdl, "mmol/L", *CHART_NON_HDL_RANGE,
                    equation=None),
    ]
    return [i for i in issues if i is not None]
