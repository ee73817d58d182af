"""When the model and the published equation put a patient in different ESC risk categories.

A GP acts on the category (statin intensity, BP targets), and the published equation is the guideline's
reference. Two numbers that imply different categories must not sit side by side unexplained: the page says
which categories, by which thresholds, and that the decision rests on the equation. Thresholds are the advice
module's (risk/advise/thresholds.json: ESC 2021 age-specific or ESC/EAS 2025 for SCORE2/SCORE2-OP, ESC 2023 for
SCORE2-Diabetes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from risk.advise.category import categorise
from risk.advise.data import DEFAULT_GUIDELINE_SET, guidelines, thresholds
from risk.advise.wording import category_label
from risk.i18n import fmt_percent
from risk.i18n.labels import MODEL_SHORT, pick

# The cardiovascular model and, per patient, the equation the guideline uses for the same outcome.
REFERENCE_OF_CVD10 = ("score2", "score2_diabetes")  # SCORE2 / SCORE2-OP, or SCORE2-Diabetes (ESC 2023)
EQUATION_LABEL = {"score2": "SCORE2 / SCORE2-OP", "score2_diabetes": "SCORE2-Diabetes"}
# (statement, ending when the models are synthetic, ending when they were trained on real data)
TEMPLATES = {
    "en": ("{m} ({mr}) and {eq} ({er}) place this patient in different ESC risk categories: {mc} vs {ec} "
           "({g} thresholds).",
           " The model is trained on synthetic data: decide with {eq}, the guideline's reference equation.",
           " Decide with {eq}, the guideline's reference equation; see the model card for how the model was "
           "validated."),
    "fr": ("{m} ({mr}) et {eq} ({er}) classent ce patient dans des catégories de risque ESC différentes : "
           "{mc} contre {ec} (seuils {g}).",
           " Le modèle est entraîné sur des données synthétiques : la décision repose sur {eq}, l'équation de "
           "référence de la recommandation.",
           " La décision repose sur {eq}, l'équation de référence de la recommandation ; voir la fiche du modèle "
           "pour sa validation."),
}


@dataclass(frozen=True, kw_only=True)
class CategoryDisagreement:
    model: str
    model_risk: float
    equation: str
    equation_risk: float
    threshold_set: str  # key in thresholds.json risk_threshold_sets
    model_category: str
    equation_category: str

    def text(self, lang: str, *, synthetic: bool) -> str:
        eq = EQUATION_LABEL[self.equation]
        mc, ec = (category_label(c).get(lang) for c in (self.model_category, self.equation_category))
        guideline = guidelines()[thresholds()["risk_threshold_sets"][self.threshold_set]["guideline"]].short
        values = dict(m=pick(MODEL_SHORT[self.model], lang), mr=fmt_percent(self.model_risk, lang, 1), eq=eq,
                      er=fmt_percent(self.equation_risk, lang, 1), mc=mc, ec=ec, g=guideline)
        head, synthetic_tail, validated_tail = TEMPLATES[lang]
        return (head + (synthetic_tail if synthetic else validated_tail)).format(**values)


def cvd_category_disagreement(*, age: float, model_risk: float | None, equations: Mapping[str, float | None],
                              guideline_set: str = DEFAULT_GUIDELINE_SET) -> CategoryDisagreement | None:
    """cvd10 against the patient's SCORE2-family equation, by the same thresholds; None when they agree or when
    either is not computed."""
    if model_risk is None:
        return None
    for name in REFERENCE_OF_CVD10:
        eq = equations.get(name)
        if eq is None:
            continue
        set_key = ("esc2023_score2_diabetes" if name == "score2_diabetes" else
                   thresholds()["guideline_sets"][guideline_set]["risk_thresholds"])
        mc, ec = categorise(set_key, age, model_risk), categorise(set_key, age, float(eq))
        if mc == ec:
            return None
        return CategoryDisagreement(model="cvd10", model_risk=model_risk, equation=name, equation_risk=float(eq),
                                    threshold_set=set_key, model_category=mc, equation_category=ec)
    return None
