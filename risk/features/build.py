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
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype
from pandas.api.typing import SeriesGroupBy

from risk.equations.ckd_epi import ckd_epi_2021_array
from risk.features.tables import Tables
from risk.terminology.concepts import (
    ANTIHYPERTENSIVE_CLASSES,
    CARE_EVIDENCE_CONCEPTS,
    DIAGNOSIS_CONCEPTS,
    MEASUREMENT_CONCEPTS,
    MEDICATION_CONCEPTS,
    MEDICATION_GROUPS,
    NOT_CURRENT_SMOKER,
    SCREENING_HISTORY_CONCEPTS,
)
from risk.terminology.qrisk3 import QRISK3_DIAGNOSES, QRISK3_MEDICATIONS

NUMERIC_CONCEPTS = [c for c, spec in MEASUREMENT_CONCEPTS.items() if spec.numeric]
TREND_WINDOW_DAYS = 3 * 365.25  # slopes and SBP variability over the last 3 years
ESTABLISHED_CVD = ("myocardial_infarction", "myocardial_infarction_history", "coronary_heart_disease",
                   "coronary_revascularisation", "stroke", "stroke_ischaemic", "stroke_haemorrhagic", "tia",
                   "peripheral_arterial_disease")  # ESC 2021 prevention guideline definition of ASCVD
CKD_STAGE_CONCEPTS = {"ckd_stage_1": 1, "ckd_stage_2": 2, "ckd_stage_3": 3, "ckd_stage_4": 4, "ckd_stage_5": 5,
                      "esrd": 5, "kidney_transplant": 5}
DAY = np.timedelta64(1, "D")
# KDIGO 2012 (retained 2024) definition of CKD: abnormal kidney structure or function present for > 3 months.
CKD_PERSISTENCE_DAYS = 90
# An eGFR slope over less than a year is mostly noise (biological variation of creatinine ~5-8 %; KDIGO 2012
# Recommendation 2.1.3 judges progression on a sustained change): no slope over a shorter span (issue 12).
EGFR_SLOPE_MIN_SPAN_DAYS = 365
EXPOSURE_WINDOWS = (("sbp", 5), ("sbp", 10), ("total_chol", 10), ("ldl", 10), ("hba1c", 5), ("hba1c", 10))
LONG_TERM_WINDOW_YEARS = 10
# QRISK3 (BMJ 2017;357:j2099, Methods): SBP variability is the SD of the systolic readings recorded in the 5
# years before the assessment, with at least two readings; regular oral corticosteroids and atypical
# antipsychotics are at least two prescriptions, the latest no more than 28 days before the assessment.
QRISK3_SBP_SD_YEARS = 5
QRISK3_REGULAR_DAYS = 28
QRISK3_DX = (*QRISK3_DIAGNOSES, "family_history_chd_age_unknown")


def as_of_series(tables: Tables, as_of: date | pd.Timestamp | pd.Series | None) -> pd.Series:
    """Per-patient index date as the END of that day (tz-naive UTC): data recorded that day is known."""
    if isinstance(as_of, pd.Series):
        s = pd.to_datetime(as_of).reindex(tables.patients.index)
    else:
        day = pd.Timestamp(as_of or date.today())
        s = pd.Series(day, index=tables.patients.index)
    return s.dt.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def _known(df: pd.DataFrame, time_col: str, cutoff: pd.Series) -> pd.DataFrame:
    """Rows dated at or before the patient's as_of (undated rows are dropped)."""
    c = cutoff.reindex(df["patient_id"]).to_numpy()
    return df[df[time_col].to_numpy() <= c]


