"""Model artefacts on disk: XGBoost JSON boosters + manifest + card + metrics, each checked by SHA-256.

Layout of `models/<name>/`: `booster.json` (the model), `ensemble_NN.json` (bootstrap members for the
uncertainty interval), `manifest.json` (features, calibration, horizon, training data), `metrics.json`,
`card.md`, and `SHA256SUMS` covering every other file. Nothing is loaded before every checksum matches, and
nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from risk.errors import ExitCode, ModelError
from risk.models.anchor import Anchor, anchor_risks, first_of
from risk.settings import DEFAULT_MODELS_DIR

SUMS = "SHA256SUMS"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_checksums(folder: Path) -> None:
    lines = [f"{sha256_file(p)}  {p.name}" for p in sorted(folder.iterdir()) if p.is_file() and p.name != SUMS]
    (folder / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")


def verify_checksums(folder: Path) -> None:
    sums = folder / SUMS
    if not sums.is_file():
        raise ModelError(f"model folder {folder} has no {SUMS}; refusing to load an unverified model",
                         ExitCode.MODEL_INTEGRITY)
    listed = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            listed[name.strip()] = digest
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"model file {path} listed in {SUMS} is missing", ExitCode.MODEL_INTEGRITY)
        if sha256_file(path) != digest:
            raise ModelError(f"checksum mismatch for {path}: the file was changed after training; refusing to "
                             "load it", ExitCode.MODEL_INTEGRITY)
    for required in ("manifest.json", "booster.json"):
        if required not in listed:
            raise ModelError(f"{required} of {folder} is not covered by {SUMS}", ExitCode.MODEL_INTEGRITY)


@dataclass(frozen=True, kw_only=True)
class Prediction:
    risk: np.ndarray  # calibrated probability at the horizon
    low: np.ndarray  # 90 % interval from the bootstrap ensemble
    high: np.ndarray
    margin: np.ndarray  # calibrated log-odds (= calibration_a + calibration_b * raw margin)


@dataclass(frozen=True, kw_only=True)
class LoadedModel:
    name: str
    folder: Path
    manifest: dict[str, Any]
    booster: xgb.Booster
    ensemble: tuple[xgb.Booster, ...]

    @property
    def features(self) -> list[str]:
        return list(self.manifest["features"])

    @property
    def synthetic(self) -> bool:
        """Trained on synthetic data (manifest `synthetic: true`): demonstration only."""
        return bool(self.manifest.get("synthetic", False))

    @property
    def earned_headline(self) -> bool:
        """The model may lead a report instead of its published equation: only when its validation showed it
        beats that equation on the same held-out real rows (manifest `headline_earned: true`, written by the
        validation gate), never for a model trained on synthetic data."""
        return self.manifest.get("headline_earned") is True and not self.synthetic

    @property
    def verdict(self) -> str | None:
        """The validation gate's verdict (manifest `verdict`): "primary" or "challenger"; None for older models."""
        v = self.manifest.get("verdict")
        return str(v) if v is not None else None

    @cached_property
    def anchor(self) -> Anchor | None:
        """The published equation the model starts from (manifest `anchor`); None for a model without offset."""
        return Anchor.from_manifest(self.manifest.get("anchor"))

    def offset(self, features: pd.DataFrame) -> np.ndarray:
        """The anchor's log-odds per row (0 without an anchor): what the trees add to."""
        return self.anchor.margin(features) if self.anchor is not None else np.zeros(len(features))

    @property
    def calibration(self) -> tuple[float, float]:
        c = self.manifest["calibration"]
        return float(c["a"]), float(c["b"])

    @cached_property
    def card(self) -> str:
        path = self.folder / "card.md"
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    @cached_property
    def metrics(self) -> dict[str, Any]:
        path = self.folder / "metrics.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def matrix(self, features: pd.DataFrame) -> xgb.DMatrix:
        return xgb.DMatrix(self.array(features), feature_names=self.features, missing=np.nan, nthread=1)

    def array(self, features: pd.DataFrame) -> np.ndarray:
        return features.reindex(columns=self.features).astype(float).to_numpy()

    def predict(self, features: pd.DataFrame) -> Prediction:
        """Calibrated risk with its interval: a + b * (anchor offset + trees)."""
        anchor = self.anchor
        table = (anchor_risks(features, [anchor.equations], first_only=True)[0][1]
                 if anchor is not None and anchor.equations else None)
        return self.predict_array(self.array(features), table)

    def predict_array(self, x: np.ndarray, table: np.ndarray | None) -> Prediction:
        """`predict` from the pieces risk.assess.scores.score_models computes once for every model: the feature
        array (`array`) and the anchor equations' risks per row (column j is `anchor.equations[j]`, as
        risk.models.anchor.anchor_risks gives them; only the first applicable one is read; None without anchor
        equations)."""
        a, b = self.calibration
        anchor = self.anchor
        trees = self.tree_margins(x)
        first = None
        if anchor is not None and table is not None:
            first, _ = first_of(table)
            offset = anchor.margin_from_risk(first)
        elif anchor is not None:
            offset = np.full(len(x), anchor.fallback)
        else:
            offset = np.zeros(len(x))
        margin = a + b * (offset + trees[0])
        risk = 1.0 / (1.0 + np.exp(-margin))
        if self.ensemble:
            # Each member with its own anchor recalibration, so the interval carries the anchor's uncertainty too.
            members = np.vstack([
                a + b * ((anchor.member(i).margin_from_risk(first) if anchor is not None and first is not None
                          else offset) + m)
                for i, m in enumerate(trees[1:])])
            # Interval on the log-odds scale centred on the main model: +-1.645 SD of the bootstrap members.
            sd = members.std(axis=0, ddof=1) if len(self.ensemble) > 1 else np.zeros_like(margin)
            low, high = (1.0 / (1.0 + np.exp(-(margin + k * 1.645 * sd))) for k in (-1, 1))
        else:
            low, high = risk.copy(), risk.copy()
        return Prediction(risk=risk, low=low, high=high, margin=margin)

    def tree_margins(self, x: np.ndarray) -> list[np.ndarray]:
        """The raw margin of the main booster, then of each bootstrap member, for the rows of `x` (columns in
        `features` order). One DMatrix for the seven boosters: half the fixed cost of seven `inplace_predict`
        calls on a few rows, the same float32 predictions (same CPU predictor)."""
        dm = xgb.DMatrix(x, missing=np.nan, nthread=1)
        return [m.predict(dm, output_margin=True, validate_features=False) for m in (self.booster, *self.ensemble)]

    def contributions(self, features: pd.DataFrame, dmatrix: xgb.DMatrix | None = None) -> np.ndarray:
        """Exact TreeSHAP (XGBoost pred_contribs) of the trees on the calibrated log-odds scale; last column = bias
        (a + b x the trees' expected value). The anchor's part, b x offset, is not in it: risk.explain.factors
        splits it among the equation's inputs."""
        dm = dmatrix if dmatrix is not None else self.matrix(features)
        a, b = self.calibration
        contribs = self.booster.predict(dm, pred_contribs=True) * b
        contribs[:, -1] += a
        return contribs


