"""`risk score` in a subprocess (the shipped models, a sample patient): the category disagreement in the JSON output
is left empty when the ESC category comes from a condition, not from a score."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import REPO, SAMPLES


def test_no_disagreement_is_raised_when_the_category_comes_from_a_condition_not_the_score():
    """Jean-Pierre Martin: type 2 diabetes with albuminuria 35 mg/mmol is 'very high' by target-organ damage
    (ESC 2023) whatever cvd10 or SCORE2-Diabetes say, so the two numbers are not set against each other."""
    bundle = SAMPLES / "fr-jean-pierre-martin.json"
    out = subprocess.run([sys.executable, "-m", "risk.cli", "score", str(bundle), "--format", "json"],
                         capture_output=True, text=True, check=True, cwd=REPO)
    doc = json.loads(out.stdout)
    assert doc["risk_category"]["basis"] == "diabetes_target_organ_damage"
    assert doc["comparisons"]["category_disagreement"] is None
    assert doc["models"]["cvd10"]["risk"] is not None and doc["equations"]["score2_diabetes"]["risk"] is not None
