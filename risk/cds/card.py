"""One Assessment as one CDS Hooks 2.0 card (https://cds-hooks.hl7.org/2.0/#card-attributes).

summary: the headline risk and the ESC category (at most 140 characters); indicator by category; detail: the
same strip the report leads with (risk.report.text.headline_lines: category and why, the risk to act on, the top
factors, the top steps, outdated inputs) and the dates of the data used, in the language the EHR asked for;
source: the guideline set and the model versions; suggestions: a step that re-measures a dated input maps to a
FHIR ServiceRequest (a draft proposal for the clinician to sign); a SMART link opens the dashboard on the patient.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from risk import __version__
from risk.assess.assessment import Assessment
from risk.errors import RiskError
from risk.i18n import fmt_date, fmt_number, fmt_percent, in_sentence
from risk.i18n.labels import EQUATION_SHORT, MODEL_SHORT, pick
from risk.i18n.messages import error_text, tr
from risk.report.text import headline_lines
from risk.terminology.concepts import MEASUREMENT_CONCEPTS

SUMMARY_MAX = 139  # CDS Hooks 2.0: summary "<140 characters"
INDICATOR = {"very_high": "critical", "high": "warning"}  # otherwise info
GUIDELINE_SET_NAMES = {"esc_eas2025": "ESC 2021 · ESC 2024 BP · ESC/EAS 2025 lipids", "esc2021": "ESC 2021"}
# The laboratory or vital-sign order of a measurement a step asks to repeat (LOINC).
ORDER_CODES: dict[str, tuple[str, str]] = {
    "sbp": ("8480-6", "Systolic blood pressure"), "total_chol": ("2093-3", "Cholesterol [Mass/volume] in Serum or "
                                                                          "Plasma"),
    "hdl": ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma"),
    "ldl": ("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay"),
    "hba1c": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
    "egfr": ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
    "uacr": ("9318-7", "Albumin/Creatinine [Mass Ratio] in Urine"),
}


def _summary(a: Assessment, lang: str) -> str:
    c = a.category
    category = pick((c.label_en, c.label_fr), lang)
    if a.banner is not None:
        text = pick(a.banner, lang)
    elif a.headline is None:
        text = tr("cds.summary_no_headline", lang, category=category)
    else:
        h = a.headline
        label = pick(MODEL_SHORT.get(h.name) or EQUATION_SHORT[h.name], lang)
        text = tr("cds.summary", lang, label=label, risk=fmt_percent(h.risk, lang, 1),
                  years=fmt_number(h.horizon_years, lang, 0), category=category)
    return text if len(text) <= SUMMARY_MAX else text[:SUMMARY_MAX - 1] + "…"


def _label(concept: str, lang: str) -> str:
    c = MEASUREMENT_CONCEPTS[concept]
    return in_sentence(pick((c.label_en, c.label_fr), lang))


def _data_used(a: Assessment, lang: str) -> str:
    rows = [r for r in a.inputs if r.concept in MEASUREMENT_CONCEPTS]
    if not rows:
        return tr("cds.no_data_used", lang)
    items = ", ".join(f"{_label(r.concept, lang)} ({fmt_date(r.date, lang)})" for r in rows)
    return tr("cds.data_used", lang, items=items)


def _suggestions(a: Assessment, lang: str) -> list[dict[str, Any]]:
    out = []
    for step in a.top_actions:
        for t in step.stale if step.remeasure else ():
            if t.name not in ORDER_CODES:
                continue
            code, display = ORDER_CODES[t.name]
            label = tr("cds.remeasure", lang, test=_label(t.name, lang))
            out.append({"label": label, "uuid": str(uuid.uuid4()), "actions": [{
                "type": "create", "description": label,
                "resource": {"resourceType": "ServiceRequest", "status": "draft", "intent": "proposal",
                             "subject": {"reference": f"Patient/{a.record.patient_id}"},
                             "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}],
                                      "text": label},
                             "reasonCode": [{"text": pick((step.text_en, step.text_fr), lang)}]}}]})
    return out


def card(a: Assessment, *, lang: str, app_url: str = "") -> dict[str, Any]:
    """The one card of a patient-view hook."""
    detail = "\n\n".join([*headline_lines(a, lang), _data_used(a, lang)])
    versions = ", ".join(f"{n} {v}" for n, v in sorted(a.model_versions.items()) if v)
    guideline = GUIDELINE_SET_NAMES.get(a.guideline_set, a.guideline_set)
    out: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": _summary(a, lang),
        "indicator": INDICATOR.get(a.category.category, "info"),
        "detail": detail,
        "source": {"label": tr("cds.source", lang, guideline=guideline, version=__version__)
                   + (f" · {versions}" if versions else "")},
    }
    suggestions = _suggestions(a, lang)
    if suggestions:
        out["suggestions"] = suggestions
        out["selectionBehavior"] = "any"
    if app_url:
        out["links"] = [{"label": tr("cds.link", lang), "url": app_url, "type": "smart",
                         "appContext": json.dumps({"patient": a.record.patient_id})}]
    return out


def cannot_assess_card(reason: RiskError | str, *, lang: str) -> dict[str, Any]:
    """When the record cannot be assessed (no birth date, ...): say why in the reader's language, never a silent
    nothing. `reason` is the error, or its `message` (which carries the coded form along)."""
    text = tr("cds.cannot_assess", lang, reason=in_sentence(error_text(reason, lang)))
    return {"uuid": str(uuid.uuid4()), "summary": text if len(text) <= SUMMARY_MAX else text[:SUMMARY_MAX - 1] + "…",
            "indicator": "info", "detail": text, "source": {"label": f"risk dashboard {__version__}"}}


def shown(a: Assessment) -> dict[str, Any]:
    """What the card showed, for the audit: scores and step ids, never identifying data."""
    out: dict[str, Any] = {"category": a.category.category}
    if a.headline is not None:
        out[a.headline.name] = round(a.headline.risk, 4)
    if a.top_actions:
        out["steps"] = ",".join(s.id for s in a.top_actions)
    return out
