"""Loads the advice data files shipped in the package (rules, thresholds, guidelines, intervals, messages).

Loaded once and checked on import: a rule without a citation, a class, a level or one of its two languages is
a packaging error and must fail loudly, never produce an uncited step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from risk.advise.model import ACTIONS, DECIDING_ACTIONS
from risk.i18n import Catalogue, Text, lazy_template


@dataclass(frozen=True, kw_only=True, slots=True)
class Guideline:
    key: str
    short: str
    year: int
    reference: str
    doi: str
    confidence: str

    @property
    def citation(self) -> str:
        return f"{self.reference}. doi:{self.doi}" if self.doi else self.reference


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    id: str
    category: str
    priority: int
    guideline: Guideline
    recommendation_class: str
    evidence_level: str
    confidence: str
    sets: tuple[str, ...]
    suppressed_by: tuple[str, ...]
    texts: dict[str, Text]
    # Where the class/level was read (title, table/section, URL); None while the grading is unverified (M).
    source: str | None = None
    # Text variants graded differently in the guideline than the rule as a whole: variant -> (class, level).
    variant_grading: dict[str, tuple[str, str]] = field(default_factory=dict)
    action: str = "assess"  # what the step does (model.ACTIONS); start/intensify are never driven by stale values
    # For start/intensify rules: what the clinician decides once the value is re-measured ("whether to start a
    # statin"), used in "re-measure X before deciding ..." when X is too old.
    decision: Text | None = None

    def grading(self, variant: str) -> tuple[str, str]:
        """Class and level of evidence of the recommendation behind this text variant."""
        return self.variant_grading.get(variant, (self.recommendation_class, self.evidence_level))


GUIDELINE_SETS = ("esc2021", "esc_eas2025")
# The current guidelines (ESC 2024 hypertension, ESC/EAS 2025 lipid update) are the default (project issue 12).
DEFAULT_GUIDELINE_SET = "esc_eas2025"
CATEGORIES = (
    "risk_assessment",
    "lipids",
    "blood_pressure",
    "smoking",
    "antithrombotic",
    "diabetes",
    "kidney",
    "heart_failure",
)


def _load(name: str) -> Any:
    return json.loads(resources.files("risk.advise").joinpath(name).read_text(encoding="utf-8"))


@cache
def guidelines() -> dict[str, Guideline]:
    return {
        key: Guideline(
            key=key,
            short=v["short"],
            year=int(v["year"]),
            reference=v["reference"],
            doi=v.get("doi", ""),
            confidence=v["confidence"],
        )
        for key, v in _load("guidelines.json").items()
        if not key.startswith("_")
    }


@cache
def thresholds() -> dict[str, Any]:
    return _load("thresholds.json")


@cache
def messages() -> Catalogue:
    return Catalogue.from_resource("risk.advise", "messages.json")


@cache
def care_gap_definitions() -> list[dict[str, Any]]:
    return _load("care_gaps.json")["gaps"]


@cache
def alert_definitions() -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in _load("alerts.json")["alerts"]}


@cache
def rules() -> tuple[Rule, ...]:
    known = guidelines()
    out: list[Rule] = []
    seen: set[str] = set()
    for raw in _load("rules.json")["rules"]:
        rid = raw["id"]
        if rid in seen:
            raise ValueError(f"rules.json: duplicate rule id {rid!r}")
        seen.add(rid)
        if raw["guideline"] not in known:
            raise ValueError(f"rules.json: rule {rid!r} cites unknown guideline {raw['guideline']!r}")
        if raw["category"] not in CATEGORIES:
            raise ValueError(f"rules.json: rule {rid!r} has unknown category {raw['category']!r}")
        for key in ("class", "level", "confidence"):
            if not str(raw.get(key, "")).strip():
                raise ValueError(f"rules.json: rule {rid!r} lacks {key!r}")
        sets = tuple(raw.get("sets", GUIDELINE_SETS))
        if not set(sets) <= set(GUIDELINE_SETS):
            raise ValueError(f"rules.json: rule {rid!r} names an unknown guideline set in {sets}")
        source = raw.get("source")
        if source is not None and not (isinstance(source, str) and source.strip()):
            raise ValueError(f"rules.json: rule {rid!r} has an empty or non-text 'source'")
        texts = {name: Text.from_mapping(t, where=f"rules.json:{rid}:{name}") for name, t in raw["texts"].items()}
        if "default" not in texts:
            raise ValueError(f"rules.json: rule {rid!r} has no default text")
        action = raw.get("action")
        if action not in ACTIONS:
            raise ValueError(f"rules.json: rule {rid!r} has no valid 'action' ({', '.join(ACTIONS)}): {action!r}")
        decision = raw.get("decision")
        if action in DECIDING_ACTIONS and not isinstance(decision, dict):
            raise ValueError(f"rules.json: {action} rule {rid!r} lacks its 'decision' text (en, fr)")
        variant_grading: dict[str, tuple[str, str]] = {}
        for variant, grade in raw.get("variant_grading", {}).items():
            graded = all(str(grade.get(k, "")).strip() for k in ("class", "level"))
            if variant not in texts or not graded:
                raise ValueError(f"rules.json: rule {rid!r} grades unknown variant {variant!r} or lacks class/level")
            variant_grading[variant] = (str(grade["class"]), str(grade["level"]))
        out.append(
            Rule(
                id=rid,
                category=raw["category"],
                priority=int(raw["priority"]),
                guideline=known[raw["guideline"]],
                recommendation_class=str(raw["class"]),
                evidence_level=str(raw["level"]),
                confidence=str(raw["confidence"]),
                sets=sets,
                suppressed_by=tuple(raw.get("suppressed_by", ())),
                texts=texts,
                source=source,
                variant_grading=variant_grading,
                action=action,
                decision=Text.from_mapping(decision, where=f"rules.json:{rid}:decision") if decision else None,
            )
        )
    for rule in out:
        unknown = set(rule.suppressed_by) - seen
        if unknown:
            raise ValueError(f"rules.json: rule {rule.id!r} is suppressed by unknown rules {sorted(unknown)}")
    return tuple(out)


def ldl_goal(category: str) -> float | None:
    """The LDL-C goal (mmol/L) of an ESC risk category (ESC/EAS 2019, unchanged in 2025); None when unknown."""
    goal = thresholds()["ldl_goals"].get(category)
    return None if goal is None else float(goal["goal"])


def message(key: str, **params: Any) -> Text:
    """A catalogue message in both languages (values formatted per language), each rendered when first read:
    most advice texts are never shown (a panel row reads codes), and a page shows one language."""
    return lazy_template(messages()[key], **params)


@cache
def fixed_message(key: str) -> Text:
    """A catalogue message without parameters ("region.low", "score.score2"): the same for every patient, so
    built once and rendered once per language."""
    return message(key)


def text(data: dict[str, str]) -> Text:
    """A bilingual label from a thresholds/care-gap JSON object."""
    return Text.from_mapping(data)
