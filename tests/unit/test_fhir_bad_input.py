"""Bad input to file sources: each is one clear line with a named exit code, never a traceback, and
never an echo of the file's content. Bad files are written with tmp_path; fuzzing covers the rest."""

from __future__ import annotations

import gzip

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.errors import ExitCode, RecordError, RiskError
from risk.fhir import open_source
from tests.fhir_factories import bundle, entry, fails, observation, patient, synthea_like, write, write_ndjson

# -- bad bundle files: one clear line and a named exit code each -----------------------------------


def test_an_empty_file_is_empty_file(tmp_path):
    (tmp_path / "e.json").write_bytes(b"")
    assert fails(tmp_path / "e.json", ExitCode.EMPTY_FILE) == (
        f"{tmp_path / 'e.json'} is empty: expected a FHIR Bundle or Patient resource"
    )
    (tmp_path / "w.json").write_bytes(b"  \n\t\n")
    fails(tmp_path / "w.json", ExitCode.EMPTY_FILE)


def test_a_gzip_of_nothing_is_empty_file(tmp_path):
    (tmp_path / "e.json.gz").write_bytes(gzip.compress(b""))
    assert "is empty once decompressed" in fails(tmp_path / "e.json.gz", ExitCode.EMPTY_FILE)


def test_invalid_json_says_where_it_breaks(tmp_path):
    (tmp_path / "bad.json").write_text('{\n  "resourceType": "Bundle",\n  "type": transaction\n}\n')
    message = fails(tmp_path / "bad.json", ExitCode.INVALID_JSON)
    assert message.startswith(f"invalid JSON in {tmp_path / 'bad.json'} at line 3, column 11: ")


def test_invalid_json_inside_a_folder_says_which_file_and_where(tmp_path):
    write(tmp_path / "a.json", synthea_like("pa"))
    (tmp_path / "b.json").write_text('{"resourceType": "Bundle", "entry": [}')
    message = fails(tmp_path, ExitCode.INVALID_JSON)
    assert message.startswith(f"invalid JSON in {tmp_path / 'b.json'} at line 1, column 38")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda data: data[: len(data) // 2], "it is truncated"),
        (lambda data: b"\x1f\x8b" + b"\x00" * 40, "its header is not gzip"),
        (
            lambda data: data[:20] + bytes(b ^ 0x55 for b in data[20:60]) + data[60:],
            "its compressed data is damaged",
        ),
    ],
    ids=["truncated", "bad-header", "damaged"],
)
def test_a_corrupt_gzip_is_corrupt_gzip(tmp_path, content, reason):
    data = gzip.compress(orjson.dumps(synthea_like("p1", n_obs=50)))
    (tmp_path / "c.json.gz").write_bytes(content(data))
    message = fails(tmp_path / "c.json.gz", ExitCode.CORRUPT_GZIP)
    assert (
        message
        == f"{tmp_path / 'c.json.gz'} is not a readable gzip file ({reason}): re-download or re-compress it"
    )


def test_a_file_named_gz_that_is_not_gzip_is_corrupt_gzip(tmp_path):
    write(tmp_path / "p.json.gz", synthea_like("p1"))
    assert "is named .gz but is not gzip-compressed" in fails(tmp_path / "p.json.gz", ExitCode.CORRUPT_GZIP)


@pytest.mark.parametrize(
    ("obj", "kind"),
    [
        ([1, 2, 3], "a JSON array"),
        ({"name": "Dupont", "dob": "1950-01-01"}, "an object without resourceType"),
        ("Bundle", "a JSON string"),
    ],
)
def test_json_that_is_not_fhir_is_not_fhir(tmp_path, obj, kind):
    message = fails(write(tmp_path / "x.json", obj), ExitCode.NOT_FHIR)
    assert (
        message
        == f"{tmp_path / 'x.json'} is JSON but not FHIR ({kind}): expected a FHIR Bundle or Patient resource"
    )


def test_a_lone_observation_file_is_an_unexpected_resource_type(tmp_path):
    message = fails(
        write(tmp_path / "o.json", observation("o1", "Patient/p1")), ExitCode.UNEXPECTED_RESOURCE_TYPE
    )
    expected = "holds a single Observation: expected a Bundle with one Patient, or a Patient"
    assert message == f"{tmp_path / 'o.json'} {expected}"


def test_an_operation_outcome_file_is_an_unexpected_resource_type_and_its_text_is_not_echoed(tmp_path):
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": "processing", "diagnostics": "Patient DUPONT Marie: invalid"}
        ],
    }
    message = fails(write(tmp_path / "oo.json", outcome), ExitCode.UNEXPECTED_RESOURCE_TYPE)
    assert "is an OperationOutcome (an error report from a FHIR server), not patient data" in message
    assert "DUPONT" not in message


