"""A live `risk serve` with two uvicorn workers: the JWT matrix over real HTTP, a jti replayed on the other
worker, and, with SEKMET, a card when the prefetch is missing and the FHIR server is asked instead."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema
import pytest

from risk import audit
from tests.cds_fixtures import SERVICE_PATH, hook_request, mint, new_keys, prefetch, write_trust_file
from tests.cds_live import free_port, live_service, post_on_new_connection
from tests.conftest_server import FhirTestServer
from tests.paths import REPO

SCHEMA = json.loads((REPO / "tests" / "data" / "cds_hooks_2.0_response.schema.json").read_text(encoding="utf-8"))
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keys():
    return new_keys()


def _fresh(url: str, token: str | None, body: dict) -> httpx.Response:
    """One request on its own connection (the kernel hands each new connection to either worker)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(timeout=60) as client:
        return client.post(url, json=body, headers=headers)


def _matrix(keys, aud: str) -> dict[str, str | None]:
    return {"expired": mint(keys, aud, exp_in=-120, iat_shift=-400),
            "iat in the future": mint(keys, aud, iat_shift=600, exp_in=900),
            "wrong aud": mint(keys, aud + "/other"), "unknown iss": mint(keys, aud, iss="https://evil.example.org"),
            "jku not allow-listed": mint(keys, aud, jku="https://evil.example.org/jwks.json"),
            "unknown kid": mint(keys, aud, kid="nope"), "no token": None, "malformed": "a.b.c"}


def test_two_workers_verify_every_token_and_refuse_a_jti_replayed_on_the_other_worker(tmp_path: Path, keys):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_trust_file(tmp_path / "cds", keys, public_url=base)
    log = tmp_path / "audit.log"
    with live_service(config, port, workers=2, env={"RISK_AUDIT_LOG": str(log)}, log=tmp_path / "serve.log"):
        pid, pre = prefetch()
        url, aud = base + SERVICE_PATH, base + SERVICE_PATH
        token = mint(keys, aud)
        r = _fresh(url, token, hook_request(pid, pre))
        assert r.status_code == 200, r.text
        jsonschema.validate(r.json(), SCHEMA, format_checker=jsonschema.FormatChecker())
        # the same token on 12 new connections: whichever worker takes it, the shared store refuses it
        replays = [_fresh(url, token, hook_request(pid, pre)) for _ in range(12)]
        assert {x.status_code for x in replays} == {401}
        assert all("replayed" in x.json()["error"] for x in replays)
        for case, bad in _matrix(keys, aud).items():
            assert _fresh(url, bad, hook_request(pid, pre)).status_code == 401, case
        assert _fresh(url, mint(keys, aud), hook_request(pid, None)).status_code == 412
        # a token accepted by one worker, replayed on a connection the other worker holds (known from /proc)
        body = json.dumps(hook_request(pid, pre)).encode()
        token = mint(keys, aud)
        status, _, first, workers = post_on_new_connection(port, SERVICE_PATH, body, token)
        assert status == 200 and first in workers  # workers: the children of `risk serve` (and its resource tracker)
        other = None
        for _ in range(60):
            status, answer, owner, _ = post_on_new_connection(port, SERVICE_PATH, body, token)
            assert status == 401 and b"replayed" in answer
            if owner is not None and owner != first:
                other = owner
                break
        assert other is not None, "no replay landed on the other worker in 60 tries"
    assert audit.verify(log).ok and len(audit.read(log)) == 2


def _card_from_file(path: Path) -> dict:
    from datetime import date

    from risk.assess.assessment import assess
    from risk.assess.snapshot import snapshot
    from risk.cds.card import card
    from risk.models.registry import load_all
    from risk.record.load import iter_records

    (record,) = list(iter_records(path))
    a = assess(snapshot(record, date.today()), load_all(), card_only=True)
    return card(a, lang="fr")


@pytest.mark.server
def test_a_missing_prefetch_is_fetched_from_the_allowed_fhir_server(tmp_path: Path, keys,
                                                                   fhir_server: FhirTestServer):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = write_trust_file(tmp_path / "cds", keys, public_url=base, fhir_servers=(fhir_server.url,))
    path, server_id = next(iter(fhir_server.loaded.items()))
    with live_service(config, port, workers=2, env={"RISK_AUDIT_LOG": str(tmp_path / "audit.log")}):
        url = base + SERVICE_PATH
        body = hook_request(server_id, None, fhir_server=fhir_server.url, token=fhir_server.token)
        r = _fresh(url, mint(keys, url), body)
        assert r.status_code == 200, r.text
        jsonschema.validate(r.json(), SCHEMA, format_checker=jsonschema.FormatChecker())
        # the same card as the one the bundle the server was loaded from gives in-process
        expected = _card_from_file(path)
        got = r.json()["cards"][0]
        assert (got["summary"], got["indicator"]) == (expected["summary"], expected["indicator"])
        assert got["detail"].split("\n\n")[0] == expected["detail"].split("\n\n")[0]
        # partly prefetched: the missing keys are fetched too
        _, pre = prefetch()
        partial = hook_request(server_id, {"patient": None}, fhir_server=fhir_server.url, token=fhir_server.token)
        assert _fresh(url, mint(keys, url), partial).status_code == 200
        # a wrong token for the FHIR server: the data cannot be had, 412 (the server's answer is not passed on)
        wrong = hook_request(server_id, None, fhir_server=fhir_server.url, token="wrong-token")
        r = _fresh(url, mint(keys, url), wrong)
        assert r.status_code == 412 if fhir_server.token else r.status_code == 200
