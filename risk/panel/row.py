"""One patient's panel row: the Assessment's decisions (risk.assess.assessment), flattened.

`panel_facts` reads, from a patient's Assessment (the card path: no what-if, no peers, only the lead model
explained), the decisions the patient page shows first: the headline, the ESC category, the top three modifiable
factors of the lead explanation, the care gaps (specialist follow-up left out), the first steps to take and the
data-quality issue count. The app's panel table (risk.panel.table) and the `risk panel` files (`flat_row`) both
render these facts, so they cannot disagree with each other or with the patient page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from risk.advise import CareGap, NextStep, RiskCategory
from risk.assess.assessment import Assessment, Headline
from risk.assess.scores import MODEL_KEYS
from risk.equations import RESULT_KEYS
from risk.explain.factors import Factor
from risk.features.row import FeatureRow

N_FACTORS = 3
ROW_EQUATIONS: tuple[str, ...] = RESULT_KEYS


@dataclass(frozen=True, kw_only=True)
class PanelFacts:
    headline: Headline | None
    category: RiskCategory
    factors: tuple[Factor, ...]  # top modifiable factors of the lead model, largest first
    gaps: tuple[CareGap, ...]  # due or overdue, most overdue first (specialist follow-up excluded)
    top_actions: tuple[NextStep, ...]
    n_issues: int


def panel_facts(a: Assessment) -> PanelFacts:
    return PanelFacts(headline=a.headline, category=a.category, factors=a.top_factors[:N_FACTORS],
                      gaps=tuple(g for g in a.care_gaps if not g.follow_up), top_actions=a.top_actions,
                      n_issues=len(a.issues))


def row_columns() -> list[str]:
    """The columns of the `risk panel` files, in order (a file format: new columns go last)."""
    cols = ["patient_id", "sex", "age", "risk", "risk_source", "esc_category", "esc_basis"]
    for m in MODEL_KEYS:
        cols += [m, f"{m}_low", f"{m}_high"]
    cols += list(ROW_EQUATIONS)
    for i in range(1, N_FACTORS + 1):
        cols += [f"factor_{i}", f"factor_{i}_points"]
    cols += ["care_gap", "care_gap_overdue_days", "n_care_gaps", "next_steps", "n_issues"]
    return cols


FLOAT_COLUMNS = frozenset({"age", "risk", *MODEL_KEYS, *(f"{m}_{s}" for m in MODEL_KEYS for s in ("low", "high")),
                           *ROW_EQUATIONS, *(f"factor_{i}_points" for i in range(1, N_FACTORS + 1))})
INT_COLUMNS = frozenset({"care_gap_overdue_days", "n_care_gaps", "n_issues"})


def flat_row(a: Assessment, facts: PanelFacts) -> dict[str, Any]:
    """The whole row of one patient, plain values only (None when not computed); no name, no birth date."""
    record, scores, read = a.record, a.scores, FeatureRow(a.snapshot.values)
    h = facts.headline
    row: dict[str, Any] = {"patient_id": record.patient_id, "sex": record.sex, "age": read.num("age"),
                           "risk": h.risk if h else None, "risk_source": h.name if h else "",
                           "esc_category": facts.category.category, "esc_basis": facts.category.basis}
    for m in MODEL_KEYS:
        res = scores.models.get(m)
        row[m] = res.risk if res is not None else None
        low, high = res.interval if res is not None and res.interval is not None else (None, None)
        row[f"{m}_low"], row[f"{m}_high"] = low, high
    for e in ROW_EQUATIONS:
        r = scores.equations.get(e)
        row[e] = None if r is None or r.risk is None else float(r.risk)
    for i in range(N_FACTORS):
        f = facts.factors[i] if i < len(facts.factors) else None
        row[f"factor_{i + 1}"] = f.key if f else ""
        row[f"factor_{i + 1}_points"] = round(f.points, 6) if f else None
    gap = facts.gaps[0] if facts.gaps else None
    row["care_gap"] = gap.id if gap else ""
    row["care_gap_overdue_days"] = gap.overdue_days if gap else None
    row["n_care_gaps"] = len(facts.gaps)
    row["next_steps"] = ";".join(s.id for s in facts.top_actions)
    row["n_issues"] = facts.n_issues
    return row
