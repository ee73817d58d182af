"""The coordinator's panel: every patient scored, with risk band, top driver and care-gap reason.

Streams through `risk.panel.stream.assess_chunks` (bounded memory per chunk), then adds per patient what the
worklist needs, decided by the same rules as the patient page: the headline risk (risk.assess.choose_headline), the
ESC risk category (risk.advise), the modifiable factor that raises the cardiovascular model's risk most
(Explanation.drivers) and the most overdue care gap. Texts are kept in both languages so that a language
switch does not re-score the panel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from risk.advise.data import DEFAULT_GUIDELINE_SET
from risk.assess.assessment import Assessment
from risk.features.row import FeatureRow
from risk.i18n import fmt_number
from risk.i18n.labels import key_conditions
from risk.models.registry import LoadedModel
from risk.panel.row import panel_facts
from risk.panel.stream import Excluded, assess_chunks, living
from risk.record import PatientRecord

# The scores a coordinator can sort by (one column each).
PANEL_SCORES = ("cvd10", "score2", "score2_diabetes", "prevent_cvd", "kfre_5y", "retinopathy5", "ckd5", "foot5",
                "hf10")
# Filterable conditions (feature column -> (en, fr)).
CONDITION_FILTERS: dict[str, tuple[str, str]] = {
    "diabetes_any": ("diabetes", "diabète"), "hypertension": ("hypertension", "hypertension"),
    "established_cvd": ("established CVD", "maladie CV avérée"), "ckd": ("CKD stage 3-5", "MRC stade 3-5"),
    "prior_hf": ("heart failure", "insuffisance cardiaque"), "smoking_current": ("current smoker", "fumeur"),
}
BAND_ORDER = ("very_high", "high", "moderate", "low_moderate", "low", "unknown")
BAND_LABELS = {"very_high": ("very high", "très élevé"), "high": ("high", "élevé"), "moderate": ("moderate", "modéré"),
               "low_moderate": ("low to moderate", "faible à modéré"), "low": ("low", "faible"),
               "unknown": ("not determined", "non déterminé")}


@dataclass(frozen=True, kw_only=True)
class PanelResult:
    table: pd.DataFrame  # one row per patient (columns: see panel_row)
    records: list[PatientRecord]  # kept in the user's session for click-through and local calibration
    as_of: date
    deceased: int = 0  # patients dead at as_of: left out of the table, the rankings and the worklist


def panel_row(a: Assessment) -> dict[str, Any]:
    """What the worklist shows for one patient: its Assessment's decisions (the patient page's)."""
    record, scores, features = a.record, a.scores, a.snapshot.values
    read = FeatureRow(features)
    row: dict[str, Any] = {"patient_id": record.patient_id, "name": record.name or "", "sex": record.sex,
                           "age": read.num("age")}
    facts = panel_facts(a)
    headline = facts.headline
    row["risk"] = headline.risk if headline else None
    row["risk_basis"] = headline.name if headline else ""
    for name in PANEL_SCORES:
        res = scores.models.get(name) or scores.equations.get(name)
        row[name] = None if res is None or res.risk is None else float(res.risk)
    conditions = {k: read.at_least("ckd_stage", 3) if k == "ckd" else read.yes(k) for k in CONDITION_FILTERS}
    row.update({f"has_{k}": v for k, v in conditions.items()})
    row["conditions_en"] = ", ".join(key_conditions(features, "en"))
    row["conditions_fr"] = ", ".join(key_conditions(features, "fr"))
    row["driver_en"] = row["driver_fr"] = row["driver_key"] = ""
    if facts.factors:
        top = facts.factors[0]
        row["driver_key"] = top.key
        row["driver_en"] = f"{top.label_en} (+{fmt_number(top.points, 'en', 1)} pts)"
        row["driver_fr"] = f"{top.label_fr} (+{fmt_number(top.points, 'fr', 1)} pts)"
    category = facts.category
    row["band"] = category.category if category.category in BAND_LABELS else "unknown"
    row["band_basis"] = category.basis
    gaps = facts.gaps
    row["n_gaps"] = len(gaps)
    row["gap_ids"] = ",".join(g.id for g in gaps)
    row["gap_en"], row["gap_fr"] = (gaps[0].text_en, gaps[0].text_fr) if gaps else ("", "")
    return row


def score_panel(records: Iterable[PatientRecord], models: Mapping[str, LoadedModel], *, as_of: date,
                guideline_set: str = DEFAULT_GUIDELINE_SET, region: str = "low",
                progress: Callable[[int], None] | None = None) -> PanelResult:
    """Score every record; `progress(n)` is called after each patient."""
    kept: list[PatientRecord] = []
    rows = []
    excluded = Excluded()
    alive = living(records, as_of, excluded)
    for i, (record, a) in enumerate(assess_chunks(alive, models, as_of=as_of, region=region,
                                                  guideline_set=guideline_set)):
        if isinstance(a, Exception):  # the app shows what it could assess; the error is for the developers
            raise a
        kept.append(record)
        rows.append(panel_row(a))
        if progress is not None:
            progress(i + 1)
    table = pd.DataFrame(rows)
    if not table.empty:
        numeric = ["age", "risk", *PANEL_SCORES]
        table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce")
        table["band_rank"] = table["band"].map({b: i for i, b in enumerate(BAND_ORDER)})
        table = table.sort_values(["band_rank", "risk"], ascending=[True, False], na_position="last")
        table = table.drop(columns="band_rank").reset_index(drop=True)
    return PanelResult(table=table, records=kept, as_of=as_of, deceased=excluded.deceased)


def filter_panel(table: pd.DataFrame, *, age: tuple[float, float] | None = None, sexes: Iterable[str] = (),
                 bands: Iterable[str] = (), conditions: Iterable[str] = (), care_gap_only: bool = False,
                 statuses: Iterable[str] = ()) -> pd.DataFrame:
    """Rows matching every filter given (empty filter = no restriction)."""
    keep = pd.Series(True, index=table.index)
    if age is not None:
        keep &= table["age"].between(age[0], age[1] + 0.999)
    if sexes := list(sexes):
        keep &= table["sex"].isin(sexes)
    if bands := list(bands):
        keep &= table["band"].isin(bands)
    for c in conditions:
        keep &= table[f"has_{c}"].astype(bool)
    if care_gap_only:
        keep &= table["n_gaps"] > 0
    if (statuses := list(statuses)) and "status" in table.columns:
        keep &= table["status"].isin(statuses)
    return table[keep]
