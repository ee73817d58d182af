"""The numpy building blocks of the features give the very floats and dates pandas gave (the rewrite for
CDS Hooks micro-batches promised bit-identical features; tests/integration/test_features_equivalence.py compares
the whole features with the code before it)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from pandas.testing import assert_series_equal

from risk.features.build import _mean_of_last_three
from risk.features.grouped import StatSeries, day_start, series_stats
from risk.features.tables import (
    DIAGNOSIS_COLUMNS,
    ENCOUNTER_COLUMNS,
    MEASUREMENT_COLUMNS,
    MEDICATION_COLUMNS,
    _latest_height,
    tables_from_records,
)
from risk.record import Diagnosis, Measurement, Medication, PatientRecord


def test_mean_of_the_last_three_readings_is_the_same_float_as_pandas_tail_mean():
    rng = np.random.default_rng(3)
    rows = np.sort(rng.integers(0, 400, 3000))
    values = rng.normal(130, 20, 3000) * rng.choice([1.0, 1e-7, 1e7], 3000)
    values[rng.random(3000) < 0.1] = np.nan
    expected = pd.Series(values).groupby(rows).apply(lambda v: v.tail(3).mean()).reindex(range(400))
    got = pd.Series(_mean_of_last_three(rows, values, 400))
    assert_series_equal(got, expected, check_exact=True, check_index=False, check_names=False)


def test_day_start_is_midnight_before_and_after_1970_as_pandas_normalize():
    times = pd.Series(pd.to_datetime(["1965-03-04 13:00:00", "1969-12-31 23:59:59", "1970-01-01 00:00:00",
                                      "2026-12-07 08:30:00", None]))
    assert np.array_equal(day_start(times.to_numpy()), times.dt.normalize().to_numpy(), equal_nan=True)


def test_stacked_series_sums_means_and_sds_equal_one_groupby_per_series():
    rng = np.random.default_rng(5)
    series = []
    for _ in range(3):
        rows = np.sort(rng.integers(0, 50, 300))
        times = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 4000, 300), unit="D")
        series.append(StatSeries(rows=rows, times=times.to_numpy(), values=rng.normal(5, 2, 300)))
    stats = series_stats(series, 50)
    for k, s in enumerate(series):
        by_patient = pd.Series(s.values).groupby(s.rows)
        for got, expected in ((stats.mean[k], by_patient.mean()), (stats.std[k], by_patient.std()),
                              (stats.sum_v[k], by_patient.sum()), (stats.max[k], by_patient.max())):
            assert np.array_equal(got[expected.index], expected.to_numpy(), equal_nan=True)  # exact, not close
        assert np.array_equal(stats.size[k][by_patient.size().index], by_patient.size().to_numpy())


def test_bmi_takes_the_height_merge_asof_takes_even_when_heights_tie():
    rng = np.random.default_rng(8)
    n = 400
    who = rng.integers(0, 20, n)
    time = (pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 30, n), unit="D")).to_numpy()
    h, w = np.flatnonzero(rng.random(n) < 0.5), None
    w = np.setdiff1d(np.arange(n), h)
    left = pd.DataFrame({"who": who[w], "time": time[w], "row": w}).sort_values("time")
    right = pd.DataFrame({"who": who[h], "time": time[h], "height_row": h}).sort_values("time")
    expected = pd.merge_asof(left, right, on="time", by="who", direction="backward").set_index("row")["height_row"]
    got = pd.Series(_latest_height(w, h, who, time), index=w).replace(-1, np.nan)
    assert_series_equal(got.sort_index(), expected.sort_index().astype(float), check_names=False,
                        check_index_type=False)


def test_tables_hold_the_documented_columns_and_dtypes():
    born = date(1960, 6, 1)
    when = datetime(2020, 1, 1, tzinfo=UTC)
    record = PatientRecord(patient_id="a", sex="female", birth_date=born,
                           measurements=(Measurement(concept="creatinine", value=80.0, unit="umol/L", time=when),),
                           diagnoses=(Diagnosis(concept="tia", onset=when),),
                           medications=(Medication(concept="statin", start=when),))
    t = tables_from_records([record])
    assert list(t.patients.columns) == ["sex", "birth_date", "deceased"] and t.patients.index.name == "patient_id"
    for frame, columns in ((t.measurements, MEASUREMENT_COLUMNS), (t.diagnoses, DIAGNOSIS_COLUMNS),
                           (t.medications, MEDICATION_COLUMNS), (t.encounters, ENCOUNTER_COLUMNS)):
        assert list(frame.columns) == columns
    assert t.measurements["value"].dtype == float and t.measurements["derived"].dtype == bool
    assert str(t.measurements["time"].dtype) == "datetime64[ns]"
