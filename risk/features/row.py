"""Reading one features row safely: missing is None, never a guessed value.

The features row follows the column contract of risk.features.build (NaN = missing, flags 0/1). Every stage
after features reads a row through `FeatureRow`, so "is this value missing" and "is this flag set" are decided
once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar


class FeatureValueError(ValueError):
    """A features row holds something that is not what the column contract says (e.g. a flag of 2)."""


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas NA are missing; anything else is a value."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):  # pandas NA refuses bool()
        return True


class FeatureRow:
    """Typed read access to one features row (a dict, a pandas Series or any mapping-like object)."""

    error: ClassVar[type[Exception]] = FeatureValueError  # what a contract violation raises

    def __init__(self, row: Mapping[str, Any]) -> None:
        if row is None or not hasattr(row, "get"):
            raise self.error("features must be a mapping of column name to value (one patient row)")
        self._row = row

    def has(self, key: str) -> bool:
        """The column exists (it may still be NaN): tells "not recorded" from "not collected"."""
        return key in self._row

    def num(self, key: str) -> float | None:
        value = self._row.get(key)
        if type(value) is float:  # the features' own type (a row as plain values): NaN and infinities are None
            return value if math.isfinite(value) else None
        if is_missing(value):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.error(f"feature {key!r} should be a number, got {value!r}") from None
        if not math.isfinite(number):
            return None
        return number

    def flag(self, key: str) -> bool | None:
        """A 0/1 column as True/False; None when missing."""
        number = self.num(key)
        if number is None:
            return None
        if number not in (0.0, 1.0):
            raise self.error(f"feature {key!r} should be 0 or 1, got {number!r}")
        return number == 1.0

    def yes(self, key: str) -> bool:
        return self.flag(key) is True

    def at_least(self, key: str, threshold: float) -> bool:
        """A number at or above `threshold` (False when missing): CKD stage >= 3, for example."""
        number = self.num(key)
        return number is not None and number >= threshold

    def to_date(self, value: Any) -> date | None:
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
                raise self.error(f"cannot read {value!r} as a date") from None
        raise self.error(f"cannot read {value!r} as a date")

    def date_of(self, key: str) -> date | None:
        return self.to_date(self._row.get(f"{key}_date"))

    @property
    def as_of(self) -> date | None:
        return self.to_date(self._row.get("as_of"))
