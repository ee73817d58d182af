"""One patient at one date: the single `Assessment` that every face renders.

The patient page, the PDF, `risk score` (text and JSON), the FHIR RiskAssessment and the panel row all show
this one object, so they cannot disagree: the clinical decisions (which risk leads, which equations are shown,
what drives the risk, whether the model and the equation disagree on the ESC category) are taken here or in the
stage that owns them, never again at an edge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal

import pandas as pd

from risk import advise
from risk.advise import Alert, CareGap, NextStep, RiskCategory
from risk.advise.agreement import CategoryDisagreement, cvd_category_disagreement
from risk.advise.data import DEFAULT_GUIDELINE_SET
from risk.advise.inputs import outside_derivation
from risk.assess.completeness import withhold
from risk.assess.issues import IssueGroup, group_issues, rejected_counts
from risk.assess.scores import AnchorTable, Scores, score_models_with_anchors
from risk.assess.snapshot import PatientSnapshot, model_frame
from risk.equations import RESULT_KEYS, EquationResult, reference_scores, score2_family, score2_risk_age
from risk.equations.score2 import parse_region
from risk.explain.factors import Explanation, Factor, explain_rows
from risk.explain.peers import PeerRisk, healthy_peer
from risk.explain.whatif import WhatIfResult, what_if
from risk.features.row import FeatureRow
from risk.fhir.base import FetchGap
from risk.i18n.lab_units import LabUnit, lab_units
from risk.i18n.messages import tr
from risk.models.anchor import ANCHOR_REGION, object_rows
from risk.models.gate import challenger_message
from risk.models.registry import LoadedModel
from risk.record import DataIssue, PatientRecord
from risk.record.latest import InputRow
from risk.terminology.messages import Message

# Every published equation the product computes is shown (cards, JSON, PDF, RiskAssessment): one list.
SHOWN_EQUATIONS: tuple[str, ...] = RESULT_KEYS
# Models that may lead a report, once their validation earned it (LoadedModel.earned_headline).
HEADLINE_MODELS: tuple[str, ...] = ("cvd10",)
# When no SCORE2-family equation applies (e.g. under 40), PREVENT total CVD is the published fallback (AHA 2023).
FALLBACK_EQUATIONS: tuple[str, ...] = ("prevent_cvd",)
TOP_ACTIONS = 3
# The measured inputs of each headline equation (their staleness is said beside the headline).
_SCORE2_INPUTS = ("sbp", "total_chol", "hdl", "smoking_status")
HEADLINE_INPUTS: dict[str, tuple[str, ...]] = {
    "score2": _SCORE2_INPUTS, "score2_diabetes": (*_SCORE2_INPUTS, "hba1c", "egfr"),
    "prevent_cvd": (*_SCORE2_INPUTS, "egfr"), "cvd10": _SCORE2_INPUTS,
}


@dataclass(frozen=True, kw_only=True)
class Headline:
    """The one risk figure to act on: the guideline's equation, unless a model has earned the headline."""

    name: str  # model or equation key
    kind: Literal["model", "equation"]
    risk: float
    interval: tuple[float, float] | None
    horizon_years: float
    peer_risk: float | None  # healthy person of the same age and sex, same model or equation family

    @property
    def is_model(self) -> bool:
        return self.kind == "model"


