"""Deceased patients (project issue 12): a banner on every output, no score, category, next step, care gap or alert
at or after the date of death, data dated after death flagged, and no place on a panel (counted in its summary).

The patient is the review's: a man who died in 1991 was shown "age 69, start a statin". Here he is a FHIR bundle
with Patient.deceasedDateTime, read through the real pipeline with the shipped models.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pypdf
import pytest

from risk.assess.assessment import Assessment, assess
from risk.assess.snapshot import snapshot
from risk.cli import main
from risk.models.registry import load_all
from risk.panel.table import score_panel
from risk.record import IssueKind, PatientRecord
from risk.record.load import iter_records
from risk.report.fhir import risk_assessment
from risk.report.json import assessment_json
from risk.report.pdf import report_pdf
from risk.report.text import assessment_text
from tests.fhir_spec import BP, Lab, PatientSpec, bundle, write_bundle

AS_OF = date(2026, 12, 7)


def died_1991(pid: str = "died-1991", **patient: object) -> PatientSpec:
    """Born 1922, died 3 March 1991; high cholesterol and BP in 1990, and a lab value dated 1993 (after death)."""
    extra = {"deceasedDateTime": "1991-03-03"} if not patient else patient
    spec = PatientSpec(
        id=pid,
        sex="male",
        birth="1922-05-01",
        labs=[
            Lab("total_chol", 2.9, "g/L", "1990-06-01"),
            Lab("hdl", 0.4, "g/L", "1990-06-01"),
            Lab("ldl", 2.0, "g/L", "1990-06-01"),
            Lab("hdl", 0.5, "g/L", "1993-01-10"),
        ],
        bp=[BP(165, 95, "1990-06-01")],
        smoking=("current", "1990-06-01"),
    )
    spec.extra = []
    spec._patient_extra = extra  # type: ignore[attr-defined]
    return spec


def write(folder: Path, spec: PatientSpec) -> Path:
    """The bundle with the Patient's deceased[x] added."""
    doc = bundle(spec)
    doc["entry"][0]["resource"].update(spec._patient_extra)  # type: ignore[attr-defined]
    path = folder / f"{spec.id}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def alive(pid: str) -> PatientSpec:
    return PatientSpec(
        id=pid,
        sex="female",
        birth="1960-02-02",
        labs=[Lab("total_chol", 2.3, "g/L", "2026-10-01"), Lab("hdl", 0.5, "g/L", "2026-10-01")],
        bp=[BP(150, 90, "2026-10-01")],
        smoking=("never", "2026-10-01"),
    )


@pytest.fixture(scope="module")
def models():
    return load_all()


def read(path: Path) -> PatientRecord:
    (record,) = list(iter_records(path))
    return record


@pytest.fixture(scope="module")
def dead(tmp_path_factory: pytest.TempPathFactory, models) -> Assessment:
    path = write(tmp_path_factory.mktemp("deceased"), died_1991())
    return assess(snapshot(read(path), AS_OF), models)


def test_a_patient_who_died_gets_no_score_category_step_gap_or_alert(dead):
    assert dead.deceased and dead.status == "deceased" and dead.deceased_on == date(1991, 3, 3)
    assert dead.headline is None and not dead.scores.models and not dead.scores.equations
    assert dead.next_steps == [] and dead.care_gaps == [] and dead.alerts == [] and dead.what_if == []
    assert (dead.category.category, dead.category.basis) == ("unknown", "deceased")
    assert dead.age == 68  # at death, not the 104 he would be at the index date


def test_every_output_shows_the_banner_in_both_languages(dead):
    en, fr = assessment_text(dead, lang="en"), assessment_text(dead, lang="fr")
    assert en.splitlines()[2] == ("⚠ Patient deceased on 3 Mar 1991: no risk category, score, next step or care gap.")
    assert fr.splitlines()[2] == (
        "⚠ Patient décédé le 03/03/1991\u00a0: ni catégorie de risque, ni score, ni "
        "conduite à tenir, ni examen à prévoir."
    )
    assert "statin" not in en and "SCORE2" not in en and "Next steps" not in en
    assert "statine" not in fr and "Prochaines étapes" not in fr
    doc = assessment_json(dead)
    assert (doc["status"], doc["deceased_on"]) == ("deceased", "1991-03-03")
    assert doc["banner"]["en"].startswith("Patient deceased on 3 Mar 1991")
    assert doc["next_steps"] == [] and doc["care_gaps"] == [] and doc["headline"]["risk"] is None
    for lang in ("en", "fr"):
        ra = risk_assessment(dead, lang=lang)
        assert ra["status"] == "cancelled" and ra["prediction"] == [] and ra["basis"] == []
        assert ra["note"][0]["text"] == doc["banner"][lang]
    for lang, banner in (("fr", "Patient décédé le 03/03/1991"), ("en", "Patient deceased on 3 Mar 1991")):
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report_pdf(dead, lang=lang))).pages)
        text = " ".join(text.split())
        assert banner in text and "SCORE2" not in text and "statin" not in text.lower()


