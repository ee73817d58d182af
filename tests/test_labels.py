"""Outcome labels from the FHIR timeline: first event within the horizon, censoring, competing death."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from risk.features.build import build_features
from risk.features.tables import tables_from_records
from risk.models.outcomes import ipcw_targets, label
from risk.record import Diagnosis, Encounter, Measurement, PatientRecord

INDEX = date(2015, 1, 1)


def at(y: int, m: int = 1, d: int = 1) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


def person(pid: str, *, diagnoses=(), deceased=None, last_visit=None, measurements=()) -> PatientRecord:
    last_visit = last_visit or at(2025)
    return PatientRecord(patient_id=pid, sex="male", birth_date=date(1955, 1, 1), deceased=deceased,
                         diagnoses=tuple(diagnoses), measurements=tuple(measurements),
                         encounters=(Encounter(time=at(2010)), Encounter(time=last_visit)))


def labels_for(*records: PatientRecord, outcome: str = "cvd", horizon: float = 10):
    tables = tables_from_records(records)
    return label(tables, outcome, INDEX, horizon, baseline=build_features(tables, INDEX))


def test_mi_within_horizon_is_an_event_at_its_date():
    lab = labels_for(person("a", diagnoses=[Diagnosis(concept="myocardial_infarction", onset=at(2018))]))
    assert lab.loc["a", "status"] == 1
    assert lab.loc["a", "time"] == pytest.approx(3.0, abs=0.01)


def test_event_before_the_index_date_is_history_not_an_outcome():
    lab = labels_for(person("a", diagnoses=[Diagnosis(concept="myocardial_infarction", onset=at(2012))]))
    assert lab.loc["a", "status"] == 0


def test_event_after_the_horizon_is_not_counted():
    lab = labels_for(person("a", diagnoses=[Diagnosis(concept="stroke", onset=at(2026))], last_visit=at(2027)),
                     horizon=10)
    assert lab.loc["a", "status"] == 0
    assert lab.loc["a", "time"] == pytest.approx(10.0, abs=0.01)


def test_non_cv_death_is_a_competing_event():
    lab = labels_for(person("a", deceased=at(2019), last_visit=at(2019),
                            diagnoses=[Diagnosis(concept="death_other", onset=at(2019))]))
    assert lab.loc["a", "status"] == 2
    assert lab.loc["a", "time"] == pytest.approx(4.0, abs=0.01)


def test_cv_death_is_an_outcome_event():
    lab = labels_for(person("a", deceased=at(2019), last_visit=at(2019),
                            diagnoses=[Diagnosis(concept="cv_death", onset=at(2019))]))
    assert lab.loc["a", "status"] == 1


def test_record_that_stops_early_is_censored_at_its_last_activity():
    lab = labels_for(person("a", last_visit=at(2017)))
    assert lab.loc["a", "status"] == 0
    assert lab.loc["a", "time"] == pytest.approx(2.0, abs=0.01)


def test_ckd_progression_from_a_40_percent_egfr_fall():
    egfr = [Measurement(concept="egfr", value=v, unit="mL/min/{1.73_m2}", time=at(y))
            for v, y in ((70, 2014), (55, 2016), (40, 2018))]
    lab = labels_for(person("a", measurements=egfr), outcome="ckd_progression", horizon=5)
    assert lab.loc["a", "status"] == 1  # 40 <= 0.6 x 70 = 42
    assert lab.loc["a", "time"] == pytest.approx(3.0, abs=0.01)


def test_ipcw_gives_zero_weight_to_early_censoring_and_upweights_the_rest():
    lab = labels_for(person("censored", last_visit=at(2017)), person("followed", last_visit=at(2025, 6)),
                     person("event", diagnoses=[Diagnosis(concept="myocardial_infarction", onset=at(2020))]))
    t = ipcw_targets(lab, 10)
    assert t.loc["censored", "weight"] == 0
    assert t.loc["event", "y"] == 1 and t.loc["followed", "y"] == 0
    # one of three censored before 10 y: G(10) = 2/3, so the survivors' weight is 1.5
    assert t.loc["followed", "weight"] == pytest.approx(1.5)
    assert np.isclose(t.loc["event", "weight"], 1.5)
