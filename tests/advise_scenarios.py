"""Clinical scenarios for the advice tests, written as small patient records, not as feature columns.

Each ``Scenario`` is what a FHIR bundle would hold: age and sex, dated measurements in canonical units
(``Obs``), diagnoses with their onset, active medication classes, dated care evidence, smoking status, plus
the reference scores the equations would return. ``scenario_record`` turns it into a real
``risk.record.PatientRecord`` (birth date = as_of - age, measurement time = as_of - days_ago, diagnosis onset =
as_of - years, medications active since 180 days, care evidence as a Procedure, smoking status 30 days before
as_of). A diagnosis is coded as in ``CONDITION_CODES`` and holds every concept risk.terminology gives that code,
as a record read from FHIR does (a myocardial infarction is also coronary heart disease, type 2 diabetes also
any diabetes). ``scenario_features`` gives that record's row from the library's own feature builder
(``risk.features.build.build_features``): there is one features code path, the one the app uses.
tests/integration/test_advise_from_fhir.py writes the same scenarios as FHIR bundles and reads them back through
the FHIR reader.

Scores are the values the tests *assume* the equations give (they are inputs to the advice layer here), so
each scenario sits in one risk band whatever inputs it holds.

``make_features(**columns)`` is the lower layer, for one rule at a time: the builder's row for a 55-year-old
man with nothing recorded but a never-smoker status (measurements NaN, flags 0), then the columns given; a
measurement given without a date is dated 30 days before ``as_of``. Derived columns are not recomputed from the
columns given: a test that sets ``ldl`` sets ``non_hdl`` too if it needs it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from risk import terminology
from risk.features.build import build_features
from risk.features.tables import tables_from_records
from risk.record import Diagnosis, Measurement, Medication, PatientRecord
from risk.terminology.concepts import (
    CARE_EVIDENCE_CONCEPTS,
    DIAGNOSIS_CONCEPTS,
    MEASUREMENT_CONCEPTS,
    MEDICATION_CONCEPTS,
    SMOKING_LABELS,
)
from tests.fhir_spec import ICD10, SNOMED

AS_OF = date(2025, 6, 30)
NAN = float("nan")
NUMERIC_CONCEPTS = [c for c, spec in MEASUREMENT_CONCEPTS.items() if spec.numeric]
SMOKING_DAYS_AGO = 30  # the smoking status is recorded 30 days before as_of
MED_START_DAYS_AGO = 180  # medications are active since 180 days before as_of
UNDATED_DAYS_AGO = 30  # make_features dates a measurement given without a date 30 days before as_of
SMOKING_CODES = {label: code for code, (label, _) in SMOKING_LABELS.items()}  # "never" 0, "former" 1, "current" 2

# diagnosis concept -> a code a French record would carry (CIM-10 from PMSI / SNOMED CT from a GP system)
CONDITION_CODES: dict[str, tuple[str, str, str]] = {
    "diabetes_type2": (ICD10, "E11.9", "Diabète sucré de type 2, sans complication"),
    "diabetes_type1": (ICD10, "E10.9", "Diabète sucré de type 1, sans complication"),
    "hypertension": (ICD10, "I10", "Hypertension essentielle (primitive)"),
    "myocardial_infarction": (SNOMED, "22298006", "Myocardial infarction"),
    "myocardial_infarction_history": (SNOMED, "1755008", "Old myocardial infarction"),
    "coronary_heart_disease": (SNOMED, "53741008", "Coronary arteriosclerosis"),
    "stroke_ischaemic": (ICD10, "I63.9", "Infarctus cérébral, sans précision"),
    "peripheral_arterial_disease": (ICD10, "I70.2", "Athérosclérose des artères distales"),
    "atrial_fibrillation": (SNOMED, "49436004", "Atrial fibrillation"),
    "heart_failure": (SNOMED, "84114007", "Heart failure"),
    "ckd_stage_2": (ICD10, "N18.2", "Maladie rénale chronique, stade 2"),
    "esrd": (ICD10, "Z99.2", "Dépendance envers une dialyse rénale"),
    "kidney_transplant": (ICD10, "Z94.0", "Greffe de rein"),
}

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


def bp(sbp: float, dbp: float, days_ago: int = 30) -> tuple[Obs, Obs]:
    """An office blood pressure: systolic and diastolic on the same day."""
    return Obs(concept="sbp", value=sbp, days_ago=days_ago), Obs(concept="dbp", value=dbp, days_ago=days_ago)


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    story: str
    age: float
    sex_male: int = 1
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


def birth_date(age: float, as_of: date) -> date:
    """Born ``age`` years of 365.25 days before as_of, rounded up to a whole day: the features contract counts
    age in such years, so the row's age is never below the scenario's (a calendar birthday 45 years earlier
    reads 44.9993, which would flip an age cut-off at 45)."""
    return as_of - timedelta(days=math.ceil(age * 365.25))


def _midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _check(kind: str, names: Any, known: Any, scenario: str) -> None:
    unknown = set(names) - set(known)
    if unknown:
        raise ValueError(f"unknown {kind} {sorted(unknown)} in scenario {scenario}")


def scenario_record(s: Scenario) -> PatientRecord:
    """The patient record this scenario's FHIR bundle would give (risk.record.PatientRecord)."""
    _check("measurement concepts", (o.concept for o in s.observations), NUMERIC_CONCEPTS, s.name)
    _check("diagnosis concepts", s.diagnoses, DIAGNOSIS_CONCEPTS, s.name)
    _check("diagnoses without a code in CONDITION_CODES", s.diagnoses, CONDITION_CODES, s.name)
    _check("medication classes", s.medications, MEDICATION_CONCEPTS, s.name)
    _check("care evidence", s.evidence, CARE_EVIDENCE_CONCEPTS, s.name)
    at = lambda days: _midnight_utc(s.as_of - timedelta(days=days))  # noqa: E731
    measurements = [
        Measurement(concept=o.concept, value=float(o.value), unit=MEASUREMENT_CONCEPTS[o.concept].unit,
                    time=at(o.days_ago))
        for o in s.observations
    ]
    if s.smoking is not None:
        measurements.append(Measurement(concept="smoking_status", value=float(SMOKING_CODES[s.smoking]),
                                        unit="{status}", time=at(SMOKING_DAYS_AGO)))
    diagnoses = [
        Diagnosis(concept=concept, onset=at(round(years * 365.25)), code=f"{system}|{code}", display=display)
        for dx, years in s.diagnoses.items()
        for system, code, display in [CONDITION_CODES[dx]]
        for concept in sorted(terminology.condition_concepts(system, code))
    ]
    diagnoses += [Diagnosis(concept=c, onset=at(days), resource_type="Procedure")
                  for c, days in s.evidence.items() if days is not None]
    medications = [Medication(concept=c, start=at(MED_START_DAYS_AGO), status="active") for c in s.medications]
    return PatientRecord(
        patient_id=s.name.replace("_", "-"),
        sex="male" if s.sex_male else "female",
        birth_date=birth_date(s.age, s.as_of),
        measurements=tuple(sorted(measurements, key=lambda m: m.time)),
        diagnoses=tuple(sorted(diagnoses, key=lambda d: d.onset)),
        medications=tuple(medications),
    )


