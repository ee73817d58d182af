"""File sources on good input: bundle files of every type, folders of bundles, bulk-export NDJSON, and
open_source's choice of source. Files are written with tmp_path."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from risk.errors import ExitCode, RecordError, SourceError
from risk.fhir import open_source
from risk.fhir.bundle import BundleFileSource, BundleFolderSource
from risk.fhir.ndjson import NdjsonSource
from risk.fhir.server import ServerSource
from tests.fhir_factories import (
    PATIENT_UUID,
    bundle,
    entry,
    fails,
    ids,
    observation,
    patient,
    read_all,
    synthea_like,
    write,
    write_ndjson,
)
from tests.paths import SHARED

BULK_10 = SHARED / "fhir_samples" / "smart-sample-bulk-fhir-datasets" / "10-patients"


# -- bundle files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_synthea_transaction_bundle_links_every_resource_to_its_patient(tmp_path, gz):
    path = write(tmp_path / ("p.json.gz" if gz else "p.json"), synthea_like("p1", n_obs=3), gz=gz)
    source = open_source(path)
    assert isinstance(source, BundleFileSource)
    assert source.patient_ids() == ["p1"]
    record = source.patient("p1")
    assert ids(record) == {
        ("Observation", "p1-o0"),
        ("Observation", "p1-o1"),
        ("Observation", "p1-o2"),
        ("Immunization", "p1-imm"),
    }
    assert {r.get("subject", r.get("patient"))["reference"] for r in record.resources} == {"Patient/p1"}
    assert record.resources[0]["valueQuantity"]["value"] == 2.1


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("btype", ["transaction", "batch", "collection", "searchset", "document"])
def test_each_accepted_bundle_type_gives_the_patient_and_its_resources(tmp_path, btype, gz):
    base = "https://ehr.example.fr/fhir"
    entries = [
        entry(patient("p9"), f"{base}/Patient/p9", search={"mode": "match"}),
        entry(observation("o1", "Patient/p9"), f"{base}/Observation/o1", search={"mode": "include"}),
        entry(
            {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "information", "code": "informational"}],
            },
            search={"mode": "outcome"},
        ),
    ]
    if btype == "document":
        composition = {
            "resourceType": "Composition",
            "id": "c1",
            "status": "final",
            "subject": {"reference": "Patient/p9"},
        }
        entries.insert(0, entry(composition, f"{base}/Composition/c1"))
    path = write(tmp_path / ("b.json.gz" if gz else "b.json"), bundle(entries, btype), gz=gz)
    record = open_source(path).patient("p9")
    assert record.patient["birthDate"] == "1958-03-14"
    expected = {("Observation", "o1")} | ({("Composition", "c1")} if btype == "document" else set())
    assert ids(record) == expected


@pytest.mark.parametrize(
    "ref",
    [
        PATIENT_UUID,
        "Patient/p1",
        "http://hapi.example.org/fhir/Patient/p1",
        "Patient/p1/_history/2",
        "https://hapi.example.org/fhir/Patient/p1/_history/7",
    ],
)
def test_every_reference_form_is_rewritten_to_patient_slash_id(tmp_path, ref):
    entries = [
        entry(patient("p1"), PATIENT_UUID),
        entry(observation("o1", ref)),
        entry(observation("o2", ref, key="patient")),
    ]
    record = open_source(write(tmp_path / "b.json", bundle(entries))).patient("p1")
    assert [r["id"] for r in record.resources] == ["o1", "o2"]
    assert record.resources[0]["subject"] == {"reference": "Patient/p1"}
    assert record.resources[1]["patient"] == {"reference": "Patient/p1"}


def test_resources_about_someone_else_or_unresolvable_are_not_given_to_the_patient(tmp_path):
    entries = [
        entry(patient("p1"), PATIENT_UUID),
        entry(observation("mine", PATIENT_UUID)),
        entry(observation("other-patient", "Patient/p2")),
        entry(observation("unknown-uuid", "urn:uuid:ffffffff-0000-0000-0000-000000000000")),
        entry(observation("conditional", "Patient?identifier=http://mrn|1")),
        entry({"resourceType": "Practitioner", "id": "dr1"}),
    ]
    path = write(tmp_path / "b.json", bundle(entries, "collection"))
    source = open_source(path)
    assert ids(source.patient("p1")) == {("Observation", "mine")}
    streamed = list(BundleFileSource(path).iter_resources())  # every resource once, whoever it is about
    assert [r["id"] for r in streamed] == [
        "p1",
        "mine",
        "other-patient",
        "unknown-uuid",
        "conditional",
        "dr1",
    ]


def test_resources_before_the_patient_in_the_bundle_are_still_linked(tmp_path):
    entries = [
        entry(observation("o1", PATIENT_UUID)),
        entry(observation("o2", PATIENT_UUID)),
        entry(patient("p1"), PATIENT_UUID),
    ]
    path = write(tmp_path / "b.json", bundle(entries))
    assert [r["id"] for r in open_source(path).patient("p1").resources] == ["o1", "o2"]
    streamed = list(BundleFileSource(path).iter_resources())
    assert [r["id"] for r in streamed] == ["p1", "o1", "o2"]  # the Patient comes first
    assert streamed[1]["subject"]["reference"] == "Patient/p1"


def test_a_patient_without_id_takes_it_from_its_urn_uuid_full_url(tmp_path):
    no_id = patient()
    del no_id["id"]
    entries = [entry(no_id, "urn:uuid:5c3e"), entry(observation("o1", "urn:uuid:5c3e"))]
    record = open_source(write(tmp_path / "b.json", bundle(entries))).patient("5c3e")
    assert record.patient["id"] == "5c3e" and ids(record) == {("Observation", "o1")}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_bare_patient_file_is_a_patient_without_resources(tmp_path, gz):
    source = open_source(write(tmp_path / ("p.json.gz" if gz else "p.json"), patient("solo"), gz=gz))
    assert source.patient_ids() == ["solo"]
    assert source.patient("solo").resources == []
    assert [r["id"] for r in source.iter_resources()] == ["solo"]


def test_a_utf8_bom_written_by_windows_tools_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(synthea_like("p1")))
    assert open_source(path).patient_ids() == ["p1"]


# -- folders of bundles -----------------------------------------------------------------------------


def test_a_folder_of_bundles_gives_one_patient_per_file(tmp_path):
    write(tmp_path / "a.json", synthea_like("pa", n_obs=2))
    write(tmp_path / "b.json.gz", synthea_like("pb", n_obs=4), gz=True)
    (tmp_path / "README.md").write_text("not a bundle")
    source = open_source(tmp_path)
    assert isinstance(source, BundleFolderSource)
    assert source.patient_ids() == ["pa", "pb"]
    assert len(source.patient("pb").resources) == 5
    assert [(p.patient_id, len(p.resources)) for p in source.iter_patients()] == [("pa", 3), ("pb", 5)]
    streamed = [r["resourceType"] for r in source.iter_resources()]
    assert streamed.count("Patient") == 2 and streamed.count("Organization") == 2 and len(streamed) == 12


def test_an_unknown_patient_in_a_folder_names_the_id_the_count_and_some_that_exist(tmp_path):
    for i in range(7):
        write(tmp_path / f"{i}.json", synthea_like(f"p{i}", n_obs=1))
    with pytest.raises(RecordError) as caught:
        open_source(tmp_path).patient("p99")
    message = caught.value.message
    assert caught.value.code == ExitCode.PATIENT_NOT_FOUND
    expected = (
        f"patient 'p99' not found in bundle folder {tmp_path}: it holds 7 patients (p0, p1, p2, p3, p4, ...)"
    )
    assert message == expected


def test_the_same_patient_in_two_files_of_a_folder_is_refused(tmp_path):
    write(tmp_path / "a.json", synthea_like("p1"))
    write(tmp_path / "b.json.gz", synthea_like("p1"), gz=True)
    message = fails(tmp_path, ExitCode.MULTIPLE_PATIENTS)
    assert "patient 'p1' is in two files" in message and "a.json" in message and "b.json.gz" in message
    with pytest.raises(SourceError):
        list(open_source(tmp_path).iter_patients())


# -- bulk export NDJSON -----------------------------------------------------------------------------


def _export(folder: Path, *, gz: bool) -> Path:
    suffix = ".ndjson.gz" if gz else ".ndjson"
    folder.mkdir()
    write_ndjson(folder / f"Patient.000{suffix}", [patient("p1"), patient("p2")], gz=gz)
    write_ndjson(
        folder / f"Observation.000{suffix}",
        [
            observation("o1", "Patient/p1"),
            observation("o2", "https://ehr.example.fr/fhir/Patient/p2/_history/3"),
            observation("o3", "Patient/p1"),
            observation("orphan", "Patient/p404"),
        ],
        gz=gz,
    )
    write_ndjson(
        folder / f"Immunization.000{suffix}",
        [{"resourceType": "Immunization", "id": "i1", "patient": {"reference": "Patient/p2"}}],
        gz=gz,
    )
    write_ndjson(folder / f"Organization.000{suffix}", [{"resourceType": "Organization", "id": "org"}], gz=gz)
    (folder / "log.ndjson").write_text(
        '{"eventId": "kickoff", "exportId": "x"}\n'
    )  # bulk-export log, not FHIR
    return folder


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_bulk_export_folder_groups_resources_by_patient(tmp_path, gz):
    source = open_source(_export(tmp_path / "export", gz=gz))
    assert isinstance(source, NdjsonSource)
    assert source.patient_ids() == ["p1", "p2"]
    assert ids(source.patient("p1")) == {("Observation", "o1"), ("Observation", "o3")}
    p2 = source.patient("p2")
    assert ids(p2) == {("Observation", "o2"), ("Immunization", "i1")}
    assert {r.get("subject", r.get("patient"))["reference"] for r in p2.resources} == {"Patient/p2"}
    grouped = {p.patient_id: ids(p) for p in source.iter_patients()}
    assert grouped == {"p1": ids(source.patient("p1")), "p2": ids(p2)}
    streamed = [r["id"] for r in source.iter_resources()]
    assert sorted(streamed) == sorted(["p1", "p2", "o1", "o2", "o3", "orphan", "i1", "org"])


def test_a_single_ndjson_file_is_a_source_too(tmp_path):
    path = write_ndjson(tmp_path / "all.ndjson.gz", [patient("p1"), observation("o1", "Patient/p1")], gz=True)
    source = open_source(path)
    assert isinstance(source, NdjsonSource)
    assert ids(source.patient("p1")) == {("Observation", "o1")}


def test_an_unknown_patient_in_a_bulk_export_lists_the_patients_it_holds(tmp_path):
    with pytest.raises(RecordError) as caught:
        open_source(_export(tmp_path / "export", gz=False)).patient("p3")
    assert caught.value.code == ExitCode.PATIENT_NOT_FOUND
    assert (
        caught.value.message
        == f"patient 'p3' not found in bulk export {tmp_path / 'export'}: it holds 2 patients (p1, p2)"
    )


def test_a_broken_ndjson_line_is_reported_with_its_file_and_line_number(tmp_path):
    folder = _export(tmp_path / "export", gz=False)
    with (folder / "Observation.000.ndjson").open("ab") as fh:
        fh.write(b'{"resourceType": "Observation", "id": "cut"\n')
    message = fails(folder, ExitCode.INVALID_JSON, read_all)
    assert message == (
        f"invalid JSON in {folder / 'Observation.000.ndjson'} at line 5, column 44: unexpected end of data"
    )


def test_an_ndjson_line_that_is_not_a_resource_is_not_fhir(tmp_path):
    folder = _export(tmp_path / "export", gz=True)
    write_ndjson(folder / "Condition.000.ndjson", [{"id": "c1", "code": {}}])
    message = fails(folder, ExitCode.NOT_FHIR, read_all)
    assert message == f"{folder / 'Condition.000.ndjson'} line 1 is not a FHIR resource (no resourceType)"


def test_a_corrupt_gzip_in_a_bulk_export_is_named(tmp_path):
    folder = _export(tmp_path / "export", gz=True)
    data = (folder / "Observation.000.ndjson.gz").read_bytes()
    (folder / "Observation.000.ndjson.gz").write_bytes(data[: len(data) // 2])
    message = fails(folder, ExitCode.CORRUPT_GZIP, read_all)
    assert message.startswith(
        f"{folder / 'Observation.000.ndjson.gz'} is not a readable gzip file (it is truncated)"
    )


def test_a_patient_twice_in_a_bulk_export_is_refused(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    write_ndjson(folder / "Patient.ndjson", [patient("p1"), patient("p1")])
    assert "patient 'p1' appears twice" in fails(folder, ExitCode.MULTIPLE_PATIENTS)


def test_the_real_smart_bulk_export_links_every_condition_to_one_of_its_patients():
    if not BULK_10.is_dir():
        pytest.skip(f"{BULK_10} not found")
    source = open_source(BULK_10)
    patients = list(source.iter_patients())
    assert len(patients) == len(source.patient_ids()) == 13  # SOURCE.md: Patient 13
    conditions = sum(1 for p in patients for r in p.resources if r["resourceType"] == "Condition")
    assert conditions == 555  # SOURCE.md: Condition 555, none orphaned
    docs = sum(1 for p in patients for r in p.resources if r["resourceType"] == "DocumentReference")
    assert docs > 0  # read from the gzipped DocumentReference.000.ndjson.gz


# -- open_source dispatch ---------------------------------------------------------------------------


def test_open_source_recognises_a_server_url_without_contacting_it():
    source = open_source("https://fhir.example.org/r4/", token="secret-token", timeout=5)
    assert isinstance(source, ServerSource)
    assert source.url == "https://fhir.example.org/r4" and source.timeout == 5
    assert "secret-token" not in repr(source) + source.description


def test_a_missing_path_is_file_not_found(tmp_path):
    message = fails(tmp_path / "nope.json", ExitCode.FILE_NOT_FOUND)
    assert (
        message
        == f"{tmp_path / 'nope.json'} does not exist: give a FHIR bundle file, a folder or a server URL"
    )


def test_a_folder_without_fhir_files_is_file_not_found(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert "no FHIR files in folder" in fails(tmp_path, ExitCode.FILE_NOT_FOUND)
