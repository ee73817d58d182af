"""Not-computed reasons and data-quality issues, coded by the library, read in French and English
(risk.i18n.messages)."""

from __future__ import annotations

from datetime import date

import pytest

from risk.i18n.messages import message_text
from risk.terminology.messages import Message


@pytest.mark.parametrize(("message", "english", "french"), [
    (Message(code="model.not_installed", params={"model": "cvd10"}),
     "CVD 10 y model is not installed (run `risk train`)", "modèle MCV 10 ans non installé (lancer `risk train`)"),
    (Message(code="model.diabetes_only", params={"model": "retinopathy5"}),
     "Retinopathy 5 y applies to people with diabetes only",
     "Rétinopathie 5 ans ne s'applique qu'aux personnes diabétiques"),
    (Message(code="equation.missing_inputs", params={"equation": "prevent_cvd", "concepts": ["egfr"]}),
     "PREVENT 10-year total CVD: eGFR missing",
     "PREVENT maladie cardiovasculaire totale à 10 ans\u00a0: données manquantes (DFGe)"),
    (Message(code="equation.prior_conditions", params={"equation": "score2_op", "conditions": [
        Message(code="condition.recorded_on", params={"condition": "prior_hf", "date": date(2019, 4, 27)})]}),
     "SCORE2-OP not applicable: heart failure (2019-04-27)",
     "SCORE2-OP non applicable\u00a0: insuffisance cardiaque (27/04/2019)"),
    (Message(code="record.future_date", params={"concept": "total_chol", "date": date(2031, 1, 1)}),
     "Total cholesterol dated 2031-01-01 is in the future; not used",
     "Cholestérol total\u00a0: valeur datée du 01/01/2031, dans le futur\u202f; non prise en compte"),
])
def test_not_computed_reasons_read_in_french(message, english, french):
    assert message_text(message, "fr") == french
    assert message_text(message, "en") == english
