"""What a batch assessment computes once and shares gives exactly what each piece computes on its own: the plain
features rows (risk.assess.snapshot.row_dicts), the Shapley split of many rows at once
(risk.explain.factors.group_shapley_points_rows), the anchor equations read from the equation cards
(risk.models.anchor.anchor_risks `known`) and the explanation's anchor risks taken from the scores
(risk.assess.scores.score_models_with_anchors). Bit for bit: a clinician's numbers must not move."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk.assess.scores import score_models_with_anchors
from risk.assess.snapshot import row_dicts
from risk.equations import reference_scores
from risk.explain.factors import explain_rows, group_shapley_points, group_shapley_points_rows
from risk.features.build import build_features, model_frames
from risk.features.tables import tables_from_records
from risk.models.anchor import ANCHORS, anchor_risks, object_rows
from risk.models.registry import LoadedModel, load_all
from risk.record.load import iter_records
from risk.synth import generate
from tests.paths import REPO, SAMPLES

AS_OF = date(2026, 12, 7)


@pytest.fixture(scope="module")
def shipped_models() -> dict[str, LoadedModel]:
    return load_all(REPO / "models")


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The sample patients and a small synthetic cohort (smokers, diabetes, BMI under 30, the old)."""
    folder = Path(tmp_path_factory.mktemp("cohort"))
    generate(n_patients=200, seed=7, out_dir=folder, progress=False)
    records = [r for p in sorted(SAMPLES.glob("*.json*")) for r in iter_records(p)] + list(iter_records(folder))
    return build_features(tables_from_records(records), AS_OF)


def _same_scalar(a: object, b: object) -> bool:
    """Same type and value (NaN and NaT equal to themselves), and the same unit for a Timestamp."""
    if type(a) is not type(b):
        return False
    if a is b or a == b:
        return getattr(a, "unit", None) == getattr(b, "unit", None)
    return a != a and b != b  # noqa: PLR0124 (NaN)


def test_plain_rows_are_each_rows_to_dict(features):
    rows = row_dicts(features)
    assert len(rows) == len(features)
    for i, row in enumerate(rows):
        expected = features.iloc[i].to_dict()
        assert list(row) == list(expected)
        assert all(_same_scalar(row[c], expected[c]) for c in expected), features.index[i]


@pytest.mark.parametrize("k", range(12))
def test_many_rows_split_exactly_as_each_row_alone(k):
    rng = np.random.default_rng(k)
    for scale in (0.01, 0.5, 3.0):
        n = 40
        logodds, bias = rng.normal(0, scale, (n, k)), rng.normal(-3, 1.5, n)
        together = group_shapley_points_rows(bias, logodds)
        assert together.shape == (n, k)
        for i in range(n):
            alone = group_shapley_points(float(bias[i]), logodds[i])
            assert together[i].tobytes() == alone.tobytes(), (k, scale, i)  # bit for bit


def test_anchor_risks_read_from_the_equation_cards_are_the_anchor_s_own(features):
    frame = model_frames(features)
    chains = list(ANCHORS.values())
    cards = [{n: math.nan if r.risk is None else r.risk for n, r in reference_scores(row, region="low").items()}
             for row in row_dicts(features)]
    own = anchor_risks(frame, chains, first_only=True)
    shared = anchor_risks(frame, chains, first_only=True, known=cards)
    for (p1, f1), (p2, f2) in zip(own, shared, strict=True):
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(f1, f2)


def test_explanations_from_the_scores_anchor_risks_are_the_explanations_alone(shipped_models, features):
    frame = model_frames(features)
    _, anchors = score_models_with_anchors(frame, shipped_models, rows=object_rows(frame))
    assert anchors, "the shipped cvd10 and hf10 are anchored"
    for name, table in anchors.items():
        rows = sorted(table.line)
        taken = table.take(rows)
        assert taken is not None
        alone = explain_rows(shipped_models[name], frame.iloc[rows])
        assert explain_rows(shipped_models[name], frame.iloc[rows], anchor_table=taken) == alone, name
