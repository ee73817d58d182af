"""The one place where the library's coded messages become French or English text.

Equations, models and the record decide *why* (a `risk.terminology.messages.Message`: a code and plain
parameters); this module says it, from the catalogue risk/i18n/messages.json. Parameters are rendered in the
reader's language by their name, so a template never holds an English word from the data:

- ``concept`` / ``concepts``: a measurement concept or input key ("sbp", "age", "smoking_status",
  "bp_treatment"...). ``{concept}`` is the clinical name in a sentence ("systolic blood pressure"),
  ``{concept:lab}`` the laboratory label in a sentence ("systolic BP"), ``{concept:Lab}`` that label as
  printed ("Systolic BP"), ``{concept:short}`` the abbreviation ("UACR"). Lists read "a, b and c" /
  "a, b et c" (``{concepts:short:comma}``: "a, b, c").
- ``condition`` / ``conditions``: a feature flag ("established_cvd", "dx_esrd") -> its clinical label.
- ``drug_class`` / ``drug_classes``: a drug class or group ("metformin", "glucose_lowering") -> its label.
- ``model``: a model key ("cvd10") -> its short label. ``equation``: an equation key ("prevent_hf") or a
  display name; with ``variant`` ("base", "4-variable") the model used follows in brackets.
- ``unit``: a unit of the library ("years" -> "ans", "mL/min/1,73 m²"); source units travel under another name
  and are shown verbatim.
- a nested ``Message`` (or a list of them, joined by ";") is rendered in the same language; ``None`` reads
  "unknown" / "inconnu" (and ``None`` under ``!r``).
Numbers and dates follow ``risk.i18n.render`` (decimal comma, ``{d:iso}`` where English has always shown ISO).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from risk.errors import RiskError
from risk.i18n import Catalogue, check_lang, in_sentence, render
from risk.i18n.labels import (
    CONDITIONS,
    DRUG_CLASSES,
    EQUATION_NAMES,
    EQUATION_VARIANTS,
    INPUTS,
    MODEL_SHORT,
    SHORT_INPUTS,
    UNITS,
    pick,
)
from risk.terminology.concepts import MEASUREMENT_CONCEPTS
from risk.terminology.messages import Message

CATALOGUE = Catalogue.from_resource("risk.i18n", "messages.json")
_UNKNOWN = ("unknown", "inconnu")


def concept_label(key: str, lang: str, form: str = "") -> str:
    """A concept or input key as a sentence names it; ``form`` is "", "lab", "Lab" or "short" (see module doc)."""
    spec = MEASUREMENT_CONCEPTS.get(key)
    lab = (spec.label_fr if lang == "fr" else spec.label_en) if spec else None
    if form == "Lab" and lab:
        return lab
    if form == "lab" and lab:
        return in_sentence(lab)
    if form == "short" and key in SHORT_INPUTS:
        return pick(SHORT_INPUTS[key], lang)
    if form not in ("", "lab", "Lab", "short"):
        raise ValueError(f"unknown concept form {form!r}")
    if key in INPUTS:
        return pick(INPUTS[key], lang)
    return in_sentence(lab) if lab else key


def equation_label(key: str, lang: str, variant: str | None = None) -> str:
    """'PREVENT 10-year heart failure (base model)': an equation key (or display name) and the variant used."""
    name = pick(EQUATION_NAMES[key], lang) if key in EQUATION_NAMES else key
    if variant:
        name += f" ({pick(EQUATION_VARIANTS[variant], lang) if variant in EQUATION_VARIANTS else variant})"
    return name


def join_words(words: Sequence[str], lang: str) -> str:
    """'a, b and c' / 'a, b et c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + (" et " if lang == "fr" else " and ") + words[-1]


class _Label:
    """A parameter shown through a label table; the template's format spec picks the form."""

    __slots__ = ("key", "lang", "kind")

    def __init__(self, key: str, lang: str, kind: str) -> None:
        self.key, self.lang, self.kind = key, lang, kind

    def __format__(self, spec: str) -> str:
        if self.kind == "concept":
            return concept_label(self.key, self.lang, spec)
        table = {"condition": CONDITIONS, "model": MODEL_SHORT, "unit": UNITS, "drug_class": DRUG_CLASSES}[self.kind]
        return pick(table[self.key], self.lang) if self.key in table else self.key

    def __repr__(self) -> str:
        return repr(self.key)


class _Joined:
    """A list parameter: each item in the spec's form, joined "a, b and c" (or with commas: "...:comma")."""

    __slots__ = ("items", "lang")

    def __init__(self, items: list[Any], lang: str) -> None:
        self.items, self.lang = items, lang

    def __format__(self, spec: str) -> str:
        parts = spec.split(":") if spec else []
        comma = "comma" in parts
        form = ":".join(p for p in parts if p != "comma")
        words = [format(item, form) for item in self.items]
        return ", ".join(words) if comma else join_words(words, self.lang)


class _Missing:
    """A parameter the producer could not know (an age not recorded)."""

    __slots__ = ("lang",)

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __format__(self, spec: str) -> str:
        return pick(_UNKNOWN, self.lang)

    def __repr__(self) -> str:
        return "None"


_KINDS = {"concept": "concept", "concepts": "concept", "condition": "condition", "conditions": "condition",
          "model": "model", "unit": "unit", "drug_class": "drug_class", "drug_classes": "drug_class"}


def _param(name: str, value: Any, lang: str, variant: str | None) -> Any:
    if value is None:
        return _Missing(lang)
    if isinstance(value, Message):
        return message_text(value, lang)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Message) for v in value):
        return (" ; " if lang == "fr" else "; ").join(message_text(v, lang) for v in value)
    if name == "equation" and isinstance(value, str):
        return equation_label(value, lang, variant)
    kind = _KINDS.get(name)
    if kind is not None:
        if isinstance(value, list | tuple):
            return _Joined([_Label(str(v), lang, kind) for v in value], lang)
        return _Label(str(value), lang, kind)
    return value


def _text(code: str, params: Mapping[str, Any], lang: str) -> str:
    check_lang(lang)
    variant = params.get("variant")
    shown = {name: _param(name, value, lang, variant) for name, value in params.items()}
    return render(CATALOGUE[code].get(lang), lang, **shown)


def message_text(msg: Message, lang: str) -> str:
    """The message in ``lang`` ("fr" or "en"); an unknown code raises KeyError (the catalogue tests prevent it)."""
    return _text(msg.code, msg.params, lang)


def error_text(error: RiskError | str, lang: str) -> str:
    """A RiskError (or its `message`) in ``lang`` when it is coded (`said`); otherwise its English message, which
    is all the command line and the server-side errors have."""
    said = error.said if isinstance(error, RiskError) else getattr(error, "said", None)
    if said is not None:
        return message_text(said, lang)
    return error.message if isinstance(error, RiskError) else str(error)


def tr(code: str, lang: str, /, **params: Any) -> str:
    """A catalogue text that is not a library decision (a heading, a label) in ``lang``; `code` is a literal at
    every call, so the catalogue test can check it exists."""
    return _text(code, params, lang)


def message_json(msg: Message) -> dict[str, Any]:
    """The message as plain JSON (code and parameters; dates as ISO strings, nested messages as objects), for
    outputs that leave the rendering to their reader."""
    return {"code": msg.code, "params": {k: _plain(v) for k, v in msg.params.items()}}


def _plain(value: Any) -> Any:
    if isinstance(value, Message):
        return message_json(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
