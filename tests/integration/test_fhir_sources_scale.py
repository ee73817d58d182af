"""Sources at scale: a bundle too large to parse whole is streamed, and the 449 SMART sample patients
come out the same from their bundles as from the bulk NDJSON made of those bundles."""

from __future__ import annotations

import gzip
import tracemalloc
from collections import Counter
from pathlib import Path

import orjson
import pytest

from risk.errors import ExitCode, SourceError
from risk.fhir import PatientResources
from risk.fhir import bundle as bundle_module
from risk.fhir.bundle import BundleFileSource, BundleFolderSource
from risk.fhir.ndjson import NdjsonSource
from tests.paths import SHARED

SMART = SHARED / "fhir_samples" / "smart-generated-sample-data-r4"
# Left out of the NDJSON when it was made (SOURCE.md); Organization/Practitioner are about no patient.
NOT_IN_NDJSON = {
    "Claim",
    "ExplanationOfBenefit",
    "MedicationAdministration",
    "Provenance",
    "Organization",
    "Practitioner",
}
THRESHOLD = 1_000_000  # a lowered stream threshold, so that a ~10 MB file takes the streaming path


def big_bundle(n_obs: int, *, patient_last: bool = False) -> dict:
    """A transaction bundle of one patient with `n_obs` Observations (about 330 bytes each)."""
    patient = {
        "fullUrl": "urn:uuid:big-1",
        "resource": {"resourceType": "Patient", "id": "big-1", "birthDate": "1950-06-01"},
    }
    observations = [
        {
            "fullUrl": f"urn:uuid:obs-{i}",
            "resource": {
                "resourceType": "Observation",
                "id": f"obs-{i}",
                "status": "final",
                "code": {
                    "coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic BP"}]
                },
                "subject": {"reference": "urn:uuid:big-1"},
                "effectiveDateTime": "2020-01-01T10:00:00+00:00",
                "valueQuantity": {
                    "value": 120 + i % 40 + 0.25,
                    "unit": "mm[Hg]",
                    "system": "http://unitsofmeasure.org",
                    "code": "mm[Hg]",
                },
            },
        }
        for i in range(n_obs)
    ]
    entries = [*observations, patient] if patient_last else [patient, *observations]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.json"
    path.write_bytes(orjson.dumps(big_bundle(30_000)))
    return path


def test_a_bundle_above_the_threshold_is_streamed_and_never_held_whole(big_file, monkeypatch):
    size = big_file.stat().st_size
    assert size > 10 * THRESHOLD
    source = BundleFileSource(big_file, stream_threshold=THRESHOLD)
    assert source.streamed

    def whole_file_read(path: Path) -> bytes:
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(bundle_module, "read_bytes", whole_file_read)
    tracemalloc.start()
    try:
        count, linked = 0, 0
        for resource in source.iter_resources():
            count += 1
            linked += resource.get("subject", {}).get("reference") == "Patient/big-1"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, linked) == (30_001, 30_000)
    # constant memory: read buffers and one entry at a time (about 1.5 MB here, whatever the file size)
    assert peak < size / 5, f"peak {peak} bytes while streaming a {size}-byte file"


def test_the_streamed_and_the_whole_file_paths_give_the_same_patient(big_file):
    streamed = BundleFileSource(big_file, stream_threshold=THRESHOLD).patient("big-1")
    whole = BundleFileSource(big_file).patient("big-1")
    assert streamed == whole  # same resources, same values (floats stay floats), same rewritten references
    assert streamed.resources[7]["valueQuantity"]["value"] == 127.25


def test_a_streamed_gzip_bundle_with_its_patient_last_is_read(tmp_path):
    path = tmp_path / "big.json.gz"
    path.write_bytes(gzip.compress(orjson.dumps(big_bundle(5_000, patient_last=True)), compresslevel=1))
    source = BundleFileSource(path, stream_threshold=THRESHOLD)
    assert source.streamed
    assert source.patient_ids() == ["big-1"]
    record = source.patient("big-1")
    assert len(record.resources) == 5_000
    assert {r["subject"]["reference"] for r in record.resources} == {"Patient/big-1"}


def test_a_streamed_bundle_whose_type_comes_after_its_entries_is_still_checked(tmp_path):
    history = {"resourceType": "Bundle", "entry": big_bundle(3_000)["entry"], "type": "history"}
    path = tmp_path / "history.json"
    path.write_bytes(orjson.dumps(history))
    with pytest.raises(SourceError) as caught:
        BundleFileSource(path, stream_threshold=THRESHOLD).patient_ids()
    assert caught.value.code == ExitCode.UNSUPPORTED_BUNDLE_TYPE


def test_invalid_json_in_a_streamed_bundle_is_reported_without_echoing_its_content(tmp_path):
    data = orjson.dumps(big_bundle(10_000))
    path = tmp_path / "cut.json"
    path.write_bytes(data[: len(data) // 2] + b',"name": [{"family": "DUPONT"}] garbage')
    with pytest.raises(SourceError) as caught:
        list(BundleFileSource(path, stream_threshold=THRESHOLD).iter_resources())
    assert caught.value.code == ExitCode.INVALID_JSON
    message = caught.value.message
    assert message.startswith(f"invalid JSON in {path} (found while streaming): ")
    assert "DUPONT" not in message and "garbage" not in message and "\n" not in message


def _ids(pr: PatientResources) -> set[tuple[str, str]]:
    return {(r["resourceType"], r["id"]) for r in pr.resources if r["resourceType"] not in NOT_IN_NDJSON}


@pytest.mark.slow  # 11 s: 449 gzipped bundles and the bulk NDJSON made of them
def test_all_449_smart_patients_have_the_same_resources_in_their_bundles_and_in_the_ndjson():
    if not SMART.is_dir():
        pytest.skip(f"{SMART} not found")
    ndjson = {p.patient_id: _ids(p) for p in NdjsonSource(SMART / "ndjson").iter_patients()}
    bundles = BundleFolderSource(SMART / "bundles_gz")
    assert set(bundles.patient_ids()) == set(ndjson)  # the quick index (first entries only) agrees
    compared: Counter[str] = Counter()
    for record in bundles.iter_patients():
        from_bundle = _ids(record)
        assert from_bundle == ndjson.pop(record.patient_id), record.patient_id
        compared.update(rtype for rtype, _ in from_bundle)
    assert not ndjson
    # SOURCE.md counts: every resource of the NDJSON was matched to its patient
    assert compared["Observation"] == 74_912 and compared["Condition"] == 3_780
    assert compared["MedicationRequest"] == 4_057 and compared["Encounter"] == 14_076
    assert (
        sum(compared.values())
        == 74_912 + 14_076 + 10_894 + 5_859 + 4_494 + 4_057 + 3_780 + 1_442 + 1_147 + 311 + 161
    )


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ([{"resourceType": "Observation"}] * 40_000, "a JSON array"),
        ({"items": list(range(400_000))}, "an object"),
    ],
    ids=["array", "object"],
)
def test_a_streamed_file_that_is_not_fhir_is_not_fhir(tmp_path, document, kind):
    path = tmp_path / "not-fhir.json"
    path.write_bytes(orjson.dumps(document))
    source = BundleFileSource(path, stream_threshold=THRESHOLD)
    assert source.streamed
    with pytest.raises(SourceError) as caught:
        source.patient_ids()
    assert caught.value.code == ExitCode.NOT_FHIR
    assert caught.value.message.startswith(f"{path} is JSON but not FHIR ({kind}")
