"""Kidney Failure Risk Equation (KFRE): 2- and 5-year risk of kidney failure treated by dialysis or
transplantation, in CKD stages G3-G5.

References
- Tangri N, Stevens LA, Griffith J, et al. A predictive model for progression of chronic kidney disease to
  kidney failure. JAMA 2011;305(15):1553-1559. doi:10.1001/jama.2011.451 (4- and 8-variable models).
- Tangri N, Grams ME, Levey AS, et al. Multinational assessment of accuracy of equations for predicting risk
  of kidney failure: a meta-analysis. JAMA 2016;315(2):164-174. doi:10.1001/jama.2015.18202 (31 cohorts;
  baseline survival recalibrated for cohorts outside North America: used for France).
- Grams ME et al. JASN 2023;34:482-494: KFRE performs well with CKD-EPI 2021 eGFR below 45.
Coefficients, centring constants and baseline survivals: clinical_reference.md section 5 (kfre 0.1.18
src/kfre/main.py and docs/equations.rst); confidence marks and the independent checks: VERIFICATION.md.

Form: risk(t) = 1 - S0(t) ** exp(sum of beta x (x - centre)), with age/10, eGFR/5, ln(UACR mg/g) and, for the
8-variable model, albumin g/dL, phosphate mg/dL, bicarbonate mEq/L and calcium mg/dL.

The 8-variable equation needs all four extra labs. With only some of them the 4-variable equation is used
(documented choice, clinical_reference.md section 7): the model actually used is reported by
:func:`kfre_result`, and :func:`kfre` emits a :class:`KfreFallbackWarning` saying which labs were missing.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

from risk.equations._common import InputError, RangeIssue, parse_age, parse_flag, parse_measurement, parse_sex
from risk.equations.conversions import (
    albumin_g_l_to_g_dl,
    calcium_mmol_l_to_mg_dl,
    phosphate_mmol_l_to_mg_dl,
    uacr_mg_mmol_to_mg_g,
)
from risk.terminology.messages import Message

CITATION = (
    "Tangri N et al. JAMA 2011;305(15):1553-1559 (doi:10.1001/jama.2011.451); non-North-American "
    "recalibration: Tangri N et al. JAMA 2016;315(2):164-174 (doi:10.1001/jama.2015.18202)"
)

# Centring constants (means of the development cohort): age/10, male, eGFR/5, ln(UACR mg/g).
AGE_CENTRE, MALE_CENTRE, EGFR_CENTRE, LN_UACR_CENTRE = 7.036, 0.5642, 7.222, 5.137


@dataclass(frozen=True, kw_only=True, slots=True)
class _KfreCoefficients:
    age: float  # per 10 years
    male: float
    egfr: float  # per 5 mL/min/1.73 m²
    ln_uacr: float
    # 8-variable extra terms: (coefficient, centre), units of Tangri 2011
    extra: dict[str, tuple[float, float]] = field(default_factory=dict)
    # baseline survival S0 by (years, north_american)
    baseline_survival: dict[tuple[int, bool], float] = field(default_factory=dict)


FOUR_VARIABLE = _KfreCoefficients(
    age=-0.2201, male=0.2467, egfr=-0.5567, ln_uacr=0.4510,
    baseline_survival={(2, True): 0.9750, (5, True): 0.9240, (2, False): 0.9832, (5, False): 0.9365},
)
# 8-variable non-North-American baselines (0.9827 / 0.9245): single source [V1], not found elsewhere; results
# carry a warning (kfre_range_issues). See VERIFICATION.md.
EIGHT_VARIABLE = _KfreCoefficients(
    age=-0.1992, male=0.1602, egfr=-0.4919, ln_uacr=0.3364,
    extra={
        "albumin_g_dl": (-0.3441, 3.997),
        "phosphate_mg_dl": (0.2604, 3.916),
        "bicarbonate_meq_l": (-0.07354, 25.57),
        "calcium_mg_dl": (-0.2228, 9.355),
    },
    baseline_survival={(2, True): 0.9780, (5, True): 0.9301, (2, False): 0.9827, (5, False): 0.9245},
)

EXTRA_LABS = ("albumin", "bicarbonate", "calcium", "phosphate")
KFRE_EGFR_LIMIT = 60.0  # developed and validated in CKD G3-G5 (eGFR < 60 mL/min/1.73 m²)


class KfreFallbackWarning(UserWarning):
    """Some, not all, of the 8-variable labs were given: the 4-variable KFRE was used."""


@dataclass(frozen=True, kw_only=True, slots=True)
class KfreResult:
    risk: float  # fraction 0-1
    model: str  # "4-variable" or "8-variable"
    years: int
    north_american: bool
    missing_for_8_variable: tuple[str, ...]  # extra labs missing when the 4-variable fallback was used
    notes: tuple[str, ...]  # plain-language notes (the fallback, in words)
    note_messages: tuple[Message, ...] = ()  # the same notes coded for risk.i18n


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def kfre_result(
    *, sex: str, age: float, egfr: float, uacr: float, years: int = 5, albumin: float | None = None,
    bicarbonate: float | None = None, calcium: float | None = None, phosphate: float | None = None,
    north_american: bool = False,
) -> KfreResult:
    """KFRE with the model used and notes. Canonical units: eGFR mL/min/1.73 m², UACR mg/mmol, albumin g/L,
    bicarbonate, calcium and phosphate mmol/L."""
    male = parse_sex(sex)
    age_v = parse_age(age)
    egfr_v = parse_measurement("egfr", egfr)
    uacr_v = parse_measurement("uacr", uacr)
    if uacr_v <= 0:
        raise InputError("UACR must be above 0 mg/mmol for KFRE (it enters as a logarithm); a result "
                         "reported as below the detection limit should be entered as that limit",
                         Message(code="kfre.uacr_not_positive", params={"value": uacr_v}))
    if years not in (2, 5) or isinstance(years, bool):
        raise ValueError(f"years must be 2 or 5 (the KFRE horizons), got {years!r}")
    na = parse_flag("north_american", north_american)
    labs = {"albumin": albumin, "bicarbonate": bicarbonate, "calcium": calcium, "phosphate": phosphate}
    missing = tuple(name for name in EXTRA_LABS if _is_missing(labs[name]))
    given = tuple(name for name in EXTRA_LABS if name not in missing)

    notes: list[str] = []
    note_messages: list[Message] = []
    if not missing:
        c = EIGHT_VARIABLE
        values = {
            "albumin_g_dl": albumin_g_l_to_g_dl(parse_measurement("albumin", albumin)),
            "phosphate_mg_dl": phosphate_mmol_l_to_mg_dl(parse_measurement("phosphate", phosphate)),
            "bicarbonate_meq_l": parse_measurement("bicarbonate", bicarbonate),  # 1 mmol/L = 1 mEq/L
            "calcium_mg_dl": calcium_mmol_l_to_mg_dl(parse_measurement("calcium", calcium)),
        }
        model = "8-variable"
    else:
        c, values, model = FOUR_VARIABLE, {}, "4-variable"
        if given:
            for name in given:  # still reject impossible values: they betray a unit or typing error
                parse_measurement(name, labs[name])
            notes.append(
                f"4-variable KFRE used: the 8-variable equation needs albumin, bicarbonate, calcium and "
                f"phosphate, and {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
            )
            note_messages.append(Message(
                code="kfre.four_variable_one_missing" if len(missing) == 1 else "kfre.four_variable_some_missing",
                params={"concepts": list(missing)}))

    ln_uacr_mg_g = math.log(uacr_mg_mmol_to_mg_g(uacr_v))
    lp = (c.age * (age_v / 10 - AGE_CENTRE) + c.male * ((1.0 if male else 0.0) - MALE_CENTRE)
          + c.egfr * (egfr_v / 5 - EGFR_CENTRE) + c.ln_uacr * (ln_uacr_mg_g - LN_UACR_CENTRE))
    for name, (coefficient, centre) in c.extra.items():
        lp += coefficient * (values[name] - centre)
    risk = 1.0 - c.baseline_survival[(years, na)] ** math.exp(lp)
    return KfreResult(risk=risk, model=model, years=years, north_american=na,
                      missing_for_8_variable=missing if given else (), notes=tuple(notes),
                      note_messages=tuple(note_messages))


def kfre(*, sex: str, age: float, egfr: float, uacr: float, years: int = 5, albumin: float | None = None,
         bicarbonate: float | None = None, calcium: float | None = None, phosphate: float | None = None,
         north_american: bool = False) -> float:
    """KFRE risk of kidney failure at ``years`` (2 or 5) as a fraction 0-1.

    4-variable equation, or 8-variable when all of albumin, bicarbonate, calcium and phosphate are given.
    ``north_american=False`` (default, France) uses the non-North-American baseline of Tangri 2016. When only
    some extra labs are given the 4-variable equation is used and a KfreFallbackWarning says so.
    """
    result = kfre_result(sex=sex, age=age, egfr=egfr, uacr=uacr, years=years, albumin=albumin,
                         bicarbonate=bicarbonate, calcium=calcium, phosphate=phosphate,
                         north_american=north_american)
    for note in result.notes:
        warnings.warn(note, KfreFallbackWarning, stacklevel=2)
    return result.risk


def kfre_range_issues(
    *, sex: str, age: float, egfr: float, uacr: float, years: int = 5, albumin: float | None = None,
    bicarbonate: float | None = None, calcium: float | None = None, phosphate: float | None = None,
    north_american: bool = False,
) -> list[RangeIssue]:
    """Why a KFRE result needs care for these inputs, including the 4-variable fallback note."""
    result = kfre_result(sex=sex, age=age, egfr=egfr, uacr=uacr, years=years, albumin=albumin,
                         bicarbonate=bicarbonate, calcium=calcium, phosphate=phosphate,
                         north_american=north_american)
    issues = [RangeIssue(message=note, code=coded.code, params=coded.params)
              for note, coded in zip(result.notes, result.note_messages, strict=True)]
    if result.model == "8-variable" and not result.north_american:
        issues.append(RangeIssue(message=(
            "8-variable KFRE outside North America: its baseline risk comes from a single public source not "
            "yet checked against the 2016 publication; compare with the 4-variable result"),
            code="kfre.eight_variable_baseline_unchecked"))
    egfr_v = float(egfr)
    if egfr_v >= KFRE_EGFR_LIMIT:
        issues.append(RangeIssue(message=(
            f"eGFR {egfr_v:.4g} mL/min/1.73 m² is not below 60: KFRE was developed and validated in CKD "
            "stages G3-G5 (eGFR < 60); the estimate is an extrapolation"),
            code="kfre.egfr_not_below_60", params={"egfr": egfr_v}))
    return issues
