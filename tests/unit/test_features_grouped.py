"""The numpy building blocks of the features give the very floats and dates pandas gave (the rewrite for
CDS Hooks micro-batches promised bit-identical features), and the whole features equal the code before it."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from risk.features.build import _mean_of_last_three, build_features
from risk.features.grouped import StatSeries, day_start, series_stats
from risk.features.tables import _latest_height, tables_from_records
from risk.record import Diagnosis, Measurement, Medication, PatientRecord
from risk.record.load import iter_records
from tests.features_baseline import baseline_modules
from tests.paths import SAMPLES


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


def _random_records(seed: int, n: int) -> list[PatientRecord]:
    rng = np.random.default_rng(seed)
    concepts = ["sbp", "total_chol", "hdl", "non_hdl", "hba1c", "creatinine", "egfr", "weight", "height", "ldl",
                "bmi", "smoking_status"]
    records = []
    for i in range(n):
        days = sorted(int(d) for d in rng.integers(0, 6000, 30))
        measurements = tuple(
            Measurement(concept=str(rng.choice(concepts)), value=float(rng.choice([1.0, 2.0, 5.5, 80.0, 170.0])),
                        unit="x", time=datetime(2008, 1, 1, tzinfo=UTC) + timedelta(days=d, hours=int(h)))
            for d, h in zip(days, rng.choice([0, 0, 9], 30), strict=True))
        diagnoses = tuple(Diagnosis(concept=str(c), onset=None if rng.random() < 0.2 else
                                    datetime(2000, 1, 1, tzinfo=UTC) + timedelta(days=int(rng.integers(0, 9000))))
                          for c in rng.choice(["diabetes_type2", "myocardial_infarction", "migraine", "tia"], 3))
        medications = tuple(Medication(concept=str(c), start=datetime(2010, 1, 1, tzinfo=UTC)
                                       + timedelta(days=int(rng.integers(0, 6000))))
                            for c in rng.choice(["statin", "oral_corticosteroid", "antihypertensive"], 3))
        records.append(PatientRecord(patient_id=f"r{i}", sex=str(rng.choice(["male", "female", "unknown"])),
                                     birth_date=date(int(rng.integers(1930, 2000)), 6, 1), measurements=measurements,
                                     diagnoses=diagnoses, medications=medications))
    return records


@pytest.mark.slow
def test_features_equal_the_code_before_the_numpy_rewrite(tmp_path):
    try:
        old_tables, old_build = baseline_modules(tmp_path)
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("the baseline commit is not in this clone's history")
    samples = [r for p in sorted(SAMPLES.glob("*.json*")) for r in iter_records(p)]
    records = samples + [replace(r, patient_id=f"{r.patient_id}-copy") for r in samples] + _random_records(1, 60)
    old, new = old_tables.tables_from_records(records), tables_from_records(records)
    for name in ("patients", "measurements", "diagnoses", "medications", "encounters"):
        assert_frame_equal(getattr(new, name), getattr(old, name), check_exact=True)
    per_patient = pd.Series(pd.Timestamp("2012-01-01") + pd.to_timedelta(np.arange(len(records)) * 37, unit="D"),
                            index=old.patients.index)
    for as_of in (pd.Timestamp("2026-12-07"), pd.Timestamp("2015-06-01"), per_patient):
        assert_frame_equal(build_features(new, as_of), old_build.build_features(old, as_of), check_exact=True)
