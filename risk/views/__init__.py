"""Streamlit pages: thin layouts of what `risk` computes (no clinical logic here).

Each page is a file (`patient.py`, `panel.py`, `models.py`, `about.py`) that `app.py` registers with
`st.navigation`; the file defines `page()` and runs it when Streamlit executes the file. The folder is not called
`pages/`, which would switch Streamlit back to its legacy file-based navigation.
"""
