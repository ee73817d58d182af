"""Bundle files: one patient per file (transaction, batch, collection, searchset or document Bundle, or a
bare Patient), plain or gzipped, and folders of such files.

A bundle must hold exactly one Patient: two would mix two people's data into one risk estimate, none
leaves nothing to score. References to the patient are resolved through the bundle's fullUrls
(`urn:uuid:...` in Synthea transactions) and rewritten to `Patient/<id>`.

A bundle is one patient's file, so the record is given every resource in it, not only those that name the
patient: it reads Medication entries through the references to them, counts resources that name no one or
someone else under a data-quality issue, and dates an undated smoking status from a document Bundle's header.
A resource's entry fullUrl travels with it under `FULL_URL_KEY` (references may use it: `urn:uuid:...`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from risk.errors import ExitCode, SourceError
from risk.fhir.base import PatientResources, Source
from risk.fhir.reading import (
    STREAM_THRESHOLD_BYTES,
    gc_paused,
    iter_json_items,
    json_header,
    loads,
    read_bytes,
    uncompressed_size,
)
from risk.fhir.references import is_valid_id, link_to_patient, resolve_reference

ACCEPTED_BUNDLE_TYPES = ("transaction", "batch", "collection", "searchset", "document")
FULL_URL_KEY = "_risk_fullUrl"  # not FHIR: the bundle entry's fullUrl, kept on Medication resources
HEADER_KEYS = ("resourceType", "id", "type", "timestamp")  # what the record reads of the Bundle itself
BUNDLE_SUFFIXES = (".json", ".json.gz")

Resource = dict[str, Any]


def is_bundle_name(name: str) -> bool:
    return name.lower().endswith(BUNDLE_SUFFIXES)


def _json_kind(value: Any) -> str:
    kinds = {
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
        type(None): "null",
    }
    return kinds.get(type(value), type(value).__name__)


def _check_top_level(obj: Any, where: str) -> str:
    """The top-level resourceType if this file is something a bundle source can read, else a clear error."""
    rtype = obj.get("resourceType") if isinstance(obj, dict) else None
    if not isinstance(rtype, str):
        kind = "an object without resourceType" if isinstance(obj, dict) else f"a JSON {_json_kind(obj)}"
        raise SourceError(
            f"{where} is JSON but not FHIR ({kind}): expected a FHIR Bundle or Patient resource",
            ExitCode.NOT_FHIR,
        )
    if rtype == "OperationOutcome":
        raise SourceError(
            f"{where} is an OperationOutcome (an error report from a FHIR server), not patient data",
            ExitCode.UNEXPECTED_RESOURCE_TYPE,
        )
    if rtype not in ("Bundle", "Patient"):
        raise SourceError(
            f"{where} holds a single {rtype[:64]}: expected a Bundle with one Patient, or a Patient",
            ExitCode.UNEXPECTED_RESOURCE_TYPE,
        )
    if rtype == "Bundle":
        btype = obj.get("type")
        if btype is not None and btype not in ACCEPTED_BUNDLE_TYPES:
            accepted = ", ".join(ACCEPTED_BUNDLE_TYPES[:-1]) + " or " + ACCEPTED_BUNDLE_TYPES[-1]
            raise SourceError(
                f"{where} is a '{str(btype)[:40]}' Bundle: expected a {accepted} Bundle",
                ExitCode.UNSUPPORTED_BUNDLE_TYPE,
            )
    return rtype


def patient_id_of(patient: Resource, full_url: Any, where: str) -> str:
    """The Patient's id, taken from its fullUrl when a transaction leaves `id` out (and then set on it)."""
    pid = patient.get("id")
    if pid is None and isinstance(full_url, str):
        if full_url.startswith("urn:uuid:"):
            pid = full_url.removeprefix("urn:uuid:")
        else:
            resolved = resolve_reference(full_url)
            pid = resolved[1] if resolved and resolved[0] == "Patient" else None
        if is_valid_id(pid):
            patient["id"] = pid
    if pid is None:
        raise SourceError(f"the Patient in {where} has no id (and no fullUrl to take one from)", ExitCode.NOT_FHIR)
    if not is_valid_id(pid):
        raise SourceError(
            f"the Patient in {where} has an invalid id '{str(pid)[:70]}' "
            "(FHIR ids are 1-64 letters, digits, '-' or '.')",
            ExitCode.NOT_FHIR,
        )
    return str(pid)


