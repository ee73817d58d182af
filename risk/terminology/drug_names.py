"""Last-resort drug-class matching on a medication's display text (ingredient names, EN and FR).

Used only when no code was recognised (French records often carry CIP13/UCD product codes, or a local code,
with a text such as "ATORVASTATINE 20MG CPR"). What makes it safe enough to use:

- whole ingredient names only (INN / French DCI; accents and case ignored), never brand names or class words;
- ophthalmic products (timolol eye drops) and devices (needles, test strips) never match;
- an injected form of an oral-therapy drug (IV furosemide, IV metoprolol) is flagged acute, not chronic;
- aspirin counts as an antiplatelet only with an explicit dose of at most 325 mg and no co-analgesic
  (paracetamol, caffeine, codeine...): analgesic aspirin is not antiplatelet therapy (value_sets.md 1.1).

Every match is reported with `by_text=True` by risk.terminology.medications.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from risk.terminology.systems import load_data

_EMPTY: frozenset[str] = frozenset()
# Classes given by injection as chronic therapy: an injectable form does not make them acute.
_INJECTABLE_CHRONIC = frozenset(
    {"insulin", "glp1_receptor_agonist", "pcsk9_inhibitor", "anticoagulant_parenteral"}
)


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation turned into spaces (digits, '.' and ',' kept)."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9.,]+", " ", t).split())


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


def _build() -> tuple[dict[str, frozenset[str]], re.Pattern[str], re.Pattern[str], int]:
    data = load_data("medications.json")["text_names"]
    names: dict[str, frozenset[str]] = {}
    for e in data["entries"]:
        key = fold(e["name"])
        names[key] = names.get(key, _EMPTY) | frozenset(e["classes"])
    pattern = re.compile(rf"(?<![a-z0-9])({_alternation(list(names))})(?![a-z0-9])")
    aspirin = re.compile(
        rf"(?<![a-z0-9])(?:{_alternation([fold(n) for n in data['aspirin']])})(?![a-z0-9])"
        r"[^0-9]{0,30}?(\d+(?:[.,]\d+)?) ?mg(?![a-z])"
    )
    return names, pattern, aspirin, int(data["aspirin_max_antiplatelet_mg"])


_NAMES, _NAME_RE, _ASPIRIN_RE, _ASPIRIN_MAX_MG = _build()
_OPHTHALMIC = re.compile(
    r"\b(ophthalmic|ophtalmique|collyre|eye drops?|oculaire|intraocular|intraoculaire)\b"
)
_DEVICE = re.compile(r"\b(needles?|aiguilles?|test strips?|bandelettes?|lancets?|lancettes?|glucometer)\b")
_PARENTERAL = re.compile(
    r"\b(injection|injectable|inj|intravenous|intraveineuse|iv|i\.v|perfusion|infusion)\b"
)
_CO_ANALGESIC = re.compile(
    r"\b(paracetamol|acetaminophen|caffeine|cafeine|codeine|oxycodone|hydrocodone|dextromethorphan"
    r"|ascorbic|ascorbique|vitamin c|vitamine c|butalbital|carisoprodol|orphenadrine|phenylephrine"
    r"|chlorpheniramine|diphenhydramine)\b"
)


def is_parenteral_text(folded: str) -> bool:
    """True when a folded medication text names an injected form (injection, IV, perfusion...)."""
    return _PARENTERAL.search(folded) is not None


@lru_cache(maxsize=16384)
def text_classes(display: str) -> tuple[frozenset[str], bool]:
    """(classes, acute) read from a medication text; (empty, False) when nothing safe matches.

    >>> text_classes("Metformine 850 mg comprimé")
    (frozenset({'metformin'}), False)
    >>> text_classes("Timolol 0.5% collyre")
    (frozenset(), False)
    >>> text_classes("Aspirin 500 MG Oral Tablet")
    (frozenset(), False)
    """
    t = fold(display)
    if not t or _OPHTHALMIC.search(t) or _DEVICE.search(t):
        return _EMPTY, False
    found = _EMPTY
    for m in _NAME_RE.finditer(t):
        found = found | _NAMES[m.group(1)]
    aspirin = _ASPIRIN_RE.search(t)
    if aspirin and not _CO_ANALGESIC.search(t):
        dose = float(aspirin.group(1).replace(",", "."))
        if 0 < dose <= _ASPIRIN_MAX_MG:
            found = found | {"antiplatelet"}
    if not found:
        return _EMPTY, False
    acute = is_parenteral_text(t) and bool(found - _INJECTABLE_CHRONIC)
    return found, acute
