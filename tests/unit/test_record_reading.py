"""The reader's shortcuts give exactly what the general path gives (issue 13: reading made faster, records unchanged).

Each shortcut of risk.record (a plain number's lean path, the decisions cached per Observation code, measurements
built slot by slot, records finalised a chunk at a time) is checked here against the path it shortcuts.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from risk.errors import RecordError
from risk.fhir import dates
from risk.fhir.dates import parse_fhir_datetime
from risk.fhir.ndjson import NdjsonSource
from risk.fhir.references import link_to_patient
from risk.record import _MEASUREMENT_SLOTS as MEASUREMENT_SLOTS
from risk.record import Encounter, Measurement, build, checked_measurement
from risk.record.build import (
    Flat,
    _decide_observation_code,
    _encounter,
    _observation_code,
    build_record,
    flatten_observation,
)
from risk.record.bulk import FINALISE_CHUNK, _patient_of, stream_records
from risk.record.quantity import _any_measurement, quantity_measurement
from risk.terminology.concepts import MEASUREMENT_CONCEPTS
from tests.fhir_factories import write_ndjson

WHEN = datetime(2020, 3, 2, 10, 0, tzinfo=UTC)
CODING = {"system": "http://loinc.org", "code": "2093-3"}
UNITS = [None, "", "mmol/L", "mg/dL", "g/L", "mm[Hg]", "mmHg", "kPa", "%", "mmol/mol", "umol/L", "µmol/L",
         "mg/mmol", "mg/g", "mL/min/{1.73_m2}", "mL/min", "kg", "[lb_av]", "cm", "[in_i]", "kg/m2", "/min", "meq/L",
         "mg/dLL", "{score}", "10*999999", "g/dL", "mL/s"]
VALUES: list[Any] = [0, 1, 7, 42, 140, 5.2, 0.04, 1e-300, 1e308, -3.0, 10**400, True, False, "140", "7,2", "abc",
                     None, float("nan"), float("inf")]


def _both_paths(concept: str, quantity: Any, *, text_value: bool = False, scale: float = 1.0) -> tuple[Flat, Flat]:
    fast, general = Flat(), Flat()
    quantity_measurement(concept=concept, quantity=quantity, when=WHEN, coding=CODING, source_id="Observation/o1",
                         out=fast, text_value=text_value, scale=scale)
    _any_measurement(concept=concept, quantity=quantity, when=WHEN, coding=CODING, source_id="Observation/o1",
                     out=general, text_value=text_value, scale=scale)
    return fast, general


@pytest.mark.parametrize("concept", sorted(MEASUREMENT_CONCEPTS))
def test_a_plain_number_gives_the_same_measurement_or_issue_as_the_general_path(concept: str):
    for unit in UNITS:
        for value in VALUES:
            for quantity in ({"value": value, "code": unit}, {"value": value, "unit": unit},
                             {"value": value, "unit": "as written", "code": unit}):
                for scale in (1.0, 20.0):
                    fast, general = _both_paths(concept, quantity, scale=scale)
                    assert repr((fast.measurements, fast.issues)) == repr((general.measurements, general.issues)), (
                        concept, quantity, scale)


def test_a_measurement_built_slot_by_slot_equals_the_ordinary_one():
    assert MEASUREMENT_SLOTS == tuple(f.name for f in dataclasses.fields(Measurement))
    args = dict(concept="hdl", value=1.2, unit="mmol/L", time=WHEN, original_value=46, original_unit="mg/dL",
                code="http://loinc.org|2085-9", source_id="Observation/o1", text=None)
    built, ordinary = checked_measurement(**args), Measurement(**args)
    assert built == ordinary and repr(built) == repr(ordinary) and hash(built) == hash(ordinary)
    assert built.derived is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.value = 2.0  # type: ignore[misc]


def test_an_encounter_built_slot_by_slot_equals_the_ordinary_one():
    assert tuple(f.name for f in dataclasses.fields(Encounter)) == ("time", "kind", "source_id")
    for kind in ("AMB", None):
        built = _encounter(WHEN, kind, "Encounter/e1")
        ordinary = Encounter(time=WHEN, kind=kind, source_id="Encounter/e1")
        assert built == ordinary and repr(built) == repr(ordinary) and hash(built) == hash(ordinary)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.kind = "IMP"  # type: ignore[misc]


def _observation(code: Any, **extra: Any) -> dict:
    return {"resourceType": "Observation", "id": "o1", "status": "final", "code": code,
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2020-03-02", **extra}


@pytest.mark.parametrize("code", [
    {"coding": [{"system": "http://loinc.org", "code": "2093-3", "display": "Cholesterol"}]},
    {"coding": [{"system": "http://loinc.org", "code": "2093-3", "display": "another label"}]},
    {"coding": [{"system": "http://example.org/local", "code": "chol"}, {"system": "http://loinc.org",
                                                                         "code": "2085-9"}]},
    {"coding": [{"system": ["not", "a", "string"], "code": "2093-3"}]},  # unhashable: decided, never cached
    {"coding": [{"system": "http://loinc.org", "code": {"nested": 1}}]},
    {"coding": ["not a coding", {"system": "http://loinc.org", "code": "85354-9"}]},
    {"coding": [{"code": "2093-3"}]},
    {"coding": [{"system": None, "code": None}]},
    {"coding": []}, {"text": "no coding"}, "not an object", None,
])
def test_the_decisions_cached_per_code_are_the_ones_made_afresh(code: Any):
    assert _observation_code(code) == _decide_observation_code(code)
    assert _observation_code(code) == _decide_observation_code(code)  # the second time from the cache


def test_observations_that_share_a_code_are_each_read_with_their_own_coding():
    first = _observation({"coding": [{"system": "http://loinc.org", "code": "2093-3", "display": "TC"}]},
                         valueQuantity={"value": 5.2, "unit": "mmol/L"})
    second = _observation({"coding": [{"system": "http://loinc.org", "code": "2093-3", "display": "Total chol."}]},
                          valueQuantity={"value": 201, "unit": "mg/dL"}, id="o2")
    out = Flat()
    flatten_observation(first, out)
    flatten_observation(second, out)
    assert [(m.source_id, m.original_unit, m.code) for m in out.measurements] == [
        ("Observation/o1", "mmol/L", "http://loinc.org|2093-3"), ("Observation/o2", "mg/dL", "http://loinc.org|2093-3")]


BP = {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}
SBP = {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}
HDL = {"coding": [{"system": "http://loinc.org", "code": "2085-9"}]}


@pytest.mark.parametrize("shape", [
    {"code": HDL, "valueQuantity": {"value": 46, "unit": "mg/dL"}},
    {"code": HDL, "valueQuantity": {"value": 46, "code": "mg/dL", "unit": "milligrams"}},
    {"code": HDL, "valueQuantity": {"value": 460, "unit": "mg/dL"}},  # implausible: an issue
    {"code": HDL, "valueQuantity": {"value": "46", "unit": "mg/dL"}},  # text in a Quantity: an issue
    {"code": HDL, "valueQuantity": None},
    {"code": HDL, "valueQuantity": {"value": 1.2, "unit": "mmol/L"}, "effectiveDateTime": "not a date"},
    {"code": HDL, "valueQuantity": {"value": 1.2, "unit": "mmol/L"}, "effectiveDateTime": None},
    {"code": HDL, "valueQuantity": {"value": 1.2, "unit": "mmol/L"}, "effectiveDateTime": ["2020-03-02"]},
    {"code": HDL, "valueQuantity": {"value": 1.2}, "effectivePeriod": {"start": "2020-03-02"},
     "drop": "effectiveDateTime"},
    {"code": HDL, "valueQuantity": {"value": 1.2, "unit": "mmol/L"}, "status": "entered-in-error"},
    {"code": HDL, "valueQuantity": {"value": 1.2, "unit": "mmol/L"}, "status": ["final"]},
    {"code": HDL, "valueQuantity": {"value": 1.2, "unit": "mmol/L"},
     "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "160603005"}]}},
    {"code": BP, "component": [{"code": SBP, "valueQuantity": {"value": 142, "unit": "mm[Hg]"}},
                               {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                                "valueQuantity": {"value": 91, "unit": "mm[Hg]"}}]},
    {"code": BP, "component": [{"code": SBP, "valueQuantity": {"value": 942, "unit": "mm[Hg]"}}, "not a component",
                               {"code": HDL}]},
    {"code": BP, "component": []},
    {"code": BP, "component": "not a list"},
    {"code": BP, "component": [{"code": SBP, "valueQuantity": {"value": 142, "unit": "mm[Hg]"}}],
     "effectiveDateTime": "2999-01-01T00:00:00+05:00"},
    {"code": BP, "component": [{"code": SBP, "valueQuantity": {"value": 142, "unit": "mm[Hg]"}}], "drop":
     "effectiveDateTime"},
])
def test_the_hot_paths_of_an_observation_read_it_as_the_general_path_does(shape: dict, monkeypatch):
    shape = dict(shape)
    dropped = shape.pop("drop", None)
    resource = _observation(**shape)
    if dropped:
        del resource[dropped]
    hot = Flat()
    hot_fate = flatten_observation(copy.deepcopy(resource), hot)
    decide = build._observation_code
    monkeypatch.setattr(build, "_observation_code",
                        lambda code: dataclasses.replace(decide(code), plain=False, panel=False))
    general = Flat()
    general_fate = flatten_observation(copy.deepcopy(resource), general)
    assert hot_fate == general_fate
    assert repr(hot) == repr(general)


@pytest.mark.parametrize("text", ["2020", "2020-03", "2020-03-02", "2020-03-02T10:00:00+02:00", "2020-03-02T10:00:00Z",
                                  " 2020-03-02 ", "0001-01-01T00:00:00+01:00", "not a date", ""])
def test_a_date_read_from_the_cache_is_the_date_parsed_afresh(text: str, monkeypatch):
    first = parse_fhir_datetime(text)
    assert parse_fhir_datetime(text) is first  # the second time from the cache
    assert first == dates._parse_text(text) and repr(first) == repr(dates._parse_text(text))
    monkeypatch.setattr(dates, "_PARSED", {"2020-01-01": None})
    monkeypatch.setattr(dates, "_PARSED_MAX", 1)
    assert parse_fhir_datetime("1999-12-31") == datetime(1999, 12, 31, tzinfo=UTC)
    assert list(dates._PARSED) == ["1999-12-31"]  # cleared when full: memory stays bounded


def _export(folder: Path, n_patients: int, bad: set[int]) -> Path:
    patients = [{"resourceType": "Patient", "id": f"p{i:04d}", "gender": "female",
                 **({} if i in bad else {"birthDate": "1960-01-01"})} for i in range(n_patients)]
    write_ndjson(folder / "Patient.ndjson", patients)
    write_ndjson(folder / "Observation.ndjson", [
        {"resourceType": "Observation", "id": f"o{i}", "status": "final", "subject": {"reference": f"Patient/p{i:04d}"},
         "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "effectiveDateTime": "2020-01-01",
         "valueQuantity": {"value": 120 + i % 40, "unit": "mm[Hg]"}} for i in range(n_patients)])
    return folder


def test_records_built_a_chunk_at_a_time_come_in_order_and_equal_one_by_one_records(tmp_path: Path):
    n = 2 * FINALISE_CHUNK + 7
    folder = _export(tmp_path, n, bad=set())
    records = list(stream_records(NdjsonSource(folder)))
    assert [r.patient_id for r in records] == [f"p{i:04d}" for i in range(n)]
    by_one = build_record({"resourceType": "Patient", "id": "p0600", "gender": "female", "birthDate": "1960-01-01"},
                          [r for r in NdjsonSource(folder).iter_resources() if r.get("id") == "o600"])
    assert records[600] == by_one and records[600].birth_date == date(1960, 1, 1)


def test_an_unusable_patient_stops_the_stream_after_the_records_before_it(tmp_path: Path):
    folder = _export(tmp_path, FINALISE_CHUNK + 20, bad={FINALISE_CHUNK + 3})
    seen: list[str] = []
    with pytest.raises(RecordError, match="no usable birth date"):
        for record in stream_records(NdjsonSource(folder)):
            seen.append(record.patient_id)
    assert len(seen) == FINALISE_CHUNK + 3


def test_unusable_patients_are_counted_when_skipped(tmp_path: Path):
    folder = _export(tmp_path, FINALISE_CHUNK + 20, bad={3, FINALISE_CHUNK + 3})
    stream = stream_records(NdjsonSource(folder), skip_unusable=True)
    seen = []
    while True:
        try:
            seen.append(next(stream))
        except StopIteration as stop:
            skipped = stop.value
            break
    assert (len(seen), skipped) == (FINALISE_CHUNK + 18, 2)


def _patient_after_linking(resource: dict) -> str | None:
    """The rule before issue 13's speed-up: the source rewrote references (link_to_patient), then the first
    `Patient/...` reference of subject/patient was read, else link_to_patient again."""
    link_to_patient(resource)
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str) and ref["reference"].startswith("Patient/"):
            return ref["reference"][8:]
    return link_to_patient(resource)


@pytest.mark.parametrize("links", [
    {"subject": {"reference": "Patient/p1"}},
    {"subject": {"reference": "https://fhir.example.org/r4/Patient/p1/_history/3"}},
    {"subject": {"reference": "Patient/p1/_history/2"}},
    {"subject": {"reference": "Patient/a b"}},  # not a valid id: read as written, as before
    {"subject": {"reference": "Patient/x/y"}},
    {"subject": {"reference": "Group/g1"}, "patient": {"reference": "Patient/p2"}},
    {"subject": {"reference": "urn:uuid:1234"}, "patient": {"reference": "Patient/p2"}},
    {"subject": [{"reference": "Group/g"}, {"reference": "Patient/p3"}]},
    {"subject": {"display": "no reference"}, "patient": [{"reference": "http://h/fhir/Patient/p4"}]},
    {"subject": {"reference": 42}}, {"subject": "Patient/p1"}, {"subject": None}, {},
    {"subject": {"reference": "#p1"}}, {"subject": {"reference": "Patient?identifier=x|1"}},
])
def test_the_patient_of_a_bulk_resource_is_the_one_found_after_rewriting_its_references(links: dict):
    resource = {"resourceType": "Observation", "id": "o1", **links}
    expected = _patient_after_linking(copy.deepcopy(resource))
    assert _patient_of(copy.deepcopy(resource), {}) == expected
    resolved: dict[str, str | None] = {}
    _patient_of(copy.deepcopy(resource), resolved)
    assert _patient_of(copy.deepcopy(resource), resolved) == expected  # from the remembered references
    linked = copy.deepcopy(resource)
    link_to_patient(linked)
    assert _patient_of(linked, {}) == expected  # a source that rewrote them gives the same


def test_measurements_dated_in_the_future_after_death_or_before_birth_become_issues():
    patient = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1950-06-01",
               "deceasedDateTime": "2020-01-01"}

    def sbp(oid: str, day: str) -> dict:
        return {"resourceType": "Observation", "id": oid, "status": "final", "subject": {"reference": "Patient/p1"},
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "effectiveDateTime": day,
                "valueQuantity": {"value": 130, "unit": "mm[Hg]"}}

    record = build_record(patient, [sbp("ok", "2010-01-01"), sbp("before", "1949-01-01"),
                                    sbp("after", "2021-01-01"), sbp("future", "2999-01-01")],
                          now=datetime(2026, 1, 1, tzinfo=UTC))
    assert [m.source_id for m in record.measurements] == ["Observation/ok"]
    assert {(i.source_id, i.code) for i in record.issues} == {
        ("Observation/before", "record.before_birth"), ("Observation/after", "record.after_death"),
        ("Observation/future", "record.future_date")}
