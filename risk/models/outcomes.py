"""Outcome labels at an index date, read from the FHIR timeline only (no hidden truth from the generator).

For each patient: the first qualifying event after the index date within the horizon (`status` 1), death from
another cause first (`status` 2, a competing event), or neither (`status` 0) with follow-up ending at death,
the last recorded activity, or the horizon. End of follow-up is the latest dated item in the record, so a
patient who left the practice is censored when their record stops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from risk.features.build import as_of_series
from risk.features.tables import Tables

YEAR = pd.Timedelta(days=365.25)

# Diagnosis concepts that are events for each outcome (value_sets.json names; "history of MI" codes are not new
# events). Sources: SCORE2 outcome = fatal and non-fatal MI and stroke (Eur Heart J 2021;42:2439).
EVENT_CONCEPTS: dict[str, tuple[str, ...]] = {
    "cvd": ("myocardial_infarction", "stroke", "stroke_ischaemic", "stroke_haemorrhagic", "cv_death"),
    "hf": ("heart_failure",),
    "ckd_progression": ("esrd", "ckd_stage_5", "kidney_transplant"),
    "retinopathy": ("diabetic_retinopathy",),
    "foot": ("diabetic_neuropathy", "diabetic_foot_ulcer", "amputation"),
}
# CKD progression from lab values (KDIGO 2012 / FDA-NKF surrogate: 40 % eGFR decline; kidney failure eGFR < 15;
# A3 albuminuria = UACR > 30 mg/mmol).
EGFR_DECLINE_FRACTION = 0.6
KIDNEY_FAILURE_EGFR = 15.0
A3_UACR_MG_MMOL = 30.0


def _first_after(df: pd.DataFrame, time_col: str, index_time: pd.Series,
                 keep: Callable[[pd.DataFrame], Any] | None = None) -> pd.Series:
    t0 = index_time.reindex(df["patient_id"]).to_numpy()
    sub = df[df[time_col].to_numpy() > t0]
    if keep is not None and not sub.empty:
        sub = sub[np.asarray(keep(sub))]
    return sub.groupby("patient_id")[time_col].min()


# A patient whose record is active within this window before the extraction date is taken as followed up to
# the extraction date (still registered with the practice); a record that stops earlier is lost to follow-up
# and censored at its last activity. Same convention as registration-based primary-care cohorts (QRISK3 uses
# the registration end date; we infer it from activity since FHIR exports carry no registration period).
ACTIVE_WINDOW = pd.Timedelta(days=548)
# Follow-up within this margin of the horizon counts as complete (calendar rounding of index and extract dates).
HORIZON_TOLERANCE_YEARS = 30 / 365.25


def last_activity(tables: Tables) -> pd.Series:
    """Latest dated activity per patient (measurement, encounter, diagnosis, prescription)."""
    parts = [
        tables.measurements.groupby("patient_id")["time"].max(),
        tables.encounters.groupby("patient_id")["time"].max(),
        tables.diagnoses.dropna(subset=["onset"]).groupby("patient_id")["onset"].max(),
        tables.medications.dropna(subset=["start"]).groupby("patient_id")["start"].max(),
    ]
    return pd.concat(parts, axis=1).max(axis=1).reindex(tables.patients.index)


def extraction_date(tables: Tables) -> pd.Timestamp:
    """The data extraction date: the latest activity or death anywhere in the source."""
    return max(last_activity(tables).max(), tables.patients["deceased"].max() if tables.patients[
        "deceased"].notna().any() else pd.Timestamp.min)


def end_of_followup(tables: Tables, extract: pd.Timestamp | None = None) -> pd.Series:
    """Death, else the extraction date for records active in the last ACTIVE_WINDOW, else the last activity.
    `extract` is the whole source's extraction date when `tables` hold only some of its patients (a bucket on a
    Dask worker, risk.models.distributed): it is the one cohort-wide input of a patient's label."""
    last = last_activity(tables)
    extract = extraction_date(tables) if extract is None else extract
    end = last.where(last < extract - ACTIVE_WINDOW, extract)
    death = tables.patients["deceased"]
    return death.where(death.notna(), end)


