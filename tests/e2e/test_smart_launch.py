"""SMART App Launch end to end (issue 14, acceptance 3): chromium (Playwright) opens the app from the EHR simulator,
which sits in front of SEKMET; the app is `streamlit run asgi.py` with its /smart routes.

The launched patient's page appears (after the first access token, expired at once, was refreshed); wrong
`state`, an `iss` not allow-listed, a PKCE mismatch and a replayed code are refused; no token is in any URL the
browser saw, the page, the audit log or a server log; and the same flow works inside a cross-site iframe with
third-party cookies blocked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.test_browser import ARGS, CHROMIUM, free_port, shot, wait_http_ok, wait_idle
from tests.ehr_sim import CLIENT_ID, EhrSimulator, Rule, Running, ehr_fixture, ehr_running_fixture  # noqa: F401 (fixtures)
from tests.paths import REPO

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian chromium at /usr/bin/chromium")]


@dataclass(frozen=True)
class LaunchApp:
    url: str
    log: Path  # the app server's stdout and stderr
    audit: Path


@pytest.fixture(scope="module")
def smart_app(ehr_running: Running, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaunchApp]:
    var = tmp_path_factory.mktemp("smart-app")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ehr_running.sim.clients[CLIENT_ID] = {"redirect_uris": [f"{url}/smart/callback"]}
    env = {**os.environ, "RISK_LANG": "en", "RISK_AUDIT_LOG": str(var / "audit.log"),
           "RISK_WORKLIST_DB": str(var / "worklist.sqlite"), "RISK_SMART_ISS": ehr_running.sim.fhir,
           "RISK_SMART_CLIENT_ID": CLIENT_ID}
    env.pop("RISK_FHIR_TOKEN", None)
    log = var / "app.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "asgi.py", "--server.headless=true",
                                 f"--server.port={port}", "--server.address=127.0.0.1", "--logger.level=info",
                                 "--browser.gatherUsageStats=false"], cwd=REPO, env=env, stdout=sink,
                                stderr=subprocess.STDOUT)
    try:
        wait_http_ok(f"{url}/_stcore/health")
        yield LaunchApp(url=url, log=log, audit=var / "audit.log")
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # third-party cookies blocked, as browsers now do by default
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[*ARGS, "--test-third-party-cookie-phaseout"])
        yield b
        b.close()


def _launch_url(app: LaunchApp, ehr: EhrSimulator, launch: str = "launch-0") -> str:
    return f"{app.url}/smart/launch?{urlencode({'iss': ehr.fhir, 'launch': launch})}"


@contextmanager
def _launched(chromium, app: LaunchApp, ehr: EhrSimulator, launch: str) -> Iterator:  # noqa: ANN001
    """A fresh browser context launched from the EHR on `launch`, once the patient's page has settled."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(_launch_url(app, ehr, launch))
        page.get_by_text("Opened from the EHR for patient").wait_for(timeout=90_000)
        wait_idle(page)
        yield page
    finally:
        context.close()


def _assert_no_token_anywhere(ehr: EhrSimulator, app: LaunchApp, urls: list[str], pages: list[str]) -> None:
    tokens = ehr.tokens()
    assert tokens
    places = {"browser URLs": "\n".join(urls), "page": "\n".join(pages), "app log": app.log.read_text(),
              "audit log": app.audit.read_text() if app.audit.exists() else "",
              "EHR log": "\n".join(ehr.log_lines)}
    for where, text in places.items():
        assert not any(t in text for t in tokens), f"a token is in the {where}"


def test_ehr_launch_lands_on_the_launched_patient_after_refreshing_an_expired_token(smart_app, ehr, chromium):
    patient = ehr.patients["launch-1"]
    ehr.code_token_lifetime_s = 0  # the token from the code exchange is expired on arrival: refreshed once
    refreshes = ehr.refreshes
    context = chromium.new_context()
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    try:
        page.goto(_launch_url(smart_app, ehr, "launch-1"))
        wait_idle(page)
        page.get_by_text("Opened from the EHR for patient").wait_for(timeout=90_000)
        wait_idle(page)
        shot(page, "smart_launch")
        body = page.inner_text("body")
        assert f"id {patient}" in body
        assert "smart=" not in page.url and f"patient={patient}" in page.url
        assert ehr.refreshes == refreshes + 1
        assert "Incomplete record" not in body
        page.get_by_role("tab", name="Report and export").click()  # write-back: only on an explicit click
        wait_idle(page)
        assert not [line for line in ehr.seen if line.startswith("POST")]
        page.get_by_role("button", name="Write the assessment to the record").click()
        done = page.get_by_text("Written to the record: RiskAssessment/")
        done.wait_for(timeout=60_000)
        assert [line for line in ehr.seen if line.startswith("POST")] == ["POST /"]
        assert "write_back_risk_assessment" in smart_app.audit.read_text()
        shot(page, "smart_write_back")
        _assert_no_token_anywhere(ehr, smart_app, [*urls, page.url], [page.content(), page.inner_text("body")])
    finally:
        ehr.code_token_lifetime_s = None
        context.close()


