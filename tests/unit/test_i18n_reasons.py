"""Not-computed reasons read in French (risk.i18n.reasons)."""

from __future__ import annotations

import pytest

from risk.i18n.reasons import localise


@pytest.mark.parametrize(("english", "french"), [
    ("cvd10 model is not installed (run `risk train`)", "modèle cvd10 non installé (lancer `risk train`)"),
    ("retinopathy5 applies to people with diabetes only",
     "retinopathy5 ne s'applique qu'aux personnes diabétiques"),
    ("PREVENT 10-year total CVD: eGFR missing", "PREVENT maladie cardiovasculaire totale à 10 ans : DFGe manquant"),
    ("SCORE2-OP not applicable: heart failure (2019-04-27)",
     "SCORE2-OP non applicable : insuffisance cardiaque (27/04/2019)"),
    ("Total cholesterol dated 2031-01-01 is in the future; not used",
     "Cholestérol total : valeur datée du 01/01/2031, dans le futur ; non utilisée"),
])
def test_not_computed_reasons_read_in_french(english, french):
    assert localise(english, "fr") == french
    assert localise(english, "en") == english