def record_features(record: PatientRecord, as_of: date) -> dict[str, Any]:
    """The features row of one record at ``as_of``, from the library's feature builder."""
    return build_features(tables_from_records([record]), as_of).iloc[0].to_dict()


_ROWS: dict[str, tuple[tuple[str, Any], ...]] = {}  # repr(scenario) -> its row: a scenario is built once a session


def _build_all_scenarios() -> None:
    """All of SCENARIOS as one panel, each at its own as_of: one call of the vectorised builder (about 0.2 s)
    instead of one per scenario."""
    records = {s.name: scenario_record(s) for s in SCENARIOS.values()}
    tables = tables_from_records(records.values())
    as_of = pd.Series({r.patient_id: pd.Timestamp(SCENARIOS[name].as_of) for name, r in records.items()})
    rows = build_features(tables, as_of)
    for name, r in records.items():
        _ROWS[repr(SCENARIOS[name])] = tuple(rows.loc[r.patient_id].to_dict().items())


def scenario_features(s: Scenario) -> dict[str, Any]:
    """The features row of this scenario's record at ``s.as_of`` (a fresh dict on every call)."""
    if not _ROWS:
        _build_all_scenarios()
    key = repr(s)  # a Scenario holds dicts, so it is not hashable; its repr names every field
    if key not in _ROWS:
        _ROWS[key] = tuple(record_features(scenario_record(s), s.as_of).items())
    return dict(_ROWS[key])


