"""Patient page: choose a patient (or open `/?patient=ID`), then see the risks, why, what if, and the plan."""

from __future__ import annotations

from datetime import date

import streamlit as st

from risk.assess.result import PatientResult, patient_result
from risk.fhir.directory import Entry, patient_directory
from risk.errors import ExitCode, RecordError
from risk.i18n.labels import SEX, key_conditions, pick, treatments
from risk.record import PatientRecord
from risk.record.load import iter_records
from risk.views import patient_sections as sections
from risk.views.session import (
    current_source,
    day,
    lang,
    log_once,
    model_banner,
    models,
    open_current,
    session_cache,
    settings,
    tx,
    user_errors,
)


def _directory() -> list:
    cache = session_cache("directory")
    key = current_source().key
    if key not in cache:
        with st.spinner(tx("Reading the list of patients...", "Lecture de la liste des patients...")):
            cache[key] = patient_directory(open_current())
    return cache[key]


def _entry_label(e: Entry) -> str:
    if e.problem:
        return f"{e.patient_id} — {e.problem}"
    sex = pick(SEX.get(e.sex or "", ("?", "?")), lang())
    return f"{e.name or e.patient_id} — {sex}, {day(e.birth_date)}"


def choose_patient(shown: str | None) -> str | None:
    """The patient list (or an id field for a server); a choice other than `shown` (the URL's patient) goes
    into the URL and reruns."""
    wanted = st.query_params.get("patient")
    if current_source().kind == "server":
        pid = st.text_input(tx("Patient id on the FHIR server", "Identifiant du patient sur le serveur FHIR"),
                            value=wanted or "", key="patient_id_input").strip()
        chosen = pid or None
    else:
        by_id = {e.patient_id: e for e in _directory()}
        labels = {pid: _entry_label(e) for pid, e in by_id.items()}  # formatted now, in this run's language

        ids = list(by_id)
        if len(ids) == 1 and shown is None and not by_id[ids[0]].problem:  # an uploaded bundle: open it
            st.query_params["patient"] = ids[0]
            st.rerun()
        chosen = st.selectbox(tx("Patient", "Patient"), ids, index=ids.index(shown) if shown in by_id else None,
                              format_func=labels.__getitem__, key=f"patient_select_{lang()}",
                              placeholder=tx("Choose a patient...", "Choisir un patient..."))
    if chosen and chosen != shown:
        st.query_params["patient"] = chosen
        st.rerun()
    return chosen


def load_record(pid: str) -> PatientRecord:
    cache = session_cache("records")
    key = (current_source().key, pid)
    if key not in cache:
        cache[key] = next(iter_records(open_current(), pid))
    return cache[key]


def load_result(record: PatientRecord, as_of: date, loaded: dict) -> PatientResult:
    cache = session_cache("assessments")
    key = (current_source().key, record.patient_id, as_of, tuple(sorted(loaded)))
    if key not in cache:
        if len(cache) > 20:  # bounded: a long session does not keep every patient ever opened
            cache.pop(next(iter(cache)))
        cache[key] = patient_result(record, as_of, loaded, settings())
    return cache[key]


def header(record: PatientRecord, result: PatientResult) -> None:
    row = result.assessment.view.features
    sex = pick(SEX.get(record.sex, (record.sex, record.sex)), lang())
    st.title(record.name or record.patient_id)
    st.caption(tx("{sex}, {age} years (born {born}) · id {pid} · source {src}",
                  "{sex}, {age} ans (né(e) le {born}) · id {pid} · source {src}", sex=sex,
                  age=str(int(record.age_on(result.assessment.view.as_of))), born=day(record.birth_date),
                  pid=record.patient_id, src=current_source().label))
    conds, meds = key_conditions(row, lang()), treatments(row, lang())
    st.markdown(tx("**Conditions:** ", "**Antécédents :** ") + (" ".join(f":red-badge[{c}]" for c in conds)
                                                                  or tx("none recorded", "aucun enregistré")))
    st.markdown(tx("**Treatments:** ", "**Traitements :** ") + (" ".join(f":blue-badge[{m}]" for m in meds)
                                                                or tx("none recorded", "aucun enregistré")))


TABS = (("why", "Why this risk", "Pourquoi ce risque"), ("what_if", "What if", "Et si"),
        ("plan", "Plan", "Conduite à tenir"), ("data", "Data used", "Données utilisées"),
        ("trends", "Trends", "Évolution"), ("report", "Report and export", "Compte rendu et export"))


def show_patient(record: PatientRecord, loaded: dict) -> None:
    # The date widget is drawn after the cards, in its place in the sidebar: its JavaScript loads on first use
    # and would hold the first risk back (benchmarks/app.py). Its value is in session_state before it is drawn.
    date_slot = st.sidebar.empty()
    as_of = st.session_state.get("as_of") or date.today()
    result = load_result(record, as_of, loaded)
    log_once("view_patient", record.patient_id)
    header(record, result)
    sections.score_cards(result)
    date_slot.date_input(tx("Assessment date", "Date d'évaluation"), value=date.today(), max_value=date.today(),
                         format="DD/MM/YYYY" if lang() == "fr" else "YYYY-MM-DD", key="as_of")
    # Only the open tab runs (st.tabs tracks its state): the risk shows sooner and a slider moves faster.
    tabs = dict(zip([k for k, _, _ in TABS], st.tabs([tx(en, fr) for _, en, fr in TABS], key=f"patient_tab_{lang()}",
                                                       on_change="rerun"), strict=True))
    render = {"why": lambda: (sections.explanation(result), sections.peer_comparison(result)),
              "what_if": lambda: sections.what_if(result, loaded), "plan": lambda: sections.plan(result),
              "data": lambda: sections.inputs(result), "trends": lambda: sections.trends(result, loaded),
              "report": lambda: sections.downloads(result, loaded)}
    for key, tab in tabs.items():
        if tab.open:
            with tab:
                render[key]()


def page() -> None:
    loaded = models()
    model_banner(loaded)
    picker = st.container()  # filled last: the patient list is read after the risk is on screen
    wanted = st.query_params.get("patient")
    record = None
    with user_errors():
        if wanted:
            try:
                record = load_record(wanted)
            except RecordError as exc:
                if exc.code != ExitCode.PATIENT_NOT_FOUND:
                    raise  # e.g. no usable birth date: user_errors shows the library's message
                st.error(tx("Patient {p} is not in the current data source ({s}).",
                            "Le patient {p} n'est pas dans la source de données actuelle ({s}).", p=wanted,
                            s=current_source().label))
        if record is not None:
            show_patient(record, loaded)
    with picker, user_errors():
        chosen = choose_patient(wanted)  # compared with the URL: a patient that failed to load does not loop
        if record is None and not chosen:
            st.info(tx("Choose a patient to see the risk assessment.",
                       "Choisissez un patient pour voir l'évaluation du risque."))


if __name__ == "__main__":
    page()
