"""Acceptance 3 of project issue 12, over every sample patient (sample_fhir/): no step text without the date of
the value it acts on, no internal confidence mark ("[M]") in any output, no equation outside its derivation range
setting the category or the headline.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from risk.advise.engine import measured_concept
from risk.advise.inputs import outside_derivation
from risk.assess.assessment import Assessment, assess
from risk.assess.snapshot import snapshot
from risk.i18n import fmt_date
from risk.models.registry import load_all
from risk.record.load import iter_records
from risk.report.fhir import risk_assessment
from risk.report.json import assessment_json, dumps
from risk.report.text import assessment_text
from risk.terminology.concepts import MEASUREMENT_CONCEPTS
from tests.paths import SAMPLES

AS_OF = date(2026, 12, 7)
MARKS = ("[M]", "[V1]", "[V2+]", "[V2]")  # confidence marks of the reference notes, never for a clinician
SAMPLE_FILES = sorted(SAMPLES.glob("*.json*"))
# A sweep (15 patients through the whole pipeline, 15-50 s): slow, like the other every-sample sweeps; the rules
# themselves are in the loop (test_advice_safety, test_deceased, test_issue_list).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assessed() -> dict[str, Assessment]:
    models = load_all()
    return {
        record.patient_id: assess(snapshot(record, AS_OF), models)
        for path in SAMPLE_FILES
        for record in iter_records(path)
    }


def test_the_sweep_covers_every_sample_patient(assessed):
    assert len(SAMPLE_FILES) == 15 and len(assessed) == 15


def test_every_step_prints_the_date_of_every_value_it_acts_on_in_both_languages(assessed):
    checked = 0
    for pid, a in assessed.items():
        for s in a.next_steps:
            dated = [t for t in s.triggered_by if measured_concept(t) in MEASUREMENT_CONCEPTS and t.date and t.value]
            assert not dated or s.acts_on, (pid, s.id, "acts on dated values but names none")
            for t in s.acts_on:
                assert fmt_date(t.date, "en") in s.text_en, (pid, s.id, t.name, s.text_en)
                assert fmt_date(t.date, "fr") in s.text_fr, (pid, s.id, t.name, s.text_fr)
                checked += 1
            if s.remeasure:  # a stale value never starts or intensifies: "re-measure X (last on DATE)"
                assert s.text_en.startswith("Re-measure") and s.text_fr.startswith("Recontrôler"), (pid, s.id)
    assert checked > 40  # the samples do exercise it


def test_no_confidence_mark_in_any_output(assessed):
    for pid, a in assessed.items():
        outputs = [assessment_text(a, lang="en"), assessment_text(a, lang="fr"), dumps(assessment_json(a))]
        outputs += [json.dumps(risk_assessment(a, lang=lang), ensure_ascii=False) for lang in ("en", "fr")]
        for text in outputs:
            assert not [m for m in MARKS if m in text], pid


def test_no_equation_outside_its_derivation_range_sets_the_category_or_the_headline(assessed):
    outside = 0
    for pid, a in assessed.items():
        outside += sum(outside_derivation(r) for r in a.scores.equations.values())
        if a.category.basis == "outside_derivation":  # named for information, sets nothing
            assert a.category.category == "unknown" and a.headline is None, pid
        elif a.category.score_name:
            key = "score2" if a.category.score_name == "score2_op" else a.category.score_name
            assert not outside_derivation(a.scores.equations[key]), (pid, a.category.score_name)
        if a.headline is not None and a.headline.kind == "equation":
            assert not outside_derivation(a.scores.equations[a.headline.name]), (pid, a.headline.name)
    assert outside >= 1  # Elsy Hermiston (95): SCORE2-OP shown for information only