@dataclass(frozen=True, kw_only=True)
class Assessment:
    snapshot: PatientSnapshot
    scores: Scores
    headline: Headline | None
    category: RiskCategory  # ESC risk category with its reason ("unknown" with the reason when not computable)
    explanations: dict[str, Explanation]
    what_if: list[WhatIfResult]
    peers: dict[str, PeerRisk]
    disagreement: CategoryDisagreement | None  # cvd10 and its reference equation in different ESC categories
    next_steps: list[NextStep]
    care_gaps: list[CareGap]
    alerts: list[Alert]
    units: dict[str, LabUnit]  # the unit each concept is shown in (the patient's laboratory's)
    guideline_set: str
    region: str
    synthetic_models: tuple[str, ...] = ()  # models trained on synthetic data: demonstration only
    model_versions: dict[str, str] = field(default_factory=dict)
    # Models the validation gate kept as challengers, with why (risk.models.gate.challenger_message): shown after
    # the equation that leads.
    challengers: dict[str, Message] = field(default_factory=dict)
    # Dead at the index date (Patient.deceased[x]): every output shows a banner and no score, step or gap.
    deceased: bool = False

    @cached_property
    def risk_age(self) -> float | None:
        """SCORE2 / SCORE2-OP risk age (ESC 2021), when SCORE2 itself was computed; solved on first use (the
        report shows it; a card or a panel row does not, and the search costs about a millisecond)."""
        return None if self.deceased else _risk_age(FeatureRow(self.snapshot.values), self.scores)

    @property
    def deceased_on(self) -> date | None:
        """The date of death when recorded (a deceasedBoolean has none)."""
        return self.record.deceased.date() if self.deceased and self.record.deceased else None

    @property
    def age(self) -> int:
        """Age in whole years at the index date, or at death when the patient died before it."""
        day = min(self.as_of, self.deceased_on) if self.deceased_on else self.as_of
        return int(self.record.age_on(day))

    @property
    def status(self) -> Literal["assessed", "deceased"]:
        return "deceased" if self.deceased else "assessed"

    @property
    def banner(self) -> tuple[str, str] | None:
        """The deceased banner (en, fr) every output shows first, or None."""
        return (self.category.reason_en, self.category.reason_fr) if self.deceased else None

    @property
    def fetch_gaps(self) -> tuple[FetchGap, ...]:
        """Resource types the server did not give in full: their scores are withheld, nothing is written back."""
        return self.record.fetch_gaps

    @property
    def partial(self) -> bool:
        return bool(self.record.fetch_gaps)

    @property
    def partial_banner(self) -> tuple[str, str] | None:
        """The incomplete-record banner (en, fr) every output shows above the scores, or None."""
        if not self.partial:
            return None
        types = ", ".join(f"{g.resource_type} ({g.status}, {g.detail})" for g in self.fetch_gaps)
        return tr("fetch.banner", "en", types=types), tr("fetch.banner", "fr", types=types)

    @property
    def stale_inputs(self) -> list[InputRow]:
        """Inputs older than their staleness limit at the index date that the headline equation or a next step
        rests on (said on every output beside the steps)."""
        used = set(HEADLINE_INPUTS.get(self.headline.name, ()) if self.headline else ())
        used |= {"smoking_status" if t.name == "smoking_current" else t.name
                 for s in self.next_steps for t in s.acts_on}
        return [row for row in self.inputs if row.stale and row.concept in used]

    @property
    def record(self) -> PatientRecord:
        return self.snapshot.record

    @property
    def as_of(self) -> date:
        return self.snapshot.as_of

    @property
    def features(self) -> pd.Series:
        return self.snapshot.features

    @property
    def inputs(self) -> list[InputRow]:
        return self.snapshot.inputs

    @property
    def issues(self) -> list[DataIssue]:
        return list(self.snapshot.record.issues)

    @property
    def issue_groups(self) -> list[IssueGroup]:
        """The issues as a clinician reads them: one line per reason, childhood anthropometrics in one."""
        return group_issues(self.issues, self.record)

    @property
    def top_actions(self) -> tuple[NextStep, ...]:
        """The first steps to take (not already in place), most urgent first."""
        todo = sorted((s for s in self.next_steps if not s.already_done), key=lambda s: s.priority)
        return tuple(todo[:TOP_ACTIONS])

    @property
    def shown_equations(self) -> dict[str, EquationResult]:
        return {n: self.scores.equations[n] for n in SHOWN_EQUATIONS if n in self.scores.equations}

    @property
    def lead_explanation(self) -> Explanation | None:
        """The explanation every output shows first: the headline's when it is a model, else the model for
        the same outcome (cvd10), else the first explained model."""
        lead = [self.headline.name] if self.headline is not None else []
        for name in (*lead, *HEADLINE_MODELS, *self.explanations):
            if name in self.explanations:
                return self.explanations[name]
        return None

    @property
    def top_factors(self) -> tuple[Factor, ...]:
        """The modifiable factors that raise the lead explanation's risk most (at most three)."""
        e = self.lead_explanation
        return e.drivers(3, modifiable_only=True) if e is not None else ()

    def current_risks(self) -> dict[str, float]:
        """Every computed risk by name (models and equations)."""
        return computed_risks(self.scores)


def computed_risks(scores: Scores) -> dict[str, float]:
    """Every computed risk by name, models then equations."""
    out = {n: r.risk for n, r in scores.models.items() if r.risk is not None}
    out.update({n: float(r.risk) for n, r in scores.equations.items() if r.risk is not None})
    return out