def _slopes(m: pd.DataFrame, concept: str, cutoff: pd.Series, min_span_days: float = 0.0) -> pd.Series:
    """Least-squares slope per year over the trend window (NaN with fewer than 2 distinct days, or when the
    values span less than `min_span_days`)."""
    sub = m[m["concept"] == concept]
    start = (cutoff - pd.Timedelta(days=TREND_WINDOW_DAYS)).reindex(sub["patient_id"]).to_numpy()
    sub = sub[sub["time"].to_numpy() >= start]
    if sub.empty:
        return pd.Series(dtype=float)
    t = (sub["time"] - pd.Timestamp("2000-01-01")) / DAY / 365.25
    g = pd.DataFrame({"pid": sub["patient_id"].to_numpy(), "t": t.to_numpy(), "v": sub["value"].to_numpy()})
    g["tt"], g["tv"] = g["t"] ** 2, g["t"] * g["v"]
    s = g.groupby("pid").agg(n=("t", "size"), st=("t", "sum"), sv=("v", "sum"), stt=("tt", "sum"),
                             stv=("tv", "sum"), t0=("t", "min"), t1=("t", "max"))
    denom = s["n"] * s["stt"] - s["st"] ** 2
    slope = (s["n"] * s["stv"] - s["st"] * s["sv"]) / denom.where(denom > 1e-9)
    return slope.where((s["n"] >= 2) & ((s["t1"] - s["t0"]) * 365.25 >= min_span_days))


