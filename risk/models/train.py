"""Training: IPCW-weighted gradient boosting, recalibration, bootstrap ensemble, saved with checksums.

Why weighted classification and not `survival:cox`: the quantity shown to a GP is the cumulative incidence of a
first event within the horizon, with death from other causes as a competing event. Inverse-probability-of-
censoring weighting of a binary target estimates exactly that (Vock et al., J Biomed Inform 2016), gives a
probability without a separate baseline-hazard step, and keeps TreeSHAP additive on the log-odds scale. A
cause-specific Cox model would treat competing deaths as censoring and overestimate risk in older people.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from risk.features.tables import Tables
from risk.models.calibration import recalibrate
from risk.models.outcomes import ipcw_targets, label
from risk.models.registry import write_checksums
from risk.models.spec import ModelSpec, eligible_mask

# A progress wrapper: progress(iterable, total=..., desc=...) yields the items (risk.feedback.progress does).
Progress = Callable[..., Iterable[Any]]

PARAMS: dict[str, Any] = {
    "objective": "binary:logistic", "eval_metric": "logloss", "tree_method": "hist", "max_depth": 4,
    "eta": 0.05, "subsample": 0.8, "colsample_bytree": 0.8, "min_child_weight": 5, "lambda": 2.0,
    "nthread": 2,
}
MAX_ROUNDS = 600
EARLY_STOPPING = 40


def split_of(patient_ids: pd.Index, *, salt: str = "risk-split-v1") -> pd.Series:
    """Deterministic patient-level split by hash: 70 % train, 10 % calibration, 20 % test."""
    def bucket(pid: str) -> str:
        h = int(hashlib.sha256(f"{salt}:{pid}".encode()).hexdigest()[:8], 16) % 100
        return "train" if h < 70 else "calibration" if h < 80 else "test"

    return pd.Series([bucket(str(p)) for p in patient_ids], index=patient_ids)


@dataclass(kw_only=True)
class TrainingSet:
    spec: ModelSpec
    features: pd.DataFrame  # eligible patients only
    labels: pd.DataFrame  # time, status
    targets: pd.DataFrame  # y, weight
    split: pd.Series
    index_date: date


def training_set(spec: ModelSpec, tables: Tables, features_at_index: pd.DataFrame, index_date: date) -> TrainingSet:
    ok = eligible_mask(spec, features_at_index)
    feats = features_at_index[ok]
    lab = label(tables, spec.outcome, index_date, spec.horizon_years, baseline=features_at_index).loc[feats.index]
    alive = (lab["time"] > 0) | (lab["status"] > 0)  # followed after the index date
    feats, lab = feats[alive], lab[alive]
    targets = ipcw_targets(lab, spec.horizon_years)
    return TrainingSet(spec=spec, features=feats, labels=lab, targets=targets, split=split_of(feats.index),
                       index_date=index_date)


def with_landmarks(latest: TrainingSet, earlier: list[TrainingSet]) -> TrainingSet:
    """Add earlier index dates (landmarks) to the training and calibration rows; the test rows stay those of the
    latest index date only, so held-out metrics describe one prediction per patient. The split is by patient, so
    a patient's landmarks never straddle training and test (van Houwelingen, Scand J Stat 2007: landmarking)."""
    parts = [latest] + [
        TrainingSet(spec=e.spec, features=e.features[keep], labels=e.labels[keep], targets=e.targets[keep],
                    split=e.split[keep], index_date=e.index_date)
        for e in earlier for keep in [(e.split != "test").to_numpy()]
    ]
    return TrainingSet(spec=latest.spec, index_date=latest.index_date,
                       features=pd.concat([p.features for p in parts]), labels=pd.concat([p.labels for p in parts]),
                       targets=pd.concat([p.targets for p in parts]), split=pd.concat([p.split for p in parts]))


@dataclass(kw_only=True)
class TrainedModel:
    spec: ModelSpec
    booster: xgb.Booster
    ensemble: list[xgb.Booster]
    calibration: tuple[float, float]
    features: list[str]
    info: dict[str, Any] = field(default_factory=dict)


