"""The codes the generator writes, per record style, all taken from ../shared/reference/value_sets.md.

Two styles: "fr" (French practice software: lipids and glucose in g/L, creatinine in umol/L, HbA1c in
mmol/mol, UACR in mg/mmol, conditions in CIM-10 with French labels, drugs in ATC with French names) and
"us" (Synthea-like: mg/dL, %, mg/g, SNOMED CT, RxNorm). Both use LOINC for observations and SNOMED CT for
procedures. tests/test_synth.py checks every code here against value_sets.json.
"""

from __future__ import annotations

from dataclasses import dataclass

from risk.synth import parameters as P
from risk.terminology.units import HBA1C_INTERCEPT, HBA1C_SLOPE, UACR_MG_G_PER_MG_MMOL

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True, slots=True)
class Code:
    system: str
    code: str
    display: str


# --- observations -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ObsCode:
    """One lab or vital sign in one style: code, UCUM unit, factor from the internal unit, decimals."""

    code: Code
    unit: str
    factor: float
    decimals: int
    category: str  # vital-signs | laboratory


def _lab(
    code: str, display: str, unit: str, factor: float, decimals: int, category: str = "laboratory"
) -> ObsCode:
    return ObsCode(Code(LOINC, code, display), unit, factor, decimals, category)


CHOL_MG_DL = 38.67  # mmol/L -> mg/dL (CR §7)
CHOL_G_L = 1.0 / 2.586
TG_MG_DL = 88.57
TG_G_L = 1.0 / 1.129
GLUCOSE_MG_DL = 18.016
GLUCOSE_G_L = 1.0 / 5.551

