"""Scores for one patient or a panel: the models and the published equations, side by side.

A result that cannot be computed carries its reason instead of a number (`risk=None`, `reason=...`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from risk.models.registry import LoadedModel
from risk.models.spec import MODEL_SPECS, eligibility_reason

EQUATION_KEYS = ("score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd", "prevent_hf", "kfre_5y")
MODEL_KEYS = tuple(MODEL_SPECS)


@dataclass(frozen=True, kw_only=True)
class ModelResult:
    name: str
    risk: float | None
    interval: tuple[float, float] | None = None
    reason: str | None = None
    title_en: str = ""
    title_fr: str = ""
    horizon_years: float = 10

    def to_json(self) -> dict[str, Any]:
        if self.risk is None:
            return {"risk": None, "reason": self.reason}
        return {"risk": round(self.risk, 4), "interval": [round(self.interval[0], 4), round(self.interval[1], 4)]
                if self.interval else None}


@dataclass(frozen=True, kw_only=True)
class Scores:
    models: dict[str, ModelResult]
    equations: dict[str, Any]  # name -> risk.equations.applicability.EquationResult
    extra: dict[str, Any] = field(default_factory=dict)


def _missing_reason(spec_features: list[str], row: pd.Series) -> str | None:
    """A model is not computed without the inputs a clinician would consider essential."""
    essentials = {"sbp": "systolic blood pressure", "total_chol": "total cholesterol", "hdl": "HDL cholesterol"}
    missing = [label for col, label in essentials.items() if col in spec_features and _nan(row.get(col))]
    if missing:
        return "missing " + ", ".join(missing) + " (no value recorded at the index date)"
    return None


def _nan(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))


def score_models(features: pd.DataFrame, models: Mapping[str, LoadedModel]) -> dict[str, list[ModelResult]]:
    """Vectorised model scores for many patients; per model a list aligned with features.index."""
    out: dict[str, list[ModelResult]] = {}
    for name in MODEL_KEYS:
        spec = MODEL_SPECS[name]
        model = models.get(name)
        reasons = []
        for _, row in features.iterrows():
            reason = eligibility_reason(spec, row)
            if reason is None and model is not None:
                reason = _missing_reason(model.features, row)
            reasons.append(reason if model is not None else f"{name} model is not installed (run `risk train`)")
        idx = [i for i, r in enumerate(reasons) if r is None]
        results: list[ModelResult] = [ModelResult(name=name, risk=None, reason=r, title_en=spec.title_en,
                                                  title_fr=spec.title_fr, horizon_years=spec.horizon_years)
                                      for r in reasons]
        if idx and model is not None:
            pred = model.predict(features.iloc[idx])
            for j, i in enumerate(idx):
                results[i] = ModelResult(name=name, risk=float(pred.risk[j]),
                                         interval=(float(pred.low[j]), float(pred.high[j])),
                                         title_en=spec.title_en, title_fr=spec.title_fr,
                                         horizon_years=spec.horizon_years)
        out[name] = results
    return out


def score_equations(row: pd.Series, *, region: str = "low") -> dict[str, Any]:
    from risk.equations.applicability import reference_scores

    return reference_scores(row.to_dict(), region=region)


def score_one(features_row: pd.Series, models: Mapping[str, LoadedModel], *, region: str = "low") -> Scores:
    from risk.assessment import _frame

    frame = _frame(features_row)
    by_model = score_models(frame, models)
    return Scores(models={k: v[0] for k, v in by_model.items()},
                  equations=score_equations(features_row, region=region))


def equation_json(result: Any) -> dict[str, Any]:
    if result.risk is None:
        return {"risk": None, "reason": result.reason}
    doc: dict[str, Any] = {"risk": round(float(result.risk), 4)}
    if getattr(result, "warnings", None):
        doc["warnings"] = list(result.warnings)
    return doc


def panel_rows(features: pd.DataFrame, models: Mapping[str, LoadedModel], *, region: str = "low"
               ) -> Iterator[dict[str, Any]]:
    """One flat row per patient: patient_id, each model's risk, each equation's risk (None when not computed)."""
    by_model = score_models(features, models)
    for i, (pid, row) in enumerate(features.iterrows()):
        eq = score_equations(row, region=region)
        doc: dict[str, Any] = {"patient_id": pid}
        for name in MODEL_KEYS:
            doc[name] = by_model[name][i].risk
        for name in EQUATION_KEYS:
            r = eq.get(name)
            doc[name] = None if r is None or r.risk is None else float(r.risk)
        yield doc

