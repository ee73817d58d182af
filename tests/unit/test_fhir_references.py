"""Reference resolution: every written form of a patient reference gives the same canonical id."""

from __future__ import annotations

import copy
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.fhir import base, references, server
from risk.fhir.references import (
    ID_PATTERN,
    link_to_patient,
    patient_id_from_reference,
    resolve_reference,
)

fhir_ids = st.from_regex(r"\A[A-Za-z0-9\-.]{1,64}\Z").filter(lambda s: s not in (".", ".."))
resource_types = st.sampled_from(["Observation", "Encounter", "Condition", "Group", "Practitioner", "Device"])
base_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["localhost:8090", "fhir.example.org", "10.0.0.7", "ehr.chu-exemple.fr"]),
    st.sampled_from(["", "/fhir", "/baseR4", "/api/fhir/r4", "/fhir/"]),
)
versions = st.integers(min_value=1, max_value=10**6)


@pytest.mark.parametrize("module", [references, server, base])
def test_docstring_examples_hold(module):
    result = doctest.testmod(module)
    assert result.failed == 0


@given(patient_id=fhir_ids, base_url=base_urls, version=versions)
def test_every_form_of_a_patient_reference_resolves_to_the_same_id(patient_id, base_url, version):
    base_url = base_url.rstrip("/")
    forms = [
        f"Patient/{patient_id}",
        f"Patient/{patient_id}/_history/{version}",
        f"{base_url}/Patient/{patient_id}",
        f"{base_url}/Patient/{patient_id}/_history/{version}",
    ]
    for form in forms:
        assert patient_id_from_reference(form) == patient_id, form


@given(patient_id=fhir_ids, uuid=st.uuids())
def test_urn_uuid_resolves_only_through_the_bundle_full_urls(patient_id, uuid):
    ref = f"urn:uuid:{uuid}"
    assert patient_id_from_reference(ref) is None
    assert patient_id_from_reference(ref, {ref: f"Patient/{patient_id}"}) == patient_id
    assert patient_id_from_reference(ref, {ref: f"Observation/{patient_id}"}) is None


@given(rtype=resource_types, rid=fhir_ids, base_url=base_urls)
def test_references_to_other_resource_types_are_not_patients(rtype, rid, base_url):
    assert patient_id_from_reference(f"{rtype}/{rid}") is None
    assert resolve_reference(f"{base_url.rstrip('/')}/{rtype}/{rid}") == (rtype, rid)


@given(text=st.text(max_size=200))
def test_any_text_gives_none_or_a_valid_id_and_never_raises(text):
    result = patient_id_from_reference(text)
    assert result is None or ID_PATTERN.fullmatch(result)


@given(patient_id=fhir_ids, key=st.sampled_from(["subject", "patient"]), base_url=base_urls, version=versions)
def test_link_to_patient_rewrites_to_the_canonical_form_and_is_idempotent(patient_id, key, base_url, version):
    resource = {
        "resourceType": "Observation",
        key: {"reference": f"{base_url}/Patient/{patient_id}/_history/{version}"},
    }
    assert link_to_patient(resource) == patient_id
    assert resource[key] == {"reference": f"Patient/{patient_id}"}
    assert link_to_patient(resource) == patient_id
    assert resource[key] == {"reference": f"Patient/{patient_id}"}


@pytest.mark.parametrize(
    "ref",
    [
        "#contained-patient",  # contained: not a patient in the source
        "Patient?identifier=http://hospital.example/mrn|12345",  # conditional: needs a search
        "Patient/",
        "Patient",
        "Patient/has space",
        "Patient/" + "x" * 65,  # ids are at most 64 characters
        "a/b/Patient/1",  # relative paths have exactly two segments
        "Patient/..",  # a path segment, not an id
        "urn:oid:1.2.3",
        "",
    ],
)
def test_unresolvable_references_give_none(ref):
    assert patient_id_from_reference(ref) is None


def test_a_resource_pointing_to_a_group_or_nothing_is_not_linked():
    group = {"resourceType": "Observation", "subject": {"reference": "Group/g1"}}
    assert link_to_patient(group) is None
    assert group["subject"]["reference"] == "Group/g1"  # left as it was
    assert link_to_patient({"resourceType": "Observation", "subject": {"display": "Mme X"}}) is None


def test_link_to_patient_without_rewriting_gives_the_same_patient_and_leaves_the_resource_as_parsed():
    """The organised-by-patient reader files a resource as the bucket pass does but must hand it on unchanged."""
    resource = {"resourceType": "Observation", "subject": {"reference": "https://ehr.example/fhir/Patient/p1/_history/2"},
                "performer": [{"reference": "Patient/p1"}]}
    before = copy.deepcopy(resource)
    cache: dict[str, str | None] = {}
    assert link_to_patient(resource, cache=cache, rewrite=False) == "p1"
    assert resource == before
    assert link_to_patient(resource, cache=cache) == "p1"
    assert resource["subject"]["reference"] == "Patient/p1"
