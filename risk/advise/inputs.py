"""Reading a features row and the score objects safely: missing is None, never a guessed value.

The features row is read through risk.features.row.FeatureRow (NaN = missing). Scores and model
predictions are objects with ``.risk`` as a fraction 0-1 (or None when not computable); a value outside 0-1
is refused loudly because a percentage read as a fraction would silently change every category.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from risk.advise.model import AdviceInputError, TriggerInput
from risk.features.row import FeatureRow, is_missing
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


def _plain_row(row: Mapping[str, Any]) -> Mapping[str, Any]:
    """A features row as a dict when it is a pandas Series of objects (the assessment's row): the same values,
    the very same objects, but a dict lookup costs a fraction of ``Series.get``, which the rules call ~100 times
    per patient. Any other row (a dict, a typed Series whose values a dict would convert) is read as it is."""
    if isinstance(row, pd.Series) and row.dtype == object and row.index.is_unique:
        return dict(zip(_labels(row.index), row.to_numpy().tolist(), strict=True))
    return row


_last_index: tuple[pd.Index, list[Any]] | None = None  # the rows of one batch share their columns' Index


def _labels(index: pd.Index) -> list[Any]:
    """The index's labels as a list, kept for the last Index seen (a pandas Index is immutable)."""
    global _last_index
    last = _last_index
    if last is not None and last[0] is index:
        return last[1]
    labels = index.tolist()
    _last_index = (index, labels)
    return labels


def to_date(value: Any) -> date | None:
    return Features({}).to_date(value)


class Features(FeatureRow):
    """The features row as advice reads it: contract violations raise AdviceInputError."""

    error = AdviceInputError

    def __init__(self, row: Mapping[str, Any]) -> None:
        super().__init__(_plain_row(row))
        # The rules read the same columns many times (age, flags, eGFR...): each is read and checked once.
        self._numbers: dict[str, float | None] = {}
        self._flags: dict[str, bool | None] = {}
        self._dates: dict[str, date | None] = {}

    def num(self, key: str) -> float | None:
        numbers = self._numbers
        if key in numbers:
            return numbers[key]
        number = numbers[key] = super().num(key)
        return number

    def flag(self, key: str) -> bool | None:
        flags = self._flags
        if key in flags:
            return flags[key]
        value = flags[key] = super().flag(key)
        return value

    def yes(self, key: str) -> bool:
        flags = self._flags
        return (flags[key] if key in flags else self.flag(key)) is True

    def date_of(self, key: str) -> date | None:
        dates = self._dates
        if key in dates:
            return dates[key]
        day = dates[key] = super().date_of(key)
        return day

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


DERIVATION_CODES = ("range.derivation.above", "range.derivation.below")


def outside_derivation(obj: Any) -> bool:
    """The equation was computed outside the population it was derived in (e.g. SCORE2-OP beyond 89 years).

    Such a number is shown for information with its warning, but never sets a category or a headline: nothing
    says the risk it gives is right (project issue 12). Stand-ins without ``warning_messages`` are inside.
    """
    return any(getattr(m, "code", None) in DERIVATION_CODES for m in getattr(obj, "warning_messages", None) or ())
