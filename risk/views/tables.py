"""Display tables (pandas) built from library results, with column names in the user's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from risk.assess.issues import IssueGroup
from risk.i18n import fmt_date, fmt_number
from risk.i18n.lab_units import LabUnit, decimals, display_unit, unit_text
from risk.i18n.labels import DERIVED_FROM, ISSUE_KINDS
from risk.i18n.messages import message_text
from risk.record.latest import InputRow
from risk.terminology.concepts import MEASUREMENT_CONCEPTS, SMOKING_LABELS


def _l(lang: str, en: str, fr: str) -> str:
    return fr if lang == "fr" else en


def inputs_frame(rows: Sequence[InputRow], lang: str, units: Mapping[str, LabUnit] | None = None) -> pd.DataFrame:
    """One line per input: value in canonical unit, value as the lab reported it, date, age, source, flags."""
    out = []
    for r in rows:
        spec = MEASUREMENT_CONCEPTS[r.concept]
        if r.concept == "smoking_status":
            value = SMOKING_LABELS[int(r.value)][1 if lang == "fr" else 0]
            reported = ""
        else:
            value = f"{fmt_number(r.value, lang, decimals(spec.unit))} {unit_text(spec.display_unit, lang)}"
            if r.original_value is not None and r.original_unit:
                try:
                    shown = fmt_number(float(r.original_value), lang, 2).rstrip("0").rstrip(",.")
                except (TypeError, ValueError):
                    shown = str(r.original_value)
                reported = f"{shown} {unit_text(display_unit(r.original_unit), lang)}"
            else:
                reported = (_l(lang, "computed: ", "calculé : ") + DERIVED_FROM[r.concept][1 if lang == "fr" else 0]
                            if r.derived and r.concept in DERIVED_FROM else "")
        flags = []
        if r.stale:
            flags.append(_l(lang, "stale", "ancien"))
        if r.derived:
            flags.append(_l(lang, "derived", "calculé"))
        if r.converted:
            flags.append(_l(lang, "converted", "converti"))
        out.append({
            _l(lang, "Input", "Donnée"): spec.label_fr if lang == "fr" else spec.label_en,
            _l(lang, "Value", "Valeur"): value,
            _l(lang, "As reported by the lab", "Telle que transmise par le labo"): reported,
            _l(lang, "Date", "Date"): fmt_date(r.date, lang),
            _l(lang, "Age (days)", "Ancienneté (jours)"): r.days_old,
            _l(lang, "Flags", "Indicateurs"): ", ".join(flags),
            _l(lang, "Source", "Source"): r.source_id or "",
        })
    return pd.DataFrame(out)


def issues_frame(groups: Sequence[IssueGroup], lang: str) -> pd.DataFrame:
    """One row per reason (risk.assess.issues): how many values, from when to when, and the latest source."""
    out = []
    for g in groups:
        kind = ISSUE_KINDS.get(str(g.kind), (str(g.kind), str(g.kind)))
        span = "" if g.first is None or g.last is None else fmt_date(g.last, lang) if g.first == g.last else (
            f"{fmt_date(g.first, lang)} – {fmt_date(g.last, lang)}")
        out.append({
            _l(lang, "Problem", "Problème"): kind[1 if lang == "fr" else 0],
            _l(lang, "Detail", "Détail"): message_text(g.message() if g.childhood else g.latest.as_message(), lang),
            _l(lang, "Values", "Valeurs"): g.count,
            _l(lang, "Date", "Date"): span,
            _l(lang, "Source", "Source"): g.latest.source_id or "",
        })
    return pd.DataFrame(out)
