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


def test_a_unit_with_a_huge_exponent_is_not_ucum_and_ordinary_units_still_convert():
    """The 1,000,000-input run hung in pint raising a big number to a big power inside a 24-character unit."""
    from risk.terminology.units import to_canonical

    for unit in ("m999", "(10*99)999", "g.10*9999999", "mg{x}123"):
        assert to_canonical("ldl", 1.0, unit).value is None
    assert to_canonical("ldl", 100.0, "mg/dL").value == to_canonical("ldl", 1.0, "g/L").value
    assert to_canonical("ldl", 1.0, "mmol/L").value == 1.0
