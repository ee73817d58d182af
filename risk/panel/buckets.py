"""Split a bulk export into patient buckets, so that a panel of any size is scored with flat memory.

A bulk export holds one resource type per file, so a patient's resources are spread over every file and a
single-pass reader must keep every patient in memory until the last file ends. One streaming pass here appends
each raw line to bucket `crc32(patient id) % K` instead (gzip level 1, written as gzip members so that no more
than a small buffer per bucket is ever held). Every bucket is then a small, valid bulk export that the existing
reader (risk.fhir.ndjson, risk.record.bulk) reads unchanged: one code path for one patient, a practice and a
territory. Bad lines are set aside here as `Reject`s (file, line, type, reason), never stopping the pass.

Beside each bucket an `origins` file says, line for line, where each resource came from (file index, line, type,
patient id), so that a problem found later in the bucket (an orphan resource, a duplicate Patient) is still
reported against the export's own file and line.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from risk.errors import ExitCode, RecordError, SourceError
from risk.fhir.dates import parse_fhir_date
from risk.fhir.ndjson import is_ndjson_name
from risk.fhir.reading import UTF8_BOM, open_binary, uncompressed_size
from risk.fhir.references import is_valid_id, link_to_patient
from risk.fhir.resource_types import R4_RESOURCE_TYPES
from risk.panel.rejects import Reject
from risk.record.build import patient_demographics

# About 40 MB of NDJSON (some 400 patients of a primary-care record) per bucket: small enough for flat memory per
# worker, large enough that the per-bucket cost (reading the models, a process hop) stays negligible.
BUCKET_BYTES = 40_000_000
MAX_BUCKETS = 4096
BUFFER_BYTES = 64_000_000  # all buckets' pending lines together, before they are compressed to disk
DATA_FILE = "data.ndjson.gz"
SHARED_FILE = "Medication.ndjson.gz"  # Medication resources name no patient: every bucket may reference them
ORIGINS_FILE = "origins.tsv.gz"
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
_SKIPPED = ("log.ndjson", "log.ndjson.gz")  # bulk-export tools' own log, not resources


@dataclass(frozen=True, kw_only=True)
class Bucket:
    """A small bulk export: the patients whose id hashes to `index`, with their resources."""

    index: int
    folder: Path

    @property
    def origins(self) -> Path:
        return self.folder / ORIGINS_FILE


@dataclass(frozen=True, kw_only=True)
class Partition:
    files: tuple[str, ...]  # the export's files, relative to it; origins name them by index
    buckets: tuple[Bucket, ...]  # only the buckets that hold at least one line
    rejects: tuple[Reject, ...]
    lines: int  # resource lines read


@dataclass(frozen=True, kw_only=True)
class Origin:
    file: int
    line: int
    resource_type: str
    patient_id: str


def export_files(source: Path) -> list[Path]:
    """Every NDJSON file of a bulk export, sub-folders included, in a stable order; the bulk-export log skipped."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise SourceError(f"{source} does not exist", ExitCode.FILE_NOT_FOUND)
    files = sorted(p for p in source.rglob("*") if p.is_file() and is_ndjson_name(p.name)
                   and p.name.lower() not in _SKIPPED and not p.name.lower().startswith("log."))
    if not files:
        raise SourceError(f"no *.ndjson or *.ndjson.gz files in {source}", ExitCode.FILE_NOT_FOUND)
    return files


