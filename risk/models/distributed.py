"""`risk train --engine dask`: the training pipeline as Dask tasks, giving the same model files as one process.

Features and labels are built per patient bucket on the workers (risk.panel.buckets splits the export; a bucket's
tables stay on its worker), and only the feature frames and labels come back. A patient's features and labels
depend on that patient alone, except for three cohort-wide inputs computed once here and passed in:
- the index dates (risk.models.pipeline.landmark_days), from the extraction date and counts of measured patients,
  which add up over buckets that share no patient (`DaskCohort`);
- the extraction date, which ends the follow-up of active records (risk.models.outcomes.end_of_followup);
- the IPCW weights, a Kaplan-Meier of censoring over every row, fitted on the assembled labels
  (risk.models.train.labelled_set), as in one process.
The rows are put back in the export's patient order (the line of each Patient, from the buckets' origins), the
order a single reader gives, so that the training sets are the same frames as in one process.

Each model is then one task for its main fit (risk.models.train.fit_main) and one per bootstrap member
(fit_member), with the same seeds and XGBoost's threads fixed: the boosters are the same bytes as `train`'s.
`--xgboost-dask` instead trains the boosters with `xgboost.dask` across the workers, for a training set larger than
one node; those models are not bit-identical (accepted within 0.005 C-index of one process) and their card says so.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from risk.errors import ExitCode, SourceError
from risk.features.build import build_features
from risk.features.tables import Tables, tables_from_records
from risk.fhir.ndjson import NdjsonSource
from risk.models.anchor import ANCHORS, equation_table
from risk.models.outcomes import extraction_date
from risk.models.pipeline import (
    TrainResult,
    landmark_days,
    latest_measurements,
    measured_counts,
    train_sets,
)
from risk.models.spec import MODEL_SPECS
from risk.models.train import (
    Fitted,
    Part,
    Progress,
    TrainedModel,
    TrainingSet,
    assemble,
    bootstrap_rows,
    fit_main,
    fit_member,
    followed,
    labelled_set,
    with_landmarks,
)
from risk.panel.buckets import Bucket, partition, read_patient_origins
from risk.record.bulk import stream_records

# Partition lines that a single reader would not stop on (it skips resource types it does not know): any other
# reject (unreadable JSON, a truncated file, a Patient without id) stops training, as it stops `--engine local`.
IGNORED_REJECTS = frozenset({"unknown_resource_type"})


@dataclass(frozen=True, kw_only=True)
class BucketData:
    """A bucket's long tables, kept on its worker, and where each of its patients stands in the export."""

    tables: Tables
    order: pd.Series  # patient id -> rank key (file index, line of its first Patient resource) as one int


def load_bucket(bucket: Bucket, *, label: str) -> BucketData:
    """One task: read a bucket as `risk.models.pipeline.load_tables` reads a whole export (same reader, same
    errors on an unusable patient)."""
    tables = tables_from_records(stream_records(NdjsonSource(bucket.folder), label=label))
    first: dict[str, int] = {}
    for file, line, pid in read_patient_origins(bucket):
        first.setdefault(pid, (file << 40) | line)
    ids = tables.patients.index
    return BucketData(tables=tables, order=pd.Series([first[str(p)] for p in ids], index=ids, dtype="int64"))


@dataclass(frozen=True, kw_only=True)
class BucketFacts:
    extraction_date: pd.Timestamp
    has_measurements: bool
    latest: pd.Series  # each measured patient's latest measurement time


def bucket_facts(data: BucketData) -> BucketFacts:
    t = data.tables
    return BucketFacts(extraction_date=extraction_date(t), has_measurements=not t.measurements.empty,
                       latest=latest_measurements(t))


def bucket_measured(data: BucketData, day: date) -> tuple[int, int]:
    return measured_counts(data.tables, day)


class DaskCohort:
    """risk.models.pipeline.Cohort over the buckets on the cluster: the same index dates as one process."""

    def __init__(self, client: Any, data: list[Any]) -> None:
        self.client, self.data = client, data
        self.facts: list[BucketFacts] = client.gather(client.map(bucket_facts, data, pure=False))
        self._counts: dict[date, tuple[int, int]] = {}

    def extraction_date(self) -> pd.Timestamp:
        dates = [f.extraction_date for f in self.facts if not pd.isna(f.extraction_date)]
        return max(dates) if dates else pd.NaT

    def has_measurements(self) -> bool:
        return any(f.has_measurements for f in self.facts)

    def measured_counts(self, day: date) -> tuple[int, int]:
        if day not in self._counts:
            counts = self.client.gather(self.client.map(bucket_measured, self.data, day=day, pure=False))
            self._counts[day] = (sum(c[0] for c in counts), sum(c[1] for c in counts))
        return self._counts[day]

    def median_latest_measurement(self) -> pd.Timestamp:
        return pd.Timestamp(pd.concat([f.latest for f in self.facts]).median())


