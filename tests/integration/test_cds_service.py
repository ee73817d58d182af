"""The CDS Hooks service through FastAPI's test client: the JWT matrix, the card against the CDS Hooks 2.0
response schema, 412 without data, the feedback endpoint and the audit entries they leave; concurrent calls scored
in micro-batches (risk.cds.batch), each still getting its own patient's card, the one a lone call gets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import httpx
import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from risk import audit
from risk.cds.config import load_config
from risk.cds.service import create_app
from risk.models.registry import load_all
from risk.settings import Settings
from tests.cds_fixtures import ISS, SERVICE_PATH, hook_request, mint, new_keys, prefetch, write_trust_file
from tests.paths import REPO, SAMPLES

SCHEMA = json.loads((REPO / "tests" / "data" / "cds_hooks_2.0_response.schema.json").read_text(encoding="utf-8"))
BASE = "http://testserver"
AUD = BASE + SERVICE_PATH
PATIENTS = sorted(SAMPLES.glob("fr-*.json"))


@pytest.fixture(scope="module")
def keys():
    return new_keys()


@pytest.fixture(scope="module")
def models():
    return load_all()


@pytest.fixture
def service(tmp_path, keys, models):
    config = load_config(write_trust_file(tmp_path / "cds", keys, public_url=BASE))
    settings = Settings(audit_log=tmp_path / "audit.log", lang="fr")
    return TestClient(create_app(config, models=models, settings=settings)), settings


def call(client, token, body=None, path=SERVICE_PATH, lang="en"):
    headers = {"Accept-Language": lang, **({"Authorization": f"Bearer {token}"} if token is not None else {})}
    if body is None and path == "/cds-services":
        return client.get(path, headers=headers)
    return client.post(path, json=body, headers=headers)


def test_a_valid_es384_token_gets_one_card_that_follows_the_cds_hooks_schema(service, keys):
    client, settings = service
    pid, pre = prefetch()
    r = call(client, mint(keys, AUD), hook_request(pid, pre))
    assert r.status_code == 200, r.text
    body = r.json()
    jsonschema.validate(body, SCHEMA, format_checker=jsonschema.FormatChecker())
    (c,) = body["cards"]
    assert c["indicator"] in {"warning", "critical"} and "%" in c["summary"]
    assert "Data used:" in c["detail"] and "ESC risk category" in c["detail"]
    assert c["links"][0]["type"] == "smart" and json.loads(c["links"][0]["appContext"]) == {"patient": pid}
    assert "risk dashboard" in c["source"]["label"]
    # the audit: who, from where, the pseudonym, the model versions and what was shown; never the id
    (entry,) = audit.read(settings.audit_log)
    assert entry["action"] == "cds_patient_view" and entry["user"] == "Practitioner/dr-1"
    assert entry["source"] == f"iss={ISS} tenant=chu-exemple client=ehr-client"
    assert entry["patient"] == audit.pseudonym(pid, log=settings.audit_log) and entry["shown"]["card"] == c["uuid"]
    assert entry["models"] and pid not in settings.audit_log.read_text(encoding="utf-8")
    assert audit.verify(settings.audit_log).ok


def test_the_card_speaks_french_when_asked_and_rs384_is_accepted(service, keys):
    client, _ = service
    pid, pre = prefetch()
    r = call(client, mint(keys, AUD, alg="RS384", kid="rs-1"), hook_request(pid, pre), lang="fr-FR,fr;q=0.9")
    assert r.status_code == 200, r.text
    c = r.json()["cards"][0]
    assert "Données utilisées" in c["detail"] and "Catégorie de risque ESC" in c["detail"]


def test_discovery_needs_a_token_addressed_to_it_and_lists_the_prefetch_templates(service, keys):
    client, _ = service
    assert call(client, None, path="/cds-services").status_code == 401
    assert call(client, mint(keys, AUD), path="/cds-services").status_code == 401  # aud of another endpoint
    r = call(client, mint(keys, BASE + "/cds-services"), path="/cds-services")
    assert r.status_code == 200
    (svc,) = r.json()["services"]
    assert svc["hook"] == "patient-view" and svc["prefetch"]["patient"] == "Patient/{{context.patientId}}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signing_input(header: dict, jti: str) -> str:
    """Header and claims of an otherwise valid token, written by hand: no JOSE library will forge these."""
    now = int(time.time())
    claims = {"iss": ISS, "aud": AUD, "exp": now + 300, "iat": now, "jti": jti}
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def _hs256_with_public_key(keys) -> str:
    """The classic algorithm-confusion attack: HMAC keyed with the EHR's public key."""
    pem = keys.rsa.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = _signing_input({"alg": "HS256", "typ": "JWT", "kid": "rs-1"}, "hs")
    return signing_input + "." + _b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())


