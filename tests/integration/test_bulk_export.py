"""`risk panel --fhir-server URL --group G` against a SEKMET that requires SMART Backend Services (issue 14,
acceptance 1): real private_key_jwt auth, Group/$export, the panel scores exactly the group's members, and a
client killed mid-poll resumes from its saved status URL without a second kick-off."""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from risk.errors import ExitCode, SourceError
from risk.fhir.bulk import BackendAuth, BulkClient, ExportRequest
from tests.conftest_server import SAMPLE_BUNDLES, SAMPLES, _free_port, _post_bundle, _sekmet
from tests.paths import REPO

pytestmark = [pytest.mark.server, pytest.mark.slow]
CLIENT_ID = "risk-panel"


@dataclass(frozen=True)
class SmartSekmet:
    url: str
    token: str  # static bearer token, for loading data only
    work: Path
    key_file: Path
    group: str
    members: frozenset[str]
    others: frozenset[str]


@pytest.fixture(scope="module")
def smart_sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartSekmet]:
    sekmet = _sekmet()
    if sekmet is None or not SAMPLES.is_dir():
        pytest.skip("SEKMET or the sample bundles are not installed")
    work = tmp_path_factory.mktemp("smart-sekmet")
    port, token = _free_port(), secrets.token_urlsafe(16)
    key = RSAKey.generate_key(2048, parameters={"kid": "panel-1", "alg": "RS384", "use": "sig"}, private=True)
    key_file = work / "panel-key.json"
    key_file.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    url = f"http://127.0.0.1:{port}/fhir"
    auth = {"types": ["bearer", "smart"], "tokens": [token],
            "smart_clients": [{"client_id": CLIENT_ID, "jwks": {"keys": [key.as_dict(private=False)]},
                               "scopes": "system/*.rs"}]}
    settings = {"base_url": url, "host": "127.0.0.1", "port": port, "data_dir": str(work / "data"),
                "validation": {"inbound": "off"}, "simulator": {"enabled": False}, "log_inbound": False,
                "server_auth": auth}
    (work / "settings.yaml").write_text(json.dumps(settings))  # JSON is YAML
    with open(work / "server.log", "wb") as log:
        proc = subprocess.Popen([sekmet, "serve", "--config", str(work / "settings.yaml")], cwd=work,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                request = urllib.request.Request(f"{url}/metadata", headers={"Authorization": f"Bearer {token}"})
                urllib.request.urlopen(request, timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        ids = [_post_bundle(url, token, SAMPLES / name) for name in SAMPLE_BUNDLES[:3]]
        members, others = frozenset(ids[:2]), frozenset(ids[2:])
        group = {"resourceType": "Group", "type": "person", "actual": True,
                 "member": [{"entity": {"reference": f"Patient/{i}"}} for i in sorted(members)]}
        request = urllib.request.Request(f"{url}/Group", data=json.dumps(group).encode(), method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            group_id = json.loads(answer.read())["id"]
        yield SmartSekmet(url=url, token=token, work=work, key_file=key_file, group=group_id, members=members,
                          others=others)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _env(server: SmartSekmet) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RISK_FHIR_TOKEN"}
    return {**env, "RISK_BULK_CLIENT_ID": CLIENT_ID, "RISK_BULK_KEY_FILE": str(server.key_file)}


def _panel(server: SmartSekmet, out: Path) -> list[str]:
    return [sys.executable, "-c", "import sys; from risk.cli import main; sys.exit(main(sys.argv[1:]))", "panel",
            "--fhir-server", server.url, "--group", server.group, "--out", str(out), "--as-of", "2021-06-01",
            "--quiet"]


def _jobs(server: SmartSekmet) -> int:
    """Export jobs the server started (one folder each)."""
    bulk = server.work / "data" / "bulk"
    return len(list(bulk.iterdir())) if bulk.is_dir() else 0


def _scored(out: Path) -> set[str]:
    with out.open(newline="") as f:
        return {row["patient_id"] for row in csv.DictReader(f)}


def test_panel_from_a_group_export_scores_exactly_the_group_members(smart_sekmet, tmp_path):
    out = tmp_path / "scores.csv"
    done = subprocess.run(_panel(smart_sekmet, out), env=_env(smart_sekmet), cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _scored(out) == set(smart_sekmet.members)
    exported = sorted(p.name for p in (tmp_path / "scores.csv.export").iterdir())
    assert "Patient.000.ndjson.gz" in exported or any(n.startswith("Patient.") for n in exported)
    assert not (tmp_path / "scores.csv.export" / ".export-state.json").exists()


def test_a_client_killed_mid_poll_resumes_without_a_new_kick_off(smart_sekmet, tmp_path):
    out = tmp_path / "scores.csv"
    state = tmp_path / "scores.csv.export" / ".export-state.json"
    before = _jobs(smart_sekmet)
    first = subprocess.Popen(_panel(smart_sekmet, out), env=_env(smart_sekmet), cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if state.exists() or first.poll() is not None:
            break
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert state.exists(), "the client must have been killed while polling (status URL saved, files not in)"
    saved = json.loads(state.read_text())["status_url"]
    assert _jobs(smart_sekmet) == before + 1
    second = subprocess.run(_panel(smart_sekmet, out), env=_env(smart_sekmet), cwd=REPO, capture_output=True,
                            text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr[-2000:]
    assert _jobs(smart_sekmet) == before + 1  # resumed at `saved`: no second export on the server
    assert saved.startswith(smart_sekmet.url + "/bulk-status/")
    assert _scored(out) == set(smart_sekmet.members)


def test_backend_services_with_an_unregistered_key_is_refused(smart_sekmet, tmp_path):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "x", "alg": "RS384"}, private=True)
    key_file = tmp_path / "stranger.json"
    key_file.write_text(json.dumps({"keys": [stranger.as_dict(private=True)]}))
    client = BulkClient(smart_sekmet.url, BackendAuth.from_file(CLIENT_ID, key_file))
    with pytest.raises(SourceError) as caught:
        client.kick_off(ExportRequest(group=smart_sekmet.group))
    assert caught.value.code == ExitCode.SERVER_AUTH and "Backend Services" in caught.value.message


def test_the_export_request_sends_type_since_and_type_filter(smart_sekmet):
    client = BulkClient(smart_sekmet.url, BackendAuth.from_file(CLIENT_ID, smart_sekmet.key_file), sleep=time.sleep)
    request = ExportRequest(group=smart_sekmet.group, types=("Patient", "Condition"), since="2000-01-01T00:00:00Z",
                            type_filters=("Condition?clinical-status=active",))
    manifest = client.poll(client.kick_off(request))
    assert {o["type"] for o in manifest["output"]} <= {"Patient", "Condition"}
    assert "Patient" in {o["type"] for o in manifest["output"]}
    assert manifest["requiresAccessToken"] is True
