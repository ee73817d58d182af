"""Score a whole panel in a stream: chunks of patients -> features -> scores, with bounded memory.

Memory is bounded by the chunk size (patients in flight), not by the export size. Models are vectorised per
chunk (eligibility included); equations are computed once per patient.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from risk.assess.completeness import withhold
from risk.assess.scores import MODEL_KEYS, Scores, score_models
from risk.equations import RESULT_KEYS, reference_scores
from risk.features.build import build_features
from risk.features.tables import tables_from_records
from risk.models.registry import LoadedModel
from risk.record import PatientRecord

CHUNK = 2000
# The `risk panel` CSV is a file format other tools read: its columns are fixed (kfre_2y is in the JSON only);
# QRISK3, added later, comes last so the earlier columns keep their place.
CSV_EQUATIONS = (*(k for k in RESULT_KEYS if k not in ("kfre_2y", "qrisk3")), "qrisk3")
CSV_COLUMNS = ["patient_id", *MODEL_KEYS, *CSV_EQUATIONS]


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
                 ) -> Iterator[tuple[PatientRecord, Scores, pd.Series]]:
    """(record, scores, features row) per patient, in source order."""
    for batch in chunks(records, chunk):
        feats = build_features(tables_from_records(batch), as_of)
        by_model = score_models(feats, models)
        for i, record in enumerate(batch):
            row = feats.iloc[i]
            if row.name != record.patient_id:
                raise RuntimeError("panel scoring lost the order of the records")
            scores = withhold(Scores(models={n: by_model[n][i] for n in MODEL_KEYS},
                                     equations=reference_scores(row.to_dict(), region=region)),
                              record.fetch_gaps, models)  # a server that did not give every type in full
            yield record, scores, row


def csv_row(patient_id: str, scores: Scores) -> dict[str, Any]:
    """One flat row: patient_id, each model's risk, each equation's risk (None when not computed)."""
    doc: dict[str, Any] = {"patient_id": patient_id}
    doc.update({n: scores.models[n].risk for n in MODEL_KEYS})
    for name in CSV_EQUATIONS:
        r = scores.equations.get(name)
        doc[name] = None if r is None or r.risk is None else float(r.risk)
    return doc


def score_records(records: Iterable[PatientRecord], models: Mapping[str, LoadedModel], *,
                  as_of: date | None = None, region: str = "low", chunk: int = CHUNK,
                  excluded: Excluded | None = None) -> Iterator[tuple[dict[str, Any], pd.Series]]:
    """(flat score row, features row) per living patient, in source order; the deceased are counted in
    `excluded`."""
    day = as_of or date.today()
    alive = living(records, day, excluded if excluded is not None else Excluded())
    for record, scores, row in score_chunks(alive, models, as_of=day, region=region, chunk=chunk):
        yield csv_row(record.patient_id, scores), row


def write_csv(rows: Iterable[Mapping[str, Any]], path: Path, columns: list[str]) -> int:
    """Stream rows to CSV: fractions with 6 decimals, empty when not computed."""
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if row.get(k) is None else f"{row[k]:.6f}" if isinstance(row.get(k), float)
                            else row[k]) for k in columns})
            n += 1
    return n
