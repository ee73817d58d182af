"""Unit conversion to canonical units, and plausibility checks (risk.terminology.units).

Expected values are worked by hand in the comments, from the factors of clinical_reference.md section 7.
"""

from __future__ import annotations

import doctest
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import risk.terminology.units
from risk.terminology.concepts import MEASUREMENT_CONCEPTS
from risk.terminology.units import CANONICAL_UNITS, from_canonical, plausibility_problem, to_canonical


def value(concept: str, v: float, unit: str | None) -> float:
    c = to_canonical(concept, v, unit)
    assert c.problem is None, c.problem
    assert c.value is not None
    return c.value


# --- French g/L and US mg/dL lipids and glucose -> mmol/L ----------------------------------------------


def test_french_gL_cholesterol_is_converted_to_mmol_per_L():
    # 2.00 g/L = 200 mg/dL; 200 / 38.67 = 5.1720 mmol/L  (2.00 x 2.586 = 5.172)
    assert value("total_chol", 2.00, "g/L") == pytest.approx(5.1720, abs=1e-4)
    # HDL 0.50 g/L = 50 mg/dL; 50 / 38.67 = 1.2930
    assert value("hdl", 0.50, "g/L") == pytest.approx(1.2930, abs=1e-4)
    # LDL written in lower case as French reports often do: 1.30 g/l -> 130 / 38.67 = 3.3618
    assert value("ldl", 1.30, "g/l") == pytest.approx(3.3618, abs=1e-4)


def test_us_mg_dL_cholesterol_is_converted_to_mmol_per_L():
    # 130 mg/dL / 38.67 = 3.3618 mmol/L; 'mg/dl' (non-UCUM case) is the same unit
    assert value("ldl", 130, "mg/dL") == pytest.approx(3.3618, abs=1e-4)
    assert value("ldl", 130, "mg/dl") == pytest.approx(3.3618, abs=1e-4)
    # non-HDL 160 mg/dL / 38.67 = 4.1376
    assert value("non_hdl", 160, "mg/dL") == pytest.approx(4.1376, abs=1e-4)


def test_triglycerides_in_gL_and_mg_dL_use_the_triglyceride_factor():
    # 1.50 g/L = 150 mg/dL; 150 / 88.57 = 1.6936 mmol/L (x 0.01129); not the cholesterol factor
    assert value("triglycerides", 1.50, "g/L") == pytest.approx(1.6936, abs=1e-4)
    assert value("triglycerides", 150, "mg/dL") == pytest.approx(1.6936, abs=1e-4)


def test_glucose_in_gL_and_mg_dL_is_converted_to_mmol_per_L():
    # French diabetes threshold 1.26 g/L = 126 mg/dL; 126 / 18.016 = 6.9938 mmol/L (the 7.0 mmol/L threshold)
    assert value("glucose", 1.26, "g/L") == pytest.approx(6.9938, abs=1e-4)
    assert value("glucose", 126, "mg/dL") == pytest.approx(6.9938, abs=1e-4)
    assert value("glucose", 7.0, "mmol/L") == 7.0


def test_molar_lipid_units_are_kept():
    assert value("hdl", 1.3, "mmol/L") == 1.3
    assert value("total_chol", 5.2, "mmol/l") == 5.2


# --- HbA1c, creatinine, UACR, eGFR ---------------------------------------------------------------------


def test_hba1c_percent_is_converted_with_the_ifcc_ngsp_master_equation():
    # (7.0 - 2.152) / 0.09148 = 4.848 / 0.09148 = 52.995 mmol/mol
    assert value("hba1c", 7.0, "%") == pytest.approx(52.995, abs=1e-3)
    # (6.5 - 2.152) / 0.09148 = 4.348 / 0.09148 = 47.530 mmol/mol
    assert value("hba1c", 6.5, "%") == pytest.approx(47.530, abs=1e-3)
    assert value("hba1c", 53, "mmol/mol") == 53


