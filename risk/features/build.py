"""Features at an index date, one vectorised function for one patient, a panel and training.

CONTRACT (other modules rely on these column names; one row per patient, index `patient_id`):
- demographics: `age` (years, float), `sex_male` (0/1), `as_of` (Timestamp)
- for each numeric measurement concept C in risk.terminology.concepts.MEASUREMENT_CONCEPTS (sbp, dbp, total_chol, hdl,
  ldl, non_hdl, triglycerides, glucose, hba1c, creatinine, egfr, uacr, bmi, weight, height, heart_rate,
  albumin, calcium, phosphate, bicarbonate):
  `C` latest value at or before as_of (canonical unit, NaN when none), `C_date` (Timestamp),
  `C_days` (days between C_date and as_of), `C_derived` (0/1: computed here, e.g. eGFR from creatinine)
- `smoking_current`, `smoking_former` (0/1; NaN when no smoking status recorded), `smoking_date`
- trends: `sbp_mean3` (mean of the last three SBP), `sbp_sd` (SD of SBP over the last 3 years),
  `hba1c_slope` (per year, least squares over the last 3 years, NaN with < 2 points), `egfr_slope` (the same,
  from one equation only and over at least a year: CKD-EPI 2021 from every creatinine, else the reported eGFR
  values, never a mix), `bmi_slope`, `weight_change_1y` (kg, latest minus value ~1 year before)
- `egfr_persistent` (the highest eGFR from the last value at least 3 months before the latest one to the latest,
  in the latest value's series, CKD-EPI from creatinine or reported: below 60 only when it has stayed below 60
  for more than 3 months, KDIGO 2012/2024; NaN without such an earlier value) and `egfr_persistent_date` (that
  earlier value's date)
- cumulative exposure: `sbp_mean5y`, `sbp_mean10y`, `total_chol_mean10y`, `ldl_mean10y`, `hba1c_mean5y`,
  `hba1c_mean10y` (mean of the values recorded in that window); long-term variability and peak:
  `sbp_sd10y`, `ldl_sd10y` (SD over 10 years, NaN with fewer than 3 values), `sbp_max10y`, `ldl_max10y`
- diagnoses (0/1 at as_of): `dx_<concept>` for each of risk.terminology.concepts.DIAGNOSIS_CONCEPTS, plus summaries:
  `diabetes_t2`, `diabetes_t1`, `diabetes_any`, `diabetes_years` (duration at as_of), `age_at_diabetes`,
  `prior_mi`, `prior_stroke` (incl. TIA? no: `prior_tia` separate), `prior_pad`, `prior_hf`, `prior_chd`,
  `established_cvd` (MI, CHD, revascularisation, stroke, TIA, PAD), `ckd_stage` (0, 1..5 from diagnoses or
  eGFR), `hypertension`, `af`
- medications active at as_of (0/1): `rx_<class>` for each class in risk.terminology.concepts.MEDICATION_CONCEPTS and
  `rx_<group>` for each of its MEDICATION_GROUPS (one drug of the group, which one not known: an option pair), plus
  `on_statin`, `on_antihypertensive`, `on_lipid_lowering`, `on_glucose_lowering`, `n_antihypertensive_classes`
- utilisation: `visits_1y`, `visits_5y`
- care-gap evidence: `last_<concept>_days` (days since the latest evidence, NaN when never) for each of
  risk.terminology.concepts.CARE_EVIDENCE_CONCEPTS; `n_cervical_cytology` (days with a cervical cytology: the
  first two at 25-29 are a year apart, HAS 2019)
- screening history (0/1 at as_of): `dx_<concept>` for each of risk.terminology.concepts.SCREENING_HISTORY_CONCEPTS
- QRISK3's own inputs (Hippisley-Cox et al., BMJ 2017;357:j2099, Methods): `qrisk3_sbp_sd` (SD of the systolic
  readings of the 5 years before as_of, NaN with fewer than two), `qrisk3_sbp_sd_n`, `qrisk3_sbp_sd_date`;
  `chol_hdl_ratio` and `chol_hdl_ratio_date` (latest total cholesterol / HDL measured the same day);
  `dx_<concept>` and `dx_<concept>_date` for each of risk.terminology.qrisk3.QRISK3_DIAGNOSES and
  `family_history_chd_age_unknown`; `qrisk3_<class>` (0/1: regular treatment, see _qrisk3_treatments) for
  `oral_corticosteroid` and `atypical_antipsychotic`; `cigarettes_per_day` is a measurement concept (above)

Nothing dated after `as_of` reaches any column.

Each table is read once into numpy columns and every aggregate is one operation over all patients and concepts
(risk.features.grouped says why: the fixed cost of a call for a CDS Hooks micro-batch, and how the values stay
bit-identical to the pandas groupbys they replace). Diagnoses and medications: risk.features.coded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from risk.equations.ckd_epi import ckd_epi_2021_array
from risk.features.coded import (  # noqa: F401 (ESTABLISHED_CVD, CKD_STAGE_CONCEPTS: part of this module's API)
    CKD_STAGE_CONCEPTS,
    ESTABLISHED_CVD,
    QRISK3_REGULAR_DAYS,
    Diagnoses,
    Prescriptions,
    diagnosis_features,
    medication_features,
    qrisk3_treatments,
)
from risk.features.grouped import (
    NAT,
    Cohort,
    SeriesStats,
    StatSeries,
    assemble,
    day_start,
    days,
    latest_row,
    latest_time,
    nat_like,
    row_max,
    series_stats,
    take_or,
)
from risk.features.tables import Tables
from risk.terminology.concepts import MEASUREMENT_CONCEPTS, NOT_CURRENT_SMOKER
from risk.terminology.qrisk3 import QRISK3_DIAGNOSES

NUMERIC_CONCEPTS = [c for c, spec in MEASUREMENT_CONCEPTS.items() if spec.numeric]
TREND_WINDOW_DAYS = 3 * 365.25  # slopes and SBP variability over the last 3 years
# KDIGO 2012 (retained 2024) definition of CKD: abnormal kidney structure or function present for > 3 months.
CKD_PERSISTENCE_DAYS = 90
# An eGFR slope over less than a year is mostly noise (biological variation of creatinine ~5-8 %; KDIGO 2012
# Recommendation 2.1.3 judges progression on a sustained change): no slope over a shorter span (issue 12).
EGFR_SLOPE_MIN_SPAN_DAYS = 365
EXPOSURE_WINDOWS = (("sbp", 5), ("sbp", 10), ("total_chol", 10), ("ldl", 10), ("hba1c", 5), ("hba1c", 10))
LONG_TERM_WINDOW_YEARS = 10
# QRISK3 (BMJ 2017;357:j2099, Methods): SBP variability is the SD of the systolic readings recorded in the 5
# years before the assessment, with at least two readings (regular treatments: risk.features.coded).
QRISK3_SBP_SD_YEARS = 5
QRISK3_DX = (*QRISK3_DIAGNOSES, "family_history_chd_age_unknown")
SLOPE_CONCEPTS = ("hba1c", "sbp", "bmi", "ldl")
# Measurement concepts read here: the latest value of each, and every other use is one of them.
READ_CONCEPTS = (*NUMERIC_CONCEPTS, "smoking_status")
_CONCEPT = {c: j for j, c in enumerate(READ_CONCEPTS)}
_READ_INDEX = pd.Index(READ_CONCEPTS)


def as_of_series(tables: Tables, as_of: date | pd.Timestamp | pd.Series | None) -> pd.Series:
    """Per-patient index date as the END of that day (tz-naive UTC): data recorded that day is known."""
    if isinstance(as_of, pd.Series):
        s = pd.to_datetime(as_of).reindex(tables.patients.index)
    else:
        day = pd.Timestamp(as_of or date.today())
        s = pd.Series(day, index=tables.patients.index)
    return s.dt.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


@dataclass(frozen=True)
class _Measurements:
    """Measurements of READ_CONCEPTS dated at or before their patient's as_of, sorted by patient then time (ties
    in table order), as numpy columns."""

    rows: np.ndarray  # patient position
    concept: np.ndarray  # position in READ_CONCEPTS
    value: np.ndarray
    time: np.ndarray  # datetime64, the table's own unit (float day counts depend on it, as in pandas)
    derived: np.ndarray  # bool
    latest: np.ndarray  # (patients, READ_CONCEPTS): row number of the latest value, -1 when none

    @staticmethod
    def known(m: pd.DataFrame, cohort: Cohort) -> _Measurements:
        concept = _READ_INDEX.get_indexer(m["concept"])
        rows = cohort.rows(m["patient_id"])
        time = m["time"].to_numpy()
        keep = np.flatnonzero((concept >= 0) & (time <= cohort.end_of(rows)))
        keep = keep[np.lexsort((time[keep].view(np.int64), rows[keep]))]  # stable: ties stay in table order
        rows, concept = rows[keep], concept[keep]
        latest = latest_row(cohort.n * len(READ_CONCEPTS), rows * len(READ_CONCEPTS) + concept)
        return _Measurements(rows=rows, concept=concept, value=m["value"].to_numpy(dtype=float)[keep],
                             time=time[keep], derived=m["derived"].to_numpy(dtype=bool)[keep],
                             latest=latest.reshape(cohort.n, len(READ_CONCEPTS)))

    def of(self, concept: str) -> np.ndarray:
        """Row numbers of one concept, in order."""
        return np.flatnonzero(self.concept == _CONCEPT[concept])

    def latest_of(self, concept: str) -> np.ndarray:
        return self.latest[:, _CONCEPT[concept]]

    def in_window(self, rows: np.ndarray, cohort: Cohort, window_days: float) -> np.ndarray:
        """The given row numbers dated within the `window_days` before their patient's as_of."""
        return rows[self.time[rows] >= cohort.since(self.rows[rows], window_days)]

    def series(self, rows: np.ndarray, values: np.ndarray | None = None) -> StatSeries:
        return StatSeries(rows=self.rows[rows], times=self.time[rows],
                          values=self.value[rows] if values is None else values)


