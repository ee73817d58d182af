"""Inputs the fuzz harness (scripts/fuzz_readers.py) found crashing, kept as regression tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from risk.record import Measurement
from risk.record.consistency import egfr_creatinine_check


def _m(concept: str, value: float) -> Measurement:
    return Measurement(concept=concept, value=value, unit="", time=datetime(2025, 1, 1, tzinfo=UTC))


def test_an_egfr_beside_a_creatinine_of_a_patient_born_centuries_ago_is_left_alone_not_a_crash():
    measurements = [_m("creatinine", 90.0), _m("egfr", 60.0)]
    issues: list = []
    egfr_creatinine_check(measurements, issues, sex="male", birth=date(975, 1, 1))
    assert len(measurements) == 2 and issues == []
