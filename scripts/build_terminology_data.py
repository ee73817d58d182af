"""Build risk/terminology/data/*.json from the team's verified value sets.

Run from the repository root (needs the `shared` folder beside it, read only here, never at run time):

    /work/venv/bin/python scripts/build_terminology_data.py

Input: ../shared/reference/value_sets.json (same rows as value_sets.md: codes, sources, marks). This script
copies what the library needs, renames value-set keys to the concept names of risk/concepts.py, and adds a
few rows that the value sets do not carry (serum albumin, calcium, phosphate, bicarbonate, DBP position
variants, smoking answers in LOINC, CKD stages by ICD-10 subcode, French drug names for text matching). Each
added row carries its own source and mark. Decisions that drop or qualify a row are written into the row's
`note`, so the data files explain themselves.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference"
OUT = ROOT / "risk" / "terminology" / "data"

sys.path.insert(0, str(ROOT))
from risk.terminology.concepts import (  # noqa: E402
    CARE_EVIDENCE_CONCEPTS,
    DIAGNOSIS_CONCEPTS,
    MEASUREMENT_CONCEPTS,
    MEDICATION_CONCEPTS,
)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

ATTRIBUTION = (
    "Derived from the project's verified value sets (shared/reference/value_sets.json and value_sets.md), "
    "which cite for every row the public sources it was checked against: WHO ATC/DDD index, VSAC value sets "
    "of the CMS eCQMs, OHDSI Phenotype Library, BHF Data Science Centre code lists, Synthea modules and the "
    "SMART sample data, the ANS EDS FHIR IG, HL7 CardX/AU Core and others (see `sources`). Code systems "
    "belong to their owners: LOINC (Regenstrief, free licence), SNOMED CT (SNOMED International; a licence "
    "is needed to use SNOMED CT in production outside member countries - France is a member), ICD-10 (WHO; "
    "CIM-10 FR by ATIH), ATC (WHO Collaborating Centre), RxNorm (US NLM)."
)
MARKS = {
    "V2+": "confirmed in >= 2 independent sources",
    "V1": "confirmed in one source",
    "M": "unconfirmed (from a secondary summary or memory): check before relying on it",
}

# Sources for rows added here (not in value_sets.json).
EXTRA_SOURCES = {
    "MIMIC-LAB": {
        "what": "MIMIC-III D_LABITEMS LOINC mapping and public lab-to-LOINC tables in open-source EHR code",
        "where": "public GitHub code found with the project's search tool (e.g. MIMIC D_LABITEMS.csv, "
        "FHIR test fixtures naming 'Calcium [Moles/volume] in Serum or Plasma' 2000-8)",
    },
    "LOINC-PUB": {
        "what": "LOINC long names quoted in public FHIR IGs and ETL code (several independent repositories)",
        "where": "public GitHub code found with the project's search tool",
    },
    "IPS-MAP": {
        "what": "HL7 IPS ConceptMap of current-smoking-status LOINC answers (LA codes) to SNOMED CT, and "
        "public code using the same LA answer list LL2201-3 for LOINC 72166-2",
        "where": "public GitHub code found with the project's search tool",
    },
    "VS-NOTE": {
        "what": "A row derived from the display or note of a value_sets.json row (named in the note)",
        "where": "shared/reference/value_sets.json",
    },
    "FR-DCI": {
        "what": "French INN (DCI) spellings of the WHO ingredient names (accents removed when matching)",
        "where": "standard French spelling rules for INNs (English -in -> -ine, accents); not checked "
        "name by name against the ANSM BDPM substance file: used only for last-resort text matching",
    },
}

# ---------------------------------------------------------------------------------------------------------
# Observations
# ---------------------------------------------------------------------------------------------------------

OBS_KEY_TO_CONCEPT = {
    "sbp": "sbp", "dbp": "dbp", "bp_panel": "bp_panel",
    "total_cholesterol": "total_chol", "hdl_cholesterol": "hdl", "ldl_cholesterol": "ldl",
    "non_hdl_cholesterol": "non_hdl", "triglycerides": "triglycerides",
    "glucose_fasting": "glucose", "glucose": "glucose", "hba1c": "hba1c", "creatinine": "creatinine",
    "egfr": "egfr", "uacr": "uacr", "bmi": "bmi", "weight": "weight", "height": "height",
    "heart_rate": "heart_rate", "smoking_status": "smoking_status",
    "caregap_diabetic_eye_exam": "retinal_exam", "caregap_diabetic_foot_exam": "foot_exam",
    "caregap_breast_screening": "breast_screening", "caregap_colorectal_screening": "colorectal_screening",
    "caregap_cervical_screening": "cervical_screening",
}
# Value-set observation keys deliberately not mapped to a measurement concept, with the reason.
OBS_NOT_MAPPED = {
    "bp_home_average": "home (self-measured) BP average: not an office reading; home thresholds are lower "
    "(135/85) and the risk equations were derived on office BP",
    "sbp_home_average": "home (self-measured) BP average: see 96607-7",
    "dbp_home_average": "home (self-measured) BP average: see 96607-7",
    "creatinine_clearance_cg": "Cockcroft-Gault creatinine clearance in mL/min is NOT an eGFR (not indexed "
    "to "
    "1.73 m2): never fed into eGFR-based equations",
}
# Codes inside mapped keys that are not mapped, with the reason.
OBS_CODE_NOT_MAPPED = {
    "8460-8": "standing (orthostatic) SBP: lower than a seated reading; risk equations use seated office BP",
    "79069-1": "CT colonography: not a test of the French organised programme (FIT every 2 years, INCa; colonoscopy "
               "for high risk, HAS 2017); does not close the FIT gap (issue 12)",
}
# Care-gap evidence named by the test that was done (issue 12: French organised screening has its own test types
# and intervals). Cervical: cytology at 25-29, HPV test from 30 (HAS 2019; arrêté du 30 juillet 2020). A
# colonoscopy is not the programme's FIT: one within 5 years suspends the programme (INCa cahier des charges 2018).
EVIDENCE_BY_CODE = {
    "73761001": "colonoscopy", "444783004": "colonoscopy",
    "90226004": "cervical_cytology", "10524-7": "cervical_cytology", "33717-0": "cervical_cytology",
    "47527-7": "cervical_cytology",
    "21440-3": "cervical_hpv", "30167-1": "cervical_hpv", "82675-0": "cervical_hpv",
}
# Codes of a care-gap value set that are not screening in the French programmes (kept out of the lookup).
EVIDENCE_NOT_SCREENING = {
    "241055006": "symptomatic (diagnostic) mammogram: not screening (issue 12; INCa breast programme)",
    "44441009": "flexible sigmoidoscopy: not a test of the French organised programme (INCa); does not close the "
                "FIT gap",
}
OBS_QUALIFIERS = {
    "8459-0": "sitting", "8461-6": "supine",
    "1558-6": "fasting", "14771-0": "fasting", "76629-5": "fasting", "40193-5": "fasting",
    "13457-7": "calculated", "39469-2": "calculated", "96259-7": "calculated", "18262-6": "direct",
    "69419-0": "direct", "18261-8": "ultracentrifugation",
    "98979-8": "ckd_epi_2021", "98980-6": "ckd_epi_2021_cystatin", "62238-1": "ckd_epi_2009",
    "77147-7": "mdrd", "33914-3": "mdrd", "48642-3": "mdrd_race", "48643-1": "mdrd_race",
    "88293-6": "ckd_epi_race", "88294-4": "ckd_epi_race", "50210-4": "cystatin",
    "59261-8": "ifcc",
}

OBS_ADDITIONS = [
    # Diastolic BP by position: the value sets list only the SBP variants.
    dict(code="8453-3", concept="dbp", qualifier="sitting", display="Diastolic blood pressure--sitting",
         source="LOINC-PUB", mark="V2+"),
    dict(code="8455-8", concept="dbp", qualifier="supine", display="Diastolic blood pressure--supine",
         source="LOINC-PUB", mark="V2+"),
    dict(code="8454-1", concept=None, display="Diastolic blood pressure--standing", source="LOINC-PUB",
         mark="V2+", note="standing (orthostatic) DBP: not mapped, as for SBP 8460-8"),
    # Serum albumin, calcium, phosphate, bicarbonate (KFRE 8-variable): not in the value sets.
    dict(code="1751-7", concept="albumin", display="Albumin [Mass/volume] in Serum or Plasma",
         source="MIMIC-LAB, SAMPLE-R4", mark="V2+", note="g/dL in US data (Synthea), g/L in France"),
    dict(code="61151-7", concept="albumin", qualifier="bcg",
         display="Albumin [Mass/volume] in Serum or Plasma by Bromocresol green (BCG) dye binding method",
         source="LOINC-PUB", mark="V2+"),
    dict(code="61152-5", concept="albumin", qualifier="bcp",
         display="Albumin [Mass/volume] in Serum or Plasma by Bromocresol purple (BCP) dye binding method",
         source="LOINC-PUB", mark="V2+"),
    dict(code="17861-6", concept="calcium", display="Calcium [Mass/volume] in Serum or Plasma",
         source="MIMIC-LAB, LOINC-PUB", mark="V2+", note="total calcium; ionised calcium (1994-3) is a "
         "different quantity and is not mapped"),
    dict(code="2000-8", concept="calcium", display="Calcium [Moles/volume] in Serum or Plasma",
         source="MIMIC-LAB, LOINC-PUB", mark="V2+"),
    dict(code="49765-1", concept="calcium", qualifier="blood", display="Calcium [Mass/volume] in Blood",
         source="LOINC-PUB, SAMPLE-R4", mark="V2+", note="what Synthea emits (mg/dL)"),
    dict(code="2777-1", concept="phosphate", display="Phosphate [Mass/volume] in Serum or Plasma",
         source="LOINC-PUB", mark="V1", note="mg/dL (as phosphorus) in US data"),
    dict(code="14879-1", concept="phosphate", display="Phosphate [Moles/volume] in Serum or Plasma",
         source="LOINC-PUB", mark="V2+"),
    dict(code="1963-8", concept="bicarbonate", display="Bicarbonate [Moles/volume] in Serum or Plasma",
         source="LOINC-PUB, clinical_reference.md 8.1", mark="V2+"),
    dict(code="1959-6", concept="bicarbonate", qualifier="blood",
         display="Bicarbonate [Moles/volume] in Blood",
         source="LOINC-PUB", mark="V1"),
    dict(code="2028-9", concept="bicarbonate", qualifier="total_co2",
         display="Carbon dioxide, total [Moles/volume] in Serum or Plasma", source="LOINC-PUB, SAMPLE-R4",
         mark="V1", note="total CO2 of the chemistry panel, read as serum bicarbonate (they differ by about "
         "1 mmol/L of dissolved CO2); labs report this as 'bicarbonate'"),
    dict(code="20565-8", concept="bicarbonate", qualifier="total_co2",
         display="Carbon dioxide, total [Moles/volume] in Blood", source="LOINC-PUB, SAMPLE-R4", mark="V2+",
         note="what Synthea emits; total CO2 read as bicarbonate (see 2028-9)"),
    # Potassium (kaliémie): gates finerenone and MRAs (issue 12). French laboratories code it with these LOINC
    # codes (ANS 'circuit de la biologie' / bioloinc uses LOINC); mmol/L, or mEq/L (monovalent: 1 for 1).
    dict(code="2823-3", concept="potassium", display="Potassium [Moles/volume] in Serum or Plasma",
         source="LOINC-PUB, SAMPLE-R4", mark="V2+", note="serum or plasma potassium (kaliémie), mmol/L"),
    dict(code="6298-4", concept="potassium", qualifier="blood", display="Potassium [Moles/volume] in Blood",
         source="LOINC-PUB, SAMPLE-R4", mark="V2+", note="what Synthea emits (mmol/L; fhir_ecosystem.md "
         "section 4 counts it in the R4 sample)"),
    dict(code="39789-3", concept="potassium", qualifier="venous_blood",
         display="Potassium [Moles/volume] in Venous blood", source="LOINC-PUB", mark="V1",
         note="venous blood gas potassium"),
]

SMOKING_KEYS = {
    "smoking_status_answer_current": 2, "smoking_status_answer_former": 1,
    "smoking_status_answer_never": 0, "smoking_status_answer_non_smoker": None,
    "smoking_status_answer_unknown": None,
}
SMOKING_LA = [
    ("LA18976-3", "Current every day smoker", 2), ("LA18977-1", "Current some day smoker", 2),
    ("LA18981-3", "Heavy tobacco smoker", 2), ("LA18982-1", "Light tobacco smoker", 2),
    ("LA18979-7", "Smoker, current status unknown", 2), ("LA15920-4", "Former smoker", 1),
    ("LA18978-9", "Never smoker", 0), ("LA18980-5", "Unknown if ever smoked", None),
]

# ---------------------------------------------------------------------------------------------------------
# Conditions and procedures
# ---------------------------------------------------------------------------------------------------------

PROCEDURE_CODES = {"232717009", "415070008", "265764009", "70536003", "180030006", "79733001"}
CAREGAP_TO_CONCEPT = {
    "caregap_diabetic_eye_exam": "retinal_exam", "caregap_diabetic_foot_exam": "foot_exam",
    "caregap_breast_screening": "breast_screening", "caregap_colorectal_screening": "colorectal_screening",
    "caregap_cervical_screening": "cervical_screening",
}
DIABETIC_COMPLICATIONS = {"diabetic_nephropathy", "diabetic_retinopathy", "diabetic_neuropathy",
                          "diabetic_foot_ulcer"}
# Implications written into the concept lists so that SNOMED and ICD-10 rows agree (ICD-10 I20-I25 already
# puts MI under coronary heart disease; E10/E11 rows already imply 'any diabetes').
IMPLIES = {
    "diabetes_type1": {"diabetes_any"}, "diabetes_type2": {"diabetes_any"},
    **{c: {"diabetes_any"} for c in DIABETIC_COMPLICATIONS},
    **{f"ckd_stage_{i}": {"ckd"} for i in range(1, 6)},
    "stroke_ischaemic": {"stroke"}, "stroke_haemorrhagic": {"stroke"},
    "myocardial_infarction": {"coronary_heart_disease"},
    "myocardial_infarction_history": {"coronary_heart_disease"},
}
CONDITION_KEYS_NOT_CONCEPTS = {"metabolic_syndrome", "amputation_upper_limb"}

ICD_ADDITIONS = [  # (system, code prefix, concepts, display, mark, note)
    *[(s, f"N18.{i}", [f"ckd_stage_{i}", "ckd"], f"Chronic kidney disease, stage {i}", "V2+",
       "derived from the N18 row's display (N18.1-N18.5 stages 1-5)") for s in (ICD10, ICD10CM)
      for i in range(1, 6)],
    (ICD10CM, "N18.6", ["esrd", "ckd"], "End stage renal disease", "V2+",
     "derived from the N18 row's note (ICD-10-CM adds N18.6 ESRD)"),
    *[(s, c, ["heart_failure", "hypertension"], "Hypertensive heart (and renal) disease with heart failure",
       "V2+", "derived from the I11-I13 row's note (I11.0, I13.0, I13.2 also mean heart failure)")
      for s in (ICD10, ICD10CM) for c in ("I11.0", "I13.0", "I13.2")],
    (ICD10, "G59.0", ["diabetic_neuropathy"], "Diabetic mononeuropathy", "V1",
     "derived from the diabetic neuropathy row's note (G59.0* diabetic mononeuropathy, BHF)"),
    *[(ICD10CM, c, ["diabetes_any"], "Diabetes mellitus due to underlying condition / drug or chemical "
       "induced", "V1", "derived from the E10-E14 row's note (ICD-10-CM uses E08, E09, E13)")
      for c in ("E08", "E09")],
    *[(ICD10CM, f"{p}.{d}", [c], t, "V1", "ICD-10-CM structure as for E10-E14 (.2 kidney, .3 ophthalmic, "
       ".4 neurological complications), derived from the diabetic complication rows")
      for p in ("E08", "E09")
      for d, c, t in (("2", "diabetic_nephropathy", "with kidney complications"),
                      ("3", "diabetic_retinopathy", "with ophthalmic complications"),
                      ("4", "diabetic_neuropathy", "with neurological complications"))],
    *[(ICD10CM, c, ["diabetic_foot_ulcer"], "Diabetes mellitus with foot ulcer", "V1",
       "from the E11.621 row's note (also E10.621, E13.621)") for c in ("E10.621", "E13.621")],
]
# WHO rows that must not be copied to ICD-10-CM (meaning differs there).
WHO_ONLY_PREFIXES = {"E10.5", "E11.5", "E12.5", "E13.5", "E14.5", "I64", "N08.3", "H36.0", "G63.2"}
# Rows whose mapping is only valid when co-coded with another code: kept out of the per-code lookup.
NEEDS_CO_CODING = {"L97": "lower-limb ulcer counts as diabetic foot ulcer only when co-coded with E10-E14"}

# ---------------------------------------------------------------------------------------------------------
# Medications
# ---------------------------------------------------------------------------------------------------------

ACUTE_MARK = "not chronic therapy"

# ATC combination codes whose second lipid agent the value sets leave out ("a combination maps to every
# class it contains"): bempedoic acid and omega-3 are other_lipid_lowering (C10AX15, C10AX06).
MED_ADDITIONS = [
    (ATC, "C10BA10", "other_lipid_lowering", "bempedoic acid and ezetimibe",
     "bempedoic acid is other_lipid_lowering (C10AX15); the value sets list only ezetimibe"),
    (ATC, "C10BA07", "other_lipid_lowering", "rosuvastatin and omega-3 fatty acids",
     "omega-3 is other_lipid_lowering (C10AX06); the value sets list only statin"),
    (ATC, "C10BA08", "other_lipid_lowering", "atorvastatin and omega-3 fatty acids",
     "omega-3 is other_lipid_lowering (C10AX06); the value sets list only statin"),
]

# Ingredient names for last-resort text matching: English INN (from the value-set ingredient rows and
# WHO ATC names) and the French DCI spelling. Brand names are deliberately absent (too many, too local).
DRUG_NAMES: dict[str, list[str]] = {
    "statin": ["simvastatin", "atorvastatin", "rosuvastatin", "pravastatin", "fluvastatin", "pitavastatin",
               "lovastatin"],
    "ezetimibe": ["ezetimibe"],
    "pcsk9_inhibitor": ["evolocumab", "alirocumab", "inclisiran"],
    "fibrate": ["fenofibrate", "fenofibric acid", "bezafibrate", "ciprofibrate", "gemfibrozil"],
    "other_lipid_lowering": ["bempedoic acid", "colestyramine", "cholestyramine", "colesevelam",
                             "colestipol"],
    "ace_inhibitor": ["captopril", "enalapril", "lisinopril", "perindopril", "ramipril", "benazepril",
                      "quinapril", "fosinopril", "trandolapril", "cilazapril", "imidapril", "moexipril",
                      "zofenopril"],
    "arb": ["losartan", "valsartan", "irbesartan", "candesartan", "telmisartan", "olmesartan", "eprosartan",
            "azilsartan", "sacubitril"],
    "thiazide_diuretic": ["hydrochlorothiazide", "hctz", "chlorthalidone", "chlortalidone", "indapamide",
                          "metolazone", "bendroflumethiazide", "chlorothiazide", "xipamide", "altizide"],
    "loop_diuretic": ["furosemide", "frusemide", "bumetanide", "torasemide", "torsemide"],
    "calcium_channel_blocker": ["amlodipine", "nifedipine", "lercanidipine", "felodipine", "nicardipine",
                                "nitrendipine", "isradipine", "lacidipine", "manidipine", "nimodipine",
                                "verapamil", "diltiazem"],
    "beta_blocker": ["atenolol", "bisoprolol", "metoprolol", "nebivolol", "carvedilol", "propranolol",
                     "labetalol", "acebutolol", "celiprolol", "nadolol", "pindolol", "sotalol", "timolol",
                     "oxprenolol"],
    "mineralocorticoid_antagonist": ["spironolactone", "eplerenone", "finerenone"],
    "antiplatelet": ["clopidogrel", "prasugrel", "ticagrelor", "ticlopidine", "dipyridamole", "cilostazol"],
    "anticoagulant_vka": ["warfarin", "acenocoumarol", "fluindione", "phenprocoumon"],
    "anticoagulant_doac": ["apixaban", "rivaroxaban", "edoxaban", "dabigatran"],
    "anticoagulant_parenteral": ["heparin", "enoxaparin", "dalteparin", "tinzaparin", "nadroparin",
                                 "fondaparinux", "bivalirudin", "danaparoid"],
    "metformin": ["metformin"],
    "sulfonylurea": ["gliclazide", "glibenclamide", "glyburide", "glimepiride", "glipizide", "tolbutamide",
                     "chlorpropamide", "gliquidone"],
    "dpp4_inhibitor": ["sitagliptin", "vildagliptin", "saxagliptin", "linagliptin", "alogliptin"],
    "sglt2_inhibitor": ["dapagliflozin", "empagliflozin", "canagliflozin", "ertugliflozin", "sotagliflozin"],
    "glp1_receptor_agonist": ["liraglutide", "dulaglutide", "semaglutide", "exenatide", "lixisenatide",
                              "albiglutide", "tirzepatide"],
    "insulin": ["insulin", "insulin glargine", "glargine", "detemir", "degludec", "glulisine", "lispro"],
    "pioglitazone": ["pioglitazone", "rosiglitazone"],
}
# French DCI where it differs from the English INN once accents are removed.
FRENCH_NAMES: dict[str, str] = {
    "simvastatin": "simvastatine", "atorvastatin": "atorvastatine", "rosuvastatin": "rosuvastatine",
    "pravastatin": "pravastatine", "fluvastatin": "fluvastatine", "pitavastatin": "pitavastatine",
    "lovastatin": "lovastatine", "fenofibric acid": "acide fenofibrique",
    "bempedoic acid": "acide bempedoique",
    "cholestyramine": "colestyramine", "colesevelam": "colesevelam", "furosemide": "furosemide",
    "warfarin": "warfarine", "heparin": "heparine", "enoxaparin": "enoxaparine", "dalteparin": "dalteparine",
    "tinzaparin": "tinzaparine", "nadroparin": "nadroparine", "bivalirudin": "bivalirudine",
    "metformin": "metformine", "sitagliptin": "sitagliptine", "vildagliptin": "vildagliptine",
    "saxagliptin": "saxagliptine", "linagliptin": "linagliptine", "alogliptin": "alogliptine",
    "dapagliflozin": "dapagliflozine", "empagliflozin": "empagliflozine", "canagliflozin": "canagliflozine",
    "ertugliflozin": "ertugliflozine", "insulin": "insuline", "insulin glargine": "insuline glargine",
    "phenprocoumon": "phenprocoumone", "chlorthalidone": "chlortalidone", "torsemide": "torasemide",
    "danaparoid": "danaparoide", "evolocumab": "evolocumab",
}
ASPIRIN_NAMES = ["aspirin", "acetylsalicylic acid", "acide acetylsalicylique", "lysine acetylsalicylate",
                 "acetylsalicylate de lysine"]


def _source(r: dict) -> str:
    return r.get("source") or "none found (value_sets.json marks the row M: unconfirmed)"


def _entry(**kw: object) -> dict:
    return {k: v for k, v in kw.items() if v not in (None, "", [])}


def build_observations(vs: dict) -> dict:
    entries = []
    for key, rows in vs.items():
        if key in OBS_KEY_TO_CONCEPT or key in OBS_NOT_MAPPED:
            for r in rows:
                if r["system"] != LOINC:
                    continue
                concept = OBS_KEY_TO_CONCEPT.get(key)
                note = r.get("note")
                if key in OBS_NOT_MAPPED:
                    concept, note = None, OBS_NOT_MAPPED[key]
                if r["code"] in OBS_CODE_NOT_MAPPED:
                    concept, note = None, OBS_CODE_NOT_MAPPED[r["code"]]
                concept = EVIDENCE_BY_CODE.get(r["code"], concept)
                entries.append(_entry(
                    system=LOINC, code=r["code"], concept=concept, qualifier=OBS_QUALIFIERS.get(r["code"]),
                    display=r["display"], source=_source(r), mark=r["mark"], note=note,
                    origin=f"value_sets.json#{key}"))
    for a in OBS_ADDITIONS:
        entries.append(_entry(system=LOINC, origin="addition", **a))
    _check_unique(entries)
    for e in entries:
        c = e.get("concept")
        assert c is None or c in MEASUREMENT_CONCEPTS or c == "bp_panel" or c in CARE_EVIDENCE_CONCEPTS, c
    home = vs["bp_home_setting"][0]
    return {"_about": _about("LOINC observation codes -> measurement concepts (risk/concepts.py), the BP "
                             "panel marker 'bp_panel' and care-gap evidence concepts. `concept` absent = "
                             "deliberately not mapped (see note). The unit of each result decides the "
                             "conversion, not the code (mass codes arrive in g/L in France).",
                             vs, entries),
            "home_bp_setting": _entry(system=SNOMED, code=home["code"], display=home["display"],
                                      source=home.get("source"), mark=home["mark"], note=home.get("note")),
            "entries": entries}


def build_smoking(vs: dict) -> dict:
    entries = []
    for key, value in SMOKING_KEYS.items():
        for r in vs[key]:
            entries.append(_entry(system=SNOMED, code=r["code"], value=value, display=r["display"],
                                  source=_source(r), mark=r["mark"], note=r.get("note"),
                                  origin=f"value_sets.json#{key}"))
    for code, display, value in SMOKING_LA:
        entries.append(_entry(system=LOINC, code=code, value=value, display=display, source="IPS-MAP",
                              mark="V2+", origin="addition"))
    for e in entries:
        e.setdefault("value", None)
    _check_unique(entries)
    return {"_about": _about("Answers to tobacco smoking status (LOINC 72166-2 / 11367-0) -> 0 never, "
                             "1 former, 2 current; null = no usable value (8392000 'non-smoker' is never OR "
                             "former; 266927001 / LA18980-5 unknown).", vs, entries),
            "entries": entries}


def _with_implications(concepts: set[str]) -> list[str]:
    out = set(concepts)
    changed = True
    while changed:
        changed = False
        for c in list(out):
            new = IMPLIES.get(c, set()) - out
            if new:
                out |= new
                changed = True
    return sorted(out)


def _type_from_display(display: str) -> set[str]:
    d = display.lower()
    if re.search(r"type 2 diabetes|type ii diabetes", d):
        return {"diabetes_type2"}
    if re.search(r"type 1 diabetes|type i diabetes", d):
        return {"diabetes_type1"}
    return set()


def build_conditions_and_procedures(vs: dict) -> tuple[dict, dict, dict]:
    cond: dict[tuple[str, str], dict] = {}
    proc: dict[tuple[str, str], dict] = {}
    for key, rows in vs.items():
        if key.startswith("_") or key in CONDITION_KEYS_NOT_CONCEPTS:
            continue
        if key in DIAGNOSIS_CONCEPTS:
            for r in rows:
                code = r["code"]
                if r["system"] == ICD10 and code in NEEDS_CO_CODING:
                    continue
                concepts = {key} | (_type_from_display(r["display"]) if r["system"] == SNOMED else set())
                target = proc if (r["system"] == SNOMED and code in PROCEDURE_CODES) else cond
                _merge(target, r["system"], code, concepts, r, key)
                if r["system"] == ICD10 and code not in WHO_ONLY_PREFIXES:
                    _merge(cond, ICD10CM, code, concepts, r, key, note_extra="WHO row, same meaning in "
                           "ICD-10-CM")
        elif key in CAREGAP_TO_CONCEPT:
            for r in rows:
                if r["system"] == SNOMED and r["code"] not in EVIDENCE_NOT_SCREENING:
                    concept = EVIDENCE_BY_CODE.get(r["code"], CAREGAP_TO_CONCEPT[key])
                    _merge(proc, SNOMED, r["code"], {concept}, r, key)
    for system, code, concepts, display, mark, note in ICD_ADDITIONS:
        row = {"display": display, "mark": mark, "source": "VS-NOTE", "note": note, "match": "prefix"}
        _merge(cond, system, code, set(concepts), row, "addition")
    cond_entries = [_finish(e) for e in cond.values()]
    proc_entries = [_finish(e) for e in proc.values()]
    for e in cond_entries + proc_entries:
        assert set(e["concepts"]) <= set(DIAGNOSIS_CONCEPTS) | set(CARE_EVIDENCE_CONCEPTS), e
    social = [_entry(system=SNOMED, code=r["code"], display=r["display"], source=_source(r),
                     mark=r["mark"], origin="value_sets.json#_exclude_sdoh_findings")
              for r in vs["_exclude_sdoh_findings"]]
    about_c = _about(
        "Condition codes (SNOMED CT exact; ICD-10 WHO/CIM-10 and ICD-10-CM by prefix after normalisation) -> "
        "diagnosis concepts. One code may give several concepts (E11.2 -> type 2 diabetes, diabetic "
        "nephropathy, any diabetes). Implications added so SNOMED and ICD rows agree: type 1/2 diabetes and "
        "diabetic complications -> diabetes_any; CKD stages -> ckd; ischaemic/haemorrhagic stroke -> stroke; "
        "MI (acute or history) -> coronary_heart_disease (as ICD-10 I20-I25 already does). Not mapped: "
        "metabolic syndrome and upper-limb amputation (no concept in risk/concepts.py), L97 alone (counts as "
        "diabetic foot ulcer only when co-coded with E10-E14). WHO rows are copied to ICD-10-CM except "
        f"{sorted(WHO_ONLY_PREFIXES)} whose meaning differs or which do not exist there.", vs, cond_entries)
    about_p = _about("Procedure codes (SNOMED CT) -> clinical states (revascularisation, dialysis = esrd, "
                     "kidney transplant, lower-limb amputation) and care-gap evidence concepts.", vs,
                     proc_entries)
    about_s = _about("Social-determinant and screening findings that Synthea writes as Conditions: never "
                     "diagnoses (value_sets.md 2.2).", vs, social)
    return ({"_about": about_c, "entries": sorted(cond_entries, key=_sort_key)},
            {"_about": about_p, "entries": sorted(proc_entries, key=_sort_key)},
            {"_about": about_s, "entries": social})


def _merge(table: dict, system: str, code: str, concepts: set[str], r: dict, key: str,
           note_extra: str | None = None) -> None:
    k = (system, code)
    e = table.get(k)
    if e is None:
        e = table[k] = {"system": system, "code": code, "match": "prefix" if system in (ICD10, ICD10CM)
                        else "exact", "concepts": set(), "display": r["display"], "rows": []}
    e["concepts"] |= concepts
    note = r.get("note")
    if note_extra:
        note = f"{note_extra}; {note}" if note else note_extra
    e["rows"].append(_entry(concept=key, source=_source(r), mark=r["mark"], note=note))


def _finish(e: dict) -> dict:
    marks = [row["mark"] for row in e["rows"]]
    weakest = "M" if "M" in marks else ("V1" if "V1" in marks else "V2+")
    return _entry(system=e["system"], code=e["code"], match=e["match"],
                  concepts=_with_implications(e["concepts"]), display=e["display"], mark=weakest,
                  rows=e["rows"])


def build_medications(vs: dict) -> dict:
    table: dict[tuple[str, str, str], dict] = {}
    for key in MEDICATION_CONCEPTS:
        for r in vs[key]:
            system, code = r["system"], r["code"]
            match = r.get("match", "exact")
            if system == ATC and match != "exclude":
                match = "prefix"
            note = r.get("note", "")
            classes = {key}
            if system == RXNORM and code == "1191":
                classes, note = set(), note + " -> not mapped by code; text rule keeps doses <= 325 mg"
            k = (system, code, match)
            e = table.get(k)
            if e is None:
                e = table[k] = {"system": system, "code": code, "match": match, "classes": set(),
                                "display": r["display"], "kind": r.get("kind"), "acute": False, "rows": []}
            e["classes"] |= classes
            if ACUTE_MARK in note or "perioperative" in note:
                e["acute"] = True
            e["rows"].append(_entry(concept=key, source=_source(r), mark=r["mark"], note=note or None,
                                    synthea_display=r.get("synthea_display")))
    for system, code, cls, _display, note in MED_ADDITIONS:
        e = table[(system, code, "prefix")]
        e["classes"].add(cls)
        e["rows"].append(_entry(concept=cls, source="WHO-ATC, VS-NOTE", mark="V1", note=note))
    entries = []
    for e in table.values():
        marks = [row["mark"] for row in e["rows"]]
        weakest = "M" if "M" in marks else ("V1" if "V1" in marks else "V2+")
        entries.append(_entry(system=e["system"], code=e["code"], match=e["match"],
                              classes=sorted(e["classes"]), display=e["display"], kind=e["kind"],
                              acute=e["acute"] or None, mark=weakest, rows=e["rows"]))
    entries.sort(key=_sort_key)
    names = []
    known = " ".join(f"{r['display']} {r.get('note', '')}".lower()
                     for k in MEDICATION_CONCEPTS for r in vs[k])
    for cls, inns in DRUG_NAMES.items():
        assert cls in MEDICATION_CONCEPTS, cls
        for inn in inns:
            in_vs = re.search(rf"\b{re.escape(inn)}\b", known) is not None
            names.append(_entry(
                name=inn, classes=[cls], language="en",
                source="value_sets.json (ingredient or WHO ATC name in this class)" if in_vs else
                "WHO ATC class membership, not in value_sets.json: check", mark="V1" if in_vs else "M"))
            fr = FRENCH_NAMES.get(inn)
            if fr and fr != inn:
                names.append(_entry(name=fr, classes=[cls], language="fr", source="FR-DCI", mark="M"))
    about = _about(
        "Medication codes -> drug classes of risk/concepts.py MEDICATION_CONCEPTS. ATC: prefix match, "
        "`exclude` rows remove a class for codes under them, combination codes list every class they "
        "contain. RxNorm: exact codes (ingredients, SCD/SBD used by Synthea and the samples). `acute`: "
        "parenteral / in-hospital use flagged by the value sets: not chronic therapy. Aspirin ingredient "
        "1191 is not mapped by code (it also covers analgesic aspirin).", vs, entries)
    return {"_about": about, "entries": entries,
            "text_names": {"_about": "Ingredient names for last-resort text matching (whole words, accents "
                           "and case ignored). Brand names are not included.",
                           "aspirin": ASPIRIN_NAMES, "aspirin_max_antiplatelet_mg": 325,
                           "entries": names}}


def _sort_key(e: dict) -> tuple:
    return (e["system"], e["code"], e.get("match", ""))


def _check_unique(entries: list[dict]) -> None:
    seen = set()
    for e in entries:
        k = (e["system"], e["code"])
        assert k not in seen, k
        seen.add(k)


def _about(description: str, vs: dict, entries: list[dict]) -> dict:
    used: set[str] = set()
    for e in entries:
        for row in e.get("rows", [e]):
            for s in re.split(r",\s*", row.get("source") or ""):
                used.add(s.split("[")[0].strip())
    sources = {**vs["_about"]["sources"], **EXTRA_SOURCES}
    return {
        "description": description,
        "derived_from": "shared/reference/value_sets.json (same rows as value_sets.md); rows with origin "
        "'addition' were added by scripts/build_terminology_data.py with their own source",
        "generated_by": "scripts/build_terminology_data.py (do not edit by hand; edit the script and rerun)",
        "attribution": ATTRIBUTION,
        "marks": MARKS,
        "sources": {k: v for k, v in sorted(sources.items()) if k in used},
    }


def main(out: Path = OUT) -> None:
    """Write the data files into `out` (the package's data folder by default)."""
    vs = json.loads((SHARED / "value_sets.json").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    cond, proc, social = build_conditions_and_procedures(vs)
    files = {
        "observations.json": build_observations(vs),
        "smoking_answers.json": build_smoking(vs),
        "conditions.json": cond,
        "procedures.json": proc,
        "social_findings.json": social,
        "medications.json": build_medications(vs),
        "systems.json": build_systems(vs),
    }
    for name, data in files.items():
        (out / name).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def build_systems(vs: dict) -> dict:
    aliases = vs["_about"]["system_aliases"]
    return {
        "_about": {
            "description": "Canonical code-system URIs and the aliases accepted for each (compared without "
            "scheme, case or trailing slash).",
            "sources": "value_sets.json _about.system_aliases; FHIR R4 terminology registry (OIDs); ANS SMT "
            "(https://smt.esante.gouv.fr/terminologie-cim-10, terminologie-atc) and its RDF base URIs "
            "(http://data.esante.gouv.fr/atih/cim10, http://data.esante.gouv.fr/whocc/atc); ANS NOS "
            "TRE_R310-CIM10; 'http://hl7.org/fhir/sid/icd-10-fr' seen in a French PMSI IG (arkhn/ig-pmsi)",
            "generated_by": "scripts/build_terminology_data.py",
        },
        "systems": {
            LOINC: sorted({*aliases[LOINC], "https://loinc.org"}),
            SNOMED: sorted({*aliases[SNOMED], "http://snomed.info/sct/900000000000207008"}),
            ICD10: sorted({*aliases[ICD10], "http://data.esante.gouv.fr/atih/cim10",
                           "https://mos.esante.gouv.fr/NOS/TRE_R310-CIM10/FHIR/TRE-R310-CIM10",
                           "http://hl7.org/fhir/sid/icd-10-fr"}),
            ICD10CM: ["urn:oid:2.16.840.1.113883.6.90"],
            ATC: sorted({*aliases[ATC], "http://data.esante.gouv.fr/whocc/atc",
                         "urn:oid:2.16.840.1.113883.6.73"}),
            RXNORM: ["urn:oid:2.16.840.1.113883.6.88"],
        },
    }


if __name__ == "__main__":
    main()