def choose_headline(scores: Scores, models: Mapping[str, LoadedModel],
                    peers: Mapping[str, PeerRisk]) -> Headline | None:
    """The headline rule, in one place: a model that earned it on validation, else the SCORE2 family (by
    eligibility), else PREVENT; None when no published equation could be computed (the cards say why)."""
    for name in HEADLINE_MODELS:
        m, model = scores.models.get(name), models.get(name)
        if m is not None and m.risk is not None and model is not None and model.earned_headline:
            peer = peers.get(name)
            return Headline(name=name, kind="model", risk=m.risk, interval=m.interval,
                            horizon_years=m.horizon_years, peer_risk=peer.peer_risk if peer else None)
    family = score2_family(scores.equations)
    name = family if family is not None and not outside_derivation(scores.equations[family]) else next(
        (n for n in FALLBACK_EQUATIONS if scores.equations.get(n) is not None and scores.equations[n].risk is not None
         and not outside_derivation(scores.equations[n])), None)
    if name is None:  # an equation outside its derivation population is shown with its warning, never headlined
        return None
    peer = peers.get(name)
    return Headline(name=name, kind="equation", risk=float(scores.equations[name].risk), interval=None,
                    horizon_years=10, peer_risk=peer.peer_risk if peer else None)


def _risk_age(row: FeatureRow, scores: Scores) -> float | None:
    res = scores.equations.get("score2")
    values = [row.num(k) for k in ("age", "sbp", "total_chol", "hdl")]
    if res is None or res.risk is None or any(v is None for v in values):
        return None
    age, sbp, tc, hdl = values
    try:
        years = score2_risk_age(sex="male" if row.yes("sex_male") else "female", age=age, sbp=sbp,
                                smoker=row.yes("smoking_current"), total_chol=tc, hdl=hdl)
    except ValueError:
        return None
    return round(years, 1) if years is not None else None


def _disagreement(row: FeatureRow, scores: Scores, category: RiskCategory,
                  guideline_set: str) -> CategoryDisagreement | None:
    """Only when the ESC category rests on the score: with established CVD, severe target-organ damage or CKD
    the category comes from the condition (ESC 2021/2023), and neither number changes it."""
    if category.basis != "score":
        return None
    cvd = scores.models.get("cvd10")
    return cvd_category_disagreement(
        age=row.num("age") or 0.0, model_risk=cvd.risk if cvd else None,
        equations={n: None if r.risk is None else float(r.risk) for n, r in scores.equations.items()},
        guideline_set=guideline_set)


def assess(snap: PatientSnapshot, models: Mapping[str, LoadedModel], *, region: str = "low",
           guideline_set: str = DEFAULT_GUIDELINE_SET, card_only: bool = False) -> Assessment:
    """Everything about one patient at one date, computed once (see `assess_many`, the one path)."""
    return assess_many([snap], models, region=region, guideline_set=guideline_set, card_only=card_only)[0]


def assess_many(snaps: Sequence[PatientSnapshot], models: Mapping[str, LoadedModel], *, region: str = "low",
                guideline_set: str = DEFAULT_GUIDELINE_SET, card_only: bool = False) -> list[Assessment]:
    """One Assessment per snapshot, in order: the models and their explanations run once on all the living
    patients' rows (a CDS micro-batch, a panel chunk), every decision is then taken per patient as for one.
    A patient dead at the index date gets nothing but the banner and the record (no score, category, step, gap
    or alert). `card_only` (the CDS card and the panel row) leaves out what neither shows and that costs most:
    the what-if scenarios and the healthy peers."""
    out: list[Assessment | None] = [None] * len(snaps)
    alive = []
    for i, s in enumerate(snaps):
        if s.record.deceased_by(s.as_of):
            out[i] = deceased_assessment(s, models, region=region, guideline_set=guideline_set)
        else:
            alive.append(i)
    if alive:
        frame = model_frame([snaps[i] for i in alive])
        rows = object_rows(frame)
        equations = [reference_scores(snaps[i].values, region=region) for i in alive]
        # The anchors compute the same equations in ANCHOR_REGION: in that region, from the cards' results.
        shown = ([{n: math.nan if r.risk is None else r.risk for n, r in eq.items()} for eq in equations]
                 if parse_region(region) == ANCHOR_REGION else None)
        by_model, anchors = score_models_with_anchors(frame, models, shown=shown, rows=rows)
        scores = [withhold(Scores(models={n: results[j] for n, results in by_model.items()}, equations=equations[j]),
                           snaps[i].record.fetch_gaps, models) for j, i in enumerate(alive)]
        # What each patient's outputs explain: every computed model, or for a card or a panel row only the lead.
        wanted = [[n for n, r in sc.models.items() if r.risk is not None and n in models] for sc in scores]
        if card_only:
            wanted = [[lead] if (lead := lead_model(sc, choose_headline(sc, models, {}))) else [] for sc in scores]
        explained = _explanations(frame, wanted, models, anchors, rows)
        context = _ModelContext.of(models)
        for j, i in enumerate(alive):
            out[i] = _assess_one(snaps[i], scores[j], {n: explained[n][j] for n in wanted[j]}, models, context,
                                 region=region, guideline_set=guideline_set, card_only=card_only)
    return [a for a in out if a is not None]


