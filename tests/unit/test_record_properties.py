"""Properties of the record builder on generated FHIR: no feature sees the future, the record does not depend on
the order of the resources, and no input, however malformed, raises anything but a RiskError."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.errors import RiskError
from risk.features.build import build_features
from risk.features.tables import tables_from_records
from risk.record import PatientRecord
from risk.record.build import build_record
from risk.terminology.concepts import MEASUREMENT_CONCEPTS
from tests.fhir_spec import ATC, LOINC, RXNORM, SNOMED, UCUM

NOW = datetime(2030, 1, 1, tzinfo=UTC)  # fixed "today": nothing generated is in the future of it
BIRTH = "1950-03-15"
PATIENT = {"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": BIRTH}

# (LOINC, unit, low, high): plausible values in the reported unit, so that they reach the record
LABS = [
    ("2093-3", "mg/dL", 120, 320), ("2085-9", "mg/dL", 25, 90), ("2093-3", "g/L", 1.2, 3.2),
    ("2085-9", "mmol/L", 0.6, 2.4), ("4548-4", "%", 4.5, 12), ("59261-8", "mmol/mol", 30, 100),
    ("2160-0", "mg/dL", 0.5, 3), ("14682-9", "umol/L", 45, 300), ("62238-1", "mL/min/{1.73_m2}", 10, 120),
    ("9318-7", "mg/g", 2, 400), ("29463-7", "kg", 50, 130), ("8302-2", "cm", 150, 195),
    ("39156-5", "kg/m2", 18, 42), ("2339-0", "mg/dL", 70, 250), ("8867-4", "/min", 50, 110),
]
CONDITIONS = [(SNOMED, "44054006"), (SNOMED, "22298006"), (SNOMED, "38341003"), (SNOMED, "431857002"),
              (SNOMED, "230690007"), ("http://hl7.org/fhir/sid/icd-10", "E11.9"), (SNOMED, "49436004")]
MEDS = [(RXNORM, "617312"), (RXNORM, "314076"), (RXNORM, "860975"), (ATC, "C10AA05"), (ATC, "C03CA01")]
PROCEDURES = [(SNOMED, "415070008"), (SNOMED, "36228007")]  # PCI; ophthalmic examination (retinal exam)

moments = st.datetimes(min_value=datetime(1985, 1, 1), max_value=datetime(2029, 6, 30))
offsets = st.sampled_from(["+00:00", "+01:00", "+02:00", "-05:00", "+14:00", "-12:00", "Z", ""])
# A few shared instants make ties (two values at one instant, same-day lipids) common, as in Synthea.
SHARED_INSTANTS = ["2012-05-03T09:30:00+00:00", "2012-05-03T23:30:00+00:00", "2020-04-13T06:19:07+00:00"]


@st.composite
def fhir_time(draw: st.DrawFn) -> tuple[str, datetime]:
    """A FHIR dateTime (sometimes a bare date) and the UTC instant it stands for."""
    if draw(st.booleans()):
        text = draw(st.sampled_from(SHARED_INSTANTS))
        return text, datetime.fromisoformat(text)
    moment = draw(moments).replace(microsecond=0)
    if draw(st.booleans()) and draw(st.booleans()):
        return moment.date().isoformat(), datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    offset = draw(offsets)
    text = moment.isoformat() + offset
    aware = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return text, (aware if aware.tzinfo else aware.replace(tzinfo=UTC)).astimezone(UTC)


def _subject() -> dict[str, str]:
    return {"reference": "Patient/p"}


@st.composite
def dated_resource(draw: st.DrawFn) -> tuple[dict[str, Any], datetime]:
    """One FHIR resource the record uses, and the instant it is dated by."""
    text, instant = draw(fhir_time())
    kind = draw(st.sampled_from(["lab", "lab", "lab", "bp", "smoking", "condition", "med", "procedure",
                                 "encounter"]))
    if kind == "lab":
        code, unit, low, high = draw(st.sampled_from(LABS))
        value = draw(st.floats(low, high))
        res = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": LOINC,
               "code": code}]}, "effectiveDateTime": text,
               "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}
    elif kind == "bp":
        res = {"resourceType": "Observation", "status": "final",
               "code": {"coding": [{"system": LOINC, "code": "55284-4"}]}, "effectiveDateTime": text,
               "component": [{"code": {"coding": [{"system": LOINC, "code": c}]},
                              "valueQuantity": {"value": draw(st.floats(lo, hi)), "unit": "mm[Hg]"}}
                             for c, lo, hi in (("8480-6", 90, 200), ("8462-4", 50, 110))]}
    elif kind == "smoking":
        answer = draw(st.sampled_from(["266919005", "8517006", "449868002"]))
        res = {"resourceType": "Observation", "status": "final",
               "code": {"coding": [{"system": LOINC, "code": "72166-2"}]}, "effectiveDateTime": text,
               "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": answer}]}}
    elif kind == "condition":
        system, code = draw(st.sampled_from(CONDITIONS))
        res = {"resourceType": "Condition", "code": {"coding": [{"system": system, "code": code}]},
               "onsetDateTime": text}
    elif kind == "med":
        system, code = draw(st.sampled_from(MEDS))
        res = {"resourceType": "MedicationRequest", "status": draw(st.sampled_from(["active", "stopped"])),
               "intent": "order", "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]},
               "authoredOn": text}
        if draw(st.booleans()):  # a prescription for a while, possibly still running at as_of
            end = instant + timedelta(days=draw(st.integers(1, 2000)))
            res["dispenseRequest"] = {"validityPeriod": {"start": text, "end": end.date().isoformat()}}
    elif kind == "procedure":
        system, code = draw(st.sampled_from(PROCEDURES))
        res = {"resourceType": "Procedure", "status": "completed",
               "code": {"coding": [{"system": system, "code": code}]}, "performedDateTime": text}
    else:
        res = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
               "period": {"start": text}}
    key = "patient" if kind == "med" else "subject"
    return {**res, key: _subject()}, instant


def dated_resources(**kw: int) -> st.SearchStrategy[list[tuple[dict[str, Any], datetime]]]:
    """Lists of dated resources with unique ids (as in any FHIR source)."""
    return st.lists(dated_resource(), **kw).map(
        lambda items: [({**res, "id": f"r{n}"}, instant) for n, (res, instant) in enumerate(items)])


def _end_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1) - timedelta(microseconds=1)


def _same(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


@pytest.mark.slow  # 11-13 s: 40 generated records, each through the features at up to 4 index dates
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=dated_resources(min_size=1, max_size=40),
       days=st.lists(st.dates(min_value=date(1988, 1, 1), max_value=date(2029, 12, 31)), min_size=1, max_size=4))
def test_no_feature_changes_when_resources_dated_after_as_of_are_removed(items, days):
    """Each as_of is checked on a panel of copies (one per date), through the same vectorised features."""
    everything = [res for res, _ in items]
    full_record = build_record(PATIENT, everything, now=NOW)
    full, known = [], []
    for n, day in enumerate(days):
        pid = f"p{n}"
        full.append(dataclasses.replace(full_record, patient_id=pid))
        before = [res for res, instant in items if instant <= _end_of_day(day)]
        known.append(dataclasses.replace(build_record(PATIENT, before, now=NOW), patient_id=pid))
    as_of = pd.Series([pd.Timestamp(d) for d in days], index=[f"p{n}" for n in range(len(days))])
    with_future = build_features(tables_from_records(full), as_of)
    without_future = build_features(tables_from_records(known), as_of)
    assert list(with_future.columns) == list(without_future.columns)
    for pid in as_of.index:
        for column in with_future.columns:
            a, b = with_future.at[pid, column], without_future.at[pid, column]
            assert _same(a, b), f"{column} at {as_of[pid].date()}: {a!r} with later data, {b!r} without"


@settings(max_examples=40, deadline=None)
@given(items=dated_resources(min_size=2, max_size=40), seed=st.randoms(use_true_random=False))
def test_the_record_does_not_depend_on_the_order_of_the_resources(items, seed):
    """A server, a bundle and a bulk export list the same resources in different orders: same record."""
    resources = [res for res, _ in items]
    shuffled = list(resources)
    seed.shuffle(shuffled)
    assert build_record(PATIENT, resources, now=NOW) == build_record(PATIENT, shuffled, now=NOW)


def test_two_values_at_the_same_instant_give_the_same_latest_whatever_their_order():
    """Synthea writes eGFR twice at one instant (mL/min and mL/min/{1.73_m2}); 'latest' must be stable."""

    def egfr(rid: str, value: float) -> dict[str, Any]:
        return {"resourceType": "Observation", "id": rid, "status": "final", "subject": _subject(),
                "code": {"coding": [{"system": LOINC, "code": "33914-3"}]},
                "effectiveDateTime": "2020-04-13T06:19:07+00:00",
                "valueQuantity": {"value": value, "unit": "mL/min/{1.73_m2}"}}

    a, b = egfr("obs-a", 83.9), egfr("obs-b", 65.0)
    one, other = build_record(PATIENT, [a, b], now=NOW), build_record(PATIENT, [b, a], now=NOW)
    assert one.latest("egfr") == other.latest("egfr")
    f1 = build_features(tables_from_records([one]), date(2021, 1, 1)).iloc[0]
    f2 = build_features(tables_from_records([other]), date(2021, 1, 1)).iloc[0]
    assert f1["egfr"] == f2["egfr"]


# ---------------------------------------------------------------------------------------------- fuzzing
json_scalars = st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats() | st.text(max_size=12)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)

TEMPLATES: list[dict[str, Any]] = [
    {"resourceType": "Observation", "id": "o1", "status": "final", "subject": _subject(),
     "code": {"coding": [{"system": LOINC, "code": "2085-9"}]}, "effectiveDateTime": "2020-01-02T10:00:00Z",
     "valueQuantity": {"value": 52, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}},
    {"resourceType": "Observation", "id": "o2", "status": "final", "subject": _subject(),
     "code": {"coding": [{"system": LOINC, "code": "55284-4"}]}, "effectivePeriod": {"start": "2020-01-02"},
     "component": [{"code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                    "valueQuantity": {"value": 130, "unit": "mm[Hg]"}}]},
    {"resourceType": "Observation", "id": "o3", "status": "final", "subject": _subject(),
     "code": {"coding": [{"system": LOINC, "code": "72166-2"}]}, "issued": "2020-01-02T10:00:00+02:00",
     "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "449868002"}], "text": "smoker"}},
    {"resourceType": "Observation", "id": "o4", "status": "final", "subject": _subject(),
     "code": {"coding": [{"system": LOINC, "code": "69453-9"}]}, "effectiveDateTime": "2020-01-02",
     "valueCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I21.9"}]}},
    {"resourceType": "Observation", "id": "o5", "status": "final", "subject": _subject(),
     "code": {"coding": [{"system": LOINC, "code": "4548-4"}]}, "effectiveDateTime": "2020-01-02",
     "valueString": "7,2"},
    {"resourceType": "Condition", "id": "c1", "subject": _subject(),
     "verificationStatus": {"coding": [{"code": "confirmed"}]},
     "code": {"coding": [{"system": SNOMED, "code": "44054006", "display": "Diabetes"}], "text": "T2D"},
     "onsetPeriod": {"start": "2015-01-01"}, "recordedDate": "2015-02-01", "abatementDateTime": "2016"},
    {"resourceType": "Procedure", "id": "pr1", "status": "completed", "subject": _subject(),
     "code": {"coding": [{"system": SNOMED, "code": "415070008"}]}, "performedPeriod": {"start": "2012-05"}},
    {"resourceType": "ImagingStudy", "id": "i1", "subject": _subject(), "started": "2012-05-01",
     "procedureCode": [{"coding": [{"system": SNOMED, "code": "36228007"}]}]},
    {"resourceType": "MedicationRequest", "id": "m1", "status": "stopped", "subject": _subject(),
     "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "617312", "display": "atorvastatin"}]},
     "authoredOn": "2018-01-01", "dispenseRequest": {"validityPeriod": {"start": "2018-01-01", "end": "2019"}}},
    {"resourceType": "MedicationRequest", "id": "m2", "status": "active", "subject": _subject(),
     "medicationReference": {"reference": "#med", "display": "ramipril 5 mg"}, "authoredOn": "2018-01-01",
     "contained": [{"resourceType": "Medication", "id": "med",
                    "code": {"coding": [{"system": ATC, "code": "C09AA05"}]}}]},
    {"resourceType": "MedicationStatement", "id": "m3", "status": "active", "subject": _subject(),
     "medicationCodeableConcept": {"text": "metformine 1000 mg"}, "effectivePeriod": {"start": "2018-01-01"}},
    {"resourceType": "Encounter", "id": "e1", "status": "finished", "subject": _subject(),
     "class": {"code": "AMB"}, "period": {"start": "2019-01-01T08:00:00Z"}},
]
PATIENT_TEMPLATE = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1960-02-29",
                    "deceasedDateTime": "2021-01-01", "name": [{"given": ["Anne"], "family": "Martin"}]}


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON tree (dict keys and list indexes), outermost first."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


def _replace(tree: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: _replace(tree[head], rest, new)}
    copy = list(tree)
    copy[head] = _replace(tree[head], rest, new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, template: dict[str, Any]) -> Any:
    """The template with a few values anywhere in it replaced by arbitrary JSON (or the whole thing)."""
    tree: Any = template
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(tree)
        if not paths or draw(st.integers(0, 20)) == 0:
            return draw(json_values)
        path = draw(st.sampled_from(paths))
        tree = _replace(tree, path, draw(json_values))
    return tree


resources_strategy = st.lists(st.sampled_from(TEMPLATES).flatmap(mutated) | json_values, max_size=6)


def _check_record(record: PatientRecord) -> None:
    """What every later stage relies on: canonical, plausible, finite values with aware times in the past."""
    birth = datetime(record.birth_date.year, record.birth_date.month, record.birth_date.day, tzinfo=UTC)
    for m in record.measurements:
        spec = MEASUREMENT_CONCEPTS[m.concept]
        assert isinstance(m.value, float) and math.isfinite(m.value), m
        assert spec.low <= m.value <= spec.high, m
        assert m.time.tzinfo is not None and birth <= m.time <= NOW, m
    for d in record.diagnoses:
        assert d.onset is None or birth <= d.onset <= NOW, d
    for rx in record.medications:
        assert rx.start is not None and birth <= rx.start <= NOW, rx
    for issue in record.issues:
        assert isinstance(issue.message, str) and issue.message, issue


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resources=resources_strategy)
def test_malformed_resources_never_raise_and_never_reach_the_record_unchecked(resources):
    try:
        record = build_record(PATIENT, resources, now=NOW)
    except RiskError:
        return
    _check_record(record)


@settings(max_examples=300, deadline=None)
@given(patient=mutated(PATIENT_TEMPLATE), resources=st.lists(st.sampled_from(TEMPLATES), max_size=3))
def test_a_malformed_patient_is_a_risk_error_or_a_usable_record(patient, resources):
    try:
        record = build_record(patient, resources, now=NOW)
    except RiskError as error:
        assert error.message and error.code >= 10
        return
    assert record.sex in ("male", "female") and isinstance(record.birth_date, date)
    assert record.name is None or isinstance(record.name, str)
    _check_record(record)
