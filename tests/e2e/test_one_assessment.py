"""One Assessment, five renderings: JSON, text, PDF, FHIR RiskAssessment and the patient page agree.

For every sample patient and both languages, the headline (which score, its value), every model and equation
(its value, or its status and coded reason) and the top modifiable factors must read the same in all five
outputs. Each output is produced the way a user gets it (`risk score`'s functions, the PDF bytes read back with
pypdf, the page through Streamlit's AppTest), and the expected words come from the Assessment itself.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from risk.assess.assessment import Assessment, assess
from risk.assess.snapshot import snapshot
from risk.i18n import fmt_percent
from risk.i18n.labels import EQUATION_SHORT, MODEL_SHORT, pick
from risk.i18n.messages import message_text, tr
from risk.record.load import iter_records
from risk.report.fhir import risk_assessment
from risk.report.json import assessment_json
from risk.report.pdf import report_pdf
from risk.report.text import assessment_text, top_factors_text
from tests.app_fixtures import REPO, SAMPLES

pytestmark = pytest.mark.slow
LANGS = ("fr", "en")
# The page footer (risk/report/pdf.py), which text extraction puts wherever a page breaks a sentence.
FOOTER = re.compile(r"(Estimation pour un groupe|Estimates for a group).*?(certifié|device)\.", re.S)
RECORDS = {r.patient_id: r for r in iter_records(SAMPLES)}


def flat(text: str) -> str:
    """Whitespace folded (a PDF wraps lines anywhere; French uses no-break spaces)."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def label(name: str, lang: str) -> str:
    return pick(MODEL_SHORT.get(name) or EQUATION_SHORT[name], lang)


def expected_facts(a: Assessment, lang: str) -> list[str]:
    """Phrases every human-readable output must contain: each score's value or reason, the headline, factors."""
    facts = []
    for r in [*a.scores.models.values(), *a.shown_equations.values()]:
        if r.risk is not None:
            facts.append(fmt_percent(float(r.risk), lang, 1))
        else:
            facts.append(message_text(r.message, lang))
    if a.headline is not None:
        facts.append(label(a.headline.name, lang))
        facts.append(fmt_percent(a.headline.risk, lang, 1))
    if a.top_factors:
        facts.append(top_factors_text(a, lang))
    return [flat(f) for f in facts]


@pytest.fixture(scope="module")
def assessments(trained_models) -> dict[str, Assessment]:
    return {pid: assess(snapshot(r, date.today()), trained_models) for pid, r in RECORDS.items()}


def test_every_sample_is_assessed_with_a_headline_or_a_reason(assessments):
    assert len(assessments) == 15
    with_headline = [a for a in assessments.values() if a.headline is not None]
    assert len(with_headline) >= 10  # the samples are mostly 40-89: the SCORE2 family applies
    for a in with_headline:
        assert a.headline.kind == "equation"  # throwaway synthetic models never earn the headline
        assert a.headline.risk == pytest.approx(float(a.scores.equations[a.headline.name].risk))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pid", sorted(RECORDS))
def test_json_text_pdf_and_fhir_agree(assessments, pid, lang):
    a = assessments[pid]
    doc = assessment_json(a)
    # JSON: numbers, statuses and coded reasons, the headline and the top factors of the one object.
    assert doc["headline"]["name"] == (a.headline.name if a.headline else None)
    for name, r in a.scores.models.items():
        assert doc["models"][name]["status"] == r.status
        assert doc["models"][name]["risk"] == (None if r.risk is None else round(r.risk, 4))
        if r.risk is None:
            assert doc["models"][name]["reason_code"] == r.message.code
    for name, r in a.shown_equations.items():
        assert doc["equations"][name]["status"] == r.status
        assert doc["equations"][name]["risk"] == (None if r.risk is None else round(float(r.risk), 4))
    assert [f["factor"] for f in doc["headline"]["top_factors"]] == [f.key for f in a.top_factors]

    facts = expected_facts(a, lang)
    text = flat(assessment_text(a, lang=lang))
    pdf = flat(" ".join(FOOTER.sub(" ", page.extract_text())
                        for page in PdfReader(io.BytesIO(report_pdf(a, lang=lang))).pages))
    for fact in facts:
        assert fact in text, f"text report lacks {fact!r}"
        assert fact in pdf, f"PDF lacks {fact!r}"
    # The strip comes first in the text report: category, then the headline, before any score list.
    head = text.split(flat(tr("report.models_synthetic" if a.synthetic_models else "report.models", lang)))[0]
    assert flat(pick((a.category.label_en, a.category.label_fr), lang)) in head
    if a.headline is not None:
        assert fmt_percent(a.headline.risk, lang, 1).replace("\u202f", " ") in head

    ra = risk_assessment(a, lang=lang)
    notes = flat(" ".join(n["text"] for n in ra["note"]))
    computed = {round(float(r.risk), 4) for r in [*a.scores.models.values(), *a.shown_equations.values()]
                if r.risk is not None}
    assert {p["probabilityDecimal"] for p in ra["prediction"]} == computed
    for r in [*a.scores.models.values(), *a.shown_equations.values()]:
        if r.risk is None:
            assert flat(message_text(r.message, lang)) in notes
    if a.top_factors:
        assert flat(top_factors_text(a, lang)) in notes


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pid", sorted(RECORDS))
def test_the_page_shows_the_same_assessment(app_env, assessments, pid, lang, monkeypatch):
    monkeypatch.setenv("RISK_LANG", lang)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params["patient"] = pid
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    a = assessments[pid]
    page = flat("\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]))
    for fact in expected_facts(a, lang):
        assert fact in page, f"page lacks {fact!r}"
    # The headline strip is the first block after the patient's header.
    strip = next(m.value for m in at.markdown if "**" in m.value and pick(
        (a.category.label_en, a.category.label_fr), lang) in m.value)
    order = [m.value for m in at.markdown]
    first_card = next(i for i, v in enumerate(order) if v.startswith("##### "))
    assert order.index(strip) < first_card
