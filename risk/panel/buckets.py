"""Split a bulk export into patient buckets, so that a panel of any size is scored with flat memory.

A bulk export holds one resource type per file, so a patient's resources are spread over every file and a
single-pass reader must keep every patient in memory until the last file ends. One streaming pass here appends
each raw line to bucket `crc32(patient id) % K` instead (gzip level 1, written as gzip members so that no more
than a small buffer per bucket is ever held). Every bucket is then a small, valid bulk export that the existing
reader (risk.fhir.ndjson, risk.record.bulk) reads unchanged: one code path for one patient, a practice and a
territory. Bad lines are set aside here as `Reject`s (file, line, type, reason), never stopping the pass.

Beside each bucket, an `origins` file says where each of its resources came from (file index, line, type, patient
id), so that a problem found later in the bucket (an orphan resource, a duplicate Patient) is still reported
against the export's own file and line; the Patients' origins are in a small file of their own (`patients`), so
that duplicates are found without reading every line's origin, and orphans by one sweep over the others.

The pass runs on every core: this process reads and decompresses each file in large blocks cut at line ends,
and a pool of processes parses, checks and routes the lines of each block, returning per bucket ready-compressed
gzip members; they are appended in block order, so the buckets' bytes, their line order and the rejects do not
depend on the number of processes.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

import orjson

from risk.errors import ExitCode, RecordError, SourceError
from risk.fhir.dates import parse_fhir_date
from risk.fhir.ndjson import is_ndjson_name
from risk.fhir.reading import UTF8_BOM, gzip_size_field, open_binary
from risk.fhir.references import is_valid_id, link_to_patient
from risk.fhir.resource_types import R4_RESOURCE_TYPES
from risk.panel import forkserver
from risk.panel.rejects import Reject
from risk.panel.stop import held
from risk.record.build import patient_demographics

# About 40 MB of NDJSON (some 400 patients of a primary-care record) per bucket: small enough for flat memory per
# worker, large enough that the per-bucket cost (reading the models, a process hop) stays negligible.
BUCKET_BYTES = 40_000_000
MAX_BUCKETS = 4096
BUFFER_BYTES = 32_000_000  # all buckets' pending compressed members together, before they are appended to disk
# Decompressed bytes a routing task gets at once: large enough that a process hop and a gzip member per bucket
# are cheap, small enough that the blocks in flight (IN_FLIGHT per process) keep memory flat.
BLOCK_BYTES = 8_000_000
IN_FLIGHT = 2
DATA_FILE = "data.ndjson.gz"
SHARED_FILE = "Medication.ndjson.gz"  # Medication resources name no patient: every bucket may reference them
ORIGINS_FILE = "origins.tsv.gz"  # file index, line, resource type, patient id of every non-Patient line
PATIENTS_FILE = "patients.tsv.gz"  # file index, line, patient id of every Patient line
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

    @property
    def patients(self) -> Path:
        return self.folder / PATIENTS_FILE


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


@dataclass(kw_only=True)
class Routed:
    """One block's lines, routed: per bucket the gzip members of its data, origins and Patient origins."""

    lines: int = 0  # resource lines read (blank lines not counted)
    size: int = 0  # bytes of the block (uncompressed), for the pass's progress
    rejects: list[Reject] = field(default_factory=list)
    members: dict[int, tuple[bytes, bytes, bytes]] = field(default_factory=dict)
    medications: bytes = b""  # gzip member of the block's Medication lines ("" when none)


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


# gzip stores the uncompressed size modulo 2**32 (ISIZE, RFC 1952 section 2.3.1): exact for a file that cannot reach
# 4 GiB, wrapped for a multi-gigabyte one (the 1M-patient export's 2.7 GB Observation file holds some 80 GB). Deflate
# compresses at most 1032:1 (zlib's technical details), so a file under 4 GiB / 1032 cannot have wrapped; a bigger
# one is sized from its own ratio, measured on its first SAMPLE_BYTES, snapped to ISIZE's residue. Taking a fixed
# ratio instead made buckets 6x the intended size (4:1) or needlessly small (30:1 on level-1 files that hold 9:1).
ISIZE_MODULUS = 1 << 32
DEFLATE_MAX_RATIO = 1032
SAMPLE_BYTES = 1 << 18  # compressed bytes decompressed to measure a big file's ratio (a few MB out, some 10 ms)
SAMPLE_OUT = 64 << 20  # bound on what the sample may inflate to (a pathological, highly repetitive file)
GZIP_RATIO = 30  # when the sample cannot be read (a damaged file): FHIR NDJSON's high end, erring to more buckets


