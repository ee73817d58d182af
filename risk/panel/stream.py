"""Assess a whole panel in a stream: chunks of patients through the batch path, with bounded memory.

Memory is bounded by the chunk size (patients in flight), not by the export size. Per chunk, the long tables, the
features, the models (eligibility included) and the lead explanations run once for all its patients
(risk.assess.assessment.assess_many); every decision is then the one the patient's own page takes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from risk.advise.data import DEFAULT_GUIDELINE_SET
from risk.assess.assessment import Assessment
from risk.assess.batch import assess_records
from risk.fhir.reading import gc_paused
from risk.models.registry import LoadedModel
from risk.record import PatientRecord

CHUNK = 500  # the batch's fixed costs are amortised well before that; more only holds memory


@dataclass(kw_only=True)
class Excluded:
    """Patients left out of a panel, counted for its summary (a ranking or worklist of the dead is a hazard)."""

    deceased: int = 0


def living(records: Iterable[PatientRecord], as_of: date, excluded: Excluded) -> Iterator[PatientRecord]:
    """The records of patients alive at `as_of`; the others are counted in `excluded`, never scored or ranked."""
    for record in records:
        if record.deceased_by(as_of):
            excluded.deceased += 1
            continue
        yield record


def chunks(records: Iterable[PatientRecord], size: int) -> Iterator[list[PatientRecord]]:
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def assess_chunks(records: Iterable[PatientRecord], models: Mapping[str, LoadedModel], *, as_of: date,
                  region: str = "low", guideline_set: str = DEFAULT_GUIDELINE_SET, chunk: int = CHUNK
                  ) -> Iterator[tuple[PatientRecord, Assessment | Exception]]:
    """(record, its Assessment on the card path, or the exception its own assessment raised) per patient, in
    source order; each chunk goes through the batch path once (risk.assess.batch)."""
    for batch in chunks(records, chunk):
        with gc_paused():
            assessed = assess_records(batch, as_of, models, region=region, guideline_set=guideline_set,
                                      card_only=True)
        yield from zip(batch, assessed, strict=True)