@dataclass(frozen=True, kw_only=True)
class BucketSets:
    """What comes back from a bucket: features per index date, equation risks where an anchored model needs
    them, and per (model, index date) the followed rows and their labels."""

    order: pd.Series
    features: dict[date, pd.DataFrame]
    equations: dict[date, pd.DataFrame]
    followed: dict[tuple[str, date], tuple[pd.Series, pd.DataFrame]] = field(default_factory=dict)


def bucket_sets(data: BucketData, *, days_by_model: dict[str, list[date]], extract: pd.Timestamp) -> BucketSets:
    """One task: a bucket's features, equation risks, followed rows and labels (see the module docstring)."""
    days = sorted({d for ds in days_by_model.values() for d in ds})
    anchored = {d for name, ds in days_by_model.items() if name in ANCHORS for d in ds}
    features = {d: build_features(data.tables, d) for d in days}
    equations = {d: equation_table(features[d]) for d in sorted(anchored)}
    rows = {(name, d): followed(MODEL_SPECS[name], data.tables, features[d], d, extract=extract)
            for name, ds in days_by_model.items() for d in ds}
    return BucketSets(order=data.order, features=features, equations=equations, followed=rows)


def in_export_order(parts: Iterable[pd.DataFrame], order: pd.Series) -> pd.DataFrame:
    """The buckets' rows as one frame in the export's patient order (the order of `order`'s keys)."""
    frame = pd.concat(list(parts))
    keys = order.reindex(frame.index).to_numpy()
    return frame.iloc[np.argsort(keys, kind="stable")]


def training_sets(client: Any, data: list[Any], names: list[str], *, landmarks: int
                  ) -> list[tuple[str, list[TrainingSet]]]:
    """Each model's landmark training sets, built per bucket on the cluster and assembled here, the latest index
    date first (as risk.models.pipeline.landmark_sets)."""
    cohort = DaskCohort(client, data)
    days_by_model = {n: landmark_days(cohort, MODEL_SPECS[n].horizon_years, landmarks) for n in names}
    extract = cohort.extraction_date()
    parts: list[BucketSets] = client.gather(client.map(bucket_sets, data, days_by_model=days_by_model,
                                                       extract=extract, pure=False))
    order = pd.concat([p.order for p in parts])
    days = sorted({d for ds in days_by_model.values() for d in ds})
    features = {d: in_export_order((p.features[d] for p in parts), order) for d in days}
    equations = {d: in_export_order((p.equations[d] for p in parts), order) for d in parts[0].equations}
    out = []
    for name in names:
        spec, sets = MODEL_SPECS[name], []
        for d in days_by_model[name]:
            keep = in_export_order((p.followed[(name, d)][0].to_frame("keep") for p in parts), order)["keep"]
            lab = in_export_order((p.followed[(name, d)][1] for p in parts), order)
            sets.append(labelled_set(spec, features[d][keep.to_numpy()], lab, d, equations=equations.get(d)))
        out.append((name, sets))
    return out


def member_task(fitted: Fitted, i: int, n_bootstrap: int, seed: int
                ) -> tuple[xgb.Booster, tuple[float, float] | None]:
    """One task: bootstrap member `i`, on the rows `train` would give it (the generator replayed)."""
    return fit_member(fitted, i, bootstrap_rows(len(fitted.tr.y), n_bootstrap, seed=seed)[i], seed=seed)


def submit_models(client: Any, sets: list[tuple[str, TrainingSet]], *, n_bootstrap: int, seed: int
                  ) -> dict[str, tuple[Any, list[Any]]]:
    """Every model's main fit and bootstrap members as tasks, all submitted at once (models run side by side)."""
    futures = {}
    for name, ts in sets:
        main = client.submit(fit_main, client.scatter(ts), seed=seed, pure=False)
        members = [client.submit(member_task, main, i, n_bootstrap, seed, pure=False) for i in range(n_bootstrap)]
        futures[name] = (main, members)
    return futures


