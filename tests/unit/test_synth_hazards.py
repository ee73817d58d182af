"""The synthetic cohort's hazards (risk.synth.hazards): the published equations reproduce the shared worked
examples, the longitudinal multipliers are the published hazard ratios, and every code the generator emits is in
the shared value sets under its concept."""

from __future__ import annotations

import json

import numpy as np
import pytest

from risk.synth import codes as C
from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth.checks import effective_from
from risk.synth.population import year_start_day
from tests.paths import REPO, SHARED

REFERENCE = SHARED / "reference"
# QRISK3's predictors are not in the shared value sets: their codes come from the project's own value set.
QRISK3_VALUE_SET = json.loads((REPO / "risk" / "terminology" / "data" / "qrisk3.json").read_text(encoding="utf-8"))
QRISK3_KEYS = set(P.QRISK3_CONDITIONS) | {"oral_corticosteroid", "atypical_antipsychotic"}


# --- hazards: published equations and the longitudinal effects ----------------------------------------
def _examples(equation: str) -> list[dict]:
    return [
        e
        for e in json.loads((REFERENCE / "published_examples.json").read_text())
        if e["equation"] == equation and e["inputs"].get("risk_region", "low") == "low"
    ]


def test_hazard_equations_reproduce_the_published_examples() -> None:
    checked = 0
    for e in _examples("SCORE2") + _examples("SCORE2-OP") + _examples("SCORE2-Diabetes"):
        x = e["inputs"]
        args = dict(
            age=np.array([float(x["age_years"])]),
            male=np.array([x["sex"] == "male"]),
            smoking=np.array([float(x["current_smoker"])]),
            sbp=np.array([float(x["sbp_mmHg"])]),
            tc=np.array([float(x["total_chol_mmol_L"])]),
            hdl=np.array([float(x["hdl_chol_mmol_L"])]),
        )
        if e["equation"] == "SCORE2":
            risk = H.score2(**args)[0]
        elif e["equation"] == "SCORE2-OP":
            risk = H.score2_op(**args, diabetes=np.array([float(x["diabetes"])]))[0]
        else:
            risk = H.score2_diabetes(
                **args,
                age_at_diagnosis=np.array([float(x["age_at_diabetes_diagnosis_years"])]),
                hba1c_mmol_mol=np.array([float(x["hba1c_mmol_mol"])]),
                egfr=np.array([float(x["egfr_ckdepi_mL_min_1_73m2"])]),
            )[0]
        assert abs(100 * risk - e["expected"]) <= e["tolerance"] + 0.05, e["id"]
        checked += 1
    hf = next(
        e
        for e in json.loads((REFERENCE / "published_examples.json").read_text())
        if e["equation"] == "PREVENT" and "heart failure" in e["outcome"]
    )
    x = hf["inputs"]
    risk = H.prevent_hf_ten_year(
        age=np.array([x["age_years"]]),
        male=np.array([x["sex"] == "male"]),
        sbp=np.array([x["sbp_mmHg"]]),
        diabetes=np.array([float(x["diabetes"])]),
        smoking=np.array([float(x["current_smoker"])]),
        bmi=np.array([x["bmi_kg_m2"]]),
        egfr=np.array([x["egfr_ckdepi2021_mL_min_1_73m2"]]),
        bp_treated=np.array([float(x["on_antihypertensive"])]),
    )[0]
    assert abs(100 * risk - hf["expected"]) <= hf["tolerance"] + 0.05
    kfre = next(e for e in _examples("KFRE") if e["inputs"]["horizon_years"] == 2)
    x = kfre["inputs"]
    hazard = H.kfre_annual_hazard(
        age=np.array([x["age_years"]]),
        male=np.array([x["sex"] == "male"]),
        egfr=np.array([x["egfr_mL_min_1_73m2"]]),
        uacr_mg_g=np.array([x["uacr_mg_g"]]),
    )[0]
    assert abs(100 * (1 - np.exp(-2 * hazard)) - kfre["expected"]) <= kfre["tolerance"] + 0.01
    for e in _examples("CKD-EPI-2021-creatinine"):
        x = e["inputs"]
        egfr = H.ckd_epi_2021(
            np.array([x["creatinine_mg_dL"]]), np.array([x["age_years"]]), np.array([x["sex"] == "male"])
        )[0]
        assert abs(egfr - e["expected"]) <= e["tolerance"] + 0.05
        back = H.creatinine_from_egfr(
            np.array([egfr]), np.array([x["age_years"]]), np.array([x["sex"] == "male"])
        )
        assert back[0] == pytest.approx(x["creatinine_mg_dL"], rel=1e-9)
    assert checked >= 12


