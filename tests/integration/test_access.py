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
