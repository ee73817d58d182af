"""The wording of a guideline step's triggering inputs (risk.explain.wording), per language."""

from __future__ import annotations

from datetime import date

from risk.explain.wording import trigger_text


def test_trigger_inputs_of_a_guideline_step_are_worded_per_language():
    egfr = trigger_text("egfr", 52.0, "mL/min/1.73 m²", date(2026, 9, 14), "fr")
    assert egfr == "DFGe 52 mL/min/1,73 m² (14/09/2026)"
    assert trigger_text("rx_sglt2_inhibitor", 0.0, "", None, "en") == "no SGLT2 inhibitor"
    assert trigger_text("diabetes_t2", 1.0, "", None, "fr") == "diabète de type 2"
