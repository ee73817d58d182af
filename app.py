"""Entry point: `streamlit run app.py`. Declares the pages and the shared sidebar; the pages live in risk/views/."""

import streamlit as st

from risk.views.session import PAGE_ABOUT, PAGE_MODELS, PAGE_PANEL, PAGE_PATIENT, tx
from risk.views.shell import language_toggle, source_chooser
from risk.views.smart_launch import claim

st.set_page_config(page_title="Risque CV / CV risk", page_icon=":material/favorite:", layout="wide")
language_toggle()
claim()  # opened from the EHR (SMART launch, asgi.py): this session's source and patient
pages = [
    st.Page(PAGE_PATIENT, title=tx("Patient", "Patient"), icon=":material/person:", default=True),
    st.Page(PAGE_PANEL, title=tx("Panel", "Patientèle"), icon=":material/groups:", url_path="panel"),
    st.Page(PAGE_MODELS, title=tx("Models", "Modèles"), icon=":material/monitoring:", url_path="models"),
    st.Page(PAGE_ABOUT, title=tx("About", "À propos"), icon=":material/info:", url_path="about"),
]
page = st.navigation(pages)
source_chooser()
page.run()
