"""The shipped models are clinically coherent (issue 16, acceptance 1 and 5).

1. Over 2,000 generated patients and every shipped model: lowering SBP, LDL, HbA1c or BMI, or stopping smoking,
   never raises the risk (monotone constraints on the trees, treatment flags and former smoking kept out of them,
   and an anchor equation in which these factors only raise risk), and the grouped factors add up to the risk.
2. Jean-Pierre Martin (154/88 mmHg, treated): his blood pressure shows in the cvd10 factor chart with a positive
   contribution, and the what-if "Systolic BP 130 mmHg" lowers cvd10 (it raised it, 36.4 -> 38.8 %, before).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from risk.assess.assessment import assess
from risk.assess.snapshot import snapshot
from risk.explain.factors import explain_row
from risk.features.build import build_features
from risk.models.registry import load_all
from risk.models.spec import MODEL_SPECS, eligible_mask
from risk.record.load import iter_records
from tests.app_fixtures import REPO, SAMPLES
from tests.synthetic_models import synthetic_tables

N_PATIENTS = 2000
MODELS = load_all(REPO / "models")


# How far a factor is lowered, and the floor it is not lowered below: the treatment targets the what-if offers
# (ESC 2021: SBP 120-130 mmHg, LDL goals down to 1.4 mmol/L; HbA1c 53 mmol/mol; BMI 25, WHO). Below them the
# published equations leave their valid ranges (PREVENT: SBP >= 90, BMI >= 18.5) or turn J-shaped (PREVENT's
# SBP < 110 term), and lowering further is not a treatment anyone is offered.
LOWER = {"sbp": (20.0, 120.0), "ldl": (1.0, 1.4), "hba1c": (10.0, 53.0), "bmi": (3.0, 25.0)}


def _lower(f: pd.DataFrame, what: str) -> pd.DataFrame:
    """The same patients with one modifiable factor improved, as the what-if changes them (the lipid fractions
    move together, SBP with its 3-visit mean, a quitter becomes a former smoker)."""
    g = f.copy()
    if what == "smoking":
        g["smoking_current"] = 0.0
        g["smoking_former"] = np.where(f["smoking_current"] == 1, 1.0, f["smoking_former"])
        return g
    step, floor = LOWER[what]
    new = np.where(f[what] > floor, np.maximum(f[what] - step, floor), f[what])
    delta = f[what] - new
    g[what] = new
    if what == "sbp":
        g["sbp_mean3"] = np.minimum(f["sbp_mean3"], new)
    elif what == "ldl":
        for lipid in ("total_chol", "non_hdl"):
            if lipid in g:
                g[lipid] = f[lipid] - delta
    return g


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    tables = synthetic_tables(n=N_PATIENTS, seed=16)
    return build_features(tables, date(2024, 6, 1))


def test_there_are_shipped_models_to_check():
    assert {"cvd10", "hf10", "ckd5", "retinopathy5", "foot5"} <= set(MODELS)


# PREVENT-HF, hf10's anchor, is J-shaped in BMI below 30 kg/m2 (published coefficients); the anchor reads BMI below
# 30 as 30 (risk.models.anchor.anchor_floors), so losing weight never raises hf10.
CASES = [(name, what) for name in sorted(MODELS) for what in ("sbp", "ldl", "hba1c", "bmi", "smoking")]


@pytest.mark.parametrize(("name", "what"), CASES)
def test_lowering_a_modifiable_factor_never_raises_a_shipped_model(patients, name, what):
    model = MODELS[name]
    f = patients[eligible_mask(MODEL_SPECS[name], patients)]
    before = model.predict(f).risk
    after = model.predict(_lower(f, what)).risk
    assert len(f) >= 300  # retinopathy5 and foot5: the diabetic share of the 2,000
    raised = np.flatnonzero(after > before + 1e-9)
    assert raised.size == 0, (name, what, [(f.index[i], before[i], after[i]) for i in raised[:5]])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_grouped_factors_add_up_to_the_risk(patients, name):
    model = MODELS[name]
    predicted = model.predict(patients.iloc[:300]).risk
    for i in range(300):
        e = explain_row(model, patients.iloc[[i]])
        assert e.base_risk * 100 + sum(f.points for f in e.factors) == pytest.approx(predicted[i] * 100, abs=0.1)


@pytest.fixture(scope="module")
def jean_pierre():
    record = next(iter_records(SAMPLES, "fr-jean-pierre-martin"))
    return assess(snapshot(record, date(2026, 11, 28)), MODELS)


def test_jean_pierre_martin_blood_pressure_raises_cvd10_in_the_factor_chart(jean_pierre):
    factors = {f.key: f for f in jean_pierre.explanations["cvd10"].factors}
    assert factors["blood_pressure"].points > 0
    assert "sbp" in factors["blood_pressure"].features
    assert "treatments" not in factors or factors["treatments"].points < factors["blood_pressure"].points


def test_jean_pierre_martin_systolic_130_lowers_cvd10(jean_pierre):
    sbp = next(r for r in jean_pierre.what_if if r.scenario.key == "sbp")
    assert sbp.scenario.label_en == "Systolic BP 130 mmHg"
    now = jean_pierre.scores.models["cvd10"].risk
    assert sbp.models["cvd10"][0] < now
