"""Guideline next steps for one patient: runs every rule of the guideline set in force, pure.

Model predictions (cvd10, hf10, ckd5, ...) never trigger or suppress a guideline step: the guidelines were
written for their own scores, not for this project's models. They are attached as ``context`` beside the
steps of the matching domain so that the clinician sees both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any

from risk.advise import kidney, steps_cardio, steps_metabolic  # noqa: F401  (registers the rule functions)
from risk.advise.category import check_guideline_set, check_region, risk_category
from risk.advise.data import CATEGORIES, DEFAULT_GUIDELINE_SET, Rule, guidelines, message, rules
from risk.advise.inputs import Features, score_trigger, validated_risks
from risk.advise.model import AdviceInputError, NextStep, RiskCategory, TriggerInput, remeasures
from risk.advise.registry import REGISTRY, Context, Firing
from risk.advise.wording import join
from risk.i18n import LazyText, Text, in_sentence, lazy_join, lazy_template
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


@cache
def _label(concept: str) -> Text:
    """A measurement concept's label inside a sentence (one per concept, shared by every patient)."""
    c = MEASUREMENT_CONCEPTS[concept]
    return Text(en=in_sentence(c.label_en), fr=in_sentence(c.label_fr))


@cache
def _stale_mark() -> Text:
    return message("step.stale_mark")


def _dated_list(inputs: tuple[TriggerInput, ...], key: str, stale: tuple[TriggerInput, ...] = ()) -> Text:
    """ "Systolic BP, Diastolic BP on 2 Mar 2021; LDL cholesterol on 9 Sep 2019 (stale)": one group per date."""
    by_day: dict[date, list[TriggerInput]] = {}
    for t in inputs:
        by_day.setdefault(t.date, []).append(t)  # type: ignore[arg-type]
    parts = [
        message(
            key,
            inputs=join([_label(measured_concept(t)) for t in group]),
            date=day,
            stale=_stale_mark() if any(t in stale for t in group) else "",
        )
        for day, group in by_day.items()
    ]
    return lazy_join(parts, "; ", " ; ")


def dated_step(
    rule: Rule, firing: Firing, variant: str, as_of: date | None
) -> tuple[Text, tuple[TriggerInput, ...], tuple[TriggerInput, ...]]:
    """The step's text with the date of every value it acts on; a start or intensify step whose value is older
    than its staleness limit becomes "re-measure X (last on DATE) before deciding ..." (one place for every rule).

    A rule declares the values it acts on by putting them, dated, in ``Firing.triggered_by`` (``ctx.f.trigger``
    dates a measurement), or explicitly in ``Firing.acts_on``; its "action" in rules.json says whether it starts
    or intensifies a treatment. The text is rendered when first read, in the language read (``LazyText``).
    """
    acts_on = acted_on(firing)
    stale = tuple(t for t in acts_on if is_stale(t, as_of))
    if remeasures(stale, rule.action, firing.already_done):
        assert rule.decision is not None  # checked when rules.json is loaded
        return (
            message("step.remeasure", inputs=_dated_list(stale, "step.last_on"), decision=rule.decision),
            acts_on,
            stale,
        )
    text = lazy_template(rule.texts[variant], **firing.params)
    if not acts_on:
        return text, acts_on, stale
    dates = message("step.measured", inputs=_dated_list(acts_on, "step.on_date", stale))
    return LazyText(lambda lang: f"{text.get(lang)} {dates.get(lang)}"), acts_on, stale


def _build(
    rule: Rule, firing: Firing, context: tuple[TriggerInput, ...], as_of: date | None, guideline_set: str
) -> NextStep:
    # "done" replaces the action text; a rule that names another variant for a step in place keeps it
    variant = "done" if firing.already_done and firing.variant == "default" else firing.variant
    if variant not in rule.texts:
        raise AdviceInputError(f"rule {rule.id!r} has no {variant!r} text in rules.json")
    text, acts_on, stale = dated_step(rule, firing, variant, as_of)
    recommendation_class, evidence_level = rule.grading(variant)
    priority = rule.priority
    if remeasures(stale, rule.action, firing.already_done):
        # a re-measurement is not the graded recommendation; the decision after it will be
        recommendation_class, evidence_level, priority = "not graded", "not graded", max(priority, 2)
    guideline, reference = citation_in_set(rule.guideline.key, guideline_set)
    return NextStep(
        id=rule.id,
        category=rule.category,
        priority=priority,
        text_en=text,
        text_fr=text,
        guideline=guideline,
        year=rule.guideline.year,
        recommendation_class=recommendation_class,
        evidence_level=evidence_level,
        triggered_by=firing.triggered_by,
        already_done=firing.already_done,
        reference=reference,
        confidence=rule.confidence,
        context=context,
        action=rule.action,
        acts_on=acts_on,
        stale=stale,
    )


@cache
def citation_in_set(guideline_key: str, guideline_set: str) -> tuple[str, str]:
    """(short name, citation) of a guideline in the guideline set in force: a 2019 lipid recommendation read in
    the ESC/EAS 2025 set cites "ESC/EAS 2019 dyslipidaemias (2025 focused update)", so that the two sets never
    read the same."""
    g = guidelines()[guideline_key]
    update = check_guideline_set(guideline_set).get("updated_by", {}).get(guideline_key)
    if update is None:
        return g.short, g.citation
    newer = guidelines()[update]
    return f"{g.short} ({newer.year} focused update)", f"{g.citation}; {newer.citation}"


def cited_in_set(step: NextStep, rule: Rule, guideline_set: str) -> NextStep:
    """The step's citation in the guideline set in force (``citation_in_set``)."""
    guideline, reference = citation_in_set(rule.guideline.key, guideline_set)
    if (guideline, reference) == (step.guideline, step.reference):
        return step
    return replace(step, guideline=guideline, reference=reference)


@cache
def _rules_in(guideline_set: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in rules() if guideline_set in rule.sets)


@cache
def _rule_order() -> dict[str, int]:
    return {rule.id: i for i, rule in enumerate(rules())}


_CATEGORY_RANK = {c: i for i, c in enumerate(CATEGORIES)}


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
    for rule in _rules_in(guideline_set):
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
        steps.append(_build(rule, firing, context, f.as_of, guideline_set))
    order = _rule_order()
    steps.sort(key=lambda s: (s.already_done, s.priority, _CATEGORY_RANK[s.category], order[s.id]))
    return steps
