"""Score an export already organised by patient (`organizeOutputBy=Patient`) without the bucket pass.

FHIR Bulk Data (STU3, `organizeOutputBy`) lets a server write each file as blocks: a header `Parameters` resource
(a parameter named `header` referencing the Patient), the Patient, then the resources that reference it; a block cut
at a file's end goes on in the file the manifest names in `continuesInFile`, after the same header repeated. Such a
file (or chain of files) already holds whole patients: it is a bucket as it stands, so the pass that copies every
line into patient buckets (risk.panel.buckets) is not needed, and each worker reads its own files.

The rows must be exactly those of the bucket pass. So nothing here is trusted: a worker checks, as it reads, that
every resource belongs to the block it stands in, that no Patient comes twice, that the reader would give each
resource to the same patient; the coordinator then checks that no patient is in two chains and that every Medication
a patient's drug resources reference resolves as it would over the whole export. If anything does not hold, this
module says so (None) and the caller runs the bucket pass, which reports the duplicate or orphan at its file and
line. Lines that cannot be read (bad JSON, unknown type, truncated gzip...) are set aside exactly as the bucket pass
does, at their file and line, and do not stop the run.

Our own bulk client (risk.fhir.bulk) asks for type-per-file output and keeps no manifest; a manifest saved in the
folder by another tool (`*.json` with `outputOrganizedBy`) is read when present, otherwise the files are recognised
by their content (each starts with a block header).
"""

from __future__ import annotations

import hashlib
import heapq
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from risk.fhir.base import PatientResources, Source
from risk.fhir.reading import UTF8_BOM
from risk.fhir.references import link_to_patient, patient_id_from_reference, resolve_reference
from risk.panel.buckets import BUCKET_BYTES, export_files, iter_export_lines, parse_line, patient_problem, process_pool
from risk.panel.engine import BucketResult, PanelJob, score_to_part
from risk.panel.rejects import Reject
from risk.record.build import FLATTENERS
from risk.record.bulk import patient_of, stream_records

log = logging.getLogger(__name__)

MANIFEST_MAX_BYTES = 64_000_000  # a manifest lists files; a larger JSON file in the folder is something else
GROUP_BYTES = BUCKET_BYTES  # patients read together by the reader: the bucket pass's bucket size, flat memory


class NotOrganized(Exception):
    """The files are not (or not entirely) organised by patient: the caller falls back to the bucket pass."""


@dataclass(frozen=True, kw_only=True)
class Chain:
    """One file, or files linked by `continuesInFile`, in reading order: whole patients."""

    index: int
    base: Path  # the export folder
    files: tuple[tuple[int, str], ...]  # (index in PanelJob.files, path relative to `base`)


@dataclass(frozen=True, kw_only=True)
class ChainResult:
    results: tuple[BucketResult, ...]  # one per group of patients read together
    ids: Path  # the chain's Patient ids, sorted, one a line: for the export-wide duplicate check
    lines: int
    medications: dict[str, bytes]  # each name a reference may use -> digest of the Medication's line
    unresolved: frozenset[str]  # medication reference names a group could not resolve within itself


@dataclass(frozen=True, kw_only=True)
class Organized:
    results: list[BucketResult]
    chains: int
    lines: int


# ------------------------------------------------------------------------------------------ finding the chains
def organized_chains(source: Path) -> list[Chain] | None:
    """The export's chains when its manifest or its content says it is organised by patient; else None."""
    files = export_files(source)
    base = source if source.is_dir() else source.parent
    names = [str(p.relative_to(base)) for p in files]
    manifest = _manifest(source) if source.is_dir() else None
    if manifest is not None:
        if manifest.get("outputOrganizedBy") != "Patient":
            return None
        chains = _manifest_chains(manifest, names)
        if chains is not None:
            return [Chain(index=i, base=base, files=tuple((k, names[k]) for k in c)) for i, c in enumerate(chains)]
    if not all(_starts_with_header(p) for p in files):
        return None
    return [Chain(index=i, base=base, files=((i, name),)) for i, name in enumerate(names)]


