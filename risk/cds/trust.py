"""Trust, as CDS Hooks 2.0 requires: every call carries the EHR's signed JWT, checked before anything is read.

Checked with joserfc (the project's one JOSE library, also used to sign Backend Services assertions in
risk/fhir/bulk.py), strictly and in this order: the header (`alg` in the allow-list ES384/RS384, so never `none`
nor HMAC; a `kid`; a `jku`, when present, on the issuer's allow-list), the issuer (`iss` configured), the
signature with the issuer's key of that `kid` (and of that `alg`), the claims (`aud` one string equal to the exact
endpoint URL, `exp` and `iat` present, at most 60 s of clock skew either way, a `jti`), and last the replay store:
a `jti` is accepted once across every worker process (SQLite in a configured path). A JWKS is fetched only from
an allow-listed URL, with a timeout, a size cap and no redirect (a redirect would lead off the allow-list). Any
failure is a `TrustError` (401) whose reason names no secret.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from joserfc import jws
from joserfc.errors import ClaimError, InvalidKeyIdError, JoseError
from joserfc.jwk import Key, KeyParameters, KeySet
from joserfc.jwt import ClaimsOption, JWTClaimsRegistry

from risk.cds.config import ALGORITHMS, CLOCK_SKEW_S, CdsConfig, Issuer

REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
JWKS_TIMEOUT_S = 5.0
JWKS_LIFESPAN_S = 300.0  # a fetched JWKS is kept this long
JWKS_REFRESH_S = 30.0  # an unknown kid refetches the JWKS (key rotation), at most this often per URL
MAX_JWKS_BYTES = 256 * 1024


class TrustError(Exception):
    """The call is not from a trusted EHR (answered 401)."""


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who called, once the token is verified: recorded in the audit (never the token itself)."""

    iss: str
    sub: str
    tenant: str
    issuer: Issuer

    @property
    def source(self) -> str:
        return f"iss={self.iss}" + (f" tenant={self.tenant}" if self.tenant else "") + (
            f" client={self.sub}" if self.sub else "")