# Internal units: lipids and glucose mmol/L, creatinine umol/L, HbA1c %, UACR mg/mmol.
OBSERVATIONS: dict[str, dict[str, ObsCode]] = {
    "total_chol": {
        "us": _lab("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", CHOL_MG_DL, 0),
        "fr": _lab("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "g/L", CHOL_G_L, 2),
    },
    "hdl": {
        "us": _lab("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", CHOL_MG_DL, 0),
        "fr": _lab("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "g/L", CHOL_G_L, 2),
    },
    "ldl": {
        "us": _lab(
            "18262-6",
            "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
            "mg/dL",
            CHOL_MG_DL,
            0,
        ),
        "fr": _lab(
            "13457-7",
            "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation",
            "g/L",
            CHOL_G_L,
            2,
        ),
    },
    "triglycerides": {
        "us": _lab("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL", TG_MG_DL, 0),
        "fr": _lab("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "g/L", TG_G_L, 2),
    },
    "glucose": {
        "us": _lab("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", GLUCOSE_MG_DL, 0),
        "fr": _lab("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "g/L", GLUCOSE_G_L, 2),
    },
    "hba1c": {
        "us": _lab("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 1.0, 1),
        "fr": _lab(
            "59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol", "mmol/mol", 1.0, 0
        ),
    },
    "creatinine": {
        "us": _lab(
            "2160-0",
            "Creatinine [Mass/volume] in Serum or Plasma",
            "mg/dL",
            1.0 / P.UMOL_PER_MG_CREATININE,
            2,
        ),
        "fr": _lab("14682-9", "Creatinine [Moles/volume] in Serum or Plasma", "umol/L", 1.0, 0),
    },
    "egfr": {
        style: _lab(
            "98979-8",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, "
            "Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
            "mL/min/{1.73_m2}",
            1.0,
            0,
        )
        for style in ("us", "fr")
    },
    "uacr": {
        "us": _lab("9318-7", "Albumin/Creatinine [Mass Ratio] in Urine", "mg/g", UACR_MG_G_PER_MG_MMOL, 1),
        "fr": _lab("14585-4", "Albumin/Creatinine [Molar ratio] in Urine", "mg/mmol", 1.0, 1),
    },
    "bmi": {
        s: _lab("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", 1.0, 1, "vital-signs")
        for s in ("us", "fr")
    },
    "weight": {s: _lab("29463-7", "Body weight", "kg", 1.0, 1, "vital-signs") for s in ("us", "fr")},
    "height": {s: _lab("8302-2", "Body height", "cm", 1.0, 0, "vital-signs") for s in ("us", "fr")},
}
# HbA1c mmol/mol from % (CR §7): (% - 2.152) / 0.09148
A1C_PCT_TO_MMOL_MOL = (HBA1C_INTERCEPT, HBA1C_SLOPE)

BP_PANEL = Code(LOINC, "85354-9", "Blood pressure panel with all children optional")
SBP = Code(LOINC, "8480-6", "Systolic blood pressure")
DBP = Code(LOINC, "8462-4", "Diastolic blood pressure")
SMOKING_STATUS = Code(LOINC, "72166-2", "Tobacco smoking status")
SMOKING_ANSWERS = {  # index = internal status 0 never, 1 former, 2 current (value_sets §3.2)
    0: Code(SNOMED, "266919005", "Never smoked tobacco (finding)"),
    1: Code(SNOMED, "8517006", "Ex-smoker (finding)"),
    2: Code(SNOMED, "449868002", "Smokes tobacco daily (finding)"),
}
CAUSE_OF_DEATH = Code(LOINC, "69453-9", "Cause of death [US Standard Certificate of Death]")

# --- conditions (value_sets §2) -----------------------------------------------------------------------
CONDITIONS: dict[str, dict[str, Code]] = {
    "hypertension": {
        "us": Code(SNOMED, "59621000", "Essential hypertension (disorder)"),
        "fr": Code(ICD10, "I10", "Hypertension essentielle (primitive)"),
    },
    "diabetes_type2": {
        "us": Code(SNOMED, "44054006", "Diabetes mellitus type 2 (disorder)"),
        "fr": Code(ICD10, "E11.9", "Diabète sucré de type 2, sans complication"),
    },
    "hyperlipidaemia": {
        "us": Code(SNOMED, "55822004", "Hyperlipidemia (disorder)"),
        "fr": Code(ICD10, "E78.5", "Hyperlipidémie, sans précision"),
    },
    "ckd_stage_3": {
        "us": Code(SNOMED, "433144002", "Chronic kidney disease stage 3 (disorder)"),
        "fr": Code(ICD10, "N18.3", "Maladie rénale chronique, stade 3"),
    },
    "ckd_stage_3b": {
        "us": Code(SNOMED, "700379002", "Chronic kidney disease stage 3B (disorder)"),
        "fr": Code(ICD10, "N18.3", "Maladie rénale chronique, stade 3"),
    },
    "ckd_stage_4": {
        "us": Code(SNOMED, "431857002", "Chronic kidney disease stage 4 (disorder)"),
        "fr": Code(ICD10, "N18.4", "Maladie rénale chronique, stade 4"),
    },
    "ckd_stage_5": {
        "us": Code(SNOMED, "433146000", "Chronic kidney disease stage 5 (disorder)"),
        "fr": Code(ICD10, "N18.5", "Maladie rénale chronique, stade 5"),
    },
    "esrd": {
        "us": Code(SNOMED, "46177005", "End-stage renal disease (disorder)"),
        "fr": Code(ICD10, "N18.5", "Maladie rénale chronique, stade 5"),
    },
    "atrial_fibrillation": {
        "us": Code(SNOMED, "49436004", "Atrial fibrillation (disorder)"),
        "fr": Code(ICD10, "I48.9", "Fibrillation et flutter auriculaires, sans précision"),
    },
    "heart_failure": {
        "us": Code(SNOMED, "84114007", "Heart failure (disorder)"),
        "fr": Code(ICD10, "I50.9", "Insuffisance cardiaque, sans précision"),
    },
    "myocardial_infarction": {
        "us": Code(SNOMED, "22298006", "Myocardial infarction (disorder)"),
        "fr": Code(ICD10, "I21.9", "Infarctus aigu du myocarde, sans précision"),
    },
    "stroke_ischaemic": {
        "us": Code(SNOMED, "422504002", "Ischemic stroke (disorder)"),
        "fr": Code(ICD10, "I63.9", "Infarctus cérébral, sans précision"),
    },
    "stroke": {
        "us": Code(SNOMED, "230690007", "Cerebrovascular accident (disorder)"),
        "fr": Code(
            ICD10,
            "I64",
            "Accident vasculaire cérébral, non précisé comme étant hémorragique ou par infarctus",
        ),
    },
    "stroke_haemorrhagic": {
        "us": Code(SNOMED, "274100004", "Cerebral hemorrhage (disorder)"),
        "fr": Code(ICD10, "I61.9", "Hémorragie intracérébrale, sans précision"),
    },
    "diabetic_retinopathy": {
        "us": Code(SNOMED, "4855003", "Retinopathy due to diabetes mellitus (disorder)"),
        "fr": Code(ICD10, "E11.3", "Diabète sucré de type 2, avec complications oculaires"),
    },
    "diabetic_neuropathy": {
        "us": Code(SNOMED, "230572002", "Neuropathy due to diabetes mellitus (disorder)"),
        "fr": Code(ICD10, "E11.4", "Diabète sucré de type 2, avec complications neurologiques"),
    },
    "diabetic_foot_ulcer": {
        "us": Code(SNOMED, "371087003", "Ulcer of foot due to diabetes mellitus (disorder)"),
        "fr": Code(ICD10, "E11.5", "Diabète sucré de type 2, avec complications circulatoires périphériques"),
    },
    # Second codes French coders add (CIM-10 pairs): ulcer of the lower limb with E11.5, dialysis with N18.5.
    "lower_limb_ulcer": {"fr": Code(ICD10, "L97", "Ulcère du membre inférieur, non classé ailleurs")},
    "dialysis_dependence": {"fr": Code(ICD10, "Z99.2", "Dépendance envers une dialyse rénale")},
    "amputation": {
        "us": Code(SNOMED, "429280009", "History of amputation of foot (situation)"),
        "fr": Code(ICD10, "Z89.4", "Absence acquise du pied et de la cheville"),
    },
    # QRISK3 predictors: codes of the project's own value set risk/terminology/data/qrisk3.json (with sources).
    "rheumatoid_arthritis": {
        "us": Code(SNOMED, "69896004", "Rheumatoid arthritis (disorder)"),
        "fr": Code(ICD10, "M06.9", "Polyarthrite rhumatoïde, sans précision"),
    },
    "sle": {
        "us": Code(SNOMED, "55464009", "Systemic lupus erythematosus (disorder)"),
        "fr": Code(ICD10, "M32.9", "Lupus érythémateux disséminé, sans précision"),
    },
    "migraine": {
        "us": Code(SNOMED, "37796009", "Migraine (disorder)"),
        "fr": Code(ICD10, "G43.9", "Migraine, sans précision"),
    },
    "severe_mental_illness": {
        "us": Code(SNOMED, "58214004", "Schizophrenia (disorder)"),
        "fr": Code(ICD10, "F20.9", "Schizophrénie, sans précision"),
    },
    "erectile_dysfunction": {
        "us": Code(SNOMED, "397803000", "Impotence (disorder)"),
        "fr": Code(ICD10, "N48.4", "Impuissance d'origine organique"),
    },
    "family_history_chd": {
        "us": Code(SNOMED, "266897007", "Family history: Myocardial infarction (situation)"),
        "fr": Code(
            ICD10,
            "Z82.4",
            "Antécédents familiaux de cardiopathie ischémique et d'autres maladies de l'appareil circulatoire",
        ),
    },
}

PROCEDURES: dict[str, Code] = {
    "dialysis": Code(SNOMED, "265764009", "Renal dialysis (procedure)"),
    "amputation": Code(SNOMED, "180030006", "Amputation of the foot (procedure)"),
    "pci": Code(SNOMED, "415070008", "Percutaneous coronary intervention (procedure)"),
    "eye_exam": Code(SNOMED, "722161008", "Diabetic retinal eye exam (procedure)"),
    "foot_exam": Code(SNOMED, "401191002", "Diabetic foot examination (regime/therapy)"),
}

ENCOUNTER_AMB = Code(SNOMED, "185349003", "Encounter for check up (procedure)")
ENCOUNTER_IMP = Code(SNOMED, "32485007", "Hospital admission (procedure)")

# --- causes of death (ICD-10 for every style; value_sets §2, WHO ICD-10) -------------------------------
CAUSES: list[tuple[str, str, bool]] = [  # (code, display, cardiovascular)
    ("I21.9", "Acute myocardial infarction, unspecified", True),
    ("I63.9", "Cerebral infarction, unspecified", True),
    ("I61.9", "Intracerebral haemorrhage, unspecified", True),
    ("I64", "Stroke, not specified as haemorrhage or infarction", True),
    ("I46.1", "Sudden cardiac death, so described", True),
    ("I25.9", "Chronic ischaemic heart disease, unspecified", True),
    ("I71.9", "Aortic aneurysm of unspecified site, without mention of rupture", True),
    ("I50.9", "Heart failure, unspecified", True),
    ("N18.5", "Chronic kidney disease, stage 5", False),
] + [(code, display, False) for code, display, _, _ in P.NONCV_CAUSES]
CAUSE_MI, CAUSE_STROKE_ISCH, CAUSE_STROKE_HAEM, CAUSE_STROKE_NOS = 0, 1, 2, 3
CAUSE_SUDDEN, CAUSE_CHRONIC_IHD, CAUSE_OTHER_CV, CAUSE_HF, CAUSE_KIDNEY = 4, 5, 6, 7, 8
FIRST_NONCV_CAUSE = 9


# --- drugs (value_sets §1: ATC codes, RxNorm SCDs used by Synthea or RxNorm ingredients) ---------------
@dataclass(frozen=True, slots=True)
class Product:
    fr: Code  # ATC with the French name as display
    us: Code  # RxNorm
    weight: float = 1.0  # relative frequency within the class
    dosage_fr: str = "1 comprimé par jour"
    dosage_us: str = "1 tablet daily"


def _p(
    atc: str,
    fr: str,
    rx: str,
    us: str,
    weight: float = 1.0,
    dose_fr: str = "1 comprimé par jour",
    dose_us: str = "1 tablet daily",
) -> Product:
    return Product(Code(ATC, atc, fr), Code(RXNORM, rx, us), weight, dose_fr, dose_us)


PRODUCTS: dict[str, list[Product]] = {
    "ace_inhibitor": [
        _p("C09AA05", "RAMIPRIL 5 mg, gélule", "198189", "ramipril 5 MG Oral Capsule", 0.5),
        _p("C09AA04", "PÉRINDOPRIL 5 mg, comprimé", "314076", "lisinopril 10 MG Oral Tablet", 0.5),
    ],
    "arb": [
        _p("C09CA04", "IRBÉSARTAN 150 mg, comprimé", "979492", "losartan potassium 50 MG Oral Tablet", 0.4),
        _p("C09CA03", "VALSARTAN 80 mg, comprimé", "979492", "losartan potassium 50 MG Oral Tablet", 0.3),
        _p("C09CA01", "LOSARTAN 50 mg, comprimé", "979492", "losartan potassium 50 MG Oral Tablet", 0.3),
    ],
    "calcium_channel_blocker": [
        _p("C08CA01", "AMLODIPINE 5 mg, gélule", "197361", "amlodipine 5 MG Oral Tablet", 0.7),
        _p("C08CA13", "LERCANIDIPINE 10 mg, comprimé", "197361", "amlodipine 5 MG Oral Tablet", 0.3),
    ],
    "thiazide_diuretic": [
        _p(
            "C03BA11",
            "INDAPAMIDE 1,5 mg LP, comprimé",
            "310798",
            "hydrochlorothiazide 25 MG Oral Tablet",
            0.6,
        ),
        _p(
            "C03AA03",
            "HYDROCHLOROTHIAZIDE 25 mg, comprimé",
            "310798",
            "hydrochlorothiazide 25 MG Oral Tablet",
            0.4,
        ),
    ],
    "beta_blocker": [
        _p("C07AB07", "BISOPROLOL 5 mg, comprimé", "854905", "bisoprolol fumarate 5 MG Oral Tablet", 0.5),
        _p(
            "C07AB12",
            "NÉBIVOLOL 5 mg, comprimé",
            "866436",
            "24 HR metoprolol succinate 50 MG Extended Release Oral Tablet",
            0.3,
        ),
        _p("C07AB03", "ATÉNOLOL 50 mg, comprimé", "197381", "atenolol 50 MG Oral Tablet", 0.2),
    ],
    "loop_diuretic": [_p("C03CA01", "FUROSÉMIDE 40 mg, comprimé", "313988", "furosemide 40 MG Oral Tablet")],
    "mineralocorticoid_antagonist": [
        _p("C03DA01", "SPIRONOLACTONE 25 mg, comprimé", "313096", "spironolactone 25 MG Oral Tablet")
    ],
    "statin": [
        _p("C10AA05", "ATORVASTATINE 20 mg, comprimé", "617310", "atorvastatin 20 MG Oral Tablet", 0.4),
        _p(
            "C10AA07", "ROSUVASTATINE 5 mg, comprimé", "859747", "rosuvastatin calcium 10 MG Oral Tablet", 0.3
        ),
        _p("C10AA01", "SIMVASTATINE 20 mg, comprimé", "312961", "simvastatin 20 MG Oral Tablet", 0.2),
        _p("C10AA03", "PRAVASTATINE 40 mg, comprimé", "904475", "pravastatin sodium 40 MG Oral Tablet", 0.1),
    ],
    "statin_high": [  # same index as "statin": the high-intensity version of the patient's statin
        _p("C10AA05", "ATORVASTATINE 80 mg, comprimé", "259255", "atorvastatin 80 MG Oral Tablet"),
        _p("C10AA07", "ROSUVASTATINE 20 mg, comprimé", "859751", "rosuvastatin calcium 20 MG Oral Tablet"),
        _p("C10AA05", "ATORVASTATINE 40 mg, comprimé", "617311", "atorvastatin 40 MG Oral Tablet"),
        _p("C10AA05", "ATORVASTATINE 40 mg, comprimé", "617311", "atorvastatin 40 MG Oral Tablet"),
    ],
    "ezetimibe": [_p("C10AX09", "ÉZÉTIMIBE 10 mg, comprimé", "341248", "ezetimibe")],
    "metformin": [
        _p(
            "A10BA02",
            "METFORMINE 1000 mg, comprimé",
            "860975",
            "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet",
            dose_fr="1 comprimé matin et soir",
            dose_us="1 tablet twice daily",
        )
    ],
    "sulfonylurea": [
        _p("A10BB09", "GLICLAZIDE 60 mg LM, comprimé", "25789", "glimepiride", 0.7),
        _p("A10BB12", "GLIMÉPIRIDE 2 mg, comprimé", "25789", "glimepiride", 0.3),
    ],
    "dpp4_inhibitor": [
        _p("A10BH01", "SITAGLIPTINE 100 mg, comprimé", "593411", "sitagliptin", 0.7),
        _p("A10BH02", "VILDAGLIPTINE 50 mg, comprimé", "593411", "sitagliptin", 0.3),
    ],
    "sglt2_inhibitor": [
        _p("A10BK01", "DAPAGLIFLOZINE 10 mg, comprimé", "1488564", "dapagliflozin", 0.5),
        _p("A10BK03", "EMPAGLIFLOZINE 10 mg, comprimé", "1545653", "empagliflozin", 0.5),
    ],
    "glp1_receptor_agonist": [
        _p(
            "A10BJ02",
            "LIRAGLUTIDE 6 mg/ml, stylo",
            "897122",
            "3 ML liraglutide 6 MG/ML Pen Injector",
            0.3,
            "1 injection par jour",
            "1 injection daily",
        ),
        _p(
            "A10BJ05",
            "DULAGLUTIDE 1,5 mg, stylo",
            "1551291",
            "dulaglutide",
            0.3,
            "1 injection par semaine",
            "1 injection weekly",
        ),
        _p(
            "A10BJ06",
            "SÉMAGLUTIDE 1 mg, stylo",
            "1991302",
            "semaglutide",
            0.4,
            "1 injection par semaine",
            "1 injection weekly",
        ),
    ],
    "insulin": [
        _p(
            "A10AE04",
            "INSULINE GLARGINE 100 U/ml, stylo",
            "274783",
            "insulin glargine",
            1.0,
            "injection sous-cutanée le soir selon protocole",
            "subcutaneous injection at bedtime",
        )
    ],
    "antiplatelet": [
        _p("B01AC06", "ACIDE ACÉTYLSALICYLIQUE 75 mg, sachet", "243670", "aspirin 81 MG Oral Tablet", 0.8),
        _p("B01AC04", "CLOPIDOGREL 75 mg, comprimé", "309362", "clopidogrel 75 MG Oral Tablet", 0.2),
    ],
    "anticoagulant_doac": [
        _p(
            "B01AF02",
            "APIXABAN 5 mg, comprimé",
            "1364430",
            "apixaban",
            0.6,
            "1 comprimé matin et soir",
            "1 tablet twice daily",
        ),
        _p("B01AF01", "RIVAROXABAN 20 mg, comprimé", "1114195", "rivaroxaban", 0.4),
    ],
    "anticoagulant_vka": [
        _p(
            "B01AA12",
            "FLUINDIONE 20 mg, comprimé",
            "855332",
            "warfarin sodium 5 MG Oral Tablet",
            0.7,
            "selon INR",
            "as directed by INR",
        ),
        _p(
            "B01AA03",
            "WARFARINE 5 mg, comprimé",
            "855332",
            "warfarin sodium 5 MG Oral Tablet",
            0.3,
            "selon INR",
            "as directed by INR",
        ),
    ],
    # QRISK3 treatments (risk/terminology/data/qrisk3.json): long-term oral glucocorticoids, atypical
    # antipsychotics; RxNorm ingredient concepts for the US style.
    "oral_corticosteroid": [
        _p("H02AB06", "PREDNISOLONE 5 mg, comprimé orodispersible", "8638", "prednisolone", 0.6),
        _p("H02AB07", "PREDNISONE 5 mg, comprimé", "8640", "prednisone", 0.4),
    ],
    "atypical_antipsychotic": [
        _p("N05AH03", "OLANZAPINE 10 mg, comprimé", "61381", "olanzapine", 0.3),
        _p("N05AX12", "ARIPIPRAZOLE 10 mg, comprimé", "89013", "aripiprazole", 0.3),
        _p("N05AX08", "RISPÉRIDONE 2 mg, comprimé", "35636", "risperidone", 0.25),
        _p("N05AH04", "QUÉTIAPINE 300 mg LP, comprimé", "51272", "quetiapine", 0.15),
    ],
}
SEMAGLUTIDE_INDEX = 2


def choose_product(drug_class: str, u: float) -> int:
    """Index of the product for a uniform draw `u` (weights of the class)."""
    products = PRODUCTS[drug_class]
    total = sum(p.weight for p in products)
    acc = 0.0
    for i, p in enumerate(products):
        acc += p.weight / total
        if u < acc:
            return i
    return len(products) - 1