def test_a_history_bundle_is_an_unsupported_bundle_type(tmp_path):
    message = fails(
        write(tmp_path / "h.json", bundle([entry(patient())], "history")), ExitCode.UNSUPPORTED_BUNDLE_TYPE
    )
    assert message == (
        f"{tmp_path / 'h.json'} is a 'history' Bundle: expected a transaction, batch, collection, "
        "searchset or document Bundle"
    )


def test_a_bundle_without_a_patient_is_no_patient(tmp_path):
    message = fails(
        write(tmp_path / "n.json", bundle([entry(observation("o1", "Patient/p1"))])), ExitCode.NO_PATIENT
    )
    assert (
        message
        == f"{tmp_path / 'n.json'} holds no Patient resource: a bundle file must hold exactly one patient"
    )
    fails(write(tmp_path / "empty.json", bundle([])), ExitCode.NO_PATIENT)


def test_a_bundle_with_two_patients_is_multiple_patients(tmp_path):
    two = bundle([entry(patient("p1")), entry(observation("o1", "Patient/p1")), entry(patient("p2"))])
    message = fails(write(tmp_path / "two.json", two), ExitCode.MULTIPLE_PATIENTS)
    assert message.startswith(
        f"{tmp_path / 'two.json'} holds more than one Patient (a second one at entry 2)"
    )


def test_an_entry_that_is_not_a_resource_is_not_fhir(tmp_path):
    broken = bundle([entry(patient("p1")), {"resource": {"id": "x"}}])
    message = fails(write(tmp_path / "b.json", broken), ExitCode.NOT_FHIR)
    assert (
        message == f"entry 1 of the Bundle in {tmp_path / 'b.json'} is not a FHIR resource (no resourceType)"
    )


def test_a_patient_with_an_invalid_id_is_not_fhir(tmp_path):
    message = fails(write(tmp_path / "p.json", patient("has space")), ExitCode.NOT_FHIR)
    assert "has an invalid id 'has space'" in message


def test_an_unknown_patient_id_in_a_bundle_file_names_the_one_it_holds(tmp_path):
    with pytest.raises(RecordError) as caught:
        open_source(write(tmp_path / "p.json", synthea_like("p1"))).patient("p2")
    assert caught.value.code == ExitCode.PATIENT_NOT_FOUND
    assert (
        caught.value.message
        == f"patient 'p2' not found in bundle file {tmp_path / 'p.json'}: it holds 1 patient (p1)"
    )


# -- fuzzing the parsing boundary: any JSON gives a result or a RiskError, never a traceback ----------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
resource_like = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["Patient", "Observation", "Bundle", "OperationOutcome", "Condition"])},
    optional={
        "id": st.sampled_from(["p1", "p2", "", "bad id", 7]),
        "subject": st.sampled_from([{"reference": "Patient/p1"}, {"reference": 3}, "Patient/p1", [], None]),
        "patient": json_values,
        "type": st.sampled_from(["transaction", "collection", "history", 5]),
    },
)
entries_like = st.lists(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "resource": st.one_of(resource_like, json_values),
                "fullUrl": st.sampled_from(["urn:uuid:1", 2, "Patient/p1"]),
                "search": json_values,
            },
        ),
    ),
    max_size=6,
)
documents = st.one_of(
    json_values,
    resource_like,
    st.builds(
        lambda t, e: {"resourceType": "Bundle", "type": t, "entry": e},
        st.sampled_from(["transaction", "searchset", "document"]),
        entries_like,
    ),
)


@settings(max_examples=150, deadline=None)
@given(document=documents, gz=st.booleans())
def test_any_json_document_gives_patients_or_one_clear_error(tmp_path_factory, document, gz):
    path = write(tmp_path_factory.mktemp("fuzz") / ("f.json.gz" if gz else "f.json"), document, gz=gz)
    try:
        source = open_source(path)
        for record in source.iter_patients():
            assert record.patient["resourceType"] == "Patient"
            assert all(r.get("subject", r.get("patient")) for r in record.resources)
    except RiskError as exc:
        assert exc.code != ExitCode.INTERNAL and "\n" not in exc.message


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(st.one_of(resource_like, json_values), min_size=1, max_size=6))
def test_any_ndjson_lines_give_patients_or_one_clear_error(tmp_path_factory, lines):
    path = write_ndjson(tmp_path_factory.mktemp("fuzz") / "Mixed.ndjson", lines)
    try:
        source = open_source(path)
        assert [p.patient_id for p in source.iter_patients()] == source.patient_ids()
        assert len(list(source.iter_resources())) == len(lines)
    except RiskError as exc:
        assert exc.code != ExitCode.INTERNAL and "\n" not in exc.message
