"""A batch of patients (a CDS micro-batch, a panel chunk) is assessed exactly as each patient alone.

`snapshots` and `assess_many` build the tables, the features, the model frame, the model scores and the
explanations once for the batch; every figure and decision must still be the one the patient's own page shows.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import orjson
import pytest

from risk.assess.assessment import assess, assess_many
from risk.assess.snapshot import snapshot, snapshots
from risk.models.registry import load_all
from risk.record.load import iter_records
from risk.report.json import assessment_json
from risk.synth import generate
from tests.paths import SAMPLES

AS_OF = date(2026, 11, 28)


@pytest.fixture(scope="module")
def models():
    return load_all()


def _sample_records():
    return [r for path in sorted(SAMPLES.glob("*.json*")) for r in iter_records(path)]


def _same(one, many) -> None:  # noqa: ANN001 (two Assessments)
    pid = one.record.patient_id
    assert many.record.patient_id == pid
    # The whole JSON report: every score, interval, equation, factor, step, gap, alert, input and issue.
    assert orjson.dumps(assessment_json(many)) == orjson.dumps(assessment_json(one)), pid
    assert many.snapshot.features.equals(one.snapshot.features), pid
    assert many.snapshot.frame.equals(one.snapshot.frame), pid
    assert many.inputs == one.inputs, pid
    assert many.explanations == one.explanations, pid
    assert many.what_if == one.what_if and many.peers == one.peers, pid


@pytest.mark.parametrize("card_only", [False, True])
def test_the_sample_patients_in_one_batch_are_assessed_as_each_alone(models, card_only):
    records = _sample_records()
    batch = assess_many(snapshots(records, AS_OF), models, card_only=card_only)
    assert len(batch) == len(records) >= 15
    for record, many in zip(records, batch, strict=True):
        _same(assess(snapshot(record, AS_OF), models, card_only=card_only), many)
    assert any(a.explanations for a in batch) and any(a.next_steps for a in batch)


def test_a_synthetic_batch_with_the_dead_and_partial_fetches_is_assessed_as_each_alone(models, tmp_path):
    generate(n_patients=120, seed=5, out_dir=tmp_path / "export", progress=False)
    records = list(iter_records(tmp_path / "export"))
    assert any(r.deceased_by(AS_OF) for r in records), "the cohort should hold someone dead by the index date"
    # One patient's server did not give medications: that patient's scores that read them are withheld, no one
    # else's.
    from risk.fhir.base import FetchGap

    records[3] = dataclasses.replace(records[3], fetch_gaps=(
        FetchGap(resource_type="MedicationRequest", status="failed", detail="HTTP 403"),))
    batch = assess_many(snapshots(records, AS_OF), models, card_only=True)
    for record, many in zip(records, batch, strict=True):
        _same(assess(snapshot(record, AS_OF), models, card_only=True), many)
    assert batch[3].partial and not any(a.partial for i, a in enumerate(batch) if i != 3)
    assert sum(a.deceased for a in batch) == sum(r.deceased_by(AS_OF) for r in records)


def test_a_snapshot_of_a_batch_gives_the_patients_own_tables(models):
    records = _sample_records()[:4]
    batch = snapshots(records, AS_OF)
    for record, snap in zip(records, batch, strict=True):
        alone = snapshot(record, AS_OF).tables
        assert snap.tables.patients.index.tolist() == [record.patient_id]
        for name in ("measurements", "diagnoses", "medications", "encounters"):
            mine, own = getattr(snap.tables, name), getattr(alone, name)
            if own.empty:  # pandas 3 types an empty string column as object, a filled one as str: no rows either way
                assert mine.empty and list(mine.columns) == list(own.columns), (record.patient_id, name)
            else:
                assert mine.equals(own), (record.patient_id, name)


def test_two_calls_for_one_chart_in_one_batch_are_each_assessed_alone(models):
    jp = next(r for r in _sample_records() if r.patient_id == "fr-jean-pierre-martin")
    other = next(r for r in _sample_records() if r.patient_id == "fr-sophie-laurent")
    older = dataclasses.replace(jp, measurements=[m for m in jp.measurements if m.concept != "sbp"])
    batch = assess_many(snapshots([jp, other, older, jp], AS_OF), models, card_only=True)
    assert [a.record.patient_id for a in batch] == [jp.patient_id, other.patient_id, jp.patient_id, jp.patient_id]
    for record, many in zip([jp, other, older, jp], batch, strict=True):
        _same(assess(snapshot(record, AS_OF), models, card_only=True), many)
    assert batch[0].features["sbp"] == batch[3].features["sbp"] and batch[2].features.isna()["sbp"]


def test_the_category_is_decided_once_in_the_region_asked_and_the_steps_use_that_one(models):
    from risk import advise

    record = next(r for r in _sample_records() if r.patient_id == "fr-jean-pierre-martin")
    a = assess(snapshot(record, AS_OF), models, region="moderate", card_only=True)
    assert a.category.region == "moderate" and a.region == "moderate"
    alone = advise.next_steps(a.features.to_dict(), a.scores.equations, dict(a.scores.models), region="moderate")
    assert [(s.id, s.text_en) for s in a.next_steps] == [(s.id, s.text_en) for s in alone]