def label(tables: Tables, outcome: str, index_date, horizon_years: float,
          baseline: pd.DataFrame | None = None, *, extract: pd.Timestamp | None = None) -> pd.DataFrame:
    """DataFrame indexed by patient: `time` (years from index, <= horizon), `status` (0 censored, 1 event,
    2 competing death). `baseline` is the features table at the index date (needed for CKD progression);
    `extract`: see `end_of_followup`."""
    t0 = as_of_series(tables, index_date)
    horizon_end = t0 + horizon_years * YEAR
    d = tables.diagnoses.dropna(subset=["onset"])
    concepts = EVENT_CONCEPTS[outcome]
    event = _first_after(d[d["concept"].isin(concepts)], "onset", t0)
    if outcome == "ckd_progression":
        event = _ckd_lab_events(tables, t0, baseline, event)
    event = event.reindex(tables.patients.index)
    death = tables.patients["deceased"]
    death = death.where(death > t0)
    end = end_of_followup(tables, extract).clip(upper=horizon_end)

    status = pd.Series(0, index=tables.patients.index)
    time = end
    has_event = event.notna() & (event <= horizon_end)
    status[has_event] = 1
    time = time.where(~has_event, event)
    competing = ~has_event & death.notna() & (death <= horizon_end)
    status[competing] = 2
    time = time.where(~competing, death)
    years = ((time - t0) / YEAR).clip(lower=0.0)
    return pd.DataFrame({"time": years.astype(float), "status": status.astype(int)})


def _ckd_lab_events(tables: Tables, t0: pd.Series, baseline: pd.DataFrame | None, event: pd.Series) -> pd.Series:
    m = tables.measurements
    found = [event]
    egfr = m[m["concept"] == "egfr"]
    if baseline is not None:
        base_egfr = baseline["egfr"]
        found.append(_first_after(egfr, "time", t0, keep=lambda s: s["value"].to_numpy() <= np.minimum(
            EGFR_DECLINE_FRACTION * base_egfr.reindex(s["patient_id"]).to_numpy(), np.inf)))
        base_uacr = baseline["uacr"]
        uacr = m[m["concept"] == "uacr"]
        found.append(_first_after(uacr, "time", t0, keep=lambda s: (s["value"].to_numpy() > A3_UACR_MG_MMOL) & (
            base_uacr.reindex(s["patient_id"]).to_numpy() <= A3_UACR_MG_MMOL)))
    found.append(_first_after(egfr, "time", t0, keep=lambda s: s["value"] < KIDNEY_FAILURE_EGFR))
    return pd.concat(found, axis=1).min(axis=1)


def ipcw_targets(labels: pd.DataFrame, horizon_years: float) -> pd.DataFrame:
    """Binary target and inverse-probability-of-censoring weights for the cumulative incidence at the horizon.

    y = 1 for an event within the horizon; y = 0 for a competing death or follow-up through the horizon;
    patients censored earlier get weight 0 and the others 1/G(t), G the Kaplan-Meier survival of censoring
    (Uno 2007; Vock 2016 "Adapting machine learning techniques to censored time-to-event health record data").
    This estimates the cumulative incidence with death as a competing risk, which is what a GP is told.
    """
    t, s = labels["time"].to_numpy(), labels["status"].to_numpy()
    known = (s > 0) | (t >= horizon_years - HORIZON_TOLERANCE_YEARS)
    y = (s == 1).astype(int)
    g = _censoring_survival(t, s)
    eval_t = np.minimum(t, horizon_years)
    weights = np.where(known, 1.0 / np.maximum(np.interp(eval_t, g[0], g[1], left=1.0), 0.05), 0.0)
    return pd.DataFrame({"y": y, "weight": weights}, index=labels.index)


def _censoring_survival(t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate of P(not censored by t), censoring = status 0 (events and deaths are 'survivals')."""
    order = np.argsort(t, kind="stable")
    t, cens = t[order], (s[order] == 0)
    times, idx = np.unique(t, return_index=True)
    at_risk = len(t) - idx
    n_cens = np.add.reduceat(cens.astype(int), idx)
    surv = np.cumprod(1.0 - n_cens / at_risk)
    # G evaluated just before t (left limit) for the event's own time.
    return times, np.concatenate([[1.0], surv[:-1]])
