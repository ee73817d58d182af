"""The landing page lists the source's patients with their category and headline risk; the patient page opens
on the headline strip (AppTest, headless)."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from risk.assess.assessment import assess
from risk.assess.snapshot import snapshot
from risk.i18n import fmt_percent
from risk.i18n.labels import EQUATION_SHORT
from risk.panel.table import BAND_LABELS
from risk.record.load import iter_records
from tests.app_fixtures import REPO, SAMPLES

JP = "fr-jean-pierre-martin"


def run(**query: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_landing_lists_every_sample_with_category_and_headline_risk(app_env, trained_models):
    at = run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "Catégorie de risque ESC" in d.value.columns)
    records = {r.patient_id: r for r in iter_records(SAMPLES)}
    assert len(table) == len(records) == 15
    # Jean-Pierre Martin: type 2 diabetes at 67, SCORE2-Diabetes is his headline; the row says so, with its value.
    a = assess(snapshot(records[JP], date.today()), trained_models)
    row = table.set_index("Nom").loc["Jean-Pierre Martin"]
    assert a.headline is not None and a.headline.name == "score2_diabetes"
    assert row["Calculé par"] == EQUATION_SHORT["score2_diabetes"][1]
    assert row["Risque principal (%)"] == pytest.approx(round(a.headline.risk * 100, 1))
    assert row["Catégorie de risque ESC"] == BAND_LABELS[a.category.category][1]
    # Highest ESC category first (the list a GP scans from the top).
    order = ["très élevé", "élevé", "modéré", "faible à modéré", "faible", "non déterminé"]
    ranks = [order.index(c) for c in table["Catégorie de risque ESC"]]
    assert ranks == sorted(ranks)


def test_patient_page_opens_on_the_headline_strip(app_env, trained_models):
    at = run(patient=JP)
    assert not at.exception, [e.value for e in at.exception]
    a = assess(snapshot(next(iter_records(SAMPLES, JP)), date.today()), trained_models)
    blocks = [m.value for m in at.markdown]
    strip = [i for i, v in enumerate(blocks) if "Catégorie de risque ESC" in v]
    cards = [i for i, v in enumerate(blocks) if v.startswith("##### ")]
    assert strip and cards and strip[0] < cards[0]
    headline = blocks[strip[0] + 1]
    assert fmt_percent(a.headline.risk, "fr", 1) in headline and "SCORE2-Diabetes" in headline
    actions = next(v for v in blocks[strip[0]:cards[0]] if v.startswith("**Prochaines étapes**"))
    assert actions.count("\n") == len(a.top_actions) == 3
    assert a.top_actions[0].text_fr in actions
