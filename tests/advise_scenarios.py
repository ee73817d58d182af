"""Clinical scenarios for the advice tests, written as small patient records, not as feature columns.

Each ``Scenario`` is what a FHIR bundle would hold: age and sex, dated measurements in canonical units
(``Obs``), diagnoses with their onset, active medication classes, dated care evidence, smoking status, plus
the reference scores the equations would return. ``scenario_features`` turns it into a features row following
the risk/features.py contract (the same latest-value, least-squares-slope and summary-flag definitions),
so the tests run now; once records land, a FHIR builder can turn the same ``Scenario`` into a bundle
(Patient.birthDate = as_of - age, Observation.effectiveDateTime = as_of - days_ago, Condition.onsetDateTime =
as_of - years, MedicationStatement active, Procedure for evidence) and the tests can compare both paths.

Scores are the values the tests *assume* the equations give (they are inputs to the advice layer here). A
FHIR-built version should compute them with risk.equations and check the expected category still holds, or
inject them as here.

``make_features(**columns)`` is the lower layer: one contract row with everything missing (NaN) or absent (0),
then the columns given; a measurement given without a date is dated 30 days before ``as_of``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from risk.terminology.concepts import (
    ANTIHYPERTENSIVE_CLASSES,
    CARE_EVIDENCE_CONCEPTS,
    DIAGNOSIS_CONCEPTS,
    GLUCOSE_LOWERING_CLASSES,
    LIPID_LOWERING_CLASSES,
    MEASUREMENT_CONCEPTS,
    MEDICATION_CONCEPTS,
)

AS_OF = date(2025, 6, 30)
NAN = float("nan")
NUMERIC_CONCEPTS = [c for c, spec in MEASUREMENT_CONCEPTS.items() if spec.numeric]
SLOPE_YEARS = 3.0  # features contract: least squares over the last 3 years


@dataclass(frozen=True)
class Score:
    """Stand-in for a score or model result: only ``.risk`` (fraction 0-1, or None) is read by advice."""

    risk: float | None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Obs:
    concept: str  # measurement concept name (risk.terminology.concepts)
    value: float  # canonical unit
    days_ago: int = 30


def series(concept: str, *points: tuple[int, float]) -> tuple[Obs, ...]:
    """``series("hba1c", (730, 50), (365, 56), (0, 62))``: values by days before as_of."""
    return tuple(Obs(concept=concept, value=v, days_ago=d) for d, v in points)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    story: str
    age: float
    sex_male: int | None = 1
    observations: tuple[Obs, ...] = ()
    smoking: str | None = "never"  # current, former, never; None = not recorded
    diagnoses: Mapping[str, float] = field(default_factory=dict)  # concept -> years since onset
    medications: tuple[str, ...] = ()  # medication classes active at as_of
    evidence: Mapping[str, int | None] = field(
        default_factory=dict
    )  # care evidence -> days ago (None: never)
    scores: Mapping[str, float | None] = field(default_factory=dict)
    models: Mapping[str, float] = field(default_factory=dict)
    as_of: date = AS_OF
    guideline_set: str = "esc2021"
    # expectations
    expect_category: str | None = None
    expect_steps: tuple[str, ...] = ()  # offered (not done)
    expect_done: tuple[str, ...] = ()  # shown as already in place
    expect_absent: tuple[str, ...] = ()  # must not appear at all


def make_features(as_of: date = AS_OF, **columns: Any) -> dict[str, Any]:
    """One features row per the contract: measurements NaN, flags 0, then ``columns``."""
    ts = pd.Timestamp(as_of)
    row: dict[str, Any] = {"age": 55.0, "sex_male": 1, "as_of": ts}
    for c in NUMERIC_CONCEPTS:
        row |= {c: NAN, f"{c}_date": pd.NaT, f"{c}_days": NAN, f"{c}_derived": 0}
    row |= {"smoking_current": 0, "smoking_former": 0, "smoking_date": ts - pd.Timedelta(days=30)}
    row |= {
        k: NAN
        for k in (
            "sbp_mean3",
            "sbp_sd",
            "sbp_slope",
            "hba1c_slope",
            "egfr_slope",
            "bmi_slope",
            "weight_change_1y",
            "diabetes_years",
            "age_at_diabetes",
        )
    }
    row |= {f"dx_{c}": 0 for c in DIAGNOSIS_CONCEPTS}
    row |= {
        k: 0
        for k in (
            "diabetes_t2",
            "diabetes_t1",
            "diabetes_any",
            "prior_mi",
            "prior_stroke",
            "prior_tia",
            "prior_pad",
            "prior_hf",
            "prior_chd",
            "established_cvd",
            "ckd_stage",
            "hypertension",
            "af",
        )
    }
    row |= {f"rx_{c}": 0 for c in MEDICATION_CONCEPTS}
    row |= {
        k: 0
        for k in (
            "on_statin",
            "on_antihypertensive",
            "on_lipid_lowering",
            "on_glucose_lowering",
            "n_antihypertensive_classes",
            "visits_1y",
            "visits_5y",
        )
    }
    row |= {f"last_{c}_days": NAN for c in CARE_EVIDENCE_CONCEPTS}
    for key, value in columns.items():
        row[key] = value
        if key in NUMERIC_CONCEPTS and f"{key}_date" not in columns and not _missing(value):
            row[f"{key}_date"] = ts - pd.Timedelta(days=30)
            row[f"{key}_days"] = 30.0
    return row


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _slope_per_year(points: list[tuple[int, float]]) -> float:
    if len(points) < 2:
        return NAN
    xs = [-d / 365.25 for d, _ in points]
    ys = [v for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return NAN
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def _ckd_stage(dx: Mapping[str, float], egfr: float) -> int:
    for n in (5, 4, 3, 2, 1):
        if f"ckd_stage_{n}" in dx:
            return n
    if not _missing(egfr):
        if egfr < 15:
            return 5
        if egfr < 30:
            return 4
        if egfr < 60:
            return 3
    # like risk/features.py: G1-G2 are not inferred from eGFR and albuminuria (the contract stages CKD from
    # diagnoses or eGFR only; the kidney rules read UACR themselves)
    return 0


def scenario_features(s: Scenario) -> dict[str, Any]:
    """The features row the contract would give for this scenario's record at ``s.as_of``."""
    ts = pd.Timestamp(s.as_of)
    cols: dict[str, Any] = {"age": float(s.age), "sex_male": NAN if s.sex_male is None else s.sex_male}
    by_concept: dict[str, list[tuple[int, float]]] = {}
    for o in s.observations:
        if o.concept not in NUMERIC_CONCEPTS:
            raise ValueError(f"unknown measurement concept {o.concept!r} in scenario {s.name}")
        if o.days_ago >= 0:  # nothing after as_of
            by_concept.setdefault(o.concept, []).append((o.days_ago, o.value))
    for concept, points in by_concept.items():
        points.sort()  # most recent first
        days, value = points[0]
        cols |= {
            concept: value,
            f"{concept}_date": ts - pd.Timedelta(days=days),
            f"{concept}_days": float(days),
        }
    recent = lambda c: [p for p in by_concept.get(c, []) if p[0] <= SLOPE_YEARS * 365.25]  # noqa: E731
    for c in ("hba1c", "egfr", "sbp", "bmi"):
        cols[f"{c}_slope"] = _slope_per_year(recent(c))
    sbp = by_concept.get("sbp", [])
    if sbp:
        last3 = [v for _, v in sbp[:3]]
        cols["sbp_mean3"] = sum(last3) / len(last3)
        if len(recent("sbp")) >= 2:
            cols["sbp_sd"] = pd.Series([v for _, v in recent("sbp")]).std()
    weights = by_concept.get("weight", [])
    if len(weights) >= 2:
        latest_day, latest = weights[0]
        earlier = [p for p in weights[1:] if 270 <= p[0] - latest_day <= 455]
        if earlier:
            _, before = min(earlier, key=lambda p: abs(p[0] - latest_day - 365))
            cols["weight_change_1y"] = latest - before

    cols |= (
        {"smoking_current": NAN, "smoking_former": NAN}
        if s.smoking is None
        else {"smoking_current": int(s.smoking == "current"), "smoking_former": int(s.smoking == "former")}
    )

    dx = dict(s.diagnoses)
    unknown = set(dx) - set(DIAGNOSIS_CONCEPTS)
    if unknown:
        raise ValueError(f"unknown diagnosis concepts {sorted(unknown)} in scenario {s.name}")
    cols |= {f"dx_{c}": 1 for c in dx}
    has = lambda *names: int(any(n in dx for n in names))  # noqa: E731
    cols |= {
        "diabetes_t2": has("diabetes_type2"),
        "diabetes_t1": has("diabetes_type1"),
        "diabetes_any": has("diabetes_any", "diabetes_type1", "diabetes_type2"),
        "prior_mi": has("myocardial_infarction", "myocardial_infarction_history"),
        "prior_stroke": has("stroke", "stroke_ischaemic", "stroke_haemorrhagic"),
        "prior_tia": has("tia"),
        "prior_pad": has("peripheral_arterial_disease"),
        "prior_hf": has("heart_failure"),
        "prior_chd": has(
            "coronary_heart_disease",
            "coronary_revascularisation",
            "myocardial_infarction",
            "myocardial_infarction_history",
        ),
        "hypertension": has("hypertension"),
        "af": has("atrial_fibrillation"),
    }
    cols["established_cvd"] = int(
        any(cols[k] for k in ("prior_mi", "prior_stroke", "prior_tia", "prior_pad", "prior_chd"))
    )
    diabetes_onsets = [dx[n] for n in ("diabetes_type2", "diabetes_type1", "diabetes_any") if n in dx]
    if diabetes_onsets:
        years = max(diabetes_onsets)
        cols |= {"diabetes_years": float(years), "age_at_diabetes": float(s.age - years)}
    cols["ckd_stage"] = _ckd_stage(dx, cols.get("egfr", NAN))

    meds = set(s.medications)
    unknown = meds - set(MEDICATION_CONCEPTS)
    if unknown:
        raise ValueError(f"unknown medication classes {sorted(unknown)} in scenario {s.name}")
    cols |= {f"rx_{m}": 1 for m in meds}
    cols |= {
        "on_statin": int("statin" in meds),
        "on_lipid_lowering": int(bool(meds & LIPID_LOWERING_CLASSES)),
        "on_antihypertensive": int(bool(meds & ANTIHYPERTENSIVE_CLASSES)),
        "on_glucose_lowering": int(bool(meds & GLUCOSE_LOWERING_CLASSES)),
        "n_antihypertensive_classes": len(meds & ANTIHYPERTENSIVE_CLASSES),
    }
    for concept, days in s.evidence.items():
        if concept not in CARE_EVIDENCE_CONCEPTS:
            raise ValueError(f"unknown care evidence {concept!r} in scenario {s.name}")
        cols[f"last_{concept}_days"] = NAN if days is None else float(days)
    row = make_features(s.as_of, **cols)
    for concept in by_concept:  # keep the real dates (make_features only dates undated values)
        row[f"{concept}_date"], row[f"{concept}_days"] = cols[f"{concept}_date"], cols[f"{concept}_days"]
    return row


