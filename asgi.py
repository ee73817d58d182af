"""The dashboard with its SMART App Launch routes, served on one origin: `streamlit run asgi.py` or
`uvicorn asgi:app` (plain `streamlit run app.py` is the same app without EHR launch)."""

import streamlit as st

from risk.views.smart_launch import routes

app = st.App("app.py", routes=routes())
