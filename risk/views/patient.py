"""Patient page: choose a patient (or open `/?patient=ID`), then see the risks, why, what if, and the plan."""

from __future__ import annotations

from datetime import date

import streamlit as st

from risk.dashboard import PatientResult, patient_result
from risk.directory import patient_directory
from risk.labels import SEX, key_conditions, pick, treatments
from risk.record import PatientRecord
from risk.service import iter_records
from risk.views import patient_sections as sections
from risk.views.common import (
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


def choose_patient() -> str | None:
    wanted = st.query_params.get("patient")
    if current_source().kind == "server":
        pid = st.text_input(tx("Patient id on the FHIR server", "Identifiant du patient sur le serveur FHIR"),
                            value=wanted or "", key="patient_id_input").strip()
        if pid and pid != wanted:
            st.query_params["patient"] = pid
        return pid or None
    entries = _directory()
    by_id = {e.patient_id: e for e in entries}
    if wanted and wanted not in by_id:
        st.error(tx("Patient {p} is not in the current data source ({s}).",
                    "Le patient {p} n'est pas dans la source de données actuelle ({s}).", p=wanted,
                    s=current_source().label))
        wanted = None

    def label(pid: str) -> str:
        e = by_id[pid]
        if e.problem:
            return f"{pid} — {e.problem}"
        sex = pick(SEX.get(e.sex or "", ("?", "?")), lang())
        return f"{e.name or pid} — {sex}, {day(e.birth_date)}"

    chosen = st.selectbox(tx("Patient", "Patient"), list(by_id), index=list(by_id).index(wanted) if wanted else None,
                          format_func=label, key=f"patient_select_{lang()}",
                          placeholder=tx("Choose a patient...", "Choisir un patient..."))
    if chosen and chosen != st.query_params.get("patient"):
        st.query_params["patient"] = chosen
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


def page() -> None:
    loaded = models()
    model_banner(loaded)
    with user_errors():
        pid = choose_patient()
        if not pid:
            st.info(tx("Choose a patient to see the risk assessment.",
                       "Choisissez un patient pour voir l'évaluation du risque."))
            return
        record = load_record(pid)
        as_of = st.sidebar.date_input(tx("Assessment date", "Date d'évaluation"), value=date.today(),
                                      max_value=date.today(), format="DD/MM/YYYY" if lang() == "fr" else "YYYY-MM-DD",
                                      key="as_of")
        result = load_result(record, as_of, loaded)
        log_once("view_patient", pid)
        header(record, result)
        sections.score_cards(result)
        tabs = st.tabs([tx("Why this risk", "Pourquoi ce risque"), tx("What if", "Et si"),
                        tx("Plan", "Conduite à tenir"), tx("Data used", "Données utilisées"),
                        tx("Trends", "Évolution"), tx("Report and export", "Compte rendu et export")])
        with tabs[0]:
            sections.explanation(result)
            sections.peer_comparison(result)
        with tabs[1]:
            sections.what_if(result, loaded)
        with tabs[2]:
            sections.plan(result)
        with tabs[3]:
            sections.inputs(result)
        with tabs[4]:
            sections.trends(result, loaded)
        with tabs[5]:
            sections.downloads(result, loaded)


if __name__ == "__main__":
    page()
