"""Records -> long tables (patient, concept, value, time), plus derived values.

The long tables are the single input of `risk.features.build.build_features`, for one patient, a panel or a training
cohort. Derived values are computed here, vectorised, and flagged `derived=True`:
- non-HDL cholesterol = total - HDL, same day, when no non-HDL was reported that day (ESC 2021);
- BMI = weight / height², from the day's weight and the latest height, when no BMI was reported that day;
- eGFR by CKD-EPI 2021 (Inker et al., NEJM 2021) from creatinine, when no eGFR was reported that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.equations.ckd_epi import ckd_epi_2021_array
from risk.record import PatientRecord

MEASUREMENT_COLUMNS = ["patient_id", "concept", "value", "time", "derived"]
DIAGNOSIS_COLUMNS = ["patient_id", "concept", "onset", "resource_type"]
MEDICATION_COLUMNS = ["patient_id", "concept", "start", "end"]
ENCOUNTER_COLUMNS = ["patient_id", "time"]


@dataclass(frozen=True, kw_only=True)
class Tables:
    """Long tables for a set of patients; all times are tz-naive UTC datetime64[ns]."""

    patients: pd.DataFrame  # index patient_id; columns sex, birth_date, deceased
    measurements: pd.DataFrame  # MEASUREMENT_COLUMNS
    diagnoses: pd.DataFrame  # DIAGNOSIS_COLUMNS
    medications: pd.DataFrame  # MEDICATION_COLUMNS
    encounters: pd.DataFrame  # ENCOUNTER_COLUMNS


def _ts(values: list) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True).dt.tz_localize(None)


def tables_from_records(records: Iterable[PatientRecord]) -> Tables:
    pat_rows, meas, diag, meds, encs = [], [], [], [], []
    for r in records:
        pid = r.patient_id
        pat_rows.append((pid, r.sex, pd.Timestamp(r.birth_date), r.deceased))
        meas.extend((pid, m.concept, m.value, m.time, m.derived) for m in r.measurements)
        diag.extend((pid, d.concept, d.onset, d.resource_type) for d in r.diagnoses)
        meds.extend((pid, m.concept, m.start, m.end) for m in r.medications)
        encs.extend((pid, e.time) for e in r.encounters)
    patients = pd.DataFrame(pat_rows, columns=["patient_id", "sex", "birth_date", "deceased"]).set_index(
        "patient_id")
    patients["deceased"] = _ts(list(patients["deceased"])).to_numpy()
    m = pd.DataFrame(meas, columns=MEASUREMENT_COLUMNS)
    m["time"] = _ts(list(m["time"]))
    m["value"] = m["value"].astype(float)
    m["derived"] = m["derived"].astype(bool)
    d = pd.DataFrame(diag, columns=DIAGNOSIS_COLUMNS)
    d["onset"] = _ts(list(d["onset"]))
    rx = pd.DataFrame(meds, columns=MEDICATION_COLUMNS)
    rx["start"] = _ts(list(rx["start"]))
    rx["end"] = _ts(list(rx["end"]))
    e = pd.DataFrame(encs, columns=ENCOUNTER_COLUMNS)
    e["time"] = _ts(list(e["time"]))
    m = add_derived(m, patients)
    return Tables(patients=patients, measurements=m, diagnoses=d, medications=rx, encounters=e)


def _same_day(m: pd.DataFrame) -> pd.Series:
    return m["time"].dt.normalize()


def add_derived(m: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Append derived non-HDL, BMI and eGFR rows (see module docstring)."""
    if m.empty:
        return m
    m = m.copy()
    m["day"] = _same_day(m)
    new = []

    def first_per_day(concept: str) -> pd.DataFrame:
        sub = m[m["concept"] == concept]
        return sub.drop_duplicates(["patient_id", "day"], keep="last")[["patient_id", "day", "time", "value"]]

    def reported_days(concept: str) -> pd.MultiIndex:
        sub = m[m["concept"] == concept]
        return pd.MultiIndex.from_frame(sub[["patient_id", "day"]])

    # non-HDL
    tc, hdl = first_per_day("total_chol"), first_per_day("hdl")
    if not tc.empty and not hdl.empty:
        j = tc.merge(hdl, on=["patient_id", "day"], suffixes=("_tc", "_hdl"))
        j = j[~pd.MultiIndex.from_frame(j[["patient_id", "day"]]).isin(reported_days("non_hdl"))]
        j = j[j["value_tc"] > j["value_hdl"]]
        new.append(pd.DataFrame({"patient_id": j["patient_id"], "concept": "non_hdl",
                                 "value": j["value_tc"] - j["value_hdl"],
                                 "time": j[["time_tc", "time_hdl"]].max(axis=1), "derived": True}))
    # BMI from weight and the latest height known at that time
    w, h = first_per_day("weight"), m[m["concept"] == "height"].sort_values("time")
    if not w.empty and not h.empty:
        w = w[~pd.MultiIndex.from_frame(w[["patient_id", "day"]]).isin(reported_days("bmi"))].sort_values("time")
        j = pd.merge_asof(w, h[["patient_id", "time", "value"]].rename(columns={"value": "height"}),
                          on="time", by="patient_id", direction="backward").dropna(subset=["height"])
        bmi = j["value"] / (j["height"] / 100.0) ** 2
        ok = bmi.between(10, 90)
        new.append(pd.DataFrame({"patient_id": j["patient_id"][ok], "concept": "bmi", "value": bmi[ok],
                                 "time": j["time"][ok], "derived": True}))
    # eGFR from creatinine
    cr = first_per_day("creatinine")
    if not cr.empty:
        cr = cr[~pd.MultiIndex.from_frame(cr[["patient_id", "day"]]).isin(reported_days("egfr"))]
        pat = patients.reindex(cr["patient_id"])
        age = ((cr["time"].to_numpy() - pat["birth_date"].to_numpy()) / np.timedelta64(1, "D")) / 365.25
        male = (pat["sex"] == "male").to_numpy()
        ok = age >= 18
        egfr = ckd_epi_2021_array(male[ok], age[ok], cr["value"].to_numpy()[ok])
        new.append(pd.DataFrame({"patient_id": cr["patient_id"].to_numpy()[ok], "concept": "egfr",
                                 "value": egfr, "time": cr["time"].to_numpy()[ok], "derived": True}))
    out = pd.concat([m.drop(columns="day"), *new], ignore_index=True) if new else m.drop(columns="day")
    out["derived"] = out["derived"].astype(bool)
    return out.sort_values(["patient_id", "time", "concept"], kind="stable").reset_index(drop=True)
