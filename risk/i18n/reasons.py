"""French for the "not computed because ..." reasons and the warnings that scores carry.

Models and equations explain themselves in English sentences built from a small set of templates (risk.assess.scores,
risk.models.spec, risk.equations.applicability). This module maps those templates to French, then the clinical
terms inside them through a glossary, and writes decimals with a comma. A sentence that matches no template
keeps its structure with its terms translated, so the reason is never lost; the English text is always kept
beside it in the JSON outputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Clinical terms, longest first when applied (English -> French).
GLOSSARY: dict[str, str] = {
    "systolic blood pressure": "pression artérielle systolique",
    "total cholesterol": "cholestérol total",
    "non-HDL cholesterol": "cholestérol non-HDL",
    "HDL cholesterol": "HDL-cholestérol",
    "urine albumin/creatinine ratio (UACR)": "rapport albuminurie/créatininurie (RAC)",
    "smoking status": "statut tabagique",
    "diabetes status": "statut diabétique",
    "age at diabetes diagnosis": "âge au diagnostic du diabète",
    "antihypertensive treatment": "traitement antihypertenseur",
    "statin treatment": "traitement par statine",
    "eGFR": "DFGe",
    "BMI": "IMC",
    "albumin": "albumine", "bicarbonate": "bicarbonates", "calcium": "calcium", "phosphate": "phosphate",
    "prior myocardial infarction": "antécédent d'infarctus du myocarde",
    "coronary heart disease": "maladie coronarienne",
    "heart failure": "insuffisance cardiaque",
    "prior stroke": "antécédent d'AVC",
    "prior TIA": "antécédent d'AIT",
    "peripheral arterial disease": "artériopathie des membres inférieurs",
    "type 2 diabetes": "diabète de type 2",
    "type 1 diabetes": "diabète de type 1",
    "established cvd": "maladie cardiovasculaire avérée",
    "prior hf": "insuffisance cardiaque",
    "diabetic retinopathy": "rétinopathie diabétique",
    "diabetic neuropathy": "neuropathie diabétique",
    "diabetic foot ulcer": "ulcère du pied diabétique",
    "amputation": "amputation",
    "esrd": "insuffisance rénale terminale",
    "kidney failure": "insuffisance rénale terminale",
    "10-year total CVD": "maladie cardiovasculaire totale à 10 ans",
    "10-year ASCVD": "maladie cardiovasculaire athéroscléreuse à 10 ans",
    "10-year heart failure": "insuffisance cardiaque à 10 ans",
    "2-year kidney failure": "insuffisance rénale terminale à 2 ans",
    "5-year kidney failure": "insuffisance rénale terminale à 5 ans",
    "no CKD stage 3-5 diagnosis": "pas de diagnostic de MRC stade 3-5",
    "no CKD stage G3-G5": "pas de MRC stade G3-G5",
    "latest eGFR": "dernier DFGe",
    "no eGFR": "pas de DFGe",
    "mL/min/1.73 m²": "mL/min/1,73 m²",
    "years": "ans",
    "age": "âge",
    " and ": " et ",
}
_GLOSSARY_ORDER = sorted(GLOSSARY, key=len, reverse=True)

_TEMPLATES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = []


def _template(pattern: str) -> Callable[[Callable[[re.Match[str]], str]], Callable[[re.Match[str]], str]]:
    def register(fn: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
        _TEMPLATES.append((re.compile(pattern), fn))
        return fn
    return register


def terms(text: str) -> str:
    """Clinical terms of an English fragment in French (whole words only), decimals with a comma."""
    out = text
    for en in _GLOSSARY_ORDER:
        fr = GLOSSARY[en]
        if en.strip() != en:  # " and " style connectors
            out = out.replace(en, fr)
        else:
            out = re.sub(rf"(?<![\w-]){re.escape(en)}(?![\w-])", fr, out)
    out = re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", r"\3/\2/\1", out)  # ISO date -> dd/mm/yyyy
    return re.sub(r"(\d)\.(\d)", r"\1,\2", out)


@_template(r"^(\w+) model is not installed \(run `risk train`\)$")
def _not_installed(m: re.Match[str]) -> str:
    return f"modèle {m[1]} non installé (lancer `risk train`)"


@_template(r"^(\w+) applies to ages (\d+)-(\d+) \(patient is (\w+)\)$")
def _model_ages(m: re.Match[str]) -> str:
    return f"{m[1]} s'applique de {m[2]} à {m[3]} ans (patient : {m[4]} ans)"


@_template(r"^(\w+) applies to people with diabetes only$")
def _model_diabetes(m: re.Match[str]) -> str:
    return f"{m[1]} ne s'applique qu'aux personnes diabétiques"


@_template(r"^(\w+) not applicable: (.+) already present$")
def _model_excluded(m: re.Match[str]) -> str:
    return f"{m[1]} non applicable : {terms(m[2])} déjà présent(e)"


@_template(r"^missing (.+) \(no value recorded at the index date\)$")
def _model_missing(m: re.Match[str]) -> str:
    return f"manquant : {terms(m[1])} (aucune valeur à la date d'évaluation)"


@_template(r"^(.+?) not applicable: age (\d+) \(PREVENT covers ages (\d+)-(\d+)\)$")
def _prevent_age(m: re.Match[str]) -> str:
    return f"{terms(m[1])} non applicable : âge {m[2]} ans (PREVENT couvre les âges de {m[3]} à {m[4]} ans)"


@_template(r"^SCORE2 not applicable: age (\d+) \(SCORE2 covers ages 40-69, SCORE2-OP 70 and over\)$")
def _score2_age(m: re.Match[str]) -> str:
    return f"SCORE2 non applicable : âge {m[1]} ans (SCORE2 couvre 40 à 69 ans, SCORE2-OP 70 ans et plus)"


@_template(r"^SCORE2-Diabetes not applicable: age (\d+) \(the score covers ages 40-69; SCORE2-OP, which includes "
           r"diabetes, is shown instead\)$")
def _score2d_age(m: re.Match[str]) -> str:
    return (f"SCORE2-Diabetes non applicable : âge {m[1]} ans (le score couvre 40 à 69 ans ; SCORE2-OP, qui inclut "
            "le diabète, est affiché à la place)")


@_template(r"^(.+?) not applicable: type 2 diabetes \(SCORE2-Diabetes is used instead\)$")
def _score2_diabetic(m: re.Match[str]) -> str:
    return f"{m[1]} non applicable : diabète de type 2 (SCORE2-Diabetes est utilisé à la place)"


@_template(r"^(.+?) not applicable: no type 2 diabetes recorded$")
def _no_t2d(m: re.Match[str]) -> str:
    return f"{m[1]} non applicable : pas de diabète de type 2 enregistré"


@_template(r"^(.+) is (above|below) the range (.+?) (?:was derived in|cover) \((.+)\); the estimate is an "
           r"extrapolation$")
def _extrapolation(m: re.Match[str]) -> str:
    where = "au-dessus" if m[2] == "above" else "au-dessous"
    scope = m[3].replace("the ESC SCORE2 charts", "des tables ESC SCORE2").replace("SCORE2-OP", "de SCORE2-OP")
    return f"{terms(m[1])} est {where} de la plage {scope} ({terms(m[4])}) : l'estimation est une extrapolation"


@_template(r"^4-variable KFRE used: the 8-variable equation needs (.+), and (.+) (?:is|are) missing$")
def _kfre4(m: re.Match[str]) -> str:
    return f"KFRE à 4 variables utilisé : l'équation à 8 variables demande {terms(m[1])}, et {terms(m[2])} manque(nt)"


@_template(r"^SCORE2-OP includes diabetes as a risk factor and is used at 70 and over; SCORE2-Diabetes covers ages "
           r"40-69 only$")
def _op_diabetes(m: re.Match[str]) -> str:
    return ("SCORE2-OP inclut le diabète comme facteur de risque et s'applique à partir de 70 ans ; "
            "SCORE2-Diabetes ne couvre que 40 à 69 ans")


@_template(r"^(.+) is outside the plausible range (.+); check the unit(.*)$")
def _implausible(m: re.Match[str]) -> str:
    tail = terms(m[3]).replace("(reported ", "(valeur transmise ").replace("no unit", "sans unité")
    return f"{_measure(m[1])} est hors de la plage plausible {terms(m[2])} ; vérifier l'unité{tail}"


@_template(r"^(.+) dated (\S+) is in the future; not used$")
def _future(m: re.Match[str]) -> str:
    return f"{_measure(m[1])} : valeur datée du {terms(m[2])}, dans le futur ; non utilisée"


@_template(r"^(.+) dated (\S+) is before birth \((\S+)\); not used$")
def _before_birth(m: re.Match[str]) -> str:
    return f"{_measure(m[1])} : valeur datée du {terms(m[2])}, avant la naissance ({terms(m[3])}) ; non utilisée"


@_template(r"^(.+) has no usable effective date; not used$")
def _no_date(m: re.Match[str]) -> str:
    return f"{_measure(m[1])} : pas de date utilisable ; non utilisée"


def _measure(text: str) -> str:
    """'HDL cholesterol 41 mmol/L' -> 'HDL-cholestérol 41 mmol/L' using the concept labels."""
    from risk.terminology.concepts import MEASUREMENT_CONCEPTS

    for spec in sorted(MEASUREMENT_CONCEPTS.values(), key=lambda c: -len(c.label_en)):
        for label in (spec.label_en, spec.label_en[:1].lower() + spec.label_en[1:]):
            if text.startswith(label):
                return terms(spec.label_fr + text[len(label):])
    return terms(text)


@_template(r"^(.+?) not applicable: (.+)$")
def _not_applicable(m: re.Match[str]) -> str:
    return f"{terms(m[1])} non applicable : {terms(m[2])}"


@_template(r"^(.+?) not computed: (.+)$")
def _not_computed(m: re.Match[str]) -> str:
    return f"{terms(m[1])} non calculé : {terms(m[2])}"


@_template(r"^(.+?): (.+) missing$")
def _missing(m: re.Match[str]) -> str:
    plural = " et " in terms(m[2]) or "," in m[2]
    return f"{terms(m[1])} : {terms(m[2])} manquant{'s' if plural else ''}"


def localise(text: str | None, lang: str) -> str:
    """The reason or warning in `lang` ("en" returns it unchanged)."""
    if not text:
        return ""
    if lang != "fr":
        return text
    parts = [p.strip() for p in text.split("; ")] if text.count(" not applicable: ") > 1 else [text]
    out = []
    for part in parts:
        for pattern, fn in _TEMPLATES:
            m = pattern.match(part)
            if m:
                out.append(fn(m))
                break
        else:
            out.append(terms(part))
    return " ; ".join(out)
