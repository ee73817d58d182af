"""Coverage-guided fuzzing (atheris) of everything that reads outside data: a bundle file, an NDJSON bulk file,
a CDS Hooks prefetch, unit conversion; each input that builds a record goes on to the Assessment with
`--assess` (slower: a full assessment costs about 0.3 s).

Pass: every input ends in a result or in one of the project's own clear errors (risk.errors.RiskError: one line
for the user). Anything else (KeyError, TypeError, RecursionError...) is a crash: atheris stops and writes the
input to crash-<sha1> in the working folder.

    TMPDIR=/dev/shm nice -n 15 .venv/bin/python scripts/fuzz_readers.py fuzz/corpus -runs=1000000 -timeout=10 \
        -print_final_stats=1
    .venv/bin/python scripts/fuzz_readers.py fuzz/corpus -max_total_time=30 -timeout=10    # what CI runs

The first byte picks the reader; the seed corpus (written to the corpus folder when it is empty) holds the French
sample bundles, their resources as NDJSON lines and prefetch bodies.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["risk"]):
    from risk.assess.assessment import assess
    from risk.assess.snapshot import snapshot
    from risk.cds.request import HookRequest, RequestError, from_prefetch, parse_body
    from risk.errors import RiskError
    from risk.fhir.bundle import BundleFileSource
    from risk.fhir.ndjson import NdjsonSource
    from risk.models.registry import load_all
    from risk.record.load import iter_records, record_from_resources
    from risk.terminology.concepts import MEASUREMENT_CONCEPTS
    from risk.terminology.units import from_canonical, to_canonical

from pydantic import ValidationError

REPO = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="risk-fuzz-"))  # TMPDIR=/dev/shm keeps the writes in memory
BUNDLE = WORK / "bundle.json"
NDJSON_DIR = WORK / "bulk"
NDJSON_DIR.mkdir()
NDJSON = NDJSON_DIR / "Patient.ndjson"
CONCEPTS = sorted(MEASUREMENT_CONCEPTS)
ASSESS = "--assess" in sys.argv
MODELS = load_all() if ASSESS else {}
EXPECTED = (RiskError, RequestError, ValidationError)  # the project's own clear errors (400 for a CDS body)


def _assess(record) -> None:  # noqa: ANN001
    if ASSESS:
        assess(snapshot(record, date(2026, 11, 28)), MODELS, card_only=True)


def _bundle(data: bytes) -> None:
    BUNDLE.write_bytes(data)
    for pr in BundleFileSource(BUNDLE).iter_patients():
        _assess(record_from_resources(pr))


def _ndjson(data: bytes) -> None:
    NDJSON.write_bytes(data)
    for record in iter_records(NdjsonSource(NDJSON_DIR)):
        _assess(record)


def _prefetch(data: bytes) -> None:
    pr = from_prefetch(HookRequest.model_validate(parse_body(data)))
    if pr is not None:
        _assess(record_from_resources(pr))


def _units(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    concept = CONCEPTS[fdp.ConsumeIntInRange(0, len(CONCEPTS) - 1)]
    value = fdp.ConsumeRegularFloat() if fdp.ConsumeBool() else fdp.ConsumeFloat()
    unit = fdp.ConsumeUnicodeNoSurrogates(24) if fdp.ConsumeBool() else None
    out = to_canonical(concept, value, unit)
    if unit:
        from_canonical(concept, value, unit)
    if out.value is not None and out.value != out.value:  # a NaN must never come out as a value
        raise AssertionError(f"{concept} {value!r} {unit!r} -> NaN")


READERS = (_bundle, _ndjson, _prefetch, _units)


def one_input(data: bytes) -> None:
    if not data:
        return
    try:
        READERS[data[0] % len(READERS)](data[1:])
    except EXPECTED:
        pass


def seed(corpus: Path) -> None:
    """Seeds for each reader when the corpus is empty: the French sample patients in each form."""
    if any(corpus.iterdir()):
        return
    for i, path in enumerate(sorted((REPO / "sample_fhir").glob("fr-*.json"))):
        raw = path.read_bytes()
        resources = [e["resource"] for e in json.loads(raw)["entry"]]
        ndjson = b"\n".join(json.dumps(r).encode() for r in resources if r["resourceType"] == "Patient")
        pid = next(r["id"] for r in resources if r["resourceType"] == "Patient")

        def searchset(*types: str, resources: list = resources) -> dict:
            return {"resourceType": "Bundle", "type": "searchset",
                    "entry": [{"resource": r} for r in resources if r["resourceType"] in types]}

        body = {"hook": "patient-view", "hookInstance": "h", "context": {"userId": "u", "patientId": pid},
                "prefetch": {"patient": next(r for r in resources if r["resourceType"] == "Patient"),
                             "observations": searchset("Observation"), "conditions": searchset("Condition"),
                             "medications": searchset("MedicationRequest")}}
        (corpus / f"bundle-{i}").write_bytes(b"\x00" + raw)
        (corpus / f"ndjson-{i}").write_bytes(b"\x01" + ndjson)
        (corpus / f"prefetch-{i}").write_bytes(b"\x02" + json.dumps(body).encode())
    (corpus / "units").write_bytes(b"\x03" + os.urandom(32))


if __name__ == "__main__":
    args = [a for a in sys.argv if a != "--assess"]
    folders = [Path(a) for a in args[1:] if not a.startswith("-")]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        seed(folder)
    atheris.Setup(args, one_input)
    atheris.Fuzz()
