"""Score a whole panel in a stream: chunks of patients -> features -> scores, with bounded memory.

Memory is bounded by the chunk size (patients in flight), not by the export size. Models are vectorised per
chunk (eligibility included); equations are computed once per patient.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from risk.assess.completeness import withhold
from risk.assess.scores import MODEL_KEYS, Scores, score_models
from risk.equations import reference_scores
from risk.features.build import build_features, model_frames
from risk.features.tables import tables_from_records
from risk.models.registry import LoadedModel
from risk.record import PatientRecord

CHUNK = 2000


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


def score_chunks(records: Iterable[PatientRecord], models: Mapping[str, LoadedModel], *, as_of: date,
                 region: str = "low", chunk: int = CHUNK
                 ) -> Iterator[tuple[PatientRecord, Scores, pd.Series, pd.DataFrame]]:
    """(record, scores, features row, the same row as a one-row model frame) per patient, in source order."""
    for batch in chunks(records, chunk):
        feats = build_features(tables_from_records(batch), as_of)
        by_model = score_models(feats, models)
        frames = model_frames(feats)
        for i, record in enumerate(batch):
            row = feats.iloc[i]
            if row.name != record.patient_id:
                raise RuntimeError("panel scoring lost the order of the records")
            scores = withhold(Scores(models={n: by_model[n][i] for n in MODEL_KEYS},
                                     equations=reference_scores(row.to_dict(), region=region)),
                              record.fetch_gaps, models)  # a server that did not give every type in full
            yield record, scores, row, frames.iloc[[i]]
