"""One FHIR value to a canonical measurement, or a visible issue saying why not: the single path every numeric
input takes (units through risk.terminology.units, plausibility through risk.terminology.concepts), whether the
record builder or the QRISK3 reader found it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from math import isfinite
from typing import Protocol

from risk.record import DataIssue, IssueKind, Measurement, checked_measurement
from risk.terminology import units
from risk.terminology.concepts import MEASUREMENT_CONCEPTS
from risk.terminology.messages import Message


class Sink(Protocol):
    """Where a value or its issue goes (risk.record.build.Flat)."""

    measurements: list[Measurement]
    issues: list[DataIssue]


def text_field(value: object) -> str | None:
    """A string field, or None when the source put something else there (a list, a number, an object)."""
    return value if isinstance(value, str) else None


def code_str(coding: dict) -> str:
    return f"{coding.get('system', '')}|{coding.get('code', '')}"


def quantity_measurement(
    *, concept: str, quantity: object, when: datetime, coding: dict, source_id: str, out: Sink,
    text_value: bool = False, scale: float = 1.0, code: str | None = None,
) -> None:
    """One value to a measurement or an issue. `text_value`: the value came from valueString (a French "7,2" is
    read); in a Quantity a JSON string ("140") is invalid FHIR and is never used (issue 11). `scale`: what the
    code itself counts in (LOINC 8663-7 counts packs: 20 cigarettes each), applied before the unit. `code`:
    `code_str(coding)` when the caller has it already."""
    if isinstance(quantity, dict):
        plain = plain_measurement(concept, quantity, when, coding, source_id, code, scale)
        if plain is not None:
            out.measurements.append(plain)
            return
    _any_measurement(concept=concept, quantity=quantity, when=when, coding=coding, source_id=source_id, out=out,
                     text_value=text_value, scale=scale)


def _any_measurement(
    *, concept: str, quantity: object, when: datetime, coding: dict, source_id: str, out: Sink, text_value: bool,
    scale: float,
) -> None:
    """The general path of `quantity_measurement`: every case, each problem worded."""
    label = MEASUREMENT_CONCEPTS[concept].label_en
    if not isinstance(quantity, dict) or "value" not in quantity:
        out.issues.append(DataIssue(kind=IssueKind.NON_NUMERIC, concept=concept, time=when, source_id=source_id,
                                    message=f"{label}: no numeric value", code="value.none",
                                    params={"concept": concept}))
        return
    raw = quantity.get("value")
    if isinstance(raw, str) and not text_value and numeric_text(raw):  # else: "see comment" is not a number
        out.issues.append(DataIssue(kind=IssueKind.NON_NUMERIC, concept=concept, time=when, source_id=source_id,
                                    message=f"{label}: value {raw!r} is written as text in a Quantity "
                                            "(invalid FHIR); not used",
                                    code="value.quantity_text", params={"concept": concept, "value": raw}))
        return
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        try:
            raw = float(str(raw).replace(",", "."))  # a valueString "7,2" (French decimal comma) is 7.2
        except ValueError:
            out.issues.append(DataIssue(kind=IssueKind.NON_NUMERIC, concept=concept, time=when,
                                        source_id=source_id, message=f"{label}: value {raw!r} is not a number",
                                        code="value.not_a_number", params={"concept": concept, "value": raw}))
            return
    number = units.finite_float(raw)
    if number is None:  # "NaN", "Infinity", 1e999
        out.issues.append(DataIssue(kind=IssueKind.NON_NUMERIC, concept=concept, time=when, source_id=source_id,
                                    message=f"{label}: value {raw!r} is not a finite number",
                                    code="value.not_finite", params={"concept": concept, "value": raw}))
        return
    unit = text_field(quantity.get("code")) or text_field(quantity.get("unit"))
    shown_unit = text_field(quantity.get("unit")) or text_field(quantity.get("code"))
    conv = units.to_canonical(concept, number * scale, unit)
    if conv.value is None:
        kind = IssueKind.MISSING_UNIT if not unit else IssueKind.UNKNOWN_UNIT
        coded = conv.problem_message or Message(code="unit.unusable", params={"concept": concept, "source_unit": unit})
        out.issues.append(DataIssue(kind=kind, concept=concept, time=when, source_id=source_id,
                                    message=conv.problem or f"{label}: unit {unit!r} cannot be used",
                                    code=coded.code, params=coded.params))
        return
    problem = units.plausibility_problem(concept, conv.value)
    if problem:
        spec = MEASUREMENT_CONCEPTS[concept]
        out.issues.append(DataIssue(
            kind=IssueKind.IMPLAUSIBLE, concept=concept, time=when, source_id=source_id,
            message=f"{problem} (reported {number:g} {shown_unit or 'no unit'})",
            code="record.implausible" if shown_unit else "record.implausible_no_unit",
            params={"concept": concept, "value": conv.value, "low": spec.low, "high": spec.high,
                    "unit": spec.display_unit, "reported_value": number, "source_unit": shown_unit}))
        return
    out.measurements.append(Measurement(
        concept=concept, value=conv.value, unit=conv.unit, time=when, original_value=raw,
        original_unit=shown_unit, code=code_str(coding),
        source_id=source_id, text=conv.note,
    ))




_Converter = tuple[Callable[[float], float], str, str | None, float, float]  # convert, unit, note, low, high
_CONVERTERS: dict[tuple[str, str | None], _Converter | None] = {}
_CONVERTERS_MAX = 4096  # (concept, unit) pairs remembered (bounds memory on a hostile file)


def _new_converter(key: tuple[str, str | None]) -> _Converter | None:
    """`units.canonical_converter` with the concept's plausible range, remembered for `plain_measurement`: a bulk
    export repeats a few dozen (concept, unit) pairs over millions of values."""
    concept, unit = key
    converter = units.canonical_converter(concept, unit)
    found = None
    if converter is not None:
        spec = MEASUREMENT_CONCEPTS[concept]
        found = (*converter, spec.low, spec.high)
    if len(_CONVERTERS) >= _CONVERTERS_MAX:
        _CONVERTERS.clear()
    _CONVERTERS[key] = found
    return found


_UNSEEN = object()


def plain_measurement(concept: str, quantity: dict, when: datetime, coding: dict, source_id: str,
                      code: str | None, scale: float = 1.0) -> Measurement | None:
    """The common case of `quantity_measurement`, the same result with less work: a JSON number in a usable
    unit, inside the plausible range. None for anything else, which `quantity_measurement` reads and words.

    Positional, and called directly by the record builder's hot path: most of the millions of values of a bulk
    export take this path."""
    raw = quantity.get("value")
    if type(raw) is float:
        scaled = raw * scale
    elif type(raw) is int:  # (a bool is an int: excluded by the exact type)
        try:
            scaled = float(raw) * scale
        except OverflowError:  # an integer too large for a float
            return None
    else:
        return None
    if not isfinite(scaled):
        return None
    unit_code, unit_text = quantity.get("code"), quantity.get("unit")
    unit_code = unit_code if isinstance(unit_code, str) else None
    unit_text = unit_text if isinstance(unit_text, str) else None
    key = (concept, unit_code or unit_text)
    converter = _CONVERTERS.get(key, _UNSEEN)
    if converter is _UNSEEN:
        converter = _new_converter(key)
    if converter is None:
        return None
    convert, unit, note, low, high = converter
    value = convert(scaled)
    if not (isfinite(value) and low <= value <= high):
        return None
    return checked_measurement(concept, value, unit, when, raw, unit_text or unit_code,
                               code_str(coding) if code is None else code, source_id, note)


def numeric_text(text: str) -> bool:
    """A finite number written as text ("140", "7,2"); "NaN" and "see comment" get their own issues."""
    try:
        return units.finite_float(float(text.replace(",", "."))) is not None
    except ValueError:
        return False
