"""Records from a source: a bundle file, a folder, a bulk export or a FHIR server, flattened as they are read.

No UI state and no environment here: a server's bearer token is an argument, read by the faces from settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from risk.fhir import open_source
from risk.fhir.base import PatientResources, Source
from risk.fhir.ndjson import NdjsonSource
from risk.record import PatientRecord
from risk.record.build import build_record
from risk.record.bulk import stream_records


def record_from_resources(pr: PatientResources, *, source: str | None = None) -> PatientRecord:
    record = build_record(pr.patient, [*pr.resources, *pr.unlinked], now=datetime.now(UTC), source=source)
    return replace(record, fetch_gaps=pr.gaps) if pr.gaps else record


def iter_records(
    source: Source | str | Path, patient_id: str | None = None, *, token: str | None = None
) -> Iterator[PatientRecord]:
    """Every record of the source (or the one patient asked for), in source order."""
    src = open_source(source, token=token) if isinstance(source, str | Path) else source
    label = str(source) if isinstance(source, str | Path) else None
    if patient_id is None and isinstance(src, NdjsonSource):  # bulk export: one pass, compact state
        yield from stream_records(src, label=label)
        return
    # Resources are flattened as they are read: a bundle too large to parse whole is never held whole.
    for patient, resources in src.stream_patients(patient_id):
        record = build_record(patient, resources, now=datetime.now(UTC), source=label)
        gaps = src.gaps(record.patient_id)  # a server that did not give every type in full
        yield replace(record, fetch_gaps=gaps) if gaps else record