def make_features(as_of: date = AS_OF, **columns: Any) -> dict[str, Any]:
    """One features row: nothing recorded (measurements NaN, flags 0), a never smoker, then ``columns``."""
    ts = pd.Timestamp(as_of)
    nobody = Scenario(name="nothing_recorded", story="A 55-year-old man with only a never-smoker status.", age=55,
                      as_of=as_of)
    row = scenario_features(nobody)
    row["age"] = 55.0  # exactly, not the 55.0007 of a birth date in whole days
    for key, value in columns.items():
        row[key] = value
        if key in NUMERIC_CONCEPTS and f"{key}_date" not in columns and not _missing(value):
            row[f"{key}_date"] = ts - pd.Timedelta(days=UNDATED_DAYS_AGO)
            row[f"{key}_days"] = float(UNDATED_DAYS_AGO)
    return row


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def scores_for(s: Scenario) -> dict[str, Score]:
    return {name: Score(risk) for name, risk in s.scores.items()}


def models_for(s: Scenario) -> dict[str, Score]:
    return {name: Score(risk) for name, risk in s.models.items()}


LIPIDS_55 = (Obs(concept="total_chol", value=6.2), Obs(concept="hdl", value=1.1))

# scenarios with a variant below: the variant changes only what its story says
T2D_ASCVD = Scenario(
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
)
# the same woman is read with both guideline sets
GRADE1_WOMAN = Scenario(
    name="grade1_hypertension_low_risk",
    story="45-year-old woman, BP 145/88, SCORE2 1 %: lifestyle first under ESC 2021.",
    age=45,
    sex_male=0,
    observations=(*bp(145, 88), *LIPIDS_55),
    scores={"score2": 0.01},
    expect_category="low_moderate",
    expect_steps=("bp_lifestyle_first_esc2021",),
    expect_done=("risk_estimate_score2",),
    expect_absent=("bp_drug_start_esc2021", "bp_drug_start_esc2024", "statin_start"),
)

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
                *bp(150, 92),
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
                *bp(124, 76),
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
        T2D_ASCVD,
        replace(
            T2D_ASCVD,
            name="t2d_with_ascvd_on_sglt2i_and_glp1ra",
            story="Same patient already on an SGLT2 inhibitor and a GLP-1 RA: neither is offered again.",
            medications=("metformin", "sglt2_inhibitor", "glp1_receptor_agonist", "statin", "antiplatelet"),
            observations=(Obs(concept="hba1c", value=50), *T2D_ASCVD.observations[1:]),
            expect_steps=(),
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
                Obs(concept="potassium", value=4.6),
                *bp(128, 74),
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
            expect_category="moderate",  # ESC/EAS 2019 Table 4 (issue 12), not "unknown"
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
                *bp(146, 88),
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
            expect_steps=("nephrology_referral", "kidney_monitoring", "statin_kidney_dose", "sglt2i_ckd"),
            expect_absent=(
                "statin_start",
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
        GRADE1_WOMAN,
        replace(
            GRADE1_WOMAN,
            name="grade1_hypertension_low_risk_2025",
            story="Same woman read with the 2025 set: ESC 2024 treats confirmed BP >=140/90 at any risk.",
            guideline_set="esc_eas2025",
            expect_category="low",
            expect_steps=("bp_drug_start_esc2024",),
            expect_done=(),
            expect_absent=("bp_lifestyle_first_esc2021", "bp_drug_start_esc2021", "bp_elevated_esc2024"),
        ),
        Scenario(
            name="treated_hypertension_above_target",
            story="60-year-old man on an ACE inhibitor and a CCB, BP 142/84: above the 120-130 target.",
            age=60,
            medications=("ace_inhibitor", "calcium_channel_blocker"),
            observations=(*bp(142, 84), *LIPIDS_55),
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
            name="older_primary_prevention_high_risk_2025",
            story="78-year-old woman, SCORE2-OP 24 %, LDL-C 3.5, no CVD: ESC/EAS 2019 (>75) statin may be considered.",
            age=78,
            sex_male=0,
            observations=(Obs(concept="ldl", value=3.5), *LIPIDS_55),
            scores={"score2": 0.24},
            guideline_set="esc_eas2025",
            expect_category="very_high",
            expect_steps=("statin_start_older_primary_eas",),
            expect_done=("risk_estimate_score2_op",),
            expect_absent=("statin_start", "statin_start_older_primary", "statin_intensify", "ezetimibe_add"),
        ),
        Scenario(
            name="elevated_bp_high_risk_2025",
            story="62-year-old man, BP 134/84, SCORE2 12 %: ESC 2024 elevated BP with risk >=10 %.",
            age=62,
            observations=(*bp(134, 84), *LIPIDS_55),
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
            observations=(*bp(132, 78), *LIPIDS_55),
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
                *bp(122, 76),
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
            expect_steps=("statin_start", "familial_hypercholesterolaemia"),
        ),
        # ---- drug safety and missing actions (issue 12)
        Scenario(
            name="t2d_metformin_egfr_38",
            story="70-year-old man, type 2 diabetes on metformin and an ARB, eGFR 38, UACR 15, potassium 5.3.",
            age=70,
            diagnoses={"diabetes_type2": 15},
            medications=("metformin", "arb"),
            observations=(
                Obs(concept="egfr", value=38),
                Obs(concept="uacr", value=15),
                Obs(concept="potassium", value=5.3),
                Obs(concept="hba1c", value=50),
            ),
            expect_steps=("metformin_kidney_dose", "finerenone_t2d_ckd", "sglt2i_t2d"),
            expect_absent=("potassium_high_on_mra",),
        ),
        Scenario(
            name="t2d_on_dialysis",
            story="66-year-old woman, type 2 diabetes on haemodialysis, still on metformin, no statin, LDL 3.4.",
            age=66,
            sex_male=0,
            diagnoses={"diabetes_type2": 20, "esrd": 2},
            medications=("metformin",),
            observations=(Obs(concept="egfr", value=8), Obs(concept="ldl", value=3.4)),
            expect_steps=("metformin_kidney_dose", "statin_kidney_dose"),
            expect_absent=("sglt2i_t2d", "finerenone_t2d_ckd", "statin_start", "statin_start_older_primary",
                           "nephrology_referral"),
        ),
        Scenario(
            name="t2d_ckd_on_mra_potassium_high",
            story="61-year-old man, type 2 diabetes with CKD on ramipril and finerenone, potassium 5.8.",
            age=61,
            diagnoses={"diabetes_type2": 9},
            medications=("ace_inhibitor", "mineralocorticoid_antagonist", "sglt2_inhibitor"),
            observations=(
                Obs(concept="egfr", value=41),
                Obs(concept="uacr", value=45),
                Obs(concept="potassium", value=5.8),
            ),
            expect_steps=("potassium_high_on_mra",),
            expect_done=("finerenone_t2d_ckd", "sglt2i_t2d"),
        ),
        Scenario(
            name="ckd_albuminuria_without_diabetes",
            story="58-year-old man, IgA nephropathy: eGFR 52, UACR 60 mg/mmol, on an ACE inhibitor, no diabetes.",
            age=58,
            medications=("ace_inhibitor",),
            observations=(Obs(concept="egfr", value=52), Obs(concept="uacr", value=60)),
            expect_steps=("sglt2i_ckd",),
            expect_absent=("sglt2i_t2d", "finerenone_t2d_ckd"),
        ),
        Scenario(
            name="acute_egfr_fall_after_normal_values",
            story="61-year-old man, eGFR 78 and 74 over the past year, then 41 ten days ago (started ibuprofen): "
            "not CKD until it lasts 3 months; no CKD stage, no SGLT2 inhibitor for CKD, no CKD monitoring.",
            age=61,
            observations=(*series("egfr", (400, 78), (200, 74), (10, 41)), *bp(128, 78)),
            expect_steps=("egfr_acute_fall",),
            expect_absent=("sglt2i_ckd", "kidney_monitoring", "statin_kidney_dose"),
        ),
        Scenario(
            name="kidney_transplant_recipient",
            story="52-year-old woman with a kidney transplant, eGFR 42, UACR 25: no SGLT2 inhibitor step.",
            age=52,
            sex_male=0,
            diagnoses={"kidney_transplant": 6},
            observations=(Obs(concept="egfr", value=42), Obs(concept="uacr", value=25)),
            expect_absent=("sglt2i_ckd", "sglt2i_hf", "sglt2i_t2d", "nephrology_referral"),
        ),
        Scenario(
            name="heart_failure_without_diabetes",
            story="64-year-old man with heart failure, no diabetes or CKD: SGLT2 inhibitor; SCORE2 does not apply.",
            age=64,
            diagnoses={"heart_failure": 2},
            observations=(*bp(124, 76), *LIPIDS_55, Obs(concept="egfr", value=72)),
            scores={"score2": None},
            expect_steps=("sglt2i_hf",),
            expect_absent=("sglt2i_ckd",),
        ),
        Scenario(
            name="familial_hypercholesterolaemia_suspected",
            story="38-year-old woman, LDL-C 5.6 mmol/L untreated: think of familial hypercholesterolaemia.",
            age=38,
            sex_male=0,
            observations=(
                Obs(concept="ldl", value=5.6),
                Obs(concept="total_chol", value=7.6),
                Obs(concept="hdl", value=1.5),
            ),
            expect_steps=("familial_hypercholesterolaemia",),
        ),
    ]
}

