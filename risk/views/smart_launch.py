"""SMART App Launch beside the Streamlit app: two Starlette routes on the same origin (served by `st.App` in
asgi.py) and the hand-over of a finished launch to the Streamlit session.

    EHR -> /smart/launch?iss=...&launch=...  (EHR launch; without `launch`: standalone)
        -> the EHR's /authorize (PKCE S256, unpredictable state, aud = iss)
        -> /smart/callback?code=...&state=...  (state checked, code exchanged once, tokens kept server-side)
        -> /?smart=<one-time handoff>          (claimed once by the Streamlit session, then removed from the URL)

No cookie is needed (the flow works inside a cross-site iframe that blocks third-party cookies) and no token
is ever in a URL, the page, a cookie or a log: the browser only ever sees `state`, the code and the handoff.
"""

from __future__ import annotations

import html
import logging

import streamlit as st
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from risk.errors import RiskError
from risk.fhir.smart import STORE, SmartError, TokenHolder, begin, check_iss, discover, finish
from risk.i18n.messages import tr
from risk.settings import Settings
from risk.views.session import SourceChoice, lang, set_source

log = logging.getLogger(__name__)
# What the app asks for: read the patient's record, write the assessment back (SMART v2 scopes).
SCOPE = ("launch launch/patient openid fhirUser offline_access patient/*.rs patient/RiskAssessment.c "
         "patient/Provenance.c patient/Device.c patient/Task.c")


def _refused(reason: str) -> Response:
    """A worded page, in both languages, for a launch that must stop (never a traceback, never a secret)."""
    text = html.escape(reason)
    body = (f"<!doctype html><html><head><meta charset='utf-8'><title>SMART</title></head><body>"
            f"<h1>{html.escape(tr('smart.refused', 'fr'))}</h1><p lang='fr'>{text}</p>"
            f"<h1>{html.escape(tr('smart.refused', 'en'))}</h1><p lang='en'>{text}</p></body></html>")
    return HTMLResponse(body, status_code=400, headers={"Cache-Control": "no-store"})


def _redirect_uri(request: Request) -> str:
    return str(request.url_for("smart_callback"))


async def launch(request: Request) -> Response:
    settings = Settings.from_env()
    try:
        iss = check_iss(request.query_params.get("iss") or "", settings.smart_iss)
        config = discover(iss)
        pending = begin(config, client_id=settings.smart_client_id, redirect_uri=_redirect_uri(request),
                        scope=SCOPE if request.query_params.get("launch") else SCOPE.replace("launch ", "", 1),
                        launch=request.query_params.get("launch"))
    except RiskError as exc:
        log.warning("SMART launch refused: %s", exc.message)
        return _refused(exc.message)
    STORE.add_pending(pending)
    return RedirectResponse(pending.url, status_code=302, headers={"Cache-Control": "no-store"})


async def callback(request: Request) -> Response:
    q = request.query_params
    pending = STORE.pop_pending(q.get("state"))
    if pending is None:
        log.warning("SMART callback refused: unknown or used state")
        return _refused("the sign-in answer does not belong to a launch in progress (state mismatch): start again")
    try:
        tokens = finish(pending, code=q.get("code"), state=q.get("state"), error=q.get("error"))
    except SmartError as exc:
        log.warning("SMART callback refused: %s", exc.message)
        return _refused(exc.message)
    if not tokens.patient:
        return _refused("the EHR gave no patient for this launch")
    handoff = STORE.open_session(TokenHolder(pending.config, tokens, client_id=pending.client_id))
    return RedirectResponse(f"{request.base_url}?smart={handoff}", status_code=302,
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def routes() -> list[Route]:
    return [Route("/smart/launch", launch, name="smart_launch"),
            Route("/smart/callback", callback, name="smart_callback")]



# -- the Streamlit side -------------------------------------------------------------------------------------------


def holder() -> TokenHolder | None:
    """This Streamlit session's SMART launch, if it was opened from an EHR."""
    return STORE.holder(st.session_state.get("smart_sid"))


def launched_patient() -> str | None:
    h = holder()
    return h.tokens.patient if h is not None else None


def claim() -> None:
    """A launch handed over in the URL (`?smart=`) becomes this session's data source and its one patient."""
    handoff = st.query_params.get("smart")
    if handoff is None:
        return
    del st.query_params["smart"]  # the one-time code leaves the address bar at once
    sid = STORE.claim(handoff)
    h = STORE.holder(sid)
    if h is None:
        st.error(tr("smart.expired", lang()))
        return
    for key in ("directory", "records", "assessments", "source_obj", "scored_panel"):  # a new launch, a new session
        st.session_state.pop(key, None)
    st.session_state["smart_sid"] = sid
    st.session_state["source_kind"] = "server"
    set_source(SourceChoice(kind="server", location=h.config.iss, label=f"{h.config.iss} (EHR)"))
    st.query_params["patient"] = h.tokens.patient or ""
