"""SMART App Launch 2.x, the client side (Authlib's OAuth2Session): discovery, the authorization URL with PKCE
S256 and an unpredictable `state`, the code exchange that checks that state, and token refresh.

Tokens live in `SmartTokens`, whose repr shows none of them; the caller keeps it server-side (keyed by an opaque
session id) and never puts a token in a URL, a page, a cookie or a log. `iss` must be on an allow-list and is sent
as `aud`, so a token is only ever asked for the server the deployment trusts.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from risk.errors import ExitCode, SourceError


class SmartError(SourceError):
    """A launch that must not go on (wrong state, iss not allowed, refused code); the message names no secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.SERVER_AUTH)


@dataclass(frozen=True, kw_only=True)
class SmartConfig:
    iss: str  # the FHIR base URL (also the `aud` of every authorization request)
    authorization_endpoint: str
    token_endpoint: str
    capabilities: tuple[str, ...] = ()


@dataclass(kw_only=True)
class PendingLaunch:
    """What the app keeps between the redirect to /authorize and the callback (server-side only)."""

    config: SmartConfig
    state: str
    code_verifier: str
    url: str  # where to send the browser
    client_id: str
    redirect_uri: str
    created: float = field(default_factory=time.time)


@dataclass(kw_only=True)
class SmartTokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    patient: str | None = None
    scope: str = ""
    expires_at: float | None = None
    need_patient_banner: bool = True


def check_iss(iss: str, allowed: Iterable[str]) -> str:
    """`iss` exactly as allow-listed (trailing slash ignored), or SmartError."""
    wanted = iss.rstrip("/")
    if wanted not in {a.rstrip("/") for a in allowed}:
        raise SmartError("this FHIR server is not on the launch allow-list (RISK_SMART_ISS)")
    return wanted


def discover(iss: str, *, timeout: float = 10) -> SmartConfig:
    """The server's `.well-known/smart-configuration` (SMART App Launch 2.x section 2.1)."""
    try:
        answer = requests.get(f"{iss}/.well-known/smart-configuration", timeout=timeout,
                              headers={"Accept": "application/json"})
        doc = answer.json() if answer.status_code == 200 else None
    except (requests.RequestException, ValueError):
        doc = None
    if not isinstance(doc, dict) or not doc.get("authorization_endpoint") or not doc.get("token_endpoint"):
        raise SmartError("the FHIR server offers no usable SMART configuration")
    if "S256" not in (doc.get("code_challenge_methods_supported") or []):
        raise SmartError("the FHIR server does not support PKCE S256")
    return SmartConfig(iss=iss, authorization_endpoint=str(doc["authorization_endpoint"]),
                       token_endpoint=str(doc["token_endpoint"]), capabilities=tuple(doc.get("capabilities") or ()))


def begin(config: SmartConfig, *, client_id: str, redirect_uri: str, scope: str,
          launch: str | None = None) -> PendingLaunch:
    """The authorization URL for an EHR launch (`launch` given) or a standalone launch, with PKCE S256."""
    verifier = generate_token(64)
    state = secrets.token_urlsafe(32)
    session = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scope, code_challenge_method="S256")
    extra: dict[str, Any] = {"aud": config.iss}
    if launch:
        extra["launch"] = launch
    url, _ = session.create_authorization_url(config.authorization_endpoint, state=state, code_verifier=verifier,
                                              **extra)
    return PendingLaunch(config=config, state=state, code_verifier=verifier, url=url, client_id=client_id,
                         redirect_uri=redirect_uri)


def _tokens(answer: dict[str, Any]) -> SmartTokens:
    expires_in = answer.get("expires_in")
    return SmartTokens(access_token=str(answer["access_token"]), refresh_token=answer.get("refresh_token"),
                       patient=answer.get("patient"), scope=str(answer.get("scope") or ""),
                       expires_at=time.time() + float(expires_in) if expires_in else None,
                       need_patient_banner=bool(answer.get("need_patient_banner", True)))