def synthetic_models(models: Mapping[str, LoadedModel]) -> list[str]:
    """Names of loaded models trained on synthetic data (manifest `synthetic: true`): demonstration only."""
    return sorted(n for n, m in models.items() if m.synthetic)


def load_model(folder: Path) -> LoadedModel:
    folder = Path(folder)
    if not (folder / "manifest.json").is_file():
        raise ModelError(f"no model at {folder} (manifest.json missing); run `risk train`", ExitCode.MODEL_MISSING)
    verify_checksums(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    booster = xgb.Booster()
    booster.load_model(str(folder / "booster.json"))
    ensemble = []
    for name in manifest.get("ensemble", []):
        member = xgb.Booster()
        member.load_model(str(folder / name))
        ensemble.append(member)
    for b in (booster, *ensemble):
        b.set_param({"nthread": 1})
    return LoadedModel(name=manifest["name"], folder=folder, manifest=manifest, booster=booster,
                       ensemble=tuple(ensemble))


def load_all(models_dir: Path | None = None) -> dict[str, LoadedModel]:
    """Every model folder under models_dir, verified; raises on the first integrity failure."""
    root = Path(models_dir or DEFAULT_MODELS_DIR)
    found = {}
    for folder in sorted(p for p in root.iterdir() if (p / "manifest.json").is_file()) if root.is_dir() else []:
        model = load_model(folder)
        found[model.name] = model
    return found
