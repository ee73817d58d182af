"""French and English formatting: decimal comma, spacing, dates, templates and the message catalogue."""

from __future__ import annotations

import doctest
from datetime import date, datetime

import pandas as pd
import pytest

import risk.i18n
from risk.i18n import Catalogue, Text, fmt_date, fmt_number, fmt_percent, render
from risk.i18n.messages import message_text
from risk.terminology.messages import Message


def test_module_examples_hold():
    assert doctest.testmod(risk.i18n).failed == 0


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (3.456, "fr", 2, "3,46"),
        (3.456, "en", 2, "3.46"),
        (1234.5, "fr", 1, "1\u202f234,5"),
        (1234.5, "en", 1, "1,234.5"),
        (52.6, "fr", 0, "53"),
        (-2.75, "fr", 1, "-2,8"),
        (-0.04, "en", 1, "0.0"),
    ],
)
def test_numbers_follow_each_language(value, lang, decimals, expected):
    assert fmt_number(value, lang, decimals) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None, True])
def test_a_missing_number_is_refused_not_printed(bad):
    with pytest.raises(ValueError, match="cannot format"):
        fmt_number(bad, "fr", 1)


def test_unsupported_language_is_refused():
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        fmt_number(1.0, "de")


def test_percent_uses_a_narrow_no_break_space_in_french():
    assert fmt_percent(0.123, "fr") == "12,3\u202f%"
    assert fmt_percent(0.123, "en") == "12.3%"


@pytest.mark.parametrize("value", [date(2025, 3, 5), datetime(2025, 3, 5, 14, 0), pd.Timestamp("2025-03-05")])
def test_dates_are_day_month_year_in_french_and_unambiguous_in_english(value):
    assert fmt_date(value, "fr") == "05/03/2025"
    assert fmt_date(value, "en") == "5 Mar 2025"


def test_render_formats_numbers_percentages_dates_and_bilingual_values():
    label = Text(en="high", fr="élevé")
    template = Text(
        en="Risk {r:.1%} ({c}) on {d}: LDL {x:.2f}", fr="Risque {r:.1%} ({c}) le {d} : LDL {x:.2f}"
    )
    kw = {"r": 0.0712, "c": label, "d": date(2025, 6, 1), "x": 1.8}
    assert render(template.en, "en", **kw) == "Risk 7.1% (high) on 1 Jun 2025: LDL 1.80"
    assert render(template.fr, "fr", **kw) == "Risque 7,1\u202f% (élevé) le 01/06/2025\u00a0: LDL 1,80"


def test_shortest_percent_drops_a_trailing_zero():
    assert render("{a:%} {b:%}", "en", a=0.05, b=0.025) == "5% 2.5%"
    assert render("{a:%} {b:%}", "fr", a=0.05, b=0.025) == "5\u202f% 2,5\u202f%"


def test_a_template_value_that_is_missing_is_named():
    with pytest.raises(ValueError, match="needs a value for 'ldl'"):
        render("LDL {ldl:.1f}", "en")


def test_catalogue_needs_both_languages_and_renders_per_language():
    cat = Catalogue.from_json_text(
        '{"_about": "notes", "goal": {"en": "goal <{g:.1f}", "fr": "objectif < {g:.1f}"}}'
    )
    assert cat.text("goal", "fr", g=1.4) == "objectif < 1,4"
    assert "_about" not in cat
    with pytest.raises(ValueError, match="lacks fr"):
        Catalogue.from_json_text('{"x": {"en": "only English"}}')
    with pytest.raises(KeyError, match="no message 'nope'"):
        cat["nope"]


def test_an_age_prints_floored_so_39_8_years_is_not_said_40():
    below = Message(code="score2.age_below_40", params={"equation": "score2", "age": 39.8})
    assert message_text(below, "en") == (
        "SCORE2 not applicable: age 39 (SCORE2 covers ages 40-69, SCORE2-OP 70 and over)")
    assert message_text(below, "fr").startswith("SCORE2 non applicable\u00a0: âge 39 ans (SCORE2 couvre de 40 à 69 ans")
    assert render("{age:.0f} ans", "fr", age=69.99) == "69 ans"  # a 69.99-year-old is still in SCORE2's range
