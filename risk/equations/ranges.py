"""One entry point for "is this input inside the equation's derivation population?".

Each equation module defines its own ``*_range_issues`` with the same keyword arguments as the equation; this
module dispatches by equation name so that callers (the UI, the CLI) need not know the modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from risk.equations._common import RangeIssue
from risk.equations.ckd_epi import ckd_epi_2021_range_issues
from risk.equations.kfre import kfre_range_issues
from risk.equations.prevent import prevent_range_issues
from risk.equations.qrisk3 import qrisk3_range_issues
from risk.equations.score2 import score2_range_issues
from risk.equations.score2_diabetes import score2_diabetes_range_issues

_CHECKERS: dict[str, Callable[..., list[RangeIssue]]] = {
    "score2": score2_range_issues,
    "score2_op": score2_range_issues,
    "score2_diabetes": score2_diabetes_range_issues,
    "prevent": prevent_range_issues,
    "qrisk3": qrisk3_range_issues,
    "kfre": kfre_range_issues,
    "ckd_epi_2021": ckd_epi_2021_range_issues,
}
_PREVENT_ALIASES = {"prevent_cvd": "cvd", "prevent_ascvd": "ascvd", "prevent_hf": "hf"}
EQUATION_NAMES: tuple[str, ...] = (*_CHECKERS, *_PREVENT_ALIASES)


def derivation_range_check(equation_name: str, **inputs: Any) -> list[RangeIssue]:
    """Structured issues (message + whether the equation's own rule says to withhold the number).

    ``inputs`` are the keyword arguments of the equation itself, e.g.
    ``derivation_range_check("prevent", outcome="hf", bmi=42.0, ...)`` or ``("prevent_hf", bmi=42.0, ...)``.
    Impossible inputs raise ValueError, exactly as the equation would.
    """
    key = equation_name.strip().lower().replace("-", "_")
    if key in _PREVENT_ALIASES:
        outcome = _PREVENT_ALIASES[key]
        if inputs.get("outcome", outcome) != outcome:
            raise ValueError(f"{equation_name} is for outcome {outcome!r}, got outcome={inputs['outcome']!r}")
        return prevent_range_issues(**{**inputs, "outcome": outcome})
    if key not in _CHECKERS:
        raise ValueError(f"unknown equation {equation_name!r}; known: {', '.join(EQUATION_NAMES)}")
    return _CHECKERS[key](**inputs)


def derivation_range_issues(equation_name: str, **inputs: Any) -> list[str]:
    """Plain-language reasons why these inputs lie outside the equation's derivation range ([] if none)."""
    return [issue.message for issue in derivation_range_check(equation_name, **inputs)]


def withheld_reason(equation_name: str, **inputs: Any) -> str | None:
    """The reason the equation's own rule says the number must not be shown, or None when it may be shown."""
    for issue in derivation_range_check(equation_name, **inputs):
        if issue.withhold:
            return issue.message
    return None
