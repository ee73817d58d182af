"""The assessment as a FHIR R4 `RiskAssessment` (product.md section 3.4), for write-back or download.

Conventions (declared in `method.text` so that a reader does not have to guess):
- `probabilityDecimal` is a fraction 0-1, as in the HL7 example `riskassessment-example-cardiac` (the element
  comment speaks of percentages; invariant ras-2 only caps it at 100);
- one `prediction` per model or equation that produced a number, with `whenRange` 0..horizon years (UCUM `a`),
  the outcome in words, and the rationale (version, interval, main drivers, warnings);
- `basis` references the Observations whose values were used (the latest reported value of each input);
- scores that could not be computed are listed in `note` with their reason, never silently dropped;
- `status` is `preliminary`: the result has not been reviewed by a clinician yet; `cancelled` with no prediction
  for a patient who had died at the assessment date (the note says so).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from risk import __version__ as risk_version
from risk.assess.assessment import Assessment
from risk.explain.wording import summary
from risk.i18n.labels import EQUATION_HORIZON_YEARS, EQUATION_OUTCOME, pick
from risk.i18n.messages import message_text, tr
from risk.models.spec import MODEL_SPECS
from risk.report.text import top_factors_text

UCUM = "http://unitsofmeasure.org"
# The project's code for each model and equation: a prediction's `outcome.coding` (README, "Write-back").
OUTCOME_SYSTEM = "https://github.com/risk-dashboard/risk/outcome"


def _when(years: float) -> dict[str, Any]:
    return {"low": {"value": 0, "unit": "years", "system": UCUM, "code": "a"},
            "high": {"value": years, "unit": "years", "system": UCUM, "code": "a"}}


def risk_assessment(a: Assessment, *, lang: str = "en", now: datetime | None = None,
                    resource_id: str | None = None) -> dict[str, Any]:
    """A RiskAssessment resource (JSON-ready dict) for this assessment, worded in `lang`."""
    now = now or datetime.now(UTC)
    r = a.record
    predictions: list[dict[str, Any]] = []
    not_computed: list[str] = []
    for name, res in a.scores.models.items():
        spec = MODEL_SPECS[name]
        if res.risk is None:
            not_computed.append(f"{name}: {message_text(res.message, lang)}")
            continue
        rationale = [tr("fhir.model_version", lang, key=name, version=a.model_versions.get(name) or "?")]
        if res.interval:
            rationale.append(tr("fhir.interval", lang, low=f"{res.interval[0]:.4f}", high=f"{res.interval[1]:.4f}"))
        expl = a.explanations.get(name)
        if expl is not None:
            rationale.append(summary(expl, a.features, lang, a.units))
        predictions.append({
            "outcome": {"coding": [{"system": OUTCOME_SYSTEM, "code": name}],
                        "text": pick((spec.title_en, spec.title_fr), lang)},
            "probabilityDecimal": round(float(res.risk), 4),
            "whenRange": _when(spec.horizon_years),
            "rationale": "; ".join(rationale),
        })
    for name, res in a.shown_equations.items():
        if res.risk is None:
            not_computed.append(f"{name}: {message_text(res.message, lang)}")
            continue
        rationale = [f"{res.name} ({res.citation})", *(message_text(w, lang) for w in res.warning_messages)]
        predictions.append({
            "outcome": {"coding": [{"system": OUTCOME_SYSTEM, "code": name}],
                        "text": pick(EQUATION_OUTCOME[name], lang)},
            "probabilityDecimal": round(float(res.risk), 4),
            "whenRange": _when(EQUATION_HORIZON_YEARS[name]),
            "rationale": "; ".join(rationale),
        })
    basis = sorted({row.source_id for row in a.inputs if row.source_id and not row.derived})
    notes = [{"text": tr("fhir.fraction_note", lang)}]
    if a.headline is not None:
        h = a.headline
        notes.append({"text": tr("fhir.headline", lang, key=h.name, risk=f"{h.risk:.4f}",
                                 category=pick((a.category.label_en, a.category.label_fr), lang))})
    if a.top_factors:
        notes.append({"text": tr("report.top_factors", lang, factors=top_factors_text(a, lang))})
    if a.synthetic_models:
        notes.append({"text": tr("fhir.synthetic", lang, models=", ".join(a.synthetic_models))})
    if not_computed:
        notes.append({"text": tr("fhir.not_computed", lang) + " " + " | ".join(not_computed)})
    if a.banner is not None:  # no prediction for a patient who has died: the assessment was not performed
        predictions, basis, notes = [], [], [{"text": pick(a.banner, lang)}]
    return {
        "resourceType": "RiskAssessment",
        "id": resource_id or str(uuid.uuid4()),
        "status": "cancelled" if a.deceased else "preliminary",
        "method": {"text": f"risk dashboard {risk_version}: gradient-boosted models (XGBoost) and published "
                           "equations (SCORE2 family, PREVENT, KFRE)"},
        "code": {"text": tr("fhir.code", lang)},
        "subject": {"reference": f"Patient/{r.patient_id}"},
        "occurrenceDateTime": now.isoformat(timespec="seconds"),
        "basis": [{"reference": ref} for ref in basis],
        "prediction": predictions,
        "note": notes,
    }
