"""The features equal, bit for bit, those of the code before its numpy rewrite (loaded from git history), on the
sample patients, random records and tables made elsewhere."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from risk.features.build import build_features
from risk.features.tables import Tables, tables_from_records
from risk.record import Diagnosis, Measurement, Medication, PatientRecord
from risk.record.load import iter_records
from tests.features_baseline import baseline_modules
from tests.paths import SAMPLES


def random_records(seed: int, n: int) -> list[PatientRecord]:
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


def _ns(frame: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns in nanoseconds: under pandas 3 the old code's unit depended on each column's values (seconds
    when all empty); the new tables are always in nanoseconds (Tables' contract). Values are compared exactly."""
    stamps = [c for c in frame.columns if pd.api.types.is_datetime64_dtype(frame[c])]
    return frame.astype(dict.fromkeys(stamps, "datetime64[ns]")) if stamps else frame


def test_features_equal_the_code_before_the_numpy_rewrite(tmp_path):
    try:
        old_tables, old_build = baseline_modules(tmp_path)
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("the baseline commit is not in this clone's history")
    samples = [r for p in sorted(SAMPLES.glob("*.json*")) for r in iter_records(p)]
    records = samples + [replace(r, patient_id=f"{r.patient_id}-copy") for r in samples] + random_records(1, 60)
    old, new = old_tables.tables_from_records(records), tables_from_records(records)
    for name in ("patients", "measurements", "diagnoses", "medications", "encounters"):
        assert_frame_equal(getattr(new, name), _ns(getattr(old, name)), check_exact=True)
    per_patient = pd.Series(pd.Timestamp("2012-01-01") + pd.to_timedelta(np.arange(len(records)) * 37, unit="D"),
                            index=old.patients.index)
    for as_of in (pd.Timestamp("2026-12-07"), pd.Timestamp("2015-06-01"), per_patient):
        assert_frame_equal(_ns(build_features(new, as_of)), _ns(old_build.build_features(old, as_of)), check_exact=True)
    # Tables made elsewhere: times in seconds, rows of a patient the patients table does not hold
    m = new.measurements.assign(time=new.measurements["time"].astype("datetime64[s]"))
    m.loc[m.index[::7], "patient_id"] = "not-a-patient"
    odd = Tables(patients=new.patients, measurements=m, diagnoses=new.diagnoses, medications=new.medications,
                 encounters=new.encounters)
    assert_frame_equal(_ns(build_features(odd, pd.Timestamp("2026-12-07"))),
                       _ns(old_build.build_features(odd, pd.Timestamp("2026-12-07"))), check_exact=True)
