"""Who may see the app when it runs standalone: an optional staff login through Streamlit's `st.login` (any OpenID
Connect provider, e.g. Pro Santé Connect), configured in `.streamlit/secrets.toml`, never in the repository:

    [auth]
    redirect_uri = "https://risk.example.org/oauth2callback"
    cookie_secret = "..."                       # a long random string
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://auth.example.org/.well-known/openid-configuration"

Several providers go in `[auth.NAME]` sections (the first is used). Without an `[auth]` section the app runs
open, as on a single GP's workstation, and says so on every page in a banner that cannot be missed.

A session opened from the EHR (SMART launch, risk.views.smart_launch) skips the staff login: the EHR's own
authorization server signed the user in to grant the launch, the session holds that grant for one patient only
(another patient is refused), and asking again inside the EHR's frame would be a second login that many EHR
frames cannot even show (an identity provider's page refuses to be framed). The sidebar says who let it in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import streamlit as st

from risk.views.session import tx
from risk.views.smart_launch import holder


def auth_provider() -> tuple[bool, str | None]:
    """(configured, provider name or None for the flat [auth] form)."""
    auth = None
    with contextlib.suppress(Exception):  # no secrets.toml at all: login is off
        auth = st.secrets.get("auth")
    if not isinstance(auth, Mapping):
        return False, None
    providers = [k for k, v in auth.items() if isinstance(v, Mapping)]
    if providers:
        return True, providers[0]
    return bool(auth.get("client_id") and auth.get("server_metadata_url")), None


def access_gate() -> None:
    """Stop the page for a visitor who is not logged in when login is configured; else show the banner. A session
    launched from the EHR is signed in by the EHR (module docstring)."""
    launch = holder()
    if launch is not None:
        with st.sidebar:
            st.caption(tx(f"Opened from the EHR ({launch.config.iss}): signed in there, for this patient only.",
                          f"Ouvert depuis le DPI ({launch.config.iss}) : connexion faite dans le DPI, pour ce "
                          "patient seulement."))
        return
    configured, provider = auth_provider()
    if not configured:
        st.warning(tx("Authentication off: anyone who can open this address sees the patients' data. Configure a "
                      "login ([auth] in .streamlit/secrets.toml) before any shared use.",
                      "Authentification désactivée : toute personne qui ouvre cette adresse voit les données des "
                      "patients. Configurez une connexion ([auth] dans .streamlit/secrets.toml) avant tout usage "
                      "partagé."), icon=":material/lock_open:")
        return
    if not st.user.get("is_logged_in"):  # a key of st.user (AppTest has no auth context: absent = out)
        st.info(tx("Staff login required.", "Connexion du personnel requise."), icon=":material/lock:")
        if st.button(tx("Log in", "Se connecter"), key="login"):
            if provider:
                st.login(provider)
            else:
                st.login()
        st.stop()
    with st.sidebar:
        st.caption(str(st.user.get("name") or st.user.get("email") or ""))
        if st.button(tx("Log out", "Se déconnecter"), key="logout"):
            st.logout()