# step id -> the medication flags that mean the patient already receives it
TREATMENT_FLAGS = {
    "statin_start": ("on_statin",),
    "statin_start_older_primary": ("on_statin",),
    "statin_start_older_primary_eas": ("on_statin",),
    "ezetimibe_add": ("rx_ezetimibe",),
    "pcsk9_add": ("rx_pcsk9_inhibitor",),
    "sglt2i_t2d": ("rx_sglt2_inhibitor",),
    "glp1ra_t2d_ascvd": ("rx_glp1_receptor_agonist",),
    "sglt2i_or_glp1ra_high_risk": ("rx_sglt2_inhibitor", "rx_glp1_receptor_agonist"),
    "finerenone_t2d_ckd": ("rx_mineralocorticoid_antagonist",),
    "sglt2i_ckd": ("rx_sglt2_inhibitor",),
    "sglt2i_hf": ("rx_sglt2_inhibitor",),
    "statin_kidney_dose": ("on_statin",),
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
    "statin_start_older_primary_eas": (
        "older_primary_prevention_high_risk_2025",
        "ESC/EAS 2019 dyslipidaemias (2025 focused update)",  # read in the ESC/EAS 2025 set
        2019,
        "IIb",
        "B",
        "Consider starting a statin for primary prevention (age ≥75, very high cardiovascular risk",
        "débuter à faible dose et adapter selon la tolérance",
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
        "ESC/EAS 2019 dyslipidaemias (2025 focused update)",  # read in the ESC/EAS 2025 set
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
        "Add finerenone to the ACE inhibitor or ARB at its highest tolerated dose (type 2 diabetes with CKD: "
        "eGFR 48 mL/min/1.73 m², UACR 12.0 mg/mmol; potassium 4.6 mmol/L ≤5.0)",
        "Ajouter la finérénone à l'IEC ou l'ARA2 à la dose maximale tolérée (diabète de type 2 avec "
        "maladie rénale chronique\u00a0: DFGe 48 mL/min/1,73 m², RAC 12,0 mg/mmol\u202f; kaliémie 4,6 mmol/L ≤ 5,0)",
    ),
    "potassium_high_on_mra": (
        "t2d_ckd_on_mra_potassium_high",
        "Finerenone (Kerendia) EU SmPC",
        2022,
        "SmPC",
        "not graded",
        "Potassium 5.8 mmol/L on a mineralocorticoid receptor antagonist (above 5.5): withhold finerenone",
        "Kaliémie 5,8 mmol/L sous antagoniste des récepteurs minéralocorticoïdes (au-dessus de 5,5)\u00a0: "
        "suspendre la finérénone",
    ),
    "metformin_kidney_dose": (
        "t2d_metformin_egfr_38",
        "Metformin EU SmPC",
        2016,
        "SmPC",
        "not graded",
        "Metformin with eGFR 38 mL/min/1.73 m² (30-44): at most 1000 mg a day, do not start it anew",
        "Metformine avec un DFGe à 38 mL/min/1,73 m² (30-44)\u00a0: au maximum 1000 mg par jour, "
        "ne pas l'instaurer",
    ),
    "egfr_acute_fall": (
        "acute_egfr_fall_after_normal_values",
        "KDIGO 2024 CKD",
        2024,
        "PP",
        "not graded",
        "eGFR 41 mL/min/1.73 m² on 20 Jun 2025, but up to 74 since 12 Dec 2024: a fall that has not lasted 3 months "
        "is not chronic kidney disease (KDIGO).",
        "DFGe 41 mL/min/1,73 m² le 20/06/2025, mais jusqu'à 74 depuis le 12/12/2024\u00a0: une baisse de moins de "
        "3 mois n'est pas une maladie rénale chronique (KDIGO).",
    ),
    "sglt2i_ckd": (
        "ckd_albuminuria_without_diabetes",
        "KDIGO 2024 CKD",
        2024,
        "1",
        "A",
        "Start an SGLT2 inhibitor (dapagliflozin or empagliflozin) for chronic kidney disease without diabetes: "
        "eGFR 52 mL/min/1.73 m² (≥20) with UACR 60.0 mg/mmol (≥20).",
        "Débuter un inhibiteur de SGLT2 (dapagliflozine ou empagliflozine) pour une maladie rénale chronique "
        "sans diabète\u00a0: DFGe 52 mL/min/1,73 m² (≥ 20) avec RAC 60,0 mg/mmol (≥ 20).",
    ),
    "sglt2i_hf": (
        "heart_failure_without_diabetes",
        "ESC 2021 heart failure and 2023 focused update",
        2023,
        "I",
        "A",
        "Heart failure: start an SGLT2 inhibitor (dapagliflozin or empagliflozin), whatever the ejection fraction",
        "Insuffisance cardiaque\u00a0: débuter un inhibiteur de SGLT2 (dapagliflozine ou empagliflozine), quelle "
        "que soit la fraction d'éjection",
    ),
    "statin_kidney_dose": (
        "ckd_g4_a3_referral",
        "KDIGO 2013 lipids in CKD",
        2013,
        "1",
        "A",
        "Start a statin at a moderate dose studied in CKD (atorvastatin 20 mg, rosuvastatin 10 mg or "
        "simvastatin/ezetimibe 20/10 mg): eGFR 25 mL/min/1.73 m² is below 30",
        "Débuter une statine à dose modérée étudiée dans la maladie rénale (atorvastatine 20 mg, rosuvastatine "
        "10 mg ou simvastatine/ézétimibe 20/10 mg)\u00a0: DFGe 25 mL/min/1,73 m² inférieur à 30",
    ),
    "familial_hypercholesterolaemia": (
        "familial_hypercholesterolaemia_suspected",
        "ESC/EAS 2019 dyslipidaemias",
        2019,
        "I",
        "C",
        "LDL-C 5.60 mmol/L (≥4.9): look for familial hypercholesterolaemia",
        "LDL-c 5,60 mmol/L (2,17 g/L\u202f; ≥ 4,9)\u00a0: rechercher une hypercholestérolémie familiale",
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
