"""`risk panel` on an export organised by patient (FHIR Bulk Data `organizeOutputBy=Patient`, issue 13): scored file
by file without the bucket pass, with exactly the bucket pass's CSV, Parquet and side file; bad lines set aside at
their file and line; anything out of place (a duplicate Patient, an orphan, a Medication held in another block) makes
it fall back to the bucket pass rather than write a different row."""

from __future__ import annotations

import gzip
import logging
import shutil
from datetime import date
from pathlib import Path

import orjson
import pytest

from risk.panel.organized import organized_chains
from risk.panel.screen import ScreenSummary, screen
from risk.synth import generate
from tests.organized_export import BASE_URL, header, organize

JOB = {"models_dir": None, "as_of": date(2025, 12, 31), "region": "low", "guideline_set": "esc_eas2025"}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cohort")
    generate(n_patients=24, seed=7, out_dir=out)
    return out


def _screen(source: Path, out: Path, name: str, **kwargs) -> tuple[ScreenSummary, tuple[bytes, bytes, bytes]]:
    """The run's summary and its three outputs' bytes (CSV, Parquet, side file)."""
    paths = out / f"{name}.csv", out / f"{name}.parquet", out / f"{name}.rejects.csv"
    summary = screen(source, out_csv=paths[0], out_parquet=paths[1], rejects_path=paths[2], job_args=JOB,
                     **{"workers": 1, **kwargs})
    return summary, tuple(p.read_bytes() for p in paths)  # type: ignore[return-value]


def _append(path: Path, *lines: bytes) -> None:
    with path.open("ab") as f:
        f.write(b"".join(lines))


def _last_patient(path: Path) -> str:
    ids = [r["id"] for r in map(orjson.loads, path.open("rb")) if r.get("resourceType") == "Patient"]
    return ids[-1]


def test_an_organised_export_gives_the_type_per_file_outputs_byte_for_byte(cohort, tmp_path):
    """One cohort written both ways: type per file (`risk synth`, the bucket pass) and organised by patient with a
    manifest, a block split over two files (continuesInFile); on one worker and on two."""
    organize(cohort, tmp_path / "org", files=3, split=True)
    flat, expected = _screen(cohort, tmp_path, "flat")
    assert not flat.organized and flat.scored + flat.deceased == 24
    for workers in (1, 2):
        summary, got = _screen(tmp_path / "org", tmp_path, f"org{workers}", workers=workers)
        assert summary.organized and summary.buckets == 2  # output.000 -> output.001, and output.002
        assert got == expected
        assert (summary.scored, summary.deceased, summary.categories, summary.gaps) == (
            flat.scored, flat.deceased, flat.categories, flat.gaps)


def test_organised_files_are_recognised_by_their_content_without_a_manifest(cohort, tmp_path):
    organize(cohort, tmp_path / "org", files=4, split=False, gz=True, manifest=False)
    chains = organized_chains(tmp_path / "org")
    assert chains is not None and [[n for _, n in c.files] for c in chains] == [
        [f"output.00{k}.ndjson.gz"] for k in range(4)]
    assert organized_chains(cohort) is None  # type per file: the bucket pass
    summary, got = _screen(tmp_path / "org", tmp_path, "org")
    assert summary.organized and got == _screen(cohort, tmp_path, "flat")[1]


def test_a_manifest_not_organised_by_patient_or_a_continuation_without_one_means_the_bucket_pass(cohort, tmp_path):
    organize(cohort, tmp_path / "org", files=3, split=True)
    manifest = tmp_path / "org" / "manifest.json"
    doc = orjson.loads(manifest.read_bytes())
    manifest.write_bytes(orjson.dumps({**doc, "outputOrganizedBy": "Group"}))
    assert organized_chains(tmp_path / "org") is None
    manifest.unlink()  # the continuation of the split block cannot be linked: found out when read, bucket pass
    summary, got = _screen(tmp_path / "org", tmp_path, "org")
    assert not summary.organized and got == _screen(cohort, tmp_path, "flat")[1]


