"""Local calibration: does the model's predicted risk match what happened to *this* practice's patients?

Same labelling as training (risk.models.outcomes: first event within the horizon after an index date, competing
death, censoring at the end of the record, IPCW weights), on the panel loaded in the app. The index date is the
latest one with a full horizon of follow-up in the panel. Shown only when there are enough patients and events
for deciles to mean something; otherwise the reason is given (product.md section 7.2 item 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from risk.features.tables import Tables, tables_from_records
from risk.models.evaluate import calibration_table, observed_risk
from risk.models.pipeline import landmark_sets
from risk.models.registry import LoadedModel
from risk.models.spec import MODEL_SPECS
from risk.record import PatientRecord

MIN_PATIENTS = 100
MIN_EVENTS = 10


@dataclass(frozen=True, kw_only=True)
class LocalCalibration:
    model: str
    n: int  # eligible patients followed after the index date
    events: int
    index_date: Any = None
    table: pd.DataFrame | None = None  # predicted, observed, n per bin
    mean_predicted: float | None = None
    observed: float | None = None
    reason: str | None = None  # why no calibration (too few patients or events, no follow-up)
    reason_fr: str | None = None


def local_calibration(records: list[PatientRecord], name: str, model: LoadedModel, *,
                      min_patients: int = MIN_PATIENTS, min_events: int = MIN_EVENTS) -> LocalCalibration:
    if not records:
        return LocalCalibration(model=name, n=0, events=0, reason="no panel loaded: score a panel first",
                                reason_fr="aucun panel chargé : calculez d'abord un panel")
    return calibration_on_tables(tables_from_records(records), name, model, min_patients=min_patients,
                                 min_events=min_events)


def calibration_on_tables(tables: Tables, name: str, model: LoadedModel, *, min_patients: int = MIN_PATIENTS,
                          min_events: int = MIN_EVENTS) -> LocalCalibration:
    spec = MODEL_SPECS[name]
    ts = landmark_sets(spec, tables)[0]  # same index date and labelling as training
    index_date = ts.index_date
    n = len(ts.features)
    events = int((ts.labels["status"] == 1).sum())
    y, w = ts.targets["y"].to_numpy(), ts.targets["weight"].to_numpy()
    known = int((w > 0).sum())  # outcome known at the horizon (event, competing death or full follow-up)
    if known < min_patients or events < min_events:
        return LocalCalibration(
            model=name, n=n, events=events, index_date=index_date,
            reason=(f"{n} eligible patients at {index_date.isoformat()}, {known} with a known outcome at "
                    f"{spec.horizon_years:g} years, {events} events: local calibration needs at least "
                    f"{min_patients} patients with a known outcome and {min_events} events"),
            reason_fr=(f"{n} patients éligibles au {index_date:%d/%m/%Y}, {known} dont l'évolution à "
                       f"{spec.horizon_years:g} ans est connue, {events} événements : la calibration locale demande "
                       f"au moins {min_patients} patients à l'évolution connue et {min_events} événements"))
    p = model.predict(ts.features).risk
    bins = int(np.clip(events // 5, 3, 10))
    table = calibration_table(y, w, p, bins=bins).reset_index(drop=True)
    keep = w > 0
    return LocalCalibration(model=name, n=n, events=events, index_date=index_date, table=table,
                            mean_predicted=float(np.average(p[keep], weights=w[keep])), observed=observed_risk(y, w))