def _manifest(source: Path) -> dict[str, Any] | None:
    """A bulk-data manifest saved at the top of the export folder (`output` list, `outputOrganizedBy`)."""
    for path in sorted(source.glob("*.json")):
        try:
            if path.stat().st_size > MANIFEST_MAX_BYTES:
                continue
            doc = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("output"), list) and "outputOrganizedBy" in doc:
            return doc
    return None


def _manifest_chains(manifest: dict[str, Any], names: list[str]) -> list[list[int]] | None:
    """Files linked by `continuesInFile`, each URL matched to a local file by its last path segment; None when the
    manifest and the folder do not match one to one (then the content decides)."""
    by_segment: dict[str, int] = {}
    for k, name in enumerate(names):
        if Path(name).name in by_segment:
            return None
        by_segment[Path(name).name] = k
    next_of: dict[int, int] = {}
    listed: list[int] = []
    for item in manifest["output"]:
        url = item.get("url") if isinstance(item, dict) else None
        k = by_segment.get(str(url).rstrip("/").rsplit("/", 1)[-1]) if isinstance(url, str) else None
        if k is None or k in listed:
            return None
        listed.append(k)
        follow = item.get("continuesInFile")
        if follow is not None:
            nk = by_segment.get(str(follow).rstrip("/").rsplit("/", 1)[-1])
            if nk is None:
                return None
            next_of[k] = nk
    if sorted(listed) != list(range(len(names))) or len(set(next_of.values())) != len(next_of):
        return None
    chains, seen = [], set()
    for k in sorted(set(listed) - set(next_of.values())):
        chain = [k]
        while chain[-1] in next_of and next_of[chain[-1]] not in seen and len(chain) <= len(names):
            chain.append(next_of[chain[-1]])
        seen.update(chain)
        chains.append(chain)
    return chains if len(seen) == len(names) else None  # a loop of continuations: not trusted


def _starts_with_header(path: Path) -> bool:
    """The file's first resource is a block header naming a Patient (a type-per-file file starts otherwise)."""
    lines = iter_export_lines(path, path.name, [])
    try:
        for _, raw in lines:
            try:
                resource = orjson.loads(raw[3:] if raw[:3] == UTF8_BOM else raw)
            except orjson.JSONDecodeError:
                return False
            return isinstance(resource, dict) and header_patient(resource) is not None
        return False
    finally:
        lines.close()


def header_patient(resource: dict[str, Any]) -> str | None:
    """The Patient id a block header names (`Parameters` with a `header` reference), None for any other resource."""
    if resource.get("resourceType") != "Parameters" or not isinstance(resource.get("parameter"), list):
        return None
    for p in resource["parameter"]:
        if isinstance(p, dict) and p.get("name") == "header":
            ref = p.get("valueReference")
            text = ref.get("reference") if isinstance(ref, dict) else None
            return patient_id_from_reference(text) if isinstance(text, str) else None
    return None


# ------------------------------------------------------------------------------------------ one chain (a worker)
def medication_names(resource: dict[str, Any]) -> list[str]:
    """The names risk.record.build.register_medication indexes a Medication under (NDJSON has no fullUrl)."""
    mid = resource.get("id")
    return [f"Medication/{mid}", f"#{mid}"] if isinstance(mid, str) else []


def medication_reference_names(resource: dict[str, Any]) -> set[str]:
    """Every name under which the reader may look up the Medication a drug resource references (a superset: one
    name too many only makes the check stricter)."""
    ref_obj = resource.get("medicationReference")
    ref = ref_obj.get("reference") if isinstance(ref_obj, dict) else None
    if not isinstance(ref, str):
        return set()
    names = {ref}
    parsed = resolve_reference(ref) if not ref.startswith("#") else None
    if parsed is not None:
        names.add(f"{parsed[0]}/{parsed[1]}")
    return names


