"""The library behind the dashboard pages: audit, worklist, history, peers, lab units, French reasons, FHIR
RiskAssessment, PDF report, panel table, local calibration, what-if controls."""

from __future__ import annotations

import io
import json
import math
from datetime import date, timedelta

import pandas as pd
import pypdf
import pytest

from risk import audit
from risk.assess.history import input_trends, risk_history, visit_dates
from risk.assess.result import (
    Settings,
    changes_from_controls,
    current_risks,
    patient_result,
    rescore,
    whatif_controls,
)
from risk.equations.applicability import reference_scores
from risk.explain.peers import healthy_peer, icon_counts, n_in_100
from risk.explain.wording import factor_evidence, summary, trigger_text
from risk.features.build import build_features
from risk.fhir import open_source
from risk.fhir.directory import patient_directory
from risk.i18n.lab_units import is_identity, lab_units, value_text
from risk.i18n.messages import message_text
from risk.models.local_calibration import calibration_on_tables, local_calibration
from risk.panel.table import filter_panel, score_panel
from risk.panel.worklist import Worklist, WorklistError
from risk.record.load import iter_records
from risk.report.fhir import risk_assessment
from risk.report.pdf import report_pdf
from risk.terminology.messages import Message
from tests.app_fixtures import SAMPLES
from tests.synthetic_models import synthetic_tables

AS_OF = date(2026, 11, 28)
JP = "fr-jean-pierre-martin"  # type 2 diabetes, CKD 3, lipids in g/L (sample_fhir/README.md)


def record(pid: str):
    return next(iter_records(SAMPLES, pid))


@pytest.fixture(scope="module")
def jp(trained_models):
    return patient_result(record(JP), AS_OF, trained_models, Settings())


# --- audit ---------------------------------------------------------------------------------------------


def test_audit_line_holds_a_keyed_pseudonym_never_the_patient_id(tmp_path, monkeypatch):
    monkeypatch.delenv("RISK_AUDIT_KEY", raising=False)
    log = tmp_path / "audit.log"
    audit.record("view_patient", patient_id=JP, user="dr.house@example.org", log=log)
    audit.record("download_report_pdf", patient_id=JP, log=log)
    text = log.read_text(encoding="utf-8")
    assert JP not in text and "Martin" not in text
    lines = audit.read(log)
    assert [x["action"] for x in lines] == ["view_patient", "download_report_pdf"]
    assert lines[0]["user"] == "dr.house@example.org" and lines[1]["user"] == "anonymous"
    assert lines[0]["patient"] == lines[1]["patient"] == audit.pseudonym(JP, log=log)
    key_file = log.with_name("audit.log.key")
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("RISK_AUDIT_KEY", "another-key")
    assert audit.pseudonym(JP, log=log) != lines[0]["patient"]  # keyed: no key, no link back to the id


def test_audit_refuses_an_action_outside_its_vocabulary(tmp_path):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("viewed", patient_id=JP, log=tmp_path / "a.log")


# --- worklist ------------------------------------------------------------------------------------------


def test_worklist_status_survives_a_restart_and_keeps_its_history(tmp_path, monkeypatch):
    monkeypatch.setenv("RISK_AUDIT_LOG", str(tmp_path / "audit.log"))
    db = tmp_path / "wl.sqlite"
    Worklist(db).set_status("p1", "done", user="coordinator")
    Worklist(db).set_status("p2", "dismissed", reason="moved away")
    again = Worklist(db)  # a new process would open the same file
    st = again.statuses(["p1", "p2", "p3"])
    assert (st["p1"].status, st["p1"].user) == ("done", "coordinator")
    assert (st["p2"].status, st["p2"].reason) == ("dismissed", "moved away")
    assert st["p3"].status == "todo" and st["p3"].at is None
    again.set_status("p1", "todo")
    assert [s.status for s in again.history("p1")] == ["done", "todo"]
    assert b"p1" not in db.read_bytes()  # stored under the pseudonym


def test_worklist_dismissal_needs_a_reason_and_a_snooze_a_future_date_within_a_year(tmp_path, monkeypatch):
    monkeypatch.setenv("RISK_AUDIT_LOG", str(tmp_path / "audit.log"))
    wl = Worklist(tmp_path / "wl.sqlite")
    with pytest.raises(WorklistError, match="needs a reason"):
        wl.set_status("p", "dismissed", reason="  ")
    with pytest.raises(WorklistError, match="date after today"):
        wl.set_status("p", "snoozed", until=date.today())
    with pytest.raises(WorklistError, match="longer than 365 days"):
        wl.set_status("p", "snoozed", until=date.today() + timedelta(days=400))


