"""The project's implementation of the QRISK3-2017 algorithm against the 15 verified reference results.

Sources of the coefficient tables (risk/equations/qrisk3_coefficients.py), each checked by these examples:
- baseline survival S0(10), centring constants, fractional-polynomial powers, ethnicity, smoking, main effects
  and age interactions: the open QRISK3-2017 algorithm published by ClinRisk Ltd (qrisk.org/src.php), as
  tabulated in CRAN QRISK3 0.6.0 (cran/QRISK3 R/QRISK3-2017ver9.R); model and hazard ratios: Hippisley-Cox J,
  Coupland C, Brindle P. BMJ 2017;357:j2099 (supplementary tables).
Reference results: ../shared/reference/qrisk3_examples.json (each example names its provenance: the CRAN
package test data, the sisuhealthgroup port's tests, and ClinRisk's C functions compiled locally).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from risk.equations import InputError, derivation_range_check, qrisk3
from risk.equations import qrisk3_coefficients as tables
from tests.paths import SHARED

EXAMPLES: list[dict[str, Any]] = json.loads((SHARED / "reference" / "qrisk3_examples.json").read_text(encoding="utf-8"))
ETHNICITY = {"white_or_not_stated": "white", None: None, "indian": "indian"}
SMOKING = {
    "non_smoker": "non",
    "ex_smoker": "ex",
    "light_smoker": "light",
    "moderate_smoker": "moderate",
    "heavy_smoker": "heavy",
}
COEFFICIENT_SOURCES = {
    "BASELINE_SURVIVAL_10Y": "open QRISK3-2017 algorithm (ClinRisk), survivor[10]",
    "CENTRING": "open QRISK3-2017 algorithm (ClinRisk), centring of the continuous variables",
    "AGE_POWERS": "open QRISK3-2017 algorithm (ClinRisk), fractional polynomial transforms",
    "ETHNICITY": "open QRISK3-2017 algorithm (ClinRisk) / BMJ 2017;357:j2099 supplementary tables",
    "SMOKING": "open QRISK3-2017 algorithm (ClinRisk) / BMJ 2017;357:j2099 supplementary tables",
    "MAIN": "open QRISK3-2017 algorithm (ClinRisk) / BMJ 2017;357:j2099 supplementary tables",
    "AGE_1_INTERACTIONS": "open QRISK3-2017 algorithm (ClinRisk), interaction terms with age_1",
    "AGE_2_INTERACTIONS": "open QRISK3-2017 algorithm (ClinRisk), interaction terms with age_2",
}


def _inputs(i: dict[str, Any]) -> dict[str, Any]:
    return dict(
        sex=i["sex"],
        age=i["age_years"],
        ethnicity=ETHNICITY[i["ethnicity"]],
        bmi=i["bmi_kg_m2"],
        chol_hdl_ratio=i["total_cholesterol_hdl_ratio"],
        sbp=i["sbp_mmHg"],
        sbp_sd=i["sbp_sd_mmHg"],
        townsend=i.get("townsend_deprivation_score", 0.0),
        smoking=SMOKING[i["smoking_status"]],
        diabetes=i["diabetes"],
        atrial_fibrillation=i["atrial_fibrillation"],
        atypical_antipsychotic=i["on_atypical_antipsychotic"],
        corticosteroids=i["on_regular_oral_corticosteroids"],
        erectile_dysfunction=i["erectile_dysfunction"],
        migraine=i["migraine"],
        rheumatoid_arthritis=i["rheumatoid_arthritis"],
        ckd_3_5=i["ckd_stage_3_to_5"],
        severe_mental_illness=i["severe_mental_illness"],
        sle=i["systemic_lupus_erythematosus"],
        bp_treatment=i["on_antihypertensive_treatment"],
        family_history_chd=i["family_history_chd_first_degree_relative_under_60"],
    )


def test_there_are_15_examples_each_with_its_provenance() -> None:
    assert len(EXAMPLES) == 15
    assert all(e["equation"] == "QRISK3-2017" and e["source"] for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_reference_result_is_reproduced(example: dict[str, Any]) -> None:
    risk = qrisk3(**_inputs(example["inputs"]))
    assert 100 * risk == pytest.approx(example["expected_percent"], abs=example["tolerance_percent"]), (
        f"{example['id']} ({example['source']}); tables: {COEFFICIENT_SOURCES}"
    )


def test_every_coefficient_table_names_its_source() -> None:
    doc = tables.__doc__ or ""
    assert "BMJ 2017;357:j2099" in doc and "QRISK3-2017" in doc and "cran/QRISK3" in doc
    assert set(COEFFICIENT_SOURCES) == {n for n in dir(tables) if n.isupper()}
    assert tables.BASELINE_SURVIVAL_10Y == {"female": 0.988876402378082, "male": 0.977268040180206}


def test_the_sexes_share_the_same_terms_except_erectile_dysfunction_and_male_sle_interaction() -> None:
    assert set(tables.MAIN["male"]) - set(tables.MAIN["female"]) == {"erectile_dysfunction"}
    assert set(tables.AGE_1_INTERACTIONS["female"]) ^ set(tables.AGE_1_INTERACTIONS["male"]) == {
        "erectile_dysfunction",
        "sle",
    }


BASE = _inputs(EXAMPLES[0]["inputs"])  # woman of 64, Indian, SBP 180


def test_not_recorded_ethnicity_scores_as_white() -> None:
    assert qrisk3(**{**BASE, "ethnicity": None}) == qrisk3(**{**BASE, "ethnicity": "white"})
    assert qrisk3(**{**BASE, "ethnicity": None}) < qrisk3(**BASE)


def test_erectile_dysfunction_counts_for_men_only() -> None:
    man = {**BASE, "sex": "male"}
    assert qrisk3(**{**BASE, "erectile_dysfunction": True}) == qrisk3(**BASE)
    assert qrisk3(**{**man, "erectile_dysfunction": True}) > qrisk3(**man)


def test_each_condition_raises_the_risk_of_a_man_of_50() -> None:
    man = {**BASE, "sex": "male", "age": 50, "sbp": 130, "sbp_sd": 9}
    for condition in (
        "atrial_fibrillation",
        "atypical_antipsychotic",
        "corticosteroids",
        "erectile_dysfunction",
        "migraine",
        "rheumatoid_arthritis",
        "ckd_3_5",
        "severe_mental_illness",
        "sle",
        "bp_treatment",
        "family_history_chd",
    ):
        assert qrisk3(**{**man, condition: True}) > qrisk3(**man), condition


def test_smoking_categories_are_ordered_for_a_woman_of_50() -> None:
    woman = {**BASE, "age": 50}
    risks = [qrisk3(**{**woman, "smoking": s}) for s in ("non", "ex", "light", "moderate", "heavy")]
    assert risks == sorted(risks) and len(set(risks)) == 5


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("smoking", "current"),
        ("diabetes", "yes"),
        ("ethnicity", "french"),
        ("sex", "f"),
        ("sbp_sd", -1.0),
        ("chol_hdl_ratio", 0.5),
        ("bmi", math.nan),
        ("atrial_fibrillation", "no"),
        ("townsend", 40.0),
    ],
)
def test_impossible_input_is_refused_with_a_coded_reason(argument: str, value: Any) -> None:
    with pytest.raises(InputError) as error:
        qrisk3(**{**BASE, argument: value})
    assert error.value.message.code.startswith("input.")


def test_age_outside_25_84_is_withheld_and_other_limits_warn() -> None:
    issues = derivation_range_check("qrisk3", **{**BASE, "age": 85})
    assert [(i.code, i.withhold) for i in issues] == [("range.derivation.above", True)]
    issues = derivation_range_check("qrisk3", **{**BASE, "bmi": 45.0, "sbp": 215.0})
    assert [(i.params["concept"], i.withhold) for i in issues] == [("bmi", False), ("sbp", False)]
    assert "QRISK3 was derived in" in issues[0].message