@dataclass
class _ChainReader:
    """Reads a chain line by line, checks that it holds whole patients, and hands the reader one group of blocks at a
    time (about GROUP_BYTES of lines), so that memory does not grow with the file."""

    chain: Chain
    rejects: list[Reject] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    where: dict[str, tuple[str, int]] = field(default_factory=dict)
    medications: dict[str, bytes] = field(default_factory=dict)
    unresolved: set[str] = field(default_factory=set)
    lines: int = 0
    current: str | None = None  # the block being read (its header's Patient)
    has_patient: bool = False
    pending: tuple[str, int, bytes, dict[str, Any]] | None = None  # a header that opens the next group
    done: bool = False
    _cache: dict[str, str | None] = field(default_factory=dict)
    _resolved: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lines = self._read()

    def _read(self) -> Iterator[tuple[str, int, bytes, dict[str, Any]]]:
        """(file, line, raw line, resource) of every usable line; the others become rejects exactly as in
        risk.panel.buckets.partition (same checks, same order, same reasons)."""
        for _, name in self.chain.files:
            for lineno, raw in iter_export_lines(self.chain.base / name, name, self.rejects):
                self.lines += 1
                parsed = parse_line(raw, name, lineno)
                if isinstance(parsed, Reject):
                    self.rejects.append(parsed)
                    continue
                yield name, lineno, parsed[0], parsed[1]

    def groups(self) -> Iterator[_Group]:
        while not self.done:
            yield _Group(self)

    def group_resources(self) -> Iterator[dict[str, Any]]:
        """The next group's resources for the reader; raises NotOrganized at the first thing out of place."""
        size = 0
        known: set[str] = set()  # Medication names of this group
        wanted: set[str] = set()  # names its drug resources reference
        if self.pending is not None:
            self.current, self.has_patient, self.pending = header_patient(self.pending[3]), False, None
        for name, lineno, line, resource in self._lines:
            size += len(line)
            rtype = resource["resourceType"]
            header = header_patient(resource)
            if header is not None or rtype == "Parameters" and _is_header(resource):
                if header is None:
                    raise NotOrganized(f"{name} line {lineno}: a block header that names no Patient")
                if header == self.current:
                    continue  # the same block goes on (at the start of the file it continues in)
                if size > GROUP_BYTES:
                    self.pending = (name, lineno, line, resource)
                    break
                self.current, self.has_patient = header, False
                continue
            if rtype == "Patient":
                self._patient(resource, name, lineno)
                yield resource
            elif rtype == "Medication":
                digest = hashlib.blake2b(line.rstrip(b"\r\n"), digest_size=16).digest()
                for n in medication_names(resource):
                    if self.medications.setdefault(n, digest) != digest:
                        raise NotOrganized(f"{name} line {lineno}: two different Medications named {n}")
                    known.add(n)
                yield resource
            else:
                pid = link_to_patient(resource, cache=self._cache, rewrite=False)
                if pid is None:
                    continue  # about no patient (Practitioner, Organization...): not read, as in the bucket pass
                if pid != self.current or not self.has_patient:
                    raise NotOrganized(f"{name} line {lineno}: a {rtype} outside its patient's block")
                if rtype in FLATTENERS and patient_of(resource, self._resolved) != pid:
                    raise NotOrganized(f"{name} line {lineno}: a {rtype} the reader would give another patient")
                wanted |= medication_reference_names(resource)
                yield resource
        else:
            self.done = True
        self.unresolved |= {n for n in wanted if n not in known}  # resolvable elsewhere? the coordinator decides

    def _patient(self, patient: dict[str, Any], name: str, lineno: int) -> None:
        problem = patient_problem(patient)
        if problem == "patient_invalid_id":
            raise NotOrganized(f"{name} line {lineno}: a Patient with an invalid id")
        pid = patient["id"]
        if pid != self.current or self.has_patient:
            raise NotOrganized(f"{name} line {lineno}: a Patient outside its block")
        if pid in self.ids:
            raise NotOrganized(f"{name} line {lineno}: a Patient seen twice")
        if problem is not None:  # still read: its resources are its own; the reader skips it as in the bucket pass
            self.rejects.append(Reject(file=name, line=lineno, resource_type="Patient", reason=problem))
        self.ids.add(pid)
        self.has_patient = True
        self.where[pid] = (name, lineno)


def _is_header(resource: dict[str, Any]) -> bool:
    params = resource.get("parameter")
    return isinstance(params, list) and any(isinstance(p, dict) and p.get("name") == "header" for p in params)