def scores_for(s: Scenario) -> dict[str, Score]:
    return {name: Score(risk) for name, risk in s.scores.items()}


def models_for(s: Scenario) -> dict[str, Score]:
    return {name: Score(risk) for name, risk in s.models.items()}


def days_before(as_of: date, days: int) -> date:
    return as_of - timedelta(days=days)


LIPIDS_55 = (Obs(concept="total_chol", value=6.2), Obs(concept="hdl", value=1.1))

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            name="primary_high_risk_untreated_smoker",
            story=(
                "55-year-old man who smokes, BP 150/92, LDL-C 4.2 mmol/L,"
                " SCORE2 8 %: high risk for age 50-69."
            ),
            age=55,
            smoking="current",
            observations=(
                Obs(concept="sbp", value=150),
                Obs(concept="dbp", value=92),
                Obs(concept="ldl", value=4.2),
                *LIPIDS_55,
            ),
            scores={"score2": 0.08},
            expect_category="high",
            expect_steps=(
                "statin_start",
                "bp_drug_start_esc2021",
                "smoking_cessation",
                "smoking_cessation_support",
            ),
            expect_done=("risk_estimate_score2",),
            expect_absent=("statin_intensify", "ezetimibe_add", "lipid_lifestyle", "antiplatelet_secondary"),
        ),
        Scenario(
            name="primary_high_risk_on_statin_above_goal",
            story=(
                "58-year-old woman on a statin, LDL-C 2.6 mmol/L, SCORE2 7 %: high risk, above the 1.8 goal."
            ),
            age=58,
            sex_male=0,
            medications=("statin",),
            observations=(
                Obs(concept="ldl", value=2.6),
                Obs(concept="sbp", value=124),
                Obs(concept="dbp", value=76),
                *LIPIDS_55,
            ),
            scores={"score2": 0.07},
            expect_category="high",
            expect_steps=("statin_intensify", "ezetimibe_add"),
            expect_done=("statin_start", "risk_estimate_score2"),
            expect_absent=("pcsk9_add", "lipid_lifestyle"),
        ),
        Scenario(
            name="primary_on_statin_and_ezetimibe_above_goal",
            story=(
                "60-year-old man on statin + ezetimibe, LDL-C 2.2, SCORE2 9 %: ezetimibe not offered again."
            ),
            age=60,
            medications=("statin", "ezetimibe"),
            observations=(Obs(concept="ldl", value=2.2), *LIPIDS_55),
            scores={"score2": 0.09},
            expect_category="high",
            expect_steps=("statin_intensify",),
            expect_done=("statin_start", "ezetimibe_add"),
            expect_absent=("pcsk9_add",),
        ),
        Scenario(
            name="primary_at_goal_on_statin",
            story="62-year-old man on a statin with LDL-C 1.5 mmol/L at high risk: at goal, nothing to add.",
            age=62,
            medications=("statin",),
            observations=(Obs(concept="ldl", value=1.5), *LIPIDS_55),
            scores={"score2": 0.06},
            expect_category="high",
            expect_done=("statin_start",),
            expect_absent=("statin_intensify", "ezetimibe_add"),
        ),
        Scenario(
            name="secondary_prevention_untreated",
            story=(
                "64-year-old man after a myocardial infarction, LDL-C 2.9,"
                " no treatment: very high risk, no score."
            ),
            age=64,
            diagnoses={"myocardial_infarction": 2},
            observations=(Obs(concept="ldl", value=2.9), *LIPIDS_55),
            expect_category="very_high",
            expect_steps=("statin_start", "antiplatelet_secondary"),
            expect_absent=("risk_estimate_score2", "risk_estimate_score2_op", "statin_start_older_primary"),
        ),
        Scenario(
            name="secondary_prevention_without_ldl",
            story=(
                "70-year-old woman after an ischaemic stroke,"
                " no lipid result: statin offered and LDL-C requested."
            ),
            age=70,
            sex_male=0,
            diagnoses={"stroke_ischaemic": 1},
            expect_category="very_high",
            expect_steps=("statin_start", "antiplatelet_secondary"),
            expect_absent=("statin_start_older_primary", "risk_estimate_score2_op"),
        ),
        Scenario(
            name="secondary_prevention_full_lipid_therapy_above_goal",
            story=(
                "67-year-old man with coronary disease on statin + ezetimibe,"
                " LDL-C 1.9: PCSK9 inhibitor next."
            ),
            age=67,
            diagnoses={"coronary_heart_disease": 5},
            medications=("statin", "ezetimibe", "antiplatelet"),
            observations=(Obs(concept="ldl", value=1.9),),
            expect_category="very_high",
            expect_steps=("statin_intensify", "pcsk9_add"),
            expect_done=("statin_start", "ezetimibe_add", "antiplatelet_secondary"),
        ),
        Scenario(
            name="secondary_prevention_anticoagulated",
            story="75-year-old man with PAD and atrial fibrillation on a DOAC: no aspirin step.",
            age=75,
            diagnoses={"peripheral_arterial_disease": 3, "atrial_fibrillation": 2},
            medications=("anticoagulant_doac", "statin"),
            observations=(Obs(concept="ldl", value=1.2),),
            expect_category="very_high",
            expect_done=("statin_start",),
            expect_absent=("antiplatelet_secondary", "statin_intensify"),
        ),
        Scenario(
            name="t2d_with_ascvd_untreated",
            story="66-year-old man with type 2 diabetes and prior MI, HbA1c 64 mmol/mol, eGFR 70, UACR 1.",
            age=66,
            diagnoses={"diabetes_type2": 8, "myocardial_infarction_history": 3},
            medications=("metformin", "statin", "antiplatelet"),
            observations=(
                Obs(concept="hba1c", value=64),
                Obs(concept="egfr", value=70),
                Obs(concept="uacr", value=1.0),
                Obs(concept="ldl", value=1.3),
            ),
            expect_category="very_high",
            expect_steps=("sglt2i_t2d", "glp1ra_t2d_ascvd", "hba1c_above_target"),
            expect_done=("statin_start", "antiplatelet_secondary"),
            expect_absent=(
                "sglt2i_or_glp1ra_high_risk",
                "risk_estimate_score2_diabetes",
                "finerenone_t2d_ckd",
            ),
        ),
        Scenario(
            name="t2d_with_ascvd_on_sglt2i_and_glp1ra",
            story="Same patient already on an SGLT2 inhibitor and a GLP-1 RA: neither is offered again.",
            age=66,
            diagnoses={"diabetes_type2": 8, "myocardial_infarction_history": 3},
            medications=("metformin", "sglt2_inhibitor", "glp1_receptor_agonist", "statin", "antiplatelet"),
            observations=(
                Obs(concept="hba1c", value=50),
                Obs(concept="egfr", value=70),
                Obs(concept="uacr", value=1.0),
                Obs(concept="ldl", value=1.3),
            ),
            expect_category="very_high",
            expect_done=("sglt2i_t2d", "glp1ra_t2d_ascvd"),
            expect_absent=("hba1c_above_target",),
        ),
        Scenario(
            name="t2d_with_ckd_on_ace_inhibitor",
            story=(
                "68-year-old woman, type 2 diabetes, hypertension on an ACE inhibitor,"
                " eGFR 48, UACR 12 mg/mmol."
            ),
            age=68,
            sex_male=0,
            diagnoses={"diabetes_type2": 12, "hypertension": 10},
            medications=("metformin", "ace_inhibitor"),
            observations=(
                Obs(concept="egfr", value=48),
                Obs(concept="uacr", value=12),
                Obs(concept="hba1c", value=52),
                Obs(concept="sbp", value=128),
                Obs(concept="dbp", value=74),
            ),
            expect_category="very_high",
            expect_steps=("sglt2i_t2d", "finerenone_t2d_ckd", "kidney_monitoring"),
            expect_done=("ras_blockade_diabetes_albuminuria", "bp_above_target_esc2021"),
            expect_absent=("nephrology_referral", "glp1ra_t2d_ascvd", "risk_estimate_score2_diabetes"),
        ),
        Scenario(
            name="t2d_high_score_without_organ_damage",
            story=(
                "60-year-old man, type 2 diabetes for 5 years, eGFR 85, UACR 1,"
                " SCORE2-Diabetes 14 %: high risk."
            ),
            age=60,
            diagnoses={"diabetes_type2": 5},
            medications=("metformin",),
            observations=(
                Obs(concept="hba1c", value=50),
                Obs(concept="egfr", value=85),
                Obs(concept="uacr", value=1.0),
                Obs(concept="ldl", value=2.4),
                *LIPIDS_55,
            ),
            scores={"score2_diabetes": 0.14},
            expect_category="high",
            expect_steps=("sglt2i_or_glp1ra_high_risk", "statin_start"),
            expect_done=("risk_estimate_score2_diabetes",),
            expect_absent=("sglt2i_t2d", "glp1ra_t2d_ascvd", "risk_estimate_score2"),
        ),
        Scenario(
            name="t2d_score_not_computable",
            story=(
                "52-year-old woman with type 2 diabetes and no HbA1c on file: SCORE2-Diabetes "
                "cannot be computed."
            ),
            age=52,
            sex_male=0,
            diagnoses={"diabetes_type2": 2},
            observations=(Obs(concept="egfr", value=95), Obs(concept="sbp", value=126), *LIPIDS_55),
            scores={"score2_diabetes": None},
            expect_category="unknown",
            expect_steps=("risk_estimate_score2_diabetes",),
        ),
        Scenario(
            name="t2d_albuminuria_hypertension_without_ras",
            story="59-year-old man, type 2 diabetes, BP 146/88 untreated, UACR 8 mg/mmol, eGFR 75.",
            age=59,
            diagnoses={"diabetes_type2": 6},
            medications=("metformin",),
            observations=(
                Obs(concept="uacr", value=8),
                Obs(concept="egfr", value=75),
                Obs(concept="sbp", value=146),
                Obs(concept="dbp", value=88),
                Obs(concept="hba1c", value=55),
            ),
            scores={"score2_diabetes": 0.09},
            expect_category="moderate",
            expect_steps=(
                "ras_blockade_diabetes_albuminuria",
                "bp_drug_start_esc2021",
                "sglt2i_t2d",
                "hba1c_above_target",
            ),
            expect_absent=("finerenone_t2d_ckd", "bp_lifestyle_first_esc2021"),
        ),
        Scenario(
            name="ckd_g4_a3_referral",
            story=(
                "72-year-old man without diabetes, eGFR 25 and UACR 40 mg/mmol: refer,"
                " monitor 4+ times a year."
            ),
            age=72,
            observations=(
                Obs(concept="egfr", value=25),
                Obs(concept="uacr", value=40),
                Obs(concept="ldl", value=3.1),
            ),
            expect_category="very_high",
            expect_steps=("nephrology_referral", "kidney_monitoring", "statin_start"),
            expect_absent=(
                "nephrology_referral_kfre",
                "risk_estimate_score2_op",
                "statin_start_older_primary",
            ),
        ),
        Scenario(
            name="ckd_referral_by_kfre",
            story="63-year-old woman, eGFR 40, UACR 10 mg/mmol, 5-year KFRE 6 %: referral on risk alone.",
            age=63,
            sex_male=0,
            observations=(Obs(concept="egfr", value=40), Obs(concept="uacr", value=10)),
            scores={"kfre_5y": 0.06},
            expect_category="very_high",
            expect_steps=("nephrology_referral_kfre", "kidney_monitoring"),
            expect_absent=("nephrology_referral", "nephrology_referral_consider_kfre"),
        ),
        Scenario(
            name="ckd_rapid_decline",
            story="61-year-old man, eGFR 70 -> 52 over two years (about -9 per year), UACR 4: refer.",
            age=61,
            observations=(*series("egfr", (730, 70), (365, 61), (0, 52)), Obs(concept="uacr", value=4)),
            expect_steps=("nephrology_referral", "kidney_monitoring"),
        ),
        Scenario(
            name="grade1_hypertension_low_risk",
            story="45-year-old woman, BP 145/88, SCORE2 1 %: lifestyle first under ESC 2021.",
            age=45,
            sex_male=0,
            observations=(Obs(concept="sbp", value=145), Obs(concept="dbp", value=88), *LIPIDS_55),
            scores={"score2": 0.01},
            expect_category="low_moderate",
            expect_steps=("bp_lifestyle_first_esc2021",),
            expect_done=("risk_estimate_score2",),
            expect_absent=("bp_drug_start_esc2021", "bp_drug_start_esc2024", "statin_start"),
        ),
        Scenario(
            name="grade1_hypertension_low_risk_2025",
            story="Same woman read with the 2025 set: ESC 2024 treats confirmed BP >=140/90 at any risk.",
            age=45,
            sex_male=0,
            observations=(Obs(concept="sbp", value=145), Obs(concept="dbp", value=88), *LIPIDS_55),
            scores={"score2": 0.01},
            guideline_set="esc_eas2025",
            expect_category="low",
            expect_steps=("bp_drug_start_esc2024",),
            expect_absent=("bp_lifestyle_first_esc2021", "bp_drug_start_esc2021", "bp_elevated_esc2024"),
        ),
        Scenario(
            name="treated_hypertension_above_target",
            story="60-year-old man on an ACE inhibitor and a CCB, BP 142/84: above the 120-130 target.",
            age=60,
            medications=("ace_inhibitor", "calcium_channel_blocker"),
            observations=(Obs(concept="sbp", value=142), Obs(concept="dbp", value=84), *LIPIDS_55),
            scores={"score2": 0.04},
            expect_steps=("bp_above_target_esc2021",),
            expect_absent=("bp_drug_start_esc2021", "bp_lifestyle_first_esc2021"),
        ),
        Scenario(
            name="older_primary_prevention_high_risk",
            story="74-year-old woman, SCORE2-OP 16 %, LDL-C 3.5, no CVD: statin may be considered (IIb).",
            age=74,
            sex_male=0,
            observations=(Obs(concept="ldl", value=3.5), *LIPIDS_55),
            scores={"score2": 0.16},
            expect_category="very_high",
            expect_steps=("statin_start_older_primary",),
            expect_done=("risk_estimate_score2_op",),
            expect_absent=("statin_start", "risk_estimate_score2"),
        ),
        Scenario(
            name="elevated_bp_high_risk_2025",
            story="62-year-old man, BP 134/84, SCORE2 12 %: ESC 2024 elevated BP with risk >=10 %.",
            age=62,
            observations=(Obs(concept="sbp", value=134), Obs(concept="dbp", value=84), *LIPIDS_55),
            scores={"score2": 0.12},
            guideline_set="esc_eas2025",
            expect_category="high",
            expect_steps=("bp_elevated_esc2024",),
            expect_absent=("bp_drug_start_esc2024",),
        ),
        Scenario(
            name="treated_hypertension_2025",
            story="63-year-old man on an ARB, BP 132/78: above the ESC 2024 target of 120-129 mmHg.",
            age=63,
            medications=("arb",),
            guideline_set="esc_eas2025",
            observations=(Obs(concept="sbp", value=132), Obs(concept="dbp", value=78), *LIPIDS_55),
            scores={"score2": 0.05},
            expect_category="moderate",
            expect_steps=("bp_above_target_esc2024",),
            expect_absent=("bp_above_target_esc2021", "bp_drug_start_esc2024"),
        ),
        Scenario(
            name="moderate_risk_lipid_lifestyle_2025",
            story=(
                "52-year-old woman, SCORE2 3 %, LDL-C 3.4 mmol/L,"
                " untreated: moderate risk (2025), lifestyle first."
            ),
            age=52,
            sex_male=0,
            guideline_set="esc_eas2025",
            observations=(
                Obs(concept="ldl", value=3.4),
                Obs(concept="sbp", value=122),
                Obs(concept="dbp", value=76),
                *LIPIDS_55,
            ),
            scores={"score2": 0.03},
            expect_category="moderate",
            expect_steps=("lipid_lifestyle",),
            expect_absent=("statin_start", "bp_elevated_esc2024"),
        ),
        Scenario(
            name="ckd_consider_referral_by_kfre",
            story="66-year-old woman, eGFR 38, UACR 2 mg/mmol, 5-year KFRE 4 %: consider referral.",
            age=66,
            sex_male=0,
            observations=(Obs(concept="egfr", value=38), Obs(concept="uacr", value=2)),
            scores={"kfre_5y": 0.04},
            expect_category="high",
            expect_steps=("nephrology_referral_consider_kfre", "kidney_monitoring"),
            expect_absent=("nephrology_referral", "nephrology_referral_kfre"),
        ),
        Scenario(
            name="markedly_elevated_ldl",
            story=(
                "45-year-old man, LDL-C 5.2 mmol/L,"
                " SCORE2 1 %: a markedly elevated factor makes him high risk."
            ),
            age=45,
            observations=(
                Obs(concept="ldl", value=5.2),
                Obs(concept="total_chol", value=7.4),
                Obs(concept="hdl", value=1.3),
            ),
            scores={"score2": 0.01},
            expect_category="high",
            expect_steps=("statin_start",),
        ),
    ]
}