def build_features(tables: Tables, as_of: date | pd.Timestamp | pd.Series | None = None) -> pd.DataFrame:
    """One row per patient with the contract's columns, using only data dated at or before `as_of`."""
    pats = tables.patients
    cutoff = as_of_series(tables, as_of)
    cohort = Cohort(index=pats.index, end=cutoff.to_numpy(), day=cutoff.dt.normalize().to_numpy())
    n = cohort.n
    out: dict[str, np.ndarray] = {}  # columns, assembled once at the end
    out["as_of"] = cohort.day
    out["age"] = days(cohort.day - pats["birth_date"].to_numpy()) / 365.25
    out["sex_male"] = (pats["sex"] == "male").to_numpy().astype(int)

    m = _Measurements.known(tables.measurements, cohort)
    for concept in NUMERIC_CONCEPTS:
        latest = m.latest_of(concept)
        out[concept] = take_or(m.value, latest, np.nan)
        out[f"{concept}_date"] = take_or(m.time, latest, NAT)
        out[f"{concept}_days"] = days(cohort.day - day_start(out[f"{concept}_date"]))
        out[f"{concept}_derived"] = take_or(m.derived, latest, False).astype(int)

    smoke = m.latest_of("smoking_status")
    status = take_or(m.value, smoke, np.nan)
    known_status = ~np.isnan(status)
    out["smoking_current"] = np.where(known_status, (status == 2).astype(float), np.nan)
    # 3 = "non-smoker" (SNOMED 8392000): not current, but never vs former unknown (risk.terminology.concepts)
    out["smoking_former"] = np.where(known_status & (status != NOT_CURRENT_SMOKER), (status == 1).astype(float),
                                     np.nan)
    out["smoking_date"] = take_or(m.time, smoke, NAT)

    sbp = m.of("sbp")
    out["sbp_mean3"] = _mean_of_last_three(m.rows[sbp], m.value[sbp], n)
    from_creatinine = _ckd_epi_from_creatinine(m, pats)
    stats = _series_stats(m, from_creatinine, cohort)
    out["sbp_sd"] = stats.std[_window("sbp", TREND_WINDOW_DAYS)]
    for concept in SLOPE_CONCEPTS:
        out[f"{concept}_slope"] = _slope(stats, concept)
    # eGFR slope from one equation over at least a year: CKD-EPI 2021 recomputed from every creatinine when that
    # gives a slope, else the laboratory's reported eGFR values alone (issue 12: a slope across two equations,
    # e.g. a lab's MDRD then CKD-EPI, measures the change of equation, not of the kidney).
    one_equation = _slope(stats, "egfr_from_creatinine", EGFR_SLOPE_MIN_SPAN_DAYS)
    reported = _slope(stats, "egfr_reported", EGFR_SLOPE_MIN_SPAN_DAYS)
    out["egfr_slope"] = np.where(np.isnan(one_equation), reported, one_equation)
    out["egfr_persistent"], out["egfr_persistent_date"] = _egfr_persistent(m, from_creatinine, n)
    # Cumulative exposure: long-term burden predicts events beyond the latest value (BP: Law 2003 / Stevens
    # BMJ 2016; cholesterol: Domanski JACC 2020 "time-weighted LDL"; HbA1c: UKPDS 35 updated mean).
    for concept, years in EXPOSURE_WINDOWS:
        out[f"{concept}_mean{years}y"] = stats.mean[_window(concept, 365.25 * years)]
    # Visit-to-visit variability over a long window estimates a person's own variability far better than 3 years
    # of readings (SBP: Stevens BMJ 2016, HR ~1.1-1.2 per SD; LDL: Bangalore NEJM 2015 post hoc TNT, HR ~1.1-1.2
    # per SD). The 10-year peak is the exposure before treatment lowered it (treated values hide past burden).
    for concept in ("sbp", "ldl"):
        w = _window(concept, 365.25 * LONG_TERM_WINDOW_YEARS)
        out[f"{concept}_sd{LONG_TERM_WINDOW_YEARS}y"] = np.where(stats.count[w] >= 3, stats.std[w], np.nan)
        out[f"{concept}_max{LONG_TERM_WINDOW_YEARS}y"] = stats.max[w]
    out["weight_change_1y"] = _weight_change(m, n)

    dx = Diagnoses.known(tables.diagnoses, cohort)
    rx = Prescriptions.of(tables.medications, cohort)
    diagnosis_features(out, dx, n)
    medication_features(out, rx, n)
    _qrisk3_features(out, dx, rx, cohort, m, stats)

    e = tables.encounters
    rows = cohort.rows(e["patient_id"])
    time = e["time"].to_numpy()
    end = cohort.end_of(rows)
    days_before = days(end - time)
    for label, limit in (("visits_1y", 365.25), ("visits_5y", 5 * 365.25)):
        counted = (time <= end) & (days_before <= limit)
        out[label] = np.bincount(rows[counted], minlength=n).astype(int)
    return assemble(out, pats.index)


