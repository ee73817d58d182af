"""Clinician-facing risk dashboard library, one subpackage per stage of the data flow:

fhir -> terminology -> record -> features -> equations, models -> explain -> advise -> assess (one patient's
Assessment) -> panel (many patients), report (JSON, text, PDF, FHIR), with i18n for French and English and synth
for the synthetic training cohort. Importable without Streamlit (the pages live in risk.views). See README.md.
"""

__version__ = "0.1.0"
