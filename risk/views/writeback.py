"""The write-back control of the patient page: only on the clinician's explicit click, only for a FHIR server
source, never while the record is partial; the server's ids, or its refusal in words, are shown."""

from __future__ import annotations

import streamlit as st

from risk.assess.assessment import Assessment
from risk.i18n.labels import pick
from risk.i18n.messages import message_text
from risk.report.writeback import WriteBackRefused, done_message, refusal, write_back
from risk.views.session import current_source, lang, log, tx
from risk.views.smart_launch import holder


def write_back_section(a: Assessment, report_lang: str) -> None:
    source = current_source()
    if source.kind != "server" or a.deceased:
        return
    st.subheader(tx("Write to the patient's record", "Enregistrer dans le dossier du patient"))
    if (reason := refusal(a)) is not None:
        st.warning(message_text(reason, lang()))
        return
    steps = {s.id: s for s in a.top_actions}
    accepted = st.multiselect(tx("Next steps to add as tasks", "Conduites à tenir à ajouter comme tâches"),
                              list(steps), format_func=lambda i: pick((steps[i].text_en, steps[i].text_fr), lang()),
                              key="writeback_steps")
    if not st.button(tx("Write the assessment to the record", "Enregistrer l'évaluation dans le dossier"),
                     key="writeback_button", icon=":material/save:"):
        return
    launch = holder()
    token = launch.tokens.access_token if launch is not None else st.session_state.get("fhir_token")
    try:
        result = write_back(source.location, a, token=token, lang=report_lang, accepted=[steps[i] for i in accepted])
    except WriteBackRefused as refused:
        st.error(message_text(refused.message, lang()))
        return
    log("write_back_risk_assessment", a.record.patient_id)
    st.success(message_text(done_message(result), lang()))

