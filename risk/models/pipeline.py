"""From a bulk export to trained, evaluated, documented models: the `risk train` path.

Same path as the app: FHIR -> records -> long tables -> features at the index date; labels from the timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from risk import feedback
from risk.features.build import build_features
from risk.features.tables import Tables, tables_from_records
from risk.models.card import model_card
from risk.models.evaluate import calibration_plot, evaluate
from risk.models.outcomes import extraction_date
from risk.models.spec import MODEL_SPECS, ModelSpec
from risk.models.train import TrainedModel, save, train, training_set, with_landmarks

# Published equations shown beside each model (same patients, same outcome horizon).
COMPARATORS: dict[str, tuple[str, ...]] = {
    "cvd10": ("score2_family", "prevent_ascvd", "prevent_cvd"),
    "hf10": ("prevent_hf",),
    "ckd5": ("kfre_5y",),
    "retinopathy5": (),
    "foot5": (),
}


def load_tables(source: str | Path, *, progress: bool = True) -> Tables:
    from risk.record.load import iter_records

    records = iter_records(source)
    return tables_from_records(feedback.progress(records, desc="reading records", enabled=progress))


def default_index_date(tables: Tables, horizon_years: float) -> date:
    """The latest follow-up in the source minus the horizon: the latest index with complete follow-up."""
    return (extraction_date(tables) - pd.Timedelta(days=365.25 * horizon_years)).date()


def equation_risks(features: pd.DataFrame, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Published equations per patient (NaN where not applicable), for comparison with the models."""
    from risk.equations.applicability import reference_scores

    names = list(names)
    out = {n: np.full(len(features), np.nan) for n in names}
    for i, (_, row) in enumerate(features.iterrows()):
        scores = reference_scores(row.to_dict())
        for n in names:
            if n == "score2_family":
                r = scores["score2"].risk
                r = r if r is not None else scores["score2_diabetes"].risk
            else:
                r = scores[n].risk if n in scores else None
            out[n][i] = np.nan if r is None else r
    return out


@dataclass(kw_only=True)
class TrainResult:
    spec: ModelSpec
    model: TrainedModel
    metrics: dict[str, Any]
    folder: Path


LANDMARK_STEP_YEARS = 2.0


def train_all(tables: Tables, out_dir: Path, *, model_names: Iterable[str] | None = None, n_bootstrap: int = 10,
              landmarks: int = 1,
              description: str, synthetic: bool, seed: int = 20261128, progress: bool = True,
              comparators: bool = True, external: Callable[[TrainedModel], str | None] | None = None,
              plots_dir: Path | None = None) -> list[TrainResult]:
    results = []
    feature_cache: dict[date, pd.DataFrame] = {}
    for name in model_names or MODEL_SPECS:
        spec = MODEL_SPECS[name]
        index_date = default_index_date(tables, spec.horizon_years)
        sets = []
        for k in range(max(1, landmarks)):
            day = index_date - timedelta(days=round(365.25 * LANDMARK_STEP_YEARS * k))
            if day not in feature_cache:
                feature_cache[day] = build_features(tables, day)
            sets.append(training_set(spec, tables, feature_cache[day], day))
        ts = with_landmarks(sets[0], sets[1:]) if len(sets) > 1 else sets[0]
        if progress:
            feedback.err(f"{name}: {len(ts.features)} eligible patients at {index_date}, "
                         f"{int((ts.labels['status'] == 1).sum())} events; training...")
        model = train(ts, n_bootstrap=n_bootstrap, seed=seed)
        test = (ts.split == "test").to_numpy()
        feats = ts.features[test]
        from risk.models.registry import LoadedModel

        loaded = LoadedModel(name=name, folder=out_dir, booster=model.booster, ensemble=tuple(model.ensemble),
                             manifest={"name": name, "features": model.features,
                                       "calibration": {"a": model.calibration[0], "b": model.calibration[1]}})
        predicted = loaded.predict(feats).risk
        comps = equation_risks(feats, COMPARATORS[name]) if comparators and COMPARATORS[name] else {}
        metrics = evaluate(features=feats, labels=ts.labels[test], targets=ts.targets[test], predicted=predicted,
                           comparators=comps)
        metrics["test_index_date"] = index_date.isoformat()
        training = {**model.info, "n_bootstrap": n_bootstrap, "description": description, "synthetic": synthetic,
                    "landmarks": [s.index_date.isoformat() for s in sets]}
        ext = external(model) if external else None
        card = model_card(spec, training=training, metrics=metrics, external=ext)
        folder = save(model, out_dir, training_data=training, metrics=metrics, card=card)
        if plots_dir is not None:
            t = ts.targets[test]
            calibration_plot(t["y"].to_numpy(), t["weight"].to_numpy(), predicted,
                             title=f"{name}: calibration on held-out patients",
                             path=Path(plots_dir) / f"{name}_calibration.html")
        results.append(TrainResult(spec=spec, model=model, metrics=metrics, folder=folder))
    return results
