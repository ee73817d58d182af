"""Reading a features row and the score objects safely: missing is None, never a guessed value.

The features row is read through risk.features.row.FeatureRow (NaN = missing). Scores and model
predictions are objects with ``.risk`` as a fraction 0-1 (or None when not computable); a value outside 0-1
is refused loudly because a percentage read as a fraction would silently change every category.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

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


def to_date(value: Any) -> date | None:
    return Features({}).to_date(value)


class Features(FeatureRow):
    """The features row as advice reads it: contract violations raise AdviceInputError."""

    error = AdviceInputError

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