class JtiStore:
    """Token ids already seen, shared by every process through one SQLite file (WAL, busy timeout)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS seen (iss TEXT, jti TEXT, exp INTEGER, PRIMARY KEY (iss, jti))")

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA busy_timeout=10000")
            # WAL + NORMAL: a jti is seen by every worker the moment it is committed, and survives a crash of any
            # of them; only a power cut can lose the last few, which expire within minutes anyway. FULL would wait
            # for the disk on every call (about 0.5 ms idle, several ms on a busy disk: more than the signature).
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def first_use(self, iss: str, jti: str, exp: int) -> bool:
        """True the first time (iss, jti) is seen, False on a replay. Expired ids are forgotten (a replayed
        expired token fails on `exp` anyway)."""
        db = self._connect()
        try:
            db.execute("INSERT INTO seen (iss, jti, exp) VALUES (?, ?, ?)", (iss, jti, int(exp)))
        except sqlite3.IntegrityError:
            return False
        if hash(jti) % 256 == 0:  # now and then, forget what can no longer be replayed
            db.execute("DELETE FROM seen WHERE exp < ?", (int(time.time()) - 2 * CLOCK_SKEW_S,))
        return True


def _fetch_jwks(url: str) -> KeySet:
    """The JWKS at an allow-listed URL: no redirect, a timeout, a size cap; any failure is a TrustError."""
    try:
        with requests.get(url, timeout=JWKS_TIMEOUT_S, allow_redirects=False, stream=True,
                          headers={"Accept": "application/json"}) as answer:
            if answer.status_code != 200:
                raise TrustError(f"the JWKS could not be fetched (HTTP {answer.status_code})")
            body = answer.raw.read(MAX_JWKS_BYTES + 1, decode_content=True)
        if len(body) > MAX_JWKS_BYTES:
            raise TrustError("the JWKS is too large")
        return KeySet.import_key_set(json.loads(body))
    except (requests.RequestException, ValueError, TypeError, KeyError, JoseError) as exc:
        raise TrustError("the JWKS could not be fetched or read") from exc


def _claims_registry(issuer: str, audience: str) -> JWTClaimsRegistry:
    """Every claim CDS Hooks requires, essential; `exp`, `iat` (and `nbf` if any) within the clock skew."""
    options: dict[str, ClaimsOption] = {claim: {"essential": True} for claim in REQUIRED_CLAIMS}
    options["iss"]["value"] = issuer
    options["aud"]["value"] = audience
    return JWTClaimsRegistry(leeway=CLOCK_SKEW_S, **options)


class Verifier:
    """Checks the EHR's JWT of each call; the keys of an issuer are parsed once, a fetched JWKS kept 5 min."""

    def __init__(self, config: CdsConfig, *, jti_store: JtiStore | None = None) -> None:
        self.config = config
        self.jti = jti_store or JtiStore(config.jti_db)
        self._configured: dict[str, KeySet] = {}  # iss -> its JWKS from the trust file, parsed once
        self._fetched: dict[str, tuple[float, KeySet]] = {}  # jku URL -> (when fetched, keys)
        self._lock = threading.Lock()

    def _configured_keys(self, issuer: Issuer) -> KeySet:
        keys = self._configured.get(issuer.iss)
        if keys is None:
            try:
                keys = KeySet.import_key_set(issuer.jwks)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise TrustError("the configured JWKS of this issuer cannot be read") from exc
            self._configured[issuer.iss] = keys
        return keys

    def _fetched_keys(self, url: str, *, refresh: bool = False) -> KeySet:
        """The JWKS of an allow-listed URL, from the cache unless stale (or `refresh` and not fetched lately)."""
        with self._lock:
            cached = self._fetched.get(url)
            age = time.monotonic() - cached[0] if cached else float("inf")
            if cached and age < JWKS_LIFESPAN_S and not (refresh and age >= JWKS_REFRESH_S):
                return cached[1]
            keys = _fetch_jwks(url)
            self._fetched[url] = (time.monotonic(), keys)
            return keys

    def _key(self, issuer: Issuer, kid: str, alg: str, jku: str | None) -> Key:
        wanted: KeyParameters = {"alg": alg, "use": "sig"}  # a key published for another alg or use never fits
        if issuer.jwks is not None:
            try:
                return self._configured_keys(issuer).get_by_kid(kid, wanted)
            except InvalidKeyIdError:
                raise TrustError("unknown kid") from None
        url = jku or (issuer.jku[0] if issuer.jku else None)
        if url is None:
            raise TrustError("no JWKS is configured for this issuer")
        try:
            return self._fetched_keys(url).get_by_kid(kid, wanted)
        except InvalidKeyIdError:
            pass
        try:  # the EHR may have rotated its keys since the last fetch
            return self._fetched_keys(url, refresh=True).get_by_kid(kid, wanted)
        except InvalidKeyIdError:
            raise TrustError("unknown kid") from None

    def verify(self, authorization: str | None, audience: str) -> Caller:
        """The verified caller of one request addressed to `audience` (the exact endpoint URL), or TrustError."""
        if not authorization or not authorization.startswith("Bearer "):
            raise TrustError("no bearer token")
        token = authorization[len("Bearer "):].strip()
        try:  # read without trusting anything yet: only to choose the issuer and its key
            compact = jws.extract_compact(token.encode("ascii"))
            header = compact.headers()
            claims = json.loads(compact.payload)
        except (JoseError, ValueError, TypeError, UnicodeError) as exc:
            raise TrustError("malformed token") from exc
        if not isinstance(claims, dict):
            raise TrustError("malformed token")
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise TrustError(f"alg {str(alg)[:10]!r} is not allowed (ES384 or RS384 only)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TrustError("the token header has no kid")
        iss = claims.get("iss")
        issuer = self.config.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise TrustError("unknown iss")
        jku = header.get("jku")
        if jku is not None and jku not in issuer.jku:
            raise TrustError("jku is not on this issuer's allow-list")
        key = self._key(issuer, kid, alg, jku)
        try:
            if not jws.validate_compact(compact, key, algorithms=[alg]):
                raise TrustError("token rejected: bad signature")
            _claims_registry(issuer.iss, audience).validate(claims)
        except ClaimError as exc:  # the claim's name only, never its value
            raise TrustError(f"token rejected: {exc.error or 'bad claim'} ({exc.claim})") from exc
        except JoseError as exc:
            raise TrustError(f"token rejected: {exc.error or type(exc).__name__}") from exc
        if claims["iat"] > time.time() + CLOCK_SKEW_S:  # joserfc checks it too; said here so no version can skip it
            raise TrustError("iat is in the future")
        if claims["aud"] != audience:  # one string, the exact URL: a list naming us among others is refused
            raise TrustError("token rejected: aud is not this endpoint")
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise TrustError("jti missing")
        if not self.jti.first_use(issuer.iss, claims["jti"], int(claims["exp"])):
            raise TrustError("jti replayed")
        return Caller(iss=issuer.iss, sub=str(claims.get("sub") or ""), tenant=issuer.tenant, issuer=issuer)
