"""Records -> long tables (patient, concept, value, time), plus derived values.

The long tables are the single input of `risk.features.build.build_features`, for one patient, a panel or a training
cohort. Derived values are computed here, vectorised, and flagged `derived=True`:
- non-HDL cholesterol = total - HDL, same day, when no non-HDL was reported that day (ESC 2021);
- BMI = weight / height², from the day's weight and the latest height, when no BMI was reported that day;
- eGFR by CKD-EPI 2021 (Inker et al., NEJM 2021) from creatinine, when no eGFR was reported that day.

Both steps are numpy over whole columns (one datetime conversion for every date of the batch; derived values
matched by one (patient, day) number): a CDS Hooks request builds these tables for a handful of patients, where
fixed per-call costs dominate.
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


def _utc_naive(values: list) -> np.ndarray:
    """Datetimes (aware or naive, None allowed) as tz-naive UTC datetime64[ns], by pandas' own conversion. The unit
    is fixed: pandas 3 infers it from the values (seconds for an all-empty column, microseconds otherwise), and
    one batch's tables must not change unit with what the batch holds."""
    converted = pd.to_datetime(pd.Series(values, dtype="object"), utc=True).dt.tz_localize(None)
    return converted.to_numpy().astype("datetime64[ns]")


def _objects(values: list) -> np.ndarray:
    """The values as a 1-D object array, as a DataFrame column of strings holds them."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def tables_from_records(records: Iterable[PatientRecord]) -> Tables:
    records = list(records)
    ids = _objects([r.patient_id for r in records])
    meas = [m for r in records for m in r.measurements]
    diag = [d for r in records for d in r.diagnoses]
    meds = [x for r in records for x in r.medications]
    m_time, d_onset = [m.time for m in meas], [d.onset for d in diag]
    rx_start, rx_end = [x.start for x in meds], [x.end for x in meds]
    enc_times = [e.time for r in records for e in r.encounters]
    # Every date of the batch in one conversion (a fixed cost per call, not per column), then split.
    parts = [[r.deceased for r in records], m_time, d_onset, rx_start, rx_end, enc_times]
    stamps = np.split(_utc_naive([t for part in parts for t in part]), np.cumsum([len(p) for p in parts])[:-1])
    deceased, m_time, d_onset, rx_start, rx_end, enc_time = stamps

    def of_patient(attribute: str) -> np.ndarray:
        return np.repeat(ids, [len(getattr(r, attribute)) for r in records])

    patients = pd.DataFrame({"sex": _objects([r.sex for r in records]),
                             "birth_date": [pd.Timestamp(r.birth_date) for r in records], "deceased": deceased},
                            index=pd.Index(ids, name="patient_id"))
    if pd.api.types.is_datetime64_dtype(patients["birth_date"]):  # pandas 3 gives dates in seconds: one unit (ns)
        patients["birth_date"] = patients["birth_date"].astype("datetime64[ns]")
    # Columns in MEASUREMENT_COLUMNS (etc.) order by the dicts' order: `columns=` would cost a reindex per frame.
    m = pd.DataFrame({"patient_id": of_patient("measurements"), "concept": _objects([x.concept for x in meas]),
                      "value": np.array([x.value for x in meas], dtype=float), "time": m_time,
                      "derived": np.array([x.derived for x in meas], dtype=bool)})
    d = pd.DataFrame({"patient_id": of_patient("diagnoses"), "concept": _objects([x.concept for x in diag]),
                      "onset": d_onset, "resource_type": _objects([x.resource_type for x in diag])})
    rx = pd.DataFrame({"patient_id": of_patient("medications"), "concept": _objects([x.concept for x in meds]),
                       "start": rx_start, "end": rx_end})
    e = pd.DataFrame({"patient_id": of_patient("encounters"), "time": enc_time})
    m = add_derived(m, patients)
    return Tables(patients=patients, measurements=m, diagnoses=d, medications=rx, encounters=e)


def _codes(values: np.ndarray) -> np.ndarray:
    """Integer codes of the values, equal values equal codes (NaN/NaT a value of its own)."""
    return pd.factorize(values, use_na_sentinel=False)[0]


def _sorted_codes(values: np.ndarray) -> np.ndarray:
    """Integer codes in the values' sort order, as pandas sorts a column (factorise, then sort the distinct)."""
    codes, uniques = pd.factorize(values)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(np.asarray(uniques), kind="stable")] = np.arange(len(uniques))
    return np.where(codes >= 0, rank[codes] if len(uniques) else codes, len(uniques))  # missing sorts last


def _last_per_key(rows: np.ndarray, key: np.ndarray) -> np.ndarray:
    """The rows (in table order) that are the last of their key: drop_duplicates(keep="last")."""
    k = key[rows]
    _, first_from_end = np.unique(k[::-1], return_index=True)
    keep = np.zeros(len(rows), dtype=bool)
    keep[len(rows) - 1 - first_from_end] = True
    return rows[keep]


