"""A FHIR R4 server read through fhirpy's AsyncFHIRClient: one patient's record in one round of
concurrent searches, every page followed, every failure turned into one SourceError line.

Messages name the server's base URL (without credentials or query) and never the token. Resources
arrive as plain dicts with `subject`/`patient` rewritten to `Patient/<id>`, like every other source.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson
from fhirpy import AsyncFHIRClient
from fhirpy.base.exceptions import (
    AuthorizationError,
    BaseFHIRError,
    ForbiddenError,
    OperationOutcome,
    ResourceNotFound,
)

from risk.errors import ExitCode, RecordError, RiskError, SourceError
from risk.fhir.base import FetchGap, PatientResources, Source, patient_not_found
from risk.fhir.faults import INTERACTIVE, Failure, Fetcher, Limits, RetryPolicy, TokenRefresher
from risk.fhir.references import is_valid_id, link_to_patient

log = logging.getLogger(__name__)

# What the record needs about a patient (DESIGN.md data flow); each is one paged search `?patient=<id>`.
PATIENT_RESOURCE_TYPES = (
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "Procedure",
    "Encounter",
    "FamilyMemberHistory",  # QRISK3's family history of premature coronary heart disease
)
DEFAULT_PAGE_SIZE = 200
DEFAULT_MAX_PATIENTS = 10_000
MAX_PAGES = 10_000  # guards against a server that keeps answering with a `next` link

Resource = dict[str, Any]
T = TypeVar("T")


def public_url(url: str) -> str:
    """The URL without user:password, query or fragment: safe to show in a message.

    >>> public_url("https://user:secret@fhir.example.org/r4/?_token=abc")
    'https://fhir.example.org/r4'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _plain(data: Any) -> Any:
    """fhirpy's AttrDict tree -> plain dicts and lists (orjson round trip, C speed)."""
    return orjson.loads(orjson.dumps(data))


def _diagnostics(exc: OperationOutcome) -> str:
    issues = exc.resource.get("issue") if isinstance(exc.resource, dict) else None
    first = issues[0] if isinstance(issues, list) and issues and isinstance(issues[0], dict) else {}
    text = str(first.get("diagnostics") or first.get("code") or "no details")
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."


