"""The hook call: its model, the caps on hostile input, and its prefetch turned into one patient's resources.

The prefetch is read through the same bundle walker as a file (risk.fhir.bundle.walk_entries), so a prefetch is
checked exactly like a bundle: one Patient with a valid id, resources linked to it. A key the EHR left out (or
sent as null) is fetched from `fhirServer` with `fhirAuthorization`, when the issuer allows that server.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from risk.cds.config import MAX_JSON_DEPTH, MAX_PREFETCH_ENTRIES
from risk.fhir.base import PatientResources
from risk.fhir.bundle import collect_patient, walk_entries
from risk.fhir.references import is_valid_id

# LOINC codes of what the card rests on (blood pressure, lipids, HbA1c, kidney function, smoking, BMI); the
# record reads more, and a missing key or an EHR that cannot honour a template falls back to fetching.
OBSERVATION_CODES = ("8480-6", "85354-9", "55284-4", "2093-3", "2085-9", "18262-6", "13457-7", "4548-4",
                     "33914-3", "62238-1", "98979-8", "2160-0", "9318-7", "72166-2", "39156-5", "29463-7", "8302-2")
PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}&code="
                    + ",".join(f"http://loinc.org|{c}" for c in OBSERVATION_CODES) + "&_sort=-date&_count=500",
    "conditions": "Condition?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}",
}


class RequestError(Exception):
    """The request cannot be served as sent (answered 400 with this reason)."""


class NeedsData(Exception):
    """Neither the prefetch nor an allowed FHIR server gives the data (answered 412)."""


class FhirAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    access_token: str = Field(max_length=8192)
    token_type: str = Field(default="Bearer", max_length=32)
    expires_in: int | None = None
    scope: str | None = Field(default=None, max_length=4096)
    subject: str | None = Field(default=None, max_length=1024)

    def __repr__(self) -> str:  # never shows the token
        return f"FhirAuthorization(scope={self.scope!r})"

    __str__ = __repr__


class HookContext(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    userId: str = Field(max_length=1024)  # noqa: N815 (the CDS Hooks field name)
    patientId: str = Field(pattern=r"^[A-Za-z0-9\-.]{1,64}$")  # noqa: N815 (FHIR id)
    encounterId: str | None = Field(default=None, max_length=1024)  # noqa: N815


class HookRequest(BaseModel):
    """A CDS Hooks 2.0 request (https://cds-hooks.hl7.org/2.0/#http-request_1); unknown fields are tolerated."""

    model_config = ConfigDict(extra="allow", strict=True)
    hook: Literal["patient-view"]
    hookInstance: str = Field(max_length=256)  # noqa: N815
    fhirServer: str | None = Field(default=None, max_length=2048)  # noqa: N815
    fhirAuthorization: FhirAuthorization | None = None  # noqa: N815
    context: HookContext
    prefetch: dict[str, Any] | None = None


class FeedbackOutcome(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    card: str = Field(max_length=256)
    outcome: str = Field(pattern="^(accepted|overridden)$")
    outcomeTimestamp: str = Field(max_length=64)  # noqa: N815
    acceptedSuggestions: list[dict[str, Any]] | None = Field(default=None, max_length=64)  # noqa: N815
    overrideReason: dict[str, Any] | None = None  # noqa: N815


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    feedback: list[FeedbackOutcome] = Field(max_length=64)


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """Depth of nested arrays and objects, walked without recursion (a hostile body cannot blow the stack)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            todo.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_body(raw: bytes) -> Any:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError("the body is not JSON") from exc
    if json_depth(data) > MAX_JSON_DEPTH:
        raise RequestError(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _entries(value: Any, key: str) -> list[dict[str, Any]]:
    """A prefetch value as bundle entries: a Bundle's entries, or one resource."""
    if not isinstance(value, dict):
        raise RequestError(f"prefetch {key!r} is not a FHIR resource or Bundle")
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry") or []
        if not isinstance(entries, list):
            raise RequestError(f"prefetch {key!r} has an entry that is not a list")
        return entries
    return [{"resource": value}]


def from_prefetch(req: HookRequest) -> PatientResources | None:
    """The patient's resources from the prefetch, or None when a key is missing (then fetch)."""
    prefetch = req.prefetch or {}
    if any(prefetch.get(k) is None for k in PREFETCH):
        return None
    entries = [e for k in PREFETCH for e in _entries(prefetch[k], k)]
    if len(entries) > MAX_PREFETCH_ENTRIES:
        raise RequestError(f"the prefetch holds more than {MAX_PREFETCH_ENTRIES} entries")
    if not is_valid_id(req.context.patientId):
        raise RequestError("context.patientId is not a FHIR id")
    pr = collect_patient(walk_entries(entries, "the prefetch"))
    if pr.patient_id != req.context.patientId:
        raise RequestError("the prefetched Patient is not context.patientId")
    return pr


def fhir_server_allowed(req: HookRequest, allowed: tuple[str, ...]) -> str:
    """The fhirServer to fetch from, when given and allow-listed for the issuer; else NeedsData (412)."""
    if not req.fhirServer:
        raise NeedsData("the prefetch is incomplete and no fhirServer was given")
    url = req.fhirServer.rstrip("/")
    if url not in allowed:
        raise NeedsData("the prefetch is incomplete and fhirServer is not allowed for this issuer")
    if not is_valid_id(req.context.patientId):
        raise RequestError("context.patientId is not a FHIR id")
    return url
