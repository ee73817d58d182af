"""A model trained where the record carries nothing beyond the equation stays behind it (validation gate).

The cohort is tests/synthetic_models.synthetic_tables with its cardiovascular events redrawn from the anchor
equation itself (SCORE2 family, else PREVENT): the trees have nothing to learn, so cross-validation must keep
no trees or the gate must call the model a challenger; the patient page and the JSON then headline the equation.
The same model folder with a `primary` verdict (re-sealed) does lead: the check can fail.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from risk.assess.assessment import assess
from risk.assess.snapshot import snapshot
from risk.features.build import build_features
from risk.features.tables import Tables
from risk.models.anchor import ANCHORS, equation_table, first_applicable
from risk.models.card import model_card
from risk.models.gate import gate
from risk.models.pipeline import as_loaded, held_out_metrics
from risk.models.registry import load_all, write_checksums
from risk.models.spec import MODEL_SPECS
from risk.models.train import save, train, training_set
from risk.record.load import iter_records
from risk.report.json import assessment_json
from tests.app_fixtures import REPO, SAMPLES
from tests.synthetic_models import synthetic_tables

JP = "fr-jean-pierre-martin"
INDEX = date(2014, 6, 1)


def equation_world(n: int = 3000, seed: int = 23) -> Tables:
    """synthetic_tables with cardiovascular events drawn from the anchor equation's risk (nothing else)."""
    tables = synthetic_tables(n=n, seed=seed)
    features = build_features(tables, INDEX)
    risk, _ = first_applicable(equation_table(features), ANCHORS["cvd10"])
    risk = np.nan_to_num(risk, nan=0.05)
    rng = np.random.default_rng(seed)
    event = rng.random(len(risk)) < risk
    onset = pd.Timestamp(INDEX) + pd.to_timedelta(rng.integers(30, 3600, len(risk)), unit="D")
    pids = features.index.to_numpy()
    keep = tables.diagnoses[tables.diagnoses["concept"] != "myocardial_infarction"]
    mi = pd.DataFrame(
        {
            "patient_id": pids[event],
            "concept": "myocardial_infarction",
            "onset": onset[event],
            "resource_type": "Condition",
        }
    )
    return Tables(
        patients=tables.patients,
        measurements=tables.measurements,
        diagnoses=pd.concat([keep, mi], ignore_index=True),
        medications=tables.medications,
        encounters=tables.encounters,
    )


@pytest.fixture(scope="module")
def no_signal_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tables = equation_world()
    spec = MODEL_SPECS["cvd10"]
    ts = training_set(spec, tables, build_features(tables, INDEX), INDEX)
    model = train(ts, n_bootstrap=3)
    out = tmp_path_factory.mktemp("no-signal")
    metrics = held_out_metrics(as_loaded(model, out), ts)
    verdict = gate("cvd10", metrics)
    training = {**model.info, "n_bootstrap": 3, "synthetic": False, "description": "equation-only test cohort"}
    save(
        model,
        out,
        training_data=training,
        metrics=metrics,
        verdict=verdict,
        card=model_card(spec, training=training, metrics=metrics, verdict=verdict, anchor=model.anchor.as_manifest()),
    )
    return out, {"verdict": verdict, "rounds": model.info["rounds"]}


def _jp():
    return next(iter_records(SAMPLES, JP))


def test_without_signal_beyond_the_equation_the_model_is_the_equation_or_a_challenger(no_signal_model):
    folder, found = no_signal_model
    assert found["rounds"] == 0 or found["verdict"]["verdict"] == "challenger", found
    manifest = json.loads((folder / "cvd10" / "manifest.json").read_text())
    assert manifest["verdict"] == found["verdict"]["verdict"]
    assert manifest["headline_earned"] is (found["verdict"]["verdict"] == "primary")
    assert "Validation gate" in (folder / "cvd10" / "card.md").read_text()


def test_the_json_headline_is_the_equation_and_a_primary_model_would_lead(no_signal_model, tmp_path):
    folder, _ = no_signal_model
    models = load_all(folder)
    assert not models["cvd10"].synthetic  # the verdict, not the synthetic flag, keeps the model behind
    doc = assessment_json(assess(snapshot(_jp(), date(2026, 11, 28)), models))
    assert doc["headline"]["name"] == "score2_diabetes"
    # The same model with a primary verdict (re-sealed) leads: the headline does follow the gate.
    promoted = tmp_path / "cvd10"
    shutil.copytree(folder / "cvd10", promoted)
    manifest = json.loads((promoted / "manifest.json").read_text())
    manifest.update(verdict="primary", headline_earned=True)
    (promoted / "manifest.json").write_text(json.dumps(manifest))
    write_checksums(promoted)
    doc = assessment_json(assess(snapshot(_jp(), date(2026, 11, 28)), load_all(tmp_path)))
    assert doc["headline"]["name"] == "cvd10"


def test_the_patient_page_headlines_the_equation(no_signal_model, app_env, monkeypatch):
    folder, found = no_signal_model
    monkeypatch.setenv("RISK_MODELS_DIR", str(folder))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params["patient"] = JP
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    blocks = [m.value for m in at.markdown]
    strip = next(i for i, v in enumerate(blocks) if "Catégorie de risque ESC" in v)
    assert "SCORE2-Diabetes" in blocks[strip + 1]
    titles = [v for v in blocks if v.startswith("##### ")]
    assert titles.index("##### Équations publiées") < titles.index("##### Modèles (apprentissage automatique)")
    if found["verdict"]["verdict"] == "challenger" and found["verdict"]["delta_c"] is not None:
        assert any("n'est pas meilleur que SCORE2" in c.value for c in at.caption)


def test_the_models_page_shows_the_verdict_and_model_against_equation_on_the_same_rows(
    no_signal_model, app_env, monkeypatch
):
    folder, found = no_signal_model
    monkeypatch.setenv("RISK_MODELS_DIR", str(folder))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("risk/views/models.py").run()
    assert not at.exception, [e.value for e in at.exception]
    verdict = found["verdict"]["verdict"]
    shown = [b.value for b in (*at.success, *at.info)]
    assert any("Verdict" in v and f"{verdict}**" in v for v in shown), shown
    assert any("mêmes patients du jeu de test" in m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if "Score" in d.value.columns)
    assert {"model", "score2_family"} <= set(table["Score"])
    if found["rounds"] == 0:
        assert any("Pas d'arbres" in c.value for c in at.caption)