# The per-patient series whose sums, means and SDs come from one groupby (risk.features.grouped.series_stats):
# windows (concept, days before as_of: SBP variability, exposure means, long-term SD and peak, QRISK3's SBP SD),
# then the least-squares slopes over the trend window.
_WINDOWS = (("sbp", TREND_WINDOW_DAYS), ("sbp", 365.25 * QRISK3_SBP_SD_YEARS),
            ("sbp", 365.25 * LONG_TERM_WINDOW_YEARS), ("total_chol", 365.25 * 10), ("ldl", 365.25 * 10),
            ("hba1c", 365.25 * 5), ("hba1c", 365.25 * 10))
_SLOPES = (*SLOPE_CONCEPTS, "egfr_from_creatinine", "egfr_reported")


def _window(concept: str, window_days: float) -> int:
    return _WINDOWS.index((concept, window_days))


@dataclass(frozen=True)
class _Creatinine:
    """CKD-EPI 2021 recomputed from every reported creatinine (adults of known sex): one equation."""

    rows: np.ndarray  # row numbers in _Measurements
    egfr: np.ndarray


def _ckd_epi_from_creatinine(m: _Measurements, patients: pd.DataFrame) -> _Creatinine:
    rows = m.of("creatinine")
    rows = rows[~m.derived[rows]]
    who = m.rows[rows]
    age = days(m.time[rows] - patients["birth_date"].to_numpy()[who]) / 365.25
    sex = patients["sex"]
    male, female = (sex == "male").to_numpy()[who], (sex == "female").to_numpy()[who]
    ok = (age >= 18) & (male | female)
    return _Creatinine(rows=rows[ok], egfr=ckd_epi_2021_array(male[ok], age[ok], m.value[rows][ok]))


