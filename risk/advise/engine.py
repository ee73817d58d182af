"""Guideline next steps for one patient: runs every rule of the guideline set in force, pure.

Model predictions (cvd10, hf10, ckd5, ...) never trigger or suppress a guideline step: the guidelines were
written for their own scores, not for this project's models. They are attached as ``context`` beside the
steps of the matching domain so that the clinician sees both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from risk.advise import kidney, steps_cardio, steps_metabolic  # noqa: F401  (registers the rule functions)
from risk.advise.category import check_guideline_set, check_region, risk_category
from risk.advise.data import CATEGORIES, Rule, rules
from risk.advise.inputs import Features, score_trigger, validated_risks
from risk.advise.model import AdviceInputError, NextStep, TriggerInput
from risk.advise.registry import REGISTRY, Context, Firing
from risk.i18n import render

# Which model predictions are shown beside which step categories.
MODEL_CONTEXT: dict[str, tuple[str, ...]] = {
    "risk_assessment": ("cvd10",),
    "lipids": ("cvd10",),
    "blood_pressure": ("cvd10",),
    "smoking": ("cvd10",),
    "antithrombotic": ("cvd10",),
    "diabetes": ("cvd10", "hf10"),
    "kidney": ("ckd5",),
    "heart_failure": ("hf10",),
}


def check_registry() -> None:
    """Every rule in rules.json has a function and every function a rule (run by the tests)."""
    ids = {r.id for r in rules()}
    if ids != set(REGISTRY):
        raise AdviceInputError(
            f"rules.json and the rule functions disagree: without function {sorted(ids - set(REGISTRY))}, "
            f"without rule {sorted(set(REGISTRY) - ids)}"
        )


def _build(rule: Rule, firing: Firing, context: tuple[TriggerInput, ...]) -> NextStep:
    variant = "done" if firing.already_done else firing.variant
    if variant not in rule.texts:
        raise AdviceInputError(f"rule {rule.id!r} has no {variant!r} text in rules.json")
    template = rule.texts[variant]
    recommendation_class, evidence_level = rule.grading(variant)
    return NextStep(
        id=rule.id,
        category=rule.category,
        priority=rule.priority,
        text_en=render(template.en, "en", **firing.params),
        text_fr=render(template.fr, "fr", **firing.params),
        guideline=rule.guideline.short,
        year=rule.guideline.year,
        recommendation_class=recommendation_class,
        evidence_level=evidence_level,
        triggered_by=firing.triggered_by,
        already_done=firing.already_done,
        reference=rule.guideline.citation,
        confidence=rule.confidence,
        context=context,
    )


def next_steps(
    features: Mapping[str, Any],
    scores: Mapping[str, Any] | None,
    models: Mapping[str, Any] | None = None,
    *,
    guideline_set: str = "esc2021",
    region: str = "low",
) -> list[NextStep]:
    """Guideline next steps, most urgent first; steps already in place come last with ``already_done``."""
    check_guideline_set(guideline_set)
    check_region(region)
    f = Features(features)
    ctx = Context(
        f=f,
        scores=validated_risks(scores, what="score"),
        models=validated_risks(models, what="model"),
        category=risk_category(features, scores, guideline_set, region=region),
        guideline_set=guideline_set,
        region=region,
        kidney=kidney.stage(f),
    )
    fired: dict[str, tuple[Rule, Firing]] = {}
    for rule in rules():
        if guideline_set not in rule.sets:
            continue
        firing = REGISTRY[rule.id](ctx)
        if firing is not None:
            fired[rule.id] = (rule, firing)
    steps = []
    for rule, firing in fired.values():
        if any(s in fired for s in rule.suppressed_by):
            continue
        context = tuple(
            score_trigger(name, ctx.models[name])
            for name in MODEL_CONTEXT[rule.category]
            if ctx.models.get(name) is not None
        )
        steps.append(_build(rule, firing, context))
    order = {rule.id: i for i, rule in enumerate(rules())}
    steps.sort(key=lambda s: (s.already_done, s.priority, CATEGORIES.index(s.category), order[s.id]))
    return steps
