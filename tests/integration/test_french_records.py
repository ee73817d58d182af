"""French GP records through files: a "Non-fumeur" gets SCORE2, a systolic pressure written as the JSON string
"140" gets none and says why, smoking diagnoses count (and a never-smoker status that contradicts them is not
used, with an issue), and every resource of every sample and published example that does not reach the record is
accounted for by a data-quality issue or the documented ignore list."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from risk.assess.snapshot import snapshot
from risk.equations import reference_scores
from risk.fhir import open_source
from risk.fhir.bundle import BundleFileSource
from risk.i18n.messages import message_text
from risk.record import DataIssue, PatientRecord
from risk.record.build import IGNORED, IGNORED_TYPES, OUT_OF_SCOPE, READ, build_record
from risk.record.load import iter_records
from tests.fhir_factories import patient, write_ndjson
from tests.fhir_spec import BP, ICD10, SNOMED, Code, Lab, PatientSpec, write_bundle
from tests.paths import SAMPLES, SHARED

AS_OF = date(2025, 3, 1)
EXAMPLES = SHARED / "fhir_samples" / "french_ig_examples"


def gp_record(tmp_path: Path, **kw) -> PatientRecord:
    """A French GP's record of a 58-year-old man: lipids in g/L, a BP panel, smoking as given."""
    base = dict(
        id="gp",
        sex="male",
        birth="1966-05-10",
        labs=[Lab("total_chol", 2.2, "g/L", "2025-01-15"), Lab("hdl", 0.5, "g/L", "2025-01-15")],
        bp=[BP(142, 86, "2025-01-15")],
        smoking=("non_smoker", "2025-01-15"),
    )
    base.update(kw)
    return next(iter_records(write_bundle(tmp_path, PatientSpec(**base))))


def scores(rec: PatientRecord, as_of: date = AS_OF) -> dict:
    return reference_scores(snapshot(rec, as_of).features.to_dict(), region="low")


def test_a_non_smoker_snomed_8392000_gets_score2(tmp_path):
    rec = gp_record(tmp_path)
    features = snapshot(rec, AS_OF).features
    assert features["smoking_current"] == 0.0 and math.isnan(features["smoking_former"])  # never/former unknown
    score = scores(rec)["score2"]
    assert score.status == "computed" and score.inputs["smoking_current"]["value"] in (0, 0.0, False)