def test_hba1c_in_another_unit_is_refused():
    c = to_canonical("hba1c", 7.0, "mg/dL")
    assert c.value is None
    assert c.problem == "unknown unit 'mg/dL' for HbA1c (expected % or mmol/mol)"


def test_creatinine_mg_dL_and_mg_L_are_converted_to_umol_per_L():
    # 1.0 mg/dL x 88.4 = 88.4 umol/L; 0.9 mg/dL x 88.4 = 79.56
    assert value("creatinine", 1.0, "mg/dL") == pytest.approx(88.4)
    assert value("creatinine", 0.9, "mg/dL") == pytest.approx(79.56)
    # French mg/L: 10 mg/L = 1 mg/dL -> 88.4 umol/L (mg/L x 8.84)
    assert value("creatinine", 10, "mg/L") == pytest.approx(88.4)
    # micro sign, Greek mu and ASCII 'u' all mean micro
    for unit in ("µmol/L", "μmol/L", "umol/L", "µmol/l"):
        assert value("creatinine", 80, unit) == 80


def test_uacr_mg_per_g_is_converted_to_mg_per_mmol():
    # 30 mg/g / 8.84 = 3.3937 mg/mmol (x 0.113): the 30 mg/g and 3 mg/mmol thresholds agree
    assert value("uacr", 30, "mg/g") == pytest.approx(3.3937, abs=1e-4)
    assert value("uacr", 3, "mg/mmol") == 3
    # an albumin/creatinine ratio in % is not a thing: refused, not converted as a dimensionless ratio
    assert to_canonical("uacr", 3, "%").value is None


def test_egfr_units():
    assert value("egfr", 60, "mL/min/{1.73_m2}") == 60
    for unit in ("mL/min/1.73m2", "mL/min/1.73 m2", "ml/min/1,73m²", "mL/min/1.73m^2"):
        c = to_canonical("egfr", 60, unit)
        assert (c.value, c.note) == (60, None), unit
    # 1 mL/s = 60 mL/min
    assert value("egfr", 1.0, "mL/s/{1.73_m2}") == pytest.approx(60)


def test_egfr_in_plain_mL_per_min_is_accepted_with_a_note():
    c = to_canonical("egfr", 72, "mL/min")
    assert c.value == 72 and c.unit == "mL/min/{1.73_m2}"
    assert "read as mL/min/1.73 m²" in c.note


def test_egfr_per_square_metre_is_not_guessed_to_be_per_1_73():
    assert to_canonical("egfr", 40, "mL/min/m2").value is None


# --- vitals --------------------------------------------------------------------------------------------


def test_blood_pressure_without_unit_assumes_mmHg_with_a_note():
    c = to_canonical("sbp", 128.4, None)
    assert c.value == 128.4 and c.unit == "mm[Hg]"
    assert c.note.startswith("unit missing; mmHg assumed for blood pressure")
    assert to_canonical("dbp", 81, "").note is not None


def test_blood_pressure_spellings_and_kPa():
    assert value("sbp", 120, "mmHg") == 120
    assert value("sbp", 120, "mm Hg") == 120
    assert to_canonical("sbp", 120, "mm[Hg]").note is None
    # 16 kPa x 7.50062 = 120.01 mmHg
    assert value("sbp", 16, "kPa") == pytest.approx(120.01, abs=0.01)


def test_bmi_without_unit_is_accepted_with_a_note_and_kg_m2_spellings_are_read():
    c = to_canonical("bmi", 27.5, None)
    assert c.value == 27.5 and "kg/m²" in c.note
    assert value("bmi", 27.5, "kg/m^2") == 27.5
    assert value("bmi", 27.5, "kg/m²") == 27.5


def test_weight_in_pounds_and_height_in_inches_or_metres():
    # 154 lb x 0.45359237 = 69.853 kg
    assert value("weight", 154, "[lb_av]") == pytest.approx(69.853, abs=1e-3)
    assert value("weight", 154, "lb") == pytest.approx(69.853, abs=1e-3)
    # 70 in x 2.54 = 177.8 cm; 1.75 m = 175 cm
    assert value("height", 70, "[in_i]") == pytest.approx(177.8)
    assert value("height", 1.75, "m") == pytest.approx(175)


