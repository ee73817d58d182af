"""FHIR Bulk Data `$export` client with SMART Backend Services auth: what `risk panel --fhir-server` runs.

Kick-off (`Prefer: respond-async`, `_type` comma-joined, `_since`, `_typeFilter`) -> the status URL is saved to a
state file at once -> polls with backoff honouring `Retry-After` -> downloads each NDJSON file (gzip on the wire,
kept gzipped) with a progress bar -> the folder is an ordinary bulk-export source for the panel. A client stopped
mid-poll resumes from the saved status URL: the server is never asked for a second export.

Backend Services (SMART App Launch 2.x section 6): a `private_key_jwt` client assertion signed with the
deployment's key (joserfc), exchanged for a short-lived `system/` token; a new one when it expires or a 401 says so.
"""

from __future__ import annotations

import gzip
import json
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from risk.errors import ExitCode, SourceError
from risk.fhir.faults import PANEL, RETRY_STATUSES, RetryPolicy, retry_after_seconds
from risk.fhir.server import public_url

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
STATE_FILE = ".export-state.json"


@dataclass(frozen=True, kw_only=True)
class ExportRequest:
    group: str | None = None  # Group/<id>/$export; None: Patient/$export (every patient)
    types: tuple[str, ...] = ()
    since: str | None = None
    type_filters: tuple[str, ...] = ()

    def params(self) -> dict[str, str]:
        p = {"_outputFormat": "application/fhir+ndjson"}
        if self.types:
            p["_type"] = ",".join(self.types)
        if self.since:
            p["_since"] = self.since
        if self.type_filters:
            p["_typeFilter"] = ",".join(self.type_filters)
        return p


@dataclass(kw_only=True)
class BackendAuth:
    """SMART Backend Services: client id and private key (a JWK set read from configuration)."""

    client_id: str
    keys: KeySet = field(repr=False)
    scope: str = "system/*.rs"
    token_url: str | None = None  # discovered from .well-known/smart-configuration when None
    _token: str | None = field(default=None, repr=False)
    _expires: float = 0.0

    @classmethod
    def from_file(cls, client_id: str, key_file: str | Path, scope: str = "system/*.rs") -> BackendAuth:
        """Keys from a private JWK or JWK set (JSON) file."""
        try:
            doc = json.loads(Path(key_file).read_text(encoding="utf-8"))
            keys = KeySet.import_key_set(doc if "keys" in doc else {"keys": [doc]})
        except (OSError, ValueError, JoseError):
            raise SourceError(f"cannot read the Backend Services private key {key_file} (a JWK set as JSON)",
                              ExitCode.USAGE) from None
        return cls(client_id=client_id, keys=keys, scope=scope)

    def assertion(self, token_url: str) -> str:
        key = self.keys.keys[0]
        alg = key.alg or ("ES384" if key.key_type == "EC" else "RS384")
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": token_url, "exp": now + 240,
                  "iat": now, "jti": uuid.uuid4().hex}
        return jwt.encode({"alg": alg, "typ": "JWT", "kid": key.kid}, claims, key, algorithms=[alg])

    def token(self, session: requests.Session, base: str, *, renew: bool = False) -> str:
        if self._token and not renew and time.time() < self._expires - 30:
            return self._token
        if self.token_url is None:
            self.token_url = _discover_token_url(session, base)
        form = {"grant_type": "client_credentials", "scope": self.scope,
                "client_assertion_type": ASSERTION_TYPE, "client_assertion": self.assertion(self.token_url)}
        try:
            answer = session.post(self.token_url, data=form, timeout=30)
            doc = answer.json() if answer.status_code == 200 else None
        except (requests.RequestException, ValueError):
            doc = None
        if not isinstance(doc, dict) or not doc.get("access_token"):
            raise SourceError(f"{public_url(base)} refused the Backend Services sign-in of client "
                              f"'{self.client_id}' (check its registered public key and scopes)", ExitCode.SERVER_AUTH)
        self._token = str(doc["access_token"])
        self._expires = time.time() + float(doc.get("expires_in") or 300)
        return self._token


def _discover_token_url(session: requests.Session, base: str) -> str:
    try:
        doc = session.get(f"{base}/.well-known/smart-configuration", timeout=30).json()
        return str(doc["token_endpoint"])
    except (requests.RequestException, ValueError, KeyError, TypeError):
        raise SourceError(f"{public_url(base)} offers no SMART configuration (token endpoint)",
                          ExitCode.SERVER_ERROR) from None


