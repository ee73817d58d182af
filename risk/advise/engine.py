"""Guideline next steps for one patient: runs every rule of the guideline set in force, pure.

Model predictions (cvd10, hf10, ckd5, ...) never trigger or suppress a guideline step: the guidelines were
written for their own scores, not for this project's models. They are attached as ``context`` beside the
steps of the matching domain so that the clinician sees both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from risk.advise import kidney, steps_cardio, steps_metabolic  # noqa: F401  (registers the rule functions)
from risk.advise.category import check_guideline_set, check_region, risk_category
from risk.advise.data import CATEGORIES, DEFAULT_GUIDELINE_SET, Rule, guidelines, message, rules
from risk.advise.inputs import Features, score_trigger, validated_risks
from risk.advise.model import DECIDING_ACTIONS, AdviceInputError, NextStep, RiskCategory, TriggerInput
from risk.advise.registry import REGISTRY, Context, Firing
from risk.advise.wording import join
from risk.i18n import Text, in_sentence, render
from risk.terminology.concepts import MEASUREMENT_CONCEPTS, STALE_AFTER_DAYS

# Triggers that name a feature derived from a measurement concept (their date is that observation's).
TRIGGER_CONCEPT = {"smoking_current": "smoking_status"}
DEFAULT_STALE_DAYS = 365  # a measurement without its own limit: yearly (the shortest limit of STALE_AFTER_DAYS)

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


def acted_on(firing: Firing) -> tuple[TriggerInput, ...]:
    """The dated measurements a step acts on: ``firing.acts_on`` when the rule says, else every dated
    measurement among its triggers (scores, flags and diagnoses are not measurements and never go stale)."""
    chosen = firing.triggered_by if firing.acts_on is None else firing.acts_on
    out: dict[str, TriggerInput] = {}
    for t in chosen:
        if measured_concept(t) in MEASUREMENT_CONCEPTS and t.date is not None and t.value is not None:
            out.setdefault(t.name, t)
    return tuple(out.values())


def measured_concept(t: TriggerInput) -> str:
    """The measurement concept behind a trigger (a smoking flag is the smoking status observation)."""
    return TRIGGER_CONCEPT.get(t.name, t.name)


def is_stale(t: TriggerInput, as_of: date | None) -> bool:
    """Older than its concept's staleness limit (risk.terminology.concepts.STALE_AFTER_DAYS) at the index date."""
    if as_of is None or t.date is None:
        return False
    return (as_of - t.date).days > STALE_AFTER_DAYS.get(measured_concept(t), DEFAULT_STALE_DAYS)


def _label(t: TriggerInput) -> Text:
    c = MEASUREMENT_CONCEPTS[measured_concept(t)]
    return Text(en=in_sentence(c.label_en), fr=in_sentence(c.label_fr))


def _dated_list(inputs: tuple[TriggerInput, ...], key: str, stale: tuple[TriggerInput, ...] = ()) -> Text:
    """ "Systolic BP, Diastolic BP on 2 Mar 2021; LDL cholesterol on 9 Sep 2019 (stale)": one group per date."""
    by_day: dict[date, list[TriggerInput]] = {}
    for t in inputs:
        by_day.setdefault(t.date, []).append(t)  # type: ignore[arg-type]
    parts = [
        message(
            key,
            inputs=join([_label(t) for t in group]),
            date=day,
            stale=message("step.stale_mark") if any(t in stale for t in group) else "",
        )
        for day, group in by_day.items()
    ]
    return Text(en="; ".join(p.en for p in parts), fr=" ; ".join(p.fr for p in parts))


