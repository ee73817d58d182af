"""Clinician-facing risk dashboard library: FHIR -> record -> features -> models -> explain -> advise -> views.

Importable without Streamlit. See README.md and DESIGN notes in docs/.
"""

__version__ = "0.1.0"
