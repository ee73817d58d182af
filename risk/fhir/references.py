"""FHIR literal references -> the canonical `Type/id` form.

Bundles point at their patient in many ways (`urn:uuid:X`, `Patient/x`, `http://host/fhir/Patient/x`,
`Patient/x/_history/2`). Sources resolve them here and rewrite `subject`/`patient` to `Patient/<id>`, so code
downstream meets one form only. Contained (`#x`), conditional (`Patient?identifier=...`) and unresolved
`urn:` references are not guessed: they resolve to None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# FHIR R4 datatype `id` (http://hl7.org/fhir/R4/datatypes.html#id), minus "." and ".." (legal by the
# regex, but path segments in a URL: no server assigns them, and they would escape `Patient/<id>`).
ID_PATTERN = re.compile(r"(?!\.\.?\Z)[A-Za-z0-9\-.]{1,64}")
_TYPE_PATTERN = re.compile(r"[A-Z][A-Za-z]{1,63}")

# The elements through which a resource points at the patient it is about (Observation.subject,
# Immunization.patient, AllergyIntolerance.patient, Claim.patient...).
PATIENT_LINK_KEYS = ("subject", "patient")


def is_valid_id(value: object) -> bool:
    """True for a string that is a valid FHIR `id`.

    >>> is_valid_id("9afe28dc-7ad5-4e90-b6a6-16123eae98c3"), is_valid_id("../metadata"), is_valid_id("..")
    (True, False, False)
    """
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def resolve_reference(ref: str, fullurl_map: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(resource type, id) that a literal reference points to, or None when it cannot be resolved here.

    `fullurl_map` maps a bundle's `entry.fullUrl` to `Type/id` of that entry's resource.

    >>> resolve_reference("Encounter/e1")
    ('Encounter', 'e1')
    >>> resolve_reference("https://fhir.example.org/r4/Observation/o-7/_history/3")
    ('Observation', 'o-7')
    >>> resolve_reference("urn:uuid:4f1c", {"urn:uuid:4f1c": "Condition/c9"})
    ('Condition', 'c9')
    >>> resolve_reference("urn:uuid:4f1c") is None, resolve_reference("#med1") is None
    (True, True)
    """
    if not isinstance(ref, str) or not ref:
        return None
    if fullurl_map is not None:
        target = fullurl_map.get(ref)
        if target is not None:
            ref = target
    return _parse_literal(ref)


@lru_cache(maxsize=8192)
def _parse_literal(ref: str) -> tuple[str, str] | None:
    """Pure parse of a literal reference (cached: a bundle repeats its patient reference many times)."""
    if not ref or ref[0] == "#" or ref.startswith("urn:") or "?" in ref:
        return None
    parts = ref.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        del parts[-2:]
    if len(parts) < 2:
        return None
    rtype, rid = parts[-2], parts[-1]
    if _TYPE_PATTERN.fullmatch(rtype) is None or ID_PATTERN.fullmatch(rid) is None:
        return None
    if len(parts) > 2 and "://" not in ref:
        return None  # a relative path with extra segments is not a FHIR reference
    return rtype, rid


def patient_id_from_reference(ref: str, fullurl_map: Mapping[str, str] | None = None) -> str | None:
    """The Patient id a literal reference points to, or None if it is not (resolvably) a Patient.

    >>> patient_id_from_reference("Patient/123")
    '123'
    >>> patient_id_from_reference("http://hapi.example.org/fhir/Patient/123")
    '123'
    >>> patient_id_from_reference("Patient/123/_history/2")
    '123'
    >>> patient_id_from_reference("urn:uuid:9afe28dc", {"urn:uuid:9afe28dc": "Patient/p1"})
    'p1'
    >>> patient_id_from_reference("urn:uuid:9afe28dc") is None
    True
    >>> patient_id_from_reference("Group/123") is None
    True
    >>> patient_id_from_reference("Patient?identifier=http://example.org/mrn|42") is None
    True
    """
    resolved = resolve_reference(ref, fullurl_map)
    if resolved is None or resolved[0] != "Patient":
        return None
    return resolved[1]


_CACHE_MAX = 100_000  # references remembered by `link_to_patient` (bounds memory over a large file)


def link_to_patient(
    resource: dict[str, Any],
    fullurl_map: Mapping[str, str] | None = None,
    *,
    cache: dict[str, str | None] | None = None,
    rewrite: bool = True,
) -> str | None:
    """Rewrite the resource's `subject`/`patient` references to `Patient/<id>`; return that patient id.

    Mutates `resource` in place (sources own the freshly parsed dicts), unless `rewrite` is False (a reader that
    must get the resource as parsed). Returns the id from the first element that resolves to a Patient, or None
    when the resource is not about a patient. `cache` (reference -> patient id, valid for one `fullurl_map`;
    cleared past _CACHE_MAX entries) saves resolving the same reference again.

    >>> obs = {"resourceType": "Observation", "subject": {"reference": "urn:uuid:a1"}}
    >>> link_to_patient(obs, {"urn:uuid:a1": "Patient/p1"}), obs["subject"]["reference"]
    ('p1', 'Patient/p1')
    >>> link_to_patient({"resourceType": "Organization"}) is None
    True
    """
    found: str | None = None
    for key in PATIENT_LINK_KEYS:
        value = resource.get(key)
        if value is None:
            continue
        for ref_obj in value if isinstance(value, list) else (value,):
            if not isinstance(ref_obj, dict):
                continue
            ref = ref_obj.get("reference")
            if not isinstance(ref, str):
                continue
            if cache is None:
                patient_id = patient_id_from_reference(ref, fullurl_map)
            elif ref in cache:
                patient_id = cache[ref]
            else:
                if len(cache) > _CACHE_MAX:
                    cache.clear()
                patient_id = cache[ref] = patient_id_from_reference(ref, fullurl_map)
            if patient_id is None:
                continue
            if not rewrite:
                return patient_id
            canonical = "Patient/" + patient_id
            if ref != canonical:
                ref_obj["reference"] = canonical
            if found is None:
                found = patient_id
    return found
