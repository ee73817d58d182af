"""Score a whole panel in a stream: chunks of patients -> features -> scores -> CSV, with bounded memory.

Memory is bounded by the chunk size (patients in flight), not by the export size. Equations are computed per
patient; models are vectorised per chunk.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from risk import feedback
from risk.features.build import build_features
from risk.models.registry import LoadedModel
from risk.record import PatientRecord
from risk.assess.scores import EQUATION_KEYS, MODEL_KEYS, panel_rows
from risk.features.tables import tables_from_records

CHUNK = 2000
CSV_COLUMNS = ["patient_id", *MODEL_KEYS, *EQUATION_KEYS]


def _chunks(records: Iterable[PatientRecord], size: int) -> Iterator[list[PatientRecord]]:
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def score_records(records: Iterable[PatientRecord], models: Mapping[str, LoadedModel], *,
                  as_of: date | None = None, region: str = "low", chunk: int = CHUNK
                  ) -> Iterator[tuple[dict[str, Any], pd.Series]]:
    """(flat score row, features row) per patient, in source order."""
    for batch in _chunks(records, chunk):
        tables = tables_from_records(batch)
        feats = build_features(tables, as_of or date.today())
        for row in panel_rows(feats, models, region=region):
            yield row, feats.loc[row["patient_id"]]


def score_panel_to_csv(source: str | Path, out: Path, *, as_of: str | None, models: Mapping[str, LoadedModel],
                       region: str = "low", progress: bool = True) -> int:
    from risk.cli import _as_of
    from risk.assess.cli import write_csv
    from risk.record.load import iter_records

    day = _as_of(as_of)
    records = feedback.progress(iter_records(source), desc="scoring panel", enabled=progress)
    rows = (row for row, _ in score_records(records, models, as_of=day, region=region))
    return write_csv(rows, Path(out), CSV_COLUMNS)
