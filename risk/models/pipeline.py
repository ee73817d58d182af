"""From a bulk export to trained, evaluated, documented models: the `risk train` and `risk evaluate` path.

Same path as the app: FHIR -> records -> long tables -> features at the index date; labels from the timeline.
Nothing here prints or draws a progress bar: callers pass `progress` (e.g. `risk.feedback.progress`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from risk.features.build import build_features
from risk.features.tables import Tables, tables_from_records
from risk.models.anchor import ANCHORS, equation_table
from risk.models.card import model_card
from risk.models.evaluate import calibration_plot, evaluate
from risk.models.gate import gate
from risk.models.outcomes import extraction_date
from risk.models.registry import LoadedModel
from risk.models.spec import MODEL_SPECS, ModelSpec
from risk.models.train import Progress, TrainedModel, TrainingSet, save, train, training_set, with_landmarks
from risk.record.load import iter_records

# Published equations shown beside each model (same patients, same outcome horizon).
COMPARATORS: dict[str, tuple[str, ...]] = {
    "cvd10": ("score2_family", "prevent_ascvd", "prevent_cvd"),
    "hf10": ("prevent_hf",),
    "ckd5": ("kfre_5y",),
    "retinopathy5": (),
    "foot5": (),
}
LANDMARK_STEP_YEARS = 2.0


def load_tables(source: str | Path, *, progress: Progress | None = None) -> Tables:
    records: Iterable[Any] = iter_records(source)
    if progress is not None:
        records = progress(records, desc="reading records")
    return tables_from_records(records)


# An index date is "measured" when at least USABLE_SHARE of the patients measured at some time up to it have a
# measurement in the MEASURED_WINDOW before it; `landmarks=0` ("all usable") keeps the earlier landmarks that
# are, up to MAX_LANDMARKS.
MAX_LANDMARKS = 5
USABLE_SHARE = 0.5
MEASURED_WINDOW = pd.Timedelta(days=round(365.25 * 2))


class Cohort(Protocol):
    """The few cohort-wide facts that choose the index dates: from the whole tables here, or summed over the
    buckets of a Dask cluster (risk.models.distributed), so that both engines choose the same dates."""

    def extraction_date(self) -> pd.Timestamp: ...

    def has_measurements(self) -> bool: ...

    def measured_counts(self, day: date) -> tuple[int, int]: ...

    def median_latest_measurement(self) -> pd.Timestamp: ...


@dataclass(frozen=True)
class TablesCohort:
    """`Cohort` of tables held in this process."""

    tables: Tables

    def extraction_date(self) -> pd.Timestamp:
        return extraction_date(self.tables)

    def has_measurements(self) -> bool:
        return not self.tables.measurements.empty

    def measured_counts(self, day: date) -> tuple[int, int]:
        return measured_counts(self.tables, day)

    def median_latest_measurement(self) -> pd.Timestamp:
        return pd.Timestamp(latest_measurements(self.tables).median())


def measured_counts(tables: Tables, day: date) -> tuple[int, int]:
    """Patients measured at some time up to `day`, and those of them measured in the MEASURED_WINDOW before it
    (counts of distinct patients: a bucket's counts add up to the cohort's, buckets sharing no patient)."""
    times, who = tables.measurements["time"], tables.measurements["patient_id"]
    end = pd.Timestamp(day) + pd.Timedelta(days=1)
    so_far = int(who[times < end].nunique())
    recent = int(who[(times < end) & (times >= end - MEASURED_WINDOW)].nunique())
    return so_far, recent


def latest_measurements(tables: Tables) -> pd.Series:
    """Each measured patient's latest measurement time."""
    return tables.measurements.groupby("patient_id")["time"].max().dropna()


def measured(tables: Tables | Cohort, day: date) -> bool:
    """Whether enough patients have recent measurements at `day` (see USABLE_SHARE)."""
    so_far, recent = _cohort(tables).measured_counts(day)
    return so_far > 0 and recent >= USABLE_SHARE * so_far


def _cohort(tables: Tables | Cohort) -> Cohort:
    return TablesCohort(tables) if isinstance(tables, Tables) else tables


