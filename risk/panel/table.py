"""The coordinator's panel: every patient scored, with risk band, top driver and care-gap reason.

Streams through `risk.panel.stream.score_records` (bounded memory per chunk), then adds per patient what the worklist
needs: the headline risk (the 10-year CVD model when it applies, else the SCORE2 family), the ESC risk category
(risk.advise, when installed), the factor that raises the headline model's risk most, and the most overdue care
gap. Texts are kept in both languages so that a language switch does not re-score the panel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from risk.assess.result import advice_available
from risk.explain.factors import explain_row
from risk.i18n.labels import key_conditions
from risk.models.registry import LoadedModel
from risk.panel.stream import score_records
from risk.record import PatientRecord

HEADLINE_MODEL = "cvd10"
HEADLINE_EQUATIONS = ("score2", "score2_diabetes")
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


def _flag(features: pd.Series, key: str) -> bool:
    v = features.get(key)
    return v is not None and not pd.isna(v) and float(v) >= 1


def panel_row(record: PatientRecord, flat: Mapping[str, Any], features: pd.Series,
              models: Mapping[str, LoadedModel], *, as_of: date, guideline_set: str, region: str) -> dict[str, Any]:
    row: dict[str, Any] = {"patient_id": record.patient_id, "name": record.name or "", "sex": record.sex,
                           "age": float(features["age"])}
    risk = flat.get(HEADLINE_MODEL)
    basis = HEADLINE_MODEL if risk is not None else None
    if risk is None:
        for name in HEADLINE_EQUATIONS:
            if flat.get(name) is not None:
                risk, basis = flat[name], name
                break
    row["risk"] = None if risk is None else float(risk)
    row["risk_basis"] = basis or ""
    for name in ("cvd10", "score2", "score2_diabetes", "prevent_cvd", "kfre_5y", "retinopathy5", "ckd5", "foot5",
                 "hf10"):
        row[name] = flat.get(name)
    stage = features.get("ckd_stage")
    conditions = {k: (_flag(features, k) if k != "ckd" else stage is not None and not pd.isna(stage) and stage >= 3)
                  for k in CONDITION_FILTERS}
    row.update({f"has_{k}": v for k, v in conditions.items()})
    row["conditions_en"] = ", ".join(key_conditions(features, "en"))
    row["conditions_fr"] = ", ".join(key_conditions(features, "fr"))
    row["driver_en"] = row["driver_fr"] = ""
    row["driver_key"] = ""
    if flat.get(HEADLINE_MODEL) is not None and HEADLINE_MODEL in models:
        frame = features.to_frame().T
        for col in frame.columns:
            if col != "as_of" and not col.endswith("_date"):
                frame[col] = pd.to_numeric(frame[col], errors="coerce")
        expl = explain_row(models[HEADLINE_MODEL], frame)
        top = next((f for f in expl.factors if f.points > 0.05 and f.key not in ("age", "sex")), None)
        if top is not None:
            row["driver_key"] = top.key
            row["driver_en"] = f"{top.label_en} (+{top.points:.1f} pts)"
            row["driver_fr"] = f"{top.label_fr} (+{top.points:.1f} pts)".replace(".", ",")
    row["band"] = "unknown"
    row["gap_en"] = row["gap_fr"] = ""
    row["gap_ids"] = ""
    row["n_gaps"] = 0
    if advice_available():
        from risk import advise
        from risk.assess.scores import score_equations

        feats = features.to_dict()
        equations = score_equations(features, region=region)
        category = advise.risk_category(feats, equations, guideline_set=guideline_set)
        row["band"] = category.category if category.category in BAND_LABELS else "unknown"
        gaps = advise.care_gaps(feats, as_of=as_of)
        row["n_gaps"] = len(gaps)
        row["gap_ids"] = ",".join(g.id for g in gaps)
        if gaps:
            row["gap_en"], row["gap_fr"] = gaps[0].text_en, gaps[0].text_fr
    return row


def score_panel(records: Iterable[PatientRecord], models: Mapping[str, LoadedModel], *, as_of: date,
                guideline_set: str = "esc2021", region: str = "low",
                progress: Callable[[int], None] | None = None) -> PanelResult:
    """Score every record; `progress(n)` is called after each patient."""
    kept: list[PatientRecord] = []

    def keep(it: Iterable[PatientRecord]) -> Iterable[PatientRecord]:
        for r in it:
            kept.append(r)
            yield r

    rows = []
    for i, (flat, features) in enumerate(score_records(keep(records), models, as_of=as_of, region=region)):
        record = kept[i]  # score_records keeps source order
        if record.patient_id != flat["patient_id"]:
            raise RuntimeError("panel scoring lost the order of the records")
        rows.append(panel_row(record, flat, features, models, as_of=as_of, guideline_set=guideline_set,
                              region=region))
        if progress is not None:
            progress(i + 1)
    table = pd.DataFrame(rows)
    if not table.empty:
        numeric = ["age", "risk", "cvd10", "score2", "score2_diabetes", "prevent_cvd", "kfre_5y", "retinopathy5",
                   "ckd5", "foot5", "hf10"]
        table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce")
        table["band_rank"] = table["band"].map({b: i for i, b in enumerate(BAND_ORDER)})
        table = table.sort_values(["band_rank", "risk"], ascending=[True, False], na_position="last")
        table = table.drop(columns="band_rank").reset_index(drop=True)
    return PanelResult(table=table, records=kept, as_of=as_of)


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