def _bad_organised_export(cohort: Path, folder: Path) -> set[str]:
    """The organised cohort plus bad lines that the bucket pass sets aside line by line; returns their reasons."""
    organize(cohort, folder, files=3, split=True)
    _append(folder / "output.002.ndjson",
            b'{"resourceType": "Observation", "id": "cut", "subject": {"reference": "Pat\n',
            orjson.dumps({"resourceType": "Observaton", "id": "typo"}) + b"\n",
            b"[1, 2]\n",
            header("nobirth"),
            orjson.dumps({"resourceType": "Patient", "id": "nobirth", "gender": "male",
                          "name": [{"family": "Sansdate"}]}) + b"\n",
            orjson.dumps({"resourceType": "Observation", "id": "o-nobirth", "status": "final",
                          "subject": {"reference": "Patient/nobirth"}}) + b"\n")
    # A sub-folder file cut short after good lines (a whole block, then one cut in its middle), and the tools' log.
    sub = folder / "part2"
    sub.mkdir()
    extra = [header("extra-1"), orjson.dumps({"resourceType": "Patient", "id": "extra-1", "gender": "female",
                                              "birthDate": "1956-04-02"}) + b"\n"]
    obs = orjson.dumps({"resourceType": "Observation", "id": "o-x", "status": "final", "effectiveDateTime":
                        "2025-06-01", "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                        "valueQuantity": {"value": 150, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org",
                                          "code": "mm[Hg]"}, "subject": {"reference": "Patient/extra-1"}}) + b"\n"
    blob = gzip.compress(b"".join(extra) + obs * 3000, compresslevel=1)
    (sub / "output.extra.ndjson.gz").write_bytes(blob[: len(blob) // 2])
    (folder / "log.ndjson").write_text('{"not": "a resource"}\n')
    manifest = folder / "manifest.json"
    doc = orjson.loads(manifest.read_bytes())
    doc["output"].append({"url": f"{BASE_URL}/output.extra.ndjson.gz"})
    manifest.write_bytes(orjson.dumps(doc))
    return {"invalid_json", "unknown_resource_type", "not_a_resource", "patient_no_birth_date", "truncated_gzip"}


def test_bad_lines_of_organised_files_are_set_aside_as_the_bucket_pass_does(cohort, tmp_path):
    reasons = _bad_organised_export(cohort, tmp_path / "org")
    summary, got = _screen(tmp_path / "org", tmp_path, "org", workers=2)
    bucketed, expected = _screen(tmp_path / "org", tmp_path, "buckets", buckets=3)
    assert summary.organized and not bucketed.organized
    assert got == expected and summary.rejects == bucketed.rejects and summary.lines == bucketed.lines
    assert set(summary.rejects) == reasons
    rejects = expected[2].decode()
    assert "output.002.ndjson," in rejects and "part2/output.extra.ndjson.gz," in rejects
    assert "Sansdate" not in rejects


def _medication_request(cohort: Path, pid: str, reference: str) -> tuple[bytes, bytes]:
    """A Medication and a MedicationRequest of `pid` naming it by `reference` (made from one of the cohort's)."""
    request = next(r for r in map(orjson.loads, (cohort / "MedicationRequest.ndjson").open("rb")))
    medication = {"resourceType": "Medication", "id": "m1", "code": request.pop("medicationCodeableConcept")}
    request.update(id="mr-m1", subject={"reference": f"Patient/{pid}"}, medicationReference={"reference": reference})
    return orjson.dumps(medication) + b"\n", orjson.dumps(request) + b"\n"


def test_a_medication_in_the_block_that_references_it_keeps_the_organised_path(cohort, tmp_path):
    folder = tmp_path / "org"
    organize(cohort, folder, files=3, split=True)
    last = folder / "output.002.ndjson"
    medication, request = _medication_request(cohort, _last_patient(last), "Medication/m1")
    _append(last, medication, request)
    summary, got = _screen(folder, tmp_path, "org")
    assert summary.organized and got == _screen(folder, tmp_path, "buckets", buckets=2)[1]


def _duplicate(cohort: Path, folder: Path) -> None:
    first = (folder / "output.000.ndjson").open("rb").readlines()[:2]  # its header and Patient
    _append(folder / "output.002.ndjson", *first)


def _orphan(cohort: Path, folder: Path) -> None:
    _append(folder / "output.002.ndjson", orjson.dumps({"resourceType": "Observation", "id": "o-ghost",
                                                        "status": "final",
                                                        "subject": {"reference": "Patient/ghost"}}) + b"\n")


def _invalid_id(cohort: Path, folder: Path) -> None:
    _append(folder / "output.001.ndjson", header("bad"), orjson.dumps(
        {"resourceType": "Patient", "id": "bad id!", "gender": "female", "birthDate": "1950-02-03"}) + b"\n")


def _medication_elsewhere(cohort: Path, folder: Path) -> None:
    last = folder / "output.002.ndjson"
    medication, request = _medication_request(cohort, _last_patient(last), "Medication/m1")
    _append(last, request)
    text = (folder / "output.000.ndjson").read_bytes()
    (folder / "output.000.ndjson").write_bytes(medication + text)  # before the first block: another chain


@pytest.mark.parametrize(("damage", "reason", "why", "workers"), [
    (_duplicate, "duplicate_patient", "a Patient in two files", 2),
    (_orphan, "orphan_resource", "outside its patient's block", 2),
    (_invalid_id, "patient_invalid_id", "a Patient with an invalid id", 1),
    (_medication_elsewhere, None, "a Medication referenced outside the block that holds it", 1)])
def test_anything_out_of_place_falls_back_to_the_bucket_pass(cohort, tmp_path, caplog, damage, reason, why, workers):
    folder = tmp_path / "org"
    organize(cohort, folder, files=3, split=True)
    damage(cohort, folder)
    with caplog.at_level(logging.INFO, logger="risk.panel.organized"):
        summary, got = _screen(folder, tmp_path, "org", workers=workers)
    assert why in caplog.text
    bucketed, expected = _screen(folder, tmp_path, "buckets", buckets=2)
    assert not summary.organized and got == expected
    assert set(summary.rejects) == ({reason} if reason else set())


def test_a_single_organised_file(cohort, tmp_path):
    organize(cohort, tmp_path / "org", files=1, split=False, manifest=False)
    one = tmp_path / "one.ndjson"
    shutil.copy(tmp_path / "org" / "output.000.ndjson", one)
    summary, got = _screen(one, tmp_path, "one")
    assert summary.organized and got == _screen(cohort, tmp_path, "flat")[1]
