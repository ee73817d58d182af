"""FHIR sources: bundle files and folders, bulk-export NDJSON, FHIR servers. All yield plain resources.

>>> from risk.fhir import open_source
>>> source = open_source("patient.json.gz")            # doctest: +SKIP
>>> source.patient(source.patient_ids()[0]).resources  # doctest: +SKIP
"""

from risk.fhir.base import PatientResources, Source
from risk.fhir.open import open_source
from risk.fhir.references import link_to_patient, patient_id_from_reference, resolve_reference

__all__ = [
    "PatientResources",
    "Source",
    "link_to_patient",
    "open_source",
    "patient_id_from_reference",
    "resolve_reference",
]
