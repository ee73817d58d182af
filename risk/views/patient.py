"""Patient page: choose a patient (or open `/?patient=ID`), then see the risks, why, what if, and the plan."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from risk.assess.assessment import Assessment, assess
from risk.assess.completeness import DIAGNOSIS_TYPES, MEDICATION_TYPES, not_read
from risk.assess.snapshot import snapshot
from risk.cds.card import shown as audit_shown
from risk.errors import ExitCode, RecordError
from risk.fhir.directory import Entry, patient_directory
from risk.i18n.labels import CATEGORY_BASIS, EQUATION_SHORT, MODEL_SHORT, SEX, key_conditions, pick, treatments
from risk.i18n.messages import error_text, tr
from risk.panel.table import BAND_LABELS, score_panel
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
    store_panel,
    stored_panel,
    tx,
    user_errors,
)
from risk.views.smart_launch import holder, launched_patient

# The landing list scores every patient of the source; a larger source is a job for the Panel page.
LANDING_MAX_PATIENTS = 200


def _directory() -> list:
    cache = session_cache("directory")
    key = current_source().key
    if key not in cache:
        with st.spinner(tx("Reading the list of patients...", "Lecture de la liste des patients...")):
            cache[key] = patient_directory(open_current())
    return cache[key]


def _entry_label(e: Entry) -> str:
    if e.problem:
        return f"{e.patient_id} — {error_text(e.problem, lang())}"
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


def load_assessment(record: PatientRecord, as_of: date, loaded: dict) -> Assessment:
    cache = session_cache("assessments")
    key = (current_source().key, record.patient_id, as_of, tuple(sorted(loaded)))
    if key not in cache:
        if len(cache) > 20:  # bounded: a long session does not keep every patient ever opened
            cache.pop(next(iter(cache)))
        s = settings()
        cache[key] = assess(snapshot(record, as_of), loaded, region=s.region, guideline_set=s.guideline_set)
    return cache[key]


def header(record: PatientRecord, a: Assessment) -> None:
    row = a.features
    sex = pick(SEX.get(record.sex, (record.sex, record.sex)), lang())
    launch = holder()
    if launch is None or launch.tokens.need_patient_banner:  # the EHR may show its own patient banner
        st.title(record.name or record.patient_id)
    else:
        st.subheader(record.name or record.patient_id)
    if launch is not None:
        st.caption(tr("smart.launched", lang(), patient=record.patient_id))
    st.caption(tx("{sex}, {age} years (born {born}) · id {pid} · source {src}",
                  "{sex}, {age} ans (né(e) le {born}) · id {pid} · source {src}", sex=sex,
                  age=str(a.age), born=day(record.birth_date),
                  pid=record.patient_id, src=current_source().label))
    conds, meds = key_conditions(row, lang()), treatments(row, lang())
    unread = tr("fetch.not_read", lang())  # a failed search is not "none recorded"
    no_conds = unread if not_read(a.fetch_gaps, DIAGNOSIS_TYPES) else tx("none recorded", "aucun enregistré")
    no_meds = unread if not_read(a.fetch_gaps, MEDICATION_TYPES) else tx("none recorded", "aucun enregistré")
    st.markdown(tx("**Conditions:** ", "**Antécédents :** ") + (" ".join(f":red-badge[{c}]" for c in conds)
                                                                  or no_conds))
    st.markdown(tx("**Treatments:** ", "**Traitements :** ") + (" ".join(f":blue-badge[{m}]" for m in meds)
                                                                or no_meds))


TABS = (("why", "Why this risk", "Pourquoi ce risque"), ("what_if", "What if", "Et si"),
        ("plan", "Plan", "Conduite à tenir"), ("data", "Data used", "Données utilisées"),
        ("trends", "Trends", "Évolution"), ("report", "Report and export", "Compte rendu et export"))


def show_patient(record: PatientRecord, loaded: dict) -> None:
    # The date widget is drawn after the cards, in its place in the sidebar: its JavaScript loads on first use
    # and would hold the first risk back (benchmarks/app.py). Its value is in session_state before it is drawn.
    date_slot = st.sidebar.empty()
    as_of = st.session_state.get("as_of") or date.today()
    a = load_assessment(record, as_of, loaded)
    log_once("view_patient", record.patient_id, models=a.model_versions, shown=audit_shown(a))
    header(record, a)
    sections.headline_strip(a)
    if not a.deceased:
        sections.score_cards(a)
    date_slot.date_input(tx("Assessment date", "Date d'évaluation"), value=date.today(), max_value=date.today(),
                         format="DD/MM/YYYY" if lang() == "fr" else "YYYY-MM-DD", key="as_of")
    if a.deceased:  # no score, step or gap: the banner and the data read, with their issues
        sections.inputs(a)
        return
    # Only the open tab runs (st.tabs tracks its state): the risk shows sooner and a slider moves faster.
    tabs = dict(zip([k for k, _, _ in TABS], st.tabs([tx(en, fr) for _, en, fr in TABS], key=f"patient_tab_{lang()}",
                                                       on_change="rerun"), strict=True))
    render = {"why": lambda: (sections.explanation(a), sections.peer_comparison(a)),
              "what_if": lambda: sections.what_if(a, loaded), "plan": lambda: sections.plan(a),
              "data": lambda: sections.inputs(a), "trends": lambda: sections.trends(a, loaded),
              "report": lambda: sections.downloads(a, loaded)}
    for key, tab in tabs.items():
        if tab.open:
            with tab:
                render[key]()


def _risk_from(name: str, category_basis: str, labels: dict[str, str]) -> str:
    """The score behind the headline risk, or what the category rests on when there is no figure."""
    if name in labels:
        return labels[name]
    basis = pick(CATEGORY_BASIS.get(category_basis, (category_basis, category_basis)), lang())
    return tx("— (category from {c})", "— (catégorie selon : {c})", c=basis)


def landing(loaded: dict) -> None:
    """The source's patients with their ESC category and headline risk (sortable), highest category first;
    a click opens the patient. Scored by the panel code path, so the list and the patient page agree."""
    src = current_source()
    if src.kind == "server":
        st.info(tx("Type a patient id to see the risk assessment.",
                   "Saisissez l'identifiant d'un patient pour voir l'évaluation du risque."))
        return
    ids = [e.patient_id for e in _directory() if not e.problem]
    if len(ids) > LANDING_MAX_PATIENTS:
        st.info(tx("{n} patients in this source: choose one above, or rank them on the Panel page.",
                   "{n} patients dans cette source : choisissez-en un ci-dessus, ou classez-les sur la page "
                   "Patientèle.", n=len(ids)))
        return
    panel = stored_panel()
    if panel is None or panel.as_of != date.today():
        with st.spinner(tx("Computing the risk of each patient...", "Calcul du risque de chaque patient...")):
            s = settings()
            panel = score_panel(iter_records(open_current()), loaded, as_of=date.today(),
                                guideline_set=s.guideline_set, region=s.region)
        store_panel(panel)
    table = panel.table
    if table.empty:
        st.info(tx("No patient in this source.", "Aucun patient dans cette source."))
        return
    st.markdown("##### " + tx("Patients of this source", "Patients de cette source"))
    labels = {n: pick(lab, lang()) for n, lab in {**MODEL_SHORT, **EQUATION_SHORT}.items()}
    shown = pd.DataFrame({
        tx("Name", "Nom"): table["name"].where(table["name"] != "", table["patient_id"]),
        tx("Age", "Âge"): table["age"].astype(int),
        tx("ESC risk category", "Catégorie de risque ESC"): table["band"].map(
            lambda b: pick(BAND_LABELS.get(b, (b, b)), lang())),
        tx("Headline risk (%)", "Risque principal (%)"): (table["risk"] * 100).round(1),
        tx("Risk from", "Calculé par"): [_risk_from(b, c, labels)
                                         for b, c in zip(table["risk_basis"], table["band_basis"], strict=True)],
        tx("Care gap", "Examen en retard"): table["gap_fr" if lang() == "fr" else "gap_en"],
    })
    event = st.dataframe(shown, key="landing_table", on_select="rerun", selection_mode="single-row",
                         hide_index=True, width="stretch")
    st.caption(tx("Highest category first; click a column to sort, a row to open the patient.",
                  "Catégorie la plus élevée en premier ; cliquez sur une colonne pour trier, sur une ligne pour "
                  "ouvrir le dossier."))
    rows = event.selection.rows if event is not None else []
    if rows and rows[0] < len(table):
        st.query_params["patient"] = str(table.iloc[rows[0]]["patient_id"])
        st.rerun()


def page() -> None:
    loaded = models()
    model_banner(loaded)
    picker = st.container()  # filled last: the patient list is read after the risk is on screen
    wanted = st.query_params.get("patient")
    record = None
    launched = launched_patient()
    if launched is not None and wanted and wanted != launched:  # one launch, one patient
        st.error(tr("smart.other_patient", lang()))
        return
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
            landing(loaded)


if __name__ == "__main__":
    page()
