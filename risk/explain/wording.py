"""The patient's values behind each explained factor, in French or English, in the lab's units, with dates.

risk.explain.factors computes the factors (exact, additive, in percentage points); this module only words them for a
reader: "LDL-cholestérol 1,98 g/L (5,12 mmol/L) (07/07/2026)". Text first: clinicians trust a one-line summary
more than a chart (product.md section 5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import pandas as pd

from risk.explain.factors import Explanation, Factor
from risk.i18n import fmt_date, fmt_number
from risk.i18n.lab_units import LabUnit, value_text
from risk.models.spec import FACTOR_OF
from risk.terminology.concepts import MEASUREMENT_CONCEPTS

NON_MODIFIABLE = frozenset({"age", "sex", "history"})


def _num(row: pd.Series, key: str) -> float | None:
    v = row.get(key)
    if v is None or pd.isna(v):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def feature_text(feature: str, row: pd.Series, lang: str, units: Mapping[str, LabUnit] | None = None) -> str | None:
    """One feature of this patient in words, or None when it has no value worth saying."""
    value = _num(row, feature)
    if value is None:
        return None
    fr = lang == "fr"
    if feature in MEASUREMENT_CONCEPTS:
        spec = MEASUREMENT_CONCEPTS[feature]
        when = row.get(f"{feature}_date")
        day = f" ({fmt_date(pd.Timestamp(when).date(), lang)})" if when is not None and not pd.isna(when) else ""
        label = spec.label_fr if fr else spec.label_en
        return f"{label} {value_text(feature, value, (units or {}).get(feature), lang)}{day}"

    def n(x: float, d: int = 0) -> str:
        return fmt_number(x, lang, d)

    flags = {
        "smoking_current": ("current smoker", "fumeur actuel"), "smoking_former": ("former smoker", "ancien fumeur"),
        "diabetes_any": ("diabetes", "diabète"), "hypertension": ("hypertension", "hypertension"),
        "af": ("atrial fibrillation", "fibrillation atriale"), "on_statin": ("on a statin", "sous statine"),
        "on_antihypertensive": ("on BP treatment", "sous antihypertenseur"),
        "rx_antiplatelet": ("on antiplatelet", "sous antiagrégant"),
        "rx_metformin": ("on metformin", "sous metformine"),
        "rx_insulin": ("on insulin", "sous insuline"), "rx_sglt2_inhibitor": ("on SGLT2 inhibitor", "sous iSGLT2"),
        "rx_glp1_receptor_agonist": ("on GLP-1 RA", "sous AR GLP-1"),
        "prior_mi": ("prior MI", "antécédent d'infarctus"), "prior_stroke": ("prior stroke", "antécédent d'AVC"),
        "prior_tia": ("prior TIA", "antécédent d'AIT"), "prior_pad": ("PAD", "AOMI"),
        "prior_chd": ("coronary disease", "maladie coronarienne"),
        "prior_hf": ("heart failure", "insuffisance cardiaque"),
        "established_cvd": ("established CVD", "maladie CV avérée"),
        "dx_diabetic_retinopathy": ("diabetic retinopathy", "rétinopathie diabétique"),
        "dx_diabetic_neuropathy": ("diabetic neuropathy", "neuropathie diabétique"),
        "dx_diabetic_nephropathy": ("diabetic kidney disease", "néphropathie diabétique"),
        "dx_diabetic_foot_ulcer": ("foot ulcer", "ulcère du pied"), "dx_amputation": ("amputation", "amputation"),
    }
    absent = {"smoking_current": ("not a current smoker", "non-fumeur actuel"),
              "diabetes_any": ("no diabetes", "pas de diabète"), "hypertension": ("no hypertension", "pas d'HTA"),
              "on_statin": ("no statin", "pas de statine"),
              "on_antihypertensive": ("no BP treatment", "pas d'antihypertenseur")}
    if feature in flags and value >= 1:
        return flags[feature][1 if fr else 0]
    if feature in absent and value < 1:
        return absent[feature][1 if fr else 0]
    texts = {
        "age": (f"age {int(value)}", f"âge {int(value)} ans"),  # completed years
        "sex_male": ("male" if value == 1 else "female", "homme" if value == 1 else "femme"),
        "diabetes_years": (f"diabetes for {n(value)} years", f"diabète depuis {n(value)} ans"),
        "ckd_stage": (f"CKD stage {n(value)}", f"MRC stade {n(value)}") if value >= 1 else (None, None),
        "n_antihypertensive_classes": (f"{n(value)} BP drug classes", f"{n(value)} classes d'antihypertenseurs"),
        "sbp_sd": (f"SBP variability {n(value)} mmHg (SD, 3 y)", f"variabilité de la PAS {n(value)} mmHg (ET, 3 ans)"),
        "sbp_mean3": (f"mean of last 3 SBP {n(value)} mmHg", f"moyenne des 3 dernières PAS {n(value)} mmHg"),
        "hba1c_slope": (f"HbA1c {'+' if value >= 0 else ''}{n(value, 1)} mmol/mol per year",
                        f"HbA1c {'+' if value >= 0 else ''}{n(value, 1)} mmol/mol par an"),
        "egfr_slope": (f"eGFR {'+' if value >= 0 else ''}{n(value, 1)} mL/min/1.73 m² per year",
                       f"DFGe {'+' if value >= 0 else ''}{n(value, 1)} mL/min/1,73 m² par an"),
        "sbp_slope": (f"SBP {'+' if value >= 0 else ''}{n(value, 1)} mmHg per year",
                      f"PAS {'+' if value >= 0 else ''}{n(value, 1)} mmHg par an"),
        "ldl_slope": (f"LDL {'+' if value >= 0 else ''}{n(value, 2)} mmol/L per year",
                      f"LDL {'+' if value >= 0 else ''}{n(value, 2)} mmol/L par an"),
        "bmi_slope": (f"BMI {'+' if value >= 0 else ''}{n(value, 1)} kg/m² per year",
                      f"IMC {'+' if value >= 0 else ''}{n(value, 1)} kg/m² par an"),
        "weight_change_1y": (f"weight change {'+' if value >= 0 else ''}{n(value, 1)} kg in a year",
                             f"variation de poids {'+' if value >= 0 else ''}{n(value, 1)} kg en un an"),
        "visits_1y": (f"{n(value)} visits in the last year", f"{n(value)} consultations l'an dernier"),
        "visits_5y": (f"{n(value)} visits in 5 years", f"{n(value)} consultations en 5 ans"),
    }
    if feature in texts:
        return texts[feature][1 if fr else 0]
    from risk.i18n.labels import DRUG_CLASSES, KEY_CONDITIONS

    if feature in KEY_CONDITIONS and value >= 1:
        return KEY_CONDITIONS[feature][1 if fr else 0]
    if feature.startswith("rx_") and feature[3:] in DRUG_CLASSES:
        en, fr_label = DRUG_CLASSES[feature[3:]]
        if value >= 1:
            return f"sous {fr_label}" if fr else f"on {en}"
        return _pas_de(fr_label) if fr else f"no {en}"
    if feature in flags or feature in KEY_CONDITIONS:
        return None  # a condition the patient does not have says nothing worth showing
    if feature.endswith("_days"):
        base = feature[:-5]
        if base in MEASUREMENT_CONCEPTS:
            spec = MEASUREMENT_CONCEPTS[base]
            return (f"{spec.label_fr} datant de {n(value)} jours" if fr
                    else f"{spec.label_en} {n(value)} days old")
    return None


def _pas_de(label: str) -> str:
    """French negation with elision: 'pas d'ézétimibe', 'pas de statine'."""
    return f"pas d'{label}" if label[:1].lower() in "aeéèêiîoôuy" else f"pas de {label}"