def test_heart_rate_spellings():
    for unit in ("/min", "{beats}/min", "bpm", "1/min"):
        assert value("heart_rate", 64, unit) == 64


# --- KFRE labs -----------------------------------------------------------------------------------------


def test_kfre_labs_are_converted():
    # albumin 4.0 g/dL x 10 = 40 g/L; calcium 10 mg/dL / 4.008 = 2.4950 mmol/L;
    # phosphate 3.1 mg/dL / 3.097 = 1.0010 mmol/L; bicarbonate 24 mEq/L = 24 mmol/L
    assert value("albumin", 4.0, "g/dL") == pytest.approx(40)
    assert value("calcium", 10, "mg/dL") == pytest.approx(2.4950, abs=1e-4)
    assert value("phosphate", 3.1, "mg/dL") == pytest.approx(1.0010, abs=1e-4)
    assert value("bicarbonate", 24, "mEq/L") == pytest.approx(24)


def test_calcium_mEq_counts_two_equivalents_per_mmol():
    # Ca2+: 5 mEq/L = 2.5 mmol/L (pint alone would say 5)
    assert value("calcium", 5, "mEq/L") == pytest.approx(2.5)
    # phosphate has no fixed charge: equivalents are refused
    assert to_canonical("phosphate", 2, "mEq/L").value is None


# --- problems ------------------------------------------------------------------------------------------


def test_unknown_unit_is_a_problem_with_a_plain_message():
    c = to_canonical("hdl", 50, "mg/dLL")
    assert c.value is None and c.unit == "mmol/L"
    assert c.problem == "unknown unit 'mg/dLL' for HDL cholesterol"


def test_incompatible_unit_is_a_problem():
    c = to_canonical("total_chol", 5, "mm[Hg]")
    assert c.value is None
    assert c.problem == "unit 'mm[Hg]' cannot be converted to mmol/L for total cholesterol"


def test_missing_unit_is_a_problem_for_labs():
    for unit in (None, "", "   "):
        c = to_canonical("hdl", 1.2, unit)
        assert c.value is None
        assert c.problem == "no unit given for HDL cholesterol: the value cannot be used without its unit"


def test_non_numeric_values_and_concepts_are_problems():
    assert to_canonical("hdl", math.nan, "mmol/L").problem == "value nan is not a finite number"
    assert to_canonical("hdl", math.inf, "mmol/L").value is None
    assert to_canonical("smoking_status", 2, None).problem == (
        "smoking status is a coded value, not a quantity")
    assert to_canonical("cholesterol", 5, "mmol/L").problem == "unknown concept 'cholesterol'"


def test_mmol_value_labelled_mg_dL_is_caught_by_plausibility():
    # HDL 1.3 (really mmol/L) labelled mg/dL: 1.3 / 38.67 = 0.0336 mmol/L, below the 0.1 mmol/L floor
    c = to_canonical("hdl", 1.3, "mg/dL")
    assert c.value == pytest.approx(0.0336, abs=1e-4)
    msg = plausibility_problem("hdl", c.value, reported_value=1.3, reported_unit="mg/dL")
    assert msg == ("HDL cholesterol 0.034 mmol/L (reported as 1.3 mg/dL) is outside the plausible range "
                   "0.1–5 mmol/L; check the unit")


def test_mg_dL_value_labelled_mmol_is_caught_by_plausibility():
    assert plausibility_problem("hdl", 45) == (
        "HDL cholesterol 45 mmol/L is outside the plausible range 0.1–5 mmol/L; check the unit")
    assert plausibility_problem("hdl", 1.3) is None
    # bounds are inclusive
    assert plausibility_problem("sbp", 60) is None and plausibility_problem("sbp", 280) is None
    assert plausibility_problem("sbp", 59.9) is not None


