"""What the dashboard pages call: settings, the full assessment, live what-if re-scoring.

Kept free of Streamlit so that every number on a page can be computed (and tested) without a browser.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from risk.advise.agreement import CategoryDisagreement, assessment_disagreement
from risk.assess.assessment import Assessment, assess
from risk.i18n.lab_units import LabUnit, from_lab, to_lab
from risk.models.registry import DEFAULT_MODELS_DIR, LoadedModel
from risk.record import PatientRecord
from risk.record.load import PatientView
from risk.explain.whatif import apply

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Deployment settings, from the environment only (no secret ever comes from here into a log)."""

    lang: str = "fr"  # RISK_LANG
    region: str = "low"  # RISK_REGION: ESC SCORE2 region (France: low)
    guideline_set: str = "esc2021"  # RISK_GUIDELINES
    models_dir: Path = DEFAULT_MODELS_DIR  # RISK_MODELS_DIR
    sample_dir: Path = REPO_ROOT / "sample_fhir"  # RISK_SAMPLE_DIR
    upload_max_mb: int = 20  # RISK_UPLOAD_MAX_MB
    bulk_roots: tuple[Path, ...] = field(default=(REPO_ROOT / "var" / "bulk",))  # RISK_BULK_DIRS (os.pathsep)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        lang = (e.get("RISK_LANG") or "fr").strip().lower()
        roots = tuple(Path(p).expanduser().resolve() for p in (e.get("RISK_BULK_DIRS") or "").split(os.pathsep)
                      if p.strip()) or (REPO_ROOT / "var" / "bulk",)
        return cls(lang=lang if lang in ("fr", "en") else "fr", region=e.get("RISK_REGION") or "low",
                   guideline_set=e.get("RISK_GUIDELINES") or "esc2021",
                   models_dir=Path(e.get("RISK_MODELS_DIR") or DEFAULT_MODELS_DIR),
                   sample_dir=Path(e.get("RISK_SAMPLE_DIR") or REPO_ROOT / "sample_fhir"),
                   upload_max_mb=int(e.get("RISK_UPLOAD_MAX_MB") or 20), bulk_roots=roots)

    def allowed_bulk_folder(self, folder: str | Path) -> Path | None:
        """The folder resolved, when it lies under one of the allowed roots (a user cannot read any path)."""
        p = Path(folder).expanduser().resolve()
        for root in self.bulk_roots:
            if p == root or root in p.parents:
                return p if p.is_dir() else None
        return None


@cache
def advice_available() -> bool:
    """True once risk.advise is installed (next steps, care gaps, alerts, risk category)."""
    try:
        import risk.advise  # noqa: F401
    except ImportError:
        return False
    return True


def full_assessment(view: PatientView, models: Mapping[str, LoadedModel], settings: Settings) -> Assessment:
    return assess(view, models, region=settings.region, guideline_set=settings.guideline_set,
                  with_advice=advice_available())


def current_risks(a: Assessment) -> dict[str, float]:
    out = {n: r.risk for n, r in a.scores.models.items() if r.risk is not None}
    out.update({n: float(r.risk) for n, r in a.scores.equations.items() if r.risk is not None})
    return out


# --- what-if controls -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Control:
    """One what-if slider (or toggle) in the unit the lab reports."""

    key: str  # sbp, ldl, hba1c, bmi, smoking
    concept: str  # measurement concept behind it ("smoking_status" for the toggle)
    value: float  # the patient's current value, in `unit`
    low: float
    high: float
    step: float
    unit: str  # display unit


# Slider ranges in canonical units: wide enough for any target, inside the plausible ranges of risk.terminology.concepts.
_RANGES = {"sbp": (90.0, 220.0, 1.0), "ldl": (0.5, 8.0, 0.05), "hba1c": (31.0, 120.0, 1.0), "bmi": (16.0, 50.0, 0.5)}


def _val(row: pd.Series, key: str) -> float | None:
    v = row.get(key)
    return None if v is None or pd.isna(v) else float(v)


def whatif_controls(row: pd.Series, units: Mapping[str, LabUnit]) -> list[Control]:
    """Controls for the modifiable inputs this patient has a value for (no value: nothing to move)."""
    out = []
    for key, (lo, hi, step) in _RANGES.items():
        if key == "hba1c" and not _val(row, "diabetes_any"):
            continue
        v = _val(row, key)
        if v is None:
            continue
        shown, unit = to_lab(key, v, units.get(key))
        lo_s, _ = to_lab(key, lo, units.get(key))
        hi_s, _ = to_lab(key, hi, units.get(key))
        scale = (hi_s - lo_s) / (hi - lo)
        # A power of ten in the lab's unit: 0.05 mmol/L LDL -> 0.01 g/L, 1 mmol/mol HbA1c -> 0.01 % (a lab's
        # own resolution), so that the patient's value sits exactly on the slider.
        s = 10.0 ** math.floor(math.log10(step * scale))
        digits = max(0, -int(math.floor(math.log10(s))))
        out.append(Control(key=key, concept=key, value=round(shown, digits), low=round(min(lo_s, shown), digits),
                           high=round(max(hi_s, shown), digits), step=s, unit=unit))
    if _val(row, "smoking_current") == 1:
        out.append(Control(key="smoking", concept="smoking_status", value=1.0, low=0.0, high=1.0, step=1.0, unit=""))
    return out


