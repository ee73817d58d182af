"""Where FHIR comes from: one small interface over bundle files, bulk-export folders and FHIR servers.

Every source yields plain FHIR resources (dicts) whose `subject`/`patient` references are rewritten to
`Patient/<id>`; nothing downstream knows which kind of source it read. Pick one with `risk.fhir.open.open_source`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from risk.errors import ExitCode, RecordError


@dataclass(frozen=True, kw_only=True)
class FetchGap:
    """A resource type a server did not give in full: a score that needs it must not be computed.

    `status` is "failed" (no page arrived) or "partial" (a later page failed); `detail` is short and
    language-neutral ("HTTP 403", "timeout", "not JSON").
    """

    resource_type: str
    status: str
    detail: str


@dataclass(kw_only=True)
class PatientResources:
    """One patient as the source holds them: the Patient and every resource about that patient."""

    patient: dict[str, Any]  # the Patient resource
    # Non-Patient resources whose subject/patient reference points to this patient, in source order;
    # those references are rewritten to "Patient/<id>".
    resources: list[dict[str, Any]] = field(default_factory=list)
    # The rest of a one-patient file (a bundle): resources that name no one or someone else, Medication entries
    # and the Bundle's header. Not about the patient, but the record reads Medications through references and
    # dates from the header, and counts the others in a data-quality issue instead of losing them silently.
    unlinked: list[dict[str, Any]] = field(default_factory=list)
    # Resource types the server did not give in full (empty for files and for a complete fetch).
    gaps: tuple[FetchGap, ...] = ()

    @property
    def patient_id(self) -> str:
        return str(self.patient["id"])


class Source(ABC):
    """A place that holds FHIR resources for one or more patients."""

    #: Human-readable label for messages ("bundle file x.json", "FHIR server https://..."); no secrets.
    description: str = "FHIR source"

    @abstractmethod
    def patient_ids(self) -> list[str]:
        """Ids of the patients this source holds, in a stable order."""

    @abstractmethod
    def patient(self, patient_id: str) -> PatientResources:
        """One patient and their resources; RecordError(PATIENT_NOT_FOUND) for an unknown id."""

    def iter_patients(self) -> Iterator[PatientResources]:
        """Every patient with their resources, one at a time."""
        for patient_id in self.patient_ids():
            yield self.patient(patient_id)

    def stream_patients(
        self, patient_id: str | None = None
    ) -> Iterator[tuple[dict[str, Any], Iterable[dict[str, Any]]]]:
        """(Patient, its resources) for `patient_id`, or for each patient: what a record is built from.

        The resources may be a one-shot stream, read from the file as they are consumed (a bundle too large
        to parse whole is never collected): consume them before asking for the next patient. By default,
        the list that `patient` / `iter_patients` collect.
        """
        found = [self.patient(patient_id)] if patient_id is not None else self.iter_patients()
        for pr in found:
            yield pr.patient, [*pr.resources, *pr.unlinked]

    @abstractmethod
    def iter_resources(self) -> Iterator[dict[str, Any]]:
        """Every resource once (Patients included), streamed: the path for panel-scale flattening."""

    def gaps(self, patient_id: str) -> tuple[FetchGap, ...]:
        """Resource types of the last fetch of this patient that did not arrive in full (files: none)."""
        return ()

    def close(self) -> None:  # noqa: B027 (optional hook, most sources hold nothing open)
        """Release files or connections (nothing to do for most sources)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _patient_not_found(self, patient_id: str, known_ids: Sequence[str], total: int | None = None) -> RecordError:
        return patient_not_found(patient_id, self.description, known_ids, total)


def patient_not_found(patient_id: str, where: str, known_ids: Sequence[str], total: int | None = None) -> RecordError:
    """RecordError naming the id, how many patients exist and a few that do (ids, never names)."""
    total = len(known_ids) if total is None else total
    if total == 0:
        detail = "it holds no patients"
    else:
        examples = ", ".join(known_ids[:5]) + (", ..." if total > 5 else "")
        detail = f"it holds {total} patient{'s' if total != 1 else ''} ({examples})"
    return RecordError(f"patient '{patient_id}' not found in {where}: {detail}", ExitCode.PATIENT_NOT_FOUND)