def test_variability_multiplier_is_the_published_hazard_ratio_per_sd() -> None:
    low, mean, high = H.per_sd_multiplier(np.array([-1.0, 0.0, 1.0]), 0.0, 1.0, P.BPV_HR_PER_SD["stroke"])
    assert high / mean == pytest.approx(P.BPV_HR_PER_SD["stroke"])
    assert mean / low == pytest.approx(P.BPV_HR_PER_SD["stroke"])
    rising = H.updated_mean_a1c_multiplier(
        np.array([7.0, 8.0, 9.0]), P.UKPDS_HR_PER_A1C_POINT["microvascular"]
    )
    assert rising[0] == 1.0 and rising[2] == pytest.approx((1 / 0.63) ** 2)
    assert H.egfr_decline_multiplier(np.array([-1.0, -4.0]), P.EGFR_SLOPE_HR_KF)[1] == pytest.approx(1.17**3)
    kidney = H.kidney_cvd_multiplier(
        age=np.full(3, 60.0), male=np.ones(3, dtype=bool), egfr=np.array([90.0, 45.0, 90.0]),
        uacr_mg_g=np.array([10.0, 10.0, 300.0]),
    )
    assert kidney[0] == pytest.approx(1.0) and kidney[1] > 1.3 and kidney[2] > 1.5


# --- codes and CLI --------------------------------------------------------------------------------------
CONDITION_CONCEPTS = {  # our condition key -> value_sets.json concepts that may hold its codes
    "ckd_stage_3": ("ckd_stage_3", "ckd"),
    "ckd_stage_3b": ("ckd_stage_3", "ckd"),
    "ckd_stage_4": ("ckd_stage_4", "ckd"),
    "ckd_stage_5": ("ckd_stage_5", "ckd"),
    "esrd": ("esrd", "ckd"),
    "lower_limb_ulcer": ("diabetic_foot_ulcer",),
    "dialysis_dependence": ("esrd",),
    "stroke": ("stroke",),
    "stroke_ischaemic": ("stroke_ischaemic",),
    "stroke_haemorrhagic": ("stroke_haemorrhagic",),
}


def _in_value_set(vs: dict, concept: str, system: str, code: str) -> bool:
    """Exact match for LOINC, SNOMED CT and RxNorm; prefix match for ATC and ICD-10 (value_sets.md rules)."""
    for row in vs.get(concept, []):
        if row["system"] != system:
            continue
        if row["code"] == code:
            return True
        if system in (C.ATC, C.ICD10):
            for token in row["code"].split(" + "):
                listed = token.split("-")[0].replace("E1x", "E11").replace(".", "")
                if code.replace(".", "").startswith(listed):
                    return True
    return False


def _qrisk3_value_set() -> dict[str, list[dict[str, str]]]:
    """The project's QRISK3 value set in the shape of value_sets.json (concept -> rows)."""
    out: dict[str, list[dict[str, str]]] = {}
    for row in QRISK3_VALUE_SET["conditions"] + QRISK3_VALUE_SET["medications"]:
        out.setdefault(row["concept"], []).append(row)
    return out


