"""Advice texts are rendered when first read, in the language read, and read exactly as if rendered at once.

A panel row reads codes and one gap, a page one language: the other texts are never rendered. These tests pin
what the callers rely on: the fields read as ``str``, compare, copy, pickle and serialise as before, and a
features row given as a pandas Series gives the same advice as the same row given as a dict.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pandas as pd
import pytest

from risk.advise import alerts, care_gaps, next_steps, risk_category
from risk.advise.data import message, messages
from risk.advise.model import CareGap
from risk.i18n import LazyText, Text, lazy_join, lazy_template, render
from risk.report.json import plain
from tests.advise_scenarios import AS_OF, SCENARIOS, models_for, scenario_features, scores_for


def counted(calls: list[str]) -> LazyText:
    def make(lang: str) -> str:
        calls.append(lang)
        return f"text in {lang}"

    return LazyText(make)


def test_a_lazy_text_renders_each_language_once_and_only_when_read():
    calls: list[str] = []
    text = counted(calls)
    assert calls == []
    assert text.fr == "text in fr" and text.fr == "text in fr"
    assert calls == ["fr"]
    assert text.get("en") == "text in en"
    assert calls == ["fr", "en"]
    with pytest.raises(ValueError, match="unsupported language"):
        text.get("de")


def test_a_lazy_text_reads_as_the_eager_rendering():
    template = Text(en="LDL {ldl:.1f} mmol/L on {d}", fr="LDL {ldl:.1f} mmol/L le {d} : à revoir")
    params = {"ldl": 2.345, "d": AS_OF}
    lazy = lazy_template(template, **params)
    assert lazy == Text(en=render(template.en, "en", **params), fr=render(template.fr, "fr", **params))
    assert lazy.fr == "LDL 2,3 mmol/L le 30/06/2025\u00a0: à revoir"
    joined = lazy_join([lazy, Text(en="b", fr="c")], "; ", " ; ")  # separators as given, in each language
    assert (joined.en, joined.fr) == (f"{lazy.en}; b", f"{lazy.fr} ; c")


def test_a_catalogue_message_is_lazy_and_nested_texts_render_in_the_outer_language():
    inner = message("step.stale_mark")
    assert isinstance(inner, LazyText)
    assert inner.en == render(messages()["step.stale_mark"].en, "en")
    assert inner.fr == render(messages()["step.stale_mark"].fr, "fr")


def test_a_lazy_text_pickles_and_copies_as_a_plain_text():
    text = lazy_template(Text(en="{x:.1%}", fr="{x:.1%}"), x=0.0625)
    back = pickle.loads(pickle.dumps(text))
    assert type(back) is Text and back == text and back.fr == "6,2\u202f%"
    assert copy.deepcopy(text) == text


def test_the_text_fields_read_as_strings_whatever_they_were_given():
    calls: list[str] = []
    gap = CareGap(id="lipids", text_en=counted(calls), text_fr="déjà rendu", last_done=None, due=AS_OF,
                  overdue_days=None, interval_months=12, guideline="ESC")
    assert calls == []
    assert gap.text_fr == "déjà rendu" and calls == []
    assert gap.text_en == "text in en" and calls == ["en"]
    assert [f.name for f in dataclasses.fields(gap)][:3] == ["id", "text_en", "text_fr"]
    assert plain(gap)["text_en"] == "text in en"
    assert dataclasses.replace(gap, text_fr="autre").text_fr == "autre"
    assert pickle.loads(pickle.dumps(gap)) == gap
    with pytest.raises(dataclasses.FrozenInstanceError):
        gap.text_en = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError, match="text_en"):
        CareGap(id="lipids", text_fr="x", last_done=None, due=AS_OF, overdue_days=None,  # type: ignore[call-arg]
                interval_months=12, guideline="ESC")


def _advice(features, scenario):
    category = risk_category(features, scores_for(scenario), scenario.guideline_set)
    return (
        plain(category),
        [plain(s) for s in next_steps(features, scores_for(scenario), models_for(scenario),
                                      guideline_set=scenario.guideline_set, category=category)],
        [plain(g) for g in care_gaps(features, as_of=AS_OF)],
        [plain(a) for a in alerts(features)],
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS)[:12])
def test_a_series_row_gives_the_advice_of_the_same_row_as_a_dict(name):
    scenario = SCENARIOS[name]
    features = scenario_features(scenario)
    series = pd.Series(features, dtype=object)
    assert _advice(series, scenario) == _advice(dict(features), scenario)