def _ckd_epi_from_creatinine(m: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """CKD-EPI 2021 recomputed from every creatinine (adults of known sex), as `egfr` rows: one equation."""
    cr = m[(m["concept"] == "creatinine") & ~m["derived"]]
    pat = patients.reindex(cr["patient_id"])
    age = ((cr["time"].to_numpy() - pat["birth_date"].to_numpy()) / DAY) / 365.25
    ok = (age >= 18) & pat["sex"].isin(["male", "female"]).to_numpy()
    return pd.DataFrame({
        "patient_id": cr["patient_id"].to_numpy()[ok], "concept": "egfr", "time": cr["time"].to_numpy()[ok],
        "value": ckd_epi_2021_array((pat["sex"] == "male").to_numpy()[ok], age[ok], cr["value"].to_numpy()[ok]),
    })


def _egfr_slope(m: pd.DataFrame, from_creatinine: pd.DataFrame, cutoff: pd.Series) -> pd.Series:
    """eGFR slope from one equation over at least a year: CKD-EPI 2021 recomputed from every creatinine when that
    gives a slope, else the laboratory's reported eGFR values alone (issue 12: a slope across two equations, e.g.
    a lab's MDRD then CKD-EPI, measures the change of equation, not of the kidney)."""
    reported = m[(m["concept"] == "egfr") & ~m["derived"]]
    one_equation = _slopes(from_creatinine, "egfr", cutoff, EGFR_SLOPE_MIN_SPAN_DAYS)
    return one_equation.combine_first(_slopes(reported, "egfr", cutoff, EGFR_SLOPE_MIN_SPAN_DAYS))


def _egfr_persistent(m: pd.DataFrame, from_creatinine: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """(highest eGFR from the last value >= 3 months before the latest one up to the latest, that earlier
    value's date): a category holds only if it lasted more than 3 months (KDIGO CKD definition), so one acute
    fall after normal values is not CKD. Read in one series, the latest value's: CKD-EPI from creatinine when the
    latest eGFR was computed here, else the reported values (two equations would fake a fall or a rise). NaN/NaT
    when no value is that old."""
    e_all = m[m["concept"] == "egfr"]
    if e_all.empty:
        return pd.Series(np.nan, index=index), pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    latest_derived = e_all.sort_values("time", kind="stable").groupby("patient_id")["derived"].last()
    by_creatinine = latest_derived[latest_derived].index
    e = pd.concat([from_creatinine[from_creatinine["patient_id"].isin(by_creatinine)],
                   e_all[~e_all["derived"] & ~e_all["patient_id"].isin(by_creatinine)]], ignore_index=True)
    latest = e.groupby("patient_id")["time"].max()
    e = e.assign(latest=latest.reindex(e["patient_id"]).to_numpy())
    early = e[e["time"] <= e["latest"] - pd.Timedelta(days=CKD_PERSISTENCE_DAYS)]
    anchor = early.groupby("patient_id")["time"].max()
    e = e.assign(anchor=anchor.reindex(e["patient_id"]).to_numpy())
    held = e[e["time"] >= e["anchor"]].groupby("patient_id")["value"].max()
    return held.reindex(index).astype(float), anchor.reindex(index)


def build_features(tables: Tables, as_of: date | pd.Timestamp | pd.Series | None = None) -> pd.DataFrame:
    """One row per patient with the contract's columns, using only data dated at or before `as_of`."""
    pats = tables.patients
    cutoff = as_of_series(tables, as_of)
    index = pats.index
    out: dict[str, pd.Series] = {}  # columns, assembled once at the end (no fragmented DataFrame inserts)
    out["as_of"] = cutoff.dt.normalize()
    out["age"] = ((out["as_of"] - pats["birth_date"]) / DAY / 365.25).astype(float)
    out["sex_male"] = (pats["sex"] == "male").astype(int)

    m = _known(tables.measurements, "time", cutoff).sort_values(["patient_id", "time"], kind="stable")
    latest = m.drop_duplicates(["patient_id", "concept"], keep="last").set_index(["patient_id", "concept"])
    cut_days = out["as_of"]
    for concept in NUMERIC_CONCEPTS:
        if concept in latest.index.get_level_values(1):
            sub = latest.xs(concept, level="concept")
        else:
            sub = latest.iloc[0:0].droplevel("concept")
        out[concept] = sub["value"].reindex(index).astype(float)
        out[f"{concept}_date"] = sub["time"].reindex(index)
        out[f"{concept}_days"] = ((cut_days - out[f"{concept}_date"].dt.normalize()) / DAY).astype(float)
        out[f"{concept}_derived"] = sub["derived"].reindex(index).astype(float).fillna(0).astype(int)

    smoke = latest.xs("smoking_status", level="concept") if "smoking_status" in latest.index.get_level_values(
        1) else latest.iloc[0:0].droplevel("concept")
    status = smoke["value"].reindex(index)
    out["smoking_current"] = (status == 2).astype(float).where(status.notna())
    # 3 = "non-smoker" (SNOMED 8392000): not current, but never vs former unknown (risk.terminology.concepts)
    out["smoking_former"] = (status == 1).astype(float).where(status.notna() & (status != NOT_CURRENT_SMOKER))
    out["smoking_date"] = smoke["time"].reindex(index)

    sbp = m[m["concept"] == "sbp"]
    out["sbp_mean3"] = sbp.groupby("patient_id")["value"].apply(lambda v: v.tail(3).mean()).reindex(index)
    recent = sbp[sbp["time"].to_numpy() >= (cutoff - pd.Timedelta(days=TREND_WINDOW_DAYS)).reindex(
        sbp["patient_id"]).to_numpy()]
    out["sbp_sd"] = recent.groupby("patient_id")["value"].std().reindex(index)
    for concept in ("hba1c", "sbp", "bmi", "ldl"):
        out[f"{concept}_slope"] = _slopes(m, concept, cutoff).reindex(index)
    from_creatinine = _ckd_epi_from_creatinine(m, pats)
    out["egfr_slope"] = _egfr_slope(m, from_creatinine, cutoff).reindex(index)
    out["egfr_persistent"], out["egfr_persistent_date"] = _egfr_persistent(m, from_creatinine, index)
    # Cumulative exposure: long-term burden predicts events beyond the latest value (BP: Law 2003 / Stevens
    # BMJ 2016; cholesterol: Domanski JACC 2020 "time-weighted LDL"; HbA1c: UKPDS 35 updated mean).
    for concept, years in EXPOSURE_WINDOWS:
        out[f"{concept}_mean{years}y"] = _window(m, concept, cutoff, years).mean().reindex(index)
    # Visit-to-visit variability over a long window estimates a person's own variability far better than 3 years
    # of readings (SBP: Stevens BMJ 2016, HR ~1.1-1.2 per SD; LDL: Bangalore NEJM 2015 post hoc TNT, HR ~1.1-1.2
    # per SD). The 10-year peak is the exposure before treatment lowered it (treated values hide past burden).
    for concept in ("sbp", "ldl"):
        window = _window(m, concept, cutoff, LONG_TERM_WINDOW_YEARS)
        sd = window.std()
        out[f"{concept}_sd{LONG_TERM_WINDOW_YEARS}y"] = sd.where(window.count() >= 3).reindex(index)
        out[f"{concept}_max{LONG_TERM_WINDOW_YEARS}y"] = window.max().reindex(index)
    out["weight_change_1y"] = _weight_change(m, index)

    _diagnosis_features(out, tables, cutoff)
    _medication_features(out, tables, cutoff)
    _qrisk3_features(out, tables, cutoff, m)

    enc = _known(tables.encounters, "time", cutoff)
    days_before = ((cutoff.reindex(enc["patient_id"]).to_numpy() - enc["time"].to_numpy()) / DAY)
    for label, limit in (("visits_1y", 365.25), ("visits_5y", 5 * 365.25)):
        out[label] = pd.Series(days_before <= limit, index=enc["patient_id"].to_numpy()).groupby(
            level=0).sum().reindex(index).fillna(0).astype(int)
    return pd.DataFrame(out, index=index)


def _window(m: pd.DataFrame, concept: str, cutoff: pd.Series, years: int) -> SeriesGroupBy:
    """A concept's values over the `years` before as_of, grouped by patient (mean, SD, max: time-unweighted)."""
    sub = m[m["concept"] == concept]
    start = (cutoff - pd.Timedelta(days=365.25 * years)).reindex(sub["patient_id"]).to_numpy()
    return sub[sub["time"].to_numpy() >= start].groupby("patient_id")["value"]


def _weight_change(m: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Latest weight minus the latest weight 9-15 months before it (kg); NaN when there is none."""
    w = m[m["concept"] == "weight"]
    if w.empty:
        return pd.Series(np.nan, index=index)
    last = w.groupby("patient_id")["time"].max()
    lt = last.reindex(w["patient_id"]).to_numpy()
    gap = (lt - w["time"].to_numpy()) / DAY
    before = w[(gap >= 270) & (gap <= 455)].groupby("patient_id")["value"].last()
    latest_val = w.groupby("patient_id")["value"].last()
    return (latest_val - before).reindex(index)


def _presence(df: pd.DataFrame, index: pd.Index, concepts: tuple[str, ...]) -> pd.DataFrame:
    """0/1 table patient x concept: does the patient have at least one row of that concept."""
    if df.empty:
        return pd.DataFrame(0, index=index, columns=list(concepts))
    table = pd.crosstab(df["patient_id"], df["concept"]).clip(upper=1)
    return table.reindex(index=index, columns=list(concepts), fill_value=0).fillna(0).astype(int)


def _diagnosis_features(out: dict[str, pd.Series], tables: Tables, cutoff: pd.Series) -> None:
    """Ever diagnosed at as_of (history stays history: a resolved MI is still a prior MI)."""
    index = cutoff.index
    d = tables.diagnoses
    dated = _known(d.dropna(subset=["onset"]), "onset", cutoff)
    undated = d[d["onset"].isna()]
    d = pd.concat([dated, undated], ignore_index=True)
    first = d.groupby(["patient_id", "concept"])["onset"].min()
    flags = _presence(d, index, DIAGNOSIS_CONCEPTS + SCREENING_HISTORY_CONCEPTS)
    for concept in DIAGNOSIS_CONCEPTS + SCREENING_HISTORY_CONCEPTS:
        out[f"dx_{concept}"] = flags[concept]

    def first_onset(*concepts: str) -> pd.Series:
        sub = first[first.index.get_level_values(1).isin(concepts)]
        return sub.groupby(level=0).min().reindex(index)

    def any_of(*concepts: str) -> pd.Series:
        return pd.concat([out[f"dx_{c}"] for c in concepts], axis=1).max(axis=1).astype(int)

    out["diabetes_t2"] = any_of("diabetes_type2")
    out["diabetes_t1"] = any_of("diabetes_type1")
    out["diabetes_any"] = any_of("diabetes_any", "diabetes_type1", "diabetes_type2")
    dm_onset = first_onset("diabetes_any", "diabetes_type1", "diabetes_type2")
    out["diabetes_date"] = dm_onset
    out["diabetes_years"] = ((out["as_of"] - dm_onset) / DAY / 365.25).where(out["diabetes_any"] == 1)
    out["age_at_diabetes"] = (out["age"] - out["diabetes_years"]).where(out["diabetes_any"] == 1)
    out["prior_mi"] = any_of("myocardial_infarction", "myocardial_infarction_history")
    out["prior_mi_date"] = first_onset("myocardial_infarction", "myocardial_infarction_history")
    out["prior_stroke"] = any_of("stroke", "stroke_ischaemic", "stroke_haemorrhagic")
    out["prior_stroke_date"] = first_onset("stroke", "stroke_ischaemic", "stroke_haemorrhagic")
    out["prior_tia"] = any_of("tia")
    out["prior_pad"] = any_of("peripheral_arterial_disease")
    out["prior_chd"] = any_of("coronary_heart_disease", "coronary_revascularisation")
    out["prior_hf"] = any_of("heart_failure")
    out["prior_hf_date"] = first_onset("heart_failure")
    out["established_cvd"] = any_of(*ESTABLISHED_CVD)
    out["established_cvd_date"] = first_onset(*ESTABLISHED_CVD)
    out["hypertension"] = any_of("hypertension")
    out["af"] = any_of("atrial_fibrillation")
    stage_dx = np.zeros(len(index), dtype=float)
    for concept, stage in CKD_STAGE_CONCEPTS.items():
        stage_dx = np.maximum(stage_dx, out[f"dx_{concept}"].to_numpy() * stage)
    stage_dx = np.where((stage_dx == 0) & (out["dx_ckd"].to_numpy() == 1), np.nan, stage_dx)  # stage unknown
    # The eGFR that lasted more than 3 months when the record can tell, else the latest one (KDIGO 2012 GFR
    # categories G3a-G5; G1-G2 need markers of damage, so not inferred): one acute fall is not a CKD stage.
    egfr = out["egfr_persistent"].fillna(out["egfr"]).to_numpy()
    stage_gfr = np.select([egfr < 15, egfr < 30, egfr < 60], [5, 4, 3], default=0)
    stage_gfr = np.where(np.isnan(egfr), 0, stage_gfr)
    out["ckd_stage"] = pd.Series(np.fmax(stage_dx, stage_gfr), index=index)
    out["has_ckd"] = ((out["ckd_stage"].fillna(1) >= 1) | (out["dx_ckd"] == 1)).astype(int)
    for concept in CARE_EVIDENCE_CONCEPTS:
        last = d[d["concept"] == concept].groupby("patient_id")["onset"].max().reindex(index)
        out[f"last_{concept}_days"] = ((out["as_of"] - last.dt.normalize()) / DAY).astype(float)
    cytology = d[d["concept"] == "cervical_cytology"].dropna(subset=["onset"])
    out["n_cervical_cytology"] = cytology.assign(day=cytology["onset"].dt.normalize()).drop_duplicates(
        ["patient_id", "day"]).groupby("patient_id").size().reindex(index).fillna(0).astype(int)


def _medication_features(out: dict[str, pd.Series], tables: Tables, cutoff: pd.Series) -> None:
    """Active at as_of: started on or before as_of and not ended before it."""
    index = cutoff.index
    rx = tables.medications
    day_start = cutoff.dt.normalize().reindex(rx["patient_id"]).to_numpy()
    started = rx["start"].to_numpy() <= cutoff.reindex(rx["patient_id"]).to_numpy()
    ended_before = rx["end"].notna().to_numpy() & (rx["end"].dt.normalize().to_numpy() < day_start)
    flags = _presence(rx[started & ~ended_before], index, MEDICATION_CONCEPTS)
    for concept in MEDICATION_CONCEPTS:
        out[f"rx_{concept}"] = flags[concept]

    # One drug of a group, which one not known (an option pair; risk.terminology.concepts.MEDICATION_GROUPS)
    groups = _presence(rx[started & ~ended_before], index, tuple(MEDICATION_GROUPS))
    for group in MEDICATION_GROUPS:  # `rx_glucose_lowering`: that group only, the drug unknown
        out[f"rx_{group}"] = groups[group]

    def any_class(group: str) -> pd.Series:
        members = [out[f"rx_{x}"] for x in sorted(MEDICATION_GROUPS[group])]
        return pd.concat([*members, groups[group]], axis=1).max(axis=1).astype(int)

    out["on_statin"] = out["rx_statin"]
    out["on_antihypertensive"] = any_class("antihypertensive")
    # an unknown antihypertensive of an option pair is at least one class, maybe one already counted
    out["n_antihypertensive_classes"] = pd.concat(
        [out[f"rx_{x}"] for x in sorted(ANTIHYPERTENSIVE_CLASSES)], axis=1).sum(axis=1).clip(
        lower=groups["antihypertensive"])
    out["on_lipid_lowering"] = any_class("lipid_lowering")
    out["on_glucose_lowering"] = any_class("glucose_lowering")


def _qrisk3_features(out: dict[str, pd.Series], tables: Tables, cutoff: pd.Series, m: pd.DataFrame) -> None:
    """QRISK3's inputs that no other column holds, by the paper's definitions (see QRISK3_* above)."""
    index = cutoff.index
    window = _window(m, "sbp", cutoff, QRISK3_SBP_SD_YEARS)
    count = window.count()
    out["qrisk3_sbp_sd"] = window.std(ddof=1).where(count >= 2).reindex(index)
    out["qrisk3_sbp_sd_n"] = count.reindex(index).fillna(0).astype(int)
    sbp = m[m["concept"] == "sbp"]
    out["qrisk3_sbp_sd_date"] = sbp.groupby("patient_id")["time"].max().reindex(index).where(
        out["qrisk3_sbp_sd"].notna())
    # Cholesterol/HDL ratio: a total cholesterol and an HDL of the same day (a lipid panel), never a mix of days.
    day = m["time"].dt.normalize()
    tc = m[m["concept"] == "total_chol"].assign(day=day).drop_duplicates(["patient_id", "day"], keep="last")
    hdl = m[m["concept"] == "hdl"].assign(day=day).drop_duplicates(["patient_id", "day"], keep="last")
    pairs = tc.merge(hdl, on=["patient_id", "day"], suffixes=("_tc", "_hdl"))
    pairs = pairs[pairs["value_hdl"] > 0].sort_values("day").drop_duplicates("patient_id", keep="last")
    pairs = pairs.set_index("patient_id")
    out["chol_hdl_ratio"] = (pairs["value_tc"] / pairs["value_hdl"]).reindex(index).astype(float)
    out["chol_hdl_ratio_date"] = pairs[["time_tc", "time_hdl"]].max(axis=1).reindex(index)
    d = tables.diagnoses
    d = pd.concat([_known(d.dropna(subset=["onset"]), "onset", cutoff), d[d["onset"].isna()]], ignore_index=True)
    flags = _presence(d, index, QRISK3_DX)
    first = d[d["concept"].isin(QRISK3_DX)].groupby(["concept", "patient_id"])["onset"].min()
    for concept in QRISK3_DX:
        out[f"dx_{concept}"] = flags[concept]
        dates = first.xs(concept, level="concept") if concept in first.index.get_level_values(0) else None
        out[f"dx_{concept}_date"] = (pd.Series(pd.NaT, index=index, dtype="datetime64[ns]") if dates is None
                                     else dates.reindex(index))
    _qrisk3_treatments(out, tables, cutoff)


def _qrisk3_treatments(out: dict[str, pd.Series], tables: Tables, cutoff: pd.Series) -> None:
    """Regular treatment at as_of: a prescription active at as_of and either a second prescription of the class
    before it or the active one already running for QRISK3_REGULAR_DAYS (a one-off short course is not regular;
    a long-term MedicationStatement is: French records state periods rather than repeat prescriptions)."""
    index = cutoff.index
    rx = tables.medications[tables.medications["concept"].isin(QRISK3_MEDICATIONS)]
    end_of_day = cutoff.reindex(rx["patient_id"]).to_numpy()
    day_start = cutoff.dt.normalize().reindex(rx["patient_id"]).to_numpy()
    started = rx["start"].to_numpy() <= end_of_day
    active = started & ~(rx["end"].notna().to_numpy() & (rx["end"].dt.normalize().to_numpy() < day_start))
    running = active & (rx["start"].to_numpy() <= day_start - np.timedelta64(QRISK3_REGULAR_DAYS, "D"))
    frame = pd.DataFrame({"patient_id": rx["patient_id"].to_numpy(), "concept": rx["concept"].to_numpy(),
                          "started": started, "active": active, "running": running})
    per = frame.groupby(["patient_id", "concept"]).agg(n=("started", "sum"), active=("active", "any"),
                                                       running=("running", "any"))
    regular = per["active"] & ((per["n"] >= 2) | per["running"])
    for concept in QRISK3_MEDICATIONS:
        found = regular.xs(concept, level="concept") if concept in per.index.get_level_values(1) else None
        out[f"qrisk3_{concept}"] = (pd.Series(0, index=index) if found is None
                                    else found.astype(bool).reindex(index, fill_value=False).astype(int))


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
