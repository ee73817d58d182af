"""Write-back to the EHR, only on the clinician's explicit action: the assessment as a RiskAssessment with its
Provenance and the Device (the software, with each model's version) that performed it, and a Task for each next
step the clinician accepts. One FHIR transaction, so that the record never holds half of it.

Refused, with a worded reason, while the record is partial (a score could be missing because a search failed),
for a patient who has died, or when the server does not accept the create (403/405). The server's ids are
returned for the page to show.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from risk import __version__ as risk_version
from risk.advise import NextStep
from risk.assess.assessment import Assessment
from risk.fhir.references import resolve_reference
from risk.i18n.labels import pick
from risk.report.fhir import risk_assessment
from risk.terminology.messages import Message

DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


class WriteBackRefused(Exception):
    """Nothing was written; `message` says why, in the catalogue's words (FR/EN)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.code)
        self.message = message


@dataclass(frozen=True, kw_only=True)
class WriteBackResult:
    risk_assessment_id: str
    provenance_id: str
    device_id: str
    task_ids: tuple[str, ...]


def _uuid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def device(a: Assessment) -> dict[str, Any]:
    """The software as the performer: its name and version, and each model's version."""
    versions = [{"type": {"text": "software"}, "value": risk_version}]
    versions += [{"type": {"text": f"model {name}"}, "value": v} for name, v in sorted(a.model_versions.items()) if v]
    return {"resourceType": "Device", "deviceName": [{"name": "risk dashboard", "type": "model-name"}],
            "type": {"text": "clinical decision support software (risk prediction)"}, "version": versions}


def task(a: Assessment, step: NextStep, *, lang: str, focus: str, now: datetime) -> dict[str, Any]:
    """A next step the clinician accepted, as a Task to do (intent `plan`), citing its guideline."""
    return {"resourceType": "Task", "status": "requested", "intent": "plan", "priority": "routine",
            "code": {"text": step.action},
            "description": pick((step.text_en, step.text_fr), lang),
            "for": {"reference": f"Patient/{a.record.patient_id}"},
            "focus": {"reference": focus},
            "authoredOn": now.isoformat(timespec="seconds"),
            "reasonReference": {"reference": focus},
            "note": [{"text": f"{step.guideline} ({step.year}), class {step.recommendation_class}, "
                              f"level {step.evidence_level}"}]}


def refusal(a: Assessment) -> Message | None:
    """Why this assessment must not be written back (partial record, deceased patient), or None."""
    if a.partial:
        return Message(code="writeback.partial", params={"types": ", ".join(g.resource_type for g in a.fetch_gaps)})
    if a.deceased:
        return Message(code="writeback.deceased", params={})
    return None


def transaction(a: Assessment, *, lang: str, accepted: Sequence[NextStep] = (),
                now: datetime | None = None) -> dict[str, Any]:
    """The transaction Bundle that writes this assessment (refused while partial or for a deceased patient)."""
    if (reason := refusal(a)) is not None:
        raise WriteBackRefused(reason)
    now = now or datetime.now(UTC)
    dev_ref, ra_ref, prov_ref = _uuid(), _uuid(), _uuid()
    ra = risk_assessment(a, lang=lang, now=now)
    del ra["id"]
    ra["performer"] = {"reference": dev_ref}
    tasks = [(_uuid(), task(a, s, lang=lang, focus=ra_ref, now=now)) for s in accepted]
    provenance = {
        "resourceType": "Provenance", "target": [{"reference": ra_ref}, *({"reference": u} for u, _ in tasks)],
        "recorded": now.isoformat(timespec="seconds"),
        "activity": {"coding": [{"system": DATA_OPERATION, "code": "CREATE"}]},
        "agent": [{"type": {"coding": [{"system": PROVENANCE_AGENT, "code": "assembler"}]},
                   "who": {"reference": dev_ref}}],
        "entity": [{"role": "source", "what": {"reference": b["reference"]}} for b in ra["basis"]],
    }
    entries = [(dev_ref, device(a)), (ra_ref, ra), *tasks, (prov_ref, provenance)]
    return {"resourceType": "Bundle", "type": "transaction",
            "entry": [{"fullUrl": u, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
                      for u, r in entries]}


def write_back(base_url: str, a: Assessment, *, token: str | None, lang: str = "en",
               accepted: Sequence[NextStep] = (), timeout: float = 30) -> WriteBackResult:
    """POST the transaction; the ids the server gave, or WriteBackRefused with a worded reason."""
    bundle = transaction(a, lang=lang, accepted=accepted)
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        answer = requests.post(base_url.rstrip("/"), json=bundle, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise WriteBackRefused(Message(code="writeback.unreachable", params={"error": type(exc).__name__})) from None
    if answer.status_code in (401, 403, 405):
        raise WriteBackRefused(Message(code="writeback.not_allowed", params={"status": answer.status_code}))
    if answer.status_code >= 300:
        raise WriteBackRefused(Message(code="writeback.failed", params={"status": answer.status_code}))
    try:
        got = answer.json()["entry"]
        ids = []
        for sent, entry in zip(bundle["entry"], got, strict=True):
            ref = resolve_reference(entry["response"]["location"])
            if ref is None or ref[0] != sent["resource"]["resourceType"]:
                raise ValueError(entry["response"]["location"])
            ids.append(ref[1])
    except (ValueError, KeyError, TypeError):
        raise WriteBackRefused(Message(code="writeback.unreadable", params={})) from None
    return WriteBackResult(device_id=ids[0], risk_assessment_id=ids[1], task_ids=tuple(ids[2:-1]),
                           provenance_id=ids[-1])


def done_message(result: WriteBackResult) -> Message:
    """What the page says after a write-back: the ids the server gave."""
    tasks = "".join(f", Task/{t}" for t in result.task_ids)
    return Message(code="writeback.done", params={"ra": result.risk_assessment_id, "prov": result.provenance_id,
                                                  "tasks": tasks})