def factor_evidence(factor: Factor, expl: Explanation, row: pd.Series, lang: str,
                    units: Mapping[str, LabUnit] | None = None, *, limit: int = 3) -> list[str]:
    """Values of the factor's features, those that moved the risk most first."""
    members = [f for f, v in expl.feature_shap.items() if FACTOR_OF.get(f, "history") == factor.key
               and abs(v) > 1e-6]
    members.sort(key=lambda f: -abs(expl.feature_shap[f]))
    texts = []
    for f in members:
        t = feature_text(f, row, lang, units)
        if t and t not in texts:
            texts.append(t)
        if len(texts) >= limit:
            break
    return texts


def summary(expl: Explanation, row: pd.Series, lang: str, units: Mapping[str, LabUnit] | None = None,
            *, top: int = 3) -> str:
    """One line: the factors that raise the risk most, with their values."""
    drivers = [f for f in expl.factors if f.points > 0.05][:top]
    if not drivers:
        return ("Aucun facteur n'élève ce risque au-dessus de la moyenne." if lang == "fr"
                else "No factor raises this risk above average.")
    parts = []
    for f in drivers:
        ev = factor_evidence(f, expl, row, lang, units, limit=1)
        label = f.label_fr if lang == "fr" else f.label_en
        pts = fmt_number(f.points, lang, 1)
        parts.append(f"{label} (+{pts} pts{': ' + ev[0] if ev else ''})" if lang == "en"
                     else f"{label} (+{pts} pts{' : ' + ev[0] if ev else ''})")
    return ("Principaux facteurs : " if lang == "fr" else "Main drivers: ") + "; ".join(parts)


def is_modifiable(factor: Factor) -> bool:
    return factor.key not in NON_MODIFIABLE


def finite(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


def trigger_text(name: str, value: float | None, unit: str, when: date | None, lang: str,
                 units: Mapping[str, LabUnit] | None = None) -> str:
    """One input behind a guideline step ('LDL-cholestérol 1,05 g/L (2,72 mmol/L) (14/09/2026)')."""
    if value is None:
        spec = MEASUREMENT_CONCEPTS.get(name)
        label = (spec.label_fr if lang == "fr" else spec.label_en) if spec else name
        return f"{label} : non renseigné" if lang == "fr" else f"{label}: not recorded"
    if name in MEASUREMENT_CONCEPTS and MEASUREMENT_CONCEPTS[name].numeric:
        spec = MEASUREMENT_CONCEPTS[name]
        day = f" ({fmt_date(when, lang)})" if when else ""
        label = spec.label_fr if lang == "fr" else spec.label_en
        return f"{label} {value_text(name, value, (units or {}).get(name), lang)}{day}"
    text = feature_text(name, pd.Series({name: value}), lang, units)
    if text:
        return text
    from risk.i18n.labels import KEY_CONDITIONS

    if name in KEY_CONDITIONS and value == 0:
        label = KEY_CONDITIONS[name][1 if lang == "fr" else 0]
        return f"{label} : non" if lang == "fr" else f"{label}: no"
    return f"{name} {fmt_number(value, lang, 2)} {unit}".strip()
