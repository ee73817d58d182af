"""One patient at one date: the record, its long tables, the features row and the inputs a clinician sees.

`snapshots` builds many at once (a CDS micro-batch, a panel chunk): the long tables, the features and the model
frame are built once for the batch, because each of those steps has a fixed cost of many small vectorised
operations that a single patient would pay alone. `snapshot` is the same path for one patient.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_datetime64_any_dtype

from risk.features.build import build_features, model_frames
from risk.features.tables import Tables, tables_from_records
from risk.record import PatientRecord
from risk.record.latest import DerivedValue, InputRow, input_rows, latest_derived_by_patient


@dataclass(frozen=True, kw_only=True)
class PatientSnapshot:
    """Everything `risk inspect` and an assessment need about one patient at one date."""

    record: PatientRecord
    as_of: date
    # The features row as plain Python values, exactly `features.to_dict()`: what the equations, the advice and
    # FeatureRow read (a dict lookup, where a pandas row pays for every column it boxes).
    values: dict[str, Any] = field(repr=False)
    derived: Mapping[str, DerivedValue] = field(repr=False)  # the latest value computed here, per concept
    batch_tables: Tables = field(repr=False)  # the long tables of the batch this snapshot was built in
    batch_features: pd.DataFrame = field(repr=False)  # the batch's build_features frame
    batch_frame: pd.DataFrame = field(repr=False)  # the batch's model frame (risk.features.build.model_frames)
    position: int  # this patient's row in batch_features and batch_frame

    @cached_property
    def features(self) -> pd.Series:
        """This patient's row of build_features as a pandas Series (built on first use: the assessment reads
        `values`; the patient page and the reports read this)."""
        return self.batch_features.iloc[self.position]

    @cached_property
    def inputs(self) -> list[InputRow]:
        """Each latest value with its unit, date, source and flags (built on first use: a panel row shows none)."""
        return input_rows(self.record, self.as_of, self.derived)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The features row as a one-row model frame (numeric dtypes): what the models and the what-if take."""
        return self.batch_frame.iloc[[self.position]]

    @cached_property
    def tables(self) -> Tables:
        """This patient's long tables (the history charts read them), cut from the batch's when it had others."""
        t = self.batch_tables
        if len(t.patients) == 1:
            return t
        pid = self.record.patient_id

        def own(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["patient_id"] == pid].reset_index(drop=True)

        return Tables(patients=t.patients.loc[[pid]], measurements=own(t.measurements),
                      diagnoses=own(t.diagnoses), medications=own(t.medications), encounters=own(t.encounters))


def snapshots(records: Sequence[PatientRecord], as_of: date | None = None) -> list[PatientSnapshot]:
    """One snapshot per record (in order), the tables, features and model frames built once for them all. The
    features are indexed by patient id, so a record whose id is already in the batch (two EHR calls for one
    chart at once) is built in a second round, never merged with the other."""
    as_of = as_of or date.today()
    rounds: list[list[int]] = []  # round k holds the k-th record of each patient id
    seen: Counter[str] = Counter()
    for i, r in enumerate(records):
        k = seen[r.patient_id]
        seen[r.patient_id] += 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(i)
    out: list[PatientSnapshot | None] = [None] * len(records)
    for rnd in rounds:
        for i, snap in zip(rnd, _unique_snapshots([records[i] for i in rnd], as_of), strict=True):
            out[i] = snap
    return [s for s in out if s is not None]


def _unique_snapshots(records: Sequence[PatientRecord], as_of: date) -> list[PatientSnapshot]:
    if not records:
        return []
    tables = tables_from_records(records)
    features = build_features(tables, as_of)
    frames = model_frames(features)
    derived = latest_derived_by_patient(tables.measurements, as_of)
    out = []
    for i, (record, pid, values) in enumerate(zip(records, features.index, row_dicts(features), strict=True)):
        if pid != record.patient_id:  # two records with one id would swap rows: never score the wrong one
            raise RuntimeError("the features lost the order of the records")
        out.append(PatientSnapshot(record=record, as_of=as_of, values=values,
                                   derived=derived.get(record.patient_id, {}), batch_tables=tables,
                                   batch_features=features, batch_frame=frames, position=i))
    return out


def row_dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row of `frame` as a dict of plain Python values, the same values and types as
    `frame.iloc[i].to_dict()` (float, int, Timestamp, NaT, str), read column by column: one conversion per column
    for the batch, where a row Series per patient boxes all ~240 columns again (and, under pandas 3, iterates the
    Arrow-backed string columns element by element). A date column is mostly empty: only its dates are boxed."""
    columns = list(frame.columns)
    values = [_column_values(frame[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)] if columns else \
        [{} for _ in range(len(frame))]


def _column_values(column: pd.Series) -> list[Any]:
    """`column.tolist()`, boxing only the non-missing values of a date column (NaT is one shared object)."""
    if not is_datetime64_any_dtype(column.dtype):
        return column.tolist()
    present = column.notna().to_numpy()
    out: list[Any] = [pd.NaT] * len(column)
    for j, value in zip(np.flatnonzero(present), column[present].tolist(), strict=True):
        out[j] = value
    return out


def snapshot(record: PatientRecord, as_of: date | None = None) -> PatientSnapshot:
    return snapshots([record], as_of)[0]


def model_frame(snaps: Sequence[PatientSnapshot]) -> pd.DataFrame:
    """The snapshots' rows as one model frame, in order (one take when they come from one batch)."""
    first = snaps[0].batch_frame
    if all(s.batch_frame is first for s in snaps):
        return first.iloc[[s.position for s in snaps]]
    return pd.concat([s.frame for s in snaps])
