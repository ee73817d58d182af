"""The shipped models on the sample patients: scores, exact explanations, what-if, advice, and `risk score`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shap
import xgboost as xgb

from risk.assess.assessment import assess
from risk.assess.snapshot import snapshot
from risk.cli import main
from risk.models.registry import load_all
from risk.panel.row import row_columns
from risk.record.load import iter_records
from risk.report.json import assessment_json

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_fhir"
AS_OF = date(2026, 11, 28)
MODEL_NAMES = ("cvd10", "hf10", "ckd5", "retinopathy5", "foot5")


@pytest.fixture(scope="module")
def models():
    found = load_all()
    assert set(found) == set(MODEL_NAMES), "the five shipped models must be installed in models/"
    return found


@pytest.fixture(scope="module")
def assessments(models):
    out = {}
    for path in sorted(SAMPLES.glob("*.json*")):
        for record in iter_records(path):
            out[record.patient_id] = assess(snapshot(record, AS_OF), models)
    return out


def test_every_model_is_computed_for_some_sample_patient(assessments):
    for name in MODEL_NAMES:
        assert any(a.scores.models[name].risk is not None for a in assessments.values()), name


def test_grouped_factors_sum_to_the_displayed_risk_for_every_sample_patient_and_model(assessments):
    checked = 0
    for a in assessments.values():
        for name, expl in a.explanations.items():
            shown = a.scores.models[name].risk * 100
            total = expl.base_risk * 100 + sum(f.points for f in expl.factors)
            assert total == pytest.approx(shown, abs=0.1), (a.snapshot.record.patient_id, name)
            checked += 1
    assert checked >= 15


def test_contributions_equal_shap_tree_explainer_for_every_model_on_the_samples(assessments, models):
    for name, model in models.items():
        frames = [a.snapshot.frame for a in assessments.values() if a.scores.models[name].risk is not None]
        if not frames:
            continue
        import pandas as pd

        x = pd.concat(frames)
        ours = model.contributions(x)
        a_cal, b_cal = model.calibration
        explainer = shap.TreeExplainer(model.booster)
        dm = xgb.DMatrix(x.reindex(columns=model.features).astype(float).to_numpy(), feature_names=model.features,
                         missing=np.nan)
        np.testing.assert_allclose(ours[:, :-1], b_cal * np.asarray(explainer.shap_values(dm)), atol=1e-4)


def test_stopping_smoking_lowers_every_model_and_equation_that_uses_smoking(assessments):
    smokers = [a for a in assessments.values() if a.snapshot.features.get("smoking_current") == 1]
    assert smokers, "the sample set must contain a current smoker"
    for a in smokers:
        scenario = next(w for w in a.what_if if w.scenario.key == "smoking")
        for name, (after, _, _) in scenario.models.items():
            assert after < a.scores.models[name].risk, name
        for name, after in scenario.equations.items():
            if name.startswith(("score2", "prevent")):
                assert after < a.scores.equations[name].risk, name


def test_a_patient_on_a_statin_is_not_offered_a_statin_again(assessments):
    treated = [a for a in assessments.values() if a.snapshot.features.get("on_statin") == 1]
    assert treated
    for a in treated:
        offered = [s for s in a.next_steps if s.id == "statin_start" and not s.already_done]
        assert not offered, a.snapshot.record.patient_id


def test_risk_score_json_has_the_published_shape():
    out = _run(["score", str(SAMPLES / "fr-jean-pierre-martin.json"), "--as-of", "2026-11-28", "--format", "json"])
    doc = json.loads(out)
    assert set(doc) >= {"patient_id", "as_of", "models", "equations", "inputs", "issues", "factors", "what_if",
                        "next_steps", "care_gaps", "alerts"}
    assert doc["patient_id"] == "fr-jean-pierre-martin" and doc["as_of"] == "2026-11-28"
    cvd = doc["models"]["cvd10"]
    assert 0 < cvd["risk"] < 1 and cvd["interval"][0] <= cvd["risk"] <= cvd["interval"][1]
    score2 = doc["equations"]["score2"]
    assert score2["risk"] is None and score2["status"] == "not_applicable"
    assert score2["reason"] == "SCORE2 not applicable: type 2 diabetes (SCORE2-Diabetes is used instead)"
    assert score2["reason_fr"].startswith("SCORE2 non applicable")
    assert 0.05 < doc["equations"]["score2_diabetes"]["risk"] < 0.5
    assert set(doc["equations"]) == {"score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd", "prevent_hf",
                                     "qrisk3", "kfre_5y", "kfre_2y"}
    # QRISK3 (issue 17): a comparator with its UK derivation and both French assumptions, in both languages.
    qrisk3 = doc["equations"]["qrisk3"]
    assert 0 < qrisk3["risk"] < 1 and qrisk3["status"] == "computed"
    assert qrisk3["warnings"][:3] == [
        "derived and calibrated in the UK (QResearch, England): a comparator; SCORE2 stays the ESC reference",
        "ethnicity is not recorded in French records: computed as 'not recorded' (scored as white)",
        "no Townsend deprivation score in France: 0 assumed (about the UK mean); no French index is mapped onto it"]
    assert qrisk3["warnings_fr"][1].startswith("origine ethnique non renseignée")
    # The headline is the guideline's equation (the shipped models are synthetic and have not earned it).
    assert doc["headline"]["name"] == "score2_diabetes"
    assert doc["headline"]["risk"] == doc["equations"]["score2_diabetes"]["risk"]


def test_risk_score_text_in_french_uses_french_wording_and_decimal_comma():
    out = _run(["score", str(SAMPLES / "fr-jean-pierre-martin.json"), "--as-of", "2026-11-28", "--lang", "fr"])
    assert "Prochaines étapes" in out and "Équations publiées" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("SCORE2-Diabetes"))
    assert line.split()[-2:] == ["16,9", "%"]  # decimal comma, narrow no-break space before %
    assert "Catégorie de risque ESC\u00a0: très élevé" in out.splitlines()[2]  # the headline strip comes first


def test_risk_panel_writes_one_row_per_patient(tmp_path, assessments):
    out = tmp_path / "scores.csv"
    _run(["panel", str(SAMPLES), "--out", str(out), "--as-of", "2026-11-28", "--quiet"])
    import pandas as pd

    df = pd.read_csv(out)
    assert list(df.columns) == row_columns()
    assert {*MODEL_NAMES, "score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd", "prevent_hf", "kfre_5y",
            "qrisk3", "risk", "risk_source", "esc_category", "factor_1", "care_gap", "next_steps",
            "n_issues"} <= set(df.columns)
    assert len(df) == len(list(SAMPLES.glob("*.json*")))
    jpm = df.set_index("patient_id").loc["fr-jean-pierre-martin"]
    assert np.isnan(jpm["score2"]) and 0 < jpm["score2_diabetes"] < 1 and 0 < jpm["cvd10"] < 1
    assert 0 < jpm["qrisk3"] < 1
    a = assessments["fr-jean-pierre-martin"]  # the panel row is the Assessment's
    assert jpm["risk_source"] == a.headline.name and jpm["risk"] == pytest.approx(a.headline.risk, abs=5e-7)
    assert jpm["esc_category"] == a.category.category and jpm["n_issues"] == len(a.issues)
    assert jpm["factor_1"] == (a.top_factors[0].key if a.top_factors else np.nan)
    assert jpm["next_steps"].split(";") == [s.id for s in a.top_actions]
    assert jpm["care_gap"] == next(g.id for g in a.care_gaps if not g.follow_up)


def _run(argv: list[str]) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    assert code == 0, buf.getvalue()
    return buf.getvalue()


def test_assessment_json_is_plain_json_and_matches_the_assessment_for_every_sample(assessments):
    for a in assessments.values():
        doc = assessment_json(a)
        assert json.loads(json.dumps(doc)) == doc  # no date, NaN or numpy value left for a default= to hide
        for name, r in a.scores.models.items():
            assert doc["models"][name]["risk"] == (None if r.risk is None else round(r.risk, 4))
            assert doc["models"][name]["status"] == r.status
        assert doc["headline"]["name"] == (a.headline.name if a.headline else None)


def test_comparisons_give_healthy_peer_relative_risk_n_in_100_and_risk_age():
    doc = json.loads(_run(["score", str(SAMPLES / "fr-karim-benali.json"), "--as-of", "2026-11-28",
                           "--format", "json"]))
    comp = doc["comparisons"]
    cvd = comp["models"]["cvd10"]
    assert cvd["n_in_100"] == round(doc["models"]["cvd10"]["risk"] * 100)
    assert 0 < cvd["healthy_peer_risk"] < doc["models"]["cvd10"]["risk"]  # smoker with LDL 5.1 mmol/L
    assert cvd["relative_risk"] == pytest.approx(doc["models"]["cvd10"]["risk"] / cvd["healthy_peer_risk"], rel=0.01)
    assert comp["score2_risk_age"] > 53  # a 53-year-old smoker with high cholesterol has an older risk age
