"""Medication codes (ATC, RxNorm) to drug classes, with a guarded text match as last resort.

ATC codes match by prefix, minus the value sets' exclusions (IV antiplatelets, prostacyclins, C10BA10 for
statins); a combination code gives every class it contains. RxNorm codes match exactly (ingredients and the
products Synthea and the samples use). Products flagged acute by the value sets (IV antiplatelets, IV
metoprolol or furosemide, thrombolytics, perioperative insulin) are not chronic therapy: `medication_classes`
leaves them out, `medication_match` reports them with `acute=True`.

French codes: CIP13, CIP7 and CIS (BDPM) map to ATC through data/bdpm.json, built from the ANSM open data by
scripts/build_bdpm_table.py ("Source : ANSM, base de données publique des médicaments", Licence Ouverte). UCD has
no public mapping, so a UCD line is read by its display text: the ingredient (DCI), or a brand name of that table
(GLUCOPHAGE, NOVORAPID, LOVENOX...).

Text matching (risk.terminology.drug_names) runs only when no code of a known system matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from risk.terminology.drug_names import fold, is_parenteral_text, text_classes
from risk.terminology.systems import ATC, BDPM, RXNORM, UCD, canonical_system, load_data

_EMPTY: frozenset[str] = frozenset()
# Classes that are injected by nature: an acute flag does not remove them.
_PARENTERAL_CLASSES = frozenset({"anticoagulant_parenteral"})
# Classes given by injection as chronic therapy (an injectable form of them is not acute use).
_INJECTABLE_CHRONIC = frozenset({"insulin", "glp1_receptor_agonist", "pcsk9_inhibitor", "anticoagulant_parenteral"})
_ATC_SHAPE = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")
_ATC_FULL = re.compile(r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$")


@dataclass(frozen=True, kw_only=True, slots=True)
class MedicationMatch:
    """Drug classes of one medication code (or text), and how they were found."""

    classes: frozenset[str]  # every class the product contains (all of them, acute or not)
    acute: bool = False  # parenteral / in-hospital product: not chronic therapy
    by_text: bool = False  # found from the display text, not from a code
    known_code: bool = False  # the code is in the value sets (possibly mapped to no class, e.g. aspirin 1191)

    @property
    def chronic_classes(self) -> frozenset[str]:
        """Classes that count as ongoing therapy (acute products keep only parenteral anticoagulants)."""
        return self.classes & _PARENTERAL_CLASSES if self.acute else self.classes


_Prefixes = dict[str, frozenset[str]]
_Exact = dict[str, tuple[frozenset[str], bool]]


def _build() -> tuple[_Prefixes, _Prefixes, _Exact]:
    include: _Prefixes = {}
    exclude: _Prefixes = {}
    rxnorm: _Exact = {}
    for e in load_data("medications.json")["entries"]:
        classes = frozenset(e.get("classes", ()))
        if e["system"] == ATC:
            table = exclude if e["match"] == "exclude" else include
            table[e["code"]] = table.get(e["code"], _EMPTY) | classes
        elif e["system"] == RXNORM:
            rxnorm[e["code"]] = (classes, bool(e.get("acute")))
    return include, exclude, rxnorm


_ATC_INCLUDE, _ATC_EXCLUDE, _RXNORM = _build()
_BDPM = load_data("bdpm.json")
_BRAND_RE = re.compile(
    r"(?<![a-z0-9])("
    + "|".join(re.escape(fold(b)) for b in sorted(_BDPM["brands"], key=len, reverse=True))
    + r")(?![a-z0-9])"
)
_BRANDS = {fold(b): atc for b, atc in _BDPM["brands"].items()}
# French product codes are read under the BDPM system, and under the ATC or UCD system when the code has the
# shape of a BDPM code (published ANS examples put CIP13 and CIS codes under the ATC system).
_FRENCH_CODE_SYSTEMS = frozenset({BDPM, ATC, UCD})


def normalise_atc(code: str) -> str | None:
    """ATC code in lookup form (upper case, no spaces or dots), or None when it is not ATC-shaped."""
    if not isinstance(code, str):
        return None
    s = re.sub(r"[\s.]", "", code).upper()
    return s if s and _ATC_SHAPE.match(s) else None


@lru_cache(maxsize=8192)
def atc_classes(code: str) -> frozenset[str]:
    """Drug classes of an ATC code (prefix rules minus exclusions).

    >>> sorted(atc_classes("C09DA01"))  # losartan and diuretics
    ['arb', 'thiazide_diuretic']
    >>> atc_classes("N02BA01")  # analgesic aspirin
    frozenset()
    """
    key = normalise_atc(code)
    if key is None:
        return _EMPTY
    inc, exc = _EMPTY, _EMPTY
    for n in range(1, len(key) + 1):
        p = key[:n]
        inc = inc | _ATC_INCLUDE.get(p, _EMPTY)
        exc = exc | _ATC_EXCLUDE.get(p, _EMPTY)
    return inc - exc


def medication_match(system: str | None, code: str | None, display: str | None = None) -> MedicationMatch:
    """Classes of a medication coding, with the acute / text-match flags.

    A code without a system is read as ATC only when it has the full 7-character ATC form. A well-formed
    ATC code is final (the ATC tables cover every class). When no code is recognised (e.g. an RxNorm product
    outside the value sets, a French CIP13 code), the display text is matched on ingredient names (English
    INN and French DCI), marked `by_text=True`.
    """
    s = canonical_system(system)
    c = code.strip() if isinstance(code, str) else ""
    if c and s in _FRENCH_CODE_SYSTEMS and c.isdigit():
        found = bdpm_atc(c)
        if found is not None:
            atc, iv_only = found
            return MedicationMatch(
                classes=atc_classes(atc),
                acute=iv_only and not (atc_classes(atc) <= _PARENTERAL_CLASSES),
                known_code=True,
            )
    if c:
        if s == ATC or (system is None and _ATC_FULL.match(c.upper())):
            if normalise_atc(c) is not None:  # the ATC tables are complete for these classes: no text
                return MedicationMatch(classes=atc_classes(c), known_code=True)
        elif s == RXNORM and c in _RXNORM:
            classes, acute = _RXNORM[c]
            return MedicationMatch(classes=classes, acute=acute, known_code=True)
    if isinstance(display, str) and display.strip():
        classes, acute = text_classes(display)
        if not classes:
            classes, acute = brand_classes(display)
        if classes:
            return MedicationMatch(classes=classes, acute=acute, by_text=True)
    return MedicationMatch(classes=_EMPTY)


def bdpm_atc(code: str) -> tuple[str, bool] | None:
    """(ATC, given only intravenously) of a CIP13 (13 digits), CIP7 (7) or CIS (8) code of a drug class the
    product uses; None otherwise (other drugs, UCD codes: the table holds only these classes).

    >>> bdpm_atc("3400935601711")  # GLUCOPHAGE 1000 mg (CIP13)
    ('A10BA02', False)
    """
    key = code.strip()
    cis = {13: _BDPM["cip13"], 7: _BDPM["cip7"]}.get(len(key), {}).get(key) or (key if len(key) == 8 else None)
    row = _BDPM["cis"].get(cis) if cis else None
    return None if row is None else (row[0], len(row) > 1)


@lru_cache(maxsize=8192)
def brand_classes(display: str) -> tuple[frozenset[str], bool]:
    """(classes, acute) of the BDPM brand names in a display text (whole words): 'LOVENOX 4000UI SRG'.

    >>> brand_classes("GLUCOPHAGE 500MG CPR")
    (frozenset({'metformin'}), False)
    """
    text = fold(display)
    found = _EMPTY
    for m in _BRAND_RE.finditer(text):
        found = found | atc_classes(_BRANDS[m.group(1)])
    if not found:
        return _EMPTY, False
    return found, is_parenteral_text(text) and bool(found - _INJECTABLE_CHRONIC)


def medication_classes(system: str | None, code: str | None, display: str | None = None) -> frozenset[str]:
    """Drug classes (risk.terminology.concepts.MEDICATION_CONCEPTS) counting as chronic therapy; empty when unknown.

    >>> sorted(medication_classes("http://www.whocc.no/atc", "C10BX03"))  # atorvastatin and amlodipine
    ['calcium_channel_blocker', 'statin']
    >>> sorted(medication_classes(None, None, "ATORVASTATINE 20 mg cp"))  # French name, text match
    ['statin']
    """
    return medication_match(system, code, display).chronic_classes
