"""Lab units of a sample patient (risk.i18n.lab_units): values shown in the lab's unit with the canonical value
beside them, and the inputs table says which were converted."""

from __future__ import annotations

from datetime import date

from risk.i18n.lab_units import is_identity, lab_units, value_text
from tests.app_fixtures import JP, sample_record


def test_values_are_shown_in_the_lab_unit_with_the_canonical_value_beside_them():
    units = lab_units(sample_record(JP))
    assert units["ldl"].unit == "g/L" and not units["ldl"].canonical
    assert units["sbp"].canonical  # "mmHg" is mm[Hg] spelled differently: nothing to convert
    ldl = next(m for m in sample_record(JP).measurements if m.concept == "ldl" and m.time.date() == date(2026, 9, 14))
    assert value_text("ldl", ldl.value, units["ldl"], "fr") == "1,05 g/L (2,72 mmol/L)"  # the lab printed 1.05
    assert value_text("ldl", ldl.value, units["ldl"], "en") == "1.05 g/L (2.72 mmol/L)"
    assert is_identity("sbp", "mmHg") and not is_identity("ldl", "g/L")


def test_inputs_table_flags_a_gL_cholesterol_as_converted_and_an_mmHg_pressure_as_not_converted(jp):
    rows = {r.concept: r for r in jp.snapshot.inputs}
    assert rows["total_chol"].converted and rows["total_chol"].original_unit == "g/L"
    assert not rows["sbp"].converted and rows["sbp"].original_unit == "mmHg"
