"""Helpers over a FHIR CodeableConcept (a dict with `coding` and `text`): every coding is checked.

Malformed input (wrong types, missing keys) gives an empty result, never an exception: this sits on the
boundary with untrusted files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from risk.terminology.conditions import condition_concepts, procedure_concepts
from risk.terminology.medications import medication_match
from risk.terminology.observations import observation_concept, smoking_answer

Kind = Literal["observation", "condition", "procedure", "medication"]
_EMPTY: frozenset[str] = frozenset()


def codings(codeable: object) -> Iterator[tuple[str | None, str, str | None]]:
    """(system, code, display) of each well-formed coding of a CodeableConcept."""
    if not isinstance(codeable, dict):
        return
    items = codeable.get("coding")
    if not isinstance(items, list):
        return
    for c in items:
        if not isinstance(c, dict):
            continue
        code = c.get("code")
        if not isinstance(code, str) or not code.strip():
            continue
        system = c.get("system")
        display = c.get("display")
        yield (
            system if isinstance(system, str) else None,
            code,
            display if isinstance(display, str) else None,
        )


def concepts_from_codeable(codeable: dict, kind: Kind) -> frozenset[str]:
    """Union of the concepts of all codings of a CodeableConcept.

    kind: "observation" (measurement / panel / care-evidence concepts), "condition", "procedure" or
    "medication" (chronic drug classes; the text, then each coding's display, is matched on ingredient
    names only when no coding is recognised). Several distinct observation concepts from one codeable is a
    conflict the caller should report.

    >>> sorted(concepts_from_codeable({"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
    ...                               "observation"))
    ['hba1c']
    """
    found: set[str] = set()
    if kind == "observation":
        for system, code, _ in codings(codeable):
            c = observation_concept(system, code)
            if c:
                found.add(c)
    elif kind == "condition":
        for system, code, _ in codings(codeable):
            found |= condition_concepts(system, code)
    elif kind == "procedure":
        for system, code, _ in codings(codeable):
            found |= procedure_concepts(system, code)
    elif kind == "medication":
        return _medication_classes(codeable)
    else:
        raise ValueError(f"unknown kind {kind!r}: use observation, condition, procedure or medication")
    return frozenset(found)


def _medication_classes(codeable: object) -> frozenset[str]:
    found: set[str] = set()
    recognised = False
    displays: list[str] = []
    for system, code, display in codings(codeable):
        m = medication_match(system, code)
        if m.known_code:
            recognised = True
            found |= m.chronic_classes
        if display:
            displays.append(display)
    if recognised:
        return frozenset(found)
    text = codeable.get("text") if isinstance(codeable, dict) else None
    for t in ([text] if isinstance(text, str) else []) + displays:
        m = medication_match(None, None, t)
        if m.classes:
            return m.chronic_classes
    return _EMPTY


def smoking_answer_from_codeable(codeable: dict) -> int | None:
    """Smoking status (0 never, 1 former, 2 current) of a valueCodeableConcept; None when no coding gives a
    value or when codings disagree."""
    values = {smoking_answer(system, code) for system, code, _ in codings(codeable)} - {None}
    return values.pop() if len(values) == 1 else None