def _run(coro: Awaitable[T]) -> T:
    """Run a coroutine from sync code, also when the caller already runs an event loop (Jupyter, ASGI)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


class ServerSource(Source):
    """Patients on a FHIR server (base URL such as `http://127.0.0.1:8090/fhir`).

    - `token`: OAuth2 bearer access token (e.g. from a SMART launch), sent as `Authorization: Bearer ...`.
    - `timeout`: seconds allowed for each HTTP request (connect plus answer).
    - `page_size`: `_count` asked for each search page; `next` links are followed to the end.
    - `max_patients`: cap on `patient_ids()` (a server may hold millions; panels should use bulk export).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_patients: int = DEFAULT_MAX_PATIENTS,
        resource_types: tuple[str, ...] = PATIENT_RESOURCE_TYPES,
        policy: RetryPolicy = INTERACTIVE,
        limits: Limits | None = None,
        refresh: TokenRefresher | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = public_url(self.base_url)
        self.description = f"FHIR server {self.url}"
        parts = urlsplit(self.base_url)
        if parts.query or parts.fragment:
            raise SourceError(f"a FHIR base URL has no query or fragment: use {self.url}", ExitCode.USAGE)
        if token and (parts.username or parts.password):
            raise SourceError(
                f"give either a token or a user:password in the URL of {self.url}, not both", ExitCode.USAGE
            )
        self.timeout = timeout
        self.page_size = page_size
        self.max_patients = max_patients
        self.resource_types = resource_types
        self._authorization = f"Bearer {token}" if token else None
        self._token = token
        self.policy = policy
        self.limits = limits or Limits()
        self._refresh = refresh  # a new access token when the server answers 401 (SMART refresh), once a fetch
        self._gaps: dict[str, tuple[FetchGap, ...]] = {}
        self.requests = 0  # HTTP requests of the last patient fetch (retries included)

    def __repr__(self) -> str:  # never shows the token
        return f"ServerSource({self.url!r})"

    def client(self) -> AsyncFHIRClient:
        """A fhirpy client for this server (a new one per call: aiohttp sessions belong to one event loop)."""
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=self.timeout)
        return AsyncFHIRClient(
            self.base_url, authorization=self._authorization, aiohttp_config={"timeout": timeout}
        )

    # -- error translation ---------------------------------------------------------------------------

    def _error(self, exc: BaseException, what: str) -> RiskError | None:
        """One clear SourceError for a failed request, or None for an error that is not about the server."""
        if isinstance(exc, RiskError):
            return exc
        if isinstance(exc, asyncio.TimeoutError):  # includes aiohttp's ServerTimeoutError
            return SourceError(
                f"{self.description} did not answer within {self.timeout:g} s ({what})",
                ExitCode.SERVER_TIMEOUT,
            )
        if isinstance(exc, aiohttp.ClientConnectorError):
            errno = exc.os_error.errno
            reason = os.strerror(errno).lower() if errno else type(exc.os_error).__name__
            return SourceError(f"cannot connect to {self.description}: {reason}", ExitCode.SERVER_ERROR)
        if isinstance(exc, AuthorizationError | ForbiddenError):
            status = 401 if isinstance(exc, AuthorizationError) else 403
            hint = "no access token was given" if self._authorization is None else "check the access token"
            return SourceError(
                f"{self.description} refused access (HTTP {status}) for {what}: {hint}", ExitCode.SERVER_AUTH
            )
        if isinstance(exc, ResourceNotFound):
            return SourceError(f"{self.description} answered 'not found' for {what}", ExitCode.SERVER_ERROR)
        if isinstance(exc, OperationOutcome):
            return SourceError(
                f"{self.description} answered with an error for {what}: {_diagnostics(exc)}",
                ExitCode.SERVER_ERROR,
            )
        if isinstance(exc, aiohttp.ClientError | BaseFHIRError):
            return SourceError(
                f"{self.description} failed for {what}: {type(exc).__name__}", ExitCode.SERVER_ERROR
            )
        if isinstance(exc, ValueError):  # not JSON, or a next link outside the base URL (fhirpy refuses it)
            return SourceError(
                f"{self.description} gave an unusable answer for {what}: {type(exc).__name__}",
                ExitCode.SERVER_ERROR,
            )
        return None

    async def _guard(self, what: str, awaitable: Awaitable[T]) -> T:
        try:
            return await awaitable
        except Exception as exc:  # translated into one SourceError line; anything unknown re-raised
            error = self._error(exc, what)
            if error is None:
                raise
            raise error from None

    # -- async core ----------------------------------------------------------------------------------

    async def search_all(
        self, client: AsyncFHIRClient, resource_type: str, params: dict[str, Any], *, limit: int | None = None
    ) -> list[Resource]:
        """Every resource of one search, following `next` links (at most `limit` resources)."""
        what = f"{resource_type} search"
        bundle = await self._guard(
            what, client.execute(resource_type, method="get", params={**params, "_count": self.page_size})
        )
        found: list[Resource] = []
        seen_links: set[str] = set()
        while True:
            bundle = _plain(bundle)
            if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
                raise SourceError(
                    f"{self.description} answered the {what} without a Bundle", ExitCode.SERVER_ERROR
                )
            for entry in bundle.get("entry") or []:
                resource = entry.get("resource")
                if isinstance(resource, dict) and resource.get("resourceType") == resource_type:
                    found.append(resource)
            if limit is not None and len(found) >= limit:
                return found[:limit]
            next_link = next(
                (link.get("url") for link in bundle.get("link") or [] if link.get("relation") == "next"), None
            )
            if not next_link:
                return found
            if next_link in seen_links or len(seen_links) >= MAX_PAGES:
                raise SourceError(
                    f"{self.description} keeps sending 'next' pages for the {what}", ExitCode.SERVER_ERROR
                )
            seen_links.add(next_link)
            bundle = await self._guard(what, client.execute(next_link, method="get"))

    async def fetch_patient(self, patient_id: str) -> PatientResources:
        """The Patient and its resources of every type in `resource_types`, fetched concurrently over one
        connection pool under the retry policy. A search that fails leaves its type in `gaps` (failed, or partial
        when a later page failed) instead of failing the whole record; a Patient that cannot be read fails it."""
        if not is_valid_id(patient_id):
            raise RecordError(
                f"'{patient_id[:70]}' is not a valid FHIR patient id", ExitCode.PATIENT_NOT_FOUND
            )
        async with Fetcher(description=self.description, timeout=self.timeout, policy=self.policy,
                           limits=self.limits, token=self._token, refresh=self._refresh) as fetcher:
            patient, *groups = await asyncio.gather(
                fetcher.get_json(f"{self.base_url}/Patient/{patient_id}", "the Patient read"),
                *(self._search_pages(fetcher, rtype, patient_id) for rtype in self.resource_types),
            )
            self.requests = fetcher.requests
            if fetcher.token != self._token:  # refreshed: later fetches start from the new token
                self._token = fetcher.token
                self._authorization = f"Bearer {self._token}" if self._token else None
        if isinstance(patient, Failure):
            if patient.status == 404:
                raise await self._not_found(self.client(), patient_id)
            raise patient.error
        if patient.get("resourceType") != "Patient":
            raise SourceError(f"{self.description} answered the Patient read without a Patient",
                              ExitCode.SERVER_ERROR)
        resources: list[Resource] = []
        gaps: list[FetchGap] = []
        for group, gap in groups:
            if gap is not None:
                gaps.append(gap)
            for resource in group:
                link_to_patient(resource)
                resources.append(resource)
        if gaps:
            log.warning("incomplete fetch from %s: %s", self.url,
                        ", ".join(f"{g.resource_type} {g.status} ({g.detail})" for g in gaps))
        self._gaps[patient_id] = tuple(gaps)
        return PatientResources(patient=patient, resources=resources, gaps=tuple(gaps))

    async def _search_pages(self, fetcher: Fetcher, resource_type: str,
                            patient_id: str) -> tuple[list[Resource], FetchGap | None]:
        """Every page of `resource_type?patient=<id>`; what arrived, and the gap when not all of it did."""
        what = f"{resource_type} search"
        found: list[Resource] = []
        url, params = f"{self.base_url}/{resource_type}", {"patient": patient_id, "_count": str(self.page_size)}
        seen_links: set[str] = set()
        while True:
            bundle = await fetcher.get_json(url, what, params)
            if isinstance(bundle, Failure):
                status = "partial" if seen_links else "failed"
                return found, FetchGap(resource_type=resource_type, status=status, detail=bundle.detail)
            if bundle.get("resourceType") != "Bundle":
                return found, FetchGap(resource_type=resource_type, status="partial" if seen_links else "failed",
                                       detail="not a Bundle")
            for entry in bundle.get("entry") or []:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if isinstance(resource, dict) and resource.get("resourceType") == resource_type:
                    found.append(resource)
            next_link = next((link.get("url") for link in bundle.get("link") or []
                              if isinstance(link, dict) and link.get("relation") == "next"), None)
            if not next_link:
                return found, None
            if not str(next_link).startswith(self.base_url + "/") or next_link in seen_links \
                    or len(seen_links) >= MAX_PAGES:  # elsewhere, or looping: never follow it
                return found, FetchGap(resource_type=resource_type, status="partial", detail="bad next link")
            seen_links.add(next_link)
            url, params = str(next_link), None

    def gaps(self, patient_id: str) -> tuple[FetchGap, ...]:
        return self._gaps.get(patient_id, ())

    async def _not_found(self, client: AsyncFHIRClient, patient_id: str) -> RecordError:
        try:
            total = await self._guard("the Patient count", client.resources("Patient").count())
            examples = await self.search_all(client, "Patient", {"_elements": "id"}, limit=5)
            return patient_not_found(
                patient_id, self.description, [str(p.get("id")) for p in examples], total
            )
        except SourceError:
            return RecordError(
                f"patient '{patient_id}' not found on {self.description}", ExitCode.PATIENT_NOT_FOUND
            )

    async def fetch_patient_ids(self) -> list[str]:
        """Patient ids, paged, stopping at `max_patients`."""
        patients = await self.search_all(
            self.client(), "Patient", {"_elements": "id"}, limit=self.max_patients + 1
        )
        if len(patients) > self.max_patients:
            log.warning("listing stopped at max_patients=%d; the server holds more", self.max_patients)
            patients = patients[: self.max_patients]
        return [str(p["id"]) for p in patients if is_valid_id(p.get("id"))]

    # -- Source API (sync) ---------------------------------------------------------------------------

    def patient_ids(self) -> list[str]:
        return _run(self.fetch_patient_ids())

    def patient(self, patient_id: str) -> PatientResources:
        return _run(self.fetch_patient(patient_id))

    def iter_resources(self) -> Iterator[Resource]:
        """Patient by patient (a server is no panel-scale store: use its $export and NdjsonSource)."""
        for patient in self.iter_patients():
            yield patient.patient
            yield from patient.resources