def xgboost_dask_fit(client: Any) -> Callable[..., xgb.Booster]:
    """A booster fit (risk.models.train.BoosterFit) by `xgboost.dask.train`: the rows in chunks over the workers."""
    import dask.array as da
    from xgboost import dask as dxgb

    workers = max(1, len(client.scheduler_info().get("workers", {})))

    def fit(params: dict[str, Any], part: Part, features: list[str], rounds: int,
            rows: np.ndarray | None = None) -> xgb.Booster:
        i = slice(None) if rows is None else rows
        x, y, w, offset = part.x[i], part.y[i], part.w[i], part.offset[i]
        if rounds == 0 or len(y) == 0:  # no trees: the anchor alone (nothing to distribute)
            return xgb.train(params, part.dmatrix(features, rows), num_boost_round=rounds, verbose_eval=False)
        chunk = max(1, -(-len(y) // workers))

        def arr(a: np.ndarray) -> Any:
            return da.from_array(a, chunks=(chunk,) + a.shape[1:])

        dtrain = dxgb.DaskDMatrix(client, arr(x), arr(y), weight=arr(w), base_margin=arr(offset),
                                  feature_names=features, missing=np.nan)
        out = dxgb.train(client, {k: v for k, v in params.items() if k != "nthread"}, dtrain,
                         num_boost_round=rounds, verbose_eval=False)
        return out["booster"]

    return fit


def train_on_dask(source: str | Path, client: Any, out_dir: Path, *, model_names: Iterable[str] | None = None,
                  n_bootstrap: int = 10, landmarks: int = 1, description: str, synthetic: bool,
                  seed: int = 20261128, xgboost_dask: bool = False, work_dir: Path | None = None,
                  progress: Progress | None = None, plots_dir: Path | None = None) -> list[TrainResult]:
    """`risk.models.pipeline.train_all` on a Dask cluster (`client`): the same files, bar the line of the card
    and the manifest entry that name the engine (see the module docstring)."""
    names = list(model_names or MODEL_SPECS)
    with tempfile.TemporaryDirectory(prefix="risk-train-", dir=work_dir) as tmp:
        part = partition(Path(source), Path(tmp), min_buckets=max(1, len(client.scheduler_info()["workers"])))
        refuse_rejects(part.rejects)
        data = client.map(load_bucket, list(part.buckets), label=str(source), pure=False)
        try:
            named = training_sets(client, data, names, landmarks=landmarks)
        finally:
            client.cancel(data)
    latest = [(name, sets[0] if len(sets) == 1 else with_landmarks(sets[0], sets[1:])) for name, sets in named]
    if xgboost_dask:
        fit = xgboost_dask_fit(client)

        def trainer(ts: TrainingSet) -> TrainedModel:
            fitted = fit_main(ts, seed=seed, fit=fit)
            rows = bootstrap_rows(len(fitted.tr.y), n_bootstrap, seed=seed)
            return assemble(fitted, [fit_member(fitted, i, rows[i], seed=seed, fit=fit) for i in range(n_bootstrap)])
        engine = "xgboost.dask"
    else:
        futures = submit_models(client, latest, n_bootstrap=n_bootstrap, seed=seed)
        _follow(futures, progress)

        def trainer(ts: TrainingSet) -> TrainedModel:
            main, members = futures[ts.spec.name]
            return assemble(main.result(), [m.result() for m in members])
        engine = "dask"
    return train_sets(named, out_dir, trainer=trainer, n_bootstrap=n_bootstrap, description=description,
                      synthetic=synthetic, plots_dir=plots_dir, engine=engine)


def _follow(futures: dict[str, tuple[Any, list[Any]]], progress: Progress | None) -> None:
    """Wait for every task, a progress bar ticking as they finish (a failed task raises here)."""
    from dask.distributed import as_completed

    every = [f for main, members in futures.values() for f in (main, *members)]
    done: Iterable[Any] = as_completed(every)
    if progress is not None:
        done = progress(done, total=len(every), unit="task", desc="training on Dask (models, bootstrap members)")
    for f in done:
        f.result()


def refuse_rejects(rejects: Iterable[Any]) -> None:
    """Training needs every record: an export with unreadable lines stops it (as it stops `--engine local`)."""
    bad = [r for r in rejects if r.reason not in IGNORED_REJECTS]
    if bad:
        first = bad[0]
        raise SourceError(f"{len(bad)} lines of the export cannot be used (first: {first.file} line {first.line}, "
                          f"{first.reason}); training needs every record: fix the export (`risk panel` lists them "
                          "in its rejects file)", ExitCode.NOT_FHIR)
