"""Build risk/terminology/data/bdpm.json: French drug codes (CIP13, CIP7, CIS) and brand names -> ATC, for the
drug classes the product uses.

Source : ANSM, base de données publique des médicaments (Licence Ouverte / Etalab 2.0). Run from the repository
root; it reads ../shared/datasets/bdpm/ (the derived CIS and CIP13 tables described in its README), never read at
run time:

    /work/main/.venv/bin/python scripts/build_bdpm_table.py

Kept: every CIS whose ATC code (official ANSM MITM list, or the README's validated inference from the generic
group or the same substances and route) gives a class of risk.terminology.concepts.MEDICATION_CONCEPTS, with its
CIP13 and CIP7 presentations; and brand names (the first word of the speciality name, e.g. GLUCOPHAGE, KARDEGIC,
LOVENOX) when every CIS that starts with that word has an ATC code and all give the same classes. UCD has no public
mapping: UCD-coded lines are read through their display text (brand or DCI).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from risk.terminology.medications import atc_classes  # noqa: E402

BDPM = REPO.parent / "shared" / "datasets" / "bdpm"
OUT = REPO / "risk" / "terminology" / "data" / "bdpm.json"
# Routes that make a product hospital / acute use when it is the only route (IV furosemide, IV metoprolol...).
ACUTE_ROUTES = frozenset({"intraveineuse", "intra-artérielle", "intracoronaire", "intracardiaque"})
_WORD = re.compile(r"[A-Z][A-Z-]{3,}")
# Aspirin (B01AC06) is antiplatelet only at low dose; its analgesic forms share brand names (ASPEGIC, ALKA-SELTZER),
# so only brands sold solely as low-dose antiplatelet aspirin are kept (value_sets.md 1.1: analgesic aspirin is not
# antiplatelet therapy). KARDEGIC 75-300 mg and RESITUNE 75/100 mg: BDPM speciality names.
ASPIRIN_ATC = "B01AC06"
LOW_DOSE_ASPIRIN_BRANDS = frozenset({"KARDEGIC", "RESITUNE"})
# Words that begin speciality names without being a brand (MONO-TILDIEM is written "MONO TILDIEM").
NOT_BRANDS = frozenset({"MONO"})


def fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in t if not unicodedata.combining(ch)).upper()


def rows(name: str) -> list[dict[str, str]]:
    with gzip.open(BDPM / name, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def brand_word(denomination: str) -> str | None:
    """First word of a speciality name when it is a word (GLUCOPHAGE in 'GLUCOPHAGE 500 mg, comprimé')."""
    first = fold(denomination).strip().split(" ", 1)[0].rstrip(",")
    return first if _WORD.fullmatch(first) else None


def build() -> dict:
    cis_rows = rows("cis_substance_atc.tsv.gz")
    cis: dict[str, list] = {}
    brand_classes: dict[str, set[frozenset[str]]] = defaultdict(set)
    brand_atc: dict[str, set[str]] = defaultdict(set)
    for r in cis_rows:
        atc = r["atc"].strip()
        classes = atc_classes(atc) if atc else frozenset()
        word = brand_word(r["denomination"])
        if word:  # a CIS without ATC makes its brand word unsafe (ASPRO, ASPEGIC: analgesic aspirin)
            brand_classes[word].add(classes if atc else frozenset({"?"}))
            brand_atc[word].add(atc)
        if not classes:
            continue
        routes = {x.strip() for x in r["routes"].split(";") if x.strip()}
        acute = bool(routes) and routes <= ACUTE_ROUTES
        cis[r["cis"].strip()] = [atc, 1] if acute else [atc]
    cip13: dict[str, str] = {}
    cip7: dict[str, str] = {}
    for r in rows("cip13_substance_atc.tsv.gz"):
        c = r["cis"].strip()
        if c in cis:
            cip13[r["cip13"].strip()] = c
            if r["cip7"].strip():
                cip7[r["cip7"].strip()] = c
    brands = {
        w: sorted(brand_atc[w])[0]
        for w, found in sorted(brand_classes.items())
        if len(found) == 1
        and next(iter(found))
        and "?" not in next(iter(found))
        and w not in NOT_BRANDS
        and (ASPIRIN_ATC not in brand_atc[w] or w in LOW_DOSE_ASPIRIN_BRANDS)
    }
    return {
        "_about": {
            "description": "French drug codes -> ATC for the drug classes of risk.terminology.concepts (only CIS "
            "whose ATC gives one of those classes). cis: CIS -> [ATC] or [ATC, 1] when the product is given only "
            "intravenously (acute use); cip13 / cip7: presentation -> CIS; brands: first word of the speciality "
            "name -> ATC, kept only when every CIS starting with that word has an ATC code and all give the same "
            "classes. UCD has no public mapping: UCD lines are read by their display text (brand or DCI).",
            "attribution": "Source : ANSM, base de données publique des médicaments "
            "(https://base-donnees-publique.medicaments.gouv.fr), Licence Ouverte / Etalab 2.0. Data of "
            "2026-07-24 (CIS, CIS_CIP), 2026-05-26 (COMPO, MITM) and 2025-07-07 (older MITM). Some ATC codes are "
            "inferred from the generic group or the same substances and route (not ANSM's): see "
            "shared/datasets/bdpm/README.md.",
            "generated_by": "scripts/build_bdpm_table.py (do not edit by hand; rerun it)",
            "counts": {"cis": len(cis), "cip13": len(cip13), "cip7": len(cip7), "brands": len(brands)},
        },
        "cis": dict(sorted(cis.items())),
        "cip13": dict(sorted(cip13.items())),
        "cip7": dict(sorted(cip7.items())),
        "brands": brands,
    }


def main(out: Path = OUT) -> None:
    data = build()
    out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{out}: {data['_about']['counts']}")


if __name__ == "__main__":
    main()
