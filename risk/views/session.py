"""Session plumbing shared by the pages: language, settings, data source, models, audit, small widgets.

Patient data lives only in `st.session_state` (one browser session); the models, which hold no patient data,
are the only thing cached across sessions (`st.cache_resource`). A FHIR access token stays in the session and
is never displayed, logged or written anywhere.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from risk import audit
from risk.errors import RiskError
from risk.fhir import open_source
from risk.i18n import fmt_date, fmt_number, fmt_percent, render
from risk.i18n.messages import error_text
from risk.models.registry import LoadedModel, load_all, synthetic_models
from risk.panel.table import PanelResult
from risk.settings import Settings

PAGE_PATIENT = "risk/views/patient.py"
PAGE_PANEL = "risk/views/panel.py"
PAGE_MODELS = "risk/views/models.py"
PAGE_ABOUT = "risk/views/about.py"


# --- language ----------------------------------------------------------------------------------------


def settings() -> Settings:
    """Read from the environment on each run (cheap), so that a changed setting needs no cache flush."""
    return Settings.from_env()


def lang() -> str:
    if "lang" not in st.session_state:
        st.session_state["lang"] = settings().lang
    return st.session_state["lang"]


def tx(en: str, fr: str, /, **params: Any) -> str:
    """The text in the session's language; `params` are formatted per language (numbers, %, dates)."""
    language = lang()
    template = fr if language == "fr" else en
    return render(template, language, **params) if params else template


def pct(x: float | None, decimals: int = 1) -> str:
    return "—" if x is None else fmt_percent(float(x), lang(), decimals)


def num(x: float | None, decimals: int = 0) -> str:
    return "—" if x is None else fmt_number(float(x), lang(), decimals)


def day(d: date | None) -> str:
    return "—" if d is None else fmt_date(d, lang())


# --- data source ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SourceChoice:
    kind: str  # sample | upload | server | bulk
    location: str  # folder, file or base URL (never a token)
    label: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.location}"


def sample_source() -> SourceChoice:
    s = settings()
    return SourceChoice(kind="sample", location=str(s.sample_dir), label="sample_fhir")


def current_source() -> SourceChoice:
    if "source" not in st.session_state:
        st.session_state["source"] = sample_source()
    return st.session_state["source"]


def set_source(choice: SourceChoice) -> None:
    if st.session_state.get("source") != choice:
        st.session_state["source"] = choice
        for key in ("directory", "records", "assessments", "source_obj", "scored_panel"):
            st.session_state.pop(key, None)


def open_current() -> Any:
    """The Source object of the session's data source (kept for the session: it caches its index)."""
    choice = current_source()
    cached = st.session_state.get("source_obj")
    if cached is not None and cached[0] == choice.key:
        return cached[1]
    from risk.fhir.server import ServerSource  # lazy: fhirpy, aiohttp and Authlib load only for a server
    from risk.fhir.smart import STORE

    token = st.session_state.get("fhir_token") if choice.kind == "server" else None
    launch = STORE.holder(st.session_state.get("smart_sid")) if choice.kind == "server" else None
    if launch is not None and launch.config.iss == choice.location:  # opened from the EHR: its tokens, refreshed
        src = ServerSource(choice.location, token=launch.tokens.access_token, refresh=launch.refresher)
    else:
        src = open_source(choice.location, token=token or None)
    st.session_state["source_obj"] = (choice.key, src)
    return src


def session_dir() -> Path:
    """A private temporary folder for this session's uploads."""
    if "upload_dir" not in st.session_state:
        st.session_state["upload_dir"] = tempfile.mkdtemp(prefix="risk-upload-")
    return Path(st.session_state["upload_dir"])


def session_cache(name: str) -> dict[Any, Any]:
    """A dict in the session state (patient data never goes to a cache shared across users)."""
    if name not in st.session_state:
        st.session_state[name] = {}
    return st.session_state[name]


# --- the scored panel of the current source (shared by the landing list, the Panel and the Models pages) ---


def stored_panel() -> PanelResult | None:
    """The panel scored last for the current data source, if any."""
    stored = st.session_state.get("scored_panel")
    if stored is None or stored[0] != current_source().key:
        return None
    return stored[1]


def store_panel(result: PanelResult) -> None:
    st.session_state["scored_panel"] = (current_source().key, result)


# --- models --------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _load_models(models_dir: str, stamp: tuple[tuple[str, float], ...]) -> tuple[dict[str, LoadedModel], str | None]:
    del stamp  # part of the cache key only: new or retrained models are picked up without a restart
    try:
        return load_all(Path(models_dir)), None
    except RiskError as exc:
        return {}, exc.message


def models() -> dict[str, LoadedModel]:
    folder = settings().models_dir
    stamp = tuple(sorted((str(p), p.stat().st_mtime) for p in folder.glob("*/SHA256SUMS"))) if folder.is_dir() \
        else ()
    loaded, problem = _load_models(str(folder), stamp)
    if problem:
        st.error(tx("The models could not be loaded: {p}", "Les modèles n'ont pas pu être chargés : {p}", p=problem))
    return loaded


def model_banner(loaded: dict[str, LoadedModel]) -> None:
    demo = synthetic_models(loaded)
    if demo:
        st.warning(tx("**Demonstration models, not for clinical use.** Trained on synthetic data: {names}. The "
                      "published equations are the clinical reference.",
                      "**Modèles de démonstration, pas d'usage clinique.** Entraînés sur des données synthétiques : "
                      "{names}. Les équations publiées sont la référence clinique.", names=", ".join(demo)),
                   icon="⚠️")
    elif not loaded:
        st.info(tx("No trained model is installed: model cards say so (run `risk train`); the published equations "
                   "are computed.",
                   "Aucun modèle entraîné n'est installé : les cartes des modèles l'indiquent (lancer `risk train`) ; "
                   "les équations publiées sont calculées."), icon="ℹ️")


# --- audit ---------------------------------------------------------------------------------------------


def current_user() -> str:
    with contextlib.suppress(Exception):  # st.user raises or is empty without an auth configuration
        if st.user.is_logged_in:
            return str(st.user.get("email") or st.user.get("name") or "logged-in")
    return "anonymous"


def log(action: str, patient_id: str | None = None, **details: Any) -> None:
    """`details`: what risk.audit.record also takes (models, shown: the model versions and what was displayed)."""
    s = settings()
    audit.record(action, patient_id=patient_id, user=current_user(), log=s.audit_log, key=s.audit_key, **details)


def log_once(action: str, patient_id: str | None, **details: Any) -> None:
    """One audit line per (action, patient) per session (a slider moved ten times is one 'what_if')."""
    seen = session_cache("audited")
    if (action, patient_id) not in seen:
        seen[(action, patient_id)] = True
        log(action, patient_id, **details)


# --- errors --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Show a RiskError as its one-line message (never a traceback), in the reader's language when it is coded."""
    try:
        yield
    except RiskError as exc:
        source = current_source()  # an upload lives in a server temp folder: name it as the user knows it
        st.error(error_text(exc, lang()).replace(source.location, source.label), icon=":material/error:")


def guarded(fn: Callable[[], None]) -> None:
    with user_errors():
        fn()
