"""`risk inspect` on the published French (and comparison) FHIR examples gives what
shared/reference/french_ig_findings.md section 4 expects: inputs, diagnoses, drug classes, issues and the published
equations (never the synthetic models' numbers). The bundles are read from ../shared, unchanged: their own defects
(README of shared/fhir_samples/french_ig_examples) are part of what the reader must survive."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from risk.assess.snapshot import snapshot
from risk.cli import main
from risk.equations import reference_scores
from risk.fhir.bundle import BundleFileSource
from risk.i18n.messages import message_text
from risk.record import PatientRecord
from risk.record.build import flatten
from risk.record.load import iter_records
from tests.integration.test_french_records import lipid_flags
from tests.paths import SHARED

EXAMPLES = SHARED / "fhir_samples" / "french_ig_examples"
pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/fhir_samples is not beside the repository")


def inspect_json(capsys: pytest.CaptureFixture[str], name: str, as_of: str) -> dict:
    """`risk inspect FILE --format json --as-of DATE`, parsed."""
    assert main(["inspect", str(EXAMPLES / name), "--format", "json", "--as-of", as_of]) == 0
    return json.loads(capsys.readouterr().out)


def record(name: str) -> PatientRecord:
    return next(iter_records(EXAMPLES / name))


def inputs(report: dict) -> dict[str, float]:
    return {row["concept"]: row["value"] for row in report["inputs"]}


def classes(report: dict) -> set[str]:
    return {m["class"] for m in report["medications"]}


def diagnoses(report: dict) -> set[str]:
    return {d["concept"] for d in report["diagnoses"]}


def issue(rec: PatientRecord, code: str) -> tuple[str, str]:
    """(English, French) text of the one issue with this code."""
    found = [i for i in rec.issues if i.code == code]
    assert len(found) == 1, (code, [i.code for i in rec.issues])
    return message_text(found[0].as_message(), "en"), message_text(found[0].as_message(), "fr")


def equations(name: str, as_of: str) -> dict:
    snap = snapshot(record(name), date.fromisoformat(as_of))
    return reference_scores(snap.features.to_dict(), region="low")


def test_synthese_medicale_type1_diabetes_angioplasty_statin_and_an_unconfirmed_tia(capsys):
    name = "fr-ips-fr-synthese-medicale.json"
    report = inspect_json(capsys, name, "2025-10-09")
    found = {d["concept"]: d for d in report["diagnoses"]}
    assert found["diabetes_type1"]["onset"] == "2023-07-05" and "T89" in found["diabetes_type1"]["code"]
    assert found["coronary_revascularisation"]["onset"] == "2018-01-14"
    assert "DDAF004" in found["coronary_revascularisation"]["code"]
    # the unconfirmed TIA is not a diagnosis (it would make "very high risk" and antiplatelet advice), and the
    # N10 coded "Infarctus transmural inférieur" is a pyelonephritis code: the code wins over the display
    assert not diagnoses(report) & {"tia", "myocardial_infarction", "coronary_heart_disease"}
    assert round(inputs(report)["bmi"], 1) == 22.7
    smoking = next(r for r in report["inputs"] if r["concept"] == "smoking_status")
    assert (smoking["text"], smoking["date"]) == ("current", "2025-10-09")  # undated: the document's date
    rec = record(name)
    statin = [m for m in rec.medications if m.concept == "statin"]
    assert [(m.source_id, m.start.date().isoformat()) for m in statin] == [
        ("MedicationAdministration/MedicationAdministration-Exemple-3", "2021-12-04")
    ]
    en, fr = issue(rec, "record.condition_unconfirmed")
    assert en == (
        "Condition 'Accident Ischémique Cérébral Transitoire' is not confirmed (verification status "
        "unconfirmed); not counted as a diagnosis"
    )
    assert fr.startswith("Diagnostic « Accident Ischémique Cérébral Transitoire » non confirmé")
    assert sum(i.code == "record.dated_from_document" for i in rec.issues) == 2  # smoking status, pack-years
    en, fr = issue(rec, "record.dropped_unresolved_medication")
    assert "urn:uuid:26349c4d2-bdba-41b1-b5d6-1ce8c359205d" in en and "médicament absent du dossier" in fr
    # established ASCVD (revascularisation): SCORE2 does not apply, and says why
    result = equations(name, "2025-10-09")["score2"]
    assert result.status == "not_applicable" and "revascularisation" in message_text(result.message, "en")


def test_eds_hypertension_from_the_claim_and_kidney_function_from_the_panel_all_after_the_death(capsys):
    name = "fr-eds-socle-commun.json"
    source = BundleFileSource(EXAMPLES / name)
    loaded = source.patient(source.patient_ids()[0])
    flat = flatten([*loaded.resources, *loaded.unlinked], patient_id=loaded.patient_id)
    read = {(m.concept, m.value, m.source_id) for m in flat.measurements}
    panel = "Observation/laboratory-fonction-renale-example-1"
    assert {
        ("creatinine", 80.0, panel),
        ("egfr", 80.0, panel),
        ("sbp", 107.0, "Observation/blood-pressure-example-1"),
    } <= read  # read from the panel's components
    claim = next(d for d in flat.diagnoses if d.concept == "hypertension")
    assert (claim.source_id, claim.code, claim.onset.date().isoformat()) == (
        "Claim/claim-example-1",
        "https://interop.esante.gouv.fr/ig/fhir/eds/CodeSystem/CIM10|I10",
        "2024-10-10",
    )
    # the patient died on 2024-07-12: the vital signs (07-26), the panel (08-27) and the PMSI stay (10-10) are
    # dated after the death, so each is shown as an issue and not used (risk.record, issue 12)
    report = inspect_json(capsys, name, "2024-11-01")
    assert report["patient"]["deceased"] == "2024-07-12"
    assert not {"creatinine", "egfr", "sbp", "hypertension"} & (set(inputs(report)) | diagnoses(report))
    rec = record(name)
    late = {(i.concept, i.source_id) for i in rec.issues if i.code in ("record.after_death", "record.after_death_item")}
    assert {("creatinine", panel), ("egfr", panel), ("hypertension", "Claim/claim-example-1")} <= late
    # 26 pack-years prove ever-smoking, not current smoking: the smoking status stays unknown
    assert "smoking_ever" in diagnoses(report) and "smoking_status" not in inputs(report)


def test_eprescription_raw_sibling_subject_references_are_read_and_reported(capsys):
    name = "fr-eprescription-metformine-gliclazide-RAW.json"
    rec = record(name)
    en, fr = issue(rec, "record.sibling_subject")
    assert en.startswith("MedicationRequest: 2 point to the patient as '#patient-Trad-Presc-Alt-METFORMINE")
    assert "rattaché(s) à ce patient" in fr
    assert_option_pair_is_one_untaken_therapy(capsys, name, rec)


def test_eprescription_option_pair_is_one_therapy_and_ends_with_its_dosage(capsys):
    name = "fr-eprescription-metformine-gliclazide.json"
    rec = record(name)
    assert not [i for i in rec.issues if i.code == "record.sibling_subject"]
    assert_option_pair_is_one_untaken_therapy(capsys, name, rec)


def assert_option_pair_is_one_untaken_therapy(capsys, name: str, rec: PatientRecord) -> None:
    """Metformin or gliclazide (intent option, one group): one glucose-lowering therapy while it runs, which drug
    not known (so neither class), ended on 2025-05-31 with its dosage bounds."""
    en, fr = issue(rec, "record.medication_options_one")
    assert "GLICLAZIDE ARW 30MG CPR LM / METFORMINE ACC 1000MG CPR" in en
    assert "counted as one therapy (glucose-lowering drug)" in en
    assert "comptées comme un seul traitement (hypoglycémiant)" in fr
    running = inspect_json(capsys, name, "2025-05-15")
    assert classes(running) == {"glucose_lowering"}  # one therapy: neither metformin nor a sulfonylurea
    assert {m["class"]: m["display"] for m in running["medications"]}["glucose_lowering"] == (
        "GLICLAZIDE ARW 30MG CPR LM / METFORMINE ACC 1000MG CPR")
    features = snapshot(rec, date(2025, 5, 15)).features
    assert (features["on_glucose_lowering"], features["rx_metformin"], features["rx_sulfonylurea"]) == (1, 0, 0)
    assert classes(inspect_json(capsys, name, "2026-12-07")) == set()  # nothing current in December 2026


def test_eprescription_ucd_composite_classes_while_each_prescription_runs(capsys):
    name = "fr-eprescription-ucd-composite.json"
    # bisoprolol: UCD line on a Medication entry referenced as '#medication-...', bounded 2021-08-13 -> 2021-11-20
    assert "beta_blocker" in classes(inspect_json(capsys, name, "2021-09-01"))
    assert "beta_blocker" not in classes(inspect_json(capsys, name, "2021-12-01"))
    running = classes(inspect_json(capsys, name, "2025-08-01"))
    # GLUCOPHAGE and NOVORAPID by brand (UCD has no public mapping), LOVENOX and the SMS énoxaparine entry
    assert {"insulin", "metformin", "anticoagulant_parenteral", "anticoagulant_vka"} <= running
    assert "sulfonylurea" not in running  # the gliclazide option is not a current therapy
    by_source = {m.source_id.split("/")[1]: m.concept for m in record(name).medications}
    assert by_source["medicationrequest-HAS-25-NOVORAPID"] == "insulin"
    assert by_source["medicationrequest-HAS-27-1-presc-GLUCOPHAGE"] == "metformin"
    assert by_source["medicationrequest-HAS-28-Presc-LOVENOX"] == "anticoagulant_parenteral"
    assert by_source["medicationrequest-HAS-12-3-Presc-Enoxaparine"] == "anticoagulant_parenteral"
    en, fr = issue(record(name), "record.dropped_unrecognised_medication")
    assert "AMIODARONE 200 mg comprimé" in en and "NICORETTESKIN" in en and "non reconnu(s)" in fr


@pytest.mark.parametrize("name", ["fr-mesures-pierre-durand.json", "fr-mesures-bundle-bio-003-with-patient.json"])
def test_mesures_inconsistent_lipid_panel_and_nos_loinc_glucose(capsys, name):
    report = inspect_json(capsys, name, "2025-10-01")
    values = inputs(report)
    assert not {"total_chol", "hdl", "ldl", "non_hdl"} & set(values)  # LDL 7.8 + HDL 2.8 > TC 0.4: none used
    assert values["triglycerides"] == 5.6
    rec = record(name)
    hdl = lipid_flags(rec)["hdl"]
    assert message_text(hdl.as_message(), "en") == (
        "HDL cholesterol not used: in the lipid panel of 2024-10-15, LDL 7.8 + HDL 2.8 mmol/L exceed total "
        "cholesterol 0.4 mmol/L"
    )
    assert "dépassent le cholestérol total" in message_text(hdl.as_message(), "fr")
    assert any(i.concept == "total_chol" and i.code == "record.implausible" for i in rec.issues)
    # the glycémie under ANS's NOS URI for LOINC, mis-coded 4548-4 (HbA1c) in mg/dL: recognised, then refused
    nos = [i for i in rec.issues if i.source_id == "Observation/8057b6ec-1417-4f1f-9a00-b0c46e7e71b1"]
    assert [i.code for i in nos] == ["unit.unknown_hba1c"]
    if name == "fr-mesures-pierre-durand.json":
        assert round(values["hba1c"], 1) == 47.5  # 6.5 %


def test_telesurveillance_non_ucum_weight_is_refused(capsys):
    rec = record("fr-telesurveillance.json")
    assert [i.code for i in rec.issues if i.concept == "weight"] == ["unit.unknown"]
    assert not [m for m in rec.measurements if m.concept == "weight"]


def test_ips_all_sections_positive_control(capsys):
    name = "intl-ips-all-sections.json"
    values = inputs(inspect_json(capsys, name, "2024-09-01"))
    assert {
        "sbp",
        "dbp",
        "total_chol",
        "hdl",
        "ldl",
        "non_hdl",
        "triglycerides",
        "bmi",
        "weight",
        "smoking_status",
    } <= set(values)
    assert round(100 * equations(name, "2024-09-01")["score2"].risk, 2) == 6.35
    later = equations(name, "2026-12-07")["score2"]
    assert later.name == "SCORE2-OP" and round(100 * later.risk, 1) == 6.7


def test_ips_bundle_hba1c_and_medication_statements_through_medication_entries(capsys):
    name = "intl-ips-bundle-01.json"
    assert round(inputs(inspect_json(capsys, name, "2018-01-01"))["hba1c"], 1) == 58.5
    rec = record(name)  # anastrozole (ATC L02BG03) is read and out of scope: not an unresolved reference
    assert not [i for i in rec.issues if i.code == "record.dropped_unresolved_medication"]


@pytest.mark.parametrize("name", ["intl-us-core.json", "intl-us-core-patient-2024.json"])
def test_us_core_sex_from_the_extension_pack_years_and_a_floored_age(capsys, name):
    report = inspect_json(capsys, name, "2026-12-07")
    assert report["patient"]["sex"] == "female"
    assert "smoking_ever" in diagnoses(report)
    assert main(["inspect", str(EXAMPLES / name), "--as-of", "2026-12-07"]) == 0
    assert "(age 39 on 2026-12-07)" in capsys.readouterr().out  # 39.8 years: floored, not rounded to 40


def test_every_example_file_has_a_test():
    tested = {
        "fr-ips-fr-synthese-medicale.json",
        "fr-eds-socle-commun.json",
        "fr-eprescription-ucd-composite.json",
        "fr-eprescription-metformine-gliclazide-RAW.json",
        "fr-eprescription-metformine-gliclazide.json",
        "fr-mesures-pierre-durand.json",
        "fr-mesures-bundle-bio-003-with-patient.json",
        "fr-telesurveillance.json",
        "intl-ips-all-sections.json",
        "intl-ips-bundle-01.json",
        "intl-us-core.json",
        "intl-us-core-patient-2024.json",
    }
    assert {p.name for p in Path(EXAMPLES).glob("*.json")} == tested
