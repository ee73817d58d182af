"""Values shown in the unit the patient's laboratory reports, with the canonical value beside them.

A French GP reads cholesterol in g/L and may read HbA1c in %; the library computes in mmol/L and mmol/mol.
The lab unit of a concept is the unit of the patient's most recent reported (not derived) value when it can
be converted back exactly (risk.terminology.units.from_canonical); otherwise the canonical unit is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from risk.i18n import fmt_number
from risk.record import PatientRecord
from risk.terminology.concepts import MEASUREMENT_CONCEPTS
from risk.terminology.units import from_canonical, is_identity, to_canonical

# Decimals a clinician expects per unit (a lab prints 1.81 g/L, 4.68 mmol/L, 7.2 %, 154 mmHg).
DECIMALS: dict[str, int] = {"g/L": 2, "mmol/L": 2, "mg/dL": 0, "%": 1, "mmol/mol": 0, "mm[Hg]": 0, "mmHg": 0,
                            "umol/L": 0, "µmol/L": 0, "mg/mmol": 1, "mg/g": 0, "kg/m2": 1, "kg/m²": 1, "kg": 1, "cm": 0,
                            "mL/min/{1.73_m2}": 0, "mL/min/1.73 m²": 0, "/min": 0, "bpm": 0}


@dataclass(frozen=True, kw_only=True)
class LabUnit:
    concept: str
    unit: str  # unit as the lab reports it (UCUM or common spelling)
    canonical: bool  # True when it is the library's canonical unit


def display_unit(unit: str) -> str:
    """UCUM spelled for reading: mm[Hg] -> mmHg, umol/L -> µmol/L, kg/m2 -> kg/m²."""
    return {"mm[Hg]": "mmHg", "umol/L": "µmol/L", "kg/m2": "kg/m²", "mL/min/{1.73_m2}": "mL/min/1.73 m²"}.get(
        unit, unit)


def lab_units(record: PatientRecord) -> dict[str, LabUnit]:
    """Concept -> the unit of its most recent reported value (canonical unit when that cannot round-trip)."""
    reported = sorted((m for m in record.measurements if not m.derived and m.original_unit
                       and (spec := MEASUREMENT_CONCEPTS.get(m.concept)) is not None and spec.numeric),
                      key=lambda x: x.time)
    latest = {m.concept: m for m in reported}  # the most recent per concept (the last one on a tie)
    out: dict[str, LabUnit] = {}
    for concept in dict.fromkeys(m.concept for m in reported):  # in the order concepts first appear
        m, spec = latest[concept], MEASUREMENT_CONCEPTS[concept]
        same = m.original_unit == spec.unit or is_identity(m.concept, m.original_unit) or \
            from_canonical(m.concept, m.value, m.original_unit).value is None
        out[m.concept] = LabUnit(concept=m.concept, unit=spec.unit if same else m.original_unit, canonical=same)
    return out


def to_lab(concept: str, value: float, unit: LabUnit | None) -> tuple[float, str]:
    """(value, display unit) in the lab's unit; the canonical pair when there is no lab unit."""
    spec = MEASUREMENT_CONCEPTS[concept]
    if unit is None or unit.canonical:
        return value, spec.display_unit
    conv = from_canonical(concept, value, unit.unit)
    if conv.value is None:
        return value, spec.display_unit
    return conv.value, display_unit(unit.unit)


def from_lab(concept: str, value: float, unit: LabUnit | None) -> float:
    """A value typed in the lab's unit (a what-if slider) back to the canonical unit."""
    if unit is None or unit.canonical:
        return value
    conv = to_canonical(concept, value, unit.unit)
    if conv.value is None:
        raise ValueError(conv.problem or f"cannot convert {concept} from {unit.unit}")
    return conv.value


def decimals(unit: str) -> int:
    return DECIMALS.get(unit, 1)


def value_text(concept: str, value: float, unit: LabUnit | None, lang: str, *, with_canonical: bool = True) -> str:
    """'1,81 g/L (4,68 mmol/L)' in the lab's unit, with the canonical value when it differs."""
    spec = MEASUREMENT_CONCEPTS[concept]
    shown, shown_unit = to_lab(concept, value, unit)
    text = f"{fmt_number(shown, lang, decimals(shown_unit))} {unit_text(shown_unit, lang)}".strip()
    if with_canonical and shown_unit != spec.display_unit:
        text += f" ({fmt_number(value, lang, decimals(spec.unit))} {unit_text(spec.display_unit, lang)})"
    return text


def unit_text(unit: str, lang: str) -> str:
    """A display unit in the language's notation ('mL/min/1,73 m²' in French)."""
    return unit.replace("1.73", "1,73") if lang == "fr" else unit
