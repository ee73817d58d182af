"""Staff login (st.login, OIDC from secrets.toml) or, when it is not configured, a banner on every page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_fixtures import JP, app_env  # noqa: F401 (pytest fixture)
from tests.paths import REPO

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "risk",
        "client_secret": "s", "server_metadata_url": "https://auth.example.org/.well-known/openid-configuration"}


def _run(secrets: dict | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


@pytest.mark.slow
def test_without_login_configured_every_page_says_authentication_is_off(app_env):  # noqa: F811
    at = _run(patient=JP)
    assert not at.exception
    assert any("Authentification désactivée" in w.value for w in at.warning)
    assert at.tabs or at.metric  # the patient page itself still runs


@pytest.mark.slow
def test_with_login_configured_a_visitor_sees_only_the_login_button_and_no_patient(app_env):  # noqa: F811
    at = _run({"auth": AUTH}, patient=JP)
    assert not at.exception
    assert not any("Authentification désactivée" in w.value for w in at.warning)
    assert [b.label for b in at.button] == ["Se connecter"]
    assert "Martin" not in str(at.main) and not at.metric


def test_a_provider_section_is_used_by_name(monkeypatch):
    from risk.views import access

    monkeypatch.setattr(access.st, "secrets", {"auth": {"psc": dict(AUTH)}})
    assert access.auth_provider() == (True, "psc")
    monkeypatch.setattr(access.st, "secrets", {"auth": {"client_id": "x"}})
    assert access.auth_provider() == (False, None)  # incomplete: stays off, and the banner says so


@pytest.mark.slow
def test_a_session_launched_from_the_ehr_is_signed_in_there_and_skips_the_staff_login(app_env):  # noqa: F811
    from risk.fhir.smart import STORE, SmartConfig, SmartTokens, TokenHolder

    config = SmartConfig(iss="http://127.0.0.1:9/fhir", authorization_endpoint="a", token_endpoint="t")
    handoff = STORE.open_session(TokenHolder(config, SmartTokens(access_token="tok", patient=JP), client_id="c"))
    at = _run({"auth": AUTH}, smart=handoff)
    assert not any("Connexion du personnel requise" in i.value for i in at.info)  # the EHR signed the user in
    assert any("Ouvert depuis le DPI (http://127.0.0.1:9/fhir)" in c.value for c in at.sidebar.caption)
    assert not any("Authentification désactivée" in w.value for w in at.warning)
    visitor = _run({"auth": AUTH}, patient=JP)  # the same app opened directly still asks for the staff login
    assert any("Connexion du personnel requise" in i.value for i in visitor.info)
    assert [b.label for b in visitor.button] == ["Se connecter"]
