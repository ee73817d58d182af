"""Surviving a FHIR server's faults: one retry table, `Retry-After`, a time budget, and caps on what an answer
may be (size, nesting depth), so that a slow, broken or hostile server gives a clear message, never a
traceback or a silently short record.

`Fetcher` is one aiohttp session (connections reused across one patient's searches) that GETs JSON under a
`RetryPolicy`. Every failure is a `SourceError` whose message names the server's public URL, never the token.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import orjson

from risk.errors import ExitCode, SourceError

# The retry table: what is retried, and how. 401 is not here: it refreshes the token once (Fetcher.get_json).
RETRY_STATUSES: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
RETRY_TRANSPORT: tuple[type[BaseException], ...] = (aiohttp.ClientConnectionError, asyncio.TimeoutError)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How hard to try: a GP's page waits seconds, a panel minutes."""

    budget_s: float  # the whole fetch (every search and retry) must end within this
    max_attempts: int  # per request, the first one included
    backoff_s: float  # first wait when the server gives no Retry-After; doubled each time
    max_backoff_s: float


INTERACTIVE = RetryPolicy(budget_s=3.0, max_attempts=3, backoff_s=0.2, max_backoff_s=1.0)
PANEL = RetryPolicy(budget_s=600.0, max_attempts=6, backoff_s=1.0, max_backoff_s=60.0)


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one answer may be: a FHIR page is kilobytes to a few megabytes and some twenty levels deep."""

    max_bytes: int = 32 * 1024 * 1024
    max_depth: int = 64


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP-date (RFC 9110 10.2.3); None if unusable.

    >>> retry_after_seconds("2")
    2.0
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:05 GMT", datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC))
    5.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def too_deep(data: Any, limit: int) -> bool:
    """True when JSON nests deeper than `limit` (iterative: a hostile body cannot exhaust the stack)."""
    todo: list[tuple[Any, int]] = [(data, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            todo.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            todo.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return False


class Deadline:
    """The time left of a budget."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.end = time.monotonic() + budget_s

    def left(self) -> float:
        return self.end - time.monotonic()


@dataclass(frozen=True, kw_only=True)
class Failure:
    """Why a request gave no answer: `detail` is short and language-neutral ("HTTP 503", "timeout")."""

    status: int | None
    detail: str
    error: SourceError


TokenRefresher = Callable[[], Awaitable[str | None]]


