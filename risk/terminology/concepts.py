"""The clinical concepts the library knows, with their canonical unit and plausibility range.

One table, read by units (conversion target), record (plausibility), features (column names) and views
(labels). Canonical units follow DESIGN.md; ranges are the limits of what a human body can show in a living
adult outpatient (wide on purpose: they catch unit mix-ups and typing errors, not abnormal results).
Range sources: clinical_reference.md section 7 (unit traps, e.g. total cholesterol 2.6-10.3 mmol/L typical),
laboratory critical-value tables; a value outside is kept as a data-quality issue, never used.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class Concept:
    name: str
    unit: str  # canonical UCUM unit
    display_unit: str  # how the unit is printed
    low: float  # plausible range, inclusive
    high: float
    label_en: str
    label_fr: str
    numeric: bool = True


MEASUREMENT_CONCEPTS: dict[str, Concept] = {
    c.name: c
    for c in [
        Concept(name="sbp", unit="mm[Hg]", display_unit="mmHg", low=60, high=280,
                label_en="Systolic BP", label_fr="PA systolique"),
        Concept(name="dbp", unit="mm[Hg]", display_unit="mmHg", low=30, high=160,
                label_en="Diastolic BP", label_fr="PA diastolique"),
        Concept(name="total_chol", unit="mmol/L", display_unit="mmol/L", low=1.0, high=20.0,
                label_en="Total cholesterol", label_fr="Cholestérol total"),
        Concept(name="hdl", unit="mmol/L", display_unit="mmol/L", low=0.1, high=5.0,
                label_en="HDL cholesterol", label_fr="HDL-cholestérol"),
        Concept(name="ldl", unit="mmol/L", display_unit="mmol/L", low=0.1, high=15.0,
                label_en="LDL cholesterol", label_fr="LDL-cholestérol"),
        Concept(name="non_hdl", unit="mmol/L", display_unit="mmol/L", low=0.2, high=18.0,
                label_en="Non-HDL cholesterol", label_fr="Cholestérol non-HDL"),
        Concept(name="triglycerides", unit="mmol/L", display_unit="mmol/L", low=0.1, high=60.0,
                label_en="Triglycerides", label_fr="Triglycérides"),
        Concept(name="glucose", unit="mmol/L", display_unit="mmol/L", low=1.0, high=60.0,
                label_en="Glucose", label_fr="Glycémie"),
        Concept(name="hba1c", unit="mmol/mol", display_unit="mmol/mol", low=15.0, high=200.0,
                label_en="HbA1c", label_fr="HbA1c"),
        Concept(name="creatinine", unit="umol/L", display_unit="µmol/L", low=10.0, high=2500.0,
                label_en="Creatinine", label_fr="Créatinine"),
        Concept(name="egfr", unit="mL/min/{1.73_m2}", display_unit="mL/min/1.73 m²", low=2.0, high=200.0,
                label_en="eGFR", label_fr="DFGe"),
        Concept(name="uacr", unit="mg/mmol", display_unit="mg/mmol", low=0.0, high=1000.0,
                label_en="Urine albumin/creatinine", label_fr="Rapport albuminurie/créatininurie"),
        Concept(name="bmi", unit="kg/m2", display_unit="kg/m²", low=10.0, high=90.0,
                label_en="BMI", label_fr="IMC"),
        Concept(name="weight", unit="kg", display_unit="kg", low=20.0, high=400.0,
                label_en="Weight", label_fr="Poids"),
        Concept(name="height", unit="cm", display_unit="cm", low=100.0, high=250.0,
                label_en="Height", label_fr="Taille"),
        Concept(name="heart_rate", unit="/min", display_unit="bpm", low=20.0, high=250.0,
                label_en="Heart rate", label_fr="Fréquence cardiaque"),
        Concept(name="albumin", unit="g/L", display_unit="g/L", low=10.0, high=70.0,
                label_en="Serum albumin", label_fr="Albumine sérique"),
        Concept(name="calcium", unit="mmol/L", display_unit="mmol/L", low=1.0, high=4.5,
                label_en="Calcium", label_fr="Calcémie"),
        Concept(name="phosphate", unit="mmol/L", display_unit="mmol/L", low=0.2, high=5.0,
                label_en="Phosphate", label_fr="Phosphatémie"),
        Concept(name="bicarbonate", unit="mmol/L", display_unit="mmol/L", low=5.0, high=50.0,
                label_en="Bicarbonate", label_fr="Bicarbonates"),
        # Cigarettes smoked a day (QRISK3's smoking category: light < 10, moderate 10-19, heavy >= 20); risk.record
        # reads it from the codes of risk.terminology.qrisk3 (a count, or packs x 20); above 100 a day is a typo.
        Concept(name="cigarettes_per_day", unit="/d", display_unit="/day", low=0.0, high=100.0,
                label_en="Cigarettes per day", label_fr="Cigarettes par jour"),
        # Potassium gates finerenone and MRAs (K+ <= 5.0 mmol/L, EU SmPC Kerendia 4.2/4.4). 1.5-10 mmol/L: beyond
        # these a living outpatient is not plausible (laboratory critical values: < 2.5 and > 6.5 mmol/L);
        # haemolysed samples read high but inside this range, so a high value is shown, never silently used.
        Concept(name="potassium", unit="mmol/L", display_unit="mmol/L", low=1.5, high=10.0,
                label_en="Potassium", label_fr="Kaliémie"),
        # Coded: 0 never, 1 former, 2 current, 3 not current (never or former) (see terminology smoking answers).
        Concept(name="smoking_status", unit="{status}", display_unit="", low=0, high=3,
                label_en="Smoking status", label_fr="Statut tabagique", numeric=False),
    ]
}

SMOKING_LABELS = {0: ("never", "non-fumeur"), 1: ("former", "ancien fumeur"), 2: ("current", "fumeur actuel"),
                  3: ("not current", "non-fumeur actuel")}
# 3: SNOMED 8392000 "Non-smoker": not a current smoker, never or former unknown (what SCORE2, SCORE2-Diabetes and
# PREVENT need is current smoking only; features that tell never from former leave it unknown).
NOT_CURRENT_SMOKER = 3

# Condition / procedure concepts (names follow ../shared/reference/value_sets.json keys).
DIAGNOSIS_CONCEPTS: tuple[str, ...] = (
    "diabetes_any", "diabetes_type1", "diabetes_type2", "prediabetes", "hypertension", "hyperlipidaemia",
    "myocardial_infarction", "myocardial_infarction_history", "coronary_heart_disease",
    "coronary_revascularisation", "stroke", "stroke_ischaemic", "stroke_haemorrhagic", "tia",
    "peripheral_arterial_disease", "heart_failure", "atrial_fibrillation", "ckd", "ckd_stage_1",
    "ckd_stage_2", "ckd_stage_3", "ckd_stage_4", "ckd_stage_5", "esrd", "kidney_transplant",
    "diabetic_nephropathy", "diabetic_retinopathy", "diabetic_neuropathy", "diabetic_foot_ulcer",
    "amputation", "obesity", "smoking_current", "smoking_former", "smoking_ever", "cv_death", "death_other",
)

# Drug classes (names follow value_sets.json keys).
MEDICATION_CONCEPTS: tuple[str, ...] = (
    "statin", "ezetimibe", "pcsk9_inhibitor", "fibrate", "other_lipid_lowering", "ace_inhibitor", "arb",
    "thiazide_diuretic", "loop_diuretic", "calcium_channel_blocker", "beta_blocker",
    "mineralocorticoid_antagonist", "antiplatelet", "anticoagulant_vka", "anticoagulant_doac",
    "anticoagulant_parenteral", "metformin", "sulfonylurea", "dpp4_inhibitor", "sglt2_inhibitor",
    "glp1_receptor_agonist", "insulin", "pioglitazone",
)

ANTIHYPERTENSIVE_CLASSES = frozenset({
    "ace_inhibitor", "arb", "thiazide_diuretic", "calcium_channel_blocker", "beta_blocker",
    "mineralocorticoid_antagonist",
})
LIPID_LOWERING_CLASSES = frozenset({"statin", "ezetimibe", "pcsk9_inhibitor", "fibrate", "other_lipid_lowering"})
GLUCOSE_LOWERING_CLASSES = frozenset({
    "metformin", "sulfonylurea", "dpp4_inhibitor", "sglt2_inhibitor", "glp1_receptor_agonist", "insulin",
    "pioglitazone",
})
# One drug of a group, which one not known: alternatives of one prescription (intent `option`, issue 11) whose
# classes differ but share a group. Counted for the group (`on_glucose_lowering` ...), never for a specific class.
MEDICATION_GROUPS: dict[str, frozenset[str]] = {
    "glucose_lowering": GLUCOSE_LOWERING_CLASSES,
    "antihypertensive": ANTIHYPERTENSIVE_CLASSES,
    "lipid_lowering": LIPID_LOWERING_CLASSES,
}

# Evidence that closes a care gap (Procedure / Observation / DiagnosticReport codes; value_sets.md section 3.3).
# Stored as `Diagnosis` entries with resource_type "Procedure" (or the resource type that carried them).
# Named by the test that was done (issue 12): colorectal_screening is a stool test (FIT), a colonoscopy is not the
# programme's test; cervical screening is a cytology or an HPV test (intervals differ, HAS 2019).
CARE_EVIDENCE_CONCEPTS: tuple[str, ...] = (
    "retinal_exam", "foot_exam", "colorectal_screening", "colonoscopy", "breast_screening", "cervical_cytology",
    "cervical_hpv",
)

# History that takes a person out of a French organised cancer screening programme (INCa/HAS; issue 12): cancer of
# the organ or a precursor under specialist follow-up, or the organ removed. Codes: data/screening_history.json.
SCREENING_HISTORY_CONCEPTS: tuple[str, ...] = (
    "colorectal_cancer", "colorectal_adenoma", "inflammatory_bowel_disease", "total_colectomy",
    "breast_cancer", "bilateral_mastectomy", "cervical_cancer", "total_hysterectomy",
)

# An input older than this is flagged "stale" beside the score that uses it (it is still used, and shown with
# its date). Project choice grounded in the follow-up intervals of epidemiology.md section 5: BP at least
# yearly (ESH 2024 / HAS-SFHTA); lipids once then every 5 years if normal (French College of Cardiology);
# HbA1c, creatinine/eGFR and UACR yearly at least in diabetes/CKD (HAS 2014/2023); weight and smoking status:
# 2 years (no guideline interval found; ask again at least every other visit).
STALE_AFTER_DAYS: dict[str, int] = {
    "sbp": 365, "dbp": 365, "heart_rate": 365,
    "total_chol": 5 * 365, "hdl": 5 * 365, "ldl": 5 * 365, "non_hdl": 5 * 365, "triglycerides": 5 * 365,
    "glucose": 365, "hba1c": 365, "creatinine": 365, "egfr": 365, "uacr": 365,
    "albumin": 365, "calcium": 365, "phosphate": 365, "bicarbonate": 365,
    # Potassium before finerenone / an MRA: a value within the last 3 months (EU SmPC Kerendia 4.4: check
    # serum potassium before starting and 4 weeks after; KDIGO 2024 practice point 3.8.2).
    "potassium": 90,
    "bmi": 2 * 365, "weight": 2 * 365, "height": 10 * 365, "smoking_status": 2 * 365, "cigarettes_per_day": 2 * 365,
}