def test_an_expired_snooze_reads_as_to_do_again(tmp_path, monkeypatch):
    monkeypatch.setenv("RISK_AUDIT_LOG", str(tmp_path / "audit.log"))
    wl = Worklist(tmp_path / "wl.sqlite")
    today = date(2026, 11, 28)
    wl.set_status("p", "snoozed", until=today + timedelta(days=30), today=today)
    assert wl.status("p", today=today + timedelta(days=29)).status == "snoozed"
    assert wl.status("p", today=today + timedelta(days=30)).status == "todo"


# --- trends and history --------------------------------------------------------------------------------


def test_risk_at_a_past_visit_uses_only_what_was_known_that_day(trained_models):
    r = record(JP)
    v = patient_result(r, AS_OF, trained_models, Settings()).assessment.view
    hist = risk_history(v.tables, JP, AS_OF, trained_models)
    days = visit_dates(v.tables, JP, AS_OF)
    assert list(hist.risks.index) == days and len(days) >= 3
    first = days[0]
    features = build_features(v.tables, first).iloc[0]
    expected = reference_scores(features.to_dict())["score2_diabetes"].risk
    assert hist.risks.loc[first, "score2_diabetes"] == pytest.approx(expected)
    model_then = trained_models["cvd10"].predict(features.to_frame().T.apply(pd.to_numeric, errors="coerce")).risk[0]
    assert hist.risks.loc[first, "cvd10"] == pytest.approx(model_then)
    assert hist.risks.loc[days[-1], "score2_diabetes"] != pytest.approx(expected)  # the risk moved over time


def test_input_trends_list_every_sbp_measured_up_to_the_index_date():
    r = record(JP)
    sbp = [m for m in r.measurements if m.concept == "sbp"]
    v = patient_result(r, AS_OF, {}, Settings()).assessment.view
    trend = input_trends(v.tables, JP, AS_OF)
    assert list(trend[trend["concept"] == "sbp"]["value"]) == [m.value for m in sbp]
    assert input_trends(v.tables, JP, date(2025, 1, 1)).query("concept == 'sbp'")["time"].max() < pd.Timestamp(
        "2025-01-02")


# --- risk communication ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("risk", "n"), [(0.0, 0), (0.004, 1), (0.124, 12), (0.125, 13), (0.999, 100)])
def test_risk_as_n_in_100_never_says_zero_for_a_non_zero_risk(risk, n):
    assert n_in_100(risk) == n


def test_icon_array_splits_events_into_peer_and_extra_and_always_shows_100_people():
    assert icon_counts(0.16, 0.11) == {"peer": 11, "extra": 5, "none": 84}
    assert icon_counts(0.05, 0.08) == {"peer": 5, "extra": 0, "none": 95}  # below the peer: no "extra" icon
    assert sum(icon_counts(0.33).values()) == 100


def test_healthy_peer_of_a_smoker_with_high_cholesterol_has_a_lower_score2_risk():
    r = record("fr-karim-benali")  # current smoker, LDL 1.98 g/L
    res = patient_result(r, AS_OF, {}, Settings())
    peers = healthy_peer(res.assessment.features_frame, {}, current_risks(res.assessment))
    assert peers["score2"].risk == pytest.approx(float(res.assessment.scores.equations["score2"].risk))
    assert peers["score2"].peer_risk < peers["score2"].risk
    assert peers["score2"].relative_risk > 1.5


# --- lab units and wording -----------------------------------------------------------------------------------


def test_values_are_shown_in_the_lab_unit_with_the_canonical_value_beside_them():
    units = lab_units(record(JP))
    assert units["ldl"].unit == "g/L" and not units["ldl"].canonical
    assert units["sbp"].canonical  # "mmHg" is mm[Hg] spelled differently: nothing to convert
    ldl = next(m for m in record(JP).measurements if m.concept == "ldl" and m.time.date() == date(2026, 9, 14))
    assert value_text("ldl", ldl.value, units["ldl"], "fr") == "1,05 g/L (2,72 mmol/L)"  # the lab printed 1.05
    assert value_text("ldl", ldl.value, units["ldl"], "en") == "1.05 g/L (2.72 mmol/L)"
    assert is_identity("sbp", "mmHg") and not is_identity("ldl", "g/L")


def test_inputs_table_flags_a_gL_cholesterol_as_converted_and_an_mmHg_pressure_as_not_converted(jp):
    rows = {r.concept: r for r in jp.assessment.view.inputs}
    assert rows["total_chol"].converted and rows["total_chol"].original_unit == "g/L"
    assert not rows["sbp"].converted and rows["sbp"].original_unit == "mmHg"


def test_factor_evidence_reads_in_french_with_lab_units_and_french_dates(jp):
    expl = jp.assessment.explanations["cvd10"]
    row = jp.assessment.view.features
    lipids = next(f for f in expl.factors if f.key == "lipids")
    text = " ".join(factor_evidence(lipids, expl, row, "fr", jp.units, limit=5))
    assert "g/L" in text and "14/09/2026" in text
    assert summary(expl, row, "fr", jp.units).startswith("Principaux facteurs : ")