class Fetcher:
    """GET JSON from one server under one policy; use as `async with Fetcher(...) as f`."""

    def __init__(self, *, description: str, timeout: float, policy: RetryPolicy, limits: Limits,
                 token: str | None = None, refresh: TokenRefresher | None = None) -> None:
        self.description = description
        self.timeout = timeout
        self.policy = policy
        self.limits = limits
        self.deadline = Deadline(policy.budget_s)
        self._token = token
        self._refresh = refresh
        self._refreshed = False
        self._refresh_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # how many HTTP requests were sent (retries included)

    async def __aenter__(self) -> Fetcher:
        self._session = aiohttp.ClientSession(headers={"Accept": "application/fhir+json"})
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def token(self) -> str | None:
        """The access token now in use (a refresh replaces it)."""
        return self._token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def _fail(self, status: int | None, detail: str, message: str, code: ExitCode = ExitCode.SERVER_ERROR) -> Failure:
        return Failure(status=status, detail=detail, error=SourceError(f"{self.description} {message}", code))

    async def get_json(self, url: str, what: str, params: dict[str, str] | None = None) -> dict[str, Any] | Failure:
        """The JSON object at `url`, or the Failure after the retries the policy allows."""
        attempt, waited_for = 0, None
        while True:
            attempt += 1
            left = self.deadline.left()
            if left <= 0:
                budget = f"did not answer within the {self.policy.budget_s:g} s budget ({what})"
                return waited_for or self._fail(None, "timeout", budget, ExitCode.SERVER_TIMEOUT)
            sent_with = self._token
            result, wait = await self._once(url, what, params, min(self.timeout, left))
            if not isinstance(result, Failure):
                return result
            if result.status == 401 and self._refresh is not None and await self._renewed(sent_with):
                attempt -= 1
                continue
            retriable = result.status in RETRY_STATUSES or result.detail in ("timeout", "connection")
            if not retriable or attempt >= self.policy.max_attempts:
                return result
            delay = wait if wait is not None else min(self.policy.backoff_s * 2 ** (attempt - 1),
                                                      self.policy.max_backoff_s)
            if delay >= self.deadline.left():  # the server asks for more time than the page may wait
                return result
            waited_for = result
            await asyncio.sleep(delay)

    async def _renewed(self, sent_with: str | None) -> bool:
        """After a 401: True when a newer token is there to retry with. Concurrent searches share one refresh,
        and one only per fetch: a token refused right after a refresh is not refreshed again."""
        async with self._refresh_lock:
            if self._token != sent_with:  # another search refreshed it meanwhile
                return True
            if self._refreshed or self._refresh is None:
                return False
            self._refreshed = True
            token = await self._refresh()
            if not token:
                return False
            self._token = token
            return True

    async def _once(self, url: str, what: str, params: dict[str, str] | None,
                    timeout: float) -> tuple[dict[str, Any] | Failure, float | None]:
        assert self._session is not None, "use Fetcher inside `async with`"
        self.requests += 1
        try:
            async with self._session.get(url, params=params, headers=self._headers(),
                                         timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=timeout),
                                         allow_redirects=False) as response:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if response.status != 200:
                    return self._status_failure(response.status, what, await self._small_body(response)), wait
                body = await self._read_capped(response, what)
                if isinstance(body, Failure):
                    return body, None
                return self._parse(body, response.content_type, what), None
        except TimeoutError:
            return self._fail(None, "timeout", f"did not answer within {timeout:g} s ({what})",
                              ExitCode.SERVER_TIMEOUT), None
        except aiohttp.ClientConnectorError as exc:
            errno = exc.os_error.errno
            reason = os.strerror(errno).lower() if errno else type(exc.os_error).__name__
            return Failure(status=None, detail="connection",
                           error=SourceError(f"cannot connect to {self.description}: {reason}",
                                             ExitCode.SERVER_ERROR)), None
        except aiohttp.ClientError as exc:
            return self._fail(None, "connection", f"failed for {what}: {type(exc).__name__}"), None

    async def _small_body(self, response: aiohttp.ClientResponse) -> Any:
        """An error body, for its OperationOutcome diagnostics (read at most 64 KiB)."""
        try:
            return orjson.loads(await response.content.read(65536))
        except (orjson.JSONDecodeError, aiohttp.ClientError, TimeoutError):
            return None

    def _status_failure(self, status: int, what: str, body: Any) -> Failure:
        if status in (401, 403):
            hint = "no access token was given" if not self._token else "check the access token"
            return self._fail(status, f"HTTP {status}", f"refused access (HTTP {status}) for {what}: {hint}",
                              ExitCode.SERVER_AUTH)
        if status == 404:
            return self._fail(status, "HTTP 404", f"answered 'not found' for {what}")
        diagnostics = outcome_diagnostics(body)
        detail = f": {diagnostics}" if diagnostics else ""
        return self._fail(status, f"HTTP {status}", f"answered HTTP {status} for {what}{detail}")

    async def _read_capped(self, response: aiohttp.ClientResponse, what: str) -> bytes | Failure:
        cap = self.limits.max_bytes
        too_big = self._fail(200, "too large", f"sent more than {cap // (1024 * 1024)} MB for {what}: refused")
        if response.content_length is not None and response.content_length > cap:
            return too_big
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > cap:
                return too_big
            chunks.append(chunk)
        return b"".join(chunks)

    def _parse(self, body: bytes, content_type: str, what: str) -> dict[str, Any] | Failure:
        unusable = self._fail(200, "not JSON", f"gave an unusable answer for {what}: not FHIR JSON "
                                               f"({content_type or 'no content type'}; a login page?)")
        if "json" not in content_type:
            return unusable
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            if "depth" in str(exc).lower() or "recursion" in str(exc).lower():  # orjson stops at 1024 levels
                return self._too_deep(what)
            return unusable
        if not isinstance(data, dict):
            return unusable
        if too_deep(data, self.limits.max_depth):
            return self._too_deep(what)
        return data

    def _too_deep(self, what: str) -> Failure:
        return self._fail(200, "too deep", f"sent JSON nested more than {self.limits.max_depth} levels deep "
                                           f"for {what}: refused")


def outcome_diagnostics(body: Any) -> str:
    """The first issue's diagnostics of an OperationOutcome, on one line, at most 160 characters."""
    issues = body.get("issue") if isinstance(body, dict) else None
    first = issues[0] if isinstance(issues, list) and issues and isinstance(issues[0], dict) else {}
    text = " ".join(str(first.get("diagnostics") or first.get("code") or "").split())
    return text if len(text) <= 160 else text[:157] + "..."
