"""High-level entry points shared by the CLI and the app: source -> records -> features.

No UI state here; everything returns plain dataclasses / DataFrames.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from risk.features import build_features
from risk.fhir import open_source
from risk.fhir.base import PatientResources, Source
from risk.inputs import InputRow, input_rows, latest_derived
from risk.normalise import build_record
from risk.record import PatientRecord
from risk.table import Tables, tables_from_records


@dataclass(frozen=True, kw_only=True)
class PatientView:
    """Everything the inspect command and the patient page need about one patient at one date."""

    record: PatientRecord
    as_of: date
    tables: Tables
    features: pd.Series  # one row of build_features
    inputs: list[InputRow]


def record_from_resources(pr: PatientResources, *, source: str | None = None) -> PatientRecord:
    return build_record(pr.patient, pr.resources, now=datetime.now(UTC), source=source)


def iter_records(source: Source | str | Path, patient_id: str | None = None) -> Iterator[PatientRecord]:
    # A server's bearer token comes from the environment only (never a command-line argument or a log line).
    src = open_source(source, token=os.environ.get("RISK_FHIR_TOKEN") or None) if isinstance(
        source, str | Path) else source
    label = str(source) if isinstance(source, str | Path) else None
    from risk.fhir.ndjson import NdjsonSource

    if patient_id is None and isinstance(src, NdjsonSource):  # bulk export: one pass, compact state
        from risk.bulk import stream_records

        yield from stream_records(src, label=label)
        return
    # Resources are flattened as they are read: a bundle too large to parse whole is never held whole.
    for patient, resources in src.stream_patients(patient_id):
        yield build_record(patient, resources, now=datetime.now(UTC), source=label)


def patient_view(record: PatientRecord, as_of: date | None = None) -> PatientView:
    as_of = as_of or date.today()
    tables = tables_from_records([record])
    features = build_features(tables, as_of).iloc[0]
    inputs = input_rows(record, as_of, latest_derived(tables.measurements, as_of))
    return PatientView(record=record, as_of=as_of, tables=tables, features=features, inputs=inputs)