def test_the_same_launch_works_in_a_cross_site_iframe_with_third_party_cookies_blocked(smart_app, ehr, chromium):
    patient = ehr.patients["launch-0"]
    ehr_site = ehr.base.replace("127.0.0.1", "localhost")  # another site than the app's 127.0.0.1
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(f"{ehr_site}/ehr?{urlencode({'src': _launch_url(smart_app, ehr)})}")
        frame = page.frame_locator("#app")
        frame.get_by_text("Opened from the EHR for patient").wait_for(timeout=90_000)
        inner = next(f for f in page.frames if f.url.startswith(smart_app.url))
        assert inner.evaluate("() => { document.cookie = 'probe=1; SameSite=None; Secure'; "
                              "document.cookie = 'probe2=1'; return document.cookie }") == ""
        assert f"id {patient}" in frame.locator("body").inner_text()
        shot(page, "smart_launch_iframe")
    finally:
        context.close()


def _authorize(app: LaunchApp, ehr: EhrSimulator, **override: str) -> tuple[requests.Session, str]:
    """Start a launch; return the callback URL the EHR sends back (with `override` applied to /authorize)."""
    s = requests.Session()
    to_ehr = s.get(_launch_url(app, ehr), allow_redirects=False, timeout=30)
    assert to_ehr.status_code == 302
    parts = urlsplit(to_ehr.headers["location"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["code_challenge_method"] == "S256" and query["aud"] == ehr.fhir and len(query["state"]) >= 32
    query.update(override)
    back = s.get(urlunsplit(parts._replace(query=urlencode(query))), allow_redirects=False, timeout=30)
    assert back.status_code == 302
    return s, back.headers["location"]


def _with(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | params
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_callback_with_a_wrong_state_is_refused(smart_app, ehr):
    s, callback = _authorize(smart_app, ehr)
    answer = s.get(_with(callback, state="not-the-state-we-sent"), allow_redirects=False, timeout=30)
    assert answer.status_code == 400 and "state mismatch" in answer.text
    answer = s.get(callback, allow_redirects=False, timeout=30)  # the genuine one still works, once
    assert answer.status_code == 302 and "?smart=" in answer.headers["location"]


def test_an_iss_not_on_the_allow_list_is_refused(smart_app, ehr):
    answer = requests.get(f"{smart_app.url}/smart/launch?{urlencode({'iss': 'https://evil.example/fhir'})}",
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 400 and "allow-list" in answer.text


def test_a_pkce_mismatch_is_refused(smart_app, ehr):
    s, callback = _authorize(smart_app, ehr, code_challenge=create_s256_code_challenge("x" * 64))
    answer = s.get(callback, allow_redirects=False, timeout=30)
    assert answer.status_code == 400 and "refused the authorization code" in answer.text


def test_a_replayed_code_is_refused(smart_app, ehr):
    s, callback = _authorize(smart_app, ehr)
    assert s.get(callback, allow_redirects=False, timeout=30).status_code == 302
    old_code = parse_qs(urlsplit(callback).query)["code"][0]
    s2, fresh = _authorize(smart_app, ehr)
    answer = s2.get(_with(fresh, code=old_code), allow_redirects=False, timeout=30)
    assert answer.status_code == 400 and "refused the authorization code" in answer.text
    assert s.get(callback, allow_redirects=False, timeout=30).status_code == 400  # and the same callback twice


def test_a_standalone_launch_discovers_the_server_and_gets_a_patient_context(smart_app, ehr):
    s = requests.Session()
    to_ehr = s.get(f"{smart_app.url}/smart/launch?{urlencode({'iss': ehr.fhir})}", allow_redirects=False, timeout=30)
    assert to_ehr.status_code == 302
    query = parse_qs(urlsplit(to_ehr.headers["location"]).query)
    assert "launch" not in query and "launch/patient" in query["scope"][0].split()
    back = s.get(to_ehr.headers["location"], allow_redirects=False, timeout=30)
    done = s.get(back.headers["location"], allow_redirects=False, timeout=30)
    assert done.status_code == 302 and urlsplit(done.headers["location"]).query.startswith("smart=")


def test_a_partial_fetch_shows_the_banner_and_withholds_the_scores_on_the_page(smart_app, ehr, chromium):
    ehr.rules.append(Rule(match=r"^GET /Medication(Request|Statement)\?", status=403, times=0))
    with _launched(chromium, smart_app, ehr, "launch-1") as page:
        body = page.inner_text("body")
        assert "Incomplete record: the FHIR server did not give everything" in body
        assert "MedicationRequest (failed, HTTP 403)" in body
        assert "Treatments: not known: the FHIR server did not give these records" in body  # not "none recorded"
        assert "withheld: the FHIR server did not give all MedicationRequest, MedicationStatement records" in body
        shot(page, "smart_partial")
        page.get_by_role("tab", name="Report and export").click()
        wait_idle(page)
        assert page.get_by_role("button", name="Write the assessment to the record").count() == 0
        assert "Not written to the record: the record was read incompletely" in page.inner_text("body")


def test_a_launched_session_shows_no_other_patient(smart_app, ehr, chromium):
    other = ehr.patients["launch-2"]
    with _launched(chromium, smart_app, ehr, "launch-0") as page:
        box = page.get_by_label("Patient id on the FHIR server")
        box.fill(other)
        box.press("Enter")
        page.get_by_text("This session was opened from the EHR for another patient").wait_for(timeout=60_000)
        assert f"id {other}" not in page.inner_text("body")
        assert not any(f"/Patient/{other}" in line for line in ehr.seen)
