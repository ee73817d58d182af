"""The inputs a clinician sees: each latest value with its unit, date, source and flags.

Flags: `stale` (older than risk.terminology.concepts.STALE_AFTER_DAYS), `derived` (computed here, e.g. eGFR from
creatinine), `converted` (the lab reported another unit). Implausible or unusable values never reach this table:
they are listed as data-quality issues instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import pandas as pd

from risk.fhir.dates import to_utc_datetime
from risk.i18n.labels import DERIVED_FROM
from risk.record import PatientRecord
from risk.terminology.concepts import MEASUREMENT_CONCEPTS, SMOKING_LABELS, STALE_AFTER_DAYS
from risk.terminology.units import is_identity


@dataclass(frozen=True, kw_only=True, slots=True)
class InputRow:
    concept: str
    label: str
    value: float
    unit: str  # display unit of the canonical value
    date: date
    days_old: int
    original_value: float | str | None
    original_unit: str | None
    source_id: str | None
    derived: bool
    converted: bool
    stale: bool
    text: str | None = None  # coded value label (smoking) or conversion note


def input_rows(record: PatientRecord, as_of: date,
               derived_latest: Mapping[str, DerivedValue] | None = None) -> list[InputRow]:
    """Latest value of each concept at `as_of` (reported, or derived when the derived value is newer)."""
    cutoff = to_utc_datetime(as_of)
    rows: list[InputRow] = []
    for concept, spec in MEASUREMENT_CONCEPTS.items():
        m = record.latest(concept, cutoff)
        derived_row = derived_latest.get(concept) if derived_latest is not None else None
        if derived_row is not None and (m is None or derived_row.time > pd.Timestamp(m.time).tz_localize(None)):
            when = derived_row.time.date()
            days = (as_of - when).days
            rows.append(InputRow(
                concept=concept, label=spec.label_en, value=round(float(derived_row.value), 2),
                unit=spec.display_unit, date=when, days_old=days, original_value=None, original_unit=None,
                source_id=None, derived=True, converted=False,
                stale=days > STALE_AFTER_DAYS.get(concept, 365),
                text=DERIVED_FROM[concept][0] if concept in DERIVED_FROM else None,
            ))
            continue
        if m is None:
            continue
        when = m.time.date()
        days = (as_of - when).days
        text = SMOKING_LABELS[int(m.value)][0] if concept == "smoking_status" else m.text
        rows.append(InputRow(
            concept=concept, label=spec.label_en, value=m.value, unit=spec.display_unit, date=when,
            days_old=days, original_value=m.original_value, original_unit=m.original_unit, source_id=m.source_id,
            derived=False, converted=m.converted and concept != "smoking_status"
            and not is_identity(concept, m.original_unit),  # 'mmHg' is mm[Hg]: nothing was converted
            stale=days > STALE_AFTER_DAYS.get(concept, 365), text=text,
        ))
    return rows


class DerivedValue(NamedTuple):
    """A value computed here (eGFR from creatinine, non-HDL, BMI) at its time (tz-naive UTC)."""

    time: pd.Timestamp
    value: float


def latest_derived_by_patient(measurements: pd.DataFrame, as_of: date) -> dict[str, dict[str, DerivedValue]]:
    """Latest derived value per concept at as_of, per patient of a long table (a batch's)."""
    cutoff = pd.Timestamp(to_utc_datetime(as_of)).tz_localize(None)
    d = measurements[measurements["derived"] & (measurements["time"] <= cutoff)]
    latest = d.sort_values("time", kind="stable").drop_duplicates(["patient_id", "concept"], keep="last")
    out: dict[str, dict[str, DerivedValue]] = {}
    for pid, concept, time, value in zip(latest["patient_id"], latest["concept"], latest["time"], latest["value"],
                                         strict=True):
        out.setdefault(str(pid), {})[concept] = DerivedValue(time=pd.Timestamp(time), value=float(value))
    return out