def changes_from_controls(row: pd.Series, values: Mapping[str, float], units: Mapping[str, LabUnit],
                          controls: list[Control] | None = None) -> dict[str, float]:
    """Feature edits for control values (same edits as risk.explain.whatif.scenarios: LDL moves TC and non-HDL too).

    A control left at the patient's value (as shown, i.e. rounded to the lab's resolution) changes nothing.
    """
    start = {c.key: c for c in controls or whatif_controls(row, units)}
    changes: dict[str, float] = {}
    for key, shown in values.items():
        if key == "smoking":
            if shown < 0.5:
                changes.update({"smoking_current": 0.0, "smoking_former": 1.0})
            continue
        c = start.get(key)
        if c is not None and abs(float(shown) - c.value) < c.step / 2:
            continue
        new = from_lab(key, float(shown), units.get(key))
        old = _val(row, key)
        changes[key] = new
        if key == "sbp":
            changes["sbp_mean3"] = new
        elif key == "ldl" and old is not None:
            for lipid in ("total_chol", "non_hdl"):
                v = _val(row, lipid)
                if v is not None:
                    changes[lipid] = v - (old - new)
    return changes


@dataclass(frozen=True, kw_only=True)
class Rescored:
    models: dict[str, tuple[float, float, float]]  # name -> (risk, low, high)
    equations: dict[str, float]


def rescore(a: Assessment, models: Mapping[str, LoadedModel], changes: Mapping[str, float], *,
            region: str = "low") -> Rescored:
    """Models and equations again with edited inputs (only those that had a risk before the edit)."""
    from risk.equations.applicability import reference_scores

    edited = apply(a.features_frame, changes)
    out_models = {}
    for name, r in a.scores.models.items():
        if r.risk is not None and name in models:
            p = models[name].predict(edited)
            out_models[name] = (float(p.risk[0]), float(p.low[0]), float(p.high[0]))
    after = reference_scores(edited.iloc[0].to_dict(), region=region)
    eq = {k: float(v.risk) for k, v in after.items()
          if v.risk is not None and a.scores.equations.get(k) is not None and a.scores.equations[k].risk is not None}
    return Rescored(models=out_models, equations=eq)


@dataclass(frozen=True, kw_only=True)
class Headline:
    """The one risk a report leads with: the 10-year CVD model when it applies, else the SCORE2 family."""

    name: str  # model or equation key
    risk: float
    interval: tuple[float, float] | None
    outcome_en: str
    outcome_fr: str
    years: float
    is_model: bool


def headline(a: Assessment) -> Headline | None:
    from risk.i18n.labels import EQUATION_HORIZON_YEARS

    m = a.scores.models.get("cvd10")
    if m is not None and m.risk is not None:
        return Headline(name="cvd10", risk=m.risk, interval=m.interval, outcome_en="a heart attack, a stroke or "
                        "cardiovascular death", outcome_fr="un infarctus, un AVC ou un décès cardiovasculaire",
                        years=m.horizon_years, is_model=True)
    for name in ("score2", "score2_diabetes"):
        e = a.scores.equations.get(name)
        if e is not None and e.risk is not None:
            return Headline(name=name, risk=float(e.risk), interval=None,
                            outcome_en="a heart attack or a stroke (fatal or not)",
                            outcome_fr="un infarctus ou un AVC (mortel ou non)",
                            years=EQUATION_HORIZON_YEARS[name], is_model=False)
    for name, r in a.scores.models.items():
        if r.risk is not None:
            from risk.models.spec import MODEL_SPECS

            spec = MODEL_SPECS[name]
            return Headline(name=name, risk=r.risk, interval=r.interval, outcome_en=spec.title_en.split(" of ", 1)[-1],
                            outcome_fr=spec.title_fr.split(" de ", 1)[-1], years=r.horizon_years, is_model=True)
    return None


@dataclass(frozen=True, kw_only=True)
class PatientResult:
    """Everything the patient page shows, computed once per (patient, index date)."""

    assessment: Assessment
    units: dict[str, LabUnit]
    peers: dict[str, Any]  # name -> risk.explain.peers.PeerRisk
    headline: Headline | None

    @property
    def disagreement(self) -> CategoryDisagreement | None:
        """cvd10 and its reference equation in different ESC risk categories (risk.advise.agreement)."""
        return assessment_disagreement(self.assessment)


def patient_result(record: PatientRecord, as_of: date, models: Mapping[str, LoadedModel],
                   settings: Settings) -> PatientResult:
    from risk.explain.peers import healthy_peer
    from risk.i18n.lab_units import lab_units
    from risk.record.load import patient_view

    a = full_assessment(patient_view(record, as_of), models, settings)
    peers = healthy_peer(a.features_frame, models, current_risks(a), region=settings.region)
    return PatientResult(assessment=a, units=lab_units(record), peers=peers, headline=headline(a))