def test_trigger_inputs_of_a_guideline_step_are_worded_per_language():
    egfr = trigger_text("egfr", 52.0, "mL/min/1.73 m²", date(2026, 9, 14), "fr")
    assert egfr == "DFGe 52 mL/min/1,73 m² (14/09/2026)"
    assert trigger_text("rx_sglt2_inhibitor", 0.0, "", None, "en") == "no SGLT2 inhibitor"
    assert trigger_text("diabetes_t2", 1.0, "", None, "fr") == "diabète de type 2"


@pytest.mark.parametrize(("message", "english", "french"), [
    (Message(code="model.not_installed", params={"model": "cvd10"}),
     "CVD 10 y model is not installed (run `risk train`)", "modèle MCV 10 ans non installé (lancer `risk train`)"),
    (Message(code="model.diabetes_only", params={"model": "retinopathy5"}),
     "Retinopathy 5 y applies to people with diabetes only",
     "Rétinopathie 5 ans ne s'applique qu'aux personnes diabétiques"),
    (Message(code="equation.missing_inputs", params={"equation": "prevent_cvd", "concepts": ["egfr"]}),
     "PREVENT 10-year total CVD: eGFR missing",
     "PREVENT maladie cardiovasculaire totale à 10 ans\u00a0: données manquantes (DFGe)"),
    (Message(code="equation.prior_conditions", params={"equation": "score2_op", "conditions": [
        Message(code="condition.recorded_on", params={"condition": "prior_hf", "date": date(2019, 4, 27)})]}),
     "SCORE2-OP not applicable: heart failure (2019-04-27)",
     "SCORE2-OP non applicable\u00a0: insuffisance cardiaque (27/04/2019)"),
    (Message(code="record.future_date", params={"concept": "total_chol", "date": date(2031, 1, 1)}),
     "Total cholesterol dated 2031-01-01 is in the future; not used",
     "Cholestérol total\u00a0: valeur datée du 01/01/2031, dans le futur\u202f; non prise en compte"),
])
def test_not_computed_reasons_read_in_french(message, english, french):
    assert message_text(message, "fr") == french
    assert message_text(message, "en") == english


# --- what-if controls --------------------------------------------------------------------------------


def test_what_if_sliders_start_at_the_patients_values_in_the_lab_units(jp):
    controls = {c.key: c for c in whatif_controls(jp.assessment.view.features, jp.units)}
    assert (controls["ldl"].unit, controls["ldl"].value, controls["ldl"].step) == ("g/L", 1.05, 0.01)
    assert (controls["sbp"].value, controls["hba1c"].value) == (154, 69)
    assert "smoking" not in controls  # a former smoker has nothing to stop
    untouched = {k: c.value for k, c in controls.items()}
    assert changes_from_controls(jp.assessment.view.features, untouched, jp.units) == {}


def test_lowering_ldl_on_the_slider_lowers_total_and_non_hdl_cholesterol_by_the_same_amount(jp):
    row = jp.assessment.view.features
    changes = changes_from_controls(row, {"ldl": 0.75}, jp.units)  # g/L
    drop = row["ldl"] - changes["ldl"]
    assert drop == pytest.approx(0.30 * 2.586, rel=1e-3)  # 0.30 g/L of cholesterol in mmol/L
    assert row["total_chol"] - changes["total_chol"] == pytest.approx(drop)
    assert row["non_hdl"] - changes["non_hdl"] == pytest.approx(drop)


def test_lower_sbp_lowers_every_published_equation_that_uses_it(jp, trained_models):
    after = rescore(jp.assessment, trained_models, {"sbp": 125.0, "sbp_mean3": 125.0})
    for name in ("score2_diabetes", "prevent_cvd", "prevent_ascvd"):
        assert after.equations[name] < jp.assessment.scores.equations[name].risk
    assert set(after.models) == {"cvd10", "retinopathy5"}


# --- outputs -----------------------------------------------------------------------------------------------


def test_fhir_risk_assessment_is_valid_r4_with_one_prediction_per_computed_score(jp):
    from fhir.resources.R4B.riskassessment import RiskAssessment

    doc = risk_assessment(jp.assessment, model_versions={"cvd10": "2026.11.28"}, synthetic_models=["cvd10"])
    RiskAssessment.model_validate(json.loads(json.dumps(doc)))  # raises on an invalid resource
    computed = [n for n, r in jp.assessment.scores.models.items() if r.risk is not None] + [
        n for n in ("score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd", "prevent_hf", "kfre_5y", "kfre_2y")
        if jp.assessment.scores.equations[n].risk is not None]
    assert len(doc["prediction"]) == len(computed)
    cvd = doc["prediction"][0]
    assert cvd["probabilityDecimal"] == round(jp.assessment.scores.models["cvd10"].risk, 4)
    assert cvd["whenRange"]["high"] == {"value": 10, "unit": "years", "system": "http://unitsofmeasure.org",
                                        "code": "a"}
    assert doc["subject"] == {"reference": f"Patient/{JP}"} and doc["status"] == "preliminary"
    bundle = json.loads((SAMPLES / f"{JP}.json").read_text(encoding="utf-8"))
    ids = {f"Observation/{e['resource']['id']}" for e in bundle["entry"]}
    assert doc["basis"] and {b["reference"] for b in doc["basis"]} <= ids
    assert any("hf10: hf10 model is not installed" in n["text"] for n in doc["note"])
    assert any("synthetic" in n["text"] for n in doc["note"])


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages).replace("\u202f", " ").replace("\u00a0", " ")


