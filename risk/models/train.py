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
from risk.models.anchor import ANCHORS, Anchor, anchor_floors, equation_table, fit_anchor
from risk.models.calibration import log_likelihood, recalibrate
from risk.models.outcomes import ipcw_targets, label
from risk.models.registry import write_checksums
from risk.models.spec import MONOTONE, ModelSpec, eligible_mask, tree_features

# A progress wrapper: progress(iterable, total=..., desc=...) yields the items (risk.feedback.progress does).
Progress = Callable[..., Iterable[Any]]

PARAMS: dict[str, Any] = {
    "objective": "binary:logistic", "eval_metric": "logloss", "tree_method": "hist", "max_depth": 3,
    "eta": 0.05, "subsample": 0.8, "colsample_bytree": 0.8, "min_child_weight": 5, "lambda": 2.0,
    "base_score": 0.5,  # logit 0: the offset (the anchor) is the whole starting point, trees add to it
    "nthread": 2,
}
MAX_ROUNDS = 600
EARLY_STOPPING = 40
CV_FOLDS = 5
# Tree depths tried by cross-validation (shrinkage fixed at 0.05, rounds by early stopping inside the folds).
CV_DEPTHS = (2, 3, 4)
# Cross-validation looks at most this many training rows (a random subset): on 100,000 patients x 3 landmarks the
# folds would otherwise cost more than the fit. Fewer rows stop earlier: the choice errs towards the anchor.
CV_MAX_ROWS = 60_000


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
    equations: pd.DataFrame | None = None  # published equation risks per row (risk.models.anchor.equation_table)


def training_set(spec: ModelSpec, tables: Tables, features_at_index: pd.DataFrame, index_date: date, *,
                 equations: pd.DataFrame | None = None) -> TrainingSet:
    """The eligible, followed patients at one index date; `equations` (every row of `features_at_index`) may be
    given when already computed for another model at the same date."""
    keep, lab = followed(spec, tables, features_at_index, index_date)
    return labelled_set(spec, features_at_index[keep], lab, index_date, equations=equations)


def followed(spec: ModelSpec, tables: Tables, features_at_index: pd.DataFrame, index_date: date, *,
             extract: pd.Timestamp | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Which rows of `features_at_index` are eligible and followed after the index date (one boolean per row),
    and their labels. Each patient's answer depends on that patient only (and on the source's extraction date,
    `extract`, given when `tables` hold a bucket of the source): a Dask worker computes it per bucket."""
    ok = eligible_mask(spec, features_at_index)
    lab = label(tables, spec.outcome, index_date, spec.horizon_years, baseline=features_at_index,
                extract=extract).loc[features_at_index.index[ok.to_numpy()]]
    alive = (lab["time"] > 0) | (lab["status"] > 0)  # followed after the index date
    keep = ok.to_numpy().copy()
    keep[keep] = alive.to_numpy()
    return pd.Series(keep, index=features_at_index.index), lab[alive]


def labelled_set(spec: ModelSpec, feats: pd.DataFrame, lab: pd.DataFrame, index_date: date, *,
                 equations: pd.DataFrame | None = None) -> TrainingSet:
    """The training set from its rows and labels: the IPCW targets (a Kaplan-Meier of censoring over the whole
    cohort, so computed once, on all rows), the split and the equation risks."""
    targets = ipcw_targets(lab, spec.horizon_years)
    eq = None
    if spec.name in ANCHORS:
        eq = equations.loc[feats.index] if equations is not None else equation_table(feats)
    return TrainingSet(spec=spec, features=feats, labels=lab, targets=targets, split=split_of(feats.index),
                       index_date=index_date, equations=eq)


def with_landmarks(latest: TrainingSet, earlier: list[TrainingSet]) -> TrainingSet:
    """Add earlier index dates (landmarks) to the training and calibration rows; the test rows stay those of the
    latest index date only, so held-out metrics describe one prediction per patient. The split is by patient, so
    a patient's landmarks never straddle training and test (van Houwelingen, Scand J Stat 2007: landmarking)."""
    parts = [latest] + [
        TrainingSet(spec=e.spec, features=e.features[keep], labels=e.labels[keep], targets=e.targets[keep],
                    split=e.split[keep], index_date=e.index_date,
                    equations=None if e.equations is None else e.equations[keep])
        for e in earlier for keep in [(e.split != "test").to_numpy()]
    ]
    equations = None if latest.equations is None else pd.concat([p.equations for p in parts])
    return TrainingSet(spec=latest.spec, index_date=latest.index_date,
                       features=pd.concat([p.features for p in parts]), labels=pd.concat([p.labels for p in parts]),
                       targets=pd.concat([p.targets for p in parts]), split=pd.concat([p.split for p in parts]),
                       equations=equations)


