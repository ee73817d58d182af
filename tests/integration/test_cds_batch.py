"""Concurrent patient-view calls are scored in micro-batches (risk.cds.batch) and each still gets its own
patient's card, the same one a lone call gets, with one audit entry per call in a valid chain."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from risk import audit
from risk.cds.config import load_config
from risk.cds.service import create_app
from risk.models.registry import load_all
from risk.settings import Settings
from tests.cds_fixtures import SERVICE_PATH, hook_request, mint, new_keys, prefetch, write_trust_file
from tests.paths import SAMPLES

BASE = "http://testserver"
PATIENTS = sorted(SAMPLES.glob("fr-*.json"))


@pytest.fixture(scope="module")
def keys():
    return new_keys()


@pytest.fixture(scope="module")
def models():
    return load_all()


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
