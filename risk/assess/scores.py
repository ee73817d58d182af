"""Scores for one patient or many: the models and the published equations, side by side.

A result that cannot be computed carries a coded reason instead of a number (`risk=None`, `message=...`) and a
`status`: computed, not_applicable (outside the model's or equation's population) or not_computable (an input
is missing or unusable). Eligibility is decided on the whole frame at once (risk.models.spec.eligible_array).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from risk.equations import EquationResult
from risk.models.anchor import anchor_risks
from risk.models.registry import LoadedModel
from risk.models.spec import MODEL_SPECS, eligibility_columns, eligibility_message, eligible_array
from risk.terminology.messages import Message

Status = Literal["computed", "not_applicable", "not_computable"]
MODEL_KEYS = tuple(MODEL_SPECS)
# Inputs without which a clinician would not trust a cardiovascular model, whatever the trees can impute.
ESSENTIAL_INPUTS = ("sbp", "total_chol", "hdl")


@dataclass(frozen=True, kw_only=True)
class ModelResult:
    name: str
    risk: float | None
    interval: tuple[float, float] | None = None
    status: Status = "computed"
    message: Message | None = None  # why there is no risk (None when computed)
    horizon_years: float = 10


@dataclass(frozen=True, kw_only=True)
class Scores:
    models: dict[str, ModelResult]
    equations: dict[str, EquationResult]


def score_models(features: pd.DataFrame, models: Mapping[str, LoadedModel]) -> dict[str, list[ModelResult]]:
    """Model scores for many patients; per model a list aligned with `features.index`.

    What every model reads is computed once for the whole frame (a micro-batch of 1-32 patients pays its fixed
    cost once): the features as one float array, the essential inputs' absence, and the anchor equations of
    every anchored model on the rows that need them (risk.models.anchor.anchor_risks)."""
    return score_models_with_anchors(features, models)[0]


@dataclass(frozen=True, kw_only=True)
class AnchorTable:
    """One anchored model's equation risks on the rows of a batch that it scored (risk.models.anchor.anchor_risks:
    `published` with the BMI floor, `floored` with the smoking floor too; column k is `anchor.equations[k]`), kept
    so that the explanation reads the same numbers instead of computing the equations again."""

    line: dict[int, int]  # batch row -> line of the arrays
    published: np.ndarray
    floored: np.ndarray

    def take(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray] | None:
        """(published, floored) for these batch rows, in order; None when one of them was not scored."""
        if any(i not in self.line for i in rows):
            return None
        lines = [self.line[i] for i in rows]
        return self.published[lines], self.floored[lines]


def score_models_with_anchors(
        features: pd.DataFrame, models: Mapping[str, LoadedModel], *,
        shown: Sequence[Mapping[str, float]] | None = None, rows: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[dict[str, list[ModelResult]], dict[str, AnchorTable]]:
    """`score_models`, and each anchored model's equation risks on the rows it scored (AnchorTable).

    `shown`: per row of `features`, the published equations' risks (NaN: none) as the patient's cards show them,
    when the cards were computed in the anchor's region (risk.models.anchor.ANCHOR_REGION) from the same row;
    the anchor then reuses them wherever it reads the row unchanged (risk.models.anchor.anchor_risks `known`).
    `rows`: `features` as risk.models.anchor.object_rows gives it, when the caller has it already."""
    n = len(features)
    installed = [models[name] for name in MODEL_KEYS if name in models]
    columns = list(dict.fromkeys(f for m in installed for f in m.features))
    position = {c: j for j, c in enumerate(columns)}
    values = features.reindex(columns=columns).astype(float).to_numpy() if installed else np.empty((n, 0))
    absent = features.reindex(columns=list(ESSENTIAL_INPUTS)).isna().to_numpy()
    todo: dict[str, list[int]] = {}
    out: dict[str, list[ModelResult]] = {}
    for name in MODEL_KEYS:
        spec = MODEL_SPECS[name]
        model = models.get(name)
        eligible = eligible_array(spec, features)
        reads = eligibility_columns(spec, features)
        essential = [j for j, c in enumerate(ESSENTIAL_INPUTS) if model and c in model.features]
        missing = absent[:, essential]
        results: list[ModelResult] = []
        for i in range(n):
            if model is None:
                msg, status = Message(code="model.not_installed", params={"model": name}), "not_computable"
            elif not eligible[i]:
                msg, status = eligibility_message(spec, {c: v[i] for c, v in reads.items()}), "not_applicable"
            elif missing.shape[1] and missing[i].any():
                absent_inputs = [ESSENTIAL_INPUTS[j] for j, m in zip(essential, missing[i], strict=True) if m]
                msg, status = Message(code="model.missing_inputs", params={"model": name,
                                                                          "concepts": absent_inputs}), \
                    "not_computable"
            else:
                msg, status = None, "computed"
            results.append(ModelResult(name=name, risk=None, status=status, message=msg,
                                       horizon_years=spec.horizon_years))
        todo[name] = [i for i, r in enumerate(results) if r.status == "computed"]
        out[name] = results
    tables = _anchor_tables(features, {m.name: todo[m.name] for m in installed if m.anchor is not None}, models,
                            shown, rows)
    for model in installed:
        rows = todo[model.name]
        if not rows:
            continue
        x = values[np.ix_(rows, [position[f] for f in model.features])]
        table = tables.get(model.name)
        pred = model.predict_array(x, table.floored if table is not None else None)
        spec = MODEL_SPECS[model.name]
        for j, i in enumerate(rows):
            out[model.name][i] = ModelResult(name=model.name, risk=float(pred.risk[j]),
                                             interval=(float(pred.low[j]), float(pred.high[j])),
                                             horizon_years=spec.horizon_years)
    return out, tables


def _anchor_tables(features: pd.DataFrame, rows: Mapping[str, list[int]], models: Mapping[str, LoadedModel],
                   shown: Sequence[Mapping[str, float]] | None = None,
                   rows_as_dicts: Sequence[Mapping[str, Any]] | None = None) -> dict[str, AnchorTable]:
    """Each anchored model's equation risks on its rows (`LoadedModel.predict_array`'s table is `floored`), the
    equations computed once per row for all models together (cvd10 and hf10 usually score the same patients)."""
    anchors = {name: models[name].anchor for name, r in rows.items() if r}
    if not any(a is not None and a.equations for a in anchors.values()):
        return {}
    union = sorted({i for name, a in anchors.items() if a is not None and a.equations for i in rows[name]})
    frame = features if len(union) == len(features) else features.iloc[union]
    chains = {name: a.equations for name, a in anchors.items() if a is not None and a.equations}
    known = [shown[i] for i in union] if shown is not None else None
    objects = [rows_as_dicts[i] for i in union] if rows_as_dicts is not None else None
    tables = anchor_risks(frame, list(chains.values()), first_only=True, rows=objects, known=known)
    where = {i: k for k, i in enumerate(union)}
    out = {}
    for name, (published, floored) in zip(chains, tables, strict=True):
        lines = [where[i] for i in rows[name]]
        out[name] = AnchorTable(line={i: j for j, i in enumerate(rows[name])}, published=published[lines],
                                floored=floored[lines])
    return out

