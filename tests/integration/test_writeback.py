"""Write-back against SEKMET (issue 14, acceptance 1): the RiskAssessment, its Provenance and Device, and a Task
for an accepted step are written in one transaction and read back through fhirpy; a server that refuses the
create, and a partial record, get a worded refusal and nothing is written."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache

import pytest
from fhirpy import SyncFHIRClient

from risk.assess.assessment import Assessment, assess
from risk.assess.snapshot import snapshot
from risk.fhir.base import FetchGap
from risk.fhir.server import ServerSource
from risk.i18n.messages import message_text
from risk.models.registry import LoadedModel, load_all
from risk.record.load import record_from_resources
from risk.report.fhir import OUTCOME_SYSTEM
from risk.report.writeback import WriteBackRefused, write_back
from tests.conftest_server import FhirTestServer
from tests.ehr_sim import EhrSimulator, Rule, ehr_fixture, ehr_running_fixture  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.server
AS_OF = date(2021, 6, 1)


@cache
def models() -> dict[str, LoadedModel]:
    return load_all(None)


def _assessment(server: FhirTestServer) -> Assessment:
    """The first loaded patient with a headline and a step to take (the samples have several)."""
    source = ServerSource(server.url, token=server.token)
    for patient in server.loaded.values():
        a = assess(snapshot(record_from_resources(source.patient(patient)), AS_OF), models())
        if a.headline is not None and a.top_actions:
            return a
    raise AssertionError("no sample patient with a headline and a next step")


def _client(server: FhirTestServer) -> SyncFHIRClient:
    return SyncFHIRClient(server.url, authorization=f"Bearer {server.token}" if server.token else None)


def test_a_risk_assessment_and_a_task_are_written_and_read_back(fhir_server):
    a = _assessment(fhir_server)
    step = a.top_actions[0]
    result = write_back(fhir_server.url, a, token=fhir_server.token, lang="fr", accepted=[step])
    client = _client(fhir_server)
    ra = client.get("RiskAssessment", result.risk_assessment_id)
    assert ra["subject"]["reference"] == f"Patient/{a.record.patient_id}"
    sent = {**{n: r.risk for n, r in a.scores.models.items() if r.risk is not None},
            **{n: r.risk for n, r in a.shown_equations.items() if r.risk is not None}}
    got = {p["outcome"]["coding"][0]["code"]: p["probabilityDecimal"] for p in ra["prediction"]}
    assert {p["outcome"]["coding"][0]["system"] for p in ra["prediction"]} == {OUTCOME_SYSTEM}
    assert got == {n: round(float(r), 4) for n, r in sent.items()}
    assert all(0 <= p["probabilityDecimal"] <= 1 and p["whenRange"]["high"]["code"] == "a" for p in ra["prediction"])
    basis = {row.source_id for row in a.inputs if row.source_id and not row.derived}
    assert len(ra["basis"]) == len(basis) > 0
    device = client.get("Device", result.device_id)
    assert ra["performer"]["reference"] == f"Device/{result.device_id}"
    assert {v["type"]["text"] for v in device["version"]} >= {"software", "model cvd10"}
    provenance = client.get("Provenance", result.provenance_id)
    assert {t["reference"] for t in provenance["target"]} == {
        f"RiskAssessment/{result.risk_assessment_id}", *(f"Task/{t}" for t in result.task_ids)}
    assert provenance["agent"][0]["who"]["reference"] == f"Device/{result.device_id}"
    [task_id] = result.task_ids
    task = client.get("Task", task_id)
    assert task["for"]["reference"] == f"Patient/{a.record.patient_id}"
    assert task["focus"]["reference"] == f"RiskAssessment/{result.risk_assessment_id}"
    assert task["description"] == step.text_fr and task["status"] == "requested"


@pytest.mark.parametrize("status", [403, 405])
def test_a_server_that_refuses_create_gets_a_worded_message(fhir_server, ehr, status):
    a = _assessment(fhir_server)
    token, _ = ehr.issue("launch/patient patient/*.rs", a.record.patient_id)
    ehr.rules.append(Rule(match=r"^POST /", status=status, times=0))
    with pytest.raises(WriteBackRefused) as caught:
        write_back(ehr.fhir, a, token=token)
    assert caught.value.message.code == "writeback.not_allowed"
    assert f"HTTP {status}" in message_text(caught.value.message, "en")
    assert "n'autorise pas" in message_text(caught.value.message, "fr")
    assert [line for line in ehr.seen if line.startswith("POST")] == ["POST /"]


def test_write_back_is_refused_while_the_record_is_partial(fhir_server):
    a = _assessment(fhir_server)
    gap = FetchGap(resource_type="MedicationRequest", status="failed", detail="HTTP 403")
    partial = assess(replace(a.snapshot, record=replace(a.record, fetch_gaps=(gap,))), models())
    before = _client(fhir_server).resources("RiskAssessment").count()
    with pytest.raises(WriteBackRefused) as caught:
        write_back(fhir_server.url, partial, token=fhir_server.token)
    assert caught.value.message.code == "writeback.partial"
    assert "MedicationRequest" in message_text(caught.value.message, "fr")
    assert _client(fhir_server).resources("RiskAssessment").count() == before
