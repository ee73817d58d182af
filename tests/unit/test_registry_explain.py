"""Model artefacts are verified before loading; explanations are exact TreeSHAP and add up to the risk."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shap
import xgboost as xgb

from risk.errors import ExitCode, ModelError
from risk.explain.factors import explain_row, group_shapley_points
from risk.explain.wording import summary
from risk.models.registry import load_model
from risk.models.spec import MODEL_SPECS
from risk.models.train import TrainedModel, save

SPEC = MODEL_SPECS["cvd10"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A small booster on made-up data with cvd10's feature list, saved through the registry."""
    rng = np.random.default_rng(0)
    n = 2000
    x = pd.DataFrame(rng.normal(size=(n, len(SPEC.features))), columns=list(SPEC.features))
    x["age"] = rng.uniform(40, 89, n)
    x["sbp"] = rng.normal(135, 18, n)
    x.loc[rng.random(n) < 0.3, "ldl"] = np.nan  # missing values take the learned default direction
    logit = -4 + 0.06 * (x["age"] - 60) + 0.02 * (x["sbp"] - 135)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.1, "nthread": 1, "seed": 1}
    dm = xgb.DMatrix(x.to_numpy(), label=y, feature_names=list(SPEC.features), missing=np.nan)
    booster = xgb.train(params, dm, 40)
    members = [xgb.train({**params, "seed": s}, dm, 40) for s in (2, 3)]
    model = TrainedModel(spec=SPEC, booster=booster, ensemble=members, calibration=(0.1, 0.9),
                         features=list(SPEC.features), info={"rounds": 40})
    folder = save(model, tmp_path_factory.mktemp("models"), training_data={"synthetic": True}, metrics={},
                  card="# card\n")
    return folder, x


def test_a_saved_model_loads_and_predicts_with_an_interval(tiny_model):
    folder, x = tiny_model
    m = load_model(folder)
    p = m.predict(x.iloc[:50])
    assert np.all((p.low <= p.risk + 1e-12) & (p.risk <= p.high + 1e-12))
    assert np.all((p.risk > 0) & (p.risk < 1))


def test_a_booster_with_a_wrong_checksum_is_refused(tiny_model, tmp_path):
    folder, _ = tiny_model
    copy = tmp_path / "cvd10"
    copy.mkdir()
    for f in folder.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    doc = json.loads((copy / "booster.json").read_text())
    (copy / "booster.json").write_text(json.dumps(doc) + " ")  # one byte changed
    with pytest.raises(ModelError) as exc:
        load_model(copy)
    assert exc.value.code == ExitCode.MODEL_INTEGRITY
    assert "checksum mismatch" in exc.value.message and "booster.json" in exc.value.message


def test_a_model_folder_without_checksums_is_refused(tiny_model, tmp_path):
    folder, _ = tiny_model
    copy = tmp_path / "cvd10"
    copy.mkdir()
    for f in folder.iterdir():
        if f.name != "SHA256SUMS":
            (copy / f.name).write_bytes(f.read_bytes())
    with pytest.raises(ModelError, match="unverified"):
        load_model(copy)


def test_contributions_equal_shap_tree_explainer_before_grouping(tiny_model):
    folder, x = tiny_model
    m = load_model(folder)
    rows = x.iloc[:20]
    ours = m.contributions(rows)
    a, b = m.calibration
    explainer = shap.TreeExplainer(m.booster)
    theirs = explainer.shap_values(xgb.DMatrix(rows.to_numpy(), feature_names=m.features, missing=np.nan))
    np.testing.assert_allclose(ours[:, :-1], b * np.asarray(theirs), atol=1e-5)
    np.testing.assert_allclose(ours[:, -1], a + b * explainer.expected_value, atol=1e-5)


def test_grouped_factors_add_up_exactly_to_the_displayed_risk(tiny_model):
    folder, x = tiny_model
    m = load_model(folder)
    for i in range(25):
        row = x.iloc[[i]]
        e = explain_row(m, row)
        shown = float(m.predict(row).risk[0])
        assert e.risk == pytest.approx(shown, abs=1e-6)  # float32 TreeSHAP sums vs predict
        total = e.base_risk * 100 + sum(f.points for f in e.factors)
        assert total == pytest.approx(shown * 100, abs=0.1)
        assert total == pytest.approx(e.risk * 100, abs=1e-9)  # exact by construction (Shapley efficiency)


def test_group_shapley_is_the_linearised_effect_when_effects_are_small():
    bias, phi = -2.0, np.array([0.001, -0.002, 0.0005])
    p0 = 1 / (1 + np.exp(2.0))
    np.testing.assert_allclose(group_shapley_points(bias, phi), phi * p0 * (1 - p0), rtol=1e-2)


def test_summary_names_the_main_driver_with_its_value_and_date(tiny_model):
    folder, x = tiny_model
    m = load_model(folder)
    row = x.iloc[[0]].copy()
    row["age"], row["sbp"] = 85.0, 190.0
    row["sbp_date"] = pd.Timestamp("2024-05-02")
    e = explain_row(m, row)
    assert e.factors[0].points > 0 and e.factors[0] in e.drivers()
    en, fr = summary(e, row.iloc[0], "en"), summary(e, row.iloc[0], "fr")
    top = e.drivers()[0]
    assert en.startswith(f"Main drivers: {top.label_en} (+")
    assert "Systolic BP 190 mmHg (2 May 2024)" in en or "age 85" in en
    assert fr.startswith(f"Principaux facteurs : {top.label_fr} (+")
    assert "PA systolique 190 mmHg (02/05/2024)" in fr or "âge 85 ans" in fr
