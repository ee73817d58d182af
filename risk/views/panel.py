"""Panel page: score the sample set or a bulk export, rank, filter, keep a worklist, open a patient."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from risk.i18n.labels import EQUATION_SHORT, MODEL_SHORT, pick
from risk.panel.table import BAND_LABELS, BAND_ORDER, CONDITION_FILTERS, PanelResult, filter_panel, score_panel
from risk.panel.worklist import MAX_SNOOZE_DAYS, STATUSES, Worklist, WorklistError
from risk.record.load import iter_records
from risk.views.session import (
    PAGE_PATIENT,
    current_source,
    current_user,
    day,
    lang,
    log,
    model_banner,
    models,
    open_current,
    settings,
    store_panel,
    stored_panel,
    tx,
    user_errors,
)

NAME_WIDTH, AGE_WIDTH = 170, 60  # pixels; fixed so that the table reads the same on every screen
STATUS_LABELS = {"todo": ("to do", "à faire"), "done": ("done", "fait"), "snoozed": ("snoozed", "reporté"),
                 "dismissed": ("dismissed", "écarté")}


def ANY() -> str:  # noqa: N802 (a constant that depends on the language)
    return tx("Any", "Tous")


def fixed(labels: dict[str, tuple[str, str]]) -> Callable[[str], str]:
    """A format_func bound to the language of this run (Streamlit may call it outside the run)."""
    index = 1 if lang() == "fr" else 0
    return lambda key: labels[key][index]


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if lang() == "fr" else pair[0]


@st.cache_resource(show_spinner=False)
def _worklist(path: str, audit_log: str, audit_key: str | None) -> Worklist:
    # Holds paths only: each call opens its own SQLite connection.
    return Worklist(Path(path), audit_log=Path(audit_log), audit_key=audit_key)


def worklist() -> Worklist:
    s = settings()
    return _worklist(str(s.worklist_db), str(s.audit_log), s.audit_key)


def run_scoring(as_of: date) -> None:
    src = current_source()
    if src.kind == "server":
        st.warning(tx("A panel is scored from a bulk export ($export) folder or bundle files, not page by page from "
                      "a FHIR server: choose 'Bulk-export folder' in the sidebar.",
                      "Un panel se calcule depuis un dossier d'export bulk ($export) ou des fichiers bundle, pas "
                      "patient par patient depuis un serveur FHIR : choisissez « Dossier d'export bulk »."))
        return
    source = open_current()
    total = max(len(source.patient_ids()), 1)
    bar = st.progress(0.0, text=tx("Scoring...", "Calcul..."))

    def progress(n: int) -> None:
        bar.progress(min(n / total, 1.0), text=tx("Scored {n} of {t} patients", "{n} patients calculés sur {t}",
                                                    n=n, t=total))

    result = score_panel(iter_records(source), models(), as_of=as_of, guideline_set=settings().guideline_set,
                         region=settings().region, progress=progress)
    bar.empty()
    store_panel(result)
    log("score_panel")


def current_panel() -> PanelResult | None:
    return stored_panel()


def display_frame(table: pd.DataFrame) -> pd.DataFrame:
    fr = lang() == "fr"
    basis = {name: pick(label, lang()) for name, label in {**MODEL_SHORT, **EQUATION_SHORT}.items()} | {"": "—"}
    return pd.DataFrame({
        tx("Name", "Nom"): table["name"].where(table["name"] != "", table["patient_id"]),
        tx("Age", "Âge"): table["age"].astype(int),  # completed years
        tx("Sex", "Sexe"): table["sex"].map({"male": tx("M", "H"), "female": "F"}).fillna("?"),
        tx("10-y CVD risk (%)", "Risque CV 10 ans (%)"): (table["risk"] * 100).round(1),
        tx("Risk from", "Calculé par"): table["risk_basis"].map(basis).fillna("—"),
        tx("Risk band", "Catégorie"): table["band"].map(lambda b: _pick(BAND_LABELS.get(b, (b, b)))),
        tx("Top driver", "Facteur principal"): table["driver_fr" if fr else "driver_en"],
        tx("Care gap", "Examen en retard"): table["gap_fr" if fr else "gap_en"],
        tx("Conditions", "Antécédents"): table["conditions_fr" if fr else "conditions_en"],
        tx("Status", "Statut"): table["status_text"],
    })


def filters(table: pd.DataFrame) -> pd.DataFrame:
    with st.expander(tx("Filters", "Filtres"), expanded=True):
        c1, c2, c3 = st.columns(3)
        lo, hi = int(table["age"].min()), int(table["age"].max()) + 1
        age = c1.slider(tx("Age", "Âge"), min_value=lo, max_value=max(hi, lo + 1), value=(lo, max(hi, lo + 1)),
                        key="f_age")
        sexes = c1.multiselect(tx("Sex", "Sexe"), ["female", "male"], placeholder=ANY(), key=f"f_sex_{lang()}",
                               format_func=fixed({"male": ("male", "homme"), "female": ("female", "femme")}))
        bands = c2.multiselect(tx("Risk band", "Catégorie de risque"), list(BAND_ORDER), placeholder=ANY(),
                               key=f"f_band_{lang()}", format_func=fixed(BAND_LABELS))
        conditions = c2.multiselect(tx("Conditions (all of)", "Antécédents (tous)"), list(CONDITION_FILTERS),
                                    placeholder=ANY(),
                                    key=f"f_cond_{lang()}", format_func=fixed(CONDITION_FILTERS))
        gap_only = c3.checkbox(tx("Only patients with a care gap", "Seulement les patients avec un examen en retard"),
                               key="f_gap")
        statuses = c3.multiselect(tx("Worklist status", "Statut dans la liste de travail"), list(STATUSES),
                                  placeholder=ANY(),
                                  key=f"f_status_{lang()}", format_func=fixed(STATUS_LABELS))
    return filter_panel(table, age=age, sexes=sexes, bands=bands, conditions=conditions, care_gap_only=gap_only,
                        statuses=statuses)


def status_text(status) -> str:  # noqa: ANN001 (risk.panel.worklist.Status)
    text = _pick(STATUS_LABELS[status.status])
    if status.status == "snoozed" and status.until:
        text += " " + tx("until {d}", "jusqu'au {d}", d=day(status.until))
    if status.status == "dismissed" and status.reason:
        text += f" ({status.reason})"
    return text


def worklist_form(pid: str, name: str) -> None:
    wl = worklist()
    current = wl.status(pid)
    with st.form(f"wl_{pid}", clear_on_submit=False):
        st.markdown(tx("**Worklist** — {n}: currently *{s}*", "**Liste de travail** — {n} : actuellement *{s}*",
                       n=name, s=status_text(current)))
        status = st.radio(tx("Status", "Statut"), list(STATUSES), horizontal=True, key=f"wl_status_{pid}_{lang()}",
                          index=list(STATUSES).index(current.status), format_func=fixed(STATUS_LABELS))
        until = st.date_input(tx("Snoozed until", "Reporté jusqu'au"), value=date.today() + timedelta(days=30),
                              min_value=date.today() + timedelta(days=1),
                              max_value=date.today() + timedelta(days=MAX_SNOOZE_DAYS), key=f"wl_until_{pid}",
                              format="DD/MM/YYYY" if lang() == "fr" else "YYYY-MM-DD")
        reason = st.text_input(tx("Reason (required to dismiss)", "Motif (obligatoire pour écarter)"),
                               key=f"wl_reason_{pid}")
        if st.form_submit_button(tx("Save", "Enregistrer")):
            try:
                wl.set_status(pid, status, until=until if status == "snoozed" else None, reason=reason,
                              user=current_user())
            except WorklistError as exc:
                st.error(exc.message)
                return
            log("worklist_status", pid)
            st.success(tx("Saved.", "Enregistré."))
            st.rerun()


def page() -> None:
    loaded = models()
    model_banner(loaded)
    st.title(tx("Panel", "Patientèle"))
    with user_errors():
        src = current_source()
        st.caption(tx("Source: {s}", "Source : {s}", s=src.label))
        c1, c2 = st.columns([1, 3])
        as_of = c1.date_input(tx("Assessment date", "Date d'évaluation"), value=date.today(), max_value=date.today(),
                              format="DD/MM/YYYY" if lang() == "fr" else "YYYY-MM-DD", key="panel_as_of")
        panel = current_panel()
        if c2.button(tx("Score the panel", "Calculer le panel"), type="primary", key="score_panel") or (
                panel is None and src.kind == "sample"):
            run_scoring(as_of)
            panel = current_panel()
        if panel is None:
            st.info(tx("Press 'Score the panel' to rank the patients of this source.",
                       "Cliquez sur « Calculer le panel » pour classer les patients de cette source."))
            return
        table = panel.table.copy()
        if table.empty:
            st.info(tx("No patient in this source.", "Aucun patient dans cette source."))
            return
        statuses = worklist().statuses(list(table["patient_id"]))
        table["status"] = [statuses[p].status for p in table["patient_id"]]
        table["status_text"] = [status_text(statuses[p]) for p in table["patient_id"]]
        counts = table["band"].value_counts()
        cols = st.columns(len(BAND_ORDER) + 1)
        cols[0].metric(tx("Patients", "Patients"), len(table))
        if panel.deceased:
            st.caption(tx("{n} deceased patients are not scored, ranked or put on the worklist.",
                          "{n} patients décédés ne sont ni évalués, ni classés, ni mis en liste de suivi.",
                          n=panel.deceased))
        for col, band in zip(cols[1:], BAND_ORDER, strict=True):
            col.metric(_pick(BAND_LABELS[band]).capitalize(), int(counts.get(band, 0)))
        shown = filters(table).reset_index(drop=True)
        st.caption(tx("{n} of {t} patients shown, highest risk first. Click a row to open the worklist card and the "
                      "patient.", "{n} patients affichés sur {t}, risque le plus élevé en premier. Cliquez sur une "
                      "ligne pour la fiche de suivi et le dossier.", n=len(shown), t=len(table)))
        event = st.dataframe(display_frame(shown), key="panel_table", on_select="rerun", selection_mode="single-row",
                             hide_index=True, width="stretch", column_config={
                                 tx("Name", "Nom"): st.column_config.TextColumn(width=NAME_WIDTH),
                                 tx("Age", "Âge"): st.column_config.NumberColumn(width=AGE_WIDTH),
                                 tx("10-y CVD risk (%)", "Risque CV 10 ans (%)"): st.column_config.ProgressColumn(
                                     format="%.1f", min_value=0, max_value=50)})
        csv = display_frame(shown).to_csv(index=False).encode("utf-8-sig")
        st.download_button(tx("Export CSV", "Exporter en CSV"), data=csv, file_name=f"panel-{as_of.isoformat()}.csv",
                           mime="text/csv", key="panel_csv", on_click=lambda: log("export_panel_csv"))
        rows = event.selection.rows if event is not None else []
        if rows and rows[0] < len(shown):
            sel = shown.iloc[rows[0]]
            pid, name = str(sel["patient_id"]), str(sel["name"] or sel["patient_id"])
            if st.button(tx("Open {n}", "Ouvrir {n}", n=name), type="primary", key="open_patient"):
                log("open_from_panel", pid)
                st.switch_page(PAGE_PATIENT, query_params={"patient": pid})
            worklist_form(pid, name)


if __name__ == "__main__":
    page()
