"""The Streamlit pages, headless (streamlit.testing.v1.AppTest): what a GP sees, in French and English."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from risk import audit
from risk.assess.assessment import assess
from risk.assess.snapshot import snapshot
from risk.explain.whatif import rescore
from risk.fhir import open_source
from risk.i18n import fmt_percent
from risk.i18n.labels import EQUATION_SHORT, MODEL_SHORT
from risk.models.registry import load_all, write_checksums
from risk.panel.table import filter_panel, score_panel
from risk.record.load import iter_records
from tests.app_fixtures import REPO, SAMPLES, SHARED

# Slow as a whole: every test re-runs app.py in AppTest (1-7 s each, 50-75 s for the file), which would double the
# development loop. The library behind the pages (tests/integration/test_whatif.py, test_report.py,
# test_panel_table.py...) stays in the loop; `pytest tests/integration/test_app.py` runs the pages alone.
pytestmark = pytest.mark.slow

MODEL_SHORT_FR = [v[1] for v in MODEL_SHORT.values()]
EQUATION_SHORT_FR = [EQUATION_SHORT[k][1] for k in ("score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd",
                                                     "prevent_hf", "kfre_5y", "kfre_2y")]
TAB_LABELS_FR = ["Pourquoi ce risque", "Et si", "Conduite à tenir", "Données utilisées", "Évolution",
                 "Compte rendu et export"]
TIMEOUT = 120  # first run imports xgboost/pandas and reads the samples
JP = "fr-jean-pierre-martin"
KARIM = "fr-karim-benali"  # sample with an implausible HDL and a cholesterol dated 2031 (sample_fhir/README.md)
SAMPLE_IDS = sorted(r.patient_id for r in iter_records(SAMPLES))


def app(**query: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def open_tab(at: AppTest, label: str, lang: str = "fr") -> AppTest:
    """Only the open tab of the patient page runs: open another one as a click would."""
    at.session_state[f"patient_tab_{lang}"] = label
    return at.run()


def frame(at: AppTest, column: str) -> pd.DataFrame:
    """The displayed table that has `column` (plain st.dataframe elements carry no key in AppTest)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a column {column!r}; tables: {[list(d.value.columns) for d in at.dataframe]}"
    return found[0]


CARD = re.compile(r"(?P<label>[^\n]+)\n\n### (?P<value>[^\n]+)")  # risk/views/patient_sections.card_markdown