def export_size(path: Path) -> int:
    """The (uncompressed) bytes of one export file, a multi-gigabyte gzip file included (see ISIZE_MODULUS)."""
    size = os.path.getsize(path)
    field = gzip_size_field(path)
    if field is None:
        return size
    isize = field % ISIZE_MODULUS
    if size * DEFLATE_MAX_RATIO < ISIZE_MODULUS:
        return isize
    estimate = size * sampled_ratio(path)
    return isize + max(0, round((estimate - isize) / ISIZE_MODULUS)) * ISIZE_MODULUS


def sampled_ratio(path: Path) -> float:
    """Uncompressed to compressed bytes over the file's first SAMPLE_BYTES (gzip members followed across)."""
    with path.open("rb") as f:
        rest = f.read(SAMPLE_BYTES)
    consumed = produced = 0
    while rest and produced < SAMPLE_OUT:
        inflate = zlib.decompressobj(wbits=31)
        try:
            produced += len(inflate.decompress(rest, SAMPLE_OUT - produced))
        except zlib.error:
            break
        consumed += len(rest) - len(inflate.unconsumed_tail) - len(inflate.unused_data)
        if not inflate.eof:
            break
        rest = inflate.unused_data
    return produced / consumed if consumed and produced else GZIP_RATIO


def bucket_count(files: list[Path], minimum: int = 1, total: int | None = None) -> int:
    """K from the export's (uncompressed) size, so that memory per bucket does not grow with the export."""
    total = sum(export_size(p) for p in files) if total is None else total
    return max(minimum, min(MAX_BUCKETS, -(-total // BUCKET_BYTES)))


def bucket_of(patient_id: str, k: int) -> int:
    """Stable across processes and machines (Python's own hash of a str is salted per process)."""
    return zlib.crc32(patient_id.encode()) % k


def patient_problem(patient: dict) -> str | None:
    """Why a Patient cannot be scored (the reason code), by the same check that builds its record."""
    if not is_valid_id(patient.get("id")):
        return "patient_invalid_id"
    try:
        patient_demographics(patient)
    except RecordError:
        return "patient_no_birth_date" if parse_fhir_date(patient.get("birthDate")) is None else "patient_no_sex"
    return None




# (file index, file name, first line number, block, bucket count): route_block's arguments; or a file's reject
Item = tuple[int, str, int, bytes, int] | Reject


def iter_blocks(path: Path, name: str) -> Iterator[tuple[int, bytes] | Reject]:
    """(first line number, block of whole lines) of one file, then its reject if it is unreadable or damaged.

    Lines are numbered as a line-by-line reading numbers them (blank lines count). A truncated or damaged gzip
    file ends with a `truncated_gzip` reject at the line a line-by-line reading stops at: its lines up to the
    damage are read again that way (rare), so that the same lines are kept and the same line is reported."""
    done = 0  # lines handed out
    try:
        with open_binary(path) as fh:
            carry = b""
            while chunk := fh.read(BLOCK_BYTES):
                data = carry + chunk if carry else chunk
                end = data.rfind(b"\n") + 1
                if end == 0:
                    carry = data
                    continue
                block, carry = (data, b"") if end == len(data) else (data[:end], data[end:])
                yield done + 1, block
                done += block.count(b"\n")
            if carry:
                yield done + 1, carry
    except _GZIP_ERRORS:
        yield from _tail_before_damage(path, name, done)
    except SourceError as exc:
        reason = "truncated_gzip" if exc.code == ExitCode.CORRUPT_GZIP else "unreadable_file"
        yield Reject(file=name, line=0, resource_type="", reason=reason)


def iter_export_lines(path: Path, name: str, rejects: list[Reject]) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of one file, blank lines skipped, as a line-by-line reading numbers them; an unreadable
    file or a truncated gzip becomes a reject in `rejects` (the reading of an export organised by patient)."""
    for item in iter_blocks(path, name):
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        first, block = item
        parts = block.split(b"\n")
        last = parts.pop()  # empty when the block ends with a newline; else the file's last line, unterminated
        for offset, part in enumerate(parts):
            line = part + b"\n"
            if not line.isspace():
                yield first + offset, line
        if last and not last.isspace():
            yield first + len(parts), last


def _tail_before_damage(path: Path, name: str, done: int) -> Iterator[tuple[int, bytes] | Reject]:
    """The lines after the first `done` that a line-by-line reading still gets before the damage, then the
    reject at the line where that reading stops (the line cut short, or the one after the last whole line)."""
    lineno = 0
    tail: list[bytes] = []  # at most about a block: the lines before `done` were handed out already
    damaged = False
    try:
        with open_binary(path) as fh:
            for lineno, line in enumerate(fh, 1):  # noqa: B007 (lineno is read after the loop on error)
                if lineno > done:
                    tail.append(line)
    except _GZIP_ERRORS:
        damaged = True
    if tail:
        yield done + 1, b"".join(tail)
    if damaged:
        yield Reject(file=name, line=lineno + 1, resource_type="", reason="truncated_gzip")


def parse_line(raw: bytes, name: str, lineno: int) -> tuple[bytes, dict[str, Any], str] | Reject:
    """(line without BOM, resource, its type) of one export line, or why it cannot be read: the checks every path
    over an export makes, in this order, with these reasons (the bucket pass and the organised path)."""
    line = raw[3:] if raw[:3] == UTF8_BOM else raw
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError:
        return Reject(file=name, line=lineno, resource_type="", reason="invalid_json")
    rtype = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(rtype, str):
        return Reject(file=name, line=lineno, resource_type="", reason="not_a_resource")
    if rtype not in R4_RESOURCE_TYPES:
        return Reject(file=name, line=lineno, resource_type=rtype[:64], reason="unknown_resource_type")
    return line, resource, rtype


def route_block(index: int, name: str, first_line: int, block: bytes, k: int) -> Routed:
    """Parse, check and route one block's lines (in a worker process): bad lines become rejects, every other
    line goes to its patient's bucket, with its origin; each bucket's share comes back as gzip members."""
    out = Routed(size=len(block))
    data: dict[int, list[bytes]] = {}
    origins: dict[int, list[str]] = {}
    patients: dict[int, list[str]] = {}
    meds: list[bytes] = []
    bucket_ids: dict[str, int] = {}  # patient id -> bucket, for this block
    references: dict[str, str | None] = {}  # reference -> patient id, for this block
    for lineno, raw in enumerate(block.split(b"\n"), first_line):
        if not raw or raw.isspace():
            continue
        out.lines += 1
        parsed = parse_line(raw, name, lineno)
        if isinstance(parsed, Reject):
            out.rejects.append(parsed)
            continue
        line, resource, rtype = parsed
        if rtype == "Medication":
            meds.append(line)
            continue
        if rtype == "Patient":
            problem = patient_problem(resource)
            if problem is not None:
                out.rejects.append(Reject(file=name, line=lineno, resource_type=rtype, reason=problem))
                if problem == "patient_invalid_id":
                    continue  # the others are still bucketed: their resources are their own, not orphans
            pid = resource["id"]
        else:
            pid = link_to_patient(resource, cache=references)
            if pid is None:
                continue  # not about a patient (Practitioner, Organization...): not used, as before
        b = bucket_ids.get(pid)
        if b is None:
            b = bucket_ids[pid] = bucket_of(pid, k)
        data.setdefault(b, []).append(line)
        if rtype == "Patient":
            patients.setdefault(b, []).append(f"{index}\t{lineno}\t{pid}\n")
        else:
            origins.setdefault(b, []).append(f"{index}\t{lineno}\t{rtype}\t{pid}\n")
    for b, lines in data.items():
        out.members[b] = (_member(lines), _member_text(origins.get(b, [])), _member_text(patients.get(b, [])))
    out.medications = _member(meds)
    return out


def _member(lines: list[bytes]) -> bytes:
    """One gzip member of the lines, each ended by a newline; "" for no line."""
    return gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1, mtime=0) if lines else b""


def _member_text(rows: list[str]) -> bytes:
    return gzip.compress("".join(rows).encode(), compresslevel=1, mtime=0) if rows else b""


@dataclass
class _Writer:
    """Compressed members per bucket, appended to disk when the buffer budget is spent (few opens per file)."""

    folders: list[Path]
    shared: Path
    pending: dict[int, list[tuple[bytes, bytes, bytes]]] = field(default_factory=dict)
    size: int = 0

    def add(self, routed: Routed) -> None:
        for b, members in routed.members.items():
            self.pending.setdefault(b, []).append(members)
            self.size += sum(map(len, members))
        if self.size > BUFFER_BYTES:
            self.flush()

    def flush(self) -> None:
        for b, members in self.pending.items():
            folder = self.folders[b]
            if not folder.exists():
                folder.mkdir(parents=True)
                os.symlink(self.shared, folder / SHARED_FILE)
            for i, file in enumerate((DATA_FILE, ORIGINS_FILE, PATIENTS_FILE)):
                blob = b"".join(m[i] for m in members)
                if blob:
                    with (folder / file).open("ab") as f:
                        f.write(blob)
        self.pending.clear()
        self.size = 0


def _items(files: list[Path], names: tuple[str, ...], k: int) -> Iterator[Item]:
    for index, (path, name) in enumerate(zip(files, names, strict=True)):
        for got in iter_blocks(path, name):
            yield got if isinstance(got, Reject) else (index, name, got[0], got[1], k)


T = TypeVar("T")
STOP_GRACE = 5.0  # seconds a terminated worker has to end before it is killed


class PanelPool(ProcessPoolExecutor):
    """A process pool that, left on an exception (a stop, risk.panel.stop, or a failure), does not wait for its queued
    tasks as a plain `with pool:` does: they are cancelled and its processes ended (`stop_pool`)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with held():  # it may start a worker: a stop in the middle would leave it without its start-up data
            return super().submit(fn, *args, **kwargs)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if exc_type is None:
            return bool(super().__exit__(exc_type, exc, tb))
        stop_pool(self)
        return False


def stop_pool(pool: ProcessPoolExecutor, grace: float = STOP_GRACE) -> None:
    """Cancel the pool's pending tasks and end its processes now: terminated, killed if still there after `grace`
    seconds. Returns once they are gone, so that no worker writes into a bucket folder being removed."""
    # The pool's own processes and queues (Python 3.14's terminate_workers() reads the same table), taken before
    # shutdown forgets them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    calls, results = getattr(pool, "_call_queue", None), getattr(pool, "_result_queue", None)
    if calls is not None:
        calls.cancel_join_thread()  # a task half sent to a worker that is gone must not hold this process's exit
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.terminate()  # nothing for one already ended
    if not _ended(processes, grace):
        for p in processes:
            p.kill()
        _ended(processes, grace)
    if results is not None:
        # No worker left to write a result: the end of file lets the pool's thread finish reading one that a
        # terminated worker left half written (it would otherwise wait for the rest, and hold this process's exit).
        results._writer.close()


def _ended(processes: list[BaseProcess], timeout: float) -> bool:
    """Whether every process has ended within `timeout` seconds (its sentinel is readable once it has)."""
    deadline = time.monotonic() + timeout
    pending = [p.sentinel for p in processes]
    while pending and (left := deadline - time.monotonic()) > 0:
        ready = multiprocessing.connection.wait(pending, left)
        pending = [s for s in pending if s not in ready]
    return not pending


def process_pool(workers: int) -> PanelPool:
    """A pool of `workers` processes, started safely (for the bucket pass and the scoring, risk.panel.engine)."""
    # forkserver, not fork: a child forked from a process whose OpenMP pool (XGBoost) or other threads already ran
    # can hang on a lock copied in its held state (seen when a test or the app had scored before the panel).
    forkserver.preload()
    return PanelPool(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"),
                     initializer=_worker_start)


def _worker_start() -> None:
    """In each worker: Ctrl-C reaches the terminal's whole process group, but the stop is the coordinator's to make
    (it terminates the workers); a worker hit by it would print its own traceback. What the worker has imported
    lives as long as it does: frozen out of the cyclic collector (see freeze_long_lived)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    freeze_long_lived()


def freeze_long_lived() -> None:
    """Move every object alive now out of the cyclic garbage collector's reach (gc.freeze).

    A worker holds millions of long-lived objects (the modules, XGBoost's and pandas' state, the loaded models) and
    allocates fast while it reads and scores, so the collector's full passes, which walk every tracked object, ran
    some 20 times per 5k patients and found almost nothing to free. With this and the collector paused while each
    chunk is assessed (risk.panel.stream.assess_chunks), `risk panel` on 20k synthetic patients on 2 cores took
    100-110 s instead of 132-136 s (three interleaved runs each). Frozen objects are still freed by reference
    counting; only a reference cycle among them would outlive the process, and modules and models are never
    dropped."""
    gc.freeze()


def _routed(items: Iterator[Item], workers: int, pool: ProcessPoolExecutor | None) -> Iterator[Routed]:
    """Each block routed, in block order; on `workers` processes, with at most IN_FLIGHT blocks each pending."""
    if workers <= 1:
        for item in items:
            yield Routed(rejects=[item]) if isinstance(item, Reject) else route_block(*item)
        return
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(process_pool(workers))
        pending: deque[Future[Routed] | Routed] = deque()
        for item in items:
            pending.append(Routed(rejects=[item]) if isinstance(item, Reject) else pool.submit(route_block, *item))
            while len(pending) > IN_FLIGHT * workers:
                yield _done(pending.popleft())
        while pending:
            yield _done(pending.popleft())


def _done(item: Future[Routed] | Routed) -> Routed:
    return item if isinstance(item, Routed) else item.result()


def partition(source: Path, work: Path, *, k: int | None = None, min_buckets: int = 1, workers: int = 1,
              pool: ProcessPoolExecutor | None = None, on_read: Callable[[int, int], None] | None = None) -> Partition:
    """One streaming pass over the export into `work`/bNNNN buckets, on `workers` processes (of `pool` if given);
    bad lines become rejects. The buckets and rejects are the same whatever the number of processes.

    `on_read(bytes, total)`: after each block, the uncompressed bytes just routed and the export's estimated size
    (a million patients take minutes to split before the first is scored: the user sees the pass advance)."""
    files = export_files(source)
    total = sum(export_size(p) for p in files)
    k = k or bucket_count(files, min_buckets, total)
    base = source if source.is_dir() else source.parent
    names = tuple(str(p.relative_to(base)) for p in files)
    folders = [work / f"b{i:04d}" for i in range(k)]
    shared = work / SHARED_FILE
    work.mkdir(parents=True, exist_ok=True)
    rejects: list[Reject] = []
    writer = _Writer(folders=folders, shared=shared)
    lines = 0
    with shared.open("wb") as meds:
        for routed in _routed(_items(files, names, k), workers, pool):
            lines += routed.lines
            rejects += routed.rejects
            meds.write(routed.medications)
            writer.add(routed)
            if on_read is not None:
                on_read(routed.size, total)
        if meds.tell() == 0:
            meds.write(gzip.compress(b"", compresslevel=1, mtime=0))  # a valid, empty gzip file
    writer.flush()
    buckets = tuple(Bucket(index=i, folder=f) for i, f in enumerate(folders) if f.exists())
    return Partition(files=names, buckets=buckets, rejects=tuple(rejects), lines=lines)


_LAST_FIELD = re.compile(r"\t([^\t\n]*)$", re.MULTILINE)


def read_patient_origins(bucket: Bucket) -> list[tuple[int, int, str]]:
    """(file index, line, patient id) of each Patient line of the bucket, in export order."""
    if not bucket.patients.exists():
        return []
    rows = gzip.decompress(bucket.patients.read_bytes()).decode().splitlines()
    return [(int(f), int(n), pid) for f, n, pid in (row.split("\t") for row in rows)]


def orphan_origins(bucket: Bucket, known: set[str]) -> list[Origin]:
    """The non-Patient lines of the bucket whose patient is not in `known`, in export order.

    The patient ids of all lines are taken in one sweep (one regular expression over the whole file); a row is
    parsed only when some patient is missing, which is rare."""
    if not bucket.origins.exists():
        return []
    text = gzip.decompress(bucket.origins.read_bytes()).decode()
    missing = set(_LAST_FIELD.findall(text)) - known
    if not missing:
        return []
    found = []
    for row in text.splitlines():
        file, line, rtype, pid = row.split("\t")
        if pid in missing:
            found.append(Origin(file=int(file), line=int(line), resource_type=rtype, patient_id=pid))
    return found