def default_index_date(tables: Tables | Cohort, horizon_years: float) -> date:
    """The latest index date with complete follow-up (the latest follow-up in the source minus the horizon) when
    the record has recent measurements there; otherwise (a cohort measured at baseline, then followed up for
    events, deaths and last contacts only) the median patient's latest measurement, so that the features are not
    years old or absent. IPCW targets handle the follow-up shorter than the horizon."""
    cohort = _cohort(tables)
    complete = (cohort.extraction_date() - pd.Timedelta(days=365.25 * horizon_years)).date()
    if not cohort.has_measurements() or measured(cohort, complete):
        return complete
    return cohort.median_latest_measurement().date()


def landmark_days(tables: Tables | Cohort, horizon_years: float, landmarks: int = 1) -> list[date]:
    """The index dates: the default one, then earlier ones LANDMARK_STEP_YEARS apart; `landmarks=0` takes every
    usable one (up to MAX_LANDMARKS)."""
    cohort = _cohort(tables)
    first = default_index_date(cohort, horizon_years)
    wanted = MAX_LANDMARKS if landmarks <= 0 else landmarks
    days = [first - timedelta(days=round(365.25 * LANDMARK_STEP_YEARS * k)) for k in range(wanted)]
    if landmarks > 0:
        return days
    return [first] + [d for d in days[1:] if measured(cohort, d)]


def landmark_sets(spec: ModelSpec, tables: Tables, *, landmarks: int = 1,
                  features_by_day: dict[date, pd.DataFrame] | None = None,
                  equations_by_day: dict[date, pd.DataFrame] | None = None) -> list[TrainingSet]:
    """The training set at the default index date, then one per earlier landmark (`landmark_days`).
    `features_by_day` and `equations_by_day` cache each day's features and equation risks across models (the same
    days recur)."""
    cache = {} if features_by_day is None else features_by_day
    eq_cache = {} if equations_by_day is None else equations_by_day
    sets = []
    for day in landmark_days(tables, spec.horizon_years, landmarks):
        if day not in cache:
            cache[day] = build_features(tables, day)
        equations = None
        if spec.name in ANCHORS:
            if day not in eq_cache:
                eq_cache[day] = equation_table(cache[day])
            equations = eq_cache[day]
        sets.append(training_set(spec, tables, cache[day], day, equations=equations))
    return sets


