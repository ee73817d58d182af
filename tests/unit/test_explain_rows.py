"""A micro-batch (several patients scored and explained together) gives each patient exactly what one patient alone
gets: explanations (risk.explain.factors.explain_rows) and scores (risk.assess.scores.score_models), on the sample
patients and on a synthetic cohort, with the shipped models."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from risk.assess.scores import score_models
from risk.explain.factors import explain_row, explain_rows
from risk.features.build import build_features, model_frames, row_frame
from risk.features.tables import tables_from_records
from risk.models.registry import LoadedModel, load_all
from risk.record.load import iter_records
from risk.synth import generate
from tests.paths import REPO, SAMPLES

AS_OF = date(2026, 12, 7)


@pytest.fixture(scope="module")
def shipped_models() -> dict[str, LoadedModel]:
    return load_all(REPO / "models")


@pytest.fixture(scope="module")
def sample_features() -> pd.DataFrame:
    records = [r for p in sorted(SAMPLES.glob("*.json*")) for r in iter_records(p)]
    return build_features(tables_from_records(records), AS_OF)


@pytest.fixture(scope="module")
def cohort_features(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = Path(tmp_path_factory.mktemp("cohort"))
    generate(n_patients=300, seed=11, out_dir=folder)
    return build_features(tables_from_records(list(iter_records(folder))), AS_OF)


def _one_by_one(model: LoadedModel, frame: pd.DataFrame) -> list:
    return [explain_row(model, frame.iloc[[i]]) for i in range(len(frame))]


def test_batch_explanations_of_the_sample_patients_equal_their_one_row_explanations(shipped_models, sample_features):
    frame = model_frames(sample_features)
    for model in shipped_models.values():
        batch = explain_rows(model, frame)
        assert len(batch) == len(frame)
        assert batch == _one_by_one(model, frame), model.name  # every factor, point and SHAP value, exactly


def test_batch_explanations_of_a_synthetic_cohort_equal_their_one_row_explanations(shipped_models, cohort_features):
    frame = model_frames(cohort_features)
    for name in ("cvd10", "hf10", "ckd5"):  # both anchors (SCORE2 family / PREVENT, BMI and smoking floors), none
        assert explain_rows(shipped_models[name], frame) == _one_by_one(shipped_models[name], frame), name


def test_a_batch_explanation_adds_up_to_the_risk_the_model_scores(shipped_models, cohort_features):
    frame = model_frames(cohort_features.iloc[:40])
    model = shipped_models["cvd10"]
    scored = model.predict(frame).risk
    for e, risk in zip(explain_rows(model, frame), scored, strict=True):
        assert e.risk == pytest.approx(float(risk), abs=1e-6)  # float32 TreeSHAP sums vs predict
        assert e.base_risk * 100 + sum(f.points for f in e.factors) == pytest.approx(e.risk * 100, abs=1e-9)


def test_explaining_no_patient_gives_no_explanation(shipped_models, sample_features):
    assert explain_rows(shipped_models["cvd10"], model_frames(sample_features).iloc[:0]) == []


def test_scores_of_a_batch_equal_each_patients_scores_alone(shipped_models, cohort_features, sample_features):
    for features in (sample_features, cohort_features.iloc[:64]):
        batch = score_models(model_frames(features), shipped_models)
        for i in range(len(features)):
            alone = score_models(row_frame(features.iloc[i]), shipped_models)
            assert {name: results[i] for name, results in batch.items()} == {
                name: results[0] for name, results in alone.items()}


def test_model_frames_equal_one_row_frames(sample_features):
    frames = model_frames(sample_features)
    for i in range(len(sample_features)):
        pd.testing.assert_frame_equal(frames.iloc[[i]], row_frame(sample_features.iloc[i]), check_exact=True)
