"""Alerts: severe blood pressure (urgent), and weak signals in trends: HbA1c rising, eGFR falling fast, SBP rising,
weight loss in diabetes (pure).

Thresholds, windows, texts and rationale are in alerts.json. A trend that the features row does not carry
(slope NaN: fewer than two values) never alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from risk.advise.conditions import severe_bp
from risk.advise.data import alert_definitions, thresholds
from risk.advise.inputs import Features
from risk.advise.model import Alert, TriggerInput
from risk.advise.wording import bp_text
from risk.i18n import LazyText, Text, lazy_template, render

Found = tuple[float, dict[str, Any], tuple[TriggerInput, ...]]  # (signal value, text values, inputs)
Check = Callable[[Features, dict[str, Any]], Found | None]


def _hba1c_rising(f: Features, cfg: dict[str, Any]) -> Found | None:
    slope, latest = f.num("hba1c_slope"), f.num("hba1c")
    if slope is None or latest is None or slope < cfg["threshold"]:
        return None
    pct = slope * thresholds()["hba1c_percent"]["slope"]  # %-points per year (linear conversion)
    return (
        slope,
        {"value": slope, "pct": pct, "hba1c": latest},
        (f.trigger("hba1c_slope", date_key="hba1c"), f.trigger("hba1c")),
    )


def _egfr_falling(f: Features, cfg: dict[str, Any]) -> Found | None:
    slope, latest = f.num("egfr_slope"), f.num("egfr")
    if slope is None or latest is None or not slope < cfg["threshold"]:  # strictly faster than 5 per year
        return None
    return (
        slope,
        {"decline": -slope, "egfr": latest},
        (f.trigger("egfr_slope", date_key="egfr"), f.trigger("egfr")),
    )


def _sbp_rising(f: Features, cfg: dict[str, Any]) -> Found | None:
    slope, mean = f.num("sbp_slope"), f.num("sbp_mean3")
    if slope is None or mean is None or slope < cfg["threshold"] or mean < cfg["min_mean"]:
        return None
    return (
        slope,
        {"value": slope, "mean": mean},
        (f.trigger("sbp_slope", date_key="sbp"), f.trigger("sbp_mean3")),
    )


def _weight_loss(f: Features, cfg: dict[str, Any]) -> Found | None:
    diabetes = f.yes("diabetes_any") or f.yes("diabetes_t2") or f.yes("diabetes_t1")
    change, weight = f.num("weight_change_1y"), f.num("weight")
    if not diabetes or change is None or weight is None or change >= 0:
        return None
    before = weight - change  # weight about a year earlier
    loss = -change / before
    if loss < cfg["threshold"]:
        return None
    return (
        loss,
        {"loss": loss, "kg": -change},
        (f.trigger("weight_change_1y", date_key="weight"), f.trigger("weight")),
    )


def _severe_bp(f: Features, cfg: dict[str, Any]) -> Found | None:
    component, used = severe_bp(f)
    sbp = f.num("sbp")
    if component is None or sbp is None:
        return None
    params = {"bp": bp_text(f), "date": f.date_of("sbp"), "component": component}
    return sbp, params, (f.trigger("sbp"), f.trigger("dbp"))


CHECKS: dict[str, Check] = {
    "bp_severe": _severe_bp,
    "hba1c_rising": _hba1c_rising,
    "egfr_rapid_decline": _egfr_falling,
    "sbp_rising": _sbp_rising,
    "weight_loss_diabetes": _weight_loss,
}

RENAL_DRUGS = ("rx_sglt2_inhibitor", "rx_ace_inhibitor", "rx_arb")


def _with_note(text: Text, note: Text) -> Text:
    """The text and its note, rendered when first read; the French note goes through ``render`` for its French
    spacing, the English one is used as written."""
    return LazyText(lambda lang: text.get(lang) + (render(note.fr, "fr") if lang == "fr" else note.en))


def alerts(features: Mapping[str, Any]) -> list[Alert]:
    """Weak signals in this patient's trends, in the order of alerts.json."""
    f = Features(features)
    out: list[Alert] = []
    for alert_id, cfg in alert_definitions().items():
        found = CHECKS[alert_id](f, cfg)
        if found is None:
            continue
        value, params, triggers = found
        text = lazy_template(Text.from_mapping(cfg["text"]), **params)
        if alert_id == "egfr_rapid_decline" and any(f.yes(k) for k in RENAL_DRUGS):
            text = _with_note(text, Text.from_mapping(cfg["note_renal_drug"]))
        out.append(
            Alert(
                id=alert_id,
                text_en=text,
                text_fr=text,
                value=round(value, 4),
                unit=cfg["unit"],
                window=cfg["window"],
                guideline_or_rationale=cfg["citation"],
                triggered_by=triggers,
            )
        )
    return out
