"""QRISK3-2017 10-year risk of cardiovascular disease (coronary heart disease, ischaemic stroke or TIA).

The project's implementation of the QRISK3-2017 algorithm (Hippisley-Cox J, Coupland C, Brindle P. BMJ
2017;357:j2099), written from the published coefficient tables (qrisk3_coefficients.py, with their source);
QRISK is a registered trademark of ClinRisk Ltd. Derived and calibrated in England (QResearch, ages 25-84):
in France it is a comparator shown after SCORE2, which stays the ESC reference.

French records hold neither ethnicity nor a Townsend deprivation score: callers pass ``ethnicity=None`` (the
algorithm's own "not recorded" group, scored like white) and ``townsend=0`` (about the UK mean), and say so.
A French deprivation index is never mapped onto Townsend.

Input limits: impossible values raise InputError (plausibility from risk.terminology.concepts, as every
equation here). The range the algorithm accepts (age 25-84; the calculator's input limits for the rest) is
reported by :func:`qrisk3_range_issues`: an age outside 25-84 withholds the number, other values warn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from risk.equations._common import (
    InputError,
    RangeIssue,
    parse_age,
    parse_flag,
    parse_measurement,
    parse_number,
    parse_sex,
    range_issue,
)
from risk.equations.qrisk3_coefficients import (
    AGE_1_INTERACTIONS,
    AGE_2_INTERACTIONS,
    AGE_POWERS,
    BASELINE_SURVIVAL_10Y,
    CENTRING,
    ETHNICITY,
    MAIN,
    SMOKING,
)
from risk.terminology.messages import Message

CITATION = (
    "Hippisley-Cox J, Coupland C, Brindle P. Development and validation of QRISK3 risk prediction algorithms "
    "to estimate future risk of cardiovascular disease: prospective cohort study. BMJ 2017;357:j2099. "
    "doi:10.1136/bmj.j2099 (the project's implementation of the QRISK3-2017 algorithm)"
)
ETHNICITIES: tuple[str, ...] = tuple(ETHNICITY["female"])
SMOKING_CATEGORIES: tuple[str, ...] = ("non", "ex", "light", "moderate", "heavy")
DIABETES_TYPES: tuple[str, ...] = ("none", "type1", "type2")
CONDITIONS: tuple[str, ...] = (
    "atrial_fibrillation",
    "atypical_antipsychotic",
    "corticosteroids",
    "erectile_dysfunction",
    "migraine",
    "rheumatoid_arthritis",
    "ckd_3_5",
    "severe_mental_illness",
    "sle",
    "bp_treatment",
    "family_history_chd",
)

# The algorithm's age range (BMJ 2017;357:j2099, Methods: ages 25-84); outside it no number is given.
AGE_RANGE = (25.0, 84.0)
# Input limits of the QRISK3 calculator (qrisk.org): outside them the estimate is an extrapolation (warning).
BMI_RANGE = (20.0, 40.0)
CHOL_HDL_RATIO_RANGE = (1.0, 12.0)
SBP_RANGE = (70.0, 210.0)
TOWNSEND_RANGE = (-7.0, 11.0)
# Plausibility of the SD of repeated systolic readings (mmHg): 0 is possible (identical readings); above 80 is
# a typing or unit error for a standard deviation of office readings.
SBP_SD_PLAUSIBLE = (0.0, 80.0)
TOWNSEND_PLAUSIBLE = (-10.0, 15.0)  # observed Townsend scores lie within about -8 to +14
RATIO_PLAUSIBLE = (1.0, 30.0)  # total/HDL cholesterol: HDL is part of the total, so the ratio exceeds 1


@dataclass(frozen=True, kw_only=True, slots=True)
class _Inputs:
    sex: str
    age: float
    ethnicity: str
    bmi: float
    chol_hdl_ratio: float
    sbp: float
    sbp_sd: float
    townsend: float
    smoking: str
    diabetes: str
    flags: dict[str, bool]


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    raise InputError(
        f"{name} must be one of {', '.join(allowed)}, got {value!r}",
        Message(code="input.choice", params={"argument": name, "value": value, "allowed": list(allowed)}),
    )


def _parse(
    sex: Any,
    age: Any,
    ethnicity: Any,
    bmi: Any,
    chol_hdl_ratio: Any,
    sbp: Any,
    sbp_sd: Any,
    townsend: Any,
    smoking: Any,
    diabetes: Any,
    flags: dict[str, Any],
) -> _Inputs:
    return _Inputs(
        sex="male" if parse_sex(sex) else "female",
        age=parse_age(age),
        ethnicity="white" if ethnicity is None else _choice("ethnicity", ethnicity, ETHNICITIES),
        bmi=parse_measurement("bmi", bmi),
        chol_hdl_ratio=parse_number(
            "chol_hdl_ratio",
            chol_hdl_ratio,
            low=RATIO_PLAUSIBLE[0],
            high=RATIO_PLAUSIBLE[1],
            unit="",
            label="cholesterol/HDL ratio",
        ),
        sbp=parse_measurement("sbp", sbp),
        sbp_sd=parse_number(
            "sbp_sd",
            sbp_sd,
            low=SBP_SD_PLAUSIBLE[0],
            high=SBP_SD_PLAUSIBLE[1],
            unit="mmHg",
            label="standard deviation of systolic blood pressure",
        ),
        townsend=parse_number(
            "townsend",
            townsend,
            low=TOWNSEND_PLAUSIBLE[0],
            high=TOWNSEND_PLAUSIBLE[1],
            unit="",
            label="Townsend deprivation score",
        ),
        smoking=_choice("smoking", smoking, SMOKING_CATEGORIES),
        diabetes=_choice("diabetes", diabetes, DIABETES_TYPES),
        flags={name: parse_flag(name, value) for name, value in flags.items()},
    )


def _linear_predictor(x: _Inputs) -> float:
    """Sum of coefficient x centred term, with the age interactions (qrisk3_coefficients.py)."""
    sex = x.sex
    centre = CENTRING[sex]
    dage, dbmi = x.age / 10.0, x.bmi / 10.0
    p1, p2 = AGE_POWERS[sex]
    terms: dict[str, float] = {
        "age_1": dage**p1 - centre["age_1"],
        "age_2": dage**p2 - centre["age_2"],
        "bmi_1": dbmi**-2 - centre["bmi_1"],
        "bmi_2": dbmi**-2 * math.log(dbmi) - centre["bmi_2"],
        "chol_hdl_ratio": x.chol_hdl_ratio - centre["chol_hdl_ratio"],
        "sbp": x.sbp - centre["sbp"],
        "sbp_sd": x.sbp_sd - centre["sbp_sd"],
        "townsend": x.townsend - centre["townsend"],
        "type1": float(x.diabetes == "type1"),
        "type2": float(x.diabetes == "type2"),
    }
    terms |= {name: float(on) for name, on in x.flags.items()}
    terms |= {f"smoking_{cat}": float(x.smoking == cat) for cat in SMOKING_CATEGORIES[1:]}
    total = ETHNICITY[sex][x.ethnicity] + SMOKING[sex][x.smoking]
    total += sum(coefficient * terms[name] for name, coefficient in MAIN[sex].items())
    total += sum(coefficient * terms["age_1"] * terms[name] for name, coefficient in AGE_1_INTERACTIONS[sex].items())
    total += sum(coefficient * terms["age_2"] * terms[name] for name, coefficient in AGE_2_INTERACTIONS[sex].items())
    return total


def qrisk3(
    *,
    sex: str,
    age: float,
    ethnicity: str | None,
    bmi: float,
    chol_hdl_ratio: float,
    sbp: float,
    sbp_sd: float,
    townsend: float,
    smoking: str,
    diabetes: str,
    atrial_fibrillation: bool,
    atypical_antipsychotic: bool,
    corticosteroids: bool,
    erectile_dysfunction: bool,
    migraine: bool,
    rheumatoid_arthritis: bool,
    ckd_3_5: bool,
    severe_mental_illness: bool,
    sle: bool,
    bp_treatment: bool,
    family_history_chd: bool,
) -> float:
    """QRISK3-2017 10-year cardiovascular risk as a fraction 0-1.

    ``ethnicity`` None means not recorded (scored as the algorithm's "white or not stated" group); ``smoking``
    "non" | "ex" | "light" (< 10 a day) | "moderate" (10-19) | "heavy" (>= 20); ``diabetes`` "none" | "type1" |
    "type2"; ``chol_hdl_ratio`` total/HDL cholesterol; ``sbp`` and ``sbp_sd`` (SD of repeated systolic
    readings) in mmHg. Erectile dysfunction has no term for women. Age outside 25-84 still computes here;
    :func:`qrisk3_range_issues` marks it to be withheld.
    """
    x = _parse(
        sex,
        age,
        ethnicity,
        bmi,
        chol_hdl_ratio,
        sbp,
        sbp_sd,
        townsend,
        smoking,
        diabetes,
        {
            "atrial_fibrillation": atrial_fibrillation,
            "atypical_antipsychotic": atypical_antipsychotic,
            "corticosteroids": corticosteroids,
            "erectile_dysfunction": erectile_dysfunction,
            "migraine": migraine,
            "rheumatoid_arthritis": rheumatoid_arthritis,
            "ckd_3_5": ckd_3_5,
            "severe_mental_illness": severe_mental_illness,
            "sle": sle,
            "bp_treatment": bp_treatment,
            "family_history_chd": family_history_chd,
        },
    )
    return 1.0 - BASELINE_SURVIVAL_10Y[x.sex] ** math.exp(_linear_predictor(x))


def qrisk3_range_issues(
    *,
    sex: str,
    age: float,
    ethnicity: str | None,
    bmi: float,
    chol_hdl_ratio: float,
    sbp: float,
    sbp_sd: float,
    townsend: float,
    smoking: str,
    diabetes: str,
    **flags: bool,
) -> list[RangeIssue]:
    """Why a QRISK3 result needs care, or (age outside 25-84, ``withhold=True``) must not be shown."""
    x = _parse(sex, age, ethnicity, bmi, chol_hdl_ratio, sbp, sbp_sd, townsend, smoking, diabetes, flags)
    found = [
        range_issue("age", "age", x.age, "years", *AGE_RANGE, equation="qrisk3", withhold=True),
        range_issue("bmi", "BMI", x.bmi, "kg/m²", *BMI_RANGE, equation="qrisk3"),
        range_issue(
            "chol_hdl_ratio", "cholesterol/HDL ratio", x.chol_hdl_ratio, "", *CHOL_HDL_RATIO_RANGE, equation="qrisk3"
        ),
        range_issue("sbp", "systolic blood pressure", x.sbp, "mmHg", *SBP_RANGE, equation="qrisk3"),
        range_issue("townsend", "Townsend deprivation score", x.townsend, "", *TOWNSEND_RANGE, equation="qrisk3"),
    ]
    return [issue for issue in found if issue is not None]