def test_a_value_dated_after_death_is_flagged_and_not_used(dead):
    (issue,) = [i for i in dead.issues if i.kind == IssueKind.AFTER_DEATH]
    assert issue.time is not None and issue.time.date() == date(1993, 1, 10)
    en, fr = assessment_text(dead, lang="en"), assessment_text(dead, lang="fr")
    assert "HDL cholesterol dated 1993-01-10 is after the date of death (1991-03-03); not used" in en
    assert (
        "HDL-cholestérol\u00a0: valeur datée du 10/01/1993, après la date du décès (03/03/1991)\u202f; non prise" in fr
    )
    assert [m.value for m in dead.record.measurements if m.concept == "hdl"] == [pytest.approx(0.4 * 2.586, 1e-3)]


def test_deceased_boolean_without_a_date_is_deceased_too(tmp_path, models):
    record = read(write(tmp_path, died_1991("died-unknown", deceasedBoolean=True)))
    a = assess(snapshot(record, AS_OF), models)
    assert a.deceased and a.deceased_on is None and a.next_steps == []
    assert a.banner == (
        "Patient recorded as deceased (date not recorded): no risk category, score, next step or care gap.",
        "Patient enregistré comme décédé (date non renseignée)\u00a0: ni catégorie de "
        "risque, ni score, ni conduite à tenir, ni examen à prévoir.",
    )


def test_before_the_date_of_death_the_patient_is_assessed_as_he_was(tmp_path, models):
    record = read(write(tmp_path, died_1991("assessed-1990")))
    a = assess(snapshot(record, date(1990, 12, 1)), models)
    assert not a.deceased and a.status == "assessed" and a.headline is not None


def test_risk_panel_excludes_the_deceased_and_counts_them_in_its_summary(tmp_path, models):
    folder = tmp_path / "source"
    folder.mkdir()
    write(folder, died_1991())
    write(folder, died_1991("died-unknown", deceasedBoolean=True))
    write_bundle(folder, alive("alive-1"))
    out = tmp_path / "scores.csv"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(["panel", str(folder), "--out", str(out), "--as-of", AS_OF.isoformat(), "--quiet"]) == 0
    assert list(pd.read_csv(out)["patient_id"]) == ["alive-1"]
    assert "wrote 1 patients to" in err.getvalue()
    assert "; 2 deceased patients excluded (not scored, not ranked)" in err.getvalue()
    panel = score_panel(iter_records(folder), models, as_of=AS_OF)
    assert list(panel.table["patient_id"]) == ["alive-1"] and panel.deceased == 2
    assert [r.patient_id for r in panel.records] == ["alive-1"]


def test_the_patient_page_shows_the_banner_and_no_score_or_step(tmp_path, monkeypatch, app_env):
    from streamlit.testing.v1 import AppTest

    from tests.app_fixtures import REPO

    write(tmp_path, died_1991())
    monkeypatch.setenv("RISK_SAMPLE_DIR", str(tmp_path))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params["patient"] = "died-1991"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        "Patient décédé le 03/03/1991\u00a0: ni catégorie de risque, ni score, ni conduite à tenir, "
        "ni examen à prévoir."
    ]
    assert "68 ans" in at.caption[0].value  # age at death
    page = " ".join(m.value for m in at.markdown)
    assert "statine" not in page and "Prochaines étapes" not in page and "SCORE2" not in page
    (issues,) = [d.value for d in at.dataframe if "Détail" in d.value.columns]
    assert list(issues["Problème"]) == ["après le décès"]
    assert issues["Détail"][0].startswith("HDL-cholestérol\u00a0: valeur datée du 10/01/1993, après la date du décès")