def metrics(at: AppTest) -> dict[str, str]:
    """Risk cards (label -> displayed value) and st.metric elements."""
    cards = {m["label"]: m["value"] for md in at.markdown if (m := CARD.fullmatch(md.value))}
    return cards | {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def no_failure(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- patient page -----------------------------------------------------------------------------------------


def test_patient_in_the_url_opens_that_patient_with_sbp_value_date_and_lab_units(app_env):
    at = open_tab(app(patient=JP), "Données utilisées")
    no_failure(at)
    assert at.title[0].value == "Jean-Pierre Martin"
    inputs = frame(at, "Donnée").set_index("Donnée")
    assert inputs.loc["PA systolique", "Valeur"] == "154 mmHg"
    assert inputs.loc["PA systolique", "Date"] == "14/09/2026"
    assert inputs.loc["Cholestérol total", "Telle que transmise par le labo"] == "1,81 g/L"
    assert inputs.loc["Cholestérol total", "Valeur"] == "4,68 mmol/L"
    assert "converti" in inputs.loc["Cholestérol total", "Indicateurs"]
    assert "calculé" in inputs.loc["Cholestérol non-HDL", "Indicateurs"]
    assert inputs.loc["PA systolique", "Source"] == "Observation/6187efa1-bdbf-50ff-a137-531ce52b96ed"


def test_model_and_equation_cards_show_the_library_risks_with_the_model_interval(app_env, trained_models):
    at = app(patient=JP)
    expected = assess(snapshot(next(iter_records(SAMPLES, JP)), date.today()), trained_models)
    shown = metrics(at)
    cvd = expected.scores.models["cvd10"]
    assert shown["MCV 10 ans"] == fmt_percent(cvd.risk, "fr", 1)
    assert shown["SCORE2-Diabetes"] == fmt_percent(float(expected.scores.equations["score2_diabetes"].risk), "fr", 1)
    lo, hi = cvd.interval
    assert f"intervalle à 90\u202f% {fmt_percent(lo, 'fr', 1)} – {fmt_percent(hi, 'fr', 1)}" in captions(at)
    assert any("Modèles de démonstration, pas d'usage clinique" in w.value for w in at.warning)


def test_qrisk3_card_shows_its_risk_the_uk_derivation_and_the_french_assumptions(app_env, trained_models):
    at = app(patient=JP)
    no_failure(at)
    expected = assess(snapshot(next(iter_records(SAMPLES, JP)), date.today()), trained_models)
    q = expected.scores.equations["qrisk3"]
    assert q.risk is not None
    assert metrics(at)["QRISK3 10 ans (R.-U.)"] == fmt_percent(float(q.risk), "fr", 1)
    shown = captions(at)
    assert "dérivé et calibré au Royaume-Uni (QResearch, Angleterre)" in shown
    assert "SCORE2 reste la référence de l'ESC" in shown
    assert "origine ethnique non renseignée dans les dossiers français" in shown
    assert "pas de score de défavorisation de Townsend en France" in shown
    at.sidebar.radio(key="lang_choice").set_value("en").run()
    no_failure(at)
    assert metrics(at)["QRISK3 10 y (UK)"] == fmt_percent(float(q.risk), "en", 1)
    assert "derived and calibrated in the UK (QResearch, England)" in captions(at)


def test_an_earlier_assessment_date_rescores_the_cards_as_of_that_date(app_env, trained_models):
    at = app(patient=JP)
    past = date(2024, 6, 1)
    at.sidebar.date_input(key="as_of").set_value(past).run()
    no_failure(at)
    record = next(iter_records(SAMPLES, JP))
    then = assess(snapshot(record, past), trained_models).scores.models["cvd10"]
    now = assess(snapshot(record, date.today()), trained_models).scores.models["cvd10"]
    assert then.risk != now.risk  # the date matters for this patient (age, later measurements)
    assert metrics(at)["MCV 10 ans"] == fmt_percent(then.risk, "fr", 1)
    assert "homme, 61 ans (né(e) le 03/11/1962)" in captions(at)  # his age on that date, not today's


def test_a_model_and_its_reference_equation_in_different_risk_categories_are_flagged_in_words(
        app_env, trained_models_dir, tmp_path, monkeypatch):
    # An anchored cvd10 rarely leaves its equation's category on the samples: this copy is shifted up (calibration
    # intercept + 1.5 log-odds, re-sealed) so that some patients differ and others, at low risk, still agree.
    shutil.copytree(trained_models_dir / "cvd10", tmp_path / "cvd10")
    manifest = json.loads((tmp_path / "cvd10" / "manifest.json").read_text())
    manifest["calibration"]["a"] += 1.5
    (tmp_path / "cvd10" / "manifest.json").write_text(json.dumps(manifest))
    write_checksums(tmp_path / "cvd10")
    monkeypatch.setenv("RISK_MODELS_DIR", str(tmp_path))
    shifted = load_all(tmp_path)
    results = {pid: assess(snapshot(next(iter_records(SAMPLES, pid)), date.today()), shifted)
               for pid in SAMPLE_IDS}
    differing = [pid for pid, r in results.items() if r.disagreement is not None]
    agreeing = [pid for pid, r in results.items()
                if r.disagreement is None and r.scores.models["cvd10"].risk is not None]
    assert differing and agreeing  # the sample set has both cases with these models
    at = app(patient=differing[0])
    no_failure(at)
    expected = results[differing[0]].disagreement.text("fr", synthetic=True)
    assert expected in [w.value for w in at.warning]
    assert "classent ce patient dans des catégories de risque ESC différentes" in expected
    at = app(patient=agreeing[0])
    assert not any("catégories de risque ESC différentes" in w.value for w in at.warning)


def test_a_model_that_is_not_installed_says_why_it_is_not_computed(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("RISK_MODELS_DIR", str(tmp_path / "no-models"))
    at = app(patient=JP)
    no_failure(at)
    assert metrics(at)["MCV 10 ans"] == "—"
    assert "Non calculé car\u00a0: modèle MCV 10 ans non installé (lancer `risk train`)" in captions(at)
    assert "Aucun modèle entraîné n'est installé" in at.info[0].value
    assert metrics(at)["SCORE2-Diabetes"] != "—"  # the published equations do not need a trained model


def test_missing_egfr_and_bad_values_are_explained_not_hidden(app_env):
    at = app(patient=KARIM)
    at.sidebar.radio(key="lang_choice").set_value("en").run()
    open_tab(at, "Data used", "en")
    no_failure(at)
    assert metrics(at)["PREVENT CVD 10 y"] == "—"
    assert "Not computed because: PREVENT 10-year total CVD: eGFR missing" in captions(at)
    issues = frame(at, "Problem")
    assert set(issues["Problem"]) == {"implausible value", "date in the future"}
    assert any("HDL cholesterol 41 mmol/L is outside the plausible range" in d for d in issues["Detail"])


def test_language_switch_turns_labels_dates_and_numbers_to_english(app_env):
    at = app(patient=JP)
    assert "MCV 10 ans" in metrics(at) and [t.label for t in at.tabs][:2] == ["Pourquoi ce risque", "Et si"]
    at.sidebar.radio(key="lang_choice").set_value("en").run()
    no_failure(at)
    shown = metrics(at)
    assert "CVD 10 y" in shown and "MCV 10 ans" not in shown
    assert "." in shown["CVD 10 y"] and "," not in shown["CVD 10 y"]
    assert [t.label for t in at.tabs][:2] == ["Why this risk", "What if"]
    inputs = frame(open_tab(at, "Data used", "en"), "Input").set_index("Input")
    assert inputs.loc["Systolic BP", "Date"] == "14 Sep 2026"
    assert inputs.loc["LDL cholesterol", "As reported by the lab"] == "1.05 g/L"


def test_choosing_a_patient_in_the_list_puts_it_in_the_url(app_env):
    at = app()
    assert any("Catégorie de risque ESC" in d.value.columns for d in at.dataframe)  # the landing list, no blank page
    options = at.selectbox(key="patient_select_fr").options  # "Name — sex, birth date", by family name
    families = [o.split(" — ")[0].split()[-1] for o in options]
    assert len(options) == 15 and families == sorted(families)
    at.selectbox(key="patient_select_fr").set_value(KARIM).run()
    no_failure(at)
    assert at.query_params["patient"] == KARIM
    assert at.title[0].value == "Karim Benali"


def test_an_unknown_patient_in_the_url_is_reported_in_words(app_env):
    at = app(patient="no-such-patient")
    assert not at.exception
    assert "Le patient no-such-patient n'est pas dans la source de données actuelle" in at.error[0].value


def test_moving_the_sbp_slider_rescores_models_and_equations_live(app_env, trained_models):
    at = open_tab(app(patient=JP), "Et si")
    before = frame(at, "Avec les changements").set_index("Résultat")
    assert (before["Variation"] == "=").all()
    at.slider(key=f"wi_sbp_{JP}").set_value(120).run()
    no_failure(at)
    after = frame(at, "Avec les changements").set_index("Résultat")
    res = assess(snapshot(next(iter_records(SAMPLES, JP)), date.today()), trained_models)
    expected = rescore(res.snapshot.frame, trained_models, {"sbp": 120.0, "sbp_mean3": 120.0},
                       model_names=["cvd10", "retinopathy5"], equation_names=list(res.shown_equations))
    assert after.loc["MCV 10 ans", "Avec les changements"] == fmt_percent(expected.models["cvd10"][0], "fr", 1)
    assert after.loc["SCORE2-Diabetes", "Avec les changements"] == fmt_percent(
        expected.equations["score2_diabetes"], "fr", 1)
    assert after.loc["SCORE2-Diabetes", "Variation"].startswith("−")  # a lower SBP lowers SCORE2-Diabetes


def test_stopping_smoking_in_what_if_lowers_score2_for_a_current_smoker(app_env):
    at = open_tab(app(patient=KARIM), "Et si")
    at.toggle(key=f"wi_smoking_{KARIM}").set_value(True).run()
    no_failure(at)
    table = frame(at, "Avec les changements").set_index("Résultat")
    assert table.loc["SCORE2 / SCORE2-OP", "Variation"].startswith("−")
    assert table.loc["MCV 10 ans", "Avec les changements"] != table.loc["MCV 10 ans", "Actuel"]


def test_plan_tab_lists_guideline_steps_with_class_and_level(app_env):
    at = open_tab(app(patient=JP), "Conduite à tenir")
    text = "\n".join(m.value for m in at.markdown) + captions(at)
    assert "Catégorie de risque : très élevé" in text.replace("\u00a0", " ")
    assert "ESC 2023 CVD in diabetes 2023 — classe I, niveau A" in text
    assert "DFGe 52 mL/min/1,73 m² (14/09/2026)" in text  # the inputs behind a step, with their date
    assert "Fond d'œil" in text  # care gap: no retinal exam on file


def test_healthy_peer_and_n_in_100_are_shown(app_env):
    at = app(patient=JP)
    shown = metrics(at)
    assert shown["Personne sans facteur de risque, même âge et sexe"].endswith("sur 100")
    assert shown["Risque relatif"].startswith("×")
    assert any("sur 100** personnes comme ce patient" in m.value for m in at.markdown)


def test_viewing_a_patient_is_audited_under_a_pseudonym(app_env):
    app(patient=JP)
    lines = audit.read(app_env / "audit.log")
    assert {"action": "view_patient", "user": "anonymous"}.items() <= lines[0].items()
    assert lines[0]["patient"] == audit.pseudonym(JP, log=app_env / "audit.log")
    raw = (app_env / "audit.log").read_text(encoding="utf-8")
    assert JP not in raw and "Martin" not in raw


@pytest.mark.parametrize("pid", SAMPLE_IDS)  # every sample through every tab in both languages: 20-35 s in all
def test_no_page_shows_an_exception_for_any_sample_patient(app_env, pid):
    at = app(patient=pid)
    no_failure(at)
    assert at.title[0].value  # the patient's name (or id)
    every = {*MODEL_SHORT_FR, *EQUATION_SHORT_FR}
    carded = set(metrics(at)) & every
    out_of_scope = {label for label in every if any(f"**{label}** —" in m.value for m in at.markdown)}
    assert carded | out_of_scope == every  # each model and equation: a card, or "not applicable" with its reason
    for label in TAB_LABELS_FR[1:]:  # only the open tab runs: open each one
        open_tab(at, label)
        no_failure(at)
    at.sidebar.radio(key="lang_choice").set_value("en").run()
    no_failure(at)


# --- panel -------------------------------------------------------------------------------------------------


def panel_app() -> AppTest:
    at = app()
    at.switch_page("risk/views/panel.py").run()
    no_failure(at)
    return at


def test_panel_scores_the_samples_and_ranks_them_by_band_then_risk(app_env, trained_models):
    at = panel_app()
    table = frame(at, "Catégorie")
    assert len(table) == 15
    expected = score_panel(iter_records(SAMPLES), trained_models, as_of=date.today()).table
    assert list(table["Nom"]) == list(expected["name"])
    assert table["Catégorie"].iloc[0] == "très élevé"
    assert metrics(at)["Patients"] == "15"


def test_panel_filters_restrict_the_rows(app_env, trained_models):
    at = panel_app()
    at.multiselect(key="f_cond_fr").set_value(["diabetes_any"]).run()
    table = frame(at, "Catégorie")
    expected = filter_panel(score_panel(iter_records(SAMPLES), trained_models, as_of=date.today()).table,
                            conditions=["diabetes_any"])
    assert list(table["Nom"]) == list(expected["name"]) and 0 < len(table) < 15
    assert all("diabète" in c for c in table["Antécédents"])
    at.multiselect(key="f_sex_fr").set_value(["female"]).run()
    assert set(frame(at, "Catégorie")["Sexe"]) <= {"F"}


def test_selecting_a_panel_row_opens_that_patient(app_env):
    at = panel_app()
    first = frame(at, "Nom")["Nom"].iloc[1]
    at.session_state["panel_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    at.button(key="open_patient").click().run()
    no_failure(at)
    assert at.title[0].value == first
    pid = at.query_params["patient"]
    assert next(iter_records(SAMPLES, pid)).name == first
    assert "open_from_panel" in [x["action"] for x in audit.read(app_env / "audit.log")]


def test_worklist_status_is_saved_and_survives_a_new_session(app_env):
    at = panel_app()
    name = frame(at, "Nom")["Nom"].iloc[0]
    at.session_state["panel_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    form_radio = next(r for r in at.radio if r.key and r.key.startswith("wl_status_"))
    pid = form_radio.key.removeprefix("wl_status_").removesuffix("_fr")
    form_radio.set_value("dismissed")
    at.button[-1].click().run()  # "Enregistrer" without a reason
    assert "needs a reason" in at.error[0].value
    at.radio(key=f"wl_status_{pid}_fr").set_value("dismissed")
    at.text_input(key=f"wl_reason_{pid}").set_value("suivi par un cardiologue")
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert not at.exception
    fresh = panel_app()  # a new browser session, same SQLite file
    row = frame(fresh, "Nom").set_index("Nom").loc[name]
    assert row["Statut"] == "écarté (suivi par un cardiologue)"
    assert (app_env / "worklist.sqlite").is_file()


def test_panel_from_a_bulk_export_folder_outside_the_allowed_roots_is_refused(app_env):
    at = app()
    at.sidebar.radio(key="source_kind_choice_fr").set_value("bulk").run()
    at.sidebar.text_input(key="bulk_folder").set_value(str(SAMPLES)).run()
    assert "hors des dossiers autorisés" in at.sidebar.error[0].value
    assert not at.exception


def test_a_broken_bulk_export_shows_its_error_message_not_a_traceback(app_env):
    folder = app_env / "bulk" / "broken"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text('{"resourceType": "Patient", "id": "p1"\n', encoding="utf-8")
    at = app()
    at.sidebar.radio(key="source_kind_choice_fr").set_value("bulk").run()
    at.sidebar.text_input(key="bulk_folder").set_value(str(folder)).run()
    assert not at.exception
    assert at.error and "Patient.ndjson" in at.error[0].value


@pytest.mark.skipif(not (SHARED / "fhir_samples" / "smart-sample-bulk-fhir-datasets" / "10-patients").is_dir(),
                    reason="shared bulk-export sample not present")
def test_panel_scores_a_bulk_export_folder(app_env, monkeypatch):
    bulk = SHARED / "fhir_samples" / "smart-sample-bulk-fhir-datasets" / "10-patients"
    monkeypatch.setenv("RISK_BULK_DIRS", str(bulk.parent))
    at = app()
    at.sidebar.radio(key="source_kind_choice_fr").set_value("bulk").run()
    at.sidebar.text_input(key="bulk_folder").set_value(str(bulk)).run()
    at.switch_page("risk/views/panel.py").run()
    at.button(key="score_panel").click().run()
    no_failure(at)
    # Three of the 13 Synthea patients have died: left out of the ranking and counted above it (issue 12)
    records = list(iter_records(bulk))
    dead = sum(r.deceased_by(date.today()) for r in records)
    assert len(records) == len(open_source(bulk).patient_ids()) and dead == 3
    assert len(frame(at, "Nom")) == len(records) - dead
    captions = [c.value for c in at.caption]
    assert "3 patients décédés ne sont ni évalués, ni classés, ni mis en liste de suivi." in captions


# --- models and about --------------------------------------------------------------------------------------


def test_models_page_shows_card_metrics_and_calibration_or_says_not_installed(app_env, trained_models):
    at = app()
    at.switch_page("risk/views/models.py").run()
    no_failure(at)
    metrics_table = frame(at, "Mesure").set_index("Mesure")
    cvd = trained_models["cvd10"].metrics["overall"]
    assert metrics_table.loc["Événements", "Valeur"] == str(cvd["events"])
    assert "Modèle non installé (lancer `risk train`)." in [w.value for w in at.warning]
    # The landing list scored the sample panel already: its local calibration is one click away.
    assert at.button(key="local_cvd10").label == "Vérifier la calibration sur le panel chargé"


def test_models_page_asks_for_a_panel_before_local_calibration(app_env):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("risk/views/models.py").run()
    no_failure(at)
    assert any("Calculez d'abord un panel" in i.value for i in at.info)


def test_local_calibration_on_the_sample_panel_says_why_it_is_not_shown(app_env):
    at = panel_app()
    at.switch_page("risk/views/models.py").run()
    at.button(key="local_cvd10").click().run()
    no_failure(at)
    assert any("la calibration locale demande au moins 100 patients" in i.value for i in at.info)


def test_about_page_states_the_intended_purpose_and_the_sample_data_licence(app_env):
    at = app()
    at.switch_page("risk/views/about.py").run()
    at.sidebar.radio(key="lang_choice").set_value("en").run()
    no_failure(at)
    assert any("not a certified medical device" in w.value for w in at.warning)
    text = "\n".join(m.value for m in at.markdown)
    assert "Apache-2.0, © 2018 Boston Children's Hospital" in text and "SCORE2-OP" in text


def test_streamlit_config_disables_usage_stats_and_error_details():
    import tomllib

    cfg = tomllib.loads(Path(REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["showErrorDetails"] == "none" and cfg["client"]["toolbarMode"] == "viewer"
    assert cfg["server"]["headless"] is True


@pytest.mark.server
def test_a_fhir_server_patient_opens_with_the_token_kept_out_of_the_page(app_env, fhir_server):
    bundle, pid = next(iter(fhir_server.loaded.items()))
    at = app()
    at.sidebar.radio(key="source_kind_choice_fr").set_value("server").run()
    at.sidebar.text_input(key="server_url").set_value(fhir_server.url)
    at.sidebar.text_input(key="server_token_input").set_value(fhir_server.token or "")
    next(b for b in at.sidebar.button if b.label == "Se connecter").click().run()
    at.text_input(key="patient_id_input").set_value(pid).run()
    no_failure(at)
    expected = next(iter_records(bundle)).name
    assert at.title[0].value == expected
    assert at.query_params["patient"] == pid
    if fhir_server.token:  # only the password field itself holds it; never the page, the source, the audit log
        shown = "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.title, *at.info] if e.value)
        assert fhir_server.token not in shown
        assert fhir_server.token not in repr(at.session_state["source"])
        assert fhir_server.token not in (app_env / "audit.log").read_text(encoding="utf-8")


@pytest.mark.server
def test_a_wrong_server_token_shows_the_access_problem_in_words(app_env, fhir_server):
    if not fhir_server.token:
        pytest.skip("the test server requires no token")
    pid = next(iter(fhir_server.loaded.values()))
    at = app()
    at.sidebar.radio(key="source_kind_choice_fr").set_value("server").run()
    at.sidebar.text_input(key="server_url").set_value(fhir_server.url)
    at.sidebar.text_input(key="server_token_input").set_value("wrong-token")
    next(b for b in at.sidebar.button if b.label == "Se connecter").click().run()
    at.text_input(key="patient_id_input").set_value(pid).run()
    assert not at.exception
    assert at.error and "token" in at.error[0].value.lower()


def test_a_patient_without_a_birth_date_is_refused_in_the_reader_s_language(app_env):
    folder = app_env / "bulk" / "undated"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text('{"resourceType": "Patient", "id": "p1", "gender": "female"}\n',
                                           encoding="utf-8")
    at = app(patient="p1")
    at.sidebar.radio(key="source_kind_choice_fr").set_value("bulk").run()
    at.sidebar.text_input(key="bulk_folder").set_value(str(folder)).run()
    assert not at.exception
    assert any("Le patient p1 n'a pas de date de naissance utilisable" in e.value for e in at.error), \
        [e.value for e in at.error]
    (option,) = at.selectbox(key="patient_select_fr").options  # the patient list says why, in French too
    assert option.startswith("p1 — Le patient p1 n'a pas de date de naissance utilisable"), option
