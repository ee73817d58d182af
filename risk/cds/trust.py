"""Trust, as CDS Hooks 2.0 requires: every call carries the EHR's signed JWT, checked before anything is read.

Checked with PyJWT (a maintained JOSE library), strictly and in this order: the header (`alg` in the allow-list
ES384/RS384, so never `none` nor HMAC; a `kid`; a `jku`, when present, on the issuer's allow-list), the issuer
(`iss` configured), the signature with the issuer's key of that `kid`, the claims (`aud` equal to the exact
endpoint URL, `exp` and `iat` present, at most 60 s of clock skew either way, a `jti`), and last the replay
store: a `jti` is accepted once across every worker process (SQLite in a configured path). A JWKS is fetched only
from an allow-listed URL, with a timeout. Any failure is a `TrustError` (401) whose reason names no secret.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from risk.cds.config import ALGORITHMS, CLOCK_SKEW_S, CdsConfig, Issuer

REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")


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


class Verifier:
    def __init__(self, config: CdsConfig, *, jti_store: JtiStore | None = None) -> None:
        self.config = config
        self.jti = jti_store or JtiStore(config.jti_db)
        self._clients: dict[str, jwt.PyJWKClient] = {}

    def _key(self, issuer: Issuer, kid: str, jku: str | None) -> Any:
        if issuer.jwks is not None:
            try:
                keys = jwt.PyJWKSet.from_dict(issuer.jwks)
            except jwt.PyJWTError as exc:
                raise TrustError("the configured JWKS of this issuer cannot be read") from exc
            for k in keys.keys:
                if k.key_id == kid:
                    return k.key
            raise TrustError("unknown kid")
        url = jku or (issuer.jku[0] if issuer.jku else None)
        if url is None:
            raise TrustError("no JWKS is configured for this issuer")
        client = self._clients.setdefault(url, jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5))
        try:
            return client.get_signing_key(kid).key
        except jwt.PyJWKClientError as exc:
            raise TrustError("unknown kid, or the JWKS could not be fetched") from exc

    def verify(self, authorization: str | None, audience: str) -> Caller:
        if not authorization or not authorization.startswith("Bearer "):
            raise TrustError("no bearer token")
        token = authorization[len("Bearer "):].strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise TrustError("malformed token") from exc
        if header.get("alg") not in ALGORITHMS:
            raise TrustError(f"alg {str(header.get('alg'))[:10]!r} is not allowed (ES384 or RS384 only)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TrustError("the token header has no kid")
        issuer = self.config.issuers.get(unverified.get("iss")) if isinstance(unverified.get("iss"), str) else None
        if issuer is None:
            raise TrustError("unknown iss")
        jku = header.get("jku")
        if jku is not None and jku not in issuer.jku:
            raise TrustError("jku is not on this issuer's allow-list")
        key = self._key(issuer, kid, jku)
        try:
            claims = jwt.decode(token, key, algorithms=[header["alg"]], audience=audience, issuer=issuer.iss,
                                leeway=CLOCK_SKEW_S, options={"require": list(REQUIRED_CLAIMS), "strict_aud": True})
        except jwt.PyJWTError as exc:
            raise TrustError(f"token rejected: {type(exc).__name__}") from exc
        if claims["iat"] > time.time() + CLOCK_SKEW_S:  # PyJWT checks it too; said here so no version can skip it
            raise TrustError("iat is in the future")
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise TrustError("jti missing")
        if not self.jti.first_use(issuer.iss, claims["jti"], int(claims["exp"])):
            raise TrustError("jti replayed")
        return Caller(iss=issuer.iss, sub=str(claims.get("sub") or ""), tenant=issuer.tenant, issuer=issuer)
