"""Partial data is never silent: which FHIR resource types each score needs, and withholding a score whose
inputs may be missing because a server did not give those types in full.

A missing MedicationRequest search would read as "no antihypertensive", and PREVENT would then give a lower
risk than the truth: a wrong number, worse than none. So a score is withheld, with a reason, whenever one type
it reads is failed or partial; the other scores stand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from risk.assess.scores import ModelResult, Scores
from risk.equations import EquationResult
from risk.fhir.base import FetchGap
from risk.models.registry import LoadedModel
from risk.terminology.messages import Message
from risk.terminology.qrisk3 import QRISK3_MEDICATIONS

# Read by every score: measurements, diagnoses, and the procedures that establish disease (eligibility).
BASE_TYPES: tuple[str, ...] = ("Observation", "Condition", "Procedure")
MEDICATION_TYPES: tuple[str, ...] = ("MedicationRequest", "MedicationStatement")
FAMILY_TYPES: tuple[str, ...] = ("FamilyMemberHistory",)
DIAGNOSIS_TYPES: tuple[str, ...] = ("Condition", "Procedure")  # what the "Conditions" line of a report reads
# The published equations: which of their inputs come from medications or family history.
EQUATION_TYPES: dict[str, tuple[str, ...]] = {
    "score2": BASE_TYPES,
    "score2_diabetes": BASE_TYPES,
    "prevent_cvd": (*BASE_TYPES, *MEDICATION_TYPES),  # antihypertensive and statin treatment
    "prevent_ascvd": (*BASE_TYPES, *MEDICATION_TYPES),
    "prevent_hf": (*BASE_TYPES, *MEDICATION_TYPES),
    "qrisk3": (*BASE_TYPES, *MEDICATION_TYPES, *FAMILY_TYPES),  # treatments, family history of CHD
    "kfre_5y": BASE_TYPES,
    "kfre_2y": BASE_TYPES,
}
_MEDICATION_FEATURES = ("rx_", "on_", "n_antihypertensive", *(f"qrisk3_{c}" for c in QRISK3_MEDICATIONS))


def feature_types(features: Iterable[str]) -> tuple[str, ...]:
    """The resource types a model's features are built from (its manifest's feature list)."""
    types = set(BASE_TYPES)
    for name in features:
        if name.startswith(_MEDICATION_FEATURES):
            types.update(MEDICATION_TYPES)
        elif name.startswith("dx_family_history"):
            types.update(FAMILY_TYPES)
        elif name.startswith("visits_"):
            types.add("Encounter")
    return tuple(sorted(types))


def needed_types(name: str, models: Mapping[str, LoadedModel]) -> tuple[str, ...]:
    """What one model or equation reads; an unknown name needs everything (never computed from a gap)."""
    if name in EQUATION_TYPES:
        return EQUATION_TYPES[name]
    model = models.get(name)
    if model is not None:
        return feature_types(model.features)
    return ("*",)


def not_read(gaps: Sequence[FetchGap], types: Sequence[str]) -> bool:
    """True when one of `types` did not arrive in full: "none recorded" would then be a guess."""
    return any(g.resource_type in types for g in gaps)


def _blocking(needed: Sequence[str], gaps: Sequence[FetchGap]) -> list[FetchGap]:
    return [g for g in gaps if "*" in needed or g.resource_type in needed]


def withheld_message(gaps: Sequence[FetchGap]) -> Message:
    return Message(code="fetch.withheld", params={
        "types": ", ".join(g.resource_type for g in gaps),
        "details": "; ".join(f"{g.resource_type}: {g.status}, {g.detail}" for g in gaps)})


def withhold(scores: Scores, gaps: Sequence[FetchGap], models: Mapping[str, LoadedModel]) -> Scores:
    """The scores with every one whose inputs may be missing replaced by a reason (others unchanged)."""
    if not gaps:
        return scores
    out_models: dict[str, ModelResult] = {}
    for name, res in scores.models.items():
        blocking = _blocking(needed_types(name, models), gaps)
        out_models[name] = res if not blocking else ModelResult(
            name=name, risk=None, status="not_computable", message=withheld_message(blocking),
            horizon_years=res.horizon_years)
    out_equations: dict[str, EquationResult] = {}
    for name, eq in scores.equations.items():
        blocking = _blocking(needed_types(name, models), gaps)
        if not blocking:  # even "not applicable" may rest on the missing type (a diagnosis, a procedure)
            out_equations[name] = eq
            continue
        msg = withheld_message(blocking)
        out_equations[name] = replace(eq, risk=None, status="not_computable", message=msg,
                                      reason=f"withheld: the server did not give all of {msg.params['types']}")
    return Scores(models=out_models, equations=out_equations)