def _series_stats(m: _Measurements, from_creatinine: _Creatinine, cohort: Cohort) -> SeriesStats:
    """series_stats of _WINDOWS then _SLOPES."""
    series = [m.series(m.in_window(m.of(c), cohort, d)) for c, d in _WINDOWS]
    series += [m.series(m.in_window(m.of(c), cohort, TREND_WINDOW_DAYS)) for c in SLOPE_CONCEPTS]
    rows = from_creatinine.rows
    recent = m.time[rows] >= cohort.since(m.rows[rows], TREND_WINDOW_DAYS)
    series.append(m.series(rows[recent], from_creatinine.egfr[recent]))
    egfr = m.of("egfr")
    series.append(m.series(m.in_window(egfr[~m.derived[egfr]], cohort, TREND_WINDOW_DAYS)))
    return series_stats(series, cohort.n)


def _slope(stats: SeriesStats, name: str, min_span_days: float = 0.0) -> np.ndarray:
    """Least-squares slope per year over the trend window (NaN with fewer than 2 distinct days, or when the
    values span less than `min_span_days`)."""
    s = len(_WINDOWS) + _SLOPES.index(name)
    n, st, sv, stt, stv = stats.size[s], stats.sum_t[s], stats.sum_v[s], stats.sum_tt[s], stats.sum_tv[s]
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = n * stt - st ** 2
        slope = (n * stv - st * sv) / np.where(denom > 1e-9, denom, np.nan)
        return np.where((n >= 2) & ((stats.t_max[s] - stats.t_min[s]) * 365.25 >= min_span_days), slope, np.nan)