def walk_entries(entries: Iterable[Any], where: str) -> Iterator[tuple[Resource, str | None]]:
    """Every resource of a bundle's entries with the patient id it is linked to, Patient first.

    Enforces exactly one Patient. Resources met before the Patient wait in a buffer (Synthea puts the
    Patient first, so in practice nothing waits) because a `urn:uuid:` reference can only be resolved once
    the Patient's fullUrl is known.
    """
    patient_refs: dict[str, str] = {}  # the Patient's fullUrl -> "Patient/<id>"
    resolved: dict[str, str | None] = {}  # reference -> patient id, once patient_refs is complete
    patient_id: str | None = None
    pending: list[Resource] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is None:
            if isinstance(entry, dict):
                continue  # e.g. a DELETE request in a transaction: nothing to read
            raise SourceError(f"entry {index} of the Bundle in {where} is not a JSON object", ExitCode.NOT_FHIR)
        rtype = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(rtype, str):
            raise SourceError(
                f"entry {index} of the Bundle in {where} is not a FHIR resource (no resourceType)",
                ExitCode.NOT_FHIR,
            )
        search = entry.get("search")
        if isinstance(search, dict) and search.get("mode") == "outcome":
            continue  # a searchset's OperationOutcome about the search itself
        full_url = entry.get("fullUrl")
        if rtype == "Medication" and isinstance(full_url, str):
            resource[FULL_URL_KEY] = full_url
        if rtype == "Patient":
            if patient_id is not None:
                raise SourceError(
                    f"{where} holds more than one Patient (a second one at entry {index}): a bundle file "
                    "must hold exactly one patient; use a folder of bundles or an NDJSON export for several",
                    ExitCode.MULTIPLE_PATIENTS,
                )
            patient_id = patient_id_of(resource, full_url, where)
            if isinstance(full_url, str):
                patient_refs[full_url] = "Patient/" + patient_id
            yield resource, None
            for waiting in pending:
                yield waiting, link_to_patient(waiting, patient_refs, cache=resolved)
            pending.clear()
        elif patient_id is None:
            pending.append(resource)
        else:
            yield resource, link_to_patient(resource, patient_refs, cache=resolved)
    if patient_id is None:
        raise SourceError(
            f"{where} holds no Patient resource: a bundle file must hold exactly one patient",
            ExitCode.NO_PATIENT,
        )


def _with_header(pairs: Iterator[tuple[Resource, str | None]], bundle: Any) -> Iterator[tuple[Resource, str | None]]:
    """The pairs, with the Bundle's header (`HEADER_KEYS` only, no entries) right after the Patient."""
    for index, pair in enumerate(pairs):
        yield pair
        if index == 0 and isinstance(bundle, dict):
            yield {k: bundle[k] for k in HEADER_KEYS if k in bundle}, None


def collect_patient(pairs: Iterable[tuple[Resource, str | None]]) -> PatientResources:
    """The Patient, the resources linked to it, and the rest of its bundle as `unlinked` (the record sorts
    those out: Medications it reads, the others it counts)."""
    patient: Resource | None = None
    resources: list[Resource] = []
    unlinked: list[Resource] = []
    for resource, linked in pairs:
        if patient is None and resource["resourceType"] == "Patient":
            patient = resource
        elif linked is not None and linked == patient["id"]:  # type: ignore[index]
            resources.append(resource)
        else:
            unlinked.append(resource)
    assert patient is not None  # walk_entries raised NO_PATIENT otherwise
    return PatientResources(patient=patient, resources=resources, unlinked=unlinked)


class BundleFileSource(Source):
    """One patient's bundle file (`.json` or `.json.gz`), or a file holding a bare Patient resource.

    `stream_threshold`: uncompressed size in bytes above which the file is streamed entry by entry instead
    of parsed whole (memory stays near the size of the resources themselves, not twice the file).
    """

    def __init__(self, path: str | Path, *, stream_threshold: int = STREAM_THRESHOLD_BYTES) -> None:
        self.path = Path(path)
        self.description = f"bundle file {self.path}"
        self.stream_threshold = stream_threshold
        if not self.path.is_file():
            what = "is a folder, not a file" if self.path.is_dir() else "does not exist"
            raise SourceError(f"{self.path} {what}", ExitCode.FILE_NOT_FOUND)
        self._loaded: PatientResources | None = None

    @property
    def streamed(self) -> bool:
        """True when this file is too large to parse whole and is read entry by entry."""
        return uncompressed_size(self.path) > self.stream_threshold

    def _pairs(self, *, header: bool = False) -> Iterator[tuple[Resource, str | None]]:
        """(resource, linked patient id) of every entry, Patient first; with `header`, the Bundle's own
        `HEADER_KEYS` follow the Patient as a resource (its type and timestamp date a document)."""
        where = str(self.path)
        if self.streamed:
            head = json_header(self.path)
            if _check_top_level(head, where) == "Bundle":
                yield from _with_header(
                    walk_entries(iter_json_items(self.path, "entry.item"), where), head if header else None
                )
                return
            obj: Any = next(iter_json_items(self.path, ""))  # a (huge) bare Patient
        else:
            obj = loads(read_bytes(self.path), where)
            if _check_top_level(obj, where) == "Bundle":
                entries = obj.get("entry") or []
                if not isinstance(entries, list):
                    raise SourceError(f"the Bundle in {where} has an 'entry' that is not a list", ExitCode.NOT_FHIR)
                yield from _with_header(walk_entries(entries, where), obj if header else None)
                return
        patient_id_of(obj, None, where)
        yield obj, None

    def _load(self) -> PatientResources:
        if self._loaded is None:
            with gc_paused():  # one bundle's ~100k parsed objects: see gc_paused
                self._loaded = collect_patient(self._pairs(header=True))
        return self._loaded

    def patient_ids(self) -> list[str]:
        return [self._load().patient_id]

    def patient(self, patient_id: str) -> PatientResources:
        loaded = self._load()
        if loaded.patient_id != patient_id:
            raise self._patient_not_found(patient_id, [loaded.patient_id])
        return loaded

    def iter_patients(self) -> Iterator[PatientResources]:
        yield self._load()

    def stream_patients(self, patient_id: str | None = None) -> Iterator[tuple[Resource, Iterable[Resource]]]:
        """A streamed file gives its Patient, then its resources one entry at a time as they are read."""
        if self._loaded is not None or not self.streamed:
            yield from super().stream_patients(patient_id)
            return
        pairs = self._pairs(header=True)
        patient, _ = next(pairs)  # walk_entries gives the Patient first, or raises NO_PATIENT
        pid = patient_id_of(patient, None, str(self.path))
        if patient_id is not None and patient_id != pid:
            raise self._patient_not_found(patient_id, [pid])
        yield patient, (resource for resource, _ in pairs)

    def iter_resources(self) -> Iterator[Resource]:
        if self._loaded is not None:
            yield self._loaded.patient
            yield from self._loaded.resources
            yield from (r for r in self._loaded.unlinked if r.get("resourceType") != "Bundle")
            return
        for resource, _ in self._pairs():
            yield resource


