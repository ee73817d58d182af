"""The Assessment as JSON (`risk score --format json`, `risk inspect --format json`): one serialiser.

Keys are a public contract (outside checks read them): what existed stays; new facts are added beside.
Coded messages are written with their code, their parameters and their text in both languages, so a consumer
can show French or English without translating anything back.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from risk.advise.agreement import CategoryDisagreement
from risk.assess.assessment import SHOWN_EQUATIONS, Assessment
from risk.assess.scores import ModelResult
from risk.assess.snapshot import PatientSnapshot
from risk.equations import EquationResult
from risk.explain.factors import Explanation
from risk.explain.peers import n_in_100
from risk.explain.whatif import WhatIfResult
from risk.explain.wording import factor_evidence, summary
from risk.fhir.dates import to_utc_datetime
from risk.i18n import LANGS
from risk.i18n.labels import EQUATION_OUTCOME, HEADLINE_OUTCOME
from risk.i18n.messages import message_json, message_text
from risk.record import DataIssue
from risk.record.latest import InputRow
from risk.terminology.messages import Message


def plain(obj: Any) -> Any:
    """Dataclasses, dates, tuples and numpy values as JSON-ready values (NaN as null)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [plain(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, datetime | date | pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, np.generic):
        return plain(obj.item())
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def dumps(doc: Any) -> str:
    return json.dumps(plain(doc), indent=2, ensure_ascii=False)


def coded_json(msg: Message | None) -> dict[str, Any] | None:
    """A coded message with its text in both languages, so a reader needs no catalogue."""
    if msg is None:
        return None
    return {**message_json(msg), **{f"text_{lang}": message_text(msg, lang) for lang in LANGS}}


def input_json(row: InputRow) -> dict[str, Any]:
    return plain(row)


def issue_json(issue: DataIssue) -> dict[str, Any]:
    """The issue as `risk inspect` has always written it (English message); the coded form is `issue_messages`."""
    return {"kind": str(issue.kind), "message": issue.message, "source_id": issue.source_id,
            "concept": issue.concept,
            "date": issue.time.date().isoformat() if isinstance(issue.time, datetime) else None}


def model_json(res: ModelResult) -> dict[str, Any]:
    if res.risk is None:
        return {"risk": None, "status": res.status, "reason": message_text(res.message, "en"),
                "reason_fr": message_text(res.message, "fr"), "reason_code": res.message.code}
    return {"risk": round(res.risk, 4), "status": res.status,
            "interval": [round(res.interval[0], 4), round(res.interval[1], 4)] if res.interval else None}


def equation_json(res: EquationResult) -> dict[str, Any]:
    if res.risk is None:
        return {"risk": None, "status": res.status, "reason": res.reason,
                "reason_fr": message_text(res.message, "fr") if res.message else res.reason,
                "reason_code": res.message.code if res.message else None}
    doc: dict[str, Any] = {"risk": round(float(res.risk), 4), "status": res.status}
    if res.warnings:
        doc["warnings"] = list(res.warnings)
        doc["warnings_fr"] = [message_text(m, "fr") for m in res.warning_messages]
    return doc


def factor_json(expl: Explanation, row: pd.Series, units: dict[str, Any]) -> dict[str, Any]:
    return {
        "risk": round(expl.risk, 4), "base_risk": round(expl.base_risk, 4),
        "summary_en": summary(expl, row, "en", units), "summary_fr": summary(expl, row, "fr", units),
        "drivers": [f.key for f in expl.drivers()],
        "factors": [{"factor": f.key, "label_en": f.label_en, "label_fr": f.label_fr, "points": round(f.points, 2),
                     "modifiable": f.modifiable, "evidence": factor_evidence(f, row, "en", units),
                     "evidence_fr": factor_evidence(f, row, "fr", units)} for f in expl.factors],
    }


def what_if_json(results: list[WhatIfResult]) -> list[dict[str, Any]]:
    return [{"scenario": r.scenario.key, "label_en": r.scenario.label_en, "label_fr": r.scenario.label_fr,
             "changes": {k: round(v, 2) for k, v in r.scenario.changes.items()},
             "models": {k: {"risk": round(v[0], 4), "interval": [round(v[1], 4), round(v[2], 4)]}
                        for k, v in r.models.items()},
             "equations": {k: round(v, 4) for k, v in r.equations.items()},
             "trial_estimates": [{"effect": message_text(t.effect, "en"), "effect_fr": message_text(t.effect, "fr"),
                                  "relative_risk": t.relative_risk, "risk_after": t.risk_after, "source": t.source}
                                 for t in r.trial_estimates]} for r in results]


def disagreement_json(d: CategoryDisagreement | None, *, synthetic: bool) -> dict[str, Any] | None:
    if d is None:
        return None
    return {**plain(d), **{f"text_{lang}": d.text(lang, synthetic=synthetic) for lang in LANGS}}


def headline_json(a: Assessment) -> dict[str, Any]:
    h, c = a.headline, a.category
    return {
        "name": h.name if h else None, "kind": h.kind if h else None,
        "risk": round(h.risk, 4) if h else None,
        "interval": [round(x, 4) for x in h.interval] if h and h.interval else None,
        "horizon_years": h.horizon_years if h else None, "n_in_100": n_in_100(h.risk) if h else None,
        "healthy_peer_risk": round(h.peer_risk, 4) if h and h.peer_risk is not None else None,
        "outcome_en": HEADLINE_OUTCOME[h.name][0] if h else None,
        "outcome_fr": HEADLINE_OUTCOME[h.name][1] if h else None,
        "category": c.category, "category_en": c.label_en, "category_fr": c.label_fr,
        "category_reason_en": c.reason_en, "category_reason_fr": c.reason_fr,
        "top_factors": [{"factor": f.key, "label_en": f.label_en, "label_fr": f.label_fr,
                         "points": round(f.points, 2)} for f in a.top_factors],
        "top_actions": [{"id": s.id, "text_en": s.text_en, "text_fr": s.text_fr, "guideline": s.guideline,
                         "year": s.year} for s in a.top_actions],
    }


def comparisons_json(a: Assessment) -> dict[str, Any]:
    """Healthy peer and relative risk (QRISK3 definition) and N in 100, for models and equations alike; SCORE2
    risk age; whether cvd10 and the reference equation put the patient in different ESC risk categories."""
    current = a.current_risks()

    def peer_doc(name: str) -> dict[str, Any]:
        peer = a.peers.get(name)
        return {"n_in_100": n_in_100(current[name]),
                "healthy_peer_risk": round(peer.peer_risk, 4) if peer else None,
                "relative_risk": round(peer.relative_risk, 2) if peer else None}

    return {"models": {n: peer_doc(n) for n, r in a.scores.models.items() if r.risk is not None},
            "equations": {n: peer_doc(n) for n, r in a.shown_equations.items() if r.risk is not None},
            "score2_risk_age": a.risk_age,
            "category_disagreement": disagreement_json(a.disagreement, synthetic=bool(a.synthetic_models))}


def assessment_json(a: Assessment) -> dict[str, Any]:
    return {
        "patient_id": a.record.patient_id,
        "as_of": a.as_of.isoformat(),
        # "deceased": the patient died on or before as_of; nothing below is a risk, step or gap to act on
        "status": a.status,
        "deceased_on": a.deceased_on.isoformat() if a.deceased_on else None,
        "banner": {"en": a.banner[0], "fr": a.banner[1]} if a.banner else None,
        # Resource types the FHIR server did not give in full; the scores that read them are withheld
        "partial": {"complete": not a.partial,
                    "types": [{"resource_type": g.resource_type, "status": g.status, "detail": g.detail}
                              for g in a.fetch_gaps],
                    "banner": {"en": a.partial_banner[0], "fr": a.partial_banner[1]} if a.partial_banner else None},
        "stale_inputs": [{"concept": r.concept, "date": r.date.isoformat(), "days_old": r.days_old}
                         for r in a.stale_inputs],
        "headline": headline_json(a),
        "models": {name: model_json(res) for name, res in a.scores.models.items()},
        "equations": {name: equation_json(res) for name, res in a.shown_equations.items()},
        "equation_outcomes": {name: {"en": EQUATION_OUTCOME[name][0], "fr": EQUATION_OUTCOME[name][1]}
                              for name in SHOWN_EQUATIONS},
        "inputs": [input_json(row) for row in a.inputs],
        "issues": [issue_json(i) for i in a.issues],
        "issue_messages": [coded_json(i.as_message()) for i in a.issues],
        "factors": {name: factor_json(e, a.features, a.units) for name, e in a.explanations.items()},
        "what_if": what_if_json(a.what_if),
        "comparisons": comparisons_json(a),
        "risk_category": plain(a.category),
        "next_steps": plain(a.next_steps),
        "care_gaps": plain(a.care_gaps),
        "alerts": plain(a.alerts),
        "synthetic_models": list(a.synthetic_models),
    }


def inspect_json(s: PatientSnapshot) -> dict[str, Any]:
    """`risk inspect --format json`: the normalised inputs, diagnoses, medications and issues."""
    r = s.record
    return {
        "patient_id": r.patient_id,
        "as_of": s.as_of.isoformat(),
        "patient": {"name": r.name, "sex": r.sex, "birth_date": r.birth_date.isoformat(),
                    "age": round(r.age_on(s.as_of), 1),
                    "deceased": r.deceased.date().isoformat() if r.deceased else None},
        "inputs": [input_json(row) for row in s.inputs],
        "diagnoses": diagnoses(s),
        "medications": medications(s),
        "issues": [issue_json(i) for i in r.issues],
    }


def diagnoses(s: PatientSnapshot) -> list[dict[str, Any]]:
    """Diagnoses known at the index date, first occurrence of each concept."""
    cutoff = to_utc_datetime(s.as_of)
    seen: dict[str, dict[str, Any]] = {}
    for d in s.record.diagnoses:
        if (d.onset is None or d.onset <= cutoff) and d.concept not in seen:
            seen[d.concept] = {"concept": d.concept, "display": d.display,
                               "onset": d.onset.date().isoformat() if d.onset else None,
                               "code": d.code, "source_id": d.source_id}
    return list(seen.values())


def medications(s: PatientSnapshot) -> list[dict[str, Any]]:
    """Drug classes active at the index date, with the latest prescription of each."""
    active = [c.removeprefix("rx_") for c, flag in s.features.items() if c.startswith("rx_") and flag == 1]
    out = []
    for concept in active:
        latest = [m for m in s.record.medications if m.concept == concept]
        m = latest[-1] if latest else None
        out.append({"class": concept, "display": m.display if m else None,
                    "start": m.start.date().isoformat() if m and m.start else None,
                    "source_id": m.source_id if m else None})
    return out
