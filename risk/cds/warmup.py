"""A made-up patient scored once when a service worker starts, so that the first EHR call does not pay the
one-off costs of the card path (catalogues and rule tables read on first use, the boosters' first traversals):
measured at 1-2 s for the first batch of a cold worker, against ~0.1 s warm.

Nobody sees this card, so nothing is audited. The patient is invented here, in code: no real record is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from risk.assess.batch import assess_records
from risk.cds.card import card
from risk.cds.request import HookRequest, from_prefetch
from risk.models.registry import LoadedModel
from risk.record.load import record_from_resources

_PATIENT = "warm-up-patient"


def _observation(n: int, loinc: str, day: date, *, value: float | None = None, unit: str = "",
                 snomed: str | None = None) -> dict[str, Any]:
    obs: dict[str, Any] = {"resourceType": "Observation", "id": f"warm-up-{n}", "status": "final",
                           "subject": {"reference": f"Patient/{_PATIENT}"}, "effectiveDateTime": day.isoformat(),
                           "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]}}
    if snomed is not None:
        obs["valueCodeableConcept"] = {"coding": [{"system": "http://snomed.info/sct", "code": snomed}]}
    else:
        obs["valueQuantity"] = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    return obs


def warm_up_request(today: date) -> dict[str, Any]:
    """A patient-view request for a 62-year-old man with type 2 diabetes, measured a month ago."""
    day = today - timedelta(days=30)

    def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "searchset",
                "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}

    observations = [
        _observation(1, "8480-6", day, value=142, unit="mm[Hg]"),
        _observation(2, "2093-3", day, value=2.1, unit="g/L"),
        _observation(3, "2085-9", day, value=0.45, unit="g/L"),
        _observation(4, "4548-4", day, value=7.4, unit="%"),
        _observation(5, "2160-0", day, value=9.5, unit="mg/L"),
        _observation(6, "72166-2", day, snomed="8517006"),  # former smoker
    ]
    condition = {"resourceType": "Condition", "id": "warm-up-dx", "subject": {"reference": f"Patient/{_PATIENT}"},
                 "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
                 "onsetDateTime": (today - timedelta(days=3650)).isoformat(),
                 "clinicalStatus": {"coding": [{"code": "active"}]}}
    patient = {"resourceType": "Patient", "id": _PATIENT, "gender": "male",
               "birthDate": date(today.year - 62, 1, 1).isoformat()}
    return {"hook": "patient-view", "hookInstance": "warm-up", "context": {"userId": "warm-up", "patientId": _PATIENT},
            "prefetch": {"patient": patient, "observations": searchset(observations),
                         "conditions": searchset([condition]), "medications": searchset([])}}


def warm_up(models: Mapping[str, LoadedModel], *, region: str, guideline_set: str, lang: str) -> dict[str, Any]:
    """Score the made-up patient through the card path (no audit) and return its card."""
    today = date.today()
    resources = from_prefetch(HookRequest.model_validate(warm_up_request(today)))
    assert resources is not None  # every prefetch key is given
    record = record_from_resources(resources, source="cds")
    (result,) = assess_records([record], today, models, region=region, guideline_set=guideline_set, card_only=True)
    if isinstance(result, Exception):
        raise result
    return card(result, lang=lang, app_url="")
