"""The link between rules.json (what a step says and cites) and the small functions that decide when it fires.

A rule function reads the ``Context`` and returns a ``Firing`` (which inputs triggered it, the values for its
text, the text variant, whether the patient already receives it) or None. Functions never write text or
citations: those live in rules.json, so that a clinician can review them without reading Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from risk.advise import kidney
from risk.advise.data import ldl_goal, thresholds
from risk.advise.inputs import Features
from risk.advise.model import RiskCategory, TriggerInput


@dataclass(frozen=True, kw_only=True, slots=True)
class Context:
    f: Features
    scores: dict[str, float | None]  # reference scores, fractions
    models: dict[str, float | None]  # model predictions, fractions (context only)
    category: RiskCategory
    guideline_set: str
    region: str
    kidney: kidney.KidneyStage

    @property
    def diabetes(self) -> bool:
        return self.f.yes("diabetes_any") or self.f.yes("diabetes_t2") or self.f.yes("diabetes_t1")

    @property
    def t2d(self) -> bool:
        return self.f.yes("diabetes_t2")

    @property
    def cvd(self) -> bool:
        return self.f.yes("established_cvd")

    @property
    def kidney_risk_category(self) -> bool:
        """CKD that sets the ESC category by itself (KDIGO orange or red)."""
        return self.kidney.colour in thresholds()["kdigo"]["esc_category_from_colour"]

    @property
    def apparently_healthy(self) -> bool:
        """ESC 2021 sense: no ASCVD, no diabetes, no CKD category; the population SCORE2 was made for."""
        return not (self.cvd or self.diabetes or self.kidney_risk_category)

    def ldl_goal(self) -> float | None:
        return ldl_goal(self.category.category)

    def category_triggers(self) -> tuple[TriggerInput, ...]:
        return self.category.triggered_by


@dataclass(frozen=True, kw_only=True, slots=True)
class Firing:
    triggered_by: tuple[TriggerInput, ...]
    params: dict[str, Any] = field(default_factory=dict)
    variant: str = "default"  # text variant in rules.json; "done" is used when already_done
    already_done: bool = False
    # The measurements the action rests on. None (the default): every dated measurement in `triggered_by`.
    # The engine prints their dates in the step and turns a start/intensify step whose value is stale into
    # "re-measure X (last on DATE) before deciding" (risk.advise.engine.dated_step).
    acts_on: tuple[TriggerInput, ...] | None = None


RuleFunction = Callable[[Context], Firing | None]
REGISTRY: dict[str, RuleFunction] = {}


def rule(rule_id: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register the function deciding when rule ``rule_id`` of rules.json fires."""

    def register(fn: RuleFunction) -> RuleFunction:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id!r} registered twice")
        REGISTRY[rule_id] = fn
        return fn

    return register
