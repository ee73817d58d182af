"""One patient's full assessment: scores, explanations, what-if, next steps, care gaps, alerts.

The single function behind `risk score` and the patient page, so both always show the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from risk.explain.factors import Explanation, explain_row, factor_json
from risk.record.latest import issue_json
from risk.models.registry import LoadedModel
from risk.assess.scores import Scores, equation_json, score_one
from risk.record.load import PatientView
from risk.explain.whatif import WhatIfResult, what_if, what_if_json


@dataclass(frozen=True, kw_only=True)
class Assessment:
    view: PatientView
    scores: Scores
    explanations: dict[str, Explanation]
    what_if: list[WhatIfResult]
    next_steps: list[Any] = field(default_factory=list)
    care_gaps: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)
    risk_category: Any = None
    guideline_set: str = "esc2021"
    models: Mapping[str, LoadedModel] = field(default_factory=dict, repr=False, compare=False)

    @property
    def features_frame(self) -> pd.DataFrame:
        return _frame(self.view.features)


def _frame(row: pd.Series) -> pd.DataFrame:
    """One features row as a one-row frame with numeric dtypes (dates kept as timestamps)."""
    dates = [c for c in row.index if c == "as_of" or c.endswith("_date")]
    numeric = pd.to_numeric(row.drop(dates), errors="coerce").astype(float)
    frame = pd.DataFrame([numeric.to_numpy()], columns=numeric.index, index=[row.name])
    for col in dates:
        frame[col] = pd.Series([row[col]], index=frame.index, dtype="datetime64[ns]")
    return frame[list(row.index)]


def assess(view: PatientView, models: Mapping[str, LoadedModel], *, region: str = "low",
           guideline_set: str = "esc2021", with_advice: bool = True) -> Assessment:
    row = view.features
    scores = score_one(row, models, region=region)
    frame = _frame(row)
    explanations = {name: explain_row(models[name], frame) for name, r in scores.models.items()
                    if r.risk is not None and name in models}
    current = {name: r.risk for name, r in scores.models.items() if r.risk is not None}
    wi = what_if(frame, models, current, region=region)
    steps, gaps, alerts, category = [], [], [], None
    if with_advice:
        from risk import advise

        model_scores = {k: v for k, v in scores.models.items()}
        steps = advise.next_steps(row.to_dict(), scores.equations, model_scores, guideline_set=guideline_set,
                                  region=region)
        gaps = advise.care_gaps(row.to_dict(), as_of=view.as_of)
        alerts = advise.alerts(row.to_dict())
        category = advise.risk_category(row.to_dict(), scores.equations, guideline_set=guideline_set)
    return Assessment(view=view, scores=scores, explanations=explanations, what_if=wi, next_steps=steps,
                      care_gaps=gaps, alerts=alerts, risk_category=category, guideline_set=guideline_set,
                      models=models)


def _plain(obj: Any) -> Any:
    """Dataclasses (next steps, gaps, alerts) as JSON-ready dicts."""
    import dataclasses
    from datetime import date

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def assessment_json(a: Assessment) -> dict[str, Any]:
    r = a.view.record
    eq = a.scores.equations
    return {
        "patient_id": r.patient_id,
        "as_of": a.view.as_of.isoformat(),
        "models": {name: res.to_json() for name, res in a.scores.models.items()},
        "equations": {name: equation_json(eq[name]) for name in
                      ("score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd", "prevent_hf", "kfre_5y")
                      if name in eq},
        "inputs": [row.to_json() for row in a.view.inputs],
        "issues": [issue_json(i) for i in r.issues],
        "factors": {name: factor_json(e) for name, e in a.explanations.items()},
        "what_if": what_if_json(a.what_if),
        "comparisons": comparisons_json(a),
        "risk_category": _plain(a.risk_category),
        "next_steps": _plain(a.next_steps),
        "care_gaps": _plain(a.care_gaps),
        "alerts": _plain(a.alerts),
    }


def comparisons_json(a: Assessment) -> dict[str, Any]:
    """Healthy peer and relative risk per model (QRISK3 definition), N in 100, SCORE2 risk age, and whether cvd10
    and the reference equation put the patient in different ESC risk categories (risk.advise.agreement)."""
    from risk.explain.peers import healthy_peer, n_in_100

    current = {name: r.risk for name, r in a.scores.models.items() if r.risk is not None}
    out: dict[str, Any] = {"models": {}}
    if current:
        peers = healthy_peer(a.features_frame, a.models, current)
        for name, risk in current.items():
            peer = peers.get(name)
            out["models"][name] = {"n_in_100": n_in_100(risk),
                                   "healthy_peer_risk": round(peer.peer_risk, 4) if peer else None,
                                   "relative_risk": round(peer.relative_risk, 2) if peer else None}
    out["score2_risk_age"] = _risk_age(a)
    from risk.advise.agreement import assessment_disagreement, disagreement_json
    from risk.models.registry import synthetic_models

    out["category_disagreement"] = disagreement_json(assessment_disagreement(a),
                                                     synthetic=bool(synthetic_models(a.models)))
    return out


def _risk_age(a: Assessment) -> float | None:
    """SCORE2/SCORE2-OP risk age (ESC 2021) when SCORE2 itself was computed for this patient."""
    from risk.equations import score2_risk_age

    res = a.scores.equations.get("score2")
    if res is None or res.risk is None:
        return None
    f = a.view.features
    try:
        age = score2_risk_age(sex="male" if f["sex_male"] == 1 else "female", age=float(f["age"]),
                              smoker=bool(f["smoking_current"] == 1), sbp=float(f["sbp"]),
                              total_chol=float(f["total_chol"]), hdl=float(f["hdl"]))
    except ValueError:
        return None
    return round(age, 1) if age is not None else None
