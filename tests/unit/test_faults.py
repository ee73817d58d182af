"""The retry table's pieces and the partial-data rule, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

from risk.assess.completeness import BASE_TYPES, EQUATION_TYPES, MEDICATION_TYPES, feature_types, withhold
from risk.assess.scores import ModelResult, Scores
from risk.equations import RESULT_KEYS, EquationResult
from risk.fhir.base import FetchGap
from risk.fhir.faults import RETRY_STATUSES, retry_after_seconds, too_deep

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_retry_after_reads_seconds_and_http_dates_and_ignores_garbage():
    assert retry_after_seconds("1", NOW) == 1.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:03 GMT", NOW) == 3.0
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", NOW) == 0.0  # in the past: now
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None and retry_after_seconds("-1", NOW) is None


def test_the_retry_table_is_the_one_the_issue_names():
    assert RETRY_STATUSES == {408, 429, 500, 502, 503, 504}
    assert 401 not in RETRY_STATUSES and 403 not in RETRY_STATUSES and 404 not in RETRY_STATUSES


def test_nesting_depth_is_measured_without_recursion():
    deep: object = []
    for _ in range(100_000):
        deep = [deep]
    assert too_deep(deep, 64)
    assert not too_deep({"a": [{"b": [1, 2]}]}, 64)
    assert too_deep({"a": [{"b": [1, 2]}]}, 3)


def test_every_equation_declares_its_types_and_medication_features_need_medications():
    assert set(EQUATION_TYPES) == set(RESULT_KEYS)
    assert set(feature_types(["age", "sbp"])) == set(BASE_TYPES)
    assert set(MEDICATION_TYPES) <= set(feature_types(["age", "on_statin"]))
    assert set(MEDICATION_TYPES) <= set(feature_types(["qrisk3_oral_corticosteroid"]))
    assert "FamilyMemberHistory" in feature_types(["dx_family_history_chd"])
    assert "Encounter" in feature_types(["visits_1y"])
    assert not set(MEDICATION_TYPES) & set(feature_types(["qrisk3_sbp_sd", "non_hdl"]))


def test_a_gap_withholds_exactly_the_scores_that_read_its_type():
    scores = Scores(models={}, equations={
        "score2": EquationResult(name="SCORE2", citation="c", risk=0.05),
        "prevent_cvd": EquationResult(name="PREVENT", citation="c", risk=0.07),
        "qrisk3": EquationResult(name="QRISK3", citation="c", risk=None, status="not_applicable"),
    })
    gap = FetchGap(resource_type="MedicationStatement", status="partial", detail="HTTP 404")
    out = withhold(scores, [gap], {})
    assert out.equations["score2"] is scores.equations["score2"]
    assert out.equations["prevent_cvd"].risk is None and out.equations["prevent_cvd"].status == "not_computable"
    assert out.equations["prevent_cvd"].message.code == "fetch.withheld"
    assert out.equations["qrisk3"].message.code == "fetch.withheld"  # "not applicable" may rest on the gap too
    assert withhold(scores, [], {}) is scores
    unknown = withhold(Scores(models={"new": ModelResult(name="new", risk=0.1)}, equations={}), [gap], {})
    assert unknown.models["new"].risk is None  # a model whose inputs are unknown is never scored from a gap


def test_a_launch_store_hands_a_session_over_once_and_forgets_an_old_state(monkeypatch):
    from risk.fhir.smart import LaunchStore, PendingLaunch, SmartConfig, SmartTokens, TokenHolder

    store = LaunchStore()
    config = SmartConfig(iss="https://ehr.example/fhir", authorization_endpoint="a", token_endpoint="t")
    pending = PendingLaunch(config=config, state="s" * 43, code_verifier="v" * 64, url="u", client_id="c",
                            redirect_uri="r", created=0.0)  # created long ago
    store.add_pending(pending)
    assert store.pop_pending("s" * 43) is None  # expired
    holder = TokenHolder(config, SmartTokens(access_token="secret-access", patient="p1"), client_id="c")
    handoff = store.open_session(holder)
    sid = store.claim(handoff)
    assert sid is not None and store.holder(sid) is holder
    assert store.claim(handoff) is None  # once
    assert "secret-access" not in repr(holder) + repr(holder.tokens)