class BulkClient:
    """One server, one export at a time; `sleep` and `policy` are arguments so that tests need not wait."""

    def __init__(self, base_url: str, auth: BackendAuth | None, *, policy: RetryPolicy = PANEL,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base = base_url.rstrip("/")
        self.where = f"FHIR server {public_url(self.base)}"
        self.auth = auth
        self.policy = policy
        self.sleep = sleep
        self.session = requests.Session()
        self.kickoffs = 0

    def _request(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        """One request under the panel policy: retried on 408/429/5xx and transport errors, a new token on 401."""
        renewed = False
        for attempt in range(1, self.policy.max_attempts + 1):
            headers = dict(kwargs.pop("headers", {}) or {})
            if self.auth is not None:
                headers["Authorization"] = f"Bearer {self.auth.token(self.session, self.base, renew=renewed)}"
            try:
                answer = self.session.request(method, url, headers=headers, timeout=60, **kwargs)
            except requests.RequestException as exc:
                if attempt == self.policy.max_attempts:
                    raise SourceError(f"{self.where} failed for {what}: {type(exc).__name__}",
                                      ExitCode.SERVER_ERROR) from None
                kwargs["headers"] = headers
                self.sleep(min(self.policy.backoff_s * 2 ** (attempt - 1), self.policy.max_backoff_s))
                continue
            kwargs["headers"] = headers
            if answer.status_code == 401 and self.auth is not None and not renewed:
                renewed = True
                continue
            if answer.status_code in RETRY_STATUSES and attempt < self.policy.max_attempts:
                wait = retry_after_seconds(answer.headers.get("Retry-After"))
                self.sleep(wait if wait is not None else min(self.policy.backoff_s * 2 ** (attempt - 1),
                                                             self.policy.max_backoff_s))
                continue
            return answer
        raise SourceError(f"{self.where} kept failing for {what}", ExitCode.SERVER_ERROR)

    def kick_off(self, request: ExportRequest) -> str:
        path = f"Group/{request.group}/$export" if request.group else "Patient/$export"
        self.kickoffs += 1
        answer = self._request("GET", f"{self.base}/{path}", "the $export kick-off", params=request.params(),
                               headers={"Accept": "application/fhir+json", "Prefer": "respond-async"})
        location = answer.headers.get("Content-Location")
        if answer.status_code != 202 or not location:
            detail = f"HTTP {answer.status_code}" + (" (no such group)" if answer.status_code == 404 else "")
            raise SourceError(f"{self.where} refused the $export kick-off: {detail}", ExitCode.SERVER_ERROR)
        if not location.startswith(self.base + "/"):
            raise SourceError(f"{self.where} gave a status URL on another server: refused", ExitCode.SERVER_ERROR)
        return location

    def poll(self, status_url: str, on_poll: Callable[[str], None] | None = None) -> dict[str, Any]:
        """The manifest, after waiting as the server asks (Retry-After), within the policy's budget."""
        deadline = time.monotonic() + self.policy.budget_s
        delay = self.policy.backoff_s
        while True:
            answer = self._request("GET", status_url, "the $export status", headers={"Accept": "application/json"})
            if answer.status_code == 200:
                try:
                    manifest = answer.json()
                except ValueError:
                    manifest = None
                if not isinstance(manifest, dict) or not isinstance(manifest.get("output"), list):
                    raise SourceError(f"{self.where} sent an unreadable $export manifest", ExitCode.SERVER_ERROR)
                return manifest
            if answer.status_code != 202:
                raise SourceError(f"{self.where} ended the export with HTTP {answer.status_code}",
                                  ExitCode.SERVER_ERROR)
            if on_poll is not None:
                on_poll(answer.headers.get("X-Progress") or "in progress")
            wait = retry_after_seconds(answer.headers.get("Retry-After"))
            wait = wait if wait is not None else delay
            delay = min(delay * 2, self.policy.max_backoff_s)
            if time.monotonic() + wait > deadline:
                raise SourceError(f"{self.where} did not finish the export within {self.policy.budget_s:g} s; "
                                  "run the same command again to resume", ExitCode.SERVER_TIMEOUT)
            self.sleep(wait)

    def download(self, manifest: dict[str, Any], out: Path,
                 progress: Callable[[int], None] | None = None) -> list[Path]:
        """Every output file as `<Type>.<n>.ndjson.gz` in `out` (written to a temporary name, then renamed)."""
        out.mkdir(parents=True, exist_ok=True)
        token_needed = bool(manifest.get("requiresAccessToken", True))
        files: list[Path] = []
        for n, item in enumerate(manifest["output"]):
            rtype, url = str(item.get("type", "")), str(item.get("url", ""))
            if not rtype.isalpha() or not url.startswith(self.base + "/"):
                raise SourceError(f"{self.where} listed an export file elsewhere or of no type: refused",
                                  ExitCode.SERVER_ERROR)
            target = out / f"{rtype}.{n:03d}.ndjson.gz"
            part = target.with_suffix(".part")
            auth, self.auth = self.auth, (self.auth if token_needed else None)
            try:
                answer = self._request("GET", url, f"the {rtype} file", stream=True,
                                       headers={"Accept": "application/fhir+ndjson", "Accept-Encoding": "gzip"})
            finally:
                self.auth = auth
            if answer.status_code != 200:
                raise SourceError(f"{self.where} answered HTTP {answer.status_code} for the {rtype} file",
                                  ExitCode.SERVER_ERROR)
            with gzip.open(part, "wb") as sink:  # requests un-gzips the wire; kept gzipped on disk
                for chunk in answer.iter_content(1 << 16):
                    sink.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
            part.replace(target)
            files.append(target)
        return files


def export(client: BulkClient, request: ExportRequest, out: Path, *, on_poll: Callable[[str], None] | None = None,
           progress: Callable[[int], None] | None = None) -> list[Path]:
    """Run (or resume) one export into `out`: the state file keeps the status URL until the files are in."""
    state_path = out / STATE_FILE
    out.mkdir(parents=True, exist_ok=True)
    state = _read_state(state_path)
    if state is not None and state.get("server") == client.base and state.get("request") == _describe(request):
        status_url = str(state["status_url"])  # resume: the server is still preparing (or has prepared) it
    else:
        for old in out.glob("*.ndjson.gz"):
            old.unlink()
        status_url = client.kick_off(request)
        _write_state(state_path, {"server": client.base, "request": _describe(request), "status_url": status_url})
    manifest = client.poll(status_url, on_poll)
    files = client.download(manifest, out / "download", progress)
    for f in files:
        f.replace(out / f.name)
    shutil.rmtree(out / "download", ignore_errors=True)
    state_path.unlink(missing_ok=True)
    return [out / f.name for f in files]


def _describe(request: ExportRequest) -> dict[str, Any]:
    return {"group": request.group, "types": list(request.types), "since": request.since,
            "type_filters": list(request.type_filters)}


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("status_url"), str) else None


def _write_state(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(path)

