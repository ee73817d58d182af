"""French and English output: numbers, percentages, dates and a tiny message catalogue.

Used by the advice texts now and by the CLI and the app later, so that a number reads the same everywhere.
French follows the Imprimerie nationale conventions that French clinicians expect on a lab report: decimal
comma, a narrow no-break space as thousands separator and before "%", dates as dd/mm/yyyy. English uses a
decimal point and an unambiguous "3 Mar 2025" date (never 03/03 style, which reads differently in the US).

Templates use ``str.format`` fields whose values are formatted for the language (``{x:.1f}``, ``{x:.1%}``,
``{x:g}``, ``{x:auto}`` for numbers, ``{d}`` or ``{d:iso}`` for dates, ``{x!r}`` for text quoted as the source
gave it):

>>> render("LDL {ldl:.1f} mmol/L, risk {risk:.1%}", "fr", ldl=2.345, risk=0.063)
'LDL 2,3 mmol/L, risk 6,3\\u202f%'
>>> render("LDL {ldl:.1f} mmol/L, risk {risk:.1%}", "en", ldl=2.345, risk=0.063)
'LDL 2.3 mmol/L, risk 6.3%'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any, Literal

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")

NNBSP = "\u202f"  # narrow no-break space: French thousands separator and space before %
NBSP = "\u00a0"  # no-break space: French space before ":" and ";"

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if supported, else raise a ValueError naming the supported languages."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}: use one of {', '.join(LANGS)}")
    return lang  # type: ignore[return-value]


def fmt_number(value: float | int, lang: str, decimals: int = 0) -> str:
    """A number rounded to ``decimals`` places, in the language's notation.

    A missing or infinite value raises: the caller decides how to show "no value", never this helper.

    >>> fmt_number(1234.56, "fr", 1), fmt_number(1234.56, "en", 1), fmt_number(-0.04, "fr", 1)
    ('1\\u202f234,6', '1,234.6', '0,0')
    """
    check_lang(lang)
    if value is None or isinstance(value, bool) or not math.isfinite(float(value)):
        raise ValueError(f"cannot format {value!r} as a number")
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    text = f"{abs(float(value)):,.{decimals}f}"
    negative = float(value) < 0 and float(text.replace(",", "")) != 0.0  # no "-0.0"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return ("-" if negative else "") + text


def fmt_percent(fraction: float, lang: str, decimals: int = 1) -> str:
    """A fraction (0-1) shown as a percentage: 0.0625 -> "6.2%" / "6,2 %"."""
    number = fmt_number(float(fraction) * 100.0, lang, decimals)
    return number + (NNBSP + "%" if lang == "fr" else "%")


def fmt_auto(value: float) -> str:
    """A measured value with the digits a lab shows: 0 or >= 100 whole, >= 1 two decimals at most, else two
    significant digits (a template's ``{x:auto}``; the decimal point is made a comma in French).

    >>> fmt_auto(2500.0), fmt_auto(4.50), fmt_auto(0.0123)
    ('2500', '4.5', '0.012')
    """
    if value == 0 or abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def fmt_date(value: date | datetime, lang: str) -> str:
    """A calendar date: "05/03/2025" in French, "5 Mar 2025" in English (pandas Timestamps accepted).

    >>> fmt_date(date(2025, 3, 5), "fr"), fmt_date(date(2025, 3, 5), "en")
    ('05/03/2025', '5 Mar 2025')
    """
    check_lang(lang)
    if not isinstance(value, date):
        raise ValueError(f"cannot format {value!r} as a date")
    if lang == "fr":
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year:04d}"


def in_sentence(label: str) -> str:
    """A label inside a sentence: "Systolic BP" -> "systolic BP"; an abbreviation ("LDL cholesterol", "HbA1c",
    "HDL-cholestérol") is kept.

    >>> in_sentence("Systolic BP"), in_sentence("HbA1c"), in_sentence("HDL-cholestérol"), in_sentence("Glycémie")
    ('systolic BP', 'HbA1c', 'HDL-cholestérol', 'glycémie')
    """
    word = re.match(r"[^\W\d_]*", label).group()  # type: ignore[union-attr]  # always matches
    return label[:1].lower() + label[1:] if word[1:] == word[1:].lower() else label


@dataclass(frozen=True, slots=True)
class Text:
    """One message in both languages."""

    en: str
    fr: str

    def get(self, lang: str) -> str:
        return self.fr if check_lang(lang) == "fr" else self.en

    @classmethod
    def from_mapping(cls, data: Mapping[str, str], *, where: str = "") -> Text:
        missing = [lang for lang in LANGS if not str(data.get(lang, "")).strip()]
        if missing:
            raise ValueError(f"text {where or data!r} lacks {', '.join(missing)}")
        return cls(en=str(data["en"]), fr=str(data["fr"]))


_set = object.__setattr__  # a Text is frozen: its lazy parts are set once, through object


class LazyText(Text):
    """A Text whose each language is rendered the first time it is read, then kept.

    The advice builds many texts per patient (every step, gap and reason, in two languages), while a panel row
    reads a few codes and one gap, and a page shows one language: rendering on first read makes the unread ones
    free. ``make(lang)`` must depend only on values fixed when the text is built (no shared mutable state), so
    that the text reads the same whenever it is read. Pickled (a session, a cache), it is rendered and travels
    as a plain ``Text``.
    """

    __slots__ = ("_make", "_en", "_fr")  # _en, _fr: unset until that language is first read

    def __init__(self, make: Callable[[str], str]) -> None:  # no super().__init__: en/fr are rendered on read
        _set(self, "_make", make)

    @property  # type: ignore[override]  # read-only on purpose: a Text is frozen
    def en(self) -> str:
        try:
            return self._en
        except AttributeError:
            _set(self, "_en", self._make("en"))
            return self._en

    @property  # type: ignore[override]
    def fr(self) -> str:
        try:
            return self._fr
        except AttributeError:
            _set(self, "_fr", self._make("fr"))
            return self._fr

    def get(self, lang: str) -> str:
        if lang == "fr":
            return self.fr
        if lang == "en":
            return self.en
        return super().get(lang)  # raises, naming the supported languages

    def __eq__(self, other: object) -> bool:  # equal to any Text that reads the same
        if isinstance(other, Text):
            return (self.en, self.fr) == (other.en, other.fr)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.en, self.fr))

    def __reduce__(self) -> tuple[type[Text], tuple[str, str]]:
        return Text, (self.en, self.fr)


def lazy_template(template: Text, /, **params: Any) -> LazyText:
    """``template`` filled with ``params``, each language rendered when first read (see ``render``)."""
    return LazyText(lambda lang: render(template.get(lang), lang, **params))


def lazy_join(parts: list[Text] | tuple[Text, ...], sep_en: str, sep_fr: str | None = None) -> LazyText:
    """The parts joined (``sep_fr`` in French when it differs: " ; " has its space), rendered when first read."""
    parts = tuple(parts)
    fr = sep_en if sep_fr is None else sep_fr
    return LazyText(lambda lang: (fr if lang == "fr" else sep_en).join([p.get(lang) for p in parts]))


class _Localised:
    """Wraps a template value so that ``format`` uses the language's notation (see ``render``)."""

    __slots__ = ("lang", "value")

    def __init__(self, value: Any, lang: str) -> None:
        self.value = value
        self.lang = lang

    def __format__(self, spec: str) -> str:
        value = self.value
        if isinstance(value, Text):
            return format(value.get(self.lang), spec)
        if isinstance(value, date):
            if spec == "iso":  # where an English text has always shown ISO dates (2019-03-02)
                return value.strftime("%Y-%m-%d")
            return fmt_date(value, self.lang)
        if isinstance(value, str) and spec == "iso":  # a date the source gave in a form not parsed: as it came
            return value
        if isinstance(value, bool) or isinstance(value, str):
            return format(value, spec)
        if isinstance(value, int | float):
            if spec == "%":  # shortest form up to one decimal: 5%, 2.5%
                return fmt_percent(value, self.lang, 1).replace(",0" + NNBSP, NNBSP).replace(".0%", "%")
            if spec.endswith("%"):
                return fmt_percent(value, self.lang, _decimals(spec[:-1], 1))
            if spec.endswith("f") or spec == "":
                default = 0 if isinstance(value, int) else 1
                return fmt_number(value, self.lang, _decimals(spec[:-1] if spec else "", default))
            if spec.endswith("g") or spec == "auto":  # significant digits, as Python writes them
                text = fmt_auto(float(value)) if spec == "auto" else format(value, spec)
                if self.lang != "fr":
                    return text
                if text.lstrip("-").isdigit() and len(text.lstrip("-")) > 4:  # 25000 -> 25 000
                    return fmt_number(float(text), "fr", 0)
                return text.replace(".", ",")
        return format(value, spec)

    def __repr__(self) -> str:  # "{x!r}": the value as the source gave it, quoted
        return repr(self.value)

    def __str__(self) -> str:  # "{x!s}"
        return format(self, "")


def _decimals(spec: str, default: int) -> int:
    """ ".2" -> 2; "" -> default. Other format features (width, sign) are not used in clinical text."""
    if not spec:
        return default
    if not spec.startswith(".") or not spec[1:].isdigit():
        raise ValueError(f"unsupported number format {spec!r}: use '.Nf' or '.N%'")
    return int(spec[1:])


def render(template: str, lang: str, /, **params: Any) -> str:
    """Fill ``template`` with ``params`` formatted for ``lang`` (numbers, percentages, dates, ``Text``)."""
    check_lang(lang)
    if isinstance(params.get("age"), float) and math.isfinite(params["age"]):
        # An age in years is said floored, as people say it: 39.8 is "39" (rounded, "age 40" would contradict
        # "SCORE2 covers ages 40-69"); issue 11.
        params = {**params, "age": math.floor(params["age"])}
    try:
        text = template.format_map({k: _Localised(v, lang) for k, v in params.items()})
    except KeyError as exc:
        raise ValueError(f"template needs a value for {exc.args[0]!r}: {template!r}") from None
    return french_spacing(text) if lang == "fr" else text


def french_spacing(text: str) -> str:
    """No-break spaces before French high punctuation and %, so that "12 %" never wraps before "%".

    >>> french_spacing("Cible : 7 % ; DFGe ?") == "Cible\u00a0: 7\u202f%\u202f; DFGe\u202f?"
    True
    """
    for mark, space in ((":", NBSP), (";", NNBSP), ("%", NNBSP), ("?", NNBSP), ("!", NNBSP)):
        text = text.replace(" " + mark, space + mark)
    return text


class Catalogue:
    """A small keyed set of bilingual templates, loaded from JSON ``{"key": {"en": ..., "fr": ...}}``."""

    def __init__(self, messages: Mapping[str, Text]) -> None:
        self._messages = dict(messages)

    @classmethod
    def from_json_text(cls, text: str, *, source: str = "catalogue") -> Catalogue:
        data = json.loads(text)
        return cls(
            {
                key: Text.from_mapping(value, where=f"{source}:{key}")
                for key, value in data.items()
                if not key.startswith("_")  # "_about" and other notes
            }
        )

    @classmethod
    def from_resource(cls, package: str, name: str) -> Catalogue:
        """A catalogue shipped as package data (``from_resource("risk.advise", "messages.json")``)."""
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
        return cls.from_json_text(text, source=f"{package}/{name}")

    def __contains__(self, key: str) -> bool:
        return key in self._messages

    def __getitem__(self, key: str) -> Text:
        try:
            return self._messages[key]
        except KeyError:
            raise KeyError(f"no message {key!r} in the catalogue") from None

    def text(self, key: str, lang: str, /, **params: Any) -> str:
        return render(self[key].get(lang), lang, **params)
