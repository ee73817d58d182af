"""Outputs for a sample patient (risk.report): the FHIR RiskAssessment and the printable PDF report."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pypdf

from risk.assess.assessment import SHOWN_EQUATIONS
from risk.explain.peers import n_in_100
from risk.report.fhir import risk_assessment
from risk.report.pdf import report_pdf
from tests.app_fixtures import JP, SAMPLES


def test_fhir_risk_assessment_is_valid_r4_with_one_prediction_per_computed_score(jp):
    from fhir.resources.R4B.riskassessment import RiskAssessment

    doc = risk_assessment(replace(jp, model_versions={"cvd10": "2026.11.28"}, synthetic_models=("cvd10",)))
    RiskAssessment.model_validate(json.loads(json.dumps(doc)))  # raises on an invalid resource
    computed = [n for n, r in jp.scores.models.items() if r.risk is not None] + [
        n for n in SHOWN_EQUATIONS if jp.scores.equations[n].risk is not None]  # QRISK3 too (issue 17)
    assert "qrisk3" in computed
    qrisk3 = next(p for p in doc["prediction"] if p["rationale"].startswith("QRISK3 ("))
    assert "ethnicity is not recorded in French records" in qrisk3["rationale"]
    assert "no Townsend deprivation score in France: 0 assumed" in qrisk3["rationale"]
    assert len(doc["prediction"]) == len(computed)
    cvd = doc["prediction"][0]
    assert cvd["probabilityDecimal"] == round(jp.scores.models["cvd10"].risk, 4)
    assert cvd["whenRange"]["high"] == {"value": 10, "unit": "years", "system": "http://unitsofmeasure.org",
                                        "code": "a"}
    assert doc["subject"] == {"reference": f"Patient/{JP}"} and doc["status"] == "preliminary"
    bundle = json.loads((SAMPLES / f"{JP}.json").read_text(encoding="utf-8"))
    ids = {f"Observation/{e['resource']['id']}" for e in bundle["entry"]}
    assert doc["basis"] and {b["reference"] for b in doc["basis"]} <= ids
    assert any("hf10: Heart failure 10 y model is not installed (run `risk train`)" in n["text"] for n in doc["note"])
    assert any("model cvd10 version 2026.11.28" in p["rationale"] for p in doc["prediction"])
    assert any("synthetic" in n["text"] for n in doc["note"])


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages).replace("\u202f", " ").replace("\u00a0", " ")


def test_printable_report_states_the_risk_as_n_in_100_with_the_plan_in_french_and_english(jp):
    n = n_in_100(jp.headline.risk)
    fr = _pdf_text(report_pdf(jp, lang="fr"))
    assert f"Sur 100 personnes comme vous, environ {n} auront" in fr.replace("\n", " ")
    assert "Jean-Pierre Martin" in fr and "MODÈLES DE DÉMONSTRATION" in fr
    assert "1,05 g/L (2,72 mmol/L) - 14/09/2026" in fr
    step = next(s for s in jp.next_steps if not s.already_done)
    assert f"{step.guideline} {step.year}" in fr.replace("\n", " ")
    en = _pdf_text(report_pdf(replace(jp, synthetic_models=()), lang="en"))
    assert f"Out of 100 people like you, about {n} will have" in en.replace("\n", " ")
    assert "DEMONSTRATION" not in en
    assert "different ESC risk categories" not in en


def test_report_says_when_the_model_and_the_reference_equation_differ_in_risk_category(jp):
    from risk.advise.agreement import cvd_category_disagreement

    d = cvd_category_disagreement(age=64, model_risk=0.364, equations={"score2_diabetes": 0.169})
    fr = _pdf_text(report_pdf(replace(jp, disagreement=d), lang="fr")).replace("\n", " ")
    assert "SCORE2-Diabetes (16,9 %) classent ce patient dans des catégories de risque ESC différentes" in fr
    assert "la décision repose sur SCORE2-Diabetes" in fr
