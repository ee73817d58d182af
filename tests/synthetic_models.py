"""Small throwaway models for the app tests, trained through the real `risk train` path on generated tables.

The shipped models are trained elsewhere (`risk synth` + `risk train`); the app tests must exercise the
"model installed" case (cards, intervals, factor chart, what-if) without depending on them. The cohort below is
a crude risk world (logistic hazards on age, sex, SBP, non-HDL, smoking, HbA1c): enough for a model with
non-degenerate predictions, nothing more. Its manifest says `synthetic: true`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from risk.features.build import build_features
from risk.features.tables import MEASUREMENT_COLUMNS, Tables, add_derived
from risk.models.card import model_card
from risk.models.evaluate import evaluate
from risk.models.pipeline import as_loaded
from risk.models.spec import MODEL_SPECS
from risk.models.train import save, train, training_set

YEARS = list(range(2004, 2025))


def synthetic_tables(n: int = 2500, seed: int = 11) -> Tables:
    rng = np.random.default_rng(seed)
    pids = [f"syn{i:05d}" for i in range(n)]
    birth_year = rng.integers(1935, 1975, n)
    male = rng.random(n) < 0.5
    diabetic = rng.random(n) < 0.3
    smoker = rng.random(n) < 0.25
    sbp0 = rng.normal(135, 15, n)
    tc0 = rng.normal(5.5, 0.9, n)
    hdl0 = rng.normal(1.35, 0.3, n).clip(0.6, 2.5)
    hba0 = np.where(diabetic, rng.normal(60, 10, n), rng.normal(37, 3, n))
    bmi0 = rng.normal(27, 4, n)
    rows = []
    for y in YEARS:
        t = pd.Timestamp(f"{y}-03-15")
        drift = (y - 2004) * 0.4
        for concept, base, sd in (("sbp", sbp0 + drift, 6), ("total_chol", tc0, 0.3), ("hdl", hdl0, 0.08),
                                  ("hba1c", hba0 + drift * 0.5, 2), ("bmi", bmi0, 0.5),
                                  ("creatinine", np.full(n, 80.0), 8)):
            vals = base + rng.normal(0, sd, n)
            rows.append(pd.DataFrame({"patient_id": pids, "concept": concept, "value": vals, "time": t,
                                      "derived": False}))
        rows.append(pd.DataFrame({"patient_id": pids, "concept": "dbp", "value": sbp0 * 0.6, "time": t,
                                  "derived": False}))
        rows.append(pd.DataFrame({"patient_id": pids, "concept": "ldl", "value": tc0 - hdl0 - 0.7, "time": t,
                                  "derived": False}))
        rows.append(pd.DataFrame({"patient_id": pids, "concept": "smoking_status",
                                  "value": np.where(smoker, 2.0, 0.0), "time": t, "derived": False}))
    m = pd.concat(rows, ignore_index=True)[MEASUREMENT_COLUMNS]
    patients = pd.DataFrame({"sex": np.where(male, "male", "female"),
                             "birth_date": pd.to_datetime([f"{b}-06-01" for b in birth_year]),
                             "deceased": pd.NaT}, index=pd.Index(pids, name="patient_id"))
    m = add_derived(m, patients)
    age13 = 2015 - birth_year
    lp = (-3.4 + 0.075 * (age13 - 55) + 0.5 * male + 0.022 * (sbp0 - 130) + 0.35 * (tc0 - hdl0 - 4)
          + 0.7 * smoker + 0.6 * diabetic)
    p_cvd = 1 / (1 + np.exp(-lp))
    cvd = rng.random(n) < p_cvd
    p_ret = 1 / (1 + np.exp(-(-1.5 + 0.06 * (hba0 - 55))))
    ret = diabetic & (rng.random(n) < p_ret)
    diag = [pd.DataFrame({"patient_id": np.array(pids)[diabetic], "concept": "diabetes_type2",
                          "onset": pd.Timestamp("2003-01-01"), "resource_type": "Condition"})]
    when = pd.to_datetime("2015-07-01") + pd.to_timedelta(rng.integers(0, 3400, n), unit="D")
    diag.append(pd.DataFrame({"patient_id": np.array(pids)[cvd], "concept": "myocardial_infarction",
                              "onset": when[cvd], "resource_type": "Condition"}))
    diag.append(pd.DataFrame({"patient_id": np.array(pids)[ret], "concept": "diabetic_retinopathy",
                              "onset": when[ret], "resource_type": "Condition"}))
    d = pd.concat(diag, ignore_index=True)
    rx = pd.DataFrame({"patient_id": pd.Series(dtype=object), "concept": pd.Series(dtype=object),
                       "start": pd.Series(dtype="datetime64[ns]"), "end": pd.Series(dtype="datetime64[ns]")})
    enc = pd.DataFrame({"patient_id": pids * 2, "time": [pd.Timestamp("2012-01-10")] * n
                        + [pd.Timestamp("2025-06-10")] * n})
    return Tables(patients=patients, measurements=m, diagnoses=d, medications=rx, encounters=enc)


def train_throwaway_models(out: Path, *, names: tuple[str, ...] = ("cvd10", "retinopathy5")) -> Path:
    """Train `names` into `out` (one folder per model, checksummed); returns `out`.

    The index date is fixed (2014-06-01, follow-up to 2025-06) rather than `default_index_date`, which puts the
    index exactly one horizon before the last record so that nobody reaches the full horizon (see report).
    """
    tables = synthetic_tables()
    index_date = date(2014, 6, 1)
    feats = build_features(tables, index_date)
    for name in names:
        spec = MODEL_SPECS[name]
        ts = training_set(spec, tables, feats, index_date)
        model = train(ts, n_bootstrap=3)
        test = (ts.split == "test").to_numpy()
        loaded = as_loaded(model, Path(out))
        metrics = evaluate(features=ts.features[test], labels=ts.labels[test], targets=ts.targets[test],
                           predicted=loaded.predict(ts.features[test]).risk)
        training = {**model.info, "n_bootstrap": 3, "synthetic": True,
                    "description": "throwaway test cohort (tests/synthetic_models.py)"}
        save(model, Path(out), training_data=training, metrics=metrics,
             card=model_card(spec, training=training, metrics=metrics))
    return Path(out)


if __name__ == "__main__":  # python -m tests.synthetic_models OUT_DIR
    import sys

    train_throwaway_models(Path(sys.argv[1]))
