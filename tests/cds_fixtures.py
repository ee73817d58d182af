"""The EHR side of the CDS Hooks tests: its signing keys and JWKS, a trust file, minted tokens and prefetch.

The EHR signs with ES384 (kid es-1) or RS384 (kid rs-1); the service trusts it through a JWKS file named in
the trust file, so no test fetches anything. `mint` makes the token of one call, valid unless told otherwise.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.paths import SAMPLES

ISS = "https://ehr.example.org"
JKU = "https://ehr.example.org/.well-known/jwks.json"
SERVICE_PATH = "/cds-services/risk-patient-view"
CDS_SAMPLE = SAMPLES / "fr-jean-pierre-martin.json"


@dataclass(frozen=True)
class EhrKeys:
    ec: Any
    rsa: Any

    def jwks(self) -> dict[str, Any]:
        es = ECKey.import_key(self.ec.public_key(), {"kid": "es-1", "alg": "ES384", "use": "sig"})
        rs = RSAKey.import_key(self.rsa.public_key(), {"kid": "rs-1", "alg": "RS384", "use": "sig"})
        return {"keys": [es.as_dict(), rs.as_dict()]}


def new_keys() -> EhrKeys:
    return EhrKeys(ec=ec.generate_private_key(ec.SECP384R1()),
                   rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048))


def write_trust_file(folder: Path, keys: EhrKeys, *, public_url: str, fhir_servers: tuple[str, ...] = (),
                     app_url: str = "https://risk.example.org/") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ehr_jwks.json").write_text(json.dumps(keys.jwks()), encoding="utf-8")
    servers = ", ".join(json.dumps(s) for s in fhir_servers)
    path = folder / "cds.toml"
    path.write_text(f'public_url = "{public_url}"\njti_db = "{folder / "jti.sqlite"}"\napp_url = "{app_url}"\n'
                    f'[[issuers]]\niss = "{ISS}"\njku = ["{JKU}"]\njwks_file = "ehr_jwks.json"\n'
                    f'fhir_servers = [{servers}]\ntenant = "chu-exemple"\n', encoding="utf-8")
    return path


def mint(keys: EhrKeys, aud: str, *, alg: str = "ES384", kid: str | None = "es-1", jku: str | None = JKU,
         iss: str = ISS, exp_in: float = 300, iat_shift: float = 0, jti: str | None = None,
         key: Any = None) -> str:
    now = time.time()
    claims = {"iss": iss, "sub": "ehr-client", "aud": aud, "exp": int(now + exp_in), "iat": int(now + iat_shift),
              "jti": jti or str(uuid.uuid4())}
    header = {"alg": alg, "typ": "JWT", **({"kid": kid} if kid else {}), **({"jku": jku} if jku else {})}
    signing = key if key is not None else (keys.ec if alg.startswith("ES") else keys.rsa)
    jwk = ECKey.import_key(signing) if isinstance(signing, ec.EllipticCurvePrivateKey) else RSAKey.import_key(signing)
    return jwt.encode(header, claims, jwk, algorithms=[alg])


def bundle_resources(path: Path = CDS_SAMPLE) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    data = json.loads(gzip.decompress(raw) if path.name.endswith(".gz") else raw)
    return [e["resource"] for e in data["entry"]]


def _searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"urn:uuid:{r.get('id', uuid.uuid4())}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}


def prefetch(path: Path = CDS_SAMPLE) -> tuple[str, dict[str, Any]]:
    """(patient id, prefetch) as an EHR fills the service's templates from a sample bundle."""
    resources = bundle_resources(path)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    pid = patient["id"]

    def of(*types: str) -> list[dict[str, Any]]:
        out = []
        for r in resources:
            if r["resourceType"] in types:
                r = dict(r)
                for k in ("subject", "patient"):
                    if isinstance(r.get(k), dict):
                        r[k] = {"reference": f"Patient/{pid}"}
                out.append(r)
        return out

    return pid, {"patient": patient, "observations": _searchset(of("Observation")),
                 "conditions": _searchset(of("Condition")),
                 "medications": _searchset(of("MedicationRequest", "Medication"))}


def hook_request(pid: str, pre: dict[str, Any] | None, *, fhir_server: str | None = None,
                 token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
                            "context": {"userId": "Practitioner/dr-1", "patientId": pid}}
    if pre is not None:
        body["prefetch"] = pre
    if fhir_server:
        body["fhirServer"] = fhir_server
        if token:
            body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                         "scope": "patient/*.read", "subject": "risk"}
    return body
