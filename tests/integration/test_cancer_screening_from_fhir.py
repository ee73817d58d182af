"""French organised cancer screening read from FHIR bundles (issue 12, part B): the exclusions that take a person out
of a programme (INCa/HAS), the test types and their intervals, and the test named in the evidence.

Each test writes a GP's chart as a FHIR R4 bundle (tests/fhir_spec.py), reads it through the real pipeline and
asserts the exact care gap, in English and in French, or its absence.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from risk.advise import care_gaps
from risk.advise.model import CareGap
from risk.assess.snapshot import snapshot
from risk.record.load import iter_records
from tests.fhir_spec import ICD10, LOINC, SNOMED, Code, PatientSpec, write_bundle

AS_OF = date(2025, 6, 30)


def _on(days: int) -> str:
    return (AS_OF - timedelta(days=days)).isoformat()


def _gaps(folder: Path, spec: PatientSpec) -> dict[str, CareGap]:
    """The care gaps at AS_OF, French text with plain spaces (French typography puts no-break spaces before : ;)."""
    (record,) = list(iter_records(write_bundle(folder, spec)))
    features = snapshot(record, AS_OF).features.to_dict()
    plain = {ord("\u00a0"): " ", ord("\u202f"): " "}
    return {g.id: replace(g, text_fr=g.text_fr.translate(plain)) for g in care_gaps(features, as_of=AS_OF)}


def _man_60(pid: str, **chart: list[Code]) -> PatientSpec:
    return PatientSpec(id=pid, sex="male", birth="1965-03-01", **chart)


def _woman(pid: str, birth: str, **chart: list[Code]) -> PatientSpec:
    return PatientSpec(id=pid, sex="female", birth=birth, **chart)


FIT = Code(LOINC, "57905-2", _on(3000), "Hemoglobin.gastrointestinal.lower [Presence] in Stool by Immunoassay")
COLONOSCOPY_2Y = Code(SNOMED, "73761001", _on(700), "Colonoscopy")
FOLLOW_UP_EN = "Organised colorectal cancer screening (faecal immunochemical test): not through the organised programme"
FOLLOW_UP_FR = "Dépistage organisé du cancer colorectal (test immunologique) : hors dépistage organisé"


# --- colorectal -----------------------------------------------------------------------------------------------


def test_an_old_fit_is_overdue_and_named_as_the_test_done(tmp_path: Path) -> None:
    g = _gaps(tmp_path, _man_60("crc-fit", findings=[FIT]))["colorectal_screening"]
    assert not g.follow_up and g.interval_months == 24 and g.overdue_days > 0
    assert "(last test: stool test (FIT) on 13 Apr 2017; every 2 years" in g.text_en
    assert "(dernier examen : test immunologique fécal le 13/04/2017 ; tous les 2 ans" in g.text_fr


def test_a_colonoscopy_within_5_years_suspends_the_fit_for_the_gastroenterologist(tmp_path: Path) -> None:
    g = _gaps(tmp_path, _man_60("crc-colo", findings=[FIT], procedures=[COLONOSCOPY_2Y]))["colorectal_screening"]
    assert g.follow_up and not g.no_record and g.overdue_days is None
    assert g.text_en == (
        f"{FOLLOW_UP_EN} (colonoscopy on 31 Jul 2023, less than 5 years ago): the gastroenterologist sets the "
        "next examination; the organised programme may resume from 31 Jul 2028."
    )
    assert g.text_fr == (
        f"{FOLLOW_UP_FR} (coloscopie le 31/07/2023, il y a moins de 5 ans) : le gastro-entérologue fixe "
        "l'examen suivant ; le dépistage organisé peut reprendre à partir du 31/07/2028."
    )
    assert g.guideline.startswith("INCa dépistage organisé du cancer colorectal")


def test_a_colonoscopy_more_than_5_years_ago_is_not_a_fit(tmp_path: Path) -> None:
    old = Code(SNOMED, "73761001", _on(6 * 365), "Colonoscopy")
    g = _gaps(tmp_path, _man_60("crc-old-colo", procedures=[old]))["colorectal_screening"]
    assert not g.follow_up and g.no_record
    assert g.text_en.startswith("No record of organised colorectal cancer screening (faecal immunochemical test)")


def test_colorectal_cancer_adenoma_ibd_and_colectomy_go_to_specialist_follow_up(tmp_path: Path) -> None:
    charts = {
        "crc-cancer": (
            {"conditions": [Code(ICD10, "C18.7", _on(2000), "Tumeur maligne du côlon sigmoïde")]},
            "colorectal cancer in the record",
            "antécédent de cancer colorectal",
        ),
        "crc-adenoma": (
            {"conditions": [Code(ICD10, "D12.5", _on(900), "Tumeur bénigne du côlon sigmoïde")]},
            "colorectal adenoma in the record",
            "antécédent d'adénome colorectal",
        ),
        "crc-ibd": (
            {"conditions": [Code(ICD10, "K51.9", _on(5000), "Rectocolite hémorragique")]},
            "inflammatory bowel disease",
            "maladie inflammatoire chronique de l'intestin",
        ),
        "crc-colectomy": (
            {"procedures": [Code(SNOMED, "26390003", _on(3000), "Total colectomy")]},
            "(total colectomy): no stool test",
            "(colectomie totale) : pas de test dans les selles",
        ),
    }
    for pid, (chart, en, fr) in charts.items():
        g = _gaps(tmp_path, _man_60(pid, findings=[FIT], **chart))["colorectal_screening"]
        assert g.follow_up, pid
        assert g.text_en.startswith(FOLLOW_UP_EN) and en in g.text_en, g.text_en
        assert g.text_fr.startswith(FOLLOW_UP_FR) and fr in g.text_fr, g.text_fr
        if pid != "crc-colectomy":
            assert g.text_en.endswith(": colonoscopy surveillance by the gastroenterologist.")
            assert g.text_fr.endswith(" : surveillance par coloscopie chez le gastro-entérologue.")


# --- breast ---------------------------------------------------------------------------------------------------


def test_a_diagnostic_mammogram_is_not_screening(tmp_path: Path) -> None:
    symptomatic = Code(SNOMED, "241055006", _on(200), "Mammogram - symptomatic")
    g = _gaps(tmp_path, _woman("br-diag", "1963-05-01", procedures=[symptomatic]))["breast_screening"]
    assert g.no_record and not g.follow_up
    assert g.text_fr.startswith("Dépistage organisé du cancer du sein (mammographie) : aucune trace")


def test_a_screening_mammogram_closes_the_gap_and_an_old_one_is_named(tmp_path: Path) -> None:
    recent = Code(SNOMED, "24623002", _on(200), "Screening mammography")
    assert "breast_screening" not in _gaps(tmp_path, _woman("br-ok", "1963-05-01", procedures=[recent]))
    old = Code(SNOMED, "24623002", _on(900), "Screening mammography")
    g = _gaps(tmp_path, _woman("br-old", "1963-05-01", procedures=[old]))["breast_screening"]
    assert "(last test: mammography on 12 Jan 2023; every 2 years" in g.text_en
    assert "(dernier examen : mammographie le 12/01/2023 ; tous les 2 ans" in g.text_fr


def test_breast_cancer_or_bilateral_mastectomy_is_not_screened(tmp_path: Path) -> None:
    cancer = _woman("br-cancer", "1963-05-01", conditions=[Code(ICD10, "C50.4", _on(1500), "Tumeur maligne du sein")])
    g = _gaps(tmp_path, cancer)["breast_screening"]
    assert g.follow_up
    assert g.text_en.endswith("(breast cancer in the record): imaging as set by the oncology follow-up.")
    assert g.text_fr.endswith("(antécédent de cancer du sein) : imagerie selon le suivi oncologique.")
    mastectomy = _woman("br-mast", "1963-05-01", procedures=[Code(SNOMED, "27865001", _on(3000), "Bilateral")])
    g = _gaps(tmp_path, mastectomy)["breast_screening"]
    assert g.follow_up and g.text_en.endswith("(bilateral mastectomy): no screening mammography.")
    assert g.text_fr.endswith("(mastectomie bilatérale) : pas de mammographie de dépistage.")


# --- cervix ---------------------------------------------------------------------------------------------------


def test_no_cervical_screening_after_total_hysterectomy(tmp_path: Path) -> None:
    spec = _woman("cx-hyst", "1980-02-01", procedures=[Code(SNOMED, "116140006", _on(2000), "Total hysterectomy")])
    g = _gaps(tmp_path, spec)["cervical_screening"]
    assert g.follow_up
    assert g.text_en == (
        "Cervical cancer screening: not through the organised programme (total hysterectomy): no cervix left to screen."
    )
    assert g.text_fr == (
        "Dépistage du cancer du col de l'utérus : hors dépistage organisé (hystérectomie "
        "totale) : plus de col à dépister."
    )


def test_at_26_the_second_cytology_comes_one_year_after_the_first(tmp_path: Path) -> None:
    first = Code(LOINC, "33717-0", _on(400), "Cytology Cervical or vaginal smear")
    g = _gaps(tmp_path, _woman("cx-26", "1999-01-15", findings=[first]))["cervical_screening"]
    assert g.interval_months == 12 and g.overdue_days == 35
    assert "every year: cytology, woman aged 25-29: the second one year after the first" in g.text_en
    assert "tous les ans : examen cytologique, femme de 25 à 29 ans : le deuxième un an après" in g.text_fr


def test_from_30_the_first_hpv_test_comes_3_years_after_the_last_cytology(tmp_path: Path) -> None:
    cytology = Code(LOINC, "33717-0", _on(1200), "Cytology Cervical or vaginal smear")
    g = _gaps(tmp_path, _woman("cx-35", "1990-03-01", findings=[cytology]))["cervical_screening"]
    assert g.interval_months == 36 and g.overdue_days == 1200 - 1096
    assert "(last test: cervical cytology on 18 Mar 2022; every 3 years: first HPV test 3 years after" in g.text_en
    assert "(dernier examen : examen cytologique le 18/03/2022 ; tous les 3 ans : premier test HPV" in g.text_fr


def test_a_negative_hpv_test_lasts_5_years(tmp_path: Path) -> None:
    hpv = Code(LOINC, "30167-1", _on(3 * 365), "HPV DNA in Cervix")
    assert "cervical_screening" not in _gaps(tmp_path, _woman("cx-hpv", "1980-03-01", findings=[hpv]))
    old = Code(LOINC, "30167-1", _on(5 * 365 + 30), "HPV DNA in Cervix")
    g = _gaps(tmp_path, _woman("cx-hpv-old", "1980-03-01", findings=[old]))["cervical_screening"]
    assert g.interval_months == 60 and "(last test: HPV test on" in g.text_en
    assert "(dernier examen : test HPV le" in g.text_fr
