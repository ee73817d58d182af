"""Score patient buckets as independent tasks: in this process, a local process pool, or a Dask cluster.

Each task reads one bucket (risk.panel.buckets) with the ordinary bulk reader, scores its patients in chunks
(risk.panel.stream) and renders each row (risk.panel.row), then writes the rows, sorted by patient id, to a part
file beside the bucket. The parts are merged by patient id into the CSV and the Parquet file, so the output does
not depend on the engine, the number of workers or the bucket count, and memory does not grow with the export.
Workers load the checksummed models themselves, once per process.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from risk.errors import ExitCode, SourceError
from risk.fhir.ndjson import NdjsonSource
from risk.models.registry import LoadedModel, load_all
from risk.panel.buckets import Bucket, freeze_long_lived, orphan_origins, process_pool, read_patient_origins
from risk.panel.rejects import Reject
from risk.panel.row import FLOAT_COLUMNS, INT_COLUMNS, flat_row, panel_facts, row_columns
from risk.panel.stream import Excluded, assess_chunks, living
from risk.record import PatientRecord
from risk.record.bulk import stream_records

log = logging.getLogger(__name__)

PART_FILE = "rows.ndjson"
PARQUET_BATCH = 10_000


@dataclass(frozen=True, kw_only=True)
class PanelJob:
    """What every task needs, small and picklable (sent to each worker with each bucket)."""

    files: tuple[str, ...]  # the export's files, to name them in rejects
    models_dir: str | None
    as_of: date
    region: str
    guideline_set: str


@dataclass(frozen=True, kw_only=True)
class BucketResult:
    part: Path  # the bucket's rows, sorted by patient id, one JSON object a line
    scored: int
    deceased: int
    rejects: tuple[Reject, ...]
    categories: dict[str, int] = field(default_factory=dict)
    gaps: dict[str, int] = field(default_factory=dict)


@cache
def _models(models_dir: str | None) -> dict[str, LoadedModel]:
    """Once per worker process (checksums verified by the registry); then frozen with everything else alive, as
    they live as long as the process (risk.panel.buckets.freeze_long_lived)."""
    models = load_all(Path(models_dir) if models_dir else None)
    freeze_long_lived()
    return models


def bucket_rejects(bucket: Bucket, files: tuple[str, ...]
                   ) -> tuple[set[str], list[Reject], dict[str, tuple[str, int]]]:
    """Duplicate Patients and orphan resources of one bucket, reported at the export's file and line; the
    duplicated ids are returned so that no row is written for them (which of the two Patients is right?), and
    where each Patient was read."""
    patients: Counter[str] = Counter()
    rejects: list[Reject] = []
    where: dict[str, tuple[str, int]] = {}
    for file, line, pid in read_patient_origins(bucket):
        patients[pid] += 1
        where.setdefault(pid, (files[file], line))
        if patients[pid] > 1:
            rejects.append(Reject(file=files[file], line=line, resource_type="Patient", reason="duplicate_patient"))
    rejects += [Reject(file=files[o.file], line=o.line, resource_type=o.resource_type, reason="orphan_resource")
                for o in orphan_origins(bucket, set(patients))]
    return {p for p, n in patients.items() if n > 1}, rejects, where


def score_bucket(bucket: Bucket, job: PanelJob) -> BucketResult:
    """One task: the bucket's rows to its part file, with its counts and rejects."""
    duplicates, rejects, where = bucket_rejects(bucket, job.files)
    records = (r for r in stream_records(NdjsonSource(bucket.folder), skip_unusable=True)
               if r.patient_id not in duplicates)
    return score_to_part(records, job, bucket.folder / PART_FILE, rejects=rejects, where=where)