@dataclass(kw_only=True)
class TrainedModel:
    spec: ModelSpec
    booster: xgb.Booster
    ensemble: list[xgb.Booster]
    calibration: tuple[float, float]
    features: list[str]
    anchor: Anchor | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class Part:
    """One split of a training set as arrays: tree inputs, outcome, IPCW weight, anchor offset (weight > 0)."""

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    offset: np.ndarray

    def dmatrix(self, features: list[str], rows: np.ndarray | None = None) -> xgb.DMatrix:
        i = slice(None) if rows is None else rows
        return xgb.DMatrix(self.x[i], label=self.y[i], weight=self.w[i], base_margin=self.offset[i],
                           feature_names=features, missing=np.nan)


def _part(ts: TrainingSet, name: str, features: list[str], anchor: Anchor | None,
          equations: pd.DataFrame | None) -> Part:
    rows = (ts.split == name).to_numpy()
    t = ts.targets.loc[rows]
    keep = t["weight"].to_numpy() > 0
    x = ts.features.loc[rows, features].astype(float).to_numpy()[keep]
    eq = None if equations is None else equations.loc[rows][keep]
    offset = anchor.margin_from(eq) if anchor is not None and eq is not None else np.full(
        int(keep.sum()), anchor.fallback if anchor is not None else 0.0)
    return Part(x=x, y=t["y"].to_numpy()[keep], w=t["weight"].to_numpy()[keep], offset=offset)


def regularisation(n_rows: int, events: float) -> dict[str, Any]:
    """Parameters that scale with the data: at n ~ 2,000 and ~250 events a leaf needs more evidence and the trees
    more shrinkage towards the anchor than at 100,000 (min_child_weight is a sum of Hessians p(1 - p), about
    events x 0.9 in the whole set)."""
    return {"min_child_weight": float(max(5.0, round(events / 50.0, 1))), "lambda": 2.0 if n_rows > 20000 else 10.0,
            "alpha": 0.0 if n_rows > 20000 else 1.0}


def choose_trees(dtrain: xgb.DMatrix, params: dict[str, Any], *, seed: int) -> dict[str, Any]:
    """Depth and rounds by CV_FOLDS-fold cross-validation on the training rows (early stopping in the folds), against
    the anchor alone (zero trees, same folds). Trees are kept only when their cross-validated log-loss beats the
    anchor's by more than one standard error of the fold mean: otherwise the model is the recalibrated equation."""
    if dtrain.num_row() > CV_MAX_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(dtrain.num_row(), CV_MAX_ROWS, replace=False))
        dtrain = dtrain.slice(rows)
    y, w, offset = dtrain.get_label(), dtrain.get_weight(), dtrain.get_base_margin()
    anchor_loss = -log_likelihood(offset, y, w) / float(w.sum())
    tried = []
    for depth in CV_DEPTHS:
        res = xgb.cv({**params, "max_depth": depth}, dtrain, num_boost_round=MAX_ROUNDS, nfold=CV_FOLDS,
                     early_stopping_rounds=EARLY_STOPPING, seed=seed, verbose_eval=False)
        best = int(res["test-logloss-mean"].to_numpy().argmin())
        tried.append({"max_depth": depth, "rounds": best + 1,
                      "logloss": float(res["test-logloss-mean"].iloc[best]),
                      "logloss_se": float(res["test-logloss-std"].iloc[best] / np.sqrt(CV_FOLDS))})
    best = min(tried, key=lambda r: r["logloss"])
    keep = best["logloss"] < anchor_loss - best["logloss_se"]
    return {"tried": tried, "anchor_logloss": float(anchor_loss), "max_depth": best["max_depth"],
            "rounds": best["rounds"] if keep else 0, "trees_kept": bool(keep)}


