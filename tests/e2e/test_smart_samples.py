"""The 449 SMART/Synthea sample patients end to end: `risk inspect` reads every bundle, a named patient's values
match what its raw JSON says (checked here without the library), and each patient gives the same record from
its bundle and from the bulk NDJSON export made of those bundles."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from risk.cli import main
from risk.errors import ExitCode
from risk.fhir.bundle import BundleFolderSource
from risk.record import PatientRecord
from risk.record.load import iter_records, record_from_resources
from tests.paths import REPO

ROOT = REPO
SMART = ROOT.parent / "shared" / "fhir_samples" / "smart-generated-sample-data-r4"
FABIAN = ROOT / "sample_fhir" / "Fabian_Murray_a120c913-9ee0-4fcc-8344-826e74335c80.json.gz"
# SOURCE.md: the NDJSON left out these types when it was made from the bundles
NOT_IN_NDJSON = {"Claim", "ExplanationOfBenefit", "MedicationAdministration", "Provenance"}
RECORD_FIELDS = [f.name for f in dataclasses.fields(PatientRecord) if f.name != "source"]

needs_smart = pytest.mark.skipif(not SMART.is_dir(), reason=f"{SMART} not found")


# -- a named patient's values, computed from the raw JSON without the library --------------------------


def _resources(path: Path, rtype: str) -> list[dict[str, Any]]:
    doc = json.loads(gzip.decompress(path.read_bytes()))
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == rtype]


def _latest(path: Path, loinc: str, as_of: date) -> tuple[dict[str, Any], dict[str, Any], datetime]:
    """(observation, its valueQuantity, time) of the latest `loinc` value, top level or component, at as_of."""
    cutoff = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) + timedelta(days=1)
    found = []
    for obs in _resources(path, "Observation"):
        when = datetime.fromisoformat(obs["effectiveDateTime"]).astimezone(UTC)
        if when >= cutoff:
            continue
        parts = [obs, *obs.get("component", [])]
        for part in parts:
            if any(c["code"] == loinc for c in part["code"]["coding"]) and "valueQuantity" in part:
                found.append((when, obs["id"], obs, part["valueQuantity"]))
    when, _, obs, quantity = max(found, key=lambda f: (f[0], f[1]))
    return obs, quantity, when


def _inspect_json(capsys: pytest.CaptureFixture[str], source: Path, as_of: str) -> Any:
    code = main(["inspect", str(source), "--as-of", as_of, "--format", "json"])
    out, err = capsys.readouterr()
    assert (code, err) == (ExitCode.OK, "")
    return json.loads(out)


@pytest.mark.parametrize("as_of", ["2020-12-10", "2021-06-01"])
def test_a_named_patients_latest_sbp_hdl_and_hba1c_match_the_raw_bundle(capsys, as_of):
    """Fabian Murray (Synthea, type 2 diabetes): BP panel component 8480-6, HDL 2085-9 in mg/dL, HbA1c 4548-4 in %."""
    doc = _inspect_json(capsys, FABIAN, as_of)
    (patient,) = _resources(FABIAN, "Patient")
    assert (doc["patient_id"], doc["patient"]["name"]) == (patient["id"], "Fabian Murray")
    rows = {row["concept"]: row for row in doc["inputs"]}
    day = date.fromisoformat(as_of)

    obs, q, when = _latest(FABIAN, "8480-6", day)
    assert rows["sbp"]["value"] == pytest.approx(q["value"], rel=1e-12)
    assert (rows["sbp"]["unit"], rows["sbp"]["original_unit"], rows["sbp"]["converted"]) == ("mmHg", "mm[Hg]", False)
    assert (rows["sbp"]["date"], rows["sbp"]["source_id"]) == (when.date().isoformat(), f"Observation/{obs['id']}")

    obs, q, when = _latest(FABIAN, "2085-9", day)
    assert q["unit"] == "mg/dL"
    assert rows["hdl"]["value"] == pytest.approx(q["value"] / 38.67, rel=1e-12)
    assert (rows["hdl"]["unit"], rows["hdl"]["converted"]) == ("mmol/L", True)
    assert (rows["hdl"]["original_value"], rows["hdl"]["original_unit"]) == (q["value"], "mg/dL")
    assert (rows["hdl"]["date"], rows["hdl"]["source_id"]) == (when.date().isoformat(), f"Observation/{obs['id']}")

    obs, q, when = _latest(FABIAN, "4548-4", day)
    assert q["unit"] == "%"
    assert rows["hba1c"]["value"] == pytest.approx((q["value"] - 2.152) / 0.09148, rel=1e-12)  # IFCC master eq.
    assert (rows["hba1c"]["unit"], rows["hba1c"]["original_unit"], rows["hba1c"]["converted"]) == (
        "mmol/mol", "%", True)
    assert rows["hba1c"]["original_value"] == q["value"]
    assert (rows["hba1c"]["date"], rows["hba1c"]["source_id"]) == (
        when.date().isoformat(), f"Observation/{obs['id']}")
    for concept in ("sbp", "hdl", "hba1c"):
        assert rows[concept]["days_old"] == (day - when.date()).days
        assert rows[concept]["derived"] is False and rows[concept]["stale"] is False


def test_the_two_as_of_dates_really_see_different_values():
    """Guards the test above: between its two dates Fabian Murray had a new BP, HDL and HbA1c."""
    for loinc in ("8480-6", "2085-9", "4548-4"):
        assert _latest(FABIAN, loinc, date(2020, 12, 10))[0] != _latest(FABIAN, loinc, date(2021, 6, 1))[0]


def test_values_older_than_their_follow_up_interval_are_flagged_stale(capsys):
    rows = {r["concept"]: r for r in _inspect_json(capsys, FABIAN, "2022-06-01")["inputs"]}
    assert rows["sbp"]["stale"] is True and rows["hba1c"]["stale"] is True  # yearly (ESH 2024, HAS)
    assert rows["hdl"]["stale"] is False  # lipids: every 5 years when normal


# -- all 449 patients ---------------------------------------------------------------------------------------


@needs_smart
@pytest.mark.slow  # 449 patients through features and the inspect table: about 60-90 s on this machine
def test_risk_inspect_exits_0_on_every_bundle_of_the_smart_sample(capsys):
    files = sorted((SMART / "bundles_gz").glob("*.json.gz"))
    assert len(files) == 449
    docs = _inspect_json(capsys, SMART / "bundles_gz", "2021-06-01")  # every bundle of the folder, in one run
    assert len(docs) == 449 and len({d["patient_id"] for d in docs}) == 449
    # every patient has a usable age and sex, and the sample's cardiometabolic inputs come through
    assert all(d["patient"]["sex"] in ("male", "female") and 20 <= d["patient"]["age"] < 125 for d in docs)
    with_sbp = sum(any(r["concept"] == "sbp" for r in d["inputs"]) for d in docs)
    assert with_sbp >= 440, with_sbp


@needs_smart
@pytest.mark.slow  # 449 records read twice (gzipped bundles and NDJSON): 12-22 s on this machine
def test_each_patient_gives_the_same_record_from_its_bundle_and_from_the_ndjson():
    from_ndjson = {r.patient_id: r for r in iter_records(SMART / "ndjson")}  # the NDJSON folder, read once
    assert len(from_ndjson) == 449
    left_out: Counter[str] = Counter()
    compared = Counter()
    for pr in BundleFolderSource(SMART / "bundles_gz").iter_patients():
        left_out.update(r["resourceType"] for r in pr.resources if r["resourceType"] in NOT_IN_NDJSON)
        record = record_from_resources(pr)
        other = from_ndjson.pop(record.patient_id)
        for name in RECORD_FIELDS:
            assert getattr(record, name) == getattr(other, name), f"{record.patient_id}: {name} differs"
        compared.update({name: len(getattr(record, name)) for name in
                         ("measurements", "diagnoses", "medications", "encounters", "issues")})
    assert not from_ndjson
    # The comparison is not vacuous: thousands of entries per list were compared...
    assert min(compared.values()) > 400, compared
    # ...and the bundles did hold types the NDJSON left out: Claim and ExplanationOfBenefit (these bundles have
    # no MedicationAdministration or Provenance). They do not belong in a record: they are billing copies of
    # the encounters, diagnoses and prescriptions already read (and a MedicationAdministration is a dose given
    # in hospital, not the ongoing treatment MedicationRequest / MedicationStatement describe).
    assert left_out == {"Claim": 18_133, "ExplanationOfBenefit": 14_076}, left_out
