"""An EHR simulator for the tests: a small Starlette app in front of the SEKMET server the tests already run.

- `/.well-known/smart-configuration`, `/authorize` (auto-approves; `launch` -> patient context), `/token`
  (single-use authorization codes bound to client, redirect URI and PKCE S256 challenge; refresh tokens;
  `client_credentials` with a `private_key_jwt` assertion for SMART Backend Services, checked with joserfc);
- `/fhir/...`: a reverse proxy to SEKMET that accepts only tokens it issued, keeps a patient-scoped token to its
  patient, rewrites SEKMET's own base URL in answers to its own, and applies the per-test fault rules
  (`sim.rules`): a status with headers and body, a delay, an HTML page, a deeply nested or a 200 MB body.

Everything an OAuth server must refuse, it refuses: a wrong PKCE verifier, a replayed code, an unknown refresh
token, an expired or revoked access token. It logs request paths only (never a query string or a token) to
`sim.log_lines`, so a test can grep that log for a token.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.conftest_server import FhirTestServer


def _back(redirect: str, params: dict[str, str]) -> Response:
    """The browser sent back to the client's registered redirect URI with `params`."""
    return RedirectResponse(f"{redirect}?{urlencode(params)}", status_code=302)


@dataclass
class Rule:
    """One fault: requests whose `METHOD path?query` matches `match` (a regex) get it, `times` times (0: always)."""

    match: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # JSON-able, or bytes sent as they are
    kind: str = "status"  # "status" | "delay" (then forwarded) | "html" | "nested" | "huge"
    delay_s: float = 0.0
    times: int = 1
    used: int = 0

    def applies(self, line: str) -> bool:
        return (self.times == 0 or self.used < self.times) and re.search(self.match, line) is not None


@dataclass
class Grant:
    client_id: str
    scope: str
    patient: str | None
    expires_at: float