def peek_patient_id(path: Path, *, stream_threshold: int = STREAM_THRESHOLD_BYTES) -> str:
    """The id of the (first) Patient in a bundle file, read from the first entries only when possible."""
    source = BundleFileSource(path, stream_threshold=stream_threshold)
    try:
        for entry in iter_json_items(path, "entry.item"):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
                return patient_id_of(resource, entry.get("fullUrl"), str(path))
    except SourceError as exc:
        if exc.code != ExitCode.INVALID_JSON or source.streamed:
            raise
        # fall through: the full parse of a small file says where (line and column) the JSON breaks
    # not a bundle, or no Patient in it: the full read gives the right answer or the right error
    return source.patient_ids()[0]


class BundleFolderSource(Source):
    """A folder of bundle files, one patient per file (e.g. Synthea output, or a GP's exported records)."""

    def __init__(self, folder: str | Path, *, stream_threshold: int = STREAM_THRESHOLD_BYTES) -> None:
        self.folder = Path(folder)
        self.description = f"bundle folder {self.folder}"
        self.stream_threshold = stream_threshold
        if not self.folder.is_dir():
            raise SourceError(f"{self.folder} is not a folder", ExitCode.FILE_NOT_FOUND)
        self.files = sorted(p for p in self.folder.iterdir() if p.is_file() and is_bundle_name(p.name))
        if not self.files:
            raise SourceError(f"no *.json or *.json.gz bundle files in {self.folder}", ExitCode.FILE_NOT_FOUND)
        self._index: dict[str, Path] | None = None

    def _file_source(self, path: Path) -> BundleFileSource:
        return BundleFileSource(path, stream_threshold=self.stream_threshold)

    def _register(self, seen: dict[str, Path], patient_id: str, path: Path) -> None:
        if patient_id in seen:
            raise SourceError(
                f"patient '{patient_id}' is in two files of {self.folder}: {seen[patient_id].name} "
                f"and {path.name}; keep one",
                ExitCode.MULTIPLE_PATIENTS,
            )
        seen[patient_id] = path

    def _patient_index(self) -> dict[str, Path]:
        if self._index is None:
            index: dict[str, Path] = {}
            for path in self.files:
                self._register(index, peek_patient_id(path, stream_threshold=self.stream_threshold), path)
            self._index = index
        return self._index

    def patient_ids(self) -> list[str]:
        return list(self._patient_index())

    def patient(self, patient_id: str) -> PatientResources:
        index = self._patient_index()
        path = index.get(patient_id)
        if path is None:
            raise self._patient_not_found(patient_id, list(index))
        return self._file_source(path).patient(patient_id)

    def iter_patients(self) -> Iterator[PatientResources]:
        seen: dict[str, Path] = {}
        for path in self.files:
            loaded = self._file_source(path)._load()
            self._register(seen, loaded.patient_id, path)
            yield loaded

    def stream_patients(self, patient_id: str | None = None) -> Iterator[tuple[Resource, Iterable[Resource]]]:
        if patient_id is not None:
            index = self._patient_index()
            if patient_id not in index:
                raise self._patient_not_found(patient_id, list(index))
            yield from self._file_source(index[patient_id]).stream_patients(patient_id)
            return
        seen: dict[str, Path] = {}
        for path in self.files:
            for patient, resources in self._file_source(path).stream_patients():
                self._register(seen, str(patient["id"]), path)
                yield patient, resources

    def iter_resources(self) -> Iterator[Resource]:
        for path in self.files:
            yield from self._file_source(path).iter_resources()