def test_printable_report_states_the_risk_as_n_in_100_with_the_plan_in_french_and_english(jp):
    n = n_in_100(jp.headline.risk)
    fr = _pdf_text(report_pdf(jp.assessment, lang="fr", peers=jp.peers, units=jp.units, synthetic_models=["cvd10"]))
    assert f"Sur 100 personnes comme vous, environ {n} auront" in fr.replace("\n", " ")
    assert "Jean-Pierre Martin" in fr and "MODÈLES DE DÉMONSTRATION" in fr
    assert "1,05 g/L (2,72 mmol/L) - 14/09/2026" in fr
    step = next(s for s in jp.assessment.next_steps if not s.already_done)
    assert f"{step.guideline} {step.year}" in fr.replace("\n", " ")
    en = _pdf_text(report_pdf(jp.assessment, lang="en", peers=jp.peers, units=jp.units))
    assert f"Out of 100 people like you, about {n} will have" in en.replace("\n", " ")
    assert "DEMONSTRATION" not in en
    assert "different ESC risk categories" not in en


def test_report_says_when_the_model_and_the_reference_equation_differ_in_risk_category(jp):
    from risk.advise.agreement import cvd_category_disagreement

    d = cvd_category_disagreement(age=64, model_risk=0.364, equations={"score2_diabetes": 0.169})
    fr = _pdf_text(report_pdf(jp.assessment, lang="fr", peers=jp.peers, units=jp.units, synthetic_models=["cvd10"],
                              disagreement=d)).replace("\n", " ")
    assert "SCORE2-Diabetes (16,9 %) classent ce patient dans des catégories de risque ESC différentes" in fr
    assert "la décision repose sur SCORE2-Diabetes" in fr


# --- panel, directory, calibration ------------------------------------------------------------------------


def test_sample_directory_lists_the_15_patients_with_names_without_building_records():
    entries = patient_directory(open_source(SAMPLES))
    assert len(entries) == 15 and all(e.name and e.birth_date and not e.problem for e in entries)
    assert {"Jean-Pierre Martin", "Karim Benali"} <= {e.name for e in entries}


def test_panel_ranks_by_risk_band_then_risk_and_filters_combine(trained_models):
    res = score_panel(iter_records(SAMPLES), trained_models, as_of=AS_OF)
    t = res.table
    assert len(t) == 15 and len(res.records) == 15
    ranks = {b: i for i, b in enumerate(("very_high", "high", "moderate", "low_moderate", "low", "unknown"))}
    order = [ranks[b] for b in t["band"]]
    assert order == sorted(order)
    assert t.set_index("patient_id").loc[JP, "band"] == "very_high"  # diabetes with UACR > 30 mg/mmol (ESC 2023)
    diabetic = filter_panel(t, conditions=["diabetes_any"])
    assert set(diabetic["patient_id"]) == {r.patient_id for r in res.records
                                            if any(d.concept.startswith("diabetes") for d in r.diagnoses)}
    women_over_60 = filter_panel(t, sexes=["female"], age=(60, 120))
    assert (women_over_60["sex"] == "female").all() and (women_over_60["age"] >= 60).all()
    gaps = filter_panel(t, care_gap_only=True)
    assert len(gaps) > 0 and (gaps["gap_en"] != "").all()


def test_local_calibration_compares_predicted_and_observed_when_outcomes_are_known(trained_models):
    result = calibration_on_tables(synthetic_tables(600, seed=3), "cvd10", trained_models["cvd10"])
    assert result.reason is None and result.events >= 10
    assert result.table["n"].sum() <= result.n and len(result.table) >= 3
    assert math.isclose(result.observed, result.mean_predicted, abs_tol=0.08)  # same world it was trained on


def test_local_calibration_on_the_15_samples_says_why_it_is_not_shown(trained_models):
    result = local_calibration(list(iter_records(SAMPLES)), "cvd10", trained_models["cvd10"])
    assert result.table is None
    assert "needs at least 100 patients" in result.reason and "demande au moins 100 patients" in result.reason_fr
