"""After a patient view (the app), a CDS call (a live `risk serve`) and a standalone launch (a live `streamlit
run` opened with a patient and an OAuth code in the URL), no log file holds the patient's id, name or birth date,
a token or an OAuth code: every file the three wrote is grepped."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from risk import audit
from tests.cds_fixtures import SERVICE_PATH, bundle_resources, hook_request, mint, new_keys, prefetch, write_trust_file
from tests.cds_live import free_port, live_service
from tests.paths import REPO

pytestmark = pytest.mark.slow
OAUTH_CODE = "oauth-code-7f3a9c2e51"
OAUTH_STATE = "oauth-state-c4d1e8b07a"
FHIR_TOKEN = "fhir-access-token-91be0c"


def _secrets() -> list[str]:
    patient = next(r for r in bundle_resources() if r["resourceType"] == "Patient")
    name = patient["name"][0]
    return [patient["id"], name["family"], *name["given"], patient["birthDate"], OAUTH_CODE, OAUTH_STATE,
            FHIR_TOKEN]


def _patient_view(logs: Path, pid: str) -> None:
    handler = logging.FileHandler(logs / "app.log")
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(), logging.getLogger("streamlit"), logging.getLogger("risk")]
    old = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        at.query_params["patient"] = pid
        at.run()
        assert not at.exception and at.tabs
    finally:
        for lg, level in old:
            lg.removeHandler(handler)
            lg.setLevel(level)
        handler.close()


def _cds_call(logs: Path, pid: str) -> list[str]:
    keys = new_keys()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_trust_file(logs / "cds", keys, public_url=base, fhir_servers=("http://127.0.0.1:9/fhir",))
    tokens = []
    _, pre = prefetch()
    with live_service(config, port, workers=2, log=logs / "serve.log"):
        for body, path in ((hook_request(pid, pre), SERVICE_PATH),
                           (hook_request(pid, None, fhir_server="http://127.0.0.1:9/fhir", token=FHIR_TOKEN),
                            SERVICE_PATH),
                           (hook_request(pid, pre), f"{SERVICE_PATH}?patient={pid}&code={OAUTH_CODE}")):
            token = mint(keys, base + SERVICE_PATH)
            tokens.append(token)
            with httpx.Client(timeout=60) as client:
                r = client.post(base + path, json=body, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code in (200, 412), r.text
    return tokens


def _standalone_launch(logs: Path, pid: str) -> None:
    port = free_port()
    with open(logs / "streamlit.log", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                 "--server.headless", "true"], cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ}, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)  # noqa: S310
                    break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline, "streamlit did not start"
                    time.sleep(0.5)
            for path in (f"/?patient={pid}&code={OAUTH_CODE}&state={OAUTH_STATE}",
                         f"/oauth2callback?code={OAUTH_CODE}&state={OAUTH_STATE}"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30)  # noqa: S310
                except urllib.error.HTTPError:
                    pass  # no login configured: the callback is not served; what matters is what got logged
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)


def test_no_log_file_holds_the_patient_a_token_or_an_oauth_code(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    monkeypatch.setenv("RISK_AUDIT_LOG", str(logs / "audit.log"))
    monkeypatch.setenv("RISK_WORKLIST_DB", str(tmp_path / "worklist.sqlite"))
    pid = next(r for r in bundle_resources() if r["resourceType"] == "Patient")["id"]
    _patient_view(logs, pid)
    tokens = _cds_call(logs, pid)
    _standalone_launch(logs, pid)
    files = [p for p in logs.rglob("*") if p.is_file() and p.suffix in {".log", ""} and "jwks" not in p.name]
    names = {p.name for p in files}
    assert {"app.log", "serve.log", "streamlit.log", "audit.log"} <= names, names
    audit_entries = [json.loads(x) for x in (logs / "audit.log").read_text(encoding="utf-8").splitlines()]
    assert {"view_patient", "cds_patient_view"} <= {e["action"] for e in audit_entries}  # the calls did happen
    view = next(e for e in audit_entries if e["action"] == "view_patient")
    assert view["models"] and view["shown"]["category"]  # which models, what the GP saw
    assert audit.verify(logs / "audit.log").ok  # the app and two service workers wrote one valid chain
    found = [(p.name, s) for p in files for s in [*_secrets(), *tokens]
             if s.lower() in p.read_text(encoding="utf-8", errors="replace").lower()]
    assert found == []
