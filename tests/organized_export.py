"""Rewrite a type-per-file bulk export as one organised by patient (FHIR Bulk Data `organizeOutputBy=Patient`).

For the tests and the benchmark of risk.panel.organized: the same lines, byte for byte, in blocks (a header
`Parameters` resource, the Patient, the resources that reference it) spread over `files` files, the last block of the
first file continued in the second (the header repeated, linked by `continuesInFile` in `manifest.json`).
Holds the export in memory: for test and benchmark cohorts only.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson

from risk.fhir.references import link_to_patient

BASE_URL = "https://bulk.example.org/output"


def header(pid: str) -> bytes:
    return orjson.dumps({"resourceType": "Parameters", "parameter": [
        {"name": "header", "valueReference": {"reference": f"Patient/{pid}"}}]}) + b"\n"


def blocks_of(source: Path) -> dict[str, list[bytes]]:
    """Each patient's lines (the Patient first), in the export's file order then line order."""
    patients: dict[str, list[bytes]] = {}
    others: list[tuple[str, bytes]] = []
    for path in sorted(p for p in source.rglob("*.ndjson*") if p.is_file()):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as fh:
            for line in fh:
                resource = orjson.loads(line)
                if resource["resourceType"] == "Patient":
                    patients.setdefault(resource["id"], []).insert(0, line)
                else:
                    pid = link_to_patient(resource)
                    assert pid is not None, "a resource about no patient: not part of these cohorts"
                    others.append((pid, line))
    for pid, line in others:
        patients[pid].append(line)
    return patients


def organize(source: Path, out: Path, *, files: int = 3, split: bool = True, gz: bool = False,
             manifest: bool = True) -> list[str]:
    """Write `source` organised by patient into `out`; returns the file names in order."""
    blocks = list(blocks_of(source).items())
    out.mkdir(parents=True)
    suffix = ".ndjson.gz" if gz else ".ndjson"
    names = [f"output.{k:03d}{suffix}" for k in range(files)]
    per_file = -(-len(blocks) // files)
    chunks = [blocks[k * per_file:(k + 1) * per_file] for k in range(files)]
    carried: list[bytes] = []
    for k, (name, chunk) in enumerate(zip(names, chunks, strict=True)):
        data = list(carried)
        carried = []
        for i, (pid, lines) in enumerate(chunk):
            if split and k == 0 and i == len(chunk) - 1 and files > 1:  # cut this block in two, mid-resources
                cut = max(2, len(lines) // 2)
                data += [header(pid), *lines[:cut]]
                carried = [header(pid), *lines[cut:]]
            else:
                data += [header(pid), *lines]
        opener = gzip.open if gz else open
        with opener(out / name, "wb") as f:
            f.write(b"".join(data))
    if manifest:
        output = [{"url": f"{BASE_URL}/{name}"} for name in names]
        if split and files > 1:
            output[0]["continuesInFile"] = f"{BASE_URL}/{names[1]}"
        doc = {"transactionTime": "2025-12-31T00:00:00Z", "request": "https://ehr.example.org/fhir/Patient/$export"
               "?organizeOutputBy=Patient", "requiresAccessToken": True, "outputOrganizedBy": "Patient",
               "output": output, "error": []}
        (out / "manifest.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return names