# --- display in the user's lab units -------------------------------------------------------------------


def test_from_canonical_gives_values_in_the_labs_units():
    # 5.172 mmol/L x 38.67 / 100 = 2.000 g/L ; 52.995 mmol/mol -> 0.09148 x 52.995 + 2.152 = 7.000 %
    assert from_canonical("total_chol", 5.1720, "g/L").value == pytest.approx(2.000, abs=1e-3)
    assert from_canonical("hba1c", 52.995, "%").value == pytest.approx(7.000, abs=1e-3)
    assert from_canonical("creatinine", 88.4, "mg/dL").value == pytest.approx(1.0)
    assert from_canonical("uacr", 3.3937, "mg/g").value == pytest.approx(30, abs=1e-3)


def test_from_canonical_refuses_assumed_or_unknown_units():
    assert from_canonical("egfr", 60, "mL/min").value is None
    assert from_canonical("hdl", 1.2, "").value is None
    assert from_canonical("hdl", 1.2, "furlong").problem == "unknown unit 'furlong' for HDL cholesterol"


# --- properties ----------------------------------------------------------------------------------------

_UNITS = st.one_of(
    st.none(), st.text(max_size=30),
    st.sampled_from(["mg/dL", "g/L", "mmol/L", "%", "mmol/mol", "umol/L", "mg/g", "mg/mmol", "mL/min",
                     "mL/min/{1.73_m2}", "mm[Hg]", "kg/m2", "[lb_av]", "{score}", "mEq/L", "10*3/uL", "Cel",
                     "kg/m^2", "µmol/L", "/min", "((", "mg//dL", "1.73", "{", "[", "%%"]),
)
_CONCEPTS = st.one_of(st.sampled_from(sorted(MEASUREMENT_CONCEPTS)), st.text(max_size=12))


@settings(max_examples=400, deadline=None)
@given(concept=_CONCEPTS, v=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers()),
       unit=_UNITS)
def test_to_canonical_never_raises(concept, v, unit):
    c = to_canonical(concept, v, unit)
    assert (c.value is None) == (c.problem is not None)
    if c.value is not None:
        assert math.isfinite(c.value)
        assert c.unit == CANONICAL_UNITS[concept]
    plausibility_problem(concept, v)  # must not raise either


@settings(max_examples=200, deadline=None)
@given(concept=st.sampled_from(["total_chol", "hdl", "ldl", "triglycerides", "glucose"]),
       unit=st.sampled_from(["mg/dL", "g/L", "mmol/L"]),
       v=st.floats(min_value=0.01, max_value=1000))
def test_from_canonical_inverts_to_canonical(concept, unit, v):
    back = from_canonical(concept, value(concept, v, unit), unit).value
    assert back == pytest.approx(v, rel=1e-12)


def test_docstring_examples():
    result = doctest.testmod(risk.terminology.units, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# --- the shipped routes (data/unit_routes.json) -------------------------------------------------------


def test_every_shipped_unit_route_is_what_pint_computes_today():
    """The table spares each process the ucumvert registry; it must never drift from the conversion it caches
    (rebuild it with scripts/build_unit_routes.py when a factor or an alias changes)."""
    units = risk.terminology.units
    assert len(units._SHIPPED_ROUTES) > 100
    for (concept, unit), (factor, note) in units._SHIPPED_ROUTES.items():
        computed = units._computed_route(concept, unit)
        assert (computed.factor, computed.note, computed.unit) == (factor, note, CANONICAL_UNITS[concept]), (
            concept, unit)


def test_a_shipped_route_converts_exactly_like_the_computed_one():
    units = risk.terminology.units
    assert ("total_chol", "g/L") in units._SHIPPED_ROUTES
    shipped, computed = units._route("total_chol", "g/L"), units._computed_route("total_chol", "g/L")
    for v in (0.4, 1.93, 2.0, 7.31):
        assert shipped.to_canonical(v) == computed.to_canonical(v)
        assert shipped.from_canonical(v) == computed.from_canonical(v)