class _Group(Source):
    """One group of a chain as a Source for risk.record.bulk.stream_records (the reader of the bucket pass)."""

    def __init__(self, chain: _ChainReader) -> None:
        self.chain = chain
        self.description = f"patients of {chain.chain.files[0][1]}"

    def iter_resources(self) -> Iterator[dict[str, Any]]:
        return self.chain.group_resources()

    def patient_ids(self) -> list[str]:  # not used by the stream reader
        raise NotImplementedError

    def patient(self, patient_id: str) -> PatientResources:  # not used by the stream reader
        raise NotImplementedError


def score_chain(chain: Chain, job: PanelJob, work: Path) -> ChainResult:
    """One task: the chain's groups scored as the bucket pass scores a bucket; NotOrganized if it is not whole
    patients (raised to the coordinator, which drops every result)."""
    reader = _ChainReader(chain=chain)
    results: list[BucketResult] = []
    for g, group in enumerate(reader.groups()):
        records = stream_records(group, skip_unusable=True)
        part = work / f"c{chain.index:04d}-g{g:04d}.ndjson"
        results.append(score_to_part(records, job, part, where=reader.where))
    rejects = tuple(reader.rejects)
    last = results[-1]
    results[-1] = BucketResult(part=last.part, scored=last.scored, deceased=last.deceased,
                               rejects=last.rejects + rejects, categories=last.categories, gaps=last.gaps)
    ids = work / f"c{chain.index:04d}.ids"
    ids.write_text("".join(f"{p}\n" for p in sorted(reader.ids)), encoding="utf-8")
    return ChainResult(results=tuple(results), ids=ids, lines=reader.lines, medications=reader.medications,
                       unresolved=frozenset(reader.unresolved))


# ------------------------------------------------------------------------------------------ the coordinator
def screen_organized(source: Path, work: Path, job_args: dict[str, Any], workers: int,
                     progress: Callable[[BucketResult], None] | None = None) -> Organized | None:
    """Every chain scored on `workers` processes; None when the export is not organised by patient or anything
    found on the way says it is not entirely (then the caller runs the bucket pass on the same export)."""
    chains = organized_chains(source)
    if not chains:
        return None
    work.mkdir(parents=True, exist_ok=True)
    job = PanelJob(files=tuple(name for c in chains for _, name in c.files), **job_args)  # names, for rejects
    try:
        done = list(_run(chains, job, work, workers, progress))
        _check_export_wide(done)
    except NotOrganized as exc:
        log.info("the export is not organised by patient throughout (%s): partitioning it", exc)
        return None
    return Organized(results=[r for c in done for r in c.results], chains=len(chains),
                     lines=sum(c.lines for c in done))


def _run(chains: list[Chain], job: PanelJob, work: Path, workers: int,
         progress: Callable[[BucketResult], None] | None) -> Iterator[ChainResult]:
    def report(res: ChainResult) -> ChainResult:
        for r in res.results:
            if progress is not None:
                progress(r)
        return res

    if workers <= 1 or len(chains) == 1:
        for c in chains:
            yield report(score_chain(c, job, work))
        return
    # The panel's pool (forkserver): left on an exception (NotOrganized, a stop), it cancels the chains not started
    # and ends its processes at once (risk.panel.buckets.PanelPool; a future cancelled here instead races its thread).
    with process_pool(min(workers, len(chains))) as pool:
        futures = [pool.submit(score_chain, c, job, work) for c in chains]
        for fut in as_completed(futures):
            yield report(fut.result())


def _check_export_wide(done: list[ChainResult]) -> None:
    """No patient in two chains; each Medication name means one Medication; no reference a group left unresolved
    that the whole export resolves (the bucket pass reads every Medication with every bucket)."""
    previous = None
    for pid in heapq.merge(*(_read_ids(c.ids) for c in done)):
        if pid == previous:
            raise NotOrganized("a Patient in two files")
        previous = pid
    medications: dict[str, bytes] = {}
    for c in done:
        for name, digest in c.medications.items():
            if medications.setdefault(name, digest) != digest:
                raise NotOrganized(f"two different Medications named {name}")
    for c in done:
        if any(n in medications for n in c.unresolved):
            raise NotOrganized("a Medication referenced outside the block that holds it")


def _read_ids(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            yield line.rstrip("\n")
