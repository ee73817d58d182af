"""Small FHIR builders and file writers shared by the source tests."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from risk.errors import ExitCode, RiskError
from risk.fhir import PatientResources, Source, open_source

PATIENT_UUID = "urn:uuid:0b6e0c1c-5d0a-4f1e-9b53-1e0d5c1f2a01"


def patient(pid: str = "p1", **extra: Any) -> dict:
    return {"resourceType": "Patient", "id": pid, "birthDate": "1958-03-14", "gender": "female", **extra}


def observation(oid: str, ref: str, key: str = "subject") -> dict:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
        key: {"reference": ref},
        "valueQuantity": {"value": 2.1, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"},
    }


def bundle(entries: list[dict], btype: str = "transaction") -> dict:
    return {"resourceType": "Bundle", "type": btype, "entry": entries}


def entry(resource: dict, full_url: str | None = None, **extra: Any) -> dict:
    item: dict[str, Any] = {"resource": resource, **extra}
    if full_url:
        item["fullUrl"] = full_url
    return item


def synthea_like(pid: str = "p1", n_obs: int = 3) -> dict:
    """A transaction bundle as Synthea writes it: urn:uuid fullUrls and references, Patient first."""
    uuid = f"urn:uuid:{pid}"
    entries = [entry(patient(pid), uuid, request={"method": "POST", "url": "Patient"})]
    entries.append(entry({"resourceType": "Organization", "id": f"org-{pid}"}, f"urn:uuid:org-{pid}"))
    for i in range(n_obs):
        entries.append(entry(observation(f"{pid}-o{i}", uuid), f"urn:uuid:{pid}-o{i}"))
    entries.append(
        entry({"resourceType": "Immunization", "id": f"{pid}-imm", "patient": {"reference": uuid}})
    )
    return bundle(entries)


def write(path: Path, obj: Any, *, gz: bool = False) -> Path:
    data = orjson.dumps(obj, option=orjson.OPT_INDENT_2)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_ndjson(path: Path, resources: list[dict], *, gz: bool = False) -> Path:
    data = b"".join(orjson.dumps(r) + b"\n" for r in resources)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def ids(pr: PatientResources) -> set[tuple[str, str]]:
    return {(r["resourceType"], r["id"]) for r in pr.resources}


def list_ids(source: Source) -> list[str]:
    return source.patient_ids()


def read_all(source: Source) -> list[PatientResources]:
    return list(source.iter_patients())


def fails(spec: Path | str, code: ExitCode, read: Callable[[Source], object] = list_ids) -> str:
    """The one-line message of the error that opening and reading `spec` gives."""
    with pytest.raises(RiskError) as caught:
        read(open_source(spec))
    assert caught.value.code == code, caught.value.message
    message = caught.value.message
    assert "\n" not in message and "Traceback" not in message
    return message
