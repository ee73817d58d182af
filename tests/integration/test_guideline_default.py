"""The current guidelines by default (project issue 12): ESC 2024 hypertension and the ESC/EAS 2025 lipid update,
the older ESC 2021 set still selectable (`--guidelines`, RISK_GUIDELINES); every step cites the set it was read in.

The patient is like Trey Leffler with a recent lipid panel: a 69-year-old man, SCORE2 8.5 %, BP 142/84 mmHg,
LDL-C 2.74 mmol/L, no treatment.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from risk.cli import main
from risk.settings import Settings
from tests.fhir_spec import write_bundle
from tests.integration.test_advice_safety import AS_OF, trey


def score(path: Path, *argv: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["score", str(path), "--format", "json", "--as-of", AS_OF.isoformat(), *argv]) == 0
    (doc,) = json.loads(out.getvalue()) if out.getvalue().lstrip().startswith("[") else [json.loads(out.getvalue())]
    return doc


def cited(doc: dict[str, Any]) -> dict[str, str]:
    return {s["id"]: s["guideline"] for s in doc["next_steps"]}


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("RISK_GUIDELINES", raising=False)
    return write_bundle(tmp_path, trey(30))


def test_the_default_set_is_esc_2024_blood_pressure_and_esc_eas_2025_lipids(bundle):
    assert Settings().guideline_set == "esc_eas2025" and Settings.from_env({}).guideline_set == "esc_eas2025"
    doc = score(bundle)
    c = doc["risk_category"]
    assert (c["guideline_set"], c["threshold_set"], c["category"]) == ("esc_eas2025", "esc_eas2025", "moderate")
    assert c["guideline"] == "ESC/EAS 2025 dyslipidaemias focused update"
    assert c["reason_en"].startswith("SCORE2 8.5% (low-risk region) read with the ESC/EAS 2025 dyslipidaemia update")
    assert c["reason_fr"].startswith("SCORE2 8,5\u202f% (région à risque faible) lu selon la mise à jour ESC/EAS 2025")
    assert cited(doc) == {
        "bp_drug_start_esc2024": "ESC 2024 elevated BP and hypertension",
        "lipid_lifestyle": "ESC/EAS 2019 dyslipidaemias (2025 focused update)",
        "risk_estimate_score2": "ESC 2021 CVD prevention",
    }
    (lipids,) = [s for s in doc["next_steps"] if s["id"] == "lipid_lifestyle"]
    update = "2025 Focused Update of the 2019 ESC/EAS Guidelines for the management of dyslipidaemias"
    assert "doi:10.1093/eurheartj/ehz455; Mach F, Koskinas KC" in lipids["reference"] and update in lipids["reference"]
    assert lipids["reference"].endswith("Eur Heart J 2025;46:4359-4378. doi:10.1093/eurheartj/ehaf190")


def test_the_esc_2021_set_stays_selectable_and_cites_itself(bundle, monkeypatch):
    for argv in (("--guidelines", "esc2021"), ()):
        if not argv:
            monkeypatch.setenv("RISK_GUIDELINES", "esc2021")
        doc = score(bundle, *argv)
        c = doc["risk_category"]
        assert (c["guideline_set"], c["category"], c["guideline"]) == ("esc2021", "high", "ESC 2021 CVD prevention")
        assert cited(doc) == {
            "statin_start": "ESC/EAS 2019 dyslipidaemias",
            "bp_drug_start_esc2021": "ESC 2021 CVD prevention",
            "risk_estimate_score2": "ESC 2021 CVD prevention",
        }
