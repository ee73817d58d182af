"""Bilingual wording shared by the category, the steps and the gaps: labels, lists, cut-points, BP."""

from __future__ import annotations

from functools import cache
from typing import Any

from risk.advise.data import fixed_message, message, text, thresholds
from risk.advise.inputs import Features
from risk.i18n import Text, lazy_join
from risk.terminology.concepts import MEASUREMENT_CONCEPTS


def input_label(name: str) -> Text:
    if name in MEASUREMENT_CONCEPTS:
        c = MEASUREMENT_CONCEPTS[name]
        return Text(en=c.label_en, fr=c.label_fr)
    return fixed_message(f"input.{name}")


def join(parts: list[Text]) -> Text:
    return lazy_join(parts, ", ")


@cache
def category_label(category: str) -> Text:
    return text(thresholds()["category_labels"][category])


def cutoff_text(set_key: str, band: dict[str, Any]) -> Text:
    """ "low < 2.5%, moderate 2.5-7.5%, high >= 7.5%": the cut-points of an age band of a threshold set."""
    return _cutoff_text(set_key, tuple(band["cutoffs"]))


@cache
def _cutoff_text(set_key: str, cuts: tuple[float, ...]) -> Text:
    """Built once per threshold set and band, and rendered once per language: it names no patient value."""
    cats = thresholds()["risk_threshold_sets"][set_key]["categories"]
    parts = []
    for i, cat in enumerate(cats):
        label = category_label(cat)
        if i == 0:
            parts.append(message("cutoff.below", label=label, hi=cuts[0]))
        elif i == len(cats) - 1:
            parts.append(message("cutoff.above", label=label, lo=cuts[-1]))
        else:
            parts.append(message("cutoff.between", label=label, lo=cuts[i - 1], hi=cuts[i]))
    return join(parts)


def bp_text(f: Features) -> str:
    sbp, dbp = f.num("sbp"), f.num("dbp")
    if sbp is None:
        return "?"
    return f"{round(sbp)}/{round(dbp)}" if dbp is not None else f"{round(sbp)}"
