"""Bulk-export folders (FHIR Bulk Data): one resource per line, one resource type per file, plain or gzipped.

Files are read line by line and never held whole, so `iter_resources` streams an export of any size.
Patients are found in the files named after them (`Patient.ndjson`, `Patient.000.ndjson.gz`...), or in all
files when none is; a patient's resources are those whose `subject`/`patient` reference names them
(`Patient/x` or an absolute URL; bulk exports have no urn:uuid references).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from risk.errors import ExitCode, SourceError
from risk.fhir.base import PatientResources, Source
from risk.fhir.reading import UTF8_BOM, gc_paused, iter_line_blocks, json_error
from risk.fhir.references import is_valid_id, link_to_patient

log = logging.getLogger(__name__)

NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz")
_PATIENT_FILE = re.compile(r"(^|[^A-Za-z])Patient([^A-Za-z]|$)")
# Not resources: the bulk-export log written by SMART/cumulus tools (see shared/fhir_samples).
_SKIPPED_FILES = re.compile(r"^log(\.\d+)?\.ndjson(\.gz)?$", re.IGNORECASE)

Resource = dict[str, Any]
_RESOLVED_MAX = 100_000  # references remembered while streaming (bounds memory on a huge export)


def is_ndjson_name(name: str) -> bool:
    return name.lower().endswith(NDJSON_SUFFIXES)


class NdjsonSource(Source):
    """A bulk-export folder of `*.ndjson` / `*.ndjson.gz` files (or one such file).

    `iter_patients` groups the export by patient in one pass and so holds it in memory; code that
    flattens a whole panel should stream `iter_resources` instead.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.description = f"bulk export {self.path}"
        if self.path.is_dir():
            self.files = sorted(
                p
                for p in self.path.iterdir()
                if p.is_file() and is_ndjson_name(p.name) and not _SKIPPED_FILES.match(p.name)
            )
            if not self.files:
                raise SourceError(f"no *.ndjson or *.ndjson.gz files in {self.path}", ExitCode.FILE_NOT_FOUND)
        elif self.path.is_file():
            self.files = [self.path]
        else:
            raise SourceError(f"{self.path} does not exist", ExitCode.FILE_NOT_FOUND)
        self._patient_ids: list[str] | None = None

    def _read(self, files: list[Path], needle: bytes | None = None) -> Iterator[Resource]:
        """Every resource of `files`; with `needle`, only lines containing those bytes are parsed."""
        for path in files:
            for first, lines in iter_line_blocks(path):  # (a block at a time: one Python loop per line, not three)
                for lineno, line in enumerate(lines, first):
                    if line.isspace() or (needle is not None and needle not in line):
                        continue
                    if line.startswith(UTF8_BOM):
                        line = line[3:]
                    try:
                        resource = orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        raise json_error(str(path), exc, line=line, lineno=lineno) from None
                    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                        raise SourceError(
                            f"{path} line {lineno} is not a FHIR resource (no resourceType)", ExitCode.NOT_FHIR
                        )
                    yield resource

    def _patient_files(self) -> list[Path]:
        named = [p for p in self.files if _PATIENT_FILE.search(p.name)]
        return named or self.files

    def _checked_id(self, patient: Resource) -> str:
        pid = patient.get("id")
        if not is_valid_id(pid):
            shown = "no id" if pid is None else f"an invalid id '{str(pid)[:70]}'"
            raise SourceError(f"a Patient in {self.path} has {shown}", ExitCode.NOT_FHIR)
        return str(pid)

    def _duplicate(self, patient_id: str) -> SourceError:
        return SourceError(
            f"patient '{patient_id}' appears twice in {self.path}: remove the duplicate",
            ExitCode.MULTIPLE_PATIENTS,
        )

    def patient_ids(self) -> list[str]:
        if self._patient_ids is None:
            ids: dict[str, None] = {}
            for resource in self._read(self._patient_files(), needle=b"Patient"):
                if resource["resourceType"] == "Patient":
                    pid = self._checked_id(resource)
                    if pid in ids:
                        raise self._duplicate(pid)
                    ids[pid] = None
            self._patient_ids = list(ids)
        return self._patient_ids

    def patient(self, patient_id: str) -> PatientResources:
        if not is_valid_id(patient_id):
            raise self._patient_not_found(patient_id, self.patient_ids())
        patient: Resource | None = None
        resources: list[Resource] = []
        for resource in self._read(self.files, needle=patient_id.encode()):
            if resource["resourceType"] == "Patient":
                if resource.get("id") == patient_id:
                    if patient is not None:
                        raise self._duplicate(patient_id)
                    patient = resource
            elif link_to_patient(resource) == patient_id:
                resources.append(resource)
        if patient is None:
            raise self._patient_not_found(patient_id, self.patient_ids())
        wanted = _medication_ids(resources)
        if wanted:  # a Medication names no patient: fetch the ones this patient's drug resources reference
            resources += [
                r
                for r in self._read(self.files, needle=b'"Medication"')
                if r["resourceType"] == "Medication" and r.get("id") in wanted
            ]
        return PatientResources(patient=patient, resources=resources)

    def iter_patients(self) -> Iterator[PatientResources]:
        patients: dict[str, Resource] = {}
        by_patient: dict[str, list[Resource]] = defaultdict(list)
        medications: dict[str, Resource] = {}  # shared by every patient whose drug resources reference them
        with gc_paused():  # the whole export piles up here before the first yield
            for resource in self._read(self.files):
                if resource["resourceType"] == "Patient":
                    pid = self._checked_id(resource)
                    if pid in patients:
                        raise self._duplicate(pid)
                    patients[pid] = resource
                elif resource["resourceType"] == "Medication" and isinstance(resource.get("id"), str):
                    medications[resource["id"]] = resource
                else:
                    pid = link_to_patient(resource)
                    if pid is not None:
                        by_patient[pid].append(resource)
        orphans = sum(len(v) for k, v in by_patient.items() if k not in patients)
        if orphans:
            log.warning("%d resources in the bulk export point to patients that are not in it", orphans)
        for pid, patient in patients.items():
            resources = by_patient.pop(pid, [])
            resources += [medications[m] for m in _medication_ids(resources) if m in medications]
            yield PatientResources(patient=patient, resources=resources)

    def iter_resources(self) -> Iterator[Resource]:
        resolved: dict[str, str | None] = {}  # reference -> patient id: each patient's is repeated on every line
        for resource in self.iter_unlinked():
            if resource["resourceType"] != "Patient":
                if len(resolved) > _RESOLVED_MAX:
                    resolved.clear()
                link_to_patient(resource, cache=resolved)
            yield resource

    def iter_unlinked(self) -> Iterator[Resource]:
        """Every resource as parsed, its references untouched: for a reader that finds each resource's patient
        itself (risk.record.bulk), rewriting them first would be wasted work."""
        return self._read(self.files)


def _medication_ids(resources: list[Resource]) -> set[str]:
    """Ids of the Medication resources that `medicationReference`s name (`Medication/<id>` or an absolute URL
    ending so; bulk exports hold them in Medication.ndjson, outside any patient)."""
    ids: set[str] = set()
    for resource in resources:
        ref = resource.get("medicationReference")
        text = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(text, str) and "Medication/" in text:
            ids.add(text.rsplit("Medication/", 1)[1].split("/")[0])
    return ids