def _mean_of_last_three(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of each patient's last three values (rows sorted by patient then time), NaN ignored: the values in a
    (patients, 3) array summed along the row, the same numpy sum as `Series.tail(3).mean()`."""
    counts = np.bincount(rows, minlength=n)
    from_end = (np.cumsum(counts) - 1)[rows] - np.arange(len(rows))
    last3 = np.zeros((n, 3))
    valid = np.zeros(n, dtype=np.int64)
    for k in range(3):
        sel = (from_end == k) & ~np.isnan(values)
        last3[rows[sel], 2 - k] = values[sel]
        valid += np.bincount(rows[sel], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid > 0, last3.sum(axis=1) / valid, np.nan)


def _egfr_persistent(m: _Measurements, from_creatinine: _Creatinine, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(highest eGFR from the last value >= 3 months before the latest one up to the latest, that earlier
    value's date): a category holds only if it lasted more than 3 months (KDIGO CKD definition), so one acute
    fall after normal values is not CKD. Read in one series, the latest value's: CKD-EPI from creatinine when the
    latest eGFR was computed here, else the reported values (two equations would fake a fall or a rise). NaN/NaT
    when no value is that old."""
    by_creatinine = take_or(m.derived, m.latest_of("egfr"), False)
    cr = from_creatinine.rows
    cr_keep = by_creatinine[m.rows[cr]]
    egfr = m.of("egfr")
    reported = egfr[~m.derived[egfr] & ~by_creatinine[m.rows[egfr]]]
    rows = np.concatenate([m.rows[cr[cr_keep]], m.rows[reported]])
    time = np.concatenate([m.time[cr[cr_keep]], m.time[reported]])
    value = np.concatenate([from_creatinine.egfr[cr_keep], m.value[reported]])
    latest = latest_time(n, rows, time)
    early = time <= latest[rows] - pd.Timedelta(days=CKD_PERSISTENCE_DAYS).to_timedelta64()
    anchor = latest_time(n, rows[early], time[early])
    held = time >= anchor[rows]
    return row_max(n, rows[held], value[held]), anchor


def _weight_change(m: _Measurements, n: int) -> np.ndarray:
    """Latest weight minus the latest weight 9-15 months before it (kg); NaN when there is none."""
    w = m.of("weight")
    rows = m.rows[w]
    last = take_or(m.time, m.latest_of("weight"), NAT)
    gap = days(last[rows] - m.time[w])
    valid = ~np.isnan(m.value[w])  # as groupby last: the last value that is not NaN
    before = latest_row(n + 1, np.where(valid & (gap >= 270) & (gap <= 455), rows, n))[:n]  # n: not counted
    latest = latest_row(n + 1, np.where(valid, rows, n))[:n]
    return take_or(m.value[w], latest, np.nan) - take_or(m.value[w], before, np.nan)


def _qrisk3_features(out: dict[str, np.ndarray], diagnoses: Diagnoses, prescriptions: Prescriptions,
                     cohort: Cohort, m: _Measurements, stats: SeriesStats) -> None:
    """QRISK3's inputs that no other column holds, by the paper's definitions (see QRISK3_* above)."""
    w = _window("sbp", 365.25 * QRISK3_SBP_SD_YEARS)
    count = stats.count[w]
    out["qrisk3_sbp_sd"] = np.where(count >= 2, stats.std[w], np.nan)
    out["qrisk3_sbp_sd_n"] = count.astype(int)
    out["qrisk3_sbp_sd_date"] = np.where(np.isnan(out["qrisk3_sbp_sd"]), nat_like(out["sbp_date"]), out["sbp_date"])
    out["chol_hdl_ratio"], out["chol_hdl_ratio_date"] = _chol_hdl_ratio(m, cohort.n)
    dx = diagnoses.by_concept
    for c in QRISK3_DX:
        out[f"dx_{c}"] = dx.flag(c)
        out[f"dx_{c}_date"] = dx.first_of(c) if c in dx.column else np.full(cohort.n, NAT)  # ns, as before
    qrisk3_treatments(out, prescriptions, cohort)


def _chol_hdl_ratio(m: _Measurements, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Latest total cholesterol / HDL of the same day (a lipid panel, never a mix of days) and its date: per
    patient and day the last value of each (in time order), the latest day with both and HDL > 0."""
    tc, hdl = m.of("total_chol"), m.of("hdl")
    day = m.time.astype("datetime64[D]")
    day_code = pd.factorize(day)[0]  # (patient, day) as one number below: patient * days + day code
    panel_day = m.rows * (len(day) + 1) + day_code
    tc, hdl = _last_of_day(tc, panel_day), _last_of_day(hdl, panel_day)
    _, i_tc, i_hdl = np.intersect1d(panel_day[tc], panel_day[hdl], assume_unique=True, return_indices=True)
    tc, hdl = tc[i_tc], hdl[i_hdl]
    ok = m.value[hdl] > 0
    tc, hdl = tc[ok], hdl[ok]
    order = np.argsort(day[tc], kind="stable")  # then the pair of the latest day is the patient's last
    tc, hdl = tc[order], hdl[order]
    latest = latest_row(n, m.rows[tc])
    pick_tc, pick_hdl = take_or(tc, latest, -1), take_or(hdl, latest, -1)
    ratio = take_or(m.value, pick_tc, np.nan) / take_or(m.value, pick_hdl, np.nan)
    return ratio, np.maximum(take_or(m.time, pick_tc, NAT), take_or(m.time, pick_hdl, NAT))


def _last_of_day(rows: np.ndarray, panel_day: np.ndarray) -> np.ndarray:
    """Of rows sorted by patient then time, the last of each (patient, day)."""
    key = panel_day[rows]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    return rows[last]


def row_frame(row: pd.Series) -> pd.DataFrame:
    """One features row as a one-row frame with numeric dtypes (dates kept as timestamps): what the models,
    the what-if and the healthy peer take for one patient. Built from two 2-D blocks (numbers, dates), not column
    by column: a per-column frame cost milliseconds per patient, paid twice per assessment."""
    dates = [c for c in row.index if c == "as_of" or c.endswith("_date")]
    numeric = pd.to_numeric(row.drop(dates), errors="coerce").astype(float)
    frame = pd.DataFrame(numeric.to_numpy()[np.newaxis, :], columns=numeric.index, index=[row.name])
    if dates:  # one conversion of all the dates, one concat
        stamps = pd.Series([row[c] for c in dates], dtype="datetime64[ns]").to_numpy()
        frame = pd.concat([frame, pd.DataFrame(stamps[np.newaxis, :], columns=dates, index=frame.index)], axis=1)
    return frame[list(row.index)]


def model_frames(features: pd.DataFrame) -> pd.DataFrame:
    """`row_frame` for every row at once (same dtypes, same values): a panel slices one row per patient from it
    instead of rebuilding a one-row frame from each row. Columns already numeric skip pd.to_numeric (it returns
    them unchanged), which was most of the cost on a small batch."""
    dates = [c for c in features.columns if c == "as_of" or c.endswith("_date")]
    plain = features.drop(columns=dates)
    odd = {c: pd.to_numeric(plain[c], errors="coerce") for c, t in plain.dtypes.items() if not is_numeric_dtype(t)}
    numeric = (plain.assign(**odd) if odd else plain).astype(float)
    stamps = features[dates].astype("datetime64[ns]")  # one conversion per block, not per column
    frame = pd.concat([numeric, stamps], axis=1)[list(features.columns)]
    frame.index.name = None  # as row_frame: the patient id is the index value, not a named level
    return frame
