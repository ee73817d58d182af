"""Input checks shared by the published equations.

Two different questions are kept apart on purpose:
- *Is the input possible?* (a negative cholesterol, an unknown sex, a cholesterol typed in g/L where mmol/L is
  expected). Impossible input raises ``ValueError`` with a message a user can act on: no number is better
  than a wrong one.
- *Is the input inside the population the equation was derived in?* That is not an error: the equation still
  computes, and each module reports the reason separately as a :class:`RangeIssue` (plain words), marking
  the few cases where the equation's own rule says not to report a number at all (``withhold=True``).

Plausibility limits come from ``risk.terminology.concepts`` (the same limits the record uses to reject a
measurement), so an equation never accepts a value the record would have refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

from risk.terminology.concepts import MEASUREMENT_CONCEPTS

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
    withhold: bool = False  # True when the equation's own rule says the number must not be reported


def parse_sex(sex: Any) -> bool:
    """Return True for male, False for female; anything else is rejected (never guessed)."""
    if isinstance(sex, str) and sex.strip().lower() in ("male", "female"):
        return sex.strip().lower() == "male"
    raise ValueError(f"sex must be 'male' or 'female', got {sex!r}")


def parse_flag(name: str, value: Any) -> bool:
    """A yes/no input: True/False or 1/0 (numpy booleans and 0.0/1.0 accepted); anything else is rejected."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Real) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    # numpy.bool_ is not a numbers.Real subclass; accept it by its truth value after a type check
    if type(value).__name__ == "bool_":
        return bool(value)
    raise ValueError(f"{name} must be True or False (or 1/0), got {value!r}")


def parse_number(
    name: str, value: Any, *, low: float, high: float, unit: str, label: str | None = None
) -> float:
    """A finite number inside the physiologically plausible range [low, high] (inclusive)."""
    shown = label or name
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{shown} must be a number, got {value!r}")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"{shown} is missing (got {value!r})")
    if not low <= number <= high:
        raise ValueError(
            f"{shown} {number:g} {unit} is not a plausible value (expected {low:g}-{high:g} {unit}); "
            "check the value and its unit"
        )
    return number


def parse_measurement(concept: str, value: Any, *, name: str | None = None) -> float:
    """A measurement in its canonical unit, checked against the plausibility range of ``risk.terminology.concepts``."""
    spec = MEASUREMENT_CONCEPTS[concept]
    return parse_number(
        name or concept, value, low=spec.low, high=spec.high, unit=spec.display_unit, label=spec.label_en
    )


def parse_age(value: Any) -> float:
    return parse_number("age", value, low=ADULT_AGE_MIN, high=AGE_MAX, unit="years", label="age")


def check_cholesterol_pair(total_chol: float, hdl: float) -> None:
    """HDL is a part of total cholesterol: HDL at or above total cholesterol means a unit or typing error."""
    if hdl >= total_chol:
        raise ValueError(
            f"HDL cholesterol ({hdl:g} mmol/L) cannot be equal to or above total cholesterol "
            f"({total_chol:g} mmol/L); check both values and their units"
        )


def within(value: float, low: float | None, high: float | None) -> bool:
    """Inclusive range test tolerant of floating-point noise (bounds in the equation's own units)."""
    if low is not None and value < low - abs(low) * _RANGE_RTOL:
        return False
    return not (high is not None and value > high + abs(high) * _RANGE_RTOL)


def range_issue(
    label: str, value: float, unit: str, low: float | None, high: float | None, scope: str, *,
    withhold: bool = False, consequence: str = "the estimate is an extrapolation",
) -> RangeIssue | None:
    """A RangeIssue when ``value`` is outside [low, high], else None.

    ``scope`` completes "is above the range ...", e.g. "PREVENT was derived in".
    """
    if within(value, low, high):
        return None
    if low is not None and high is not None:
        span = f"{low:g}-{high:g} {unit}".strip()
    elif low is not None:
        span = f"{low:g} {unit} or more".strip()
    else:
        span = f"up to {high:g} {unit}".strip()
    side = "below" if low is not None and value < low else "above"
    return RangeIssue(
        message=f"{label} {value:.4g} {unit} is {side} the range {scope} ({span}); {consequence}",
        withhold=withhold,
    )
