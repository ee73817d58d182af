"""The advice data files are complete: every rule, gap and alert is cited, bilingual and wired to code."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from risk.advise.alerts import CHECKS
from risk.advise.data import alert_definitions, care_gap_definitions, guidelines, messages, rules, thresholds
from risk.advise.engine import check_registry
from risk.advise.gaps import CONDITIONS

DATA_FILES = (
    "rules.json",
    "thresholds.json",
    "guidelines.json",
    "care_gaps.json",
    "alerts.json",
    "messages.json",
)


@pytest.mark.parametrize("name", DATA_FILES)
def test_data_file_ships_in_the_package_and_says_where_it_comes_from(name):
    data = json.loads(resources.files("risk.advise").joinpath(name).read_text(encoding="utf-8"))
    assert "_about" in data


def test_every_rule_has_a_function_and_every_function_a_rule():
    check_registry()


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.id)
def test_every_rule_cites_guideline_year_class_level_in_both_languages(rule):
    assert rule.guideline.short and 2010 <= rule.guideline.year <= 2026
    assert rule.recommendation_class in {"I", "IIa", "IIb", "III", "1", "2", "PP", "SmPC"}  # SmPC: a label
    assert rule.evidence_level in {"A", "B", "C", "D", "not graded"}
    assert rule.confidence in {"V2+", "V1", "M"}
    for variant, text in rule.texts.items():
        assert text.en.strip() and text.fr.strip() and text.en != text.fr, (rule.id, variant)


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.id)
def test_every_verified_rule_names_the_source_its_class_and_level_were_read_in(rule):
    if rule.confidence in {"V1", "V2+"}:
        assert rule.source and rule.source.strip(), f"{rule.id} is {rule.confidence} but names no source"


def test_an_empty_source_string_is_a_packaging_error(monkeypatch):
    import risk.advise.data as data

    raw = json.loads(resources.files("risk.advise").joinpath("rules.json").read_text(encoding="utf-8"))
    raw["rules"][0]["source"] = "  "
    real_load = data._load
    monkeypatch.setattr(data, "_load", lambda name: raw if name == "rules.json" else real_load(name))
    data.rules.cache_clear()
    try:
        with pytest.raises(ValueError, match="empty or non-text 'source'"):
            data.rules()
    finally:
        monkeypatch.undo()
        data.rules.cache_clear()


def test_every_guideline_has_a_reference_and_a_confidence_mark():
    for g in guidelines().values():
        assert g.reference and g.confidence in {"V2+", "V1", "M"}


@pytest.mark.parametrize("gap", care_gap_definitions(), ids=lambda g: g["id"])
def test_every_care_gap_schedule_has_a_condition_a_source_and_bilingual_text(gap):
    assert gap["name"]["en"] and gap["name"]["fr"]
    for schedule in gap["schedules"]:
        assert schedule["when"] in CONDITIONS
        assert schedule["guideline"]
        assert schedule["reason"]["en"] and schedule["reason"]["fr"]


def test_every_alert_has_a_check_a_rationale_and_bilingual_text():
    assert set(alert_definitions()) == set(CHECKS)
    for alert in alert_definitions().values():
        assert alert["citation"] and alert["why"] and alert["text"]["en"] and alert["text"]["fr"]


def test_kfre_referral_threshold_matches_the_reference_range_3_to_5_percent():
    kfre = thresholds()["kfre"]
    assert (kfre["consider_at_least"], kfre["refer_at_least"]) == (0.03, 0.05)


def test_ldl_goals_match_esc_eas_2019():
    goals = {k: v["goal"] for k, v in thresholds()["ldl_goals"].items() if not k.startswith("_")}
    assert goals == {"very_high": 1.4, "high": 1.8, "moderate": 2.6, "low": 3.0, "low_moderate": 3.0}


def test_message_catalogue_is_bilingual():
    cat = messages()
    assert cat["region.low"].fr == "faible"


def test_a_variant_grading_must_name_an_existing_text_and_both_class_and_level(monkeypatch):
    import risk.advise.data as data

    raw = json.loads(resources.files("risk.advise").joinpath("rules.json").read_text(encoding="utf-8"))
    raw["rules"][0]["variant_grading"] = {"no_such_variant": {"class": "I", "level": "C"}}
    real_load = data._load
    monkeypatch.setattr(data, "_load", lambda name: raw if name == "rules.json" else real_load(name))
    data.rules.cache_clear()
    try:
        with pytest.raises(ValueError, match="grades unknown variant 'no_such_variant'"):
            data.rules()
    finally:
        monkeypatch.undo()
        data.rules.cache_clear()
