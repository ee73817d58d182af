"""The audit log as FHIR R4 AuditEvent resources, following the IHE Basic Audit Log Patterns (BALP).

A patient-linked read (opening the chart, a CDS card, a what-if, the model page) follows
`IHE.BasicAudit.PatientRead`: type `rest`, subtype `read`, action `R`, the client as Source Role ID, this
product as Destination Role ID, the user as the requesting agent, and one entity for the patient. A download or
an export is a DICOM `110106 Export`; a clinician's feedback on a card (accepted / overridden) an `update`.

How the patient is referenced (a choice, documented here and in the README): the local log never holds a
patient id, so neither does its export. `entity.what` is a logical reference by identifier: system
`PSEUDONYM_SYSTEM`, value the keyed pseudonym of the log (HMAC-SHA256 of the id, 24 hex). Whoever holds the
audit key (the data controller, e.g. answering a patient's access request) computes the pseudonym of a known
id with `risk.audit.pseudonym` and finds that patient's events; a reader of the export without the key cannot
go back to the id. The chain position (`seq`, `hash`, `prev`) travels in `entity.detail` of a second entity, so
an exported event can be checked against the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/"
PSEUDONYM_SYSTEM = "urn:risk:audit:patient-pseudonym"
_DCM = "http://dicom.nema.org/resources/ontology/DCM"
_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
_RESTFUL = "http://hl7.org/fhir/restful-interaction"
_READ = ("read", "R", BALP + "IHE.BasicAudit.PatientRead")
_EXPORT = ("export", "R", None)
_UPDATE = ("update", "U", BALP + "IHE.BasicAudit.PatientUpdate")
_CREATE = ("create", "C", BALP + "IHE.BasicAudit.PatientCreate")
# action of the log -> (kind, AuditEvent.action, BALP profile when the entry names a patient)
KINDS: dict[str, tuple[str, str, str | None]] = {
    "view_patient": _READ, "what_if": _READ, "view_models": _READ, "open_from_panel": _READ,
    "cds_patient_view": _READ, "score_panel": _READ,
    "download_report_pdf": _EXPORT, "download_fhir_risk_assessment": _EXPORT, "export_panel_csv": _EXPORT,
    "worklist_status": _UPDATE, "cds_feedback": _UPDATE, "write_back_risk_assessment": _CREATE,
}


def _agent(type_code: str, type_display: str, who: str, *, requestor: bool) -> dict[str, Any]:
    return {"type": {"coding": [{"system": _DCM, "code": type_code, "display": type_display}]},
            "who": {"identifier": {"value": who}}, "requestor": requestor}


def audit_event(entry: Mapping[str, Any], *, observer: str = "risk") -> dict[str, Any]:
    """One log entry as an AuditEvent (R4). `observer` names this deployment (AuditEvent.source.observer)."""
    kind, action, profile = KINDS.get(str(entry.get("action")), _READ)
    if kind == "export":
        type_, subtype = {"system": _DCM, "code": "110106", "display": "Export"}, []
    else:
        type_ = {"system": _EVENT_TYPE, "code": "rest", "display": "Restful Operation"}
        subtype = [{"system": _RESTFUL, "code": kind, "display": kind}]
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(entry["hash"]),
        "type": type_,
        "action": action,
        "recorded": entry["time"],
        "outcome": "0",
        "outcomeDesc": str(entry["action"]),
        "agent": [
            {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                                  "code": "humanuser", "display": "human user"}]},
             "who": {"identifier": {"value": str(entry.get("user") or "anonymous")}}, "requestor": True},
            _agent("110153", "Source Role ID", str(entry.get("source") or "app"), requestor=False),
            _agent("110152", "Destination Role ID", observer, requestor=False),
        ],
        "source": {"observer": {"display": observer},
                   "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4",
                             "display": "Application Server"}]},
        "entity": [],
    }
    if subtype:
        event["subtype"] = subtype
    if entry.get("patient"):
        if profile:
            event["meta"] = {"profile": [profile]}
        event["entity"].append({
            "what": {"identifier": {"system": PSEUDONYM_SYSTEM, "value": str(entry["patient"])}},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1",
                     "display": "Person"},
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1",
                     "display": "Patient"},
        })
    details = [{"type": k, "valueString": str(entry[k])} for k in ("seq", "prev", "hash") if k in entry]
    details += [{"type": k, "valueString": str(entry[k])} for k in ("outcome", "reason", "writeback")
                if entry.get(k)]
    details += [{"type": f"model:{k}", "valueString": str(v)} for k, v in sorted((entry.get("models") or {}).items())]
    details += [{"type": f"shown:{k}", "valueString": str(v)} for k, v in sorted((entry.get("shown") or {}).items())]
    event["entity"].append({
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2",
                 "display": "System Object"},
        "description": "audit log entry",
        "detail": details,
    })
    return event


def audit_events(entries: Iterable[Mapping[str, Any]], *, observer: str = "risk") -> list[dict[str, Any]]:
    return [audit_event(e, observer=observer) for e in entries]
