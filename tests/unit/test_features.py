"""Features at an index date: latest values, derived values, trends, diagnoses, medications; nothing after as_of."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from risk.equations.ckd_epi import ckd_epi_2021_array
from risk.features.build import build_features
from risk.features.tables import tables_from_records
from risk.record import Diagnosis, Encounter, Measurement, Medication, PatientRecord
from risk.record.build import build_record


def at(y: int, m: int = 1, d: int = 1) -> datetime:
    return datetime(y, m, d, 10, tzinfo=UTC)


def meas(concept: str, value: float, when: datetime, unit: str = "x") -> Measurement:
    return Measurement(concept=concept, value=value, unit=unit, time=when, source_id=f"Observation/{concept}-{when}")


def patient(**kw) -> PatientRecord:
    base = dict(patient_id="p1", sex="male", birth_date=date(1960, 6, 1))
    base.update(kw)
    return PatientRecord(**base)


def features(record: PatientRecord, as_of: date):
    return build_features(tables_from_records([record]), as_of).iloc[0]


def test_latest_value_is_the_last_one_on_or_before_as_of_and_never_after():
    r = patient(measurements=(meas("sbp", 150, at(2019)), meas("sbp", 140, at(2020)), meas("sbp", 190, at(2022))))
    f = features(r, date(2021, 1, 1))
    assert f["sbp"] == 140
    assert f["sbp_date"].date() == date(2020, 1, 1)
    assert f["sbp_days"] == (date(2021, 1, 1) - date(2020, 1, 1)).days
    assert f["sbp_mean3"] == pytest.approx(145)  # the 2022 value (190) is in the future of as_of


def test_a_value_recorded_on_the_as_of_day_counts():
    r = patient(measurements=(meas("hdl", 1.2, at(2021, 3, 5)),))
    assert features(r, date(2021, 3, 5))["hdl"] == 1.2
    assert np.isnan(features(r, date(2021, 3, 4))["hdl"])


def test_non_hdl_is_derived_from_same_day_total_and_hdl_and_flagged():
    r = patient(measurements=(meas("total_chol", 5.5, at(2020)), meas("hdl", 1.3, at(2020))))
    f = features(r, date(2021, 1, 1))
    assert f["non_hdl"] == pytest.approx(4.2)
    assert f["non_hdl_derived"] == 1
    assert f["total_chol_derived"] == 0


def test_bmi_is_derived_from_weight_and_latest_height():
    r = patient(measurements=(meas("height", 180, at(2015)), meas("weight", 81, at(2020))))
    assert features(r, date(2021, 1, 1))["bmi"] == pytest.approx(81 / 1.8**2)


def test_egfr_is_derived_by_ckd_epi_2021_when_only_creatinine_is_reported():
    r = patient(measurements=(meas("creatinine", 88.4, at(2020, 6, 1)),))  # 1.0 mg/dL, male aged 60.0
    f = features(r, date(2021, 1, 1))
    # CKD-EPI 2021: 142 x (1.0/0.9)^-1.200 x 0.9938^60 = 86.3 (Inker et al. NEJM 2021)
    assert f["egfr"] == pytest.approx(142 * (1 / 0.9) ** -1.2 * 0.9938**60, rel=1e-3)
    assert f["egfr_derived"] == 1


def test_reported_egfr_wins_over_derivation_on_the_same_day():
    r = patient(measurements=(meas("creatinine", 88.4, at(2020)), meas("egfr", 70, at(2020))))
    f = features(r, date(2021, 1, 1))
    assert f["egfr"] == 70 and f["egfr_derived"] == 0


def test_vectorised_ckd_epi_matches_published_female_formula():
    # female 50 y, creatinine 0.6 mg/dL (53.04 µmol/L): 142 x (0.6/0.7)^-0.241 x 0.9938^50 x 1.012
    got = ckd_epi_2021_array(np.array([False]), np.array([50.0]), np.array([0.6 * 88.4]))[0]
    assert got == pytest.approx(142 * (0.6 / 0.7) ** -0.241 * 0.9938**50 * 1.012, rel=1e-9)


def test_hba1c_slope_per_year_over_the_last_three_years():
    r = patient(measurements=tuple(meas("hba1c", 50 + 4 * i, at(2018 + i)) for i in range(3)))
    assert features(r, date(2020, 6, 1))["hba1c_slope"] == pytest.approx(4.0, rel=0.01)


def test_diabetes_duration_and_age_at_diagnosis():
    r = patient(diagnoses=(Diagnosis(concept="diabetes_type2", onset=at(2010, 6, 1)),))
    f = features(r, date(2020, 6, 1))
    assert f["diabetes_t2"] == 1 and f["diabetes_any"] == 1
    assert f["diabetes_years"] == pytest.approx(10.0, abs=0.01)
    assert f["age_at_diabetes"] == pytest.approx(50.0, abs=0.01)


def test_a_diagnosis_after_as_of_is_not_seen():
    r = patient(diagnoses=(Diagnosis(concept="myocardial_infarction", onset=at(2022)),))
    assert features(r, date(2021, 1, 1))["prior_mi"] == 0
    assert features(r, date(2023, 1, 1))["prior_mi"] == 1
    assert features(r, date(2023, 1, 1))["established_cvd"] == 1


def test_medication_is_active_between_start_and_end_only():
    r = patient(medications=(Medication(concept="statin", start=at(2018), end=at(2020)),
                             Medication(concept="ace_inhibitor", start=at(2019), end=None)))
    assert features(r, date(2017, 1, 1))["on_statin"] == 0
    f = features(r, date(2019, 6, 1))
    assert f["on_statin"] == 1 and f["on_antihypertensive"] == 1 and f["n_antihypertensive_classes"] == 1
    assert features(r, date(2021, 1, 1))["on_statin"] == 0


def test_ckd_stage_from_egfr_when_no_diagnosis():
    r = patient(measurements=(meas("egfr", 40, at(2020)),))
    assert features(r, date(2021, 1, 1))["ckd_stage"] == 3


def test_visit_counts():
    r = patient(encounters=tuple(Encounter(time=at(2016 + i)) for i in range(5)))
    f = features(r, date(2020, 6, 1))
    assert f["visits_1y"] == 1 and f["visits_5y"] == 5


def test_one_function_serves_a_panel_with_per_patient_index_dates():
    import pandas as pd

    a = patient(patient_id="a", measurements=(meas("sbp", 120, at(2010)), meas("sbp", 160, at(2020))))
    b = patient(patient_id="b", sex="female", measurements=(meas("sbp", 130, at(2015)),))
    t = tables_from_records([a, b])
    f = build_features(t, pd.Series({"a": pd.Timestamp("2011-01-01"), "b": pd.Timestamp("2016-01-01")}))
    assert f.loc["a", "sbp"] == 120 and f.loc["b", "sbp"] == 130 and f.loc["b", "sex_male"] == 0


def test_long_term_sbp_variability_and_peak_use_the_last_ten_years_of_readings_only():
    readings = [(2004, 200.0), (2010, 150.0), (2012, 130.0), (2014, 140.0), (2015, 120.0), (2016, 125.0)]
    r = patient(measurements=tuple(meas("sbp", v, at(y, 2)) for y, v in readings))
    f = features(r, date(2016, 6, 1))
    within = [v for y, v in readings if y >= 2007]  # the 2004 reading is more than 10 years old
    assert f["sbp_max10y"] == 150.0
    assert f["sbp_sd10y"] == pytest.approx(np.std(within, ddof=1))
    assert np.isnan(f["ldl_sd10y"]) and np.isnan(f["ldl_max10y"])
    two = patient(measurements=(meas("ldl", 3.1, at(2014)), meas("ldl", 2.0, at(2015))))
    g = features(two, date(2016, 6, 1))
    assert np.isnan(g["ldl_sd10y"]) and g["ldl_max10y"] == 3.1  # an SD from two readings says nothing


def option_pair(*drugs: str, group: str = "g1") -> list[dict]:
    """MedicationRequests that are alternatives of one prescription (intent option, one group identifier)."""
    return [{"resourceType": "MedicationRequest", "id": f"opt-{i}", "status": "active", "intent": "option",
             "subject": {"reference": "Patient/p"}, "groupIdentifier": {"value": group},
             "authoredOn": "2024-01-01", "medicationCodeableConcept": {"text": drug}} for i, drug in enumerate(drugs)]


@pytest.mark.parametrize(("drugs", "concepts", "on"), [
    # two brands of one class: that class
    (("metformine 1000 mg", "glucophage 500 mg"), {"metformin"}, {"on_glucose_lowering": 1, "rx_metformin": 1}),
    # two classes of one group: one glucose-lowering therapy, neither class
    (("metformine 1000 mg", "gliclazide 30 mg"), {"glucose_lowering"},
     {"on_glucose_lowering": 1, "rx_metformin": 0, "rx_sulfonylurea": 0, "rx_glucose_lowering": 1}),
    # two antihypertensives: at least one class, never two
    (("ramipril 5 mg", "amlodipine 5 mg"), {"antihypertensive"},
     {"on_antihypertensive": 1, "n_antihypertensive_classes": 1, "rx_ace_inhibitor": 0}),
    # nothing in common: not counted
    (("atorvastatine 20 mg", "metformine 500 mg"), set(), {"on_glucose_lowering": 0, "on_statin": 0}),
])
def test_an_option_pair_is_one_therapy_of_what_its_alternatives_share(drugs, concepts, on):
    patient_json = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1960-01-01"}
    rec = build_record(patient_json, option_pair(*drugs))
    assert {m.concept for m in rec.medications} == concepts
    f = features(rec, date(2024, 6, 1))
    assert {k: int(f[k]) for k in on} == on
