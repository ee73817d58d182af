"""Scores for one patient or many: the models and the published equations, side by side.

A result that cannot be computed carries a coded reason instead of a number (`risk=None`, `message=...`) and a
`status`: computed, not_applicable (outside the model's or equation's population) or not_computable (an input
is missing or unusable). Eligibility is decided on the whole frame at once (risk.models.spec.eligible_mask).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from risk.equations import EquationResult, reference_scores
from risk.features.build import row_frame
from risk.models.registry import LoadedModel
from risk.models.spec import MODEL_SPECS, eligibility_message, eligible_mask
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
    """Model scores for many patients; per model a list aligned with `features.index`."""
    out: dict[str, list[ModelResult]] = {}
    for name in MODEL_KEYS:
        spec = MODEL_SPECS[name]
        model = models.get(name)
        eligible = eligible_mask(spec, features).to_numpy()
        missing = (features.reindex(columns=[c for c in ESSENTIAL_INPUTS if model and c in model.features])
                   .isna().to_numpy())
        results: list[ModelResult] = []
        for i in range(len(features)):
            if model is None:
                msg, status = Message(code="model.not_installed", params={"model": name}), "not_computable"
            elif not eligible[i]:
                msg, status = eligibility_message(spec, features.iloc[i]), "not_applicable"
            elif missing.shape[1] and missing[i].any():
                absent = [c for c, m in zip([c for c in ESSENTIAL_INPUTS if c in model.features], missing[i],
                                            strict=True) if m]
                msg, status = Message(code="model.missing_inputs", params={"model": name, "concepts": absent}), \
                    "not_computable"
            else:
                msg, status = None, "computed"
            results.append(ModelResult(name=name, risk=None, status=status, message=msg,
                                       horizon_years=spec.horizon_years))
        todo = [i for i, r in enumerate(results) if r.status == "computed"]
        if todo and model is not None:
            pred = model.predict(features.iloc[todo])
            for j, i in enumerate(todo):
                results[i] = ModelResult(name=name, risk=float(pred.risk[j]),
                                         interval=(float(pred.low[j]), float(pred.high[j])),
                                         horizon_years=spec.horizon_years)
        out[name] = results
    return out


def score_one(features_row: pd.Series, models: Mapping[str, LoadedModel], *, region: str = "low") -> Scores:
    by_model = score_models(row_frame(features_row), models)
    return Scores(models={k: v[0] for k, v in by_model.items()},
                  equations=reference_scores(features_row.to_dict(), region=region))