def _dmatrix(ts: TrainingSet, part: str | None, features: list[str]) -> xgb.DMatrix:
    rows = (ts.split == part).to_numpy() if part else np.ones(len(ts.split), dtype=bool)
    x = ts.features.loc[rows, features].astype(float).to_numpy()
    t = ts.targets.loc[rows]
    keep = t["weight"].to_numpy() > 0
    return xgb.DMatrix(x[keep], label=t["y"].to_numpy()[keep], weight=t["weight"].to_numpy()[keep],
                       feature_names=features, missing=np.nan)


def train(ts: TrainingSet, *, n_bootstrap: int = 10, seed: int = 20261128,
          progress: Progress | None = None) -> TrainedModel:
    """Fit, recalibrate and bootstrap one model. `progress` wraps an iterable (e.g. `risk.feedback.progress`): it
    is given the bootstrap members, described by the number of eligible patients and events."""
    members: Iterable[int] = range(n_bootstrap)
    if progress is not None:
        events = int((ts.labels["status"] == 1).sum())
        members = progress(members, total=n_bootstrap,
                           desc=f"{ts.spec.name}: {len(ts.features)} eligible at {ts.index_date}, {events} events")
    features = list(ts.spec.features)
    params = {**PARAMS, "seed": seed}
    dtrain, dcal = _dmatrix(ts, "train", features), _dmatrix(ts, "calibration", features)
    booster = xgb.train(params, dtrain, num_boost_round=MAX_ROUNDS, evals=[(dcal, "calibration")],
                        early_stopping_rounds=EARLY_STOPPING, verbose_eval=False)
    rounds = booster.best_iteration + 1
    booster = xgb.train(params, dtrain, num_boost_round=rounds, verbose_eval=False)
    cal_margin = booster.predict(dcal, output_margin=True)
    a, b, method = recalibrate(cal_margin, dcal.get_label(), dcal.get_weight())
    rng = np.random.default_rng(seed)
    ensemble = []
    y, w = dtrain.get_label(), dtrain.get_weight()
    train_rows = (ts.split == "train").to_numpy()
    xtrain = ts.features.loc[train_rows, features].astype(float).to_numpy()[
        ts.targets.loc[train_rows, "weight"].to_numpy() > 0]
    for i in members:
        idx = rng.integers(0, len(y), len(y))
        dboot = xgb.DMatrix(xtrain[idx], label=y[idx], weight=w[idx], feature_names=features, missing=np.nan)
        ensemble.append(xgb.train({**params, "seed": seed + i + 1}, dboot, num_boost_round=rounds,
                                  verbose_eval=False))
    info = {
        "rounds": rounds, "n_train": int(dtrain.num_row()), "n_calibration": int(dcal.num_row()),
        "events_train": int(dtrain.get_label().sum()), "index_date": ts.index_date.isoformat(),
        "horizon_years": ts.spec.horizon_years, "params": params, "calibration_method": method,
    }
    return TrainedModel(spec=ts.spec, booster=booster, ensemble=ensemble, calibration=(a, b), features=features,
                        info=info)


def save(model: TrainedModel, out_dir: Path, *, training_data: dict[str, Any], metrics: dict[str, Any],
         card: str) -> Path:
    folder = Path(out_dir) / model.spec.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("ensemble_*.json"):
        old.unlink()
    model.booster.save_model(str(folder / "booster.json"))
    names = []
    for i, member in enumerate(model.ensemble):
        name = f"ensemble_{i:02d}.json"
        member.save_model(str(folder / name))
        names.append(name)
    manifest = {
        "name": model.spec.name, "version": datetime.now(UTC).strftime("%Y.%m.%d"),
        "created": datetime.now(UTC).isoformat(timespec="seconds"), "title_en": model.spec.title_en,
        "title_fr": model.spec.title_fr, "horizon_years": model.spec.horizon_years,
        "population": model.spec.population, "features": model.features,
        "calibration": {"a": model.calibration[0], "b": model.calibration[1],
                        "method": model.info.get("calibration_method", "Platt (weighted)")},
        "ensemble": names, "training": {**model.info, **training_data}, "xgboost": xgb.__version__,
        "synthetic": bool(training_data.get("synthetic", False)),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, default=float) + "\n", encoding="utf-8")
    (folder / "card.md").write_text(card, encoding="utf-8")
    write_checksums(folder)
    return folder
