"""The sidebar every page shares: language and data source."""

from __future__ import annotations

import re

import streamlit as st

from risk.views.session import (
    SourceChoice,
    current_source,
    lang,
    sample_source,
    session_dir,
    set_source,
    settings,
    tx,
)

SOURCE_KINDS = ("sample", "upload", "server", "bulk")


def _persist(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


def language_toggle() -> None:
    """The choice lives in session_state["lang"], not in the widget's own state: Streamlit drops a widget's
    state when a page switch interrupts a run, and the language must survive opening a patient from the panel.
    Widgets whose option labels depend on the language carry the language in their key: a keyed widget keeps
    its first labels otherwise (seen in chromium with Streamlit 1.67)."""
    options = {"fr": "Français", "en": "English"}
    current = lang()  # default from RISK_LANG
    st.sidebar.radio("Langue / Language", list(options), index=list(options).index(current),
                     format_func=options.__getitem__, key="lang_choice", horizontal=True,
                     on_change=_persist, args=("lang_choice", "lang"))


def _kind_label(kind: str) -> str:
    return {
        "sample": tx("Sample patients (synthetic)", "Patients d'exemple (synthétiques)"),
        "upload": tx("Upload a FHIR bundle", "Importer un bundle FHIR"),
        "server": tx("FHIR server", "Serveur FHIR"),
        "bulk": tx("Bulk-export folder (panel)", "Dossier d'export bulk (panel)"),
    }[kind]


def source_chooser() -> None:
    st.sidebar.subheader(tx("Data source", "Source des données"))
    current = current_source()
    if "source_kind" not in st.session_state:
        st.session_state["source_kind"] = current.kind
    labels = {k: _kind_label(k) for k in SOURCE_KINDS}  # formatted in this run's language
    st.sidebar.radio(tx("Read patients from", "Lire les patients depuis"), SOURCE_KINDS,
                     index=SOURCE_KINDS.index(st.session_state["source_kind"]), format_func=labels.__getitem__,
                     key=f"source_kind_choice_{lang()}", on_change=_persist,
                     args=(f"source_kind_choice_{lang()}", "source_kind"))
    kind = st.session_state["source_kind"]
    if kind == "sample":
        set_source(sample_source())
    elif kind == "upload":
        _upload()
    elif kind == "server":
        _server()
    else:
        _bulk()
    st.sidebar.caption(tx("Current source: {s}", "Source actuelle : {s}", s=current_source().label))


def _upload() -> None:
    limit = settings().upload_max_mb
    f = st.sidebar.file_uploader(tx("FHIR R4 bundle (.json, .json.gz), at most {n} MB",
                                    "Bundle FHIR R4 (.json, .json.gz), {n} Mo au plus", n=limit),
                                 type=["json", "gz"], key="upload_file")
    if f is None:
        return
    if f.size > limit * 1024 * 1024:
        st.sidebar.error(tx("The file is {size} MB; the limit is {n} MB.", "Le fichier fait {size} Mo ; la limite "
                            "est {n} Mo.", size=round(f.size / 1024 / 1024, 1), n=limit))
        return
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", f.name)[-80:] or "bundle.json"
    if not safe.endswith((".json", ".json.gz")):
        safe += ".json"
    path = session_dir() / safe
    if not path.exists() or path.stat().st_size != f.size:
        path.write_bytes(f.getvalue())
    set_source(SourceChoice(kind="upload", location=str(path), label=f.name))


def _server() -> None:
    with st.sidebar.form("server_form", clear_on_submit=True):
        url = st.text_input(tx("FHIR base URL", "URL de base FHIR"), placeholder="https://fhir.example.org/r4",
                            key="server_url")
        token = st.text_input(tx("Access token (optional, kept for this session only)",
                                 "Jeton d'accès (facultatif, gardé pour cette session seulement)"),
                              type="password", key="server_token_input")
        ok = st.form_submit_button(tx("Connect", "Se connecter"))
    if ok:
        if not re.match(r"^https?://[^\s]+$", url or ""):
            st.sidebar.error(tx("Give an http(s):// FHIR base URL.", "Indiquez une URL de base FHIR http(s)://."))
            return
        st.session_state["fhir_token"] = token or None
        set_source(SourceChoice(kind="server", location=url.rstrip("/"), label=url.rstrip("/")))
        st.session_state.pop("source_obj", None)


def _bulk() -> None:
    roots = ", ".join(str(r) for r in settings().bulk_roots)
    folder = st.sidebar.text_input(tx("Folder of *.ndjson[.gz] files (under {r})",
                                      "Dossier de fichiers *.ndjson[.gz] (sous {r})", r=roots), key="bulk_folder")
    if not folder:
        return
    allowed = settings().allowed_bulk_folder(folder)
    if allowed is None:
        st.sidebar.error(tx("This folder does not exist or is outside the allowed folders ({r}; set RISK_BULK_DIRS).",
                            "Ce dossier n'existe pas ou est hors des dossiers autorisés ({r} ; voir RISK_BULK_DIRS).",
                            r=roots))
        return
    set_source(SourceChoice(kind="bulk", location=str(allowed), label=allowed.name))
