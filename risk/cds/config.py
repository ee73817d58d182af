"""What a CDS deployment trusts, read from one TOML file (`RISK_CDS_CONFIG`): never from the request.

    public_url = "https://cds.example.org"      # the URL the EHR calls: `aud` must equal base + endpoint path
    jti_db = "var/cds_jti.sqlite"               # shared by every worker: a jti is accepted once across them
    app_url = "https://risk.example.org"        # the dashboard the card's SMART link opens
    [[issuers]]
    iss = "https://ehr.example.org"             # an EHR allowed to call
    jku = ["https://ehr.example.org/jwks.json"] # the only JWKS URLs fetched for it (a header jku must be one)
    jwks_file = "ehr_jwks.json"                 # optional: its public keys on disk instead of fetching
    fhir_servers = ["https://ehr.example.org/fhir"]  # the only fhirServer it may send us to (no SSRF)
    tenant = "chu-exemple"                      # recorded in the audit as where the call came from
    max_batch = 32                              # optional: calls scored together at most (risk.cds.batch)
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from risk.errors import ExitCode, RiskError

# Caps on hostile input (a request is small: a patient's prefetch fits in a few megabytes).
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_PREFETCH_ENTRIES = 20_000
FHIR_TIMEOUT_S = 10.0
MAX_BATCH = 32  # calls scored together at most (risk.cds.batch): ~32 x 10 ms keeps a batch well under p99 300 ms
CLOCK_SKEW_S = 60
ALGORITHMS = ("ES384", "RS384")  # CDS Hooks 2.0: never `none`, never HMAC


@dataclass(frozen=True, kw_only=True)
class Issuer:
    iss: str
    jku: tuple[str, ...] = ()
    jwks: dict[str, Any] | None = None  # keys given on disk (then no fetch)
    fhir_servers: tuple[str, ...] = ()
    tenant: str = ""


@dataclass(frozen=True, kw_only=True)
class CdsConfig:
    public_url: str
    jti_db: Path = Path("var/cds_jti.sqlite")
    app_url: str = ""
    issuers: dict[str, Issuer] = field(default_factory=dict)
    max_body_bytes: int = MAX_BODY_BYTES
    fhir_timeout_s: float = FHIR_TIMEOUT_S
    max_batch: int = MAX_BATCH

    def audience(self, path: str) -> str:
        """The exact endpoint URL a token must be addressed to."""
        return self.public_url.rstrip("/") + path


def load_config(path: Path) -> CdsConfig:
    """Read and check the TOML file; a bad file is one clear error, never a half-configured service."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RiskError(f"cannot read the CDS configuration {path}: {exc.strerror}", ExitCode.FILE_NOT_FOUND) from exc
    except tomllib.TOMLDecodeError as exc:
        raise RiskError(f"the CDS configuration {path} is not valid TOML: {exc}", ExitCode.USAGE) from exc
    if not isinstance(data.get("public_url"), str) or not data["public_url"].startswith(("https://", "http://")):
        raise RiskError(f"{path}: public_url (the URL the EHR calls) is required", ExitCode.USAGE)
    issuers = {}
    for item in data.get("issuers", []):
        if not isinstance(item, dict) or not isinstance(item.get("iss"), str):
            raise RiskError(f"{path}: every [[issuers]] needs an iss", ExitCode.USAGE)
        jwks = None
        if item.get("jwks_file"):
            jwks_path = (Path(path).parent / item["jwks_file"]).resolve()
            try:
                jwks = json.loads(jwks_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise RiskError(f"{path}: cannot read the JWKS {jwks_path}", ExitCode.USAGE) from exc
        issuers[item["iss"]] = Issuer(iss=item["iss"], jku=tuple(item.get("jku", ())), jwks=jwks,
                                      fhir_servers=tuple(u.rstrip("/") for u in item.get("fhir_servers", ())),
                                      tenant=str(item.get("tenant", "")))
    if not issuers:
        raise RiskError(f"{path}: no [[issuers]]: no EHR could call the service", ExitCode.USAGE)
    return CdsConfig(public_url=data["public_url"], jti_db=Path(data.get("jti_db", "var/cds_jti.sqlite")),
                     app_url=str(data.get("app_url", "")), issuers=issuers,
                     max_body_bytes=int(data.get("max_body_bytes", MAX_BODY_BYTES)),
                     fhir_timeout_s=float(data.get("fhir_timeout_s", FHIR_TIMEOUT_S)),
                     max_batch=max(1, int(data.get("max_batch", MAX_BATCH))))