# step id -> the medication flags that mean the patient already receives it
TREATMENT_FLAGS = {
    "statin_start": ("on_statin",),
    "statin_start_older_primary": ("on_statin",),
    "ezetimibe_add": ("rx_ezetimibe",),
    "pcsk9_add": ("rx_pcsk9_inhibitor",),
    "sglt2i_t2d": ("rx_sglt2_inhibitor",),
    "glp1ra_t2d_ascvd": ("rx_glp1_receptor_agonist",),
    "sglt2i_or_glp1ra_high_risk": ("rx_sglt2_inhibitor", "rx_glp1_receptor_agonist"),
    "finerenone_t2d_ckd": ("rx_mineralocorticoid_antagonist",),
    "ras_blockade_diabetes_albuminuria": ("rx_ace_inhibitor", "rx_arb"),
    "antiplatelet_secondary": ("rx_antiplatelet",),
    "bp_drug_start_esc2021": ("on_antihypertensive",),
    "bp_drug_start_esc2024": ("on_antihypertensive",),
    "bp_elevated_esc2024": ("on_antihypertensive",),
    "bp_lifestyle_first_esc2021": ("on_antihypertensive",),
}

# rule id -> (scenario, guideline short name, year, class, level, English fragment, French fragment)
RULE_CASES: dict[str, tuple[str, str, int, str, str, str, str]] = {
    "risk_estimate_score2": (
        "primary_high_risk_untreated_smoker",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "B",
        "SCORE2, low-risk region): 8.0%, high risk (age 50-69 y)",
        "SCORE2, région à risque faible)\u00a0: 8,0\u202f%, risque élevé (âge 50-69 ans)",
    ),
    "risk_estimate_score2_op": (
        "older_primary_prevention_high_risk",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "B",
        "SCORE2-OP, low-risk region): 16.0%, very high risk",
        "16,0\u202f%, risque très élevé",
    ),
    "risk_estimate_score2_diabetes": (
        "t2d_score_not_computable",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "B",
        "SCORE2-Diabetes",
        "renseigner HbA1c",
    ),
    "statin_start": (
        "primary_high_risk_untreated_smoker",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "A",
        "Start a statin: LDL-C 4.20 mmol/L is above the goal of <1.8 mmol/L",
        "Débuter une statine\u00a0: LDL-c 4,20 mmol/L (1,62 g/L), au-dessus de l'objectif < 1,8 mmol/L",
    ),
    "statin_start_older_primary": (
        "older_primary_prevention_high_risk",
        "ESC 2021 CVD prevention",
        2021,
        "IIb",
        "B",
        "Consider starting a statin for primary prevention (age ≥70",
        "Envisager une statine en prévention primaire",
    ),
    "statin_intensify": (
        "primary_high_risk_on_statin_above_goal",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "A",
        "LDL-C 2.60 mmol/L is above the goal of <1.8 mmol/L on a statin: check adherence",
        "LDL-c 2,60 mmol/L (1,01 g/L) au-dessus de l'objectif < 1,8 mmol/L sous statine",
    ),
    "ezetimibe_add": (
        "primary_high_risk_on_statin_above_goal",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "B",
        "Add ezetimibe",
        "Ajouter l'ézétimibe",
    ),
    "pcsk9_add": (
        "secondary_prevention_full_lipid_therapy_above_goal",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "A",
        "add a PCSK9 inhibitor, as LDL-C 1.90 mmol/L",
        "ajouter un inhibiteur de PCSK9, le LDL-c (1,90",
    ),
    "lipid_lifestyle": (
        "moderate_risk_lipid_lifestyle_2025",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "IIa",
        "A",
        "Lifestyle measures for LDL-C 3.40 mmol/L (goal <2.6 mmol/L at moderate cardiovascular risk)",
        "Mesures hygiéno-diététiques pour un LDL-c à 3,40 mmol/L (1,31 g/L ; objectif < 2,6",
    ),
    "bp_drug_start_esc2021": (  # grade 1: ESC 2021 'treatment initiation based on absolute CVD risk ...' I C
        "primary_high_risk_untreated_smoker",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "C",
        "Consider starting BP-lowering drug treatment: BP 150/92 mmHg (grade 1 hypertension at high",
        "Envisager un traitement antihypertenseur\u00a0: PA 150/92 mmHg (HTA grade 1",
    ),
    "bp_lifestyle_first_esc2021": (
        "grade1_hypertension_low_risk",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "A",
        "lifestyle measures for 3-6 months",
        "mesures hygiéno-diététiques pendant 3 à 6 mois",
    ),
    "bp_above_target_esc2021": (
        "treated_hypertension_above_target",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "A",
        "BP 142/84 mmHg is above target on treatment (target: SBP 120-130 mmHg",
        "PA 142/84 mmHg au-dessus de la cible sous traitement",
    ),
    "bp_drug_start_esc2024": (
        "grade1_hypertension_low_risk_2025",
        "ESC 2024 elevated BP and hypertension",
        2024,
        "I",
        "A",
        "BP 145/88 mmHg (hypertension, ≥140/90 mmHg)",
        "PA 145/88 mmHg (hypertension",
    ),
    "bp_elevated_esc2024": (
        "elevated_bp_high_risk_2025",
        "ESC 2024 elevated BP and hypertension",
        2024,
        "I",
        "A",
        "Elevated BP 134/84 mmHg with 10-year risk 12.0% (≥10%)",
        "PA élevée 134/84 mmHg avec risque à 10 ans 12,0\u202f%",
    ),
    "bp_above_target_esc2024": (
        "treated_hypertension_2025",
        "ESC 2024 elevated BP and hypertension",
        2024,
        "I",
        "A",
        "BP 132/78 mmHg is above target on treatment (target: SBP 120-129 mmHg",
        "PA 132/78 mmHg au-dessus de la cible",
    ),
    "smoking_cessation": (
        "primary_high_risk_untreated_smoker",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "A",
        "advise stopping all tobacco use",
        "conseiller l'arrêt complet du tabac",
    ),
    "smoking_cessation_support": (
        "primary_high_risk_untreated_smoker",
        "ESC 2021 CVD prevention",
        2021,
        "IIa",
        "A",
        "varenicline or bupropion",
        "varénicline ou bupropion",
    ),
    "antiplatelet_secondary": (
        "secondary_prevention_untreated",
        "ESC 2021 CVD prevention",
        2021,
        "I",
        "A",
        "aspirin 75-100 mg daily",
        "aspirine 75-100 mg/j",
    ),
    "sglt2i_t2d": (
        "t2d_with_ckd_on_ace_inhibitor",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "A",
        "Start an SGLT2 inhibitor with proven cardiovascular and kidney benefit (chronic kidney disease)",
        "Débuter un inhibiteur de SGLT2 (gliflozine) au bénéfice cardiovasculaire et rénal démontré "
        "(maladie rénale chronique)",
    ),
    "glp1ra_t2d_ascvd": (
        "t2d_with_ascvd_untreated",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "A",
        "Start a GLP-1 receptor agonist",
        "Débuter un agoniste du récepteur du GLP-1",
    ),
    "sglt2i_or_glp1ra_high_risk": (
        "t2d_high_score_without_organ_damage",
        "ESC 2023 CVD in diabetes",
        2023,
        "IIb",
        "C",
        "SCORE2-Diabetes 14.0%, high risk",
        "SCORE2-Diabetes 14,0\u202f%, risque élevé",
    ),
    "finerenone_t2d_ckd": (
        "t2d_with_ckd_on_ace_inhibitor",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "A",
        "Add finerenone to an ACE inhibitor or ARB (type 2 diabetes with CKD: eGFR 48 mL/min/1.73 m², "
        "UACR 12.0 mg/mmol)",
        "Ajouter la finérénone à un IEC ou un ARA2 (diabète de type 2 avec "
        "maladie rénale chronique\u00a0: DFGe 48 mL/min/1,73 m², RAC 12,0 mg/mmol)",
    ),
    "ras_blockade_diabetes_albuminuria": (
        "t2d_albuminuria_hypertension_without_ras",
        "KDIGO 2022 diabetes in CKD",
        2022,
        "1",
        "B",
        "UACR 8.0 mg/mmol",
        "RAC 8,0 mg/mmol",
    ),
    "hba1c_above_target": (
        "t2d_with_ascvd_untreated",
        "ESC 2023 CVD in diabetes",
        2023,
        "I",
        "A",
        "HbA1c 64 mmol/mol (8.0%) is above the usual target of <53 mmol/mol (7%)",
        "HbA1c 64 mmol/mol (8,0\u202f%) au-dessus de la cible habituelle < 53 mmol/mol (7\u202f%)",
    ),
    "kidney_monitoring": (
        "t2d_with_ckd_on_ace_inhibitor",
        "KDIGO 2012 CKD",
        2012,
        "PP",
        "not graded",
        "Monitor eGFR and UACR twice a year (KDIGO G3aA2",
        "Surveiller DFGe et RAC 2 fois par an",
    ),
    "nephrology_referral": (
        "ckd_g4_a3_referral",
        "KDIGO 2012 CKD",
        2012,
        "1",
        "B",
        "Refer to nephrology: eGFR 25 mL/min/1.73 m² (<30), UACR 40.0 mg/mmol (≥30)",
        "Adresser au néphrologue\u00a0: DFGe 25 mL/min/1,73 m² (< 30), RAC 40,0 mg/mmol",
    ),
    "nephrology_referral_kfre": (
        "ckd_referral_by_kfre",
        "KDIGO 2024 CKD",
        2024,
        "PP",
        "not graded",
        "5-year kidney failure risk (KFRE) 6.0% (≥5%)",
        "(KFRE) 6,0\u202f%",
    ),
    "nephrology_referral_consider_kfre": (
        "ckd_consider_referral_by_kfre",
        "KDIGO 2024 CKD",
        2024,
        "PP",
        "not graded",
        "Consider nephrology referral",
        "Envisager un avis néphrologique",
    ),
}
