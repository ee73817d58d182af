"""Trends: key inputs over time, and the risk recomputed at past visits ("did the treatment work?").

The risk at a past visit is what the same models and equations give with the features known on that day
(`build_features` at that index date: nothing dated later is used). All visits are computed in one vectorised
`build_features` call: the patient's long tables are replicated once per visit under a suffixed id, each copy
with its own index date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from risk.assess.scores import MODEL_KEYS, score_models
from risk.equations import reference_scores
from risk.features.build import build_features
from risk.features.tables import Tables
from risk.models.registry import LoadedModel
from risk.terminology.messages import Message

TREND_CONCEPTS = ("sbp", "ldl", "hba1c", "egfr")
# Inputs whose change can move a risk: a day with one of them measured is a "visit" worth re-scoring.
VISIT_CONCEPTS = ("sbp", "total_chol", "hdl", "ldl", "hba1c", "egfr", "creatinine", "uacr", "bmi", "smoking_status")
HISTORY_EQUATIONS = ("score2", "score2_diabetes", "prevent_cvd", "kfre_5y")
MAX_VISITS = 24


@dataclass(frozen=True, kw_only=True)
class RiskHistory:
    """One row per visit date (index), one column per model / equation (fraction, NaN when not computed)."""

    risks: pd.DataFrame
    reason: Message | None = None  # why there is no history (e.g. no dated inputs before as_of)


def visit_dates(tables: Tables, patient_id: str, as_of: date, *, max_visits: int = MAX_VISITS) -> list[date]:
    """Days with a risk-relevant measurement up to as_of, the most recent `max_visits` of them."""
    m = tables.measurements
    sub = m[(m["patient_id"] == patient_id) & m["concept"].isin(VISIT_CONCEPTS)]
    days = sorted({t.date() for t in sub["time"] if t.date() <= as_of})
    return days[-max_visits:]


def input_trends(tables: Tables, patient_id: str, as_of: date,
                 concepts: tuple[str, ...] = TREND_CONCEPTS) -> pd.DataFrame:
    """Long table (concept, time, value, derived) of the patient's values up to as_of, canonical units."""
    m = tables.measurements
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    sub = m[(m["patient_id"] == patient_id) & m["concept"].isin(concepts) & (m["time"] < cutoff)]
    return sub[["concept", "time", "value", "derived"]].sort_values(["concept", "time"]).reset_index(drop=True)


def _replicate(tables: Tables, patient_id: str, days: list[date]) -> tuple[Tables, pd.Series]:
    ids = [f"{patient_id}#{i}" for i in range(len(days))]

    def rep(df: pd.DataFrame) -> pd.DataFrame:
        one = df[df["patient_id"] == patient_id]
        if one.empty:
            return df.iloc[0:0]
        out = pd.concat([one.assign(patient_id=pid) for pid in ids], ignore_index=True)
        return out

    pat = tables.patients.loc[[patient_id] * len(days)].copy()
    pat.index = pd.Index(ids, name=tables.patients.index.name)
    rep_tables = Tables(patients=pat, measurements=rep(tables.measurements), diagnoses=rep(tables.diagnoses),
                        medications=rep(tables.medications), encounters=rep(tables.encounters))
    return rep_tables, pd.Series(pd.to_datetime(days), index=pat.index)


def risk_history(tables: Tables, patient_id: str, as_of: date, models: Mapping[str, LoadedModel], *,
                 region: str = "low", max_visits: int = MAX_VISITS,
                 equations: tuple[str, ...] = HISTORY_EQUATIONS) -> RiskHistory:
    days = visit_dates(tables, patient_id, as_of, max_visits=max_visits)
    if not days:
        return RiskHistory(risks=pd.DataFrame(), reason=Message(code="history.no_visits"))
    rep, index_dates = _replicate(tables, patient_id, days)
    feats = build_features(rep, index_dates)
    out: dict[str, list[float]] = {}
    by_model = score_models(feats, models)
    for name in MODEL_KEYS:
        if name in models:
            out[name] = [np.nan if r.risk is None else r.risk for r in by_model[name]]
    eq_cols: dict[str, list[float]] = {name: [] for name in equations}
    for _, row in feats.iterrows():
        scores = reference_scores(row.to_dict(), region=region)
        for name in equations:
            r = scores.get(name)
            eq_cols[name].append(np.nan if r is None or r.risk is None else float(r.risk))
    out.update(eq_cols)
    risks = pd.DataFrame(out, index=pd.Index(days, name="date"))
    risks = risks.loc[:, risks.notna().any(axis=0)]
    return RiskHistory(risks=risks, reason=None if not risks.empty else Message(code="history.nothing_computed"))