def test_every_emitted_code_is_in_the_shared_value_sets_under_its_concept() -> None:
    vs = json.loads((REFERENCE / "value_sets.json").read_text())
    own = _qrisk3_value_set()
    for key, styles in C.CONDITIONS.items():
        for code in styles.values():
            concepts = CONDITION_CONCEPTS.get(key, (key,))
            table = own if key in QRISK3_KEYS else vs
            assert any(_in_value_set(table, c, code.system, code.code) for c in concepts), (key, code)
    for drug_class, products in C.PRODUCTS.items():
        if drug_class in QRISK3_KEYS:
            for product in products:
                assert _in_value_set(own, drug_class, C.ATC, product.fr.code), product.fr
                assert _in_value_set(own, drug_class, C.RXNORM, product.us.code), product.us
            continue
        concept = "statin" if drug_class == "statin_high" else drug_class
        for product in products:
            assert _in_value_set(vs, concept, C.ATC, product.fr.code), product.fr
            assert _in_value_set(vs, concept, C.RXNORM, product.us.code), product.us
    names = {"total_chol": "total_cholesterol", "hdl": "hdl_cholesterol", "ldl": "ldl_cholesterol"}
    for concept, styles in C.OBSERVATIONS.items():
        for spec in styles.values():
            assert _in_value_set(vs, names.get(concept, concept), C.LOINC, spec.code.code), spec.code
    for name, code in (
        ("bp_panel", C.BP_PANEL),
        ("sbp", C.SBP),
        ("dbp", C.DBP),
        ("smoking_status", C.SMOKING_STATUS),
    ):
        assert _in_value_set(vs, name, C.LOINC, code.code)
    answers = ("smoking_status_answer_never", "smoking_status_answer_former", "smoking_status_answer_current")
    for status, answer in C.SMOKING_ANSWERS.items():
        assert _in_value_set(vs, answers[status], C.SNOMED, answer.code)
    procedures = {
        "dialysis": "esrd",
        "amputation": "amputation",
        "pci": "coronary_revascularisation",
        "eye_exam": "caregap_diabetic_eye_exam",
        "foot_exam": "caregap_diabetic_foot_exam",
    }
    for key, code in C.PROCEDURES.items():
        assert _in_value_set(vs, procedures[key], C.SNOMED, code.code), key


# --- QRISK3's record-rich predictors (parameters section 10, risk/synth/record_rich.py) -------------------
def test_qrisk3_hazard_ratios_are_the_main_effects_of_the_equation() -> None:
    from risk.equations.qrisk3_coefficients import MAIN

    for sex in ("female", "male"):
        for name, log_hr in P.QRISK3_LOG_HR[sex].items():
            assert log_hr == MAIN[sex].get(name, 0.0), (sex, name)


def test_every_qrisk3_predictor_has_a_cited_prevalence_and_an_onset_rule() -> None:
    for name in P.QRISK3_CONDITIONS:
        assert P.QRISK3_SOURCES[name] and P.QRISK3_PREVALENCE_TARGETS[name] and P.QRISK3_EVER[name]
        assert name == "family_history_chd" or name in P.QRISK3_ONSET_AGES
    assert P.QRISK3_PREVALENCE_TARGETS["erectile_dysfunction"][0] == 0.0  # men only


def test_the_qrisk3_multiplier_is_the_hazard_ratio_and_averages_one_over_the_recorded() -> None:
    from risk.synth import record_rich

    k = P.QRISK3_CONDITIONS.index("family_history_chd")
    onset = np.full((len(P.QRISK3_CONDITIONS), 4), np.inf)
    onset[k, :2] = 0.0
    male = np.array([True, False, True, False])
    m = record_rich.cvd_multiplier(onset, male, 100.0, np.ones(4, dtype=bool))
    assert m.mean() == pytest.approx(1.0)
    assert m[0] / m[2] == pytest.approx(np.exp(P.QRISK3_LOG_HR["male"]["family_history_chd"]))
    assert m[1] / m[3] == pytest.approx(np.exp(P.QRISK3_LOG_HR["female"]["family_history_chd"]))


def test_a_predictor_acts_from_the_first_new_year_on_or_after_its_onset():
    """The generator steps a calendar year at a time (record_rich.cvd_multiplier reads conditions present on
    1 January), so the QRISK3 check counts exposure from there, not from the onset day."""
    jan1 = float(year_start_day(2019))
    onsets = np.array([jan1, jan1 + 0.5, jan1 + 200.0, jan1 - 1.0, np.inf])
    expected = [jan1, float(year_start_day(2020)), float(year_start_day(2020)), jan1, np.inf]
    assert effective_from(onsets).tolist() == expected
