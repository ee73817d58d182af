"""The CDS request model and its caps, as properties: any JSON body is either a request or a clear refusal."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from risk.cds.request import MAX_JSON_DEPTH, HookRequest, NeedsData, RequestError, from_prefetch, json_depth, parse_body
from risk.errors import RiskError

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=30)
KEYS = st.sampled_from(["hook", "hookInstance", "context", "prefetch", "fhirServer", "fhirAuthorization",
                        "patientId", "userId", "patient", "observations", "conditions", "medications",
                        "resourceType", "entry", "resource", "id"])
REQUESTISH = st.recursive(st.none() | st.text(max_size=12) | st.just("patient-view") | st.just("Patient")
                          | st.just("Bundle") | st.integers(),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=6),
                          max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, REQUESTISH))
def test_any_json_body_is_a_request_or_a_clear_refusal(body):
    try:
        req = HookRequest.model_validate(parse_body(json.dumps(body).encode()))  # big ints too (orjson: 64-bit)
        from_prefetch(req)
    except (RequestError, ValidationError, NeedsData, RiskError):
        pass


@given(st.integers(min_value=1, max_value=200))
def test_depth_is_measured_without_recursion_and_capped(depth):
    nested = orjson.dumps(nested_list(depth))
    if depth > MAX_JSON_DEPTH:
        with pytest.raises(RequestError, match="nested deeper"):
            parse_body(nested)
    else:
        assert json_depth(parse_body(nested)) == depth


def nested_list(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_a_deep_body_of_a_hundred_thousand_levels_is_refused_not_a_recursion_error():
    with pytest.raises(RequestError):
        parse_body(b"[" * 100_000 + b"]" * 100_000)
