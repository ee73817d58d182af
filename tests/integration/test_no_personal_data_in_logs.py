"""After a patient view (the app), a CDS call (a live `risk serve`) and a standalone SMART launch (a live `streamlit
run asgi.py` through its /smart/launch and /smart/callback routes, then URLs with a patient and an OAuth code), no
log file holds the patient's id, name or birth date, a token or an OAuth code: every file the three wrote is
grepped."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from risk import audit
from tests.cds_fixtures import SERVICE_PATH, bundle_resources, hook_request, mint, new_keys, prefetch, write_trust_file
from tests.cds_live import free_port, live_service
from tests.ehr_sim import CLIENT_ID, EhrSimulator, Running
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


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.TransportError:
        return False


def _standalone_launch(logs: Path, pid: str) -> list[str]:
    """A standalone SMART launch as a deployment serves it: `streamlit run asgi.py`, its /smart/launch route, the
    EHR's authorize (the simulator, no FHIR server behind it: only OAuth is used), /smart/callback exchanging the
    code, and the hand-over to the app. Then st.login's callback path and a URL with a patient and a code. Returns
    what the flow made that no log may hold: the real code, state, hand-over and tokens."""
    ehr = EhrSimulator(upstream="http://127.0.0.1:9", upstream_token="unused")
    ehr.patients = {"launch-0": pid}
    running = Running(ehr)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ehr.clients[CLIENT_ID] = {"redirect_uris": [f"{base}/smart/callback"]}
    env = {**os.environ, "RISK_SMART_ISS": ehr.fhir, "RISK_SMART_CLIENT_ID": CLIENT_ID}
    made: list[str] = []
    try:
        with open(logs / "streamlit.log", "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "asgi.py", "--server.port", str(port),
                                     "--server.address=127.0.0.1", "--server.headless", "true",
                                     "--logger.level=debug"], cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                    env=env, start_new_session=True)
            try:
                with httpx.Client(timeout=30, follow_redirects=True) as browser:
                    deadline = time.monotonic() + 120
                    while not _answers(browser, f"{base}/_stcore/health"):
                        assert proc.poll() is None and time.monotonic() < deadline, "streamlit did not start"
                        time.sleep(0.5)
                    landed = browser.get(f"{base}/smart/launch", params={"iss": ehr.fhir})
                    hops = [str(r.headers.get("location", "")) for r in landed.history]
                    assert landed.status_code == 200 and "smart" in landed.url.params, (landed.url, hops)
                    callback = httpx.URL(next(h for h in hops if "/smart/callback" in h)).params
                    made += [callback["code"], callback["state"], landed.url.params["smart"], *ehr.tokens()]
                    assert ehr.tokens(), "the code was not exchanged"
                    for path in (f"/?patient={pid}&code={OAUTH_CODE}&state={OAUTH_STATE}",
                                 f"/oauth2callback?code={OAUTH_CODE}&state={OAUTH_STATE}"):
                        browser.get(base + path)  # st.login's callback is not served without login: only the log
            finally:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=30)
    finally:
        running.stop()
    return made


def test_no_log_file_holds_the_patient_a_token_or_an_oauth_code(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    monkeypatch.setenv("RISK_AUDIT_LOG", str(logs / "audit.log"))
    monkeypatch.setenv("RISK_WORKLIST_DB", str(tmp_path / "worklist.sqlite"))
    pid = next(r for r in bundle_resources() if r["resourceType"] == "Patient")["id"]
    _patient_view(logs, pid)
    tokens = _cds_call(logs, pid)
    launch = _standalone_launch(logs, pid)
    files = [p for p in logs.rglob("*") if p.is_file() and p.suffix in {".log", ""} and "jwks" not in p.name]
    names = {p.name for p in files}
    assert {"app.log", "serve.log", "streamlit.log", "audit.log"} <= names, names
    audit_entries = [json.loads(x) for x in (logs / "audit.log").read_text(encoding="utf-8").splitlines()]
    assert {"view_patient", "cds_patient_view"} <= {e["action"] for e in audit_entries}  # the calls did happen
    view = next(e for e in audit_entries if e["action"] == "view_patient")
    assert view["models"] and view["shown"]["category"]  # which models, what the GP saw
    assert audit.verify(logs / "audit.log").ok  # the app and two service workers wrote one valid chain
    found = [(p.name, s) for p in files for s in [*_secrets(), *tokens, *launch]
             if s.lower() in p.read_text(encoding="utf-8", errors="replace").lower()]
    assert found == []
