"""Reading a features row and the score objects safely: missing is None, never a guessed value.

The features row follows the column contract in risk/features.py (NaN = missing). Scores and model
predictions are objects with ``.risk`` as a fraction 0-1 (or None when not computable); a value outside 0-1
is refused loudly because a percentage read as a fraction would silently change every category.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from risk.advise.model import AdviceInputError, TriggerInput
from risk.terminology.concepts import MEASUREMENT_CONCEPTS

# Units of the derived columns that are not plain measurement concepts.
_EXTRA_UNITS = {
    "age": "years",
    "hba1c_slope": "mmol/mol/year",
    "egfr_slope": "mL/min/1.73 m²/year",
    "sbp_slope": "mmHg/year",
    "sbp_mean3": "mmHg",
    "weight_change_1y": "kg",
    "diabetes_years": "years",
    "age_at_diabetes": "years",
    "n_antihypertensive_classes": "classes",
}


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas NA are missing; anything else is a value."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):  # pandas NA refuses bool()
        return True


def to_date(value: Any) -> date | None:
    if is_missing(value):
        return None
    if isinstance(value, datetime):  # includes pandas Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise AdviceInputError(f"cannot read {value!r} as a date") from None
    raise AdviceInputError(f"cannot read {value!r} as a date")


class Features:
    """Typed read access to one features row (a dict, a pandas Series or any mapping-like object)."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        if row is None or not hasattr(row, "get"):
            raise AdviceInputError("features must be a mapping of column name to value (one patient row)")
        self._row = row

    def has(self, key: str) -> bool:
        """The column exists (it may still be NaN): tells "not recorded" from "not collected"."""
        return key in self._row

    def num(self, key: str) -> float | None:
        value = self._row.get(key)
        if is_missing(value):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise AdviceInputError(f"feature {key!r} should be a number, got {value!r}") from None
        if not math.isfinite(number):
            return None
        return number

    def flag(self, key: str) -> bool | None:
        """A 0/1 column as True/False; None when missing."""
        number = self.num(key)
        if number is None:
            return None
        if number not in (0.0, 1.0):
            raise AdviceInputError(f"feature {key!r} should be 0 or 1, got {number!r}")
        return number == 1.0

    def yes(self, key: str) -> bool:
        return self.flag(key) is True

    def date_of(self, key: str) -> date | None:
        return to_date(self._row.get(f"{key}_date"))

    @property
    def as_of(self) -> date | None:
        return to_date(self._row.get("as_of"))

    def trigger(self, key: str, unit: str | None = None, *, date_key: str | None = None) -> TriggerInput:
        """The feature as a TriggerInput with its unit and, for measurements, its date.

        ``date_key`` names the column whose ``<date_key>_date`` dates the value when it is not ``key``
        (``smoking_current`` is dated by ``smoking_date``; slopes by their measurement's date).
        """
        if unit is None:
            concept = MEASUREMENT_CONCEPTS.get(key)
            unit = concept.display_unit if concept else _EXTRA_UNITS.get(key, "")
        return TriggerInput(name=key, value=self.num(key), unit=unit, date=self.date_of(date_key or key))


def validated_risks(objects: Mapping[str, Any] | None, *, what: str) -> dict[str, float | None]:
    """``{name: obj with .risk}`` -> ``{name: fraction or None}``; refuses values outside 0-1."""
    out: dict[str, float | None] = {}
    for name, obj in (objects or {}).items():
        if obj is None:
            out[name] = None
            continue
        if not hasattr(obj, "risk"):
            raise AdviceInputError(f"{what} {name!r} has no .risk attribute")
        value = obj.risk
        if is_missing(value):
            out[name] = None
            continue
        try:
            risk = float(value)
        except (TypeError, ValueError):
            raise AdviceInputError(f"{what} {name!r} risk should be a number, got {value!r}") from None
        if not 0.0 <= risk <= 1.0:
            raise AdviceInputError(
                f"{what} {name!r} risk {risk!r} is outside 0-1: risks must be fractions (0.12 for 12 %)"
            )
        out[name] = risk
    return out


def score_trigger(name: str, risk: float | None) -> TriggerInput:
    """A score as a TriggerInput in percent (unit "%"), which is how it is shown."""
    return TriggerInput(name=name, value=None if risk is None else round(risk * 100.0, 4), unit="%")
