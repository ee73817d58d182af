"""A real FHIR server for integration tests: SEKMET started for the test session, or the one at
RISK_TEST_FHIR_URL (with RISK_TEST_FHIR_TOKEN if it needs one).

A handful of sample transaction bundles are POSTed to it; the server gives them new ids, which the
fixture reads back from the transaction response. `pytest` alone is enough: the server is started
through scripts/fhir_server.sh on a free loopback port, with a random bearer token it then requires.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from risk.fhir.references import resolve_reference
from tests.paths import REPO, SHARED

SAMPLES = SHARED / "fhir_samples" / "smart-generated-sample-data-r4"
SCRIPT = REPO / "scripts" / "fhir_server.sh"
# Three plain bundles (MI, diabetic neuropathy, stroke) and one gzipped one.
SAMPLE_BUNDLES = (
    "bundles/Rudy_Macejkovic_99ba7389-7eaa-4f56-b355-9dd86046de4f.json",
    "bundles/Emery_Purdy_298c62e6-b204-4a14-8e21-73d5be0ce22e.json",
    "bundles/Andy_Schaden_d630c6ca-046c-470a-8f3a-4dbc3850e7ae.json",
    "bundles_gz/Abdul_Koepp_e925b0f3-8006-43f6-aa31-94bd215e55e7.json.gz",
)


@dataclass(frozen=True, kw_only=True)
class FhirTestServer:
    url: str  # base URL, e.g. http://127.0.0.1:41234/fhir
    token: str | None  # bearer token the server requires (None: it requires none)
    loaded: dict[Path, str]  # sample bundle file -> id the server gave its Patient


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post_bundle(url: str, token: str | None, path: Path) -> str:
    """POST one transaction bundle; return the server id of its Patient."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    sent = json.loads(data)["entry"]
    for sent_entry, got in zip(sent, answer["entry"], strict=True):
        if sent_entry["resource"]["resourceType"] == "Patient":
            resolved = resolve_reference(got["response"]["location"])
            assert resolved is not None and resolved[0] == "Patient", got["response"]
            return resolved[1]
    raise AssertionError(f"no Patient in {path.name}")


def _sekmet() -> str | None:
    beside = Path(sys.executable).with_name("sekmet")
    return str(beside) if beside.exists() else shutil.which("sekmet")


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirTestServer]:
    if not SAMPLES.is_dir():
        pytest.skip(f"sample bundles not found at {SAMPLES}")
    external = os.environ.get("RISK_TEST_FHIR_URL")
    env: dict[str, str] | None = None
    if external:
        url, token = external.rstrip("/"), os.environ.get("RISK_TEST_FHIR_TOKEN") or None
    else:
        sekmet = _sekmet()
        if sekmet is None:
            pytest.skip(
                "SEKMET is not installed (pip install sekmet-fhir==0.1.1) and RISK_TEST_FHIR_URL is unset"
            )
        token = secrets.token_urlsafe(16)
        port = _free_port()
        env = {
            **os.environ,
            "RISK_TEST_FHIR_PORT": str(port),
            "RISK_TEST_FHIR_WORK": str(tmp_path_factory.mktemp("fhir-server")),
            "RISK_TEST_FHIR_TOKEN": token,
            "SEKMET": sekmet,
        }
        started = subprocess.run(
            ["bash", str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=90, check=False
        )
        if started.returncode != 0:
            pytest.fail(f"could not start SEKMET: {started.stderr.strip()[-600:]}")
        url = started.stdout.strip().splitlines()[-1]
    try:
        loaded = {SAMPLES / name: _post_bundle(url, token, SAMPLES / name) for name in SAMPLE_BUNDLES}
        yield FhirTestServer(url=url, token=token, loaded=loaded)
    finally:
        if env is not None:
            subprocess.run(
                ["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=30, check=False
            )
