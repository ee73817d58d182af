"""The panel (risk.panel.table, risk.fhir.directory) on the 15 sample patients: the directory without building
records, ranking by risk band then risk, and combined filters."""

from __future__ import annotations

from risk.fhir import open_source
from risk.fhir.directory import patient_directory
from risk.panel.table import filter_panel, score_panel
from risk.record.load import iter_records
from tests.app_fixtures import JP, SAMPLE_AS_OF, SAMPLES


def test_sample_directory_lists_the_15_patients_with_names_without_building_records():
    entries = patient_directory(open_source(SAMPLES))
    assert len(entries) == 15 and all(e.name and e.birth_date and not e.problem for e in entries)
    assert {"Jean-Pierre Martin", "Karim Benali"} <= {e.name for e in entries}


def test_panel_ranks_by_risk_band_then_risk_and_filters_combine(trained_models):
    res = score_panel(iter_records(SAMPLES), trained_models, as_of=SAMPLE_AS_OF)
    t = res.table
    assert len(t) == 15 and len(res.records) == 15
    ranks = {b: i for i, b in enumerate(("very_high", "high", "moderate", "low_moderate", "low", "unknown"))}
    order = [ranks[b] for b in t["band"]]
    assert order == sorted(order)
    assert t.set_index("patient_id").loc[JP, "band"] == "very_high"  # diabetes with UACR > 30 mg/mmol (ESC 2023)
    diabetic = filter_panel(t, conditions=["diabetes_any"])
    assert set(diabetic["patient_id"]) == {r.patient_id for r in res.records
                                            if any(d.concept.startswith("diabetes") for d in r.diagnoses)}
    women_over_60 = filter_panel(t, sexes=["female"], age=(60, 120))
    assert (women_over_60["sex"] == "female").all() and (women_over_60["age"] >= 60).all()
    gaps = filter_panel(t, care_gap_only=True)
    assert len(gaps) > 0 and (gaps["gap_en"] != "").all()
