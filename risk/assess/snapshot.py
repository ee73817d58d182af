"""One patient at one date: the record, its long tables, the features row and the inputs a clinician sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from risk.features.build import build_features, row_frame
from risk.features.tables import Tables, tables_from_records
from risk.record import PatientRecord
from risk.record.latest import InputRow, input_rows, latest_derived


@dataclass(frozen=True, kw_only=True)
class PatientSnapshot:
    """Everything `risk inspect` and an assessment need about one patient at one date."""

    record: PatientRecord
    as_of: date
    tables: Tables
    features: pd.Series  # one row of build_features
    inputs: list[InputRow]

    @property
    def frame(self) -> pd.DataFrame:
        """The features row as a one-row frame (what the models and what-if take)."""
        return row_frame(self.features)


def snapshot(record: PatientRecord, as_of: date | None = None) -> PatientSnapshot:
    as_of = as_of or date.today()
    tables = tables_from_records([record])
    features = build_features(tables, as_of).iloc[0]
    inputs = input_rows(record, as_of, latest_derived(tables.measurements, as_of))
    return PatientSnapshot(record=record, as_of=as_of, tables=tables, features=features, inputs=inputs)