def _later(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise later of two datetime arrays, NaT ignored (as DataFrame.max(axis=1))."""
    return np.where(np.isnat(a), b, np.where(np.isnat(b), a, np.maximum(a, b)))


def add_derived(m: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Append derived non-HDL, BMI and eGFR rows (see module docstring)."""
    if m.empty:
        return m
    concept = m["concept"].to_numpy()
    value = m["value"].to_numpy()
    time = m["time"].to_numpy()
    who = _codes(m["patient_id"].to_numpy())
    patient_day = who.astype(np.int64) * (len(m) + 1) + _codes(time.astype("datetime64[D]"))  # (patient, day)

    def of(name: str) -> np.ndarray:
        return np.flatnonzero(concept == name)

    def last_of_day(name: str, unless_reported: str | None = None) -> np.ndarray:
        """The day's last row of a concept per patient, unless `unless_reported` was reported that day."""
        rows = _last_per_key(of(name), patient_day)
        if unless_reported is not None:
            rows = rows[~np.isin(patient_day[rows], patient_day[of(unless_reported)])]
        return rows

    new: list[tuple[np.ndarray, str, np.ndarray, np.ndarray]] = []  # (source rows, concept, value, time)
    # non-HDL: total and HDL cholesterol of the same day
    tc, hdl = last_of_day("total_chol", "non_hdl"), last_of_day("hdl")
    tc = tc[np.isin(patient_day[tc], patient_day[hdl])]
    by_key = np.argsort(patient_day[hdl])  # one HDL per (patient, day): the same-day HDL of each total
    hdl = hdl[by_key][np.searchsorted(patient_day[hdl][by_key], patient_day[tc])]
    ok = value[tc] > value[hdl]
    new.append((tc[ok], "non_hdl", value[tc[ok]] - value[hdl[ok]], _later(time[tc[ok]], time[hdl[ok]])))
    # BMI from weight and the latest height known at that time
    w, h = last_of_day("weight", "bmi"), of("height")
    if len(w) and len(h):
        height = np.append(value, np.nan)[_latest_height(w, h, who, time)]  # -1 (no height yet): NaN
        bmi = value[w] / (height / 100.0) ** 2
        ok = (bmi >= 10) & (bmi <= 90)
        new.append((w[ok], "bmi", bmi[ok], time[w[ok]]))
    # eGFR from creatinine
    cr = last_of_day("creatinine", "egfr")
    pat = patients.index.get_indexer(m["patient_id"].to_numpy()[cr])
    birth = np.append(patients["birth_date"].to_numpy(), np.datetime64("NaT"))[pat]
    male = np.append((patients["sex"] == "male").to_numpy(), False)[pat]
    age = ((time[cr] - birth) / np.timedelta64(1, "D")) / 365.25
    ok = age >= 18
    new.append((cr[ok], "egfr", ckd_epi_2021_array(male[ok], age[ok], value[cr][ok]), time[cr][ok]))
    return _with_derived(m, new)


def _latest_height(w: np.ndarray, h: np.ndarray, who: np.ndarray, time: np.ndarray) -> np.ndarray:
    """For each weight row, the height row merge_asof(direction="backward", by patient) would match, -1 if none:
    the patient's last height at or before the weight's time, ties between equal times broken as pandas breaks
    them (the order of its sort of the heights by time)."""
    # As DataFrame.sort_values("time"): numpy's quicksort of the datetime64 values (not of their int64 view,
    # which another sort routine orders differently among equal times).
    h = h[np.argsort(time[h], kind="quicksort")]
    rows = np.concatenate([h, w])
    is_height = np.arange(len(rows)) < len(h)
    rank = np.arange(len(rows))  # heights in their sorted order; weights after heights at the same time
    order = np.lexsort((rank, ~is_height, time[rows].view(np.int64), who[rows]))
    event = np.where(is_height[order], np.arange(len(rows)), -1)
    last = np.maximum.accumulate(event)
    same_patient = (last >= 0) & (who[rows[order]] == who[rows[order][np.maximum(last, 0)]])
    match = np.where(same_patient, rows[order][np.maximum(last, 0)], -1)
    out = np.empty(len(rows), dtype=np.int64)
    out[order] = match
    return out[len(h):]


def _with_derived(m: pd.DataFrame, new: list[tuple[np.ndarray, str, np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """m with the derived rows appended (flagged derived=True), sorted by patient, time, concept (stable)."""
    source = np.concatenate([rows for rows, _, _, _ in new])
    if len(source):
        ids = m["patient_id"].to_numpy()
        derived = pd.DataFrame({
            "patient_id": ids[source],
            "concept": np.concatenate([np.full(len(rows), name, dtype=object) for rows, name, _, _ in new]),
            "value": np.concatenate([v for _, _, v, _ in new]),
            "time": np.concatenate([t for _, _, _, t in new]),
            "derived": True})
        out = pd.concat([m, derived], ignore_index=True)
    else:
        out = m.copy()
    out["derived"] = out["derived"].astype(bool)
    time = out["time"].to_numpy()
    order = np.lexsort((_sorted_codes(out["concept"].to_numpy()), time.view(np.int64), np.isnat(time),
                        _sorted_codes(out["patient_id"].to_numpy())))
    return out.take(order).reset_index(drop=True)