def test_a_systolic_pressure_written_as_a_json_string_gets_no_score2_and_says_why(tmp_path):
    sbp = {
        "resourceType": "Observation",
        "id": "sbp-text",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": "urn:uuid:gp"},
        "effectiveDateTime": "2025-01-15",
        "valueQuantity": {"value": "140", "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
    }
    rec = gp_record(tmp_path, bp=[], extra=[sbp])
    assert not [m for m in rec.measurements if m.concept == "sbp"]
    issue = next(i for i in rec.issues if i.source_id == "Observation/sbp-text")
    assert message_text(issue.as_message(), "en") == (
        "Systolic BP: value '140' is written as text in a Quantity (invalid FHIR); not used"
    )
    assert message_text(issue.as_message(), "fr").startswith(
        "PA systolique\u00a0: la valeur '140' est écrite comme texte dans une Quantity (FHIR invalide)"
    )
    score = scores(rec)["score2"]
    assert score.status == "not_computable" and "systolic" in score.reason


def test_smoking_diagnoses_count_and_a_contradicting_never_smoker_status_is_not_used(tmp_path):
    """Trey Leffler's shape: an active 'Smokes tobacco daily' Condition since 2003, then yearly 'Never smoker'."""
    never = [
        dict(
            id=f"never-{y}",
            status="final",
            resourceType="Observation",
            code={"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
            subject={"reference": "urn:uuid:gp"},
            effectiveDateTime=f"{y}-07-25",
            valueCodeableConcept={"coding": [{"system": SNOMED, "code": "266919005"}]},
        )
        for y in (2019, 2024)
    ]
    rec = gp_record(
        tmp_path,
        smoking=None,
        extra=never,
        conditions=[Code(SNOMED, "449868002", "2003-08-18", "Smokes tobacco daily")],
    )
    issue = next(i for i in rec.issues if i.code == "record.smoking_conflict")
    assert message_text(issue.as_message(), "en") == (
        "Smoking status 'never smoked' (2024-07-25, 2 observation(s)) contradicts 'Smokes tobacco daily' "
        "(2003-08-18, Condition/gp-cond-0); the never-smoker status is not used: check with the patient"
    )
    assert message_text(issue.as_message(), "fr").startswith(
        "Statut tabagique « non-fumeur » (25/07/2024, 2 observation(s)) contredit par « Smokes tobacco daily » "
        "(18/08/2003, Condition/gp-cond-0)"
    )
    status = rec.latest("smoking_status")
    assert status is not None and (status.value, status.derived, status.source_id) == (2.0, True, "Condition/gp-cond-0")
    assert snapshot(rec, AS_OF).features["smoking_current"] == 1.0


@pytest.mark.parametrize(
    ("code", "system", "value"),
    [("F17.2", ICD10, 2.0), ("Z72.0", ICD10, 2.0), ("Z87.891", "http://hl7.org/fhir/sid/icd-10-cm", 1.0)],
)
def test_cim10_smoking_diagnoses_give_the_smoking_status(tmp_path, code, system, value):
    rec = gp_record(tmp_path, smoking=None, conditions=[Code(system, code, "2024-02-01", code)])
    status = rec.latest("smoking_status")
    assert status is not None and status.value == value and status.derived
    assert not [i for i in rec.issues if i.code == "record.smoking_conflict"]


def test_trey_leffler_is_no_longer_a_silent_never_smoker():
    rec = next(iter_records(next(SAMPLES.glob("Trey_Leffler_*.json.gz"))))
    assert [i.code for i in rec.issues if i.concept == "smoking_status"] == ["record.smoking_conflict"]
    assert snapshot(rec, date(2021, 1, 1)).features["smoking_current"] == 1.0


def lipid_flags(rec: PatientRecord) -> dict[str, DataIssue]:
    """The inconsistent-panel issues by concept, after checking that all three values are flagged."""
    flagged = {i.concept: i for i in rec.issues if i.code == "record.lipid_panel_inconsistent"}
    assert sorted(flagged) == ["hdl", "ldl", "total_chol"]
    return flagged  # type: ignore[return-value]


def panel(total: float, hdl: float, ldl: float) -> list[Lab]:
    """A lipid panel of 2025-01-15 in mmol/L."""
    return [Lab(c, v, "mmol/L", "2025-01-15") for c, v in (("total_chol", total), ("hdl", hdl), ("ldl", ldl))]


def test_a_consistent_lipid_panel_is_kept_and_an_inconsistent_one_is_not_used(tmp_path):
    ok = gp_record(tmp_path, labs=panel(5.2, 1.3, 3.1))
    assert {m.concept for m in ok.measurements} >= {"total_chol", "hdl", "ldl"}
    assert not [i for i in ok.issues if i.code == "record.lipid_panel_inconsistent"]
    bad = gp_record(tmp_path, labs=panel(4.0, 1.5, 3.2))
    assert not {m.concept for m in bad.measurements} & {"total_chol", "hdl", "ldl"}
    ldl = lipid_flags(bad)["ldl"]
    assert message_text(ldl.as_message(), "en") == (
        "LDL cholesterol not used: in the lipid panel of 2025-01-15, LDL 3.2 + HDL 1.5 mmol/L exceed total "
        "cholesterol 4 mmol/L"
    )
    assert message_text(ldl.as_message(), "fr") == (
        "LDL-cholestérol non retenu\u00a0: dans le bilan lipidique du 15/01/2025, LDL 3,2 + HDL 1,5 mmol/L "
        "dépassent le cholestérol total 4 mmol/L"
    )


# ---------------------------------------------------------------------------- nothing vanishes without a word
ISSUE_OF_REASON = {
    "unknown_system": "record.dropped_unknown_system",
    "unrecognised_medication": "record.dropped_unrecognised_medication",
    "unsupported_type": "record.dropped_unsupported_type",
    "no_subject": "record.dropped_no_subject",
    "other_subject": "record.dropped_other_subject",
    "sibling_subject": "record.sibling_subject",
    "unresolved_medication": "record.dropped_unresolved_medication",
    "not_treatment": "record.dropped_not_treatment",
    "status_excluded": "record.dropped_status",
}
FILES = sorted([*SAMPLES.glob("*.json*"), *EXAMPLES.glob("*.json")])


@pytest.mark.parametrize("path", FILES, ids=[p.name.split("_")[0].removesuffix(".json") for p in FILES])
def test_every_resource_reaches_the_record_or_is_accounted_for(path):
    source = BundleFileSource(path)
    loaded = source.patient(source.patient_ids()[0])
    fates: dict[str, str] = {}
    rec = build_record(loaded.patient, [*loaded.resources, *loaded.unlinked], fates=fates)
    resources = [r for r in (*loaded.resources, *loaded.unlinked) if r["resourceType"] != "Bundle"]
    ids = {f"{r['resourceType']}/{r.get('id')}" for r in resources}
    assert {k for k in fates if not k.startswith("Bundle/")} == ids  # every resource got a fate
    reached = {x.source_id for x in (*rec.measurements, *rec.diagnoses, *rec.medications, *rec.encounters, *rec.issues)}
    reached |= {sid for i in rec.issues for sid in i.params.get("source_ids", ())}  # values an issue set aside
    told = " ".join(i.message for i in rec.issues)
    counts = Counter(fates.values())
    for sid, fate in fates.items():
        rtype = sid.split("/")[0]
        if fate == READ:
            assert sid in reached or sid.split("/", 1)[1] in told, sid  # a value, a diagnosis, a drug or an issue
        elif fate == IGNORED:
            assert rtype in IGNORED_TYPES, sid
        elif fate != OUT_OF_SCOPE:  # a known code system, not a risk concept
            assert fate in ISSUE_OF_REASON, (sid, fate)
    for reason, code in ISSUE_OF_REASON.items():  # one issue per reason, with the count
        issues = [i for i in rec.issues if i.code == code]
        assert len(issues) == (1 if counts[reason] else 0), reason
        if issues:
            assert issues[0].params["count"] == counts[reason]


# ---------------------------------------------------------------------------- bulk export: shared Medications
def _bulk(folder: Path, one_file: bool) -> Path:
    """A bulk export where p1's and p2's prescriptions name a Medication of Medication.ndjson (no patient)."""
    folder.mkdir()
    atorva = {
        "resourceType": "Medication",
        "id": "atorva",
        "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "C10AA05"}]},
    }
    requests = [
        {
            "resourceType": "MedicationRequest",
            "id": f"rx-{p}",
            "status": "active",
            "intent": "order",
            "subject": {"reference": f"Patient/{p}"},
            "authoredOn": "2025-01-10",
            "medicationReference": {"reference": "Medication/atorva"},
        }
        for p in ("p1", "p2")
    ]
    write_ndjson(folder / "Patient.000.ndjson", [patient("p1"), patient("p2")])
    if one_file:  # the requests come before the Medication they name
        write_ndjson(folder / "all.000.ndjson", [*requests, atorva])
    else:
        write_ndjson(folder / "Medication.000.ndjson", [atorva])
        write_ndjson(folder / "MedicationRequest.000.ndjson", requests)
    return folder


@pytest.mark.parametrize("one_file", [False, True], ids=["by-type", "request-first"])
def test_a_bulk_export_medication_is_shared_by_every_patient_that_references_it(tmp_path, one_file):
    folder = _bulk(tmp_path / "export", one_file)
    streamed = {r.patient_id: r for r in iter_records(folder)}  # one pass, compact state
    asked = next(iter_records(folder, "p2"))  # one patient: the Medication is fetched too
    grouped = [build_record(p.patient, [*p.resources, *p.unlinked]) for p in open_source(folder).iter_patients()]
    for rec in (streamed["p1"], streamed["p2"], asked, *grouped):
        assert [(m.concept, m.source_id) for m in rec.medications] == [
            ("statin", f"MedicationRequest/rx-{rec.patient_id}")
        ]
        assert not [i for i in rec.issues if i.code == "record.dropped_unresolved_medication"]