def finish(pending: PendingLaunch, *, code: str | None, state: str | None, error: str | None = None) -> SmartTokens:
    """Exchange the callback's code; refused when `state` is not the one sent or the server refuses the code."""
    if not state or not secrets.compare_digest(state, pending.state):
        raise SmartError("the sign-in answer does not belong to this launch (state mismatch): start again")
    if error or not code:
        raise SmartError(f"the EHR refused the sign-in ({(error or 'no code')[:40]})")
    session = OAuth2Session(pending.client_id, redirect_uri=pending.redirect_uri, code_challenge_method="S256")
    try:
        answer = session.fetch_token(pending.config.token_endpoint, code=code, code_verifier=pending.code_verifier,
                                     client_id=pending.client_id, timeout=10)
    except (OAuthError, requests.RequestException, ValueError, KeyError):
        raise SmartError("the EHR refused the authorization code (used already, or not for this launch)") from None
    return _tokens(dict(answer))


def refresh(config: SmartConfig, tokens: SmartTokens, *, client_id: str) -> SmartTokens:
    """A new access token from the refresh token (the refresh token is kept unless a new one is sent)."""
    if not tokens.refresh_token:
        raise SmartError("the access token expired and no refresh token was granted: launch again")
    session = OAuth2Session(client_id)
    try:
        answer = dict(session.refresh_token(config.token_endpoint, refresh_token=tokens.refresh_token,
                                            client_id=client_id, timeout=10))
    except (OAuthError, requests.RequestException, ValueError, KeyError):
        raise SmartError("the EHR refused to refresh the access token: launch again") from None
    answer.setdefault("refresh_token", tokens.refresh_token)
    answer.setdefault("patient", tokens.patient)
    return _tokens(answer)


class TokenHolder:
    """The tokens of one launch, refreshed in place; `refresher` plugs into ServerSource(refresh=...)."""

    def __init__(self, config: SmartConfig, tokens: SmartTokens, *, client_id: str) -> None:
        self.config, self.tokens, self.client_id = config, tokens, client_id
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"TokenHolder({self.config.iss!r}, patient={self.tokens.patient!r})"

    async def refresher(self) -> str | None:
        self.tokens = await asyncio.to_thread(refresh, self.config, self.tokens, client_id=self.client_id)
        self.refreshes += 1
        return self.tokens.access_token


class LaunchStore:
    """Launches in progress and signed-in sessions, in this server process only (never in a cookie or a URL).

    - pending: `state` -> PendingLaunch, for the callback (single use, 10 minutes);
    - sessions: opaque session id -> TokenHolder (one launch, one patient; a new launch is a new session);
    - handoffs: a one-time code the callback puts in the app's URL, exchanged once for the session id, so that
      the Streamlit session finds its tokens without a cookie (a cross-site iframe may block them).
    """

    PENDING_S = 600.0
    HANDOFF_S = 60.0
    SESSION_S = 12 * 3600.0  # a working day: then the EHR launches the app again

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, PendingLaunch] = {}
        self._sessions: dict[str, tuple[TokenHolder, float]] = {}
        self._handoffs: dict[str, tuple[str, float]] = {}

    def add_pending(self, pending: PendingLaunch) -> None:
        with self._lock:
            now = time.time()
            self._pending = {s: p for s, p in self._pending.items() if now - p.created < self.PENDING_S}
            self._pending[pending.state] = pending

    def pop_pending(self, state: str | None) -> PendingLaunch | None:
        with self._lock:
            pending = self._pending.pop(state or "", None)
        return pending if pending is not None and time.time() - pending.created < self.PENDING_S else None

    def open_session(self, holder: TokenHolder) -> str:
        """A new session for these tokens; returns the one-time handoff code for the app's URL."""
        sid, handoff = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if now - v[1] < self.SESSION_S}
            self._handoffs = {k: v for k, v in self._handoffs.items() if v[1] > now}
            self._sessions[sid] = (holder, now)
            self._handoffs[handoff] = (sid, now + self.HANDOFF_S)
        return handoff

    def claim(self, handoff: str | None) -> str | None:
        """The session id for a handoff code, once; None when unknown, used or expired."""
        with self._lock:
            sid, expires = self._handoffs.pop(handoff or "", (None, 0.0))
        return sid if sid is not None and time.time() < expires else None

    def holder(self, sid: str | None) -> TokenHolder | None:
        with self._lock:
            found = self._sessions.get(sid or "")
        return found[0] if found is not None and time.time() - found[1] < self.SESSION_S else None


STORE = LaunchStore()