def bucket_count(files: list[Path], minimum: int = 1) -> int:
    """K from the export's (uncompressed) size, so that memory per bucket does not grow with the export."""
    total = sum(uncompressed_size(p) for p in files)
    return max(minimum, min(MAX_BUCKETS, -(-total // BUCKET_BYTES)))


def bucket_of(patient_id: str, k: int) -> int:
    """Stable across processes and machines (Python's own hash of a str is salted per process)."""
    return zlib.crc32(patient_id.encode()) % k


def iter_export_lines(path: Path, name: str, rejects: list[Reject]) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of one file; an unreadable file or a truncated gzip becomes a reject, not an error."""
    lineno = 0
    try:
        with open_binary(path) as fh:
            for lineno, line in enumerate(fh, 1):  # noqa: B007 (lineno is read after the loop on error)
                if line and not line.isspace():
                    yield lineno, line
    except _GZIP_ERRORS:
        rejects.append(Reject(file=name, line=lineno + 1, resource_type="", reason="truncated_gzip"))
    except SourceError as exc:
        reason = "truncated_gzip" if exc.code == ExitCode.CORRUPT_GZIP else "unreadable_file"
        rejects.append(Reject(file=name, line=0, resource_type="", reason=reason))


def patient_problem(patient: dict) -> str | None:
    """Why a Patient cannot be scored (the reason code), by the same check that builds its record."""
    if not is_valid_id(patient.get("id")):
        return "patient_invalid_id"
    try:
        patient_demographics(patient)
    except RecordError:
        return "patient_no_birth_date" if parse_fhir_date(patient.get("birthDate")) is None else "patient_no_sex"
    return None


@dataclass
class _Writer:
    """Pending lines per bucket, compressed to disk as one more gzip member when the buffer budget is spent."""

    folders: list[Path]
    shared: Path
    pending: dict[int, list[bytes]] = field(default_factory=dict)
    origins: dict[int, list[bytes]] = field(default_factory=dict)
    size: int = 0

    def add(self, k: int, line: bytes, origin: bytes) -> None:
        self.pending.setdefault(k, []).append(line)
        self.origins.setdefault(k, []).append(origin)
        self.size += len(line) + len(origin)
        if self.size > BUFFER_BYTES:
            self.flush()

    def flush(self) -> None:
        for k, lines in self.pending.items():
            folder = self.folders[k]
            if not folder.exists():
                folder.mkdir(parents=True)
                os.symlink(self.shared, folder / SHARED_FILE)
            _append_member(folder / DATA_FILE, lines)
            _append_member(folder / ORIGINS_FILE, self.origins[k])
        self.pending.clear()
        self.origins.clear()
        self.size = 0


def _append_member(path: Path, lines: list[bytes]) -> None:
    with path.open("ab") as f:
        f.write(gzip.compress(b"".join(lines), compresslevel=1, mtime=0))


def partition(source: Path, work: Path, *, k: int | None = None, min_buckets: int = 1) -> Partition:
    """One streaming pass over the export into `work`/bNNNN buckets; bad lines become rejects."""
    files = export_files(source)
    k = k or bucket_count(files, min_buckets)
    base = source if source.is_dir() else source.parent
    names = tuple(str(p.relative_to(base)) for p in files)
    folders = [work / f"b{i:04d}" for i in range(k)]
    shared = work / SHARED_FILE
    work.mkdir(parents=True, exist_ok=True)
    rejects: list[Reject] = []
    writer = _Writer(folders=folders, shared=shared)
    lines = 0
    with gzip.open(shared, "wb", compresslevel=1) as meds:
        for index, (path, name) in enumerate(zip(files, names, strict=True)):
            for lineno, raw in iter_export_lines(path, name, rejects):
                lines += 1
                line = raw[3:] if raw[:3] == UTF8_BOM else raw
                if not line.endswith(b"\n"):
                    line += b"\n"
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError:
                    rejects.append(Reject(file=name, line=lineno, resource_type="", reason="invalid_json"))
                    continue
                rtype = resource.get("resourceType") if isinstance(resource, dict) else None
                if not isinstance(rtype, str):
                    rejects.append(Reject(file=name, line=lineno, resource_type="", reason="not_a_resource"))
                    continue
                if rtype not in R4_RESOURCE_TYPES:
                    rejects.append(Reject(file=name, line=lineno, resource_type=rtype[:64],
                                          reason="unknown_resource_type"))
                    continue
                if rtype == "Medication":
                    meds.write(line)
                    continue
                if rtype == "Patient":
                    problem = patient_problem(resource)
                    if problem == "patient_invalid_id":
                        rejects.append(Reject(file=name, line=lineno, resource_type=rtype, reason=problem))
                        continue
                    if problem is not None:  # still bucketed: its resources are its own, not orphans
                        rejects.append(Reject(file=name, line=lineno, resource_type=rtype, reason=problem))
                    pid = resource["id"]
                else:
                    pid = link_to_patient(resource)
                    if pid is None:
                        continue  # not about a patient (Practitioner, Organization...): not used, as before
                origin = f"{index}\t{lineno}\t{rtype}\t{pid}\n".encode()
                writer.add(bucket_of(pid, k), line, origin)
    writer.flush()
    buckets = tuple(Bucket(index=i, folder=f) for i, f in enumerate(folders) if f.exists())
    return Partition(files=names, buckets=buckets, rejects=tuple(rejects), lines=lines)


def read_origins(bucket: Bucket) -> Iterator[Origin]:
    with gzip.open(bucket.origins, "rt", encoding="utf-8") as f:
        for row in f:
            file, line, rtype, pid = row.rstrip("\n").split("\t", 3)
            yield Origin(file=int(file), line=int(line), resource_type=rtype, patient_id=pid)