def _alg_none(keys) -> str:
    return _signing_input({"alg": "none", "typ": "JWT", "kid": "es-1"}, "none") + "."


BAD_TOKENS = {
    "expired": lambda k: mint(k, AUD, exp_in=-120, iat_shift=-400),
    "iat in the future": lambda k: mint(k, AUD, iat_shift=600, exp_in=900),
    "wrong aud": lambda k: mint(k, "http://testserver/cds-services/other"),
    "aud with a trailing slash": lambda k: mint(k, AUD + "/"),
    "unknown iss": lambda k: mint(k, AUD, iss="https://evil.example.org"),
    "jku not allow-listed": lambda k: mint(k, AUD, jku="https://evil.example.org/jwks.json"),
    "unknown kid": lambda k: mint(k, AUD, kid="es-9"),
    "no kid": lambda k: mint(k, AUD, kid=None),
    "alg none": _alg_none,
    "HS256 signed with the public key": _hs256_with_public_key,
    "signed by another key": lambda k: mint(k, AUD, key=new_keys().ec),
    "ES256 (not on the allow-list)": lambda k: mint(k, AUD, alg="ES256", key=ec.generate_private_key(ec.SECP256R1())),
    "malformed": lambda k: "not.a.jwt",
    "garbage": lambda k: "%%%",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_every_untrusted_token_is_refused_with_401_and_leaves_no_audit_entry(service, keys, case):
    client, settings = service
    pid, pre = prefetch()
    r = call(client, BAD_TOKENS[case](keys), hook_request(pid, pre))
    assert r.status_code == 401, (case, r.text)
    assert audit.read(settings.audit_log) == []


def test_no_token_and_a_non_bearer_header_are_refused(service, keys):
    client, _ = service
    pid, pre = prefetch()
    assert call(client, None, hook_request(pid, pre)).status_code == 401
    r = client.post(SERVICE_PATH, json=hook_request(pid, pre), headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401


def test_a_replayed_jti_is_refused(service, keys):
    client, _ = service
    pid, pre = prefetch()
    token = mint(keys, AUD)
    assert call(client, token, hook_request(pid, pre)).status_code == 200
    r = call(client, token, hook_request(pid, pre))
    assert r.status_code == 401 and "replayed" in r.json()["error"]


def test_skew_up_to_sixty_seconds_is_tolerated(service, keys):
    client, _ = service
    pid, pre = prefetch()
    assert call(client, mint(keys, AUD, iat_shift=30), hook_request(pid, pre)).status_code == 200
    assert call(client, mint(keys, AUD, exp_in=-30, iat_shift=-200), hook_request(pid, pre)).status_code == 200


def test_412_when_the_prefetch_is_missing_and_no_fhir_server_is_given_or_allowed(service, keys):
    client, settings = service
    pid, pre = prefetch()
    r = call(client, mint(keys, AUD), hook_request(pid, None))
    assert r.status_code == 412
    partial = {k: v for k, v in pre.items() if k != "conditions"}
    assert call(client, mint(keys, AUD), hook_request(pid, partial)).status_code == 412
    assert call(client, mint(keys, AUD), hook_request(pid, {**pre, "conditions": None})).status_code == 412
    not_allowed = hook_request(pid, None, fhir_server="http://169.254.169.254/fhir", token="t")
    r = call(client, mint(keys, AUD), not_allowed)
    assert r.status_code == 412 and "not allowed" in r.json()["error"]
    assert audit.read(settings.audit_log) == []


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'{"hook": "patient-view"}', b"[" * 5000 + b"]" * 5000,
    json.dumps({"hook": "patient-view", "hookInstance": "x", "context": {"userId": "u", "patientId": "../x"},
                "prefetch": {"patient": {"resourceType": "Patient", "id": "../x"}, "observations": {},
                             "conditions": {}, "medications": {}}}).encode(),
])
def test_hostile_bodies_get_a_clear_400_never_a_500(service, keys, body):
    client, _ = service
    r = client.post(SERVICE_PATH, content=body, headers={"Authorization": f"Bearer {mint(keys, AUD)}",
                                                         "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert "error" in r.json()


def test_a_body_over_the_cap_is_refused_with_413(service, keys):
    client, _ = service
    big = b'{"hook": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    r = client.post(SERVICE_PATH, content=big, headers={"Authorization": f"Bearer {mint(keys, AUD)}"})
    assert r.status_code == 413


def test_feedback_records_accepted_and_overridden_with_the_reason(service, keys):
    client, settings = service
    pid, pre = prefetch()
    card_id = call(client, mint(keys, AUD), hook_request(pid, pre)).json()["cards"][0]["uuid"]
    fb_path = SERVICE_PATH + "/feedback"
    body = {"feedback": [
        {"card": card_id, "outcome": "overridden", "outcomeTimestamp": "2026-12-07T10:00:00Z",
         "overrideReason": {"reason": {"code": "patient-refused", "display": "Patient refused"},
                            "userComment": "wants to try diet first"}},
        {"card": card_id, "outcome": "accepted", "outcomeTimestamp": "2026-12-07T10:01:00Z",
         "acceptedSuggestions": [{"id": "s1"}]}]}
    assert call(client, mint(keys, AUD), body, path=fb_path).status_code == 401  # aud is the feedback URL
    r = call(client, mint(keys, BASE + fb_path), body, path=fb_path)
    assert r.status_code == 200, r.text
    entries = audit.read(settings.audit_log)
    assert [e["action"] for e in entries] == ["cds_patient_view", "cds_feedback", "cds_feedback"]
    assert entries[1]["outcome"] == "overridden" and "Patient refused" in entries[1]["reason"]
    assert "diet" in entries[1]["reason"] and entries[1]["shown"]["card"] == card_id
    assert entries[2]["outcome"] == "accepted" and entries[2]["shown"]["accepted_suggestions"] == 1
    assert audit.verify(settings.audit_log).ok
    bad = {"feedback": [{"card": card_id, "outcome": "ignored", "outcomeTimestamp": "x"}]}
    assert call(client, mint(keys, BASE + fb_path), bad, path=fb_path).status_code == 400


def test_a_jwks_is_fetched_only_from_an_allow_listed_jku(tmp_path, keys, models):
    """Without a JWKS file the keys come from the issuer's jku; a jku off the allow-list is never even requested,
    nor is the target of an allow-listed one's redirect."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from risk.cds.config import CdsConfig, Issuer

    asked: list[str] = []
    jwks = json.dumps(keys.jwks()).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            asked.append(self.path)
            if self.path == "/moved.json":  # allow-listed, but sends us elsewhere
                self.send_response(302)
                self.send_header("Location", "/evil.json")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        good = f"http://127.0.0.1:{server.server_port}/jwks.json"
        evil = f"http://127.0.0.1:{server.server_port}/evil.json"
        moved = f"http://127.0.0.1:{server.server_port}/moved.json"
        config = CdsConfig(public_url=BASE, jti_db=tmp_path / "jti.sqlite",
                           issuers={ISS: Issuer(iss=ISS, jku=(good, moved))})
        client = TestClient(create_app(config, models=models, settings=Settings(audit_log=tmp_path / "a.log")))
        pid, pre = prefetch()
        assert call(client, mint(keys, AUD, jku=evil), hook_request(pid, pre)).status_code == 401
        assert asked == []
        assert call(client, mint(keys, AUD, jku=good), hook_request(pid, pre)).status_code == 200
        assert call(client, mint(keys, AUD, jku=None, kid="rs-1", alg="RS384"),
                    hook_request(pid, pre)).status_code == 200  # no jku: the issuer's first allow-listed one
        assert set(asked) == {"/jwks.json"}
        assert call(client, mint(keys, AUD, jku=moved), hook_request(pid, pre)).status_code == 401
        assert "/evil.json" not in asked  # a redirect is never followed off the allow-list
    finally:
        server.shutdown()


def test_a_record_that_cannot_be_assessed_gets_a_card_saying_why_in_the_language_asked(service, keys):
    client, settings = service
    pid, pre = prefetch()
    undated = {k: v for k, v in pre["patient"].items() if k != "birthDate"}
    body = hook_request(pid, {**pre, "patient": undated})
    r = call(client, mint(keys, AUD), body, lang="fr-FR,fr;q=0.9")
    assert r.status_code == 200, r.text
    (c,) = r.json()["cards"]
    jsonschema.validate(r.json(), SCHEMA, format_checker=jsonschema.FormatChecker())
    assert c["indicator"] == "info" and "n'a pas de date de naissance utilisable" in c["detail"]
    assert "birth date" not in c["detail"]
    r = call(client, mint(keys, AUD), body, lang="en")
    assert "has no usable birth date" in r.json()["cards"][0]["detail"]


# -- micro-batches ------------------------------------------------------------------------------------------------


def _app(tmp_path, keys, models, name):  # noqa: ANN001, ANN202
    config = load_config(write_trust_file(tmp_path / name, keys, public_url=BASE))
    settings = Settings(audit_log=tmp_path / f"{name}.log", lang="fr")
    return create_app(config, models=models, settings=settings), settings


async def _calls(app, keys, bodies, lang="fr"):  # noqa: ANN001, ANN202
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        return await asyncio.gather(*(client.post(SERVICE_PATH, json=b, headers={
            "Authorization": f"Bearer {mint(keys, BASE + SERVICE_PATH)}", "Accept-Language": lang}) for b in bodies))


def _stable(card):  # noqa: ANN001, ANN202 (a card without its random uuid)
    return {k: v for k, v in card.items() if k != "uuid"}


def test_concurrent_calls_are_batched_and_each_gets_its_own_patients_card(tmp_path, keys, models):
    bodies = [hook_request(*prefetch(p)) for p in PATIENTS] * 3  # the same chart twice or more in a batch too
    lone_app, _ = _app(tmp_path, keys, models, "lone")
    lone = {}
    for p, body in zip(PATIENTS, bodies, strict=False):
        (r,) = asyncio.run(_calls(lone_app, keys, [body]))
        assert r.status_code == 200, r.text
        lone[p.stem] = _stable(r.json()["cards"][0])
    app, settings = _app(tmp_path, keys, models, "batched")
    answers = asyncio.run(_calls(app, keys, bodies))
    assert [r.status_code for r in answers] == [200] * len(bodies)
    for k, r in enumerate(answers):
        card = r.json()["cards"][0]
        assert _stable(card) == lone[PATIENTS[k % len(PATIENTS)].stem], PATIENTS[k % len(PATIENTS)].stem
    assert app.state.batcher.batches < len(bodies), "concurrent calls were not scored together"
    entries = audit.read(settings.audit_log)
    assert len(entries) == len(bodies) and audit.verify(settings.audit_log).ok
    cards = {r.json()["cards"][0]["uuid"] for r in answers}
    assert {e["shown"]["card"] for e in entries} == cards


def test_one_unreadable_patient_in_a_batch_gets_its_reason_and_the_others_their_risk(tmp_path, keys, models):
    pid, pre = prefetch(PATIENTS[0])
    broken = {k: v for k, v in pre.items()}
    broken["patient"] = {**pre["patient"]}
    broken["patient"].pop("birthDate", None)
    bodies = [hook_request(pid, broken), *(hook_request(*prefetch(p)) for p in PATIENTS[1:])]
    app, settings = _app(tmp_path, keys, models, "mixed")
    answers = asyncio.run(_calls(app, keys, bodies, lang="en"))
    assert [r.status_code for r in answers] == [200] * len(bodies)
    first = answers[0].json()["cards"][0]
    assert "not computed" in first["summary"] and "birth date" in first["summary"], first
    assert all("not computed" not in r.json()["cards"][0]["summary"] for r in answers[1:])
    assert sum("%" in r.json()["cards"][0]["summary"] for r in answers[1:]) >= 4
    assert len(audit.read(settings.audit_log)) == len(bodies) - 1


def test_a_worker_warms_up_on_a_made_up_patient_and_audits_nothing(tmp_path, keys, models):
    config = load_config(write_trust_file(tmp_path / "warm", keys, public_url=BASE))
    settings = Settings(audit_log=tmp_path / "warm.log", lang="fr")
    from risk.cds.warmup import warm_up

    card = warm_up(models, region="low", guideline_set=settings.guideline_set, lang="fr")
    assert "SCORE2-Diabetes" in card["summary"] and "%" in card["summary"], card["summary"]
    app = create_app(config, models=models, settings=settings, warm=True)
    assert app.state.batcher.batches == 0 and audit.read(settings.audit_log) == []