def dated_step(
    rule: Rule, firing: Firing, variant: str, as_of: date | None
) -> tuple[Text, tuple[TriggerInput, ...], tuple[TriggerInput, ...]]:
    """The step's text with the date of every value it acts on; a start or intensify step whose value is older
    than its staleness limit becomes "re-measure X (last on DATE) before deciding ..." (one place for every rule).

    A rule declares the values it acts on by putting them, dated, in ``Firing.triggered_by`` (``ctx.f.trigger``
    dates a measurement), or explicitly in ``Firing.acts_on``; its "action" in rules.json says whether it starts
    or intensifies a treatment.
    """
    template = rule.texts[variant]
    text = Text(en=render(template.en, "en", **firing.params), fr=render(template.fr, "fr", **firing.params))
    acts_on = acted_on(firing)
    stale = tuple(t for t in acts_on if is_stale(t, as_of))
    if stale and rule.action in DECIDING_ACTIONS and not firing.already_done:
        assert rule.decision is not None  # checked when rules.json is loaded
        return (
            message("step.remeasure", inputs=_dated_list(stale, "step.last_on"), decision=rule.decision),
            acts_on,
            stale,
        )
    if not acts_on:
        return text, acts_on, stale
    dates = message("step.measured", inputs=_dated_list(acts_on, "step.on_date", stale))
    return Text(en=f"{text.en} {dates.en}", fr=f"{text.fr} {dates.fr}"), acts_on, stale


def _build(rule: Rule, firing: Firing, context: tuple[TriggerInput, ...], as_of: date | None) -> NextStep:
    # "done" replaces the action text; a rule that names another variant for a step in place keeps it
    variant = "done" if firing.already_done and firing.variant == "default" else firing.variant
    if variant not in rule.texts:
        raise AdviceInputError(f"rule {rule.id!r} has no {variant!r} text in rules.json")
    text, acts_on, stale = dated_step(rule, firing, variant, as_of)
    recommendation_class, evidence_level = rule.grading(variant)
    step = NextStep(
        id=rule.id,
        category=rule.category,
        priority=rule.priority,
        text_en=text.en,
        text_fr=text.fr,
        guideline=rule.guideline.short,
        year=rule.guideline.year,
        recommendation_class=recommendation_class,
        evidence_level=evidence_level,
        triggered_by=firing.triggered_by,
        already_done=firing.already_done,
        reference=rule.guideline.citation,
        confidence=rule.confidence,
        context=context,
        action=rule.action,
        acts_on=acts_on,
        stale=stale,
    )
    if step.remeasure:  # a re-measurement is not the graded recommendation; the decision after it will be
        step = replace(
            step, recommendation_class="not graded", evidence_level="not graded", priority=max(step.priority, 2)
        )
    return step


def cited_in_set(step: NextStep, rule: Rule, guideline_set: str) -> NextStep:
    """The step's citation in the guideline set in force: a 2019 lipid recommendation read in the ESC/EAS 2025 set
    cites "ESC/EAS 2019 dyslipidaemias (2025 focused update)", so that the two sets never read the same."""
    update = check_guideline_set(guideline_set).get("updated_by", {}).get(rule.guideline.key)
    if update is None:
        return step
    newer = guidelines()[update]
    return replace(
        step,
        guideline=f"{rule.guideline.short} ({newer.year} focused update)",
        reference=f"{rule.guideline.citation}; {newer.citation}",
    )


def next_steps(
    features: Mapping[str, Any],
    scores: Mapping[str, Any] | None,
    models: Mapping[str, Any] | None = None,
    *,
    guideline_set: str = DEFAULT_GUIDELINE_SET,
    region: str = "low",
    category: RiskCategory | None = None,
) -> list[NextStep]:
    """Guideline next steps, most urgent first; steps already in place come last with ``already_done``.
    `category`: the ESC category the caller already decided from the same features, scores, set and region
    (risk.assess.assessment), so that it is decided once; computed here otherwise."""
    check_guideline_set(guideline_set)
    check_region(region)
    f = Features(features)
    ctx = Context(
        f=f,
        scores=validated_risks(scores, what="score"),
        models=validated_risks(models, what="model"),
        category=category if category is not None else risk_category(features, scores, guideline_set,
                                                                      region=region),
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
        steps.append(cited_in_set(_build(rule, firing, context, f.as_of), rule, guideline_set))
    order = {rule.id: i for i, rule in enumerate(rules())}
    steps.sort(key=lambda s: (s.already_done, s.priority, CATEGORIES.index(s.category), order[s.id]))
    return steps