def score_to_part(records: Iterable[PatientRecord], job: PanelJob, part: Path, *, rejects: list[Reject] | None = None,
                  where: Mapping[str, tuple[str, int]] | None = None) -> BucketResult:
    """Score `records` (living ones; the dead are counted) and write their rows, sorted by id, to `part`.

    A patient whose assessment fails (a defect of this program met on unusual data) is set aside as
    `assessment_failed` at the file and line of its Patient (`where`), so that one patient never stops a run of a
    million; the error's type is logged, never the data."""
    models = _models(job.models_dir)
    rejects = list(rejects or [])
    excluded = Excluded()
    rows = []
    categories: Counter[str] = Counter()
    gaps: Counter[str] = Counter()
    for record, a in assess_chunks(living(records, job.as_of, excluded), models, as_of=job.as_of,
                                   region=job.region, guideline_set=job.guideline_set):
        try:
            if isinstance(a, Exception):
                raise a
            row = flat_row(a, panel_facts(a))
        except Exception as exc:  # noqa: BLE001 (set aside and counted, never silent)
            log.warning("a patient could not be assessed (%s); set aside", type(exc).__name__)
            file, line = (where or {}).get(record.patient_id, ("", 0))
            rejects.append(Reject(file=file, line=line, resource_type="Patient", reason="assessment_failed"))
            continue
        categories[row["esc_category"]] += 1
        if row["care_gap"]:
            gaps[row["care_gap"]] += 1
        rows.append(row)
    rows.sort(key=lambda r: r["patient_id"])
    with part.open("wb") as f:
        for row in rows:
            f.write(orjson.dumps(row) + b"\n")
    return BucketResult(part=part, scored=len(rows), deceased=excluded.deceased, rejects=tuple(rejects),
                        categories=dict(categories), gaps=dict(gaps))


def run_local(buckets: Iterable[Bucket], job: PanelJob, workers: int,
              pool: ProcessPoolExecutor | None = None) -> Iterator[BucketResult]:
    """Results as buckets finish (any order: the merge sorts); `workers` 1 runs in this process. `pool`: one
    already started (risk.panel.screen shares it with the bucket pass, so workers start, and import, once)."""
    if workers <= 1:
        for b in buckets:
            yield score_bucket(b, job)
        return
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(process_pool(workers))
        futures = [pool.submit(score_bucket, b, job) for b in buckets]
        for fut in as_completed(futures):
            yield fut.result()


def check_scheduler(address: str) -> None:
    """A remote scheduler only over TLS: patient data never cross a network in clear."""
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    local = host in ("127.0.0.1", "localhost", "::1")
    if not (address.startswith("tls://") or (local and address.startswith(("tcp://", "inproc://")))):
        raise SourceError(f"--scheduler {address}: a remote Dask scheduler must be reached over tls:// "
                          "(with certificates, e.g. DASK_DISTRIBUTED__COMM__TLS__* settings)", ExitCode.USAGE)


def run_dask(buckets: list[Bucket], job: PanelJob, client: Any) -> Iterator[BucketResult]:
    """`client.map` over the buckets on a Dask cluster (dask.distributed.Client); results as they finish."""
    from dask.distributed import as_completed as dask_completed

    futures = client.map(score_bucket, buckets, job=job, pure=False)
    try:
        for fut in dask_completed(futures):
            yield fut.result()
    except BaseException:  # stopped or failed: free the cluster of the buckets not yet scored
        client.cancel(futures)
        raise


def cell(column: str, value: Any) -> str:
    """CSV text of one value: fractions with 6 decimals, empty when not computed."""
    if value is None:
        return ""
    if column in FLOAT_COLUMNS:
        return f"{float(value):.6f}"
    return str(value)


def merged_rows(parts: list[Path]) -> Iterator[dict[str, Any]]:
    """The rows of every part file, in patient-id order, streaming (each part is already sorted)."""
    def read(part: Path) -> Iterator[dict[str, Any]]:
        with part.open("rb") as f:
            for line in f:
                yield orjson.loads(line)

    yield from heapq.merge(*(read(p) for p in parts), key=lambda r: r["patient_id"])


def write_outputs(parts: list[Path], csv_path: Path, parquet_path: Path | None) -> int:
    """The CSV (and Parquet) of every row, sorted by patient id; both written in one streaming merge."""
    columns = row_columns()
    writer = _ParquetRows(parquet_path, columns) if parquet_path is not None else None
    n = 0
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in merged_rows(parts):
            w.writerow([cell(c, row.get(c)) for c in columns])
            if writer is not None:
                writer.add(row)
            n += 1
    if writer is not None:
        writer.close()
    return n


class _ParquetRows:
    """Rows to a Parquet file in batches, with a fixed schema (so that an all-empty column keeps its type)."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.columns = columns
        self.schema = pa.schema([(c, pa.float64() if c in FLOAT_COLUMNS else pa.int64() if c in INT_COLUMNS
                                  else pa.string()) for c in columns])
        self.writer = pq.ParquetWriter(str(path), self.schema)
        self.batch: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.batch.append(row)
        if len(self.batch) >= PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.batch:
            data = {c: [r.get(c) for r in self.batch] for c in self.columns}
            self.writer.write_table(self.pa.Table.from_pydict(data, schema=self.schema))
            self.batch = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