@dataclass(kw_only=True)
class Fitted:
    """The main fit of one model and everything its bootstrap members need: small enough to send to a worker,
    so that each member is one task (risk.models.distributed) and local and Dask run the same `fit_member`."""

    spec: ModelSpec
    features: list[str]
    tr: Part
    eq_train: pd.DataFrame | None  # the training rows' floored equation risks (anchored models)
    anchor: Anchor
    params: dict[str, Any]
    rounds: int
    booster: xgb.Booster
    calibration: tuple[float, float]
    info: dict[str, Any]


# Fits one booster: (params, training part, feature names, rounds, rows or None for all) -> booster. `fit_booster`
# in this process; risk.models.distributed.xgboost_dask_fit across a Dask cluster.
BoosterFit = Callable[..., xgb.Booster]


def fit_booster(params: dict[str, Any], part: Part, features: list[str], rounds: int,
                rows: np.ndarray | None = None) -> xgb.Booster:
    return xgb.train(params, part.dmatrix(features, rows), num_boost_round=rounds, verbose_eval=False)


def fit_main(ts: TrainingSet, *, seed: int = 20261128, fit: BoosterFit = fit_booster) -> Fitted:
    """Anchor, cross-validate, fit and recalibrate one model (everything but the bootstrap members)."""
    spec = ts.spec
    features = tree_features(spec)
    train_rows = (ts.split == "train").to_numpy()
    t = ts.targets.loc[train_rows]
    ok = t["weight"].to_numpy() > 0
    # The anchor's equation risks (smoking never lowers them: risk.models.anchor.smoking_floor), as at prediction.
    names = list(ANCHORS.get(spec.name, ()))
    equations = None if ts.equations is None or not names else anchor_floors(ts.features, ts.equations[names])
    eq_train = None if equations is None else equations.loc[train_rows][ok]
    if not ((t["y"].to_numpy() == 0) & ok).any():
        raise ValueError(f"{spec.name}: no training patient is known to be event-free at {spec.horizon_years:g} "
                         "years (follow-up shorter than the horizon): the risk at the horizon cannot be estimated")
    anchor = fit_anchor(ANCHORS.get(spec.name, ()), eq_train, t["y"].to_numpy()[ok], t["weight"].to_numpy()[ok])
    tr, cal = _part(ts, "train", features, anchor, equations), _part(ts, "calibration", features, anchor, equations)
    constraints = "(" + ",".join(str(MONOTONE.get(f, 0)) for f in features) + ")"
    params = {**PARAMS, **regularisation(len(tr.y), float(tr.y @ tr.w)), "monotone_constraints": constraints,
              "seed": seed}
    dtrain = tr.dmatrix(features)
    cv = choose_trees(dtrain, params, seed=seed)
    params["max_depth"], rounds = cv["max_depth"], cv["rounds"]
    booster = fit(params, tr, features, rounds)
    cal_margin = cal.offset + booster.inplace_predict(cal.x, predict_type="margin", missing=np.nan)
    a, b, method = recalibrate(cal_margin, cal.y, cal.w)
    anchored = 0 if eq_train is None or not anchor.equations else int(
        np.isfinite(eq_train[list(anchor.equations)].to_numpy(dtype=float)).any(axis=1).sum())
    info = {
        "rounds": rounds, "n_train": len(tr.y), "n_calibration": len(cal.y), "events_train": int(tr.y.sum()),
        "index_date": ts.index_date.isoformat(), "horizon_years": spec.horizon_years, "params": params,
        "calibration_method": method, "cross_validation": cv, "anchor_rows_train": anchored,
    }
    return Fitted(spec=spec, features=features, tr=tr, eq_train=eq_train, anchor=anchor, params=params,
                  rounds=rounds, booster=booster, calibration=(a, b), info=info)


