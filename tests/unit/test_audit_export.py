"""The audit log exported as FHIR R4 AuditEvent (IHE BALP): valid resources, the patient only as a pseudonym."""

from __future__ import annotations

import json

from fhir.resources.R4B.auditevent import AuditEvent

from risk import audit
from risk.audit.export import BALP, PSEUDONYM_SYSTEM, audit_event
from risk.cli import main
from risk.errors import ExitCode
from tests.app_fixtures import JP


def test_a_chart_opening_is_a_balp_patient_read_that_references_the_pseudonym_not_the_id(tmp_path):
    log = tmp_path / "audit.log"
    e = audit.record("cds_patient_view", patient_id=JP, user="dr.house", log=log, key="k",
                     source="iss=https://ehr.example.org tenant=t1", models={"cvd10": "2026.1"},
                     shown={"score2": 0.051})
    event = audit_event(e)
    AuditEvent.model_validate(event)  # a valid R4 resource
    assert event["meta"]["profile"] == [BALP + "IHE.BasicAudit.PatientRead"]
    assert event["type"]["code"] == "rest" and event["subtype"][0]["code"] == "read" and event["action"] == "R"
    patient = event["entity"][0]
    assert patient["role"]["code"] == "1" and patient["what"] == {
        "identifier": {"system": PSEUDONYM_SYSTEM, "value": audit.pseudonym(JP, key="k")}}
    assert JP not in json.dumps(event)
    details = {d["type"]: d["valueString"] for d in event["entity"][1]["detail"]}
    assert details["hash"] == e["hash"] and details["seq"] == "1" and details["model:cvd10"] == "2026.1"
    sources = [a["who"]["identifier"]["value"] for a in event["agent"]]
    assert sources == ["dr.house", "iss=https://ehr.example.org tenant=t1", "risk"]


def test_export_writes_ndjson_of_valid_audit_events_and_refuses_a_broken_chain(tmp_path, capsys):
    log = tmp_path / "audit.log"
    audit.record("view_patient", patient_id=JP, log=log, key="k")
    audit.record("download_report_pdf", patient_id=JP, log=log, key="k")
    audit.record("cds_feedback", patient_id=JP, log=log, key="k", outcome="accepted")
    out = tmp_path / "audit.ndjson"
    assert main(["audit", "export", "--log", str(log), "--out", str(out)]) == ExitCode.OK
    events = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [e["action"] for e in events] == ["R", "R", "U"] and events[1]["type"]["code"] == "110106"
    for e in events:
        AuditEvent.model_validate(e)
    log.write_text(log.read_text(encoding="utf-8").replace('"accepted"', '"overridden"'), encoding="utf-8")
    assert main(["audit", "export", "--log", str(log), "--out", str(out)]) == ExitCode.AUDIT_TAMPERED
    assert "line 3" in capsys.readouterr().err
