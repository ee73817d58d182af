"""`risk inspect` end to end: every bad input gives one line `risk: error: ...` and its named exit code, data
problems inside a usable record are listed (not fatal), a 500 MB bundle is streamed, and the JSON output has a
stable shape."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from risk.cli import main
from risk.errors import ExitCode, RecordError, SourceError
from risk.fhir.bundle import BundleFileSource
from risk.record.load import iter_records
from tests.fhir_spec import BP, SNOMED, Code, Lab, PatientSpec, bundle, write_bundle
from tests.paths import REPO

ROOT = REPO
AS_OF = "2024-06-30"


def inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["inspect", *map(str, args), "--as-of", AS_OF])
    out, err = capsys.readouterr()
    return code, out, err


def fails(capsys: pytest.CaptureFixture[str], source: Path | str, code: ExitCode, *args: str) -> str:
    """The one error line of `risk inspect SOURCE`, after checking its exit code and that nothing else printed."""
    got, out, err = inspect(capsys, source, *args)
    assert got == code, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("risk: error: "), err
    assert "Traceback" not in err
    return lines[0].removeprefix("risk: error: ")


def healthy(**kw) -> PatientSpec:
    base = dict(id="p1", sex="female", birth="1969-04-12",
                labs=[Lab("total_chol", 5.6, "mmol/L", "2024-03-01"), Lab("hdl", 1.4, "mmol/L", "2024-03-01")],
                bp=[BP(132, 84, "2024-03-01")], smoking=("never", "2024-03-01"))
    base.update(kw)
    return PatientSpec(**base)


def write_json(path: Path, obj: object) -> Path:
    path.write_text(json.dumps(obj))
    return path


# -- files that cannot be read ---------------------------------------------------------------------------


def test_a_missing_file_is_file_not_found(capsys, tmp_path):
    message = fails(capsys, tmp_path / "nope.json", ExitCode.FILE_NOT_FOUND)
    assert message == f"{tmp_path / 'nope.json'} does not exist: give a FHIR bundle file, a folder or a server URL"


def test_an_empty_file_is_empty_file(capsys, tmp_path):
    (tmp_path / "empty.json").write_bytes(b"")
    message = fails(capsys, tmp_path / "empty.json", ExitCode.EMPTY_FILE)
    assert message == f"{tmp_path / 'empty.json'} is empty: expected a FHIR Bundle or Patient resource"


def test_invalid_json_is_invalid_json_with_its_line_and_column(capsys, tmp_path):
    (tmp_path / "bad.json").write_text('{"resourceType": "Bundle",\n "type": "collection",\n "entry": [}\n')
    message = fails(capsys, tmp_path / "bad.json", ExitCode.INVALID_JSON)
    assert message.startswith(f"invalid JSON in {tmp_path / 'bad.json'} at line 3, column 12: ")


def test_a_corrupt_gzip_is_corrupt_gzip(capsys, tmp_path):
    data = gzip.compress(json.dumps(bundle(healthy())).encode())
    (tmp_path / "cut.json.gz").write_bytes(data[: len(data) // 2])
    message = fails(capsys, tmp_path / "cut.json.gz", ExitCode.CORRUPT_GZIP)
    assert message == (f"{tmp_path / 'cut.json.gz'} is not a readable gzip file (it is truncated): "
                       "re-download or re-compress it")


def test_json_that_is_not_fhir_is_not_fhir(capsys, tmp_path):
    path = write_json(tmp_path / "x.json", {"nom": "Dupont", "naissance": "1950-01-01"})
    message = fails(capsys, path, ExitCode.NOT_FHIR)
    assert message == (f"{path} is JSON but not FHIR (an object without resourceType): "
                       "expected a FHIR Bundle or Patient resource")


def test_an_unexpected_resource_type_is_named(capsys, tmp_path):
    path = write_json(tmp_path / "obs.json", bundle(healthy())["entry"][1]["resource"])
    message = fails(capsys, path, ExitCode.UNEXPECTED_RESOURCE_TYPE)
    assert message == f"{path} holds a single Observation: expected a Bundle with one Patient, or a Patient"


def test_a_bundle_with_no_patient_is_no_patient(capsys, tmp_path):
    b = bundle(healthy())
    b["entry"] = b["entry"][1:]
    message = fails(capsys, write_json(tmp_path / "np.json", b), ExitCode.NO_PATIENT)
    assert message == f"{tmp_path / 'np.json'} holds no Patient resource: a bundle file must hold exactly one patient"


def test_a_bundle_with_two_patients_is_multiple_patients(capsys, tmp_path):
    b = bundle(healthy())
    b["entry"] += bundle(healthy(id="p2"))["entry"][:1]
    message = fails(capsys, write_json(tmp_path / "two.json", b), ExitCode.MULTIPLE_PATIENTS)
    n = len(b["entry"]) - 1
    assert message == (f"{tmp_path / 'two.json'} holds more than one Patient (a second one at entry {n}): a "
                       "bundle file must hold exactly one patient; use a folder of bundles or an NDJSON export "
                       "for several")


def test_a_patient_with_no_birth_date_is_missing_demographics(capsys, tmp_path):
    path = write_bundle(tmp_path, healthy(birth=None))
    message = fails(capsys, path, ExitCode.MISSING_DEMOGRAPHICS)
    assert message == "Patient p1 has no usable birth date (birthDate=None); age-based risk cannot be computed"


def test_a_patient_with_an_unreadable_birth_date_is_missing_demographics(capsys, tmp_path):
    message = fails(capsys, write_bundle(tmp_path, healthy(birth="12/04/1969")), ExitCode.MISSING_DEMOGRAPHICS)
    assert message.startswith("Patient p1 has no usable birth date (birthDate='12/04/1969')")


def test_a_patient_with_no_sex_is_missing_demographics(capsys, tmp_path):
    message = fails(capsys, write_bundle(tmp_path, healthy(sex=None)), ExitCode.MISSING_DEMOGRAPHICS)
    assert message == ("Patient p1 has no usable sex (gender=None); the risk equations and models are "
                       "sex-specific")


def test_an_unknown_patient_id_is_patient_not_found_and_names_the_one_there(capsys, tmp_path):
    path = write_bundle(tmp_path, healthy())
    message = fails(capsys, path, ExitCode.PATIENT_NOT_FOUND, "--patient", "p9")
    assert message == f"patient 'p9' not found in bundle file {path}: it holds 1 patient (p1)"


def test_an_unknown_patient_id_in_a_folder_lists_some_that_exist(capsys, tmp_path):
    for n in range(7):
        write_bundle(tmp_path, healthy(id=f"p{n}"))
    message = fails(capsys, tmp_path, ExitCode.PATIENT_NOT_FOUND, "--patient", "p9")
    assert message == (f"patient 'p9' not found in bundle folder {tmp_path}: "
                       "it holds 7 patients (p0, p1, p2, p3, p4, ...)")


def test_the_same_patient_in_two_files_of_a_folder_is_multiple_patients(capsys, tmp_path):
    write_bundle(tmp_path, healthy())
    (tmp_path / "copy.json").write_bytes((tmp_path / "p1.json").read_bytes())
    message = fails(capsys, tmp_path, ExitCode.MULTIPLE_PATIENTS)
    assert message == f"patient 'p1' is in two files of {tmp_path}: copy.json and p1.json; keep one"


def test_a_bad_as_of_date_is_a_usage_error(capsys, tmp_path):
    code = main(["inspect", str(write_bundle(tmp_path, healthy())), "--as-of", "30/06/2024"])
    assert code == ExitCode.USAGE
    assert capsys.readouterr().err == "risk: error: --as-of '30/06/2024' is not a date (use YYYY-MM-DD)\n"


# -- problems inside a usable record: the record builds, the issue is shown ---------------------------------


def test_non_numeric_values_are_listed_as_issues_and_the_rest_of_the_record_is_used(capsys, tmp_path):
    spec = healthy(labs=[Lab("total_chol", 5.6, "mmol/L", "2024-03-01"), Lab("hdl", "see comment", "mmol/L",
                         "2024-03-01"), Lab("hba1c", "NaN", "%", "2024-03-01")])
    path = write_bundle(tmp_path, spec)
    code, out, err = inspect(capsys, path)
    assert (code, err) == (ExitCode.OK, "")
    assert "Total cholesterol" in out and "HDL cholesterol " not in out.split("Diagnoses:")[0]
    assert "  - non_numeric_value: HDL cholesterol: value 'see comment' is not a number [2024-03-01] " \
           "(Observation/p1-hdl-1)" in out
    assert "  - non_numeric_value: HbA1c: value nan is not a finite number [2024-03-01] " \
           "(Observation/p1-hba1c-2)" in out

    code, out, _ = inspect(capsys, path, "--format", "json")
    doc = json.loads(out)
    assert {row["concept"] for row in doc["inputs"]} >= {"total_chol", "sbp"}
    assert not {"hdl", "hba1c"} & {row["concept"] for row in doc["inputs"]}
    kinds = {(i["kind"], i["concept"], i["source_id"]) for i in doc["issues"]}
    assert ("non_numeric_value", "hdl", "Observation/p1-hdl-1") in kinds
    assert ("non_numeric_value", "hba1c", "Observation/p1-hba1c-2") in kinds


def test_dates_in_the_future_and_before_birth_are_shown_as_issues_and_not_used(capsys, tmp_path):
    spec = healthy(labs=[Lab("total_chol", 5.6, "mmol/L", "2024-03-01"), Lab("hdl", 1.4, "mmol/L", "2024-03-01"),
                         Lab("total_chol", 9.9, "mmol/L", "2099-01-05"), Lab("hdl", 0.3, "mmol/L", "1961-02-03")],
                   conditions=[Code(SNOMED, "22298006", "1950-01-01", "Myocardial infarction")])
    code, out, err = inspect(capsys, write_bundle(tmp_path, spec))
    assert (code, err) == (ExitCode.OK, "")
    assert "  - future_date: Total cholesterol dated 2099-01-05 is in the future; not used [2099-01-05] " \
           "(Observation/p1-total_chol-2)" in out
    assert "  - before_birth: HDL cholesterol dated 1961-02-03 is before birth (1969-04-12); not used " \
           "[1961-02-03] (Observation/p1-hdl-3)" in out
    assert "  - before_birth: Myocardial infarction dated 1950-01-01 is before birth (1969-04-12); not used " \
           "[1950-01-01] (Condition/p1-cond-0)" in out
    assert "Diagnoses: none recorded" in out
    # the values used are the plausible, dated ones
    code, out, _ = inspect(capsys, write_bundle(tmp_path, spec), "--format", "json")
    rows = {row["concept"]: row for row in json.loads(out)["inputs"]}
    assert (rows["total_chol"]["value"], rows["total_chol"]["date"]) == (5.6, "2024-03-01")
    assert (rows["hdl"]["value"], rows["hdl"]["date"]) == (1.4, "2024-03-01")


def test_a_value_in_the_wrong_unit_is_an_issue_not_a_silently_wrong_number(capsys, tmp_path):
    spec = healthy(labs=[Lab("hdl", 45, "mmol/L", "2024-03-01"), Lab("total_chol", 5.6, None, "2024-03-01")])
    code, out, _ = inspect(capsys, write_bundle(tmp_path, spec))
    assert code == ExitCode.OK
    assert ("  - implausible_value: HDL cholesterol 45 mmol/L is outside the plausible range 0.1–5 mmol/L; "
            "check the unit (reported 45 mmol/L) [2024-03-01] (Observation/p1-hdl-0)") in out
    assert ("  - missing_unit: no unit given for total cholesterol: the value cannot be used without its unit "
            "[2024-03-01] (Observation/p1-total_chol-1)") in out


# -- the JSON output ------------------------------------------------------------------------------------

INPUT_KEYS = {"concept", "label", "value", "unit", "original_value", "original_unit", "date", "days_old",
              "source_id", "derived", "converted", "stale", "text"}


def test_inspect_json_has_the_documented_shape(capsys):
    code, out, err = inspect(capsys, ROOT / "sample_fhir" / "fr-karim-benali.json", "--format", "json")
    assert (code, err) == (ExitCode.OK, "")
    doc = json.loads(out)
    assert set(doc) == {"patient_id", "as_of", "patient", "inputs", "diagnoses", "medications", "issues"}
    assert doc["as_of"] == AS_OF
    assert set(doc["patient"]) == {"name", "sex", "birth_date", "age", "deceased"}
    assert doc["patient"]["sex"] in ("male", "female")
    assert doc["inputs"], "a record with labs has inputs"
    for row in doc["inputs"]:
        assert set(row) == INPUT_KEYS
        assert isinstance(row["value"], float | int) and isinstance(row["unit"], str)
        assert row["date"] <= AS_OF and len(row["date"]) == 10
        assert all(isinstance(row[k], bool) for k in ("derived", "converted", "stale"))
        if row["derived"]:
            assert row["source_id"] is None and row["original_value"] is None
        else:
            assert row["source_id"].startswith("Observation/")
    by_concept = {row["concept"]: row for row in doc["inputs"]}
    chol = by_concept["total_chol"]  # French lab: g/L converted to mmol/L, the original kept beside it
    assert chol["original_unit"] == "g/L" and chol["unit"] == "mmol/L" and chol["converted"] is True
    assert chol["value"] == pytest.approx(chol["original_value"] * 100 / 38.67, rel=1e-12)
    assert doc["issues"], "fr-karim-benali carries two deliberate data-quality defects"
    for issue in doc["issues"]:
        assert set(issue) == {"kind", "message", "source_id", "concept", "date"}
    kinds = {i["kind"] for i in doc["issues"]}
    assert {"implausible_value", "future_date"} <= kinds


def test_inspect_json_of_a_folder_is_a_list_of_patients(capsys, tmp_path):
    for n in range(3):
        write_bundle(tmp_path, healthy(id=f"p{n}"))
    code, out, _ = inspect(capsys, tmp_path, "--format", "json")
    assert code == ExitCode.OK
    assert [d["patient_id"] for d in json.loads(out)] == ["p0", "p1", "p2"]


# -- a 500 MB bundle ------------------------------------------------------------------------------------

START = datetime(2010, 1, 1, tzinfo=UTC)
BIG_PATIENT = {"fullUrl": "urn:uuid:big-1", "resource": {"resourceType": "Patient", "id": "big-1",
                                                          "gender": "male", "birthDate": "1950-06-01"}}


def write_big_bundle(path: Path, size: int) -> int:
    """One patient and Observations until `size` bytes, written as they are made (never held whole).

    One entry in 100 is a systolic BP (a code the record uses), the rest a pain score (one it does not):
    like a long hospital stay, most of a big file is data a cardiovascular risk does not need.
    Returns the number of BP observations written.
    """
    written, n, n_bp = 0, 0, 0
    with path.open("wb") as fh:
        fh.write(b'{"resourceType":"Bundle","type":"collection","entry":[' + orjson.dumps(BIG_PATIENT))
        while written < size:
            chunk = []
            for _ in range(1000):
                bp = n % 100 == 0
                n_bp += bp
                entry = {"fullUrl": f"urn:uuid:obs-{n}", "resource": {
                    "resourceType": "Observation", "id": f"obs-{n}", "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6" if bp else "72514-3"}]},
                    "subject": {"reference": "urn:uuid:big-1"},
                    "effectiveDateTime": (START + timedelta(seconds=6 * n)).isoformat(),  # one every 6 s
                    "valueQuantity": {"value": 100 + n % 97 if bp else n % 10, "unit": "mm[Hg]" if bp else "{score}",
                                      "system": "http://unitsofmeasure.org", "code": "mm[Hg]" if bp else "{score}"}}}
                chunk.append(b"," + orjson.dumps(entry))
                n += 1
            data = b"".join(chunk)
            fh.write(data)
            written += len(data)
        fh.write(b"]}")
    return n_bp


PEAK_RSS = """
import resource, sys
# imports (pandas...) are not the file's memory
import risk.cli, risk.features.build, risk.record.latest, risk.record.load
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
code = risk.cli.main(["inspect", sys.argv[1], "--as-of", "2011-01-01", "--format", "json"])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(f"peak-rss-growth-kib {after - before}\\n")
sys.exit(code)
"""


@pytest.mark.slow  # 25-40 s on this shared 2-core machine: writing 500 MB, then streaming it (ijson, yajl2 C)
def test_a_500_mb_bundle_is_streamed_with_memory_far_below_its_size(tmp_path):
    path = tmp_path / "big.json"
    n_bp = write_big_bundle(path, 500_000_000)
    size = path.stat().st_size
    run = subprocess.run([sys.executable, "-c", PEAK_RSS, str(path)], capture_output=True, text=True, cwd=ROOT,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    growth = 1024 * int(run.stderr.split("peak-rss-growth-kib ")[1].split()[0])
    assert growth < size / 10, f"peak RSS grew by {growth / 1e6:.0f} MB while reading a {size / 1e6:.0f} MB file"
    doc = json.loads(run.stdout)
    assert doc["patient_id"] == "big-1"
    sbp = next(row for row in doc["inputs"] if row["concept"] == "sbp")
    last = (n_bp - 1) * 100  # the last BP written is the latest one
    assert sbp["source_id"] == f"Observation/obs-{last}" and sbp["value"] == 100 + last % 97


def test_a_streamed_bundle_gives_the_same_record_as_the_whole_file(tmp_path):
    sample = ROOT / "sample_fhir" / "Josue_Sipes_7d27f180-98d6-456d-98c0-d91df32cd023.json.gz"
    streamed_source = BundleFileSource(sample, stream_threshold=10_000)
    assert streamed_source.streamed
    (streamed,) = iter_records(streamed_source)
    (whole,) = iter_records(sample)
    assert streamed == whole and len(whole.measurements) > 400


def test_a_streamed_bundle_still_refuses_a_second_patient_and_an_unknown_id(tmp_path):
    b = bundle(healthy())
    b["entry"] += bundle(healthy(id="p2"))["entry"]
    path = write_json(tmp_path / "two.json", b)
    with pytest.raises(SourceError) as caught:
        list(iter_records(BundleFileSource(path, stream_threshold=100)))
    assert caught.value.code == ExitCode.MULTIPLE_PATIENTS
    with pytest.raises(RecordError) as caught:
        list(iter_records(BundleFileSource(write_bundle(tmp_path, healthy()), stream_threshold=100), "p9"))
    assert caught.value.code == ExitCode.PATIENT_NOT_FOUND
