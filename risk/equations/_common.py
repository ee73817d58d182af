"""Input checks shared by the published equations.

Two different questions are kept apart on purpose:
- *Is the input possible?* (a negative cholesterol, an unknown sex, a cholesterol typed in g/L where mmol/L is
  expected). Impossible input raises ``InputError`` (a ``ValueError``) with a message a user can act on, in
  English and coded for any language: no number is better than a wrong one.
- *Is the input inside the population the equation was derived in?* That is not an error: the equation still
  computes, and each module reports the reason separately as a :class:`RangeIssue` (plain words and a coded
  ``risk.terminology.messages.Message``, worded by risk.i18n), marking
  the few cases where the equation's own rule says not to report a number at all (``withhold=True``).

Plausibility limits come from ``risk.terminology.concepts`` (the same limits the record uses to reject a
measurement), so an equation never accepts a value the record would have refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from risk.terminology.concepts import MEASUREMENT_CONCEPTS
from risk.terminology.messages import Message

# Adults only: every equation here was developed and validated in adults (18+); older than 120 is a typo.
ADULT_AGE_MIN = 18.0
AGE_MAX = 120.0

# Relative tolerance for derivation-range bounds, so that a value sitting on a bound after a unit round trip
# (e.g. 200 mmHg stored as 199.99999999999997, or 130 mg/dL -> mmol/L -> mg/dL) still counts as inside.
# clinical_reference.md section 7: "range checks must be inclusive and tolerant of floating-point noise".
_RANGE_RTOL = 1e-9


@dataclass(frozen=True, kw_only=True, slots=True)
class RangeIssue:
    """One reason why an input lies outside an equation's derivation population."""

    message: str  # plain language, e.g. "BMI 41.2 kg/m² is above the range PREVENT was derived in (...)"
    code: str  # the same reason coded for risk.i18n (risk/i18n/messages.json), e.g. "range.derivation.above"
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    withhold: bool = False  # True when the equation's own rule says the number must not be reported

    def as_message(self) -> Message:
        return Message(code=self.code, params=self.params)


class InputError(ValueError):
    """Impossible input: ``str(error)`` is the English text, ``error.message`` the same reason coded."""

    def __init__(self, text: str, message: Message) -> None:
        super().__init__(text)
        self.message = message


def parse_sex(sex: Any) -> bool:
    """Return True for male, False for female; anything else is rejected (never guessed)."""
    if isinstance(sex, str) and sex.strip().lower() in ("male", "female"):
        return sex.strip().lower() == "male"
    raise InputError(f"sex must be 'male' or 'female', got {sex!r}", Message(code="input.sex", params={"value": sex}))


def parse_flag(name: str, value: Any) -> bool:
    """A yes/no input: True/False or 1/0 (numpy booleans and 0.0/1.0 accepted); anything else is rejected."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Real) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    # numpy.bool_ is not a numbers.Real subclass; accept it by its truth value after a type check
    if type(value).__name__ == "bool_":
        return bool(value)
    raise InputError(f"{name} must be True or False (or 1/0), got {value!r}",
                     Message(code="input.flag", params={"argument": name, "value": value}))


def parse_number(
    name: str, value: Any, *, low: float, high: float, unit: str, label: str | None = None,
    concept: str | None = None,
) -> float:
    """A finite number inside the physiologically plausible range [low, high] (inclusive).

    ``concept`` is the key risk.i18n names the input by (default ``name``); ``label`` its English name here.
    """
    shown = label or name
    key = concept or name
    if type(value) is not float and (isinstance(value, bool) or not isinstance(value, Real)):  # float: no ABC check
        raise InputError(f"{shown} must be a number, got {value!r}",
                         Message(code="input.not_a_number", params={"concept": key, "value": value}))
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise InputError(f"{shown} is missing (got {value!r})",
                         Message(code="input.not_finite", params={"concept": key, "value": value}))
    if not low <= number <= high:
        raise InputError(
            f"{shown} {number:g} {unit} is not a plausible value (expected {low:g}-{high:g} {unit}); "
            "check the value and its unit",
            Message(code="input.implausible", params={"concept": key, "value": number, "low": low, "high": high,
                                                      "unit": unit}),
        )
    return number


def parse_measurement(concept: str, value: Any, *, name: str | None = None) -> float:
    """A measurement in its canonical unit, checked against the plausibility range of ``risk.terminology.concepts``."""
    spec = MEASUREMENT_CONCEPTS[concept]
    return parse_number(
        name or concept, value, low=spec.low, high=spec.high, unit=spec.display_unit, label=spec.label_en,
        concept=concept,
    )


def parse_age(value: Any) -> float:
    return parse_number("age", value, low=ADULT_AGE_MIN, high=AGE_MAX, unit="years", label="age", concept="age")


def check_cholesterol_pair(total_chol: float, hdl: float) -> None:
    """HDL is a part of total cholesterol: HDL at or above total cholesterol means a unit or typing error."""
    if hdl >= total_chol:
        raise InputError(
            f"HDL cholesterol ({hdl:g} mmol/L) cannot be equal to or above total cholesterol "
            f"({total_chol:g} mmol/L); check both values and their units",
            Message(code="input.hdl_not_below_total", params={"hdl": hdl, "total_chol": total_chol}),
        )


def within(value: float, low: float | None, high: float | None) -> bool:
    """Inclusive range test tolerant of floating-point noise (bounds in the equation's own units)."""
    if low is not None and value < low - abs(low) * _RANGE_RTOL:
        return False
    return not (high is not None and value > high + abs(high) * _RANGE_RTOL)


def range_issue(
    concept: str, label: str, value: float, unit: str, low: float, high: float, *, equation: str | None,
    withhold: bool = False,
) -> RangeIssue | None:
    """A RangeIssue when ``value`` is outside [low, high], else None.

    ``equation`` is the key of the equation whose derivation range this is ("prevent": "... the range PREVENT
    was derived in"); None for the ranges the ESC SCORE2 charts cover. ``label`` names ``concept`` in English.
    """
    if within(value, low, high):
        return None
    below = value < low
    scope = f"{_EQUATION_NAMES[equation]} was derived in" if equation else "the ESC SCORE2 charts cover"
    params: dict[str, Any] = {"concept": concept, "value": value, "unit": unit, "low": low, "high": high}
    if equation:
        params["equation"] = equation
    span = f"{low:g}-{high:g} {unit}".strip()
    return RangeIssue(
        message=f"{label} {value:.4g} {unit} is {'below' if below else 'above'} the range {scope} ({span}); "
                "the estimate is an extrapolation",
        code=(("range.derivation.below" if below else "range.derivation.above") if equation
              else ("range.charts.below" if below else "range.charts.above")),
        params=params, withhold=withhold,
    )


# English names of the equations in range reasons (risk.i18n.labels.EQUATION_NAMES words them for the reader).
_EQUATION_NAMES = {"prevent": "PREVENT", "qrisk3": "QRISK3", "score2": "SCORE2", "score2_op": "SCORE2-OP",
                   "score2_diabetes": "SCORE2-Diabetes"}
