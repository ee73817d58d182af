"""Code-system URIs: one canonical URI per terminology, many spellings accepted.

Real files name the same terminology in several ways (HL7 canonical URI, `urn:oid:`, the French ANS SMT and
RDF URIs for CIM-10 and ATC, http vs https, a trailing slash). `canonical_system` folds them onto the HL7 URI
so that lookups are plain dict hits. The alias list lives in data/systems.json with its sources.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"  # WHO ICD-10 and French CIM-10 (ATIH)
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# French vocabularies (ANS SMT URIs; aliases in data/systems.json)
CISP2 = "https://smt.esante.gouv.fr/terminologie-cisp"  # CISP-2, the French ICPC-2 (GP problem lists)
CCAM = "https://smt.esante.gouv.fr/terminologie-ccam"  # Classification commune des actes médicaux
BDPM = "https://smt.esante.gouv.fr/terminologie-bdpm"  # ANSM drug database: CIP13, CIP7 and CIS codes
UCD = "http://data.esante.gouv.fr/ansm/medicament/UCD"  # unité commune de dispensation (hospital units)
SMS = "https://smt.esante.gouv.fr/terminologie-sms"  # EMA substance codes (SMS) used by ANS


def load_data(name: str) -> dict:
    """Read one JSON file of risk/terminology/data (packaged with the library)."""
    return json.loads(resources.files("risk.terminology").joinpath("data", name).read_text(encoding="utf-8"))


def _key(uri: str) -> str:
    """Comparison key for a URI: no scheme, no case, no trailing slash or '#'."""
    k = uri.strip().lower().rstrip("/#")
    for scheme in ("https://", "http://"):
        if k.startswith(scheme):
            return k[len(scheme):]
    return k


def _build_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, aliases in load_data("systems.json")["systems"].items():
        for uri in (canonical, *aliases):
            table[_key(uri)] = canonical
    return table


_ALIASES = _build_aliases()


@lru_cache(maxsize=1024)
def canonical_system(system: str | None) -> str | None:
    """The canonical URI of a code system, or None when it is not one the value sets cover.

    >>> canonical_system("https://smt.esante.gouv.fr/terminologie-cim-10/")
    'http://hl7.org/fhir/sid/icd-10'
    >>> canonical_system("urn:oid:2.16.840.1.113883.6.1")
    'http://loinc.org'
    >>> canonical_system("http://example.org/local-codes") is None
    True
    """
    if not isinstance(system, str) or not system.strip():
        return None
    return _ALIASES.get(_key(system))
