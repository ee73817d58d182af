"""About page: intended purpose and disclaimer, data sources and licences, equations, privacy, software."""

from __future__ import annotations

from importlib import metadata

import streamlit as st

from risk import __version__
from risk.views.session import models, settings, tx

EQUATIONS = [
    ("SCORE2", "SCORE2 working group and ESC Cardiovascular risk collaboration. Eur Heart J 2021;42:2439-54."),
    ("SCORE2-OP", "SCORE2-OP working group and ESC Cardiovascular risk collaboration. Eur Heart J 2021;42:2455-67."),
    ("SCORE2-Diabetes", "SCORE2-Diabetes working group. Eur Heart J 2023;44:2544-56."),
    ("PREVENT", "Khan SS et al. Development and validation of the AHA PREVENT equations. Circulation "
                "2024;149:430-49."),
    ("KFRE", "Tangri N et al. JAMA 2011;305:1553-9; Tangri N et al. JAMA 2016;315:164-74 (multinational "
             "recalibration)."),
    ("CKD-EPI 2021", "Inker LA et al. New creatinine- and cystatin C-based equations to estimate GFR without race. "
                     "N Engl J Med 2021;385:1737-49."),
]
SOFTWARE = ("streamlit", "xgboost", "pandas", "numpy", "plotly", "fhirpy", "orjson", "pint", "fpdf2", "scikit-learn")


def page() -> None:
    st.title(tx("About", "À propos"))
    st.header(tx("Intended purpose", "Destination"))
    st.warning(tx(
        "Research and demonstration software. It is **not a certified medical device** (EU MDR 2017/745): it must not "
        "be used alone to make a diagnostic or treatment decision. A clinician reviews every result. The shipped "
        "models are trained on a synthetic cohort and are not validated for clinical use; the published equations "
        "(SCORE2 family, PREVENT, KFRE) are shown beside them as the clinical reference.",
        "Logiciel de recherche et de démonstration. Ce **n'est pas un dispositif médical certifié** (règlement UE "
        "2017/745) : il ne doit pas servir seul à une décision diagnostique ou thérapeutique. Un clinicien vérifie "
        "chaque résultat. Les modèles fournis sont entraînés sur une cohorte synthétique et ne sont pas validés pour "
        "l'usage clinique ; les équations publiées (famille SCORE2, PREVENT, KFRE) sont affichées à côté comme "
        "référence clinique."))
    st.markdown(tx(
        "Risk region: **{r}** (ESC SCORE2; France is a low-risk region). Guideline set: **{g}**.",
        "Région de risque : **{r}** (ESC SCORE2 ; la France est une région à bas risque). Recommandations : **{g}**.",
        r=tx(settings().region, {"low": "faible", "moderate": "modéré", "high": "élevé",
                                 "very_high": "très élevé"}.get(settings().region, settings().region)),
        g=settings().guideline_set))

    st.header(tx("Data sources and licences", "Sources de données et licences"))
    st.markdown(tx(
        "- **Sample patients** (`sample_fhir/`): nine synthetic Synthea patients from SMART Health IT's "
        "generated sample data (Apache-2.0, © 2018 Boston Children's Hospital) and six fictional French patients "
        "written for this project (Apache-2.0). No real patient.\n"
        "- **Code systems**: LOINC, SNOMED CT, ICD-10 / CIM-10, ATC and RxNorm codes are used as identifiers in "
        "value sets (see `risk/terminology/data`, with their sources).\n"
        "- **Models**: trained with `risk train` on the data named in each model card (Models page).",
        "- **Patients d'exemple** (`sample_fhir/`) : neuf patients synthétiques Synthea issus des données d'exemple "
        "de SMART Health IT (Apache-2.0, © 2018 Boston Children's Hospital) et six patients français fictifs écrits "
        "pour ce projet (Apache-2.0). Aucun patient réel.\n"
        "- **Terminologies** : codes LOINC, SNOMED CT, CIM-10, ATC et RxNorm utilisés comme identifiants dans les jeux "
        "de valeurs (voir `risk/terminology/data`, avec leurs sources).\n"
        "- **Modèles** : entraînés par `risk train` sur les données indiquées dans chaque fiche (page Modèles)."))
    loaded = models()
    if loaded:
        st.markdown(tx("Installed models:", "Modèles installés :"))
        for name, m in loaded.items():
            training = m.manifest.get("training", {})
            st.markdown(f"- **{name}** {m.manifest.get('version', '')}: {training.get('description', '')}"
                        + (tx(" (synthetic)", " (synthétique)") if m.manifest.get("synthetic") else ""))

    st.header(tx("Published equations", "Équations publiées"))
    for name, citation in EQUATIONS:
        st.markdown(f"- **{name}** — {citation}")

    st.header(tx("Privacy", "Confidentialité"))
    st.markdown(tx(
        "- Patient data stays in your browser session on this server and is dropped when the session ends; only the "
        "models are shared between users.\n"
        "- An audit log (`var/audit.log`) records who opened or downloaded what: time, user, a keyed pseudonym of "
        "the patient id and the action — no name and no value.\n"
        "- The worklist (`var/worklist.sqlite`) stores statuses under the same pseudonym.\n"
        "- A FHIR access token is kept in the session only, never written or logged. No usage statistics are sent.",
        "- Les données patient restent dans votre session sur ce serveur et disparaissent à la fin de la session ; "
        "seuls les modèles sont partagés entre utilisateurs.\n"
        "- Un journal d'audit (`var/audit.log`) trace qui a ouvert ou téléchargé quoi : heure, utilisateur, "
        "pseudonyme chiffré de l'identifiant patient et action — ni nom ni valeur.\n"
        "- La liste de travail (`var/worklist.sqlite`) enregistre les statuts sous le même pseudonyme.\n"
        "- Un jeton d'accès FHIR reste dans la session, jamais écrit ni journalisé. Aucune statistique d'usage "
        "n'est envoyée."))

    st.header(tx("Software", "Logiciel"))
    versions = []
    for pkg in SOFTWARE:
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            continue
    st.markdown(tx("risk dashboard {v} (Apache-2.0). Components: {c}.",
                   "risk dashboard {v} (Apache-2.0). Composants : {c}.", v=__version__, c=", ".join(versions)))


if __name__ == "__main__":
    page()
