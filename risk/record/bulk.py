"""Records from a bulk export in one streaming pass, without holding the raw resources.

A bulk export is written one resource type per file, so a patient's resources are spread over every file.
Instead of grouping raw JSON by patient (gigabytes for 100k patients), each resource is flattened as it is read
(the same `risk.record.build` functions as for a single bundle) and only the compact flattened entries are kept
per patient; `finalise_record` then applies the same per-patient checks as `build_record`. Same code path,
a fraction of the memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice

from risk.errors import RecordError
from risk.fhir.base import Source
from risk.fhir.ndjson import NdjsonSource
from risk.fhir.reading import gc_paused
from risk.fhir.references import link_to_patient, patient_id_from_reference
from risk.record import PatientRecord
from risk.record.build import FLATTENERS, Flat, finalise_record, register_medication

FINALISE_CHUNK = 500  # records built per pause of the garbage collector


def stream_records(source: Source, *, label: str | None = None, skip_unusable: bool = False
                   ) -> Iterator[PatientRecord]:
    """Every patient of the source, flattened in one pass over `source.iter_resources()`.

    `skip_unusable=True` (training) skips patients without birth date or sex instead of stopping; the count is
    available from the generator's return value.
    """
    patients: dict[str, dict] = {}
    medications: dict[str, dict] = {}  # Medication.ndjson, shared: a reference may name any of them
    flats: dict[str, Flat] = defaultdict(lambda: Flat(medication_index=medications))
    now = datetime.now(UTC)
    with gc_paused():  # millions of small objects: generational GC passes would dominate the run time
        _flatten_all(source, patients, flats)
    skipped = 0
    pending = iter(patients.items())
    while True:
        # Records are built a chunk at a time with the collector paused (the flattened export is still live, and
        # each of its passes would scan it again), then handed out with it running: never paused across a yield.
        done: list[PatientRecord] = []
        failure: RecordError | None = None
        taken = 0
        with gc_paused():
            for pid, patient in islice(pending, FINALISE_CHUNK):
                taken += 1
                try:
                    done.append(finalise_record(patient, flats.pop(pid, Flat(medication_index=medications)),
                                                now=now, source=label))
                except RecordError as exc:
                    if not skip_unusable:
                        failure = exc
                        break
                    skipped += 1
        yield from done
        if failure is not None:
            raise failure
        if taken < FINALISE_CHUNK:
            return skipped


_UNRESOLVED = object()
_RESOLVED_MAX = 100_000  # references remembered (bounds memory on a huge export)


def _patient_of(resource: dict, resolved: dict[str, str | None]) -> str | None:
    """The patient id of a resource, the same whether the source rewrote its references or not: the first of
    `subject`, `patient` (a single reference) that names a patient (`Patient/x`, an absolute URL, a version), else
    the rest of the text after `Patient/`, else what `link_to_patient` finds (lists of references).
    `resolved` (reference -> patient id) saves resolving each patient's reference again on every line."""
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict):
            text = ref.get("reference")
            if isinstance(text, str):
                pid = resolved.get(text, _UNRESOLVED)
                if pid is _UNRESOLVED:
                    if len(resolved) > _RESOLVED_MAX:
                        resolved.clear()
                    pid = resolved[text] = patient_id_from_reference(text)
                if pid is not None:
                    return pid  # type: ignore[return-value]
                if text.startswith("Patient/"):
                    return text[8:]
    return link_to_patient(resource)


def _resources(source: Source) -> Iterator[dict]:
    """A bulk export's resources as parsed (the patient is found here); any other source's as it gives them."""
    return source.iter_unlinked() if isinstance(source, NdjsonSource) else source.iter_resources()


def _flatten_all(source: Source, patients: dict[str, dict], flats: dict[str, Flat]) -> None:
    resolved: dict[str, str | None] = {}
    for resource in _resources(source):
        rtype = resource.get("resourceType")
        fn = FLATTENERS.get(rtype or "")  # (first: nine lines in ten are read by a flattener)
        if fn is None:
            if rtype == "Patient":
                pid = resource.get("id")
                if isinstance(pid, str):
                    patients[pid] = resource
            elif rtype == "Medication":
                register_medication(resource, flats.default_factory().medication_index)  # type: ignore[misc]
            continue
        # The common case first, inline: `subject` names a patient already resolved (every line repeats it).
        subject = resource.get("subject")
        ref = subject.get("reference") if type(subject) is dict else None
        pid = resolved.get(ref) if type(ref) is str else None
        if pid is None:
            pid = _patient_of(resource, resolved)
        if pid is not None:
            fn(resource, flats[pid])