def equation_risks(features: pd.DataFrame, names: Iterable[str], *,
                   table: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    """Published equations per patient (NaN where not applicable), for comparison with the models; `table` is
    risk.models.anchor.equation_table of these rows when already computed. "score2_family" is SCORE2 /
    SCORE2-OP, else SCORE2-Diabetes."""
    eq = table if table is not None else equation_table(features)
    out = {}
    for n in names:
        if n == "score2_family":
            out[n] = eq["score2"].fillna(eq["score2_diabetes"]).to_numpy(dtype=float)
        else:
            out[n] = eq[n].to_numpy(dtype=float)
    return out


def held_out_metrics(model: LoadedModel, ts: TrainingSet, *, all_patients: bool = False, comparators: bool = True,
                     plot: Path | None = None) -> dict[str, Any]:
    """Predict the test split (or every patient, for external data), compare with the published equations on
    the same patients and, if `plot` is given, write the calibration chart there. One path for `risk train`
    and `risk evaluate`, so their figures agree."""
    name = ts.spec.name
    test = np.ones(len(ts.split), dtype=bool) if all_patients else (ts.split == "test").to_numpy()
    feats = ts.features[test]
    predicted = model.predict(feats).risk
    table = ts.equations[test] if ts.equations is not None else None
    comps = equation_risks(feats, COMPARATORS[name], table=table) if comparators and COMPARATORS[name] else {}
    metrics = evaluate(features=feats, labels=ts.labels[test], targets=ts.targets[test], predicted=predicted,
                       comparators=comps)
    metrics["test_index_date"] = ts.index_date.isoformat()
    metrics["shap_sample"] = shap_sample(model, feats)
    if plot is not None:
        t = ts.targets[test]
        who = "all patients" if all_patients else "held-out patients"
        calibration_plot(t["y"].to_numpy(), t["weight"].to_numpy(), predicted, title=f"{name}: calibration on {who}",
                         path=plot)
    return metrics


def shap_sample(model: LoadedModel, features: pd.DataFrame, *, n: int = 300, top: int = 10,
                seed: int = 5) -> dict[str, Any]:
    """The trees' TreeSHAP values on (up to) `n` held-out patients, for the Models page's beeswarm and dependence
    plots: the `top` features by mean |SHAP| (empty when the model has no trees)."""
    rows = features.sample(min(n, len(features)), random_state=seed) if len(features) else features
    if not len(rows):
        return {"features": [], "values": [], "shap": []}
    contribs = model.contributions(rows)[:, :-1]
    strength = np.abs(contribs).mean(axis=0)
    keep = [int(j) for j in np.argsort(-strength)[:top] if strength[j] > 0]
    x = model.array(rows)
    return {"features": [model.features[j] for j in keep], "values": _rounded(x[:, keep]),
            "shap": _rounded(contribs[:, keep])}


def _rounded(a: np.ndarray) -> list[list[float | None]]:
    """A matrix as JSON: 4 decimals, missing values as null."""
    return [[None if not np.isfinite(v) else round(float(v), 4) for v in r] for r in a]


def as_loaded(model: TrainedModel, folder: Path) -> LoadedModel:
    """The in-memory model with the interface of a saved one, to evaluate it before it is written."""
    return LoadedModel(name=model.spec.name, folder=folder, booster=model.booster, ensemble=tuple(model.ensemble),
                       manifest={"name": model.spec.name, "features": model.features,
                                 "calibration": {"a": model.calibration[0], "b": model.calibration[1]},
                                 "anchor": model.anchor.as_manifest() if model.anchor is not None else None})


@dataclass(kw_only=True)
class TrainResult:
    spec: ModelSpec
    model: TrainedModel
    metrics: dict[str, Any]
    folder: Path


# Trains one model from its training set (landmarks added): `risk.models.train.train` in this process, or the
# same per-member function as tasks on a Dask cluster (risk.models.distributed).
Trainer = Callable[[TrainingSet], TrainedModel]


def train_all(tables: Tables, out_dir: Path, *, model_names: Iterable[str] | None = None, n_bootstrap: int = 10,
              landmarks: int = 1,
              description: str, synthetic: bool, seed: int = 20261128, progress: Progress | None = None,
              comparators: bool = True, external: Callable[[TrainedModel], str | None] | None = None,
              plots_dir: Path | None = None) -> list[TrainResult]:
    """Train, evaluate on the held-out split, document and save each model (`progress`: see `train`)."""
    features_by_day: dict[date, pd.DataFrame] = {}
    equations_by_day: dict[date, pd.DataFrame] = {}
    sets = ((name, landmark_sets(MODEL_SPECS[name], tables, landmarks=landmarks, features_by_day=features_by_day,
                                 equations_by_day=equations_by_day))
            for name in model_names or MODEL_SPECS)  # lazily: one model's sets at a time
    return train_sets(sets, out_dir, trainer=lambda ts: train(ts, n_bootstrap=n_bootstrap, seed=seed,
                                                                progress=progress),
                      n_bootstrap=n_bootstrap, description=description, synthetic=synthetic,
                      comparators=comparators, external=external, plots_dir=plots_dir)


def train_sets(named_sets: Iterable[tuple[str, list[TrainingSet]]], out_dir: Path, *, trainer: Trainer,
               n_bootstrap: int, description: str, synthetic: bool, comparators: bool = True,
               external: Callable[[TrainedModel], str | None] | None = None, plots_dir: Path | None = None,
               engine: str | None = None) -> list[TrainResult]:
    """Train each model from its landmark sets (the latest index date first) with `trainer`, evaluate it on the
    held-out split, document and save it. One path for every engine; `engine` (None for this process) is
    recorded in the manifest and the card only when the model was trained elsewhere."""
    results = []
    for name, sets in named_sets:
        spec = MODEL_SPECS[name]
        ts = with_landmarks(sets[0], sets[1:]) if len(sets) > 1 else sets[0]
        model = trainer(ts)
        plot = Path(plots_dir) / f"{name}_calibration.html" if plots_dir is not None else None
        metrics = held_out_metrics(as_loaded(model, out_dir), ts, comparators=comparators, plot=plot)
        training = {**model.info, "n_bootstrap": n_bootstrap, "description": description, "synthetic": synthetic,
                    "landmarks": [s.index_date.isoformat() for s in sets]}
        if engine is not None:
            training["engine"] = engine
        verdict = gate(name, metrics) if comparators else None
        ext = external(model) if external else None
        card = model_card(spec, training=training, metrics=metrics, external=ext, verdict=verdict,
                          anchor=model.anchor.as_manifest() if model.anchor is not None else None)
        folder = save(model, out_dir, training_data=training, metrics=metrics, card=card, verdict=verdict)
        results.append(TrainResult(spec=spec, model=model, metrics=metrics, folder=folder))
    return results
