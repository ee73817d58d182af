"""Clinical labels in English and French for what the patient header and the panel show.

Diagnosis and drug-class names follow the concept keys of risk.terminology.concepts; French terms are those of the
HAS and ANSM (e.g. "IEC", "ARA II", "iSGLT2", "AR GLP-1"). Also the summary of a patient's key conditions and
treatments, read from the features row (so the header, the panel and the report agree), and the names that the
coded messages' parameters take in each language (conditions, inputs, units, equations: risk.i18n.messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from risk.features.row import FeatureRow

# Key conditions shown in the header, in this order (feature column -> (en, fr)).
KEY_CONDITIONS: dict[str, tuple[str, str]] = {
    "established_cvd": ("established cardiovascular disease", "maladie cardiovasculaire avérée"),
    "prior_mi": ("prior myocardial infarction", "antécédent d'infarctus"),
    "prior_stroke": ("prior stroke", "antécédent d'AVC"),
    "prior_tia": ("prior TIA", "antécédent d'AIT"),
    "prior_pad": ("peripheral arterial disease", "artériopathie des membres inférieurs"),
    "prior_hf": ("heart failure", "insuffisance cardiaque"),
    "diabetes_t2": ("type 2 diabetes", "diabète de type 2"),
    "diabetes_t1": ("type 1 diabetes", "diabète de type 1"),
    "hypertension": ("hypertension", "hypertension artérielle"),
    "af": ("atrial fibrillation", "fibrillation atriale"),
    "dx_hyperlipidaemia": ("hyperlipidaemia", "dyslipidémie"),
    "dx_diabetic_nephropathy": ("diabetic kidney disease", "néphropathie diabétique"),
    "dx_diabetic_retinopathy": ("diabetic retinopathy", "rétinopathie diabétique"),
    "dx_diabetic_neuropathy": ("diabetic neuropathy", "neuropathie diabétique"),
    "dx_diabetic_foot_ulcer": ("diabetic foot ulcer", "ulcère du pied diabétique"),
    "dx_amputation": ("amputation", "amputation"),
    "dx_obesity": ("obesity", "obésité"),
}

# Conditions as the "not applicable" reasons name them (feature flag -> (en, fr)): the header's labels, with the
# long form where an equation's reason has always spelt it out.
CONDITIONS: dict[str, tuple[str, str]] = {
    **KEY_CONDITIONS,
    "prior_tia": ("prior transient ischaemic attack", "antécédent d'accident ischémique transitoire"),
    "prior_chd": ("coronary heart disease", "maladie coronarienne"),
    "dx_coronary_revascularisation": ("coronary revascularisation", "revascularisation coronaire"),
    "dx_esrd": ("kidney failure (end-stage kidney disease)", "insuffisance rénale terminale"),
    "dx_kidney_transplant": ("kidney transplant", "greffe rénale"),
}

# Inputs of the equations and models as a sentence names them (concept or feature key -> (en, fr)). Measurement
# concepts not listed here fall back to their label in risk.terminology.concepts, first letter lowered.
INPUTS: dict[str, tuple[str, str]] = {
    "age": ("age", "âge"),
    "sex": ("sex", "sexe"),
    "smoking_status": ("smoking status", "statut tabagique"),
    "sbp": ("systolic blood pressure", "pression artérielle systolique"),
    "dbp": ("diastolic blood pressure", "pression artérielle diastolique"),
    "total_chol": ("total cholesterol", "cholestérol total"),
    "hdl": ("HDL cholesterol", "HDL-cholestérol"),
    "non_hdl": ("non-HDL cholesterol", "cholestérol non-HDL"),
    "uacr": ("urine albumin/creatinine ratio (UACR)", "rapport albuminurie/créatininurie (RAC)"),
    "age_at_diabetes": ("age at diabetes diagnosis", "âge au diagnostic du diabète"),
    "bp_treatment": ("antihypertensive treatment", "traitement antihypertenseur"),
    "statin_treatment": ("statin treatment", "traitement par statine"),
    "diabetes": ("diabetes status", "statut diabétique"),
    "albumin": ("serum albumin", "albumine sérique"),
    "chol_hdl_ratio": ("cholesterol/HDL ratio (same-day pair)", "rapport cholestérol total/HDL (même jour)"),
    "sbp_sd": ("SD of systolic blood pressure (two readings or more in 5 years)",
               "écart type de la pression artérielle systolique (au moins deux mesures sur 5 ans)"),
    "townsend": ("Townsend deprivation score", "score de défavorisation de Townsend"),
}
# Short names where a sentence uses the abbreviation or the bare analyte (else INPUTS).
SHORT_INPUTS: dict[str, tuple[str, str]] = {
    "uacr": ("UACR", "RAC"),
    "albumin": ("albumin", "albumine"),
    "bicarbonate": ("bicarbonate", "bicarbonates"),
    "potassium": ("potassium", "kaliémie"),
    "calcium": ("calcium", "calcium"),
    "phosphate": ("phosphate", "phosphate"),
}
# Units whose French spelling differs (others read the same in both languages).
UNITS: dict[str, tuple[str, str]] = {
    "years": ("years", "ans"),
    "mL/min/1.73 m²": ("mL/min/1.73 m²", "mL/min/1,73 m²"),
}

DRUG_CLASSES: dict[str, tuple[str, str]] = {
    "statin": ("statin", "statine"), "ezetimibe": ("ezetimibe", "ézétimibe"),
    "pcsk9_inhibitor": ("PCSK9 inhibitor", "inhibiteur de PCSK9"), "fibrate": ("fibrate", "fibrate"),
    "other_lipid_lowering": ("other lipid-lowering drug", "autre hypolipémiant"),
    "ace_inhibitor": ("ACE inhibitor", "IEC"), "arb": ("ARB", "ARA II"),
    "thiazide_diuretic": ("thiazide diuretic", "diurétique thiazidique"),
    "loop_diuretic": ("loop diuretic", "diurétique de l'anse"),
    "calcium_channel_blocker": ("calcium-channel blocker", "inhibiteur calcique"),
    "beta_blocker": ("beta-blocker", "bêtabloquant"),
    "mineralocorticoid_antagonist": ("mineralocorticoid-receptor antagonist", "antagoniste des minéralocorticoïdes"),
    "antiplatelet": ("antiplatelet", "antiagrégant plaquettaire"),
    "anticoagulant_vka": ("vitamin K antagonist", "AVK"), "anticoagulant_doac": ("DOAC", "AOD"),
    "anticoagulant_parenteral": ("parenteral anticoagulant", "anticoagulant injectable"),
    "metformin": ("metformin", "metformine"), "sulfonylurea": ("sulfonylurea", "sulfamide hypoglycémiant"),
    "dpp4_inhibitor": ("DPP-4 inhibitor", "iDPP-4"), "sglt2_inhibitor": ("SGLT2 inhibitor", "iSGLT2"),
    "glp1_receptor_agonist": ("GLP-1 receptor agonist", "AR GLP-1"), "insulin": ("insulin", "insuline"),
    "pioglitazone": ("pioglitazone", "pioglitazone"),
    # groups (risk.terminology.concepts.MEDICATION_GROUPS): one drug of the group, which one not known
    "glucose_lowering": ("glucose-lowering drug", "hypoglycémiant"),
    "antihypertensive": ("antihypertensive drug", "antihypertenseur"),
    "lipid_lowering": ("lipid-lowering drug", "hypolipémiant"),
}

MODEL_SHORT: dict[str, tuple[str, str]] = {
    "cvd10": ("CVD 10 y", "MCV 10 ans"),
    "hf10": ("Heart failure 10 y", "Insuff. cardiaque 10 ans"),
    "ckd5": ("CKD progression 5 y", "Progression MRC 5 ans"),
    "retinopathy5": ("Retinopathy 5 y", "Rétinopathie 5 ans"),
    "foot5": ("Neuropathy / foot 5 y", "Neuropathie / pied 5 ans"),
}
MODEL_POPULATION_FR: dict[str, str] = {  # French of risk.models.spec.ModelSpec.population
    "cvd10": "adultes de 40 à 89 ans sans maladie cardiovasculaire avérée (prévention primaire)",
    "hf10": "adultes de 40 à 89 ans sans insuffisance cardiaque",
    "ckd5": "adultes diabétiques de 40 à 89 ans, sans suppléance rénale",
    "retinopathy5": "adultes diabétiques de 40 à 89 ans sans rétinopathie diabétique",
    "foot5": "adultes diabétiques de 40 à 89 ans sans neuropathie, ulcère du pied ni amputation",
}
# Equations as their results and reasons name them (risk.equations.applicability): key -> (en, fr); a reason's
# `variant` adds the model used in brackets.
EQUATION_NAMES: dict[str, tuple[str, str]] = {
    "score2": ("SCORE2", "SCORE2"),
    "score2_op": ("SCORE2-OP", "SCORE2-OP"),
    "score2_diabetes": ("SCORE2-Diabetes", "SCORE2-Diabetes"),
    "prevent": ("PREVENT", "PREVENT"),
    "prevent_cvd": ("PREVENT 10-year total CVD", "PREVENT maladie cardiovasculaire totale à 10 ans"),
    "prevent_ascvd": ("PREVENT 10-year ASCVD", "PREVENT maladie cardiovasculaire athéroscléreuse à 10 ans"),
    "prevent_hf": ("PREVENT 10-year heart failure", "PREVENT insuffisance cardiaque à 10 ans"),
    "qrisk3": ("QRISK3", "QRISK3"),
    "kfre": ("KFRE", "KFRE"),
    "kfre_5y": ("KFRE 5-year kidney failure", "KFRE insuffisance rénale terminale à 5 ans"),
    "kfre_2y": ("KFRE 2-year kidney failure", "KFRE insuffisance rénale terminale à 2 ans"),
}
EQUATION_VARIANTS: dict[str, tuple[str, str]] = {
    "base": ("base model", "modèle de base"),
    "hba1c": ("base model + HbA1c", "modèle de base + HbA1c"),
    "uacr": ("base model + UACR", "modèle de base + RAC"),
    "full": ("full model: HbA1c + UACR, social deprivation index missing",
             "modèle complet : HbA1c + RAC, indice de défavorisation sociale manquant"),
    "4-variable": ("4-variable, non-North-American calibration", "4 variables, calibration hors Amérique du Nord"),
    "8-variable": ("8-variable, non-North-American calibration", "8 variables, calibration hors Amérique du Nord"),
}
EQUATION_SHORT: dict[str, tuple[str, str]] = {
    "score2": ("SCORE2 / SCORE2-OP", "SCORE2 / SCORE2-OP"),
    "score2_diabetes": ("SCORE2-Diabetes", "SCORE2-Diabetes"),
    "prevent_cvd": ("PREVENT CVD 10 y", "PREVENT MCV 10 ans"),
    "prevent_ascvd": ("PREVENT ASCVD 10 y", "PREVENT MCVAS 10 ans"),
    "prevent_hf": ("PREVENT heart failure 10 y", "PREVENT IC 10 ans"),
    "qrisk3": ("QRISK3 10 y (UK)", "QRISK3 10 ans (R.-U.)"),
    "kfre_5y": ("KFRE kidney failure 5 y", "KFRE IRT 5 ans"),
    "kfre_2y": ("KFRE kidney failure 2 y", "KFRE IRT 2 ans"),
}
EQUATION_OUTCOME: dict[str, tuple[str, str]] = {
    "score2": ("10-year fatal and non-fatal myocardial infarction and stroke",
               "Infarctus et AVC mortels et non mortels à 10 ans"),
    "score2_diabetes": ("10-year fatal and non-fatal myocardial infarction and stroke (type 2 diabetes)",
                        "Infarctus et AVC mortels et non mortels à 10 ans (diabète de type 2)"),
    "prevent_cvd": ("10-year total cardiovascular disease", "Maladie cardiovasculaire totale à 10 ans"),
    "prevent_ascvd": ("10-year atherosclerotic cardiovascular disease",
                      "Maladie cardiovasculaire athéroscléreuse à 10 ans"),
    "prevent_hf": ("10-year heart failure", "Insuffisance cardiaque à 10 ans"),
    "qrisk3": ("10-year coronary heart disease, ischaemic stroke or TIA",
               "Maladie coronarienne, AVC ischémique ou AIT à 10 ans"),
    "kfre_5y": ("5-year kidney failure (dialysis or transplant)", "Insuffisance rénale terminale à 5 ans"),
    "kfre_2y": ("2-year kidney failure (dialysis or transplant)", "Insuffisance rénale terminale à 2 ans"),
}
EQUATION_HORIZON_YEARS = {"score2": 10, "score2_diabetes": 10, "prevent_cvd": 10, "prevent_ascvd": 10,
                          "prevent_hf": 10, "qrisk3": 10, "kfre_5y": 5, "kfre_2y": 2}
# What the headline risk is a risk of, in words a patient understands (the PDF's "out of 100 people like you").
HEADLINE_OUTCOME: dict[str, tuple[str, str]] = {
    "cvd10": ("a heart attack, a stroke or cardiovascular death", "un infarctus, un AVC ou un décès cardiovasculaire"),
    "score2": ("a heart attack or a stroke (fatal or not)", "un infarctus ou un AVC (mortel ou non)"),
    "score2_diabetes": ("a heart attack or a stroke (fatal or not)", "un infarctus ou un AVC (mortel ou non)"),
    "prevent_cvd": ("a heart attack, a stroke or heart failure", "un infarctus, un AVC ou une insuffisance cardiaque"),
}
# What an ESC risk category rests on (risk.advise.RiskCategory.basis): said where no risk figure is shown.
CATEGORY_BASIS: dict[str, tuple[str, str]] = {
    "score": ("the score", "le score"),
    "established_cvd": ("established cardiovascular disease", "maladie cardiovasculaire avérée"),
    "diabetes_target_organ_damage": ("diabetes with target-organ damage", "diabète avec atteinte d'organe cible"),
    "ckd": ("chronic kidney disease", "maladie rénale chronique"),
    "markedly_elevated": ("a markedly elevated risk factor", "un facteur de risque très élevé"),
    "not_computable": ("missing inputs", "données manquantes"),
}
# Kinds of data-quality issue (risk.record.IssueKind).
ISSUE_KINDS = {
    "unknown_unit": ("unknown unit", "unité inconnue"), "missing_unit": ("missing unit", "unité absente"),
    "implausible_value": ("implausible value", "valeur invraisemblable"),
    "non_numeric_value": ("not a number", "valeur non numérique"), "future_date": ("date in the future", "date future"),
    "before_birth": ("before birth", "avant la naissance"),
    "no_date": ("no date", "sans date"),
    "duplicate": ("duplicate", "doublon"), "unknown_code": ("unknown code", "code inconnu"),
    "bad_reference": ("broken reference", "référence cassée"), "invalid_resource": ("invalid resource",
                                                                                      "ressource invalide"),
    "status_excluded": ("excluded by status", "exclu par son statut"),
    "after_death": ("after death", "après le décès"),
    "inconsistent_values": ("inconsistent with another value", "incohérent avec une autre valeur"),
}


# How a derived input was computed (the input table's 'as reported' column).
DERIVED_FROM = {
    "non_hdl": ("total cholesterol − HDL (same day)", "cholestérol total − HDL (même jour)"),
    "bmi": ("weight / height²", "poids / taille²"),
    "egfr": ("CKD-EPI 2021 from creatinine", "CKD-EPI 2021 à partir de la créatinine"),
}
SEX = {"male": ("male", "homme"), "female": ("female", "femme")}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "fr" else pair[0]


def key_conditions(row: Mapping[str, Any] | pd.Series, lang: str) -> list[str]:
    read = FeatureRow(row)
    out = [pick(label, lang) for key, label in KEY_CONDITIONS.items() if read.yes(key)]
    if read.at_least("ckd_stage", 3):
        out.append(("MRC stade " if lang == "fr" else "CKD stage ") + f"{int(read.num('ckd_stage') or 0)}")
    return out


def treatments(row: Mapping[str, Any] | pd.Series, lang: str) -> list[str]:
    read = FeatureRow(row)
    return [pick(label, lang) for key, label in DRUG_CLASSES.items() if read.yes(f"rx_{key}")]
