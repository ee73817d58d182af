"""Every published worked example in ../shared/reference/published_examples.json, one test case each.

The examples carry their input units in the field names (e.g. ``total_chol_mg_dL``, ``uacr_mg_g``,
``creatinine_mg_dL``) while the library takes canonical units (mmol/L, mg/mmol, µmol/L). The conversion to
canonical units is done here, with the exact inverse of the factor the equation uses internally
(clinical_reference.md section 7), so that the equation sees the published value again:
  cholesterol mg/dL -> mmol/L: / 38.67; UACR mg/g -> mg/mmol: / 8.84; creatinine mg/dL -> µmol/L: x 88.4.
``expected`` is in ``expected_units`` ('%', 'fraction' or mL/min/1.73 m²) and ``tolerance`` in those same
units; the library returns fractions, so '%' examples compare 100 x risk.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from risk.equations import ckd_epi_2021, kfre, prevent, score2, score2_diabetes
from risk.equations.conversions import (
    CHOL_MG_DL_PER_MMOL_L,
    CREATININE_UMOL_L_PER_MG_DL,
    UACR_MG_G_PER_MG_MMOL,
)
from tests.paths import SHARED

EXAMPLES: list[dict[str, Any]] = json.loads(
    (SHARED / "reference" / "published_examples.json").read_text(encoding="utf-8")
)

PREVENT_OUTCOMES = {"10-year total CVD": "cvd", "10-year ASCVD": "ascvd", "10-year heart failure": "hf"}


def _score2(i: dict[str, Any]) -> float:
    return score2(
        sex=i["sex"],
        age=i["age_years"],
        smoker=i["current_smoker"],
        sbp=i["sbp_mmHg"],
        total_chol=i["total_chol_mmol_L"],
        hdl=i["hdl_chol_mmol_L"],
        region=i["risk_region"],
        diabetes=i["diabetes"],
    )


def _score2_diabetes(i: dict[str, Any]) -> float:
    assert i["diabetes"] is True  # SCORE2-Diabetes examples are all people with type 2 diabetes
    return score2_diabetes(
        sex=i["sex"],
        age=i["age_years"],
        smoker=i["current_smoker"],
        sbp=i["sbp_mmHg"],
        total_chol=i["total_chol_mmol_L"],
        hdl=i["hdl_chol_mmol_L"],
        hba1c=i["hba1c_mmol_mol"],
        egfr=i["egfr_ckdepi_mL_min_1_73m2"],
        age_at_diabetes_diagnosis=i["age_at_diabetes_diagnosis_years"],
        region=i["risk_region"],
    )


def _prevent(i: dict[str, Any], outcome: str) -> float:
    assert i["model"] == "base"  # no HbA1c / UACR given: the base model must be the one selected
    return prevent(
        sex=i["sex"],
        age=i["age_years"],
        smoker=i["current_smoker"],
        sbp=i["sbp_mmHg"],
        total_chol=i["total_chol_mg_dL"] / CHOL_MG_DL_PER_MMOL_L,
        hdl=i["hdl_chol_mg_dL"] / CHOL_MG_DL_PER_MMOL_L,
        egfr=i["egfr_ckdepi2021_mL_min_1_73m2"],
        bmi=i["bmi_kg_m2"],
        diabetes=i["diabetes"],
        on_antihypertensive=i["on_antihypertensive"],
        on_statin=i["on_statin"],
        outcome=outcome,
    )


def _kfre(i: dict[str, Any]) -> float:
    assert i["model"] == "4-variable"
    return kfre(
        sex=i["sex"],
        age=i["age_years"],
        egfr=i["egfr_mL_min_1_73m2"],
        uacr=i["uacr_mg_g"] / UACR_MG_G_PER_MG_MMOL,
        years=i["horizon_years"],
        north_american=i["north_american_calibration"],
    )


def _ckd_epi(i: dict[str, Any]) -> float:
    return ckd_epi_2021(
        sex=i["sex"], age=i["age_years"], creatinine=i["creatinine_mg_dL"] * CREATININE_UMOL_L_PER_MG_DL
    )


def compute(example: dict[str, Any]) -> float:
    """The library's result for one example, in the example's own ``expected_units``."""
    equation, inputs = example["equation"], example["inputs"]
    if equation in ("SCORE2", "SCORE2-OP"):
        result = _score2(inputs)
    elif equation == "SCORE2-Diabetes":
        result = _score2_diabetes(inputs)
    elif equation == "PREVENT":
        result = _prevent(inputs, PREVENT_OUTCOMES[example["outcome"]])
    elif equation == "KFRE":
        result = _kfre(inputs)
    elif equation == "CKD-EPI-2021-creatinine":
        return _ckd_epi(inputs)  # already in mL/min/1.73 m²
    else:
        raise AssertionError(f"no equation for example {example['id']}: {equation}")
    units = example["expected_units"]
    assert units in ("%", "fraction"), units
    return result * 100 if units == "%" else result


def test_all_fifty_published_examples_are_loaded_from_the_shared_reference():
    counts: dict[str, int] = {}
    for example in EXAMPLES:
        counts[example["equation"]] = counts.get(example["equation"], 0) + 1
    assert len(EXAMPLES) == 50
    assert counts == {
        "SCORE2": 15,
        "SCORE2-OP": 10,
        "SCORE2-Diabetes": 18,
        "PREVENT": 3,
        "KFRE": 2,
        "CKD-EPI-2021-creatinine": 2,
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_published_example_is_reproduced_within_its_stated_tolerance(example: dict[str, Any]):
    got = compute(example)
    assert abs(got - example["expected"]) <= example["tolerance"], (
        f"{example['id']} {example['equation']}: got {got:.4f} {example['expected_units']}, "
        f"published {example['expected']} ± {example['tolerance']}"
    )
