"""`risk score --lang fr` is French from top to bottom: no English sentence, for every sample patient."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from risk.cli import main
from tests.paths import SAMPLES

# Words that only an English sentence would carry (whole words, case-insensitive). French shares none of them.
ENGLISH = ("the", "is", "are", "was", "not", "with", "and", "of", "for", "to", "from", "missing", "applies",
           "patient is", "years", "yearly", "every", "should", "model", "risk", "none", "unknown", "above", "below",
           "range", "installed", "recorded", "no", "computed", "main", "drivers", "steps", "alerts", "care gaps",
           "issues", "what if", "interval", "category", "stops smoking", "all of the above", "mmol/mol per year",
           "on a statin", "former smoker", "current smoker", "visits")
ENGLISH_WORD = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b", re.IGNORECASE)
# Guideline citations are titles of published documents ("ADA Standards of Care 2025"), printed in brackets.
CITATION = re.compile(r"\[[^\]]*\]")


def score_text(*argv: str) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["score", *argv]) == 0
    return buf.getvalue()


def english_in(text: str) -> list[str]:
    return [f"{line!r}: {m.group(0)!r}" for line in CITATION.sub("", text).splitlines()
            for m in ENGLISH_WORD.finditer(line)]


def test_jean_pierre_martin_reads_in_french_only():
    text = score_text(str(SAMPLES / "fr-jean-pierre-martin.json"), "--lang", "fr")
    assert english_in(text) == []
    assert "Catégorie de risque ESC\u00a0: très élevé" in text and "Premières étapes\u00a0:" in text


@pytest.mark.slow  # a sweep: `risk score` on every sample, 15-20 s in all (Jean-Pierre Martin stays in the loop)
@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json*")), ids=lambda p: p.name[:24])
def test_every_sample_reads_in_french_only(path):
    assert english_in(score_text(str(path), "--lang", "fr")) == []


def test_the_word_list_catches_english():
    """The check itself: the English report trips it, a citation in brackets does not."""
    assert english_in(score_text(str(SAMPLES / "fr-jean-pierre-martin.json"), "--lang", "en"))
    assert english_in("[ADA Standards of Care 2025] Prochaines étapes") == []