def bootstrap_rows(n_rows: int, n_bootstrap: int, *, seed: int = 20261128) -> list[np.ndarray]:
    """Each member's resample of the training rows, drawn in member order from one generator: the same rows
    whichever engine (or worker) then fits the member."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, n_rows, n_rows) for _ in range(n_bootstrap)]


def fit_member(fitted: Fitted, i: int, idx: np.ndarray, *, seed: int = 20261128, fit: BoosterFit = fit_booster
               ) -> tuple[xgb.Booster, tuple[float, float] | None]:
    """Bootstrap member `i` on the training rows `idx` (with repeats): its booster and, for an anchored model,
    its refitted anchor recalibration (the anchor is resampled too). XGBoost's seed is `seed + i + 1` and its
    threads fixed (PARAMS["nthread"]), so a member is the same bytes in this process or on a Dask worker."""
    tr, eq_train, anchor = fitted.tr, fitted.eq_train, fitted.anchor
    boot, member_anchor = tr, None
    if anchor.equations and eq_train is not None:
        refit = fit_anchor(anchor.equations, eq_train.iloc[idx], tr.y[idx], tr.w[idx])
        member_anchor = (refit.a, refit.b)
        boot = Part(x=tr.x, y=tr.y, w=tr.w, offset=tr.offset.copy())
        boot.offset[idx] = refit.margin_from(eq_train.iloc[idx])
    return fit({**fitted.params, "seed": seed + i + 1}, boot, fitted.features, fitted.rounds, idx), member_anchor


def assemble(fitted: Fitted, members: list[tuple[xgb.Booster, tuple[float, float] | None]]) -> TrainedModel:
    """The trained model from its main fit and its members, in member order."""
    a = fitted.anchor
    anchor = Anchor(equations=a.equations, a=a.a, b=a.b, fallback=a.fallback, method=a.method,
                    members=tuple(m for _, m in members if m is not None))
    return TrainedModel(spec=fitted.spec, booster=fitted.booster, ensemble=[b for b, _ in members],
                        calibration=fitted.calibration, features=fitted.features, anchor=anchor,
                        info=dict(fitted.info))


def train(ts: TrainingSet, *, n_bootstrap: int = 10, seed: int = 20261128,
          progress: Progress | None = None) -> TrainedModel:
    """Anchor, cross-validate, fit, recalibrate and bootstrap one model. `progress` wraps an iterable (e.g.
    `risk.feedback.progress`): it is given the bootstrap members, described by the patients and events."""
    fitted = fit_main(ts, seed=seed)
    members: Iterable[int] = range(n_bootstrap)
    if progress is not None:
        members = progress(members, total=n_bootstrap, unit="member", desc=member_description(ts))
    rows = bootstrap_rows(len(fitted.tr.y), n_bootstrap, seed=seed)
    return assemble(fitted, [fit_member(fitted, i, rows[i], seed=seed) for i in members])


def member_description(ts: TrainingSet) -> str:
    """What a progress bar says while a model's members are fitted."""
    patients = ts.features.index.nunique()
    events = int((ts.labels["status"] == 1).sum())
    return (f"{ts.spec.name}: {patients} patients ({len(ts.features)} rows) at {ts.index_date}, "
            f"{events} events")


def save(model: TrainedModel, out_dir: Path, *, training_data: dict[str, Any], metrics: dict[str, Any],
         card: str, verdict: dict[str, Any] | None = None) -> Path:
    """Write the boosters, manifest (with the anchor and the validation gate's verdict), metrics and card."""
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
        "anchor": model.anchor.as_manifest() if model.anchor is not None else None,
        "ensemble": names, "training": {**model.info, **training_data}, "xgboost": xgb.__version__,
        "synthetic": bool(training_data.get("synthetic", False)),
        "verdict": verdict["verdict"] if verdict else "challenger",
        "headline_earned": bool(verdict and verdict["headline_earned"]), "gate": verdict,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, default=float) + "\n", encoding="utf-8")
    (folder / "card.md").write_text(card, encoding="utf-8")
    write_checksums(folder)
    return folder
