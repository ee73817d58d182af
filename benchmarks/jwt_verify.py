"""Time the CDS service's token check per call: ES384 signature, claims and the jti insert into SQLite.

Run: nice -n 10 .venv/bin/python benchmarks/jwt_verify.py [tokens]
Side by side in one process, on the same freshly minted tokens (each verified once, as the service does):
- joserfc: `risk.cds.trust.Verifier.verify`, what the service runs;
- PyJWT: the check the service made before it moved to joserfc (only if PyJWT is still installed; it is no longer a
  dependency), with the jti store as it was then (SQLite synchronous=FULL: a wait for the disk on every call);
- each library alone (no jti store), and the jti store's two settings with joserfc.
Rounds alternate so that a busy machine slows every face alike; the ratios are what to read.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from risk.cds.config import ALGORITHMS, CLOCK_SKEW_S, CdsConfig, load_config  # noqa: E402
from risk.cds.trust import JtiStore, Verifier  # noqa: E402
from tests.cds_fixtures import SERVICE_PATH, mint, new_keys, write_trust_file  # noqa: E402

try:
    import jwt as pyjwt
except ImportError:  # PyJWT is not a dependency any more
    pyjwt = None

BASE = "https://cds.example.org"
AUD = BASE + SERVICE_PATH
ROUNDS = 5


def pyjwt_verify(config: CdsConfig, store: JtiStore) -> Callable[[str, str], Any]:
    """The former risk/cds/trust.py check with a configured JWKS, step for step."""
    assert pyjwt is not None

    def verify(authorization: str, audience: str) -> Any:
        token = authorization[len("Bearer "):]
        header = pyjwt.get_unverified_header(token)
        unverified = pyjwt.decode(token, options={"verify_signature": False})
        assert header["alg"] in ALGORITHMS and header["kid"]
        issuer = config.issuers[unverified["iss"]]
        assert header.get("jku") is None or header["jku"] in issuer.jku
        key = next(k.key for k in pyjwt.PyJWKSet.from_dict(issuer.jwks).keys if k.key_id == header["kid"])
        claims = pyjwt.decode(token, key, algorithms=[header["alg"]], audience=audience, issuer=issuer.iss,
                              leeway=CLOCK_SKEW_S, options={"require": ["iss", "aud", "exp", "iat", "jti"],
                                                            "strict_aud": True})
        assert claims["iat"] <= time.time() + CLOCK_SKEW_S
        assert store.first_use(issuer.iss, claims["jti"], int(claims["exp"]))
        return claims

    return verify


class NoStore(JtiStore):
    """Accepts every jti without writing it: isolates the JOSE library's share of the time."""

    def __init__(self) -> None:
        pass

    def first_use(self, iss: str, jti: str, exp: int) -> bool:
        return True


class FullSyncStore(JtiStore):
    """The jti store as it was before: SQLite waits for the disk on every insert (synchronous=FULL)."""

    def _connect(self) -> sqlite3.Connection:
        db = super()._connect()
        db.execute("PRAGMA synchronous=FULL")
        return db


def per_token_us(verify: Callable[[str], Any], tokens: list[str]) -> float:
    start = time.perf_counter()
    for token in tokens:
        verify(token)
    return (time.perf_counter() - start) / len(tokens) * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    keys = new_keys()
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(write_trust_file(Path(tmp) / "cds", keys, public_url=BASE))
        faces: dict[str, Callable[[str, str], Any]] = {
            "after: joserfc + jti (NORMAL)": Verifier(config, jti_store=JtiStore(Path(tmp) / "after.sqlite")).verify,
            "joserfc + jti (FULL)": Verifier(config, jti_store=FullSyncStore(Path(tmp) / "full.sqlite")).verify,
            "joserfc, JOSE only": Verifier(config, jti_store=NoStore()).verify}
        if pyjwt is not None:
            faces["before: PyJWT + jti (FULL)"] = pyjwt_verify(config, FullSyncStore(Path(tmp) / "before.sqlite"))
            faces["PyJWT, JOSE only"] = pyjwt_verify(config, NoStore())
        times: dict[str, list[float]] = {name: [] for name in faces}
        for _ in range(ROUNDS):
            for name, verify in faces.items():
                tokens = [f"Bearer {mint(keys, AUD)}" for _ in range(n)]
                times[name].append(per_token_us(lambda t, v=verify: v(t, AUD), tokens))
    print(f"ES384 verify, {n} fresh tokens x {ROUNDS} alternating rounds: median us per token (rounds)")
    median = {name: sorted(t)[len(t) // 2] for name, t in times.items()}
    for name, us in median.items():
        print(f"  {name:30s} {us:8.1f}   ({' '.join(f'{x:.0f}' for x in times[name])})")
    ratios = [("after / before", "after: joserfc + jti (NORMAL)", "before: PyJWT + jti (FULL)"),
              ("joserfc / PyJWT, JOSE only", "joserfc, JOSE only", "PyJWT, JOSE only"),
              ("jti store NORMAL / FULL, joserfc", "after: joserfc + jti (NORMAL)", "joserfc + jti (FULL)")]
    for label, top, bottom in ratios:
        if top in median and bottom in median:
            print(f"  {label}: {median[top] / median[bottom]:.2f}")
    if pyjwt is None:
        print("  (PyJWT is not installed: no comparison with it)")

if __name__ == "__main__":
    main()