def lead_model(scores: Scores, headline: Headline | None) -> str | None:
    """The model whose explanation every output shows first: the headline's when it is a model, else the model
    for the same outcome (cvd10), else the first computed model."""
    lead = [headline.name] if headline is not None and headline.is_model else []
    return next((n for n in (*lead, *HEADLINE_MODELS, *scores.models)
                 if n in scores.models and scores.models[n].risk is not None), None)


def _explanations(frame: pd.DataFrame, wanted: Sequence[Sequence[str]], models: Mapping[str, LoadedModel],
                  anchors: Mapping[str, AnchorTable], objects: Sequence[Mapping[str, Any]],
                  ) -> dict[str, dict[int, Explanation]]:
    """The exact TreeSHAP explanations asked for, by model and row position (one batched call per model); the
    anchor equations' risks are the scores' own (`anchors`), not computed again."""
    out: dict[str, dict[int, Explanation]] = {}
    for name in dict.fromkeys(n for names in wanted for n in names):
        rows = [j for j, names in enumerate(wanted) if name in names]
        table = anchors[name].take(rows) if name in anchors else None
        out[name] = dict(zip(rows, explain_rows(models[name], frame.iloc[rows], anchor_table=table,
                                                rows=[objects[j] for j in rows]), strict=True))
    return out


@dataclass(frozen=True, kw_only=True)
class _ModelContext:
    """What every assessment says about the installed models (the same for every patient of a batch)."""

    synthetic: tuple[str, ...]
    versions: dict[str, str]
    challengers: dict[str, Message]

    @staticmethod
    def of(models: Mapping[str, LoadedModel]) -> _ModelContext:
        return _ModelContext(
            synthetic=tuple(sorted(n for n, m in models.items() if m.synthetic)),
            versions={n: str(m.manifest.get("version", "")) for n, m in models.items()},
            challengers={n: msg for n, m in models.items()
                         if (msg := challenger_message(n, m.manifest)) is not None})


def _assess_one(snap: PatientSnapshot, scores: Scores, explanations: dict[str, Explanation],
                models: Mapping[str, LoadedModel], context: _ModelContext, *, region: str, guideline_set: str,
                card_only: bool) -> Assessment:
    """The per-patient decisions, from the patient's scores and explanations."""
    features = snap.values
    gaps = snap.record.fetch_gaps
    model_risks = {name: r.risk for name, r in scores.models.items() if r.risk is not None}
    peers = {} if card_only else healthy_peer(snap.frame, models, computed_risks(scores), region=region)
    category = advise.risk_category(features, scores.equations, guideline_set=guideline_set, region=region)
    read = FeatureRow(features)
    headline = choose_headline(scores, models, peers)
    scenarios = [] if card_only else what_if(
        snap.frame, models, model_risks, region=region, reference=headline.risk if headline else None,
        reference_name=headline.name if headline else None, ldl_target=advise.ldl_goal(category.category))
    return Assessment(
        snapshot=snap, scores=scores, headline=headline, category=category,
        explanations=explanations, what_if=scenarios, peers=peers,
        disagreement=_disagreement(read, scores, category, guideline_set),
        # Steps and care gaps read every resource type (treatments in place, tests done): none from a partial fetch.
        next_steps=[] if gaps else advise.next_steps(features, scores.equations, dict(scores.models),
                                                     guideline_set=guideline_set, region=region,
                                                     category=category),
        care_gaps=[] if gaps else advise.care_gaps(features, as_of=snap.as_of,
                                                   rejected=rejected_counts(snap.record.issues)),
        alerts=advise.alerts(features),
        units=lab_units(snap.record), guideline_set=guideline_set, region=region,
        synthetic_models=context.synthetic, model_versions=dict(context.versions),
        challengers=dict(context.challengers))


def deceased_assessment(snap: PatientSnapshot, models: Mapping[str, LoadedModel], *, region: str,
                        guideline_set: str) -> Assessment:
    """A patient who has died: no scores, category, next steps, care gaps or alerts (project issue 12)."""
    death = snap.record.deceased.date() if snap.record.deceased else None
    context = _ModelContext.of(models)
    return Assessment(
        snapshot=snap, scores=Scores(models={}, equations={}), headline=None,
        category=advise.deceased_category(death, guideline_set, region=region), explanations={}, what_if=[],
        peers={}, disagreement=None, next_steps=[], care_gaps=[], alerts=[],
        units=lab_units(snap.record), guideline_set=guideline_set, region=region,
        synthetic_models=context.synthetic, model_versions=dict(context.versions), deceased=True)
