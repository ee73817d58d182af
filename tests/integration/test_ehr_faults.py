"""Server faults through the EHR simulator in front of SEKMET (issue 14, acceptance 2): each fault either is
survived (retried, refreshed) or leaves its resource type failed/partial, and then exactly the scores that read
that type are withheld with a reason. In no case is a score shown from inputs whose search failed."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from functools import cache

import pytest

from risk.assess.assessment import Assessment, assess
from risk.assess.completeness import needed_types
from risk.assess.snapshot import snapshot
from risk.errors import ExitCode, SourceError
from risk.fhir.server import PATIENT_RESOURCE_TYPES, ServerSource
from risk.fhir.smart import SmartConfig, SmartTokens, TokenHolder
from risk.models.registry import LoadedModel, load_all
from risk.record.load import record_from_resources
from tests.ehr_sim import CLIENT_ID, EhrSimulator, Rule, ehr_fixture, ehr_running_fixture  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.server
AS_OF = date(2021, 6, 1)
PATIENT_SCOPE = "launch/patient patient/*.rs offline_access"


@cache
def models() -> dict[str, LoadedModel]:
    return load_all(None)


def _patient(ehr: EhrSimulator, index: int = 0) -> str:
    return list(ehr.patients.values())[index]


def _source(ehr: EhrSimulator, patient: str, **kwargs) -> ServerSource:
    token, _ = ehr.issue(PATIENT_SCOPE, patient)
    return ServerSource(ehr.fhir, token=token, **kwargs)


def _assess(pr) -> Assessment:
    return assess(snapshot(record_from_resources(pr), AS_OF), models())


def _requests(ehr: EhrSimulator, pattern: str) -> int:
    return sum(1 for line in ehr.seen if line.startswith(pattern))


def _risks(a: Assessment) -> dict[str, tuple[float | None, str]]:
    out = {n: (r.risk, r.status) for n, r in a.scores.models.items()}
    out.update({n: (r.risk, r.status) for n, r in a.scores.equations.items()})
    return out


def assert_nothing_from_a_gap(a: Assessment) -> None:
    """Every model and equation that reads a failed or partial type has no number and says why."""
    gapped = {g.resource_type for g in a.fetch_gaps}
    assert gapped, "this test expects a gap"
    results = {**a.scores.models, **a.scores.equations}
    for name, res in results.items():
        if gapped & set(needed_types(name, models())):
            assert res.risk is None, name
            assert res.message is not None and res.message.code == "fetch.withheld", name
    assert a.partial_banner is not None and all(t in a.partial_banner[0] for t in gapped)
    assert a.next_steps == [] and a.care_gaps == []


def test_503_with_retry_after_1_then_200_succeeds_after_one_retry(ehr):
    patient = _patient(ehr)
    ehr.rules.append(Rule(match=r"^GET /Observation\?", status=503, headers={"Retry-After": "1"}))
    started = time.monotonic()
    pr = _source(ehr, patient).patient(patient)
    assert pr.gaps == ()
    assert _requests(ehr, "GET /Observation?") == 2
    assert time.monotonic() - started >= 1.0  # the server's Retry-After was waited for, not shortened


def test_429_with_an_http_date_retry_after_is_honoured(ehr):
    patient = _patient(ehr)
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    ehr.rules.append(Rule(match=r"^GET /Condition\?", status=429, headers={"Retry-After": when}))
    started = time.monotonic()
    pr = _source(ehr, patient).patient(patient)
    assert pr.gaps == ()
    assert _requests(ehr, "GET /Condition?") == 2
    assert time.monotonic() - started >= 1.0  # HTTP-date granularity is 1 s


def test_three_500s_leave_the_type_failed_and_the_page_gets_a_partial_notice(ehr):
    patient = _patient(ehr)
    ehr.rules.append(Rule(match=r"^GET /Condition\?", status=500, times=3,
                          body={"resourceType": "OperationOutcome", "issue": [{"code": "exception"}]}))
    pr = _source(ehr, patient).patient(patient)
    assert [(g.resource_type, g.status, g.detail) for g in pr.gaps] == [("Condition", "failed", "HTTP 500")]
    assert _requests(ehr, "GET /Condition?") == 3  # the policy's three attempts, then no more
    a = _assess(pr)
    assert_nothing_from_a_gap(a)
    assert a.headline is None  # every score reads Conditions


def test_a_retry_after_longer_than_the_interactive_budget_is_not_waited_for(ehr):
    patient = _patient(ehr)
    ehr.rules.append(Rule(match=r"^GET /Encounter\?", status=503, headers={"Retry-After": "30"}))
    pr = _source(ehr, patient).patient(patient)
    assert [(g.resource_type, g.detail) for g in pr.gaps] == [("Encounter", "HTTP 503")]
    assert _requests(ehr, "GET /Encounter?") == 1


def test_a_search_that_times_out_is_failed_and_its_scores_withheld(ehr):
    patient = _patient(ehr)
    ehr.rules.append(Rule(match=r"^GET /MedicationStatement\?", kind="delay", delay_s=5, times=0))
    pr = _source(ehr, patient, timeout=2).patient(patient)
    assert [(g.resource_type, g.status, g.detail) for g in pr.gaps] == [("MedicationStatement", "failed", "timeout")]
    assert_nothing_from_a_gap(_assess(pr))


def test_a_401_mid_session_refreshes_the_token_once_then_succeeds(ehr):
    patient = _patient(ehr)
    access, refresh_token = ehr.issue(PATIENT_SCOPE, patient, client_id=CLIENT_ID)
    holder = TokenHolder(SmartConfig(iss=ehr.fhir, authorization_endpoint=f"{ehr.base}/authorize",
                                     token_endpoint=f"{ehr.base}/token"),
                         SmartTokens(access_token=access, refresh_token=refresh_token, patient=patient),
                         client_id=CLIENT_ID)
    source = ServerSource(ehr.fhir, token=access, refresh=holder.refresher)
    first = source.patient(patient)
    ehr.expire_all()  # mid-session: the access token is no longer accepted
    second = source.patient(patient)
    assert holder.refreshes == 1 and holder.tokens.access_token != access
    assert second.gaps == () and len(second.resources) == len(first.resources)
    third = source.patient(patient)  # the new token is kept: no second refresh
    assert holder.refreshes == 1 and third.gaps == ()


@pytest.mark.slow  # about 10 s: every sample patient, fetched twice and assessed twice
def test_a_403_on_medications_withholds_exactly_the_scores_that_need_medications(ehr):
    results = []
    for index in range(len(ehr.patients)):
        patient = _patient(ehr, index)
        full = _assess(_source(ehr, patient).patient(patient))
        ehr.rules[:] = [Rule(match=r"^GET /Medication(Request|Statement)\?", status=403, times=0)]
        pr = _source(ehr, patient).patient(patient)
        ehr.rules.clear()
        assert {(g.resource_type, g.status, g.detail) for g in pr.gaps} == {
            ("MedicationRequest", "failed", "HTTP 403"), ("MedicationStatement", "failed", "HTTP 403")}
        part = _assess(pr)
        assert_nothing_from_a_gap(part)
        for name, (risk, status) in _risks(full).items():
            needs_medications = "MedicationRequest" in needed_types(name, models())
            if not needs_medications:
                assert _risks(part)[name] == (risk, status), name  # untouched by the 403
        results.append((full, part))
    kept = {n for full, part in results for n, (r, _) in _risks(part).items() if r is not None}
    withheld = {n for full, part in results for n, (r, _) in _risks(full).items()
                if r is not None and _risks(part)[n][0] is None}
    assert {"score2"} & kept or {"score2_diabetes"} & kept  # a score that reads no medication still shows
    assert {"prevent_cvd", "qrisk3", "cvd10"} <= withheld  # and those that do are withheld


def test_a_next_link_to_a_404_leaves_the_type_partial(ehr):
    patient = _patient(ehr)
    ehr.rules.append(Rule(match=r"^GET /Observation\?.*_offset=", status=404, times=0,
                          body={"resourceType": "OperationOutcome", "issue": [{"code": "not-found"}]}))
    pr = _source(ehr, patient, page_size=5).patient(patient)
    assert [(g.resource_type, g.status, g.detail) for g in pr.gaps] == [("Observation", "partial", "HTTP 404")]
    assert 0 < sum(r["resourceType"] == "Observation" for r in pr.resources) <= 5
    assert_nothing_from_a_gap(_assess(pr))


@pytest.mark.parametrize(("kind", "detail", "message"), [
    ("html", "not JSON", "a login page?"),
    ("nested", "too deep", "nested more than 64 levels deep"),
    ("huge", "too large", "sent more than 32 MB"),
])
def test_a_hostile_or_broken_answer_gives_a_clear_error(ehr, kind, detail, message):
    patient = _patient(ehr)
    ehr.rules.append(Rule(match=r"^GET /Procedure\?", kind=kind, times=0))
    pr = _source(ehr, patient).patient(patient)
    assert [(g.resource_type, g.status, g.detail) for g in pr.gaps] == [("Procedure", "failed", detail)]
    assert_nothing_from_a_gap(_assess(pr))
    ehr.rules[:] = [Rule(match=rf"^GET /Patient/{patient}", kind=kind, times=0)]
    with pytest.raises(SourceError) as caught:  # no Patient, no record: one line, no traceback
        _source(ehr, patient).patient(patient)
    assert caught.value.code == ExitCode.SERVER_ERROR
    assert message in caught.value.message and ehr.fhir in caught.value.message and "\n" not in caught.value.message


def test_risk_score_json_carries_the_partial_types(ehr, monkeypatch, capsys):
    from risk.cli import main

    patient = _patient(ehr)
    token, _ = ehr.issue(PATIENT_SCOPE, patient)
    monkeypatch.setenv("RISK_FHIR_TOKEN", token)
    ehr.rules.append(Rule(match=r"^GET /MedicationRequest\?", status=403, times=0))
    assert main(["score", ehr.fhir, "--patient", patient, "--as-of", AS_OF.isoformat(), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["partial"]["complete"] is False
    assert doc["partial"]["types"] == [{"resource_type": "MedicationRequest", "status": "failed", "detail": "HTTP 403"}]
    assert "MedicationRequest" in doc["partial"]["banner"]["fr"]
    assert doc["equations"]["prevent_cvd"]["risk"] is None
    assert token not in json.dumps(doc)


def test_a_patient_token_cannot_read_another_patient(ehr):
    me, other = _patient(ehr, 0), _patient(ehr, 1)
    with pytest.raises(SourceError) as caught:
        _source(ehr, me).patient(other)
    assert caught.value.code == ExitCode.SERVER_AUTH


def test_every_patient_resource_type_is_searched_once_per_fetch(ehr):
    patient = _patient(ehr)
    source = _source(ehr, patient)
    source.patient(patient)
    assert source.requests == 1 + len(PATIENT_RESOURCE_TYPES)


def test_a_panel_read_from_a_server_withholds_the_scores_of_a_partial_record(ehr):
    from risk.panel.stream import assess_chunks
    from risk.record.load import iter_records

    token, _ = ehr.issue("system/*.rs", None)
    ehr.rules.append(Rule(match=r"^GET /MedicationRequest\?", status=403, times=0))
    source = ServerSource(ehr.fhir, token=token)
    scored = [(record.patient_id, a.scores) for record, a in assess_chunks(iter_records(source), models(), as_of=AS_OF)]

    def risk(s, name):  # noqa: ANN001, ANN202
        r = s.models.get(name) or s.equations.get(name)
        return None if r is None else r.risk

    assert {pid for pid, _ in scored} >= set(ehr.patients.values())
    for pid, s in scored:
        assert risk(s, "prevent_cvd") is None and risk(s, "qrisk3") is None and risk(s, "cvd10") is None, pid
    assert any(risk(s, "score2") is not None or risk(s, "score2_diabetes") is not None for _, s in scored)
