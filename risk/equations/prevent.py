"""AHA PREVENT 10-year risk of total cardiovascular disease, ASCVD and heart failure (US adults 30-79 without
cardiovascular disease; sex-specific, race-free, logistic form).

Reference: Khan SS, Matsushita K, Sang Y, et al. Circulation 2024;149(6):430-449.
doi:10.1161/CIRCULATIONAHA.123.067626. Coefficients and term definitions: prevent_coefficients.py.
For France and Europe PREVENT is shown as a comparator only (clinical_reference.md section 2).

Model choice follows the developers' rule (preventr `select_model()`): base model when neither HbA1c nor UACR
is given, "+HbA1c" or "+UACR" when one is, and the full model when both are. The full model also has a US
Social Deprivation Index (ZIP code) term, which has no French equivalent: it is always entered as missing
(the equation's own "SDI missing" coefficient), never guessed.

Units: inputs arrive in canonical units and are converted to PREVENT's own (cholesterol mg/dL, HbA1c %,
UACR mg/g) with the factors of conversions.py; derivation ranges are checked in those units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from risk.equations._common import (
    RangeIssue,
    check_cholesterol_pair,
    parse_age,
    parse_flag,
    parse_measurement,
    parse_sex,
    range_issue,
    within,
)
from risk.equations.conversions import (
    PREVENT_CHOL_MMOL_L_PER_MG_DL,
    chol_mmol_l_to_mg_dl,
    hba1c_mmol_mol_to_pct,
    uacr_mg_mmol_to_mg_g,
)
from risk.equations.prevent_coefficients import COLUMNS, MODELS

CITATION = (
    "Khan SS, Matsushita K, Sang Y, et al. Development and Validation of the American Heart Association's "
    "PREVENT Equations. Circulation 2024;149(6):430-449. doi:10.1161/CIRCULATIONAHA.123.067626"
)
OUTCOMES: dict[str, str] = {"cvd": "total cardiovascular disease", "ascvd": "ASCVD", "hf": "heart failure"}
MODEL_NAMES: dict[str, str] = {
    "base": "base model", "hba1c": "base model + HbA1c", "uacr": "base model + UACR",
    "full": "full model: HbA1c + UACR, social deprivation index missing",
}

# Derivation ranges in PREVENT's own units (preventr R/prevent_equations.R `valid`; Linden prevent.sthlp).
AGE_RANGE = (30.0, 79.0)
TOTAL_CHOL_MG_DL_RANGE = (130.0, 320.0)
HDL_MG_DL_RANGE = (20.0, 100.0)
SBP_RANGE = (90.0, 200.0)  # the equations accept up to 200 (preventr narrows to 180 by its own choice)
EGFR_RANGE = (15.0, 140.0)  # preventr 15-140; Linden's help file says 150: the narrower bound is used
HBA1C_PCT_RANGE = (4.5, 15.0)  # preventr (the paper permits down to 3 %)
UACR_MG_G_RANGE = (0.1, 25000.0)
# BMI: people outside 18.5-39.9 were excluded from derivation (preventr: "Table 1, footnote"), and BMI enters
# only the heart-failure equation. Rule applied: heart-failure risk is withheld when BMI < 18.5 or >= 40
# (Linden: "between 18.5 and 40"); the other outcomes, which do not use BMI, carry a warning.
BMI_LOW, BMI_HIGH_EXCLUSIVE = 18.5, 40.0
# The developers' code floors UACR at 0.1 mg/g before the logarithm (AHA PREVENT R package `adjust()`).
UACR_FLOOR_MG_G = 0.1


@dataclass(frozen=True, kw_only=True, slots=True)
class _Inputs:
    male: bool
    age: float
    smoker: bool
    sbp: float
    total_chol_mg_dl: float | None
    hdl_mg_dl: float | None
    egfr: float
    bmi: float | None
    diabetes: bool
    on_antihypertensive: bool
    on_statin: bool | None
    hba1c_pct: float | None
    uacr_mg_g: float | None
    outcome: str


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def parse_outcome(outcome: object) -> str:
    if isinstance(outcome, str) and outcome.strip().lower() in OUTCOMES:
        return outcome.strip().lower()
    raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")


def prevent_model(*, hba1c: float | None = None, uacr: float | None = None) -> str:
    """Which PREVENT variant the given optional inputs select: 'base', 'hba1c', 'uacr' or 'full'."""
    has_hba1c, has_uacr = not _missing(hba1c), not _missing(uacr)
    if has_hba1c and has_uacr:
        return "full"
    return "hba1c" if has_hba1c else "uacr" if has_uacr else "base"


def _parse(sex: object, age: object, smoker: object, sbp: object, total_chol: object, hdl: object,
           egfr: object, bmi: object, diabetes: object, on_antihypertensive: object, on_statin: object,
           hba1c: object, uacr: object, outcome: object) -> _Inputs:
    out = parse_outcome(outcome)
    needs_lipids = out != "hf"  # the heart-failure equations have no cholesterol or statin terms
    label = f"PREVENT {OUTCOMES[out]}"

    def required(name: str, value: object) -> object:
        if _missing(value):
            raise ValueError(f"{name} is required for {label}")
        return value

    tc_mg = hdl_mg = None
    statin: bool | None = None
    if needs_lipids or not (_missing(total_chol) or _missing(hdl)):
        tc = parse_measurement("total_chol", required("total_chol", total_chol))
        hdl_v = parse_measurement("hdl", required("hdl", hdl))
        check_cholesterol_pair(tc, hdl_v)
        tc_mg, hdl_mg = chol_mmol_l_to_mg_dl(tc), chol_mmol_l_to_mg_dl(hdl_v)
    if needs_lipids or not _missing(on_statin):
        statin = parse_flag("on_statin", required("on_statin", on_statin))
    bmi_v = None
    if out == "hf" or not _missing(bmi):
        bmi_v = parse_measurement("bmi", required("bmi", bmi))
    return _Inputs(
        male=parse_sex(sex), age=parse_age(age), smoker=parse_flag("smoker", smoker),
        sbp=parse_measurement("sbp", sbp), total_chol_mg_dl=tc_mg, hdl_mg_dl=hdl_mg,
        egfr=parse_measurement("egfr", egfr), bmi=bmi_v, diabetes=parse_flag("diabetes", diabetes),
        on_antihypertensive=parse_flag("on_antihypertensive", on_antihypertensive), on_statin=statin,
        hba1c_pct=None if _missing(hba1c) else hba1c_mmol_mol_to_pct(parse_measurement("hba1c", hba1c)),
        uacr_mg_g=None if _missing(uacr) else _uacr_mg_g(uacr), outcome=out,
    )


def _uacr_mg_g(uacr: object) -> float:
    value = parse_measurement("uacr", uacr)
    return uacr_mg_mmol_to_mg_g(value)


def _terms(x: _Inputs, model: str) -> dict[str, float]:
    """The predictor terms of prevent_coefficients.py for one person (absent inputs give 0 terms)."""
    age = (x.age - 55) / 10
    sbp_lt, sbp_gte = (min(x.sbp, 110) - 110) / 20, (max(x.sbp, 110) - 130) / 20
    egfr_lt, egfr_gte = (min(x.egfr, 60) - 60) / -15, (max(x.egfr, 60) - 90) / -15
    non_hdl = hdl = 0.0
    if x.total_chol_mg_dl is not None and x.hdl_mg_dl is not None:
        non_hdl = (x.total_chol_mg_dl - x.hdl_mg_dl) * PREVENT_CHOL_MMOL_L_PER_MG_DL - 3.5
        hdl = (x.hdl_mg_dl * PREVENT_CHOL_MMOL_L_PER_MG_DL - 1.3) / 0.3
    bmi_lt = bmi_gte = 0.0
    if x.bmi is not None:
        bmi_lt, bmi_gte = (min(x.bmi, 30) - 25) / 5, (max(x.bmi, 30) - 30) / 5
    dm, smk = float(x.diabetes), float(x.smoker)
    bp_tx, statin = float(x.on_antihypertensive), float(bool(x.on_statin))
    terms = {
        "age": age, "non_hdl": non_hdl, "hdl": hdl, "sbp_lt_110": sbp_lt, "sbp_gte_110": sbp_gte,
        "diabetes": dm, "smoking": smk, "bmi_lt_30": bmi_lt, "bmi_gte_30": bmi_gte, "egfr_lt_60": egfr_lt,
        "egfr_gte_60": egfr_gte, "bp_tx": bp_tx, "statin": statin, "bp_tx_sbp_gte_110": bp_tx * sbp_gte,
        "statin_non_hdl": statin * non_hdl, "age_non_hdl": age * non_hdl, "age_hdl": age * hdl,
        "age_sbp_gte_110": age * sbp_gte, "age_diabetes": age * dm, "age_smoking": age * smk,
        "age_bmi_gte_30": age * bmi_gte, "age_egfr_lt_60": age * egfr_lt, "constant": 1.0,
    }
    if model in ("hba1c", "full"):
        has = x.hba1c_pct is not None
        delta = (x.hba1c_pct - 5.3) if x.hba1c_pct is not None else 0.0
        terms |= {"hba1c_diabetes": delta if x.diabetes else 0.0,
                  "hba1c_no_diabetes": 0.0 if x.diabetes else delta, "hba1c_missing": 0.0 if has else 1.0}
    if model in ("uacr", "full"):
        has = x.uacr_mg_g is not None
        ln_uacr = math.log(max(x.uacr_mg_g, UACR_FLOOR_MG_G)) if x.uacr_mg_g is not None else 0.0
        terms |= {"ln_uacr": ln_uacr, "uacr_missing": 0.0 if has else 1.0}
    if model == "full":
        terms |= {"sdi_4_to_6": 0.0, "sdi_7_to_10": 0.0, "sdi_missing": 1.0}
    return terms


def prevent(*, sex: str, age: float, smoker: bool, sbp: float, total_chol: float | None, hdl: float | None,
            egfr: float, bmi: float | None, diabetes: bool, on_antihypertensive: bool, on_statin: bool | None,
            hba1c: float | None = None, uacr: float | None = None, outcome: str = "cvd") -> float:
    """PREVENT 10-year risk (fraction 0-1) of ``outcome``: 'cvd' (total CVD), 'ascvd' or 'hf'.

    Canonical units: SBP mmHg, cholesterol mmol/L, eGFR mL/min/1.73 m² (CKD-EPI 2021), BMI kg/m², HbA1c
    mmol/mol, UACR mg/mmol. The model variant is chosen by which of ``hba1c`` / ``uacr`` are given (see
    :func:`prevent_model`). Cholesterol and statin are not used for 'hf' and may be None there; BMI is used
    only for 'hf' and may be None otherwise. A heart-failure result whose BMI is outside the derivation
    population is still computed here; :func:`prevent_range_issues` marks it to be withheld.
    """
    x = _parse(sex, age, smoker, sbp, total_chol, hdl, egfr, bmi, diabetes, on_antihypertensive, on_statin,
               hba1c, uacr, outcome)
    model = prevent_model(hba1c=x.hba1c_pct, uacr=x.uacr_mg_g)
    column = COLUMNS.index(("male" if x.male else "female", x.outcome))
    terms = _terms(x, model)
    log_odds = 0.0
    for term, row in MODELS[model].items():
        coefficient = row[column]
        if coefficient is not None:
            log_odds += coefficient * terms[term]
    return 1.0 / (1.0 + math.exp(-log_odds))


def prevent_range_issues(*, sex: str, age: float, smoker: bool, sbp: float, total_chol: float | None,
                         hdl: float | None, egfr: float, bmi: float | None, diabetes: bool,
                         on_antihypertensive: bool, on_statin: bool | None, hba1c: float | None = None,
                         uacr: float | None = None, outcome: str = "cvd") -> list[RangeIssue]:
    """Why a PREVENT result needs care (or, ``withhold=True``, must not be shown) for these inputs."""
    x = _parse(sex, age, smoker, sbp, total_chol, hdl, egfr, bmi, diabetes, on_antihypertensive, on_statin,
               hba1c, uacr, outcome)
    issues: list[RangeIssue | None] = [
        range_issue("age", "age", x.age, "years", *AGE_RANGE, equation="prevent"),
        range_issue("sbp", "systolic blood pressure", x.sbp, "mmHg", *SBP_RANGE, equation="prevent"),
        range_issue("egfr", "eGFR", x.egfr, "mL/min/1.73 m²", *EGFR_RANGE, equation="prevent"),
    ]
    if x.total_chol_mg_dl is not None and x.hdl_mg_dl is not None:
        issues.append(range_issue("total_chol", "total cholesterol", x.total_chol_mg_dl, "mg/dL",
                                  *TOTAL_CHOL_MG_DL_RANGE, equation="prevent"))
        issues.append(range_issue("hdl", "HDL cholesterol", x.hdl_mg_dl, "mg/dL", *HDL_MG_DL_RANGE,
                                  equation="prevent"))
    if x.hba1c_pct is not None:
        issues.append(range_issue("hba1c", "HbA1c", x.hba1c_pct, "%", *HBA1C_PCT_RANGE, equation="prevent"))
    if x.uacr_mg_g is not None:
        uacr = range_issue("uacr", "UACR", x.uacr_mg_g, "mg/g", *UACR_MG_G_RANGE, equation="prevent")
        if uacr is not None and x.uacr_mg_g < UACR_FLOOR_MG_G:
            low, high = UACR_MG_G_RANGE
            uacr = RangeIssue(
                message=(f"UACR {x.uacr_mg_g:.4g} mg/g is below the range PREVENT was derived in ({low:g}-{high:g} "
                         f"mg/g); values below {UACR_FLOOR_MG_G:g} mg/g are entered as {UACR_FLOOR_MG_G:g} mg/g, "
                         "as in the developers' code"),
                code="prevent.uacr_floored",
                params={"value": x.uacr_mg_g, "low": low, "high": high, "floor": UACR_FLOOR_MG_G})
        issues.append(uacr)
    if x.bmi is not None and not (within(x.bmi, BMI_LOW, None) and x.bmi < BMI_HIGH_EXCLUSIVE):
        below = x.bmi < BMI_LOW
        side = "below" if below else "above"
        params = {"value": x.bmi, "low": BMI_LOW, "high": 39.9}
        if x.outcome == "hf":
            issues.append(RangeIssue(withhold=True, message=(
                f"PREVENT heart-failure risk not shown: BMI {x.bmi:.4g} kg/m² is {side} 18.5-39.9 kg/m², the "
                "range PREVENT was derived in; BMI enters the heart-failure equation"),
                code="prevent.hf_withheld_bmi_below" if below else "prevent.hf_withheld_bmi_above", params=params))
        else:
            issues.append(RangeIssue(message=(
                f"BMI {x.bmi:.4g} kg/m² is {side} the range PREVENT was derived in (18.5-39.9 kg/m²); "
                "BMI is not part of this equation, but such people were not in its derivation population"),
                code="prevent.bmi_outside_below" if below else "prevent.bmi_outside_above", params=params))
    return [i for i in issues if i is not None]