@dataclass
class EhrSimulator:
    upstream: str  # SEKMET base URL
    upstream_token: str | None
    patients: dict[str, str] = field(default_factory=dict)  # launch id -> patient id
    rules: list[Rule] = field(default_factory=list)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)  # client_id -> {redirect_uris, jwks}
    base: str = ""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    used_assertions: set[str] = field(default_factory=set)
    seen: list[str] = field(default_factory=list)  # "METHOD path?query" of every proxied request
    log_lines: list[str] = field(default_factory=list)  # what a server log would hold: no query, no token
    token_lifetime_s: float = 300.0
    code_token_lifetime_s: float | None = None  # tokens from a code exchange only (0: expired at once)
    refreshes: int = 0  # refresh_token grants answered
    issued: set[str] = field(default_factory=set)  # every access and refresh token ever issued
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    # -- helpers for tests ----------------------------------------------------------------------------------

    @property
    def fhir(self) -> str:
        return f"{self.base}/fhir"

    def issue(self, scope: str, patient: str | None, client_id: str = "test") -> tuple[str, str]:
        """An access and a refresh token as if a launch had happened (tests of the FHIR side only)."""
        grant = Grant(client_id, scope, patient, time.time() + self.token_lifetime_s)
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = grant
        self.refresh[refresh] = grant
        self.issued |= {access, refresh}
        return access, refresh

    def tokens(self) -> set[str]:
        """Every access and refresh token issued so far (to grep logs and pages for)."""
        return set(self.issued)

    def expire_all(self) -> None:
        """Every access token issued so far now answers 401 (refresh tokens stay valid)."""
        self.access.clear()

    # -- OAuth ------------------------------------------------------------------------------------------------

    async def smart_configuration(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.base, "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token", "jwks_uri": f"{self.base}/jwks",
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
            "scopes_supported": ["openid", "fhirUser", "launch", "launch/patient", "patient/*.rs",
                                 "patient/RiskAssessment.c", "offline_access", "system/*.rs"],
            "capabilities": ["launch-ehr", "launch-standalone", "client-public", "context-ehr-patient",
                             "context-standalone-patient", "permission-offline", "permission-patient",
                             "permission-v2", "client-confidential-asymmetric"],
        })

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        client = self.clients.get(q.get("client_id", ""))
        if client is None or q.get("redirect_uri") not in client["redirect_uris"]:
            return JSONResponse({"error": "invalid_client"}, status_code=400)  # never redirect to an unknown URI
        redirect = q["redirect_uri"]
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" or not q.get(
                "code_challenge") or not q.get("state"):
            return _back(redirect, {"error": "invalid_request", "state": q.get("state", "")})
        if q.get("aud") != self.fhir:
            return _back(redirect, {'error': 'invalid_request', 'state': q['state']})
        launch = q.get("launch")
        patient = self.patients.get(launch) if launch else next(iter(self.patients.values()), None)
        if launch and patient is None:
            return _back(redirect, {'error': 'access_denied', 'state': q['state']})
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"client_id": q["client_id"], "redirect_uri": redirect, "scope": q.get("scope", ""),
                            "challenge": q["code_challenge"], "patient": patient, "expires": time.time() + 60}
        return _back(redirect, {'code': code, 'state': q['state']})

    def _token_answer(self, grant: Grant, refresh: str | None) -> JSONResponse:
        access = secrets.token_urlsafe(24)
        self.access[access] = grant
        self.issued |= {access, *([refresh] if refresh else [])}
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "scope": grant.scope,
                                "expires_in": int(self.token_lifetime_s)}
        if refresh:
            body["refresh_token"] = refresh
        if grant.patient:
            body["patient"] = grant.patient
            body["need_patient_banner"] = True
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def token(self, request: Request) -> Response:
        form = await request.form()
        kind = form.get("grant_type")
        if kind == "authorization_code":
            code = self.codes.pop(str(form.get("code")), None)  # single use: popped even when refused
            verifier = str(form.get("code_verifier") or "")
            if (code is None or code["expires"] < time.time() or code["client_id"] != form.get("client_id")
                    or code["redirect_uri"] != form.get("redirect_uri")
                    or create_s256_code_challenge(verifier) != code["challenge"]):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            lifetime = self.token_lifetime_s if self.code_token_lifetime_s is None else self.code_token_lifetime_s
            grant = Grant(code["client_id"], code["scope"], code["patient"], time.time() + lifetime)
            refresh = secrets.token_urlsafe(24)
            self.refresh[refresh] = grant
            return self._token_answer(grant, refresh)
        if kind == "refresh_token":
            old = self.refresh.get(str(form.get("refresh_token")))
            if old is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            grant = Grant(old.client_id, old.scope, old.patient, time.time() + self.token_lifetime_s)
            self.refreshes += 1
            return self._token_answer(grant, None)
        if kind == "client_credentials":
            return self._backend_services(form)
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    def _backend_services(self, form: Any) -> Response:
        """SMART Backend Services: a client_assertion JWT signed with a key the client registered."""
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        assertion = str(form.get("client_assertion") or "")
        try:
            unverified = jws.extract_compact(assertion.encode())  # only to find the client's key set
            header, claims = unverified.headers(), json.loads(unverified.payload)
            client = self.clients[str(claims.get("iss"))]
            token = jwt.decode(assertion, KeySet.import_key_set(client["jwks"]), algorithms=[header["alg"]])
        except (JoseError, KeyError, ValueError):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        c = token.claims
        if (c.get("sub") != c.get("iss") or c.get("aud") != f"{self.base}/token" or int(c.get("exp", 0)) < time.time()
                or int(c.get("exp", 0)) > time.time() + 300 or c.get("jti") in self.used_assertions):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        self.used_assertions.add(str(c["jti"]))
        grant = Grant(str(c["iss"]), str(form.get("scope") or "system/*.rs"), None, time.time() + self.token_lifetime_s)
        return self._token_answer(grant, None)

    # -- the FHIR proxy ----------------------------------------------------------------------------------------

    def _allowed(self, grant: Grant, request: Request, rest: str) -> bool:
        if grant.patient is None:
            return grant.scope.startswith(("system/", "user/")) or " system/" in grant.scope
        parts = rest.split("/")
        if parts[0] == "Patient" and len(parts) > 1 and parts[1] != grant.patient:
            return False
        asked = request.query_params.get("patient") or request.query_params.get("subject")
        if asked is not None and asked not in (grant.patient, f"Patient/{grant.patient}"):
            return False
        if parts[0] in ("$export", "Group") or (parts[0] != "Patient" and asked is None and request.method == "GET"
                                                 and len(parts) == 1):
            return False  # a patient token never lists other people's resources
        return True

    async def proxy(self, request: Request) -> Response:
        rest = request.path_params.get("rest", "")
        line = f"{request.method} /{rest}" + (f"?{request.url.query}" if request.url.query else "")
        self.seen.append(line)
        self.log_lines.append(f"{request.method} /fhir/{rest}")
        auth = request.headers.get("authorization", "")
        grant = self.access.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        if grant is None or grant.expires_at < time.time():
            return JSONResponse({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "login"}]},
                                status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not self._allowed(grant, request, rest):
            return JSONResponse({"resourceType": "OperationOutcome",
                                 "issue": [{"severity": "error", "code": "forbidden"}]}, status_code=403)
        rule = next((r for r in self.rules if r.applies(line)), None)
        if rule is not None:
            rule.used += 1
            if rule.kind == "delay":
                await asyncio.sleep(rule.delay_s)
            else:
                return self._fault(rule)
        try:
            return await self._forward(request, rest)
        except ClientDisconnect:  # the client gave up (its timeout): nothing to answer
            return Response(status_code=499)

    def _fault(self, rule: Rule) -> Response:
        if rule.kind == "html":
            return Response(b"<html><body><form>Login</form></body></html>", status_code=200, media_type="text/html")
        if rule.kind == "nested":
            depth = 100_000
            return Response(b'{"resourceType":"Bundle","entry":' + b"[" * depth + b"]" * depth + b"}",
                            media_type="application/fhir+json")
        if rule.kind == "huge":
            async def chunks() -> AsyncIterator[bytes]:  # 200 MB, made as it is sent, never held
                yield b'{"resourceType":"Bundle","entry":[],"pad":"'
                block = b"x" * (1 << 20)
                for _ in range(200):
                    yield block
                yield b'"}'
            return StreamingResponse(chunks(), media_type="application/fhir+json")
        body = rule.body if isinstance(rule.body, bytes) else (
            b"" if rule.body is None else JSONResponse(rule.body).body)
        return Response(body, status_code=rule.status, headers=rule.headers, media_type="application/fhir+json")

    async def _forward(self, request: Request, rest: str) -> Response:
        headers = {"Accept": request.headers.get("accept", "application/fhir+json")}
        if request.headers.get("content-type"):
            headers["Content-Type"] = request.headers["content-type"]
        if request.headers.get("prefer"):
            headers["Prefer"] = request.headers["prefer"]
        if self.upstream_token:
            headers["Authorization"] = f"Bearer {self.upstream_token}"
        if self._client is None:  # one pool for the proxy (a client per request costs ~50 ms of TLS setup)
            self._client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=32))
        answer = await self._client.request(request.method, f"{self.upstream}/{rest}".rstrip("/"),
                                            params=request.query_params, headers=headers, content=await request.body())
        body = answer.content.replace(self.upstream.encode(), self.fhir.encode())
        keep = {k: v.replace(self.upstream, self.fhir) for k, v in answer.headers.items()
                if k.lower() in ("content-type", "location", "content-location", "retry-after", "x-progress")}
        return Response(body, status_code=answer.status_code, headers=keep)

    async def ehr_page(self, request: Request) -> Response:
        """The EHR's own page (another site than the app) framing the app's launch URL."""
        src = request.query_params.get("src", "")
        page = (f"<!doctype html><html><body><h1>EHR</h1><iframe id='app' src='{src}' width='1200' height='900'>"
                "</iframe></body></html>")
        return Response(page, media_type="text/html")

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": []})

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/smart-configuration", self.smart_configuration),
            Route("/fhir/.well-known/smart-configuration", self.smart_configuration),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
            Route("/ehr", self.ehr_page),
            Route("/fhir", self.proxy, methods=["GET", "POST"]),  # a transaction is POSTed to the base
            Route("/fhir/{rest:path}", self.proxy, methods=["GET", "POST", "PUT", "DELETE"]),
        ])


class Running:
    """The simulator served by uvicorn on a free loopback port, in a daemon thread."""

    def __init__(self, sim: EhrSimulator) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        sim.base = f"http://127.0.0.1:{port}"
        self.sim = sim
        config = uvicorn.Config(sim.app(), host="127.0.0.1", port=port, log_level="warning", access_log=False,
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return
            time.sleep(0.02)
        raise RuntimeError("the EHR simulator did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


# -- pytest fixtures (import them into a test module) ------------------------------------------------------------

CLIENT_ID = "risk-dashboard"


@pytest.fixture(scope="session", name="ehr_running")
def ehr_running_fixture(fhir_server: FhirTestServer) -> Iterator[Running]:
    sim = EhrSimulator(upstream=fhir_server.url, upstream_token=fhir_server.token)
    sim.patients = {f"launch-{i}": pid for i, pid in enumerate(fhir_server.loaded.values())}
    running = Running(sim)
    yield running
    running.stop()


@pytest.fixture(name="ehr")
def ehr_fixture(ehr_running: Running) -> EhrSimulator:
    """The session's simulator with an empty rule table and request log for this test."""
    sim = ehr_running.sim
    sim.rules.clear()
    sim.seen.clear()
    sim.log_lines.clear()
    return sim
