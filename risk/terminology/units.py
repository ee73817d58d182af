"""Unit conversion to the canonical unit of each concept (risk.terminology.concepts), and plausibility checks.

UCUM strings are parsed by ucumvert into pint units, which gives the dimensional part (mg/dL -> g/L,
[lb_av] -> kg, kPa -> mm[Hg], mL/s -> mL/min). Crossing from mass to substance concentration needs the
analyte: the factors below are the clinical constants of clinical_reference.md section 7 (used there by the
equations too, so that a round trip is exact). HbA1c % <-> mmol/mol is the IFCC-NGSP master equation.

Rules (clinical safety first: a wrong number is worse than no number):
- A unit is never guessed. No unit => no value, with the reason. Two exceptions, each with a note: blood
  pressure (the FHIR R4 vital-signs profile fixes mm[Hg], and Synthea omits the unit on some components) and
  BMI (kg/m2 is its only unit in use).
- eGFR in plain 'mL/min' is read as mL/min/1.73 m2 with a note: every eGFR code is indexed to 1.73 m2 by
  definition (Synthea writes 'mL/min' for LOINC 33914-3); Cockcroft-Gault clearance (35591-7) never reaches
  this concept (risk.terminology leaves it unmapped).
- Common non-UCUM spellings seen in real files are accepted (mmHg, mg/dl, umol/L, µmol/L, g/l, kg/m^2,
  mL/min/1.73m2, bpm, mEq/L...).

Speed: the conversion route of each (concept, unit) pair is computed once and cached; pint is only touched
on the first sight of a unit. The ucumvert registry is created lazily (it takes about a second).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from risk.terminology.concepts import MEASUREMENT_CONCEPTS, Concept
from risk.terminology.messages import Message
from risk.terminology.systems import load_data

CANONICAL_UNITS: dict[str, str] = {name: c.unit for name, c in MEASUREMENT_CONCEPTS.items() if c.numeric}


@dataclass(frozen=True, kw_only=True, slots=True)
class Conversion:
    """Result of a unit conversion. `value` is None when the value cannot be used; `problem` says why."""

    value: float | None
    unit: str  # canonical UCUM unit (for from_canonical: the unit asked for)
    problem: str | None = None  # plain-language reason the value is unusable
    note: str | None = None  # an assumption made on the way (e.g. unit missing, mmHg assumed)
    problem_message: Message | None = None  # `problem` coded, for risk.i18n.messages


# --- clinical constants (clinical_reference.md section 7; [V2+] for the first three) --------------------
# The one home of the analyte factors: the record converts with them, the equations convert back with them
# (risk.equations.conversions), the synthetic cohort writes with them.
# cholesterol (all fractions): mg/dL = mmol/L x 38.67 (conventional factor; the PREVENT code and the SCORE2 Stata
# example use 0.02586 = 1/38.67; molar mass 386.65 g/mol gives the same to 4 digits)
CHOL_MG_DL_PER_MMOL_L = 38.67
# creatinine: umol/L = mg/dL x 88.4 (CKD-EPI tools, preventr; 113.12 g/mol)
CREATININE_UMOL_L_PER_MG_DL = 88.4
# calcium: mg/dL = mmol/L x 4.008 (KFRE; 40.08 g/mol); phosphate (as phosphorus): mg/dL = mmol/L x 3.097
CALCIUM_MG_DL_PER_MMOL_L = 4.008
PHOSPHATE_MG_DL_PER_MMOL_L = 3.097
# mmol/L per mg/dL (mass concentration -> substance concentration), per analyte.
MMOL_PER_L_PER_MG_DL: dict[str, float] = {
    "total_chol": 1 / CHOL_MG_DL_PER_MMOL_L, "hdl": 1 / CHOL_MG_DL_PER_MMOL_L, "ldl": 1 / CHOL_MG_DL_PER_MMOL_L,
    "non_hdl": 1 / CHOL_MG_DL_PER_MMOL_L,
    # triglycerides: mmol/L = mg/dL x 0.01129 (= / 88.57; as triolein, 885.7 g/mol)
    "triglycerides": 1 / 88.57,
    # glucose: mmol/L = mg/dL x 0.0555 (= / 18.016; 180.16 g/mol)
    "glucose": 1 / 18.016,
    "creatinine": CREATININE_UMOL_L_PER_MG_DL / 1000,  # mmol/L = mg/dL x 0.0884
    "calcium": 1 / CALCIUM_MG_DL_PER_MMOL_L, "phosphate": 1 / PHOSPHATE_MG_DL_PER_MMOL_L,
}
# UACR: mg/g = mg/mmol x 8.84 (creatinine 113.12 g/mol: 1 mmol = 0.1131 g)
UACR_MG_G_PER_MG_MMOL = 8.84
# HbA1c, IFCC-NGSP master equation: NGSP % = 0.09148 x IFCC mmol/mol + 2.152 (clinical_reference.md 7)
HBA1C_SLOPE, HBA1C_INTERCEPT = 0.09148, 2.152
# Charge of the ion, for mEq/L: mmol/L = mEq/L / valence. Phosphate has no fixed valence: mEq refused.
VALENCE: dict[str, int] = {"bicarbonate": 1, "calcium": 2, "potassium": 1}

# Non-UCUM spellings seen in real data -> UCUM. Keys are compared after folding (see _fold_unit).
_ALIASES: dict[str, str] = {
    "mmhg": "mm[Hg]", "mm hg": "mm[Hg]", "mm[hg]": "mm[Hg]",
    "mg/dl": "mg/dL", "g/dl": "g/dL", "g/l": "g/L", "mg/l": "mg/L", "mmol/l": "mmol/L", "umol/l": "umol/L",
    "mcmol/l": "umol/L", "micromol/l": "umol/L", "mmol/mol": "mmol/mol", "mg/mmol": "mg/mmol", "mg/g": "mg/g",
    "meq/l": "meq/L", "mval/l": "meq/L",
    "kg/m2": "kg/m2", "kg/m^2": "kg/m2", "kg/m²": "kg/m2", "kg/sq m": "kg/m2",
    "bpm": "/min", "beats/min": "/min", "beats per minute": "/min", "{beats}/min": "/min", "/min": "/min",
    "1/min": "/min", "batt/min": "/min", "bat/min": "/min", "min-1": "/min",
    "lb": "[lb_av]", "lbs": "[lb_av]", "[lb_av]": "[lb_av]", "in": "[in_i]", "[in_i]": "[in_i]",
    "ft": "[ft_i]", "kg": "kg", "g": "g", "cm": "cm", "m": "m", "mm": "mm",
    "percent": "%", "%": "%", "% hb": "%", "%hb": "%", "{hb}%": "%",
}
_EGFR_INDEXED = re.compile(r"^(ml|l)/(min|s|h)(/|per)?\(?\{?1\.73_?m2\}?\)?$")
_FLOW_PLAIN = re.compile(r"^(ml|l)/(min|s|h)$")


def _fold_unit(unit: str) -> str:
    u = unit.strip().replace("µ", "u").replace("μ", "u").replace("²", "2").replace("^2", "2")
    return re.sub(r"\s+", " ", u).lower()


def _label(c: Concept) -> str:
    """'HDL cholesterol', 'total cholesterol', 'eGFR', 'HbA1c': the English label as it reads in a sentence.

    Only a plain capitalised first word is lowered; an abbreviation (any other capital in it) is kept.
    """
    lab = c.label_en
    word = re.match(r"[^\W\d_]*", lab).group()  # leading letters: 'Non' of 'Non-HDL', 'HbA' of 'HbA1c'
    return lab[0].lower() + lab[1:] if word[1:] == word[1:].lower() else lab


# --- routes: how to turn a value in one unit into the canonical unit, computed once per pair ------------


@dataclass(frozen=True, slots=True)
class _Route:
    to_canonical: Callable[[float], float] | None
    from_canonical: Callable[[float], float] | None = None
    problem: str | None = None
    note: str | None = None
    unit: str = ""
    message: Message | None = None  # `problem` coded
    factor: float | None = None  # a linear route's multiplier (what data/unit_routes.json ships)


def _linear(factor: float, note: str | None = None, unit: str = "") -> _Route:
    return _Route(lambda v: v * factor, lambda v: v / factor, note=note, unit=unit, factor=factor)


def _fail(problem: str, message: Message, unit: str = "") -> _Route:
    return _Route(None, None, problem=problem, unit=unit, message=message)


_REGISTRY: Any = None


def _ureg() -> Any:
    """The ucumvert/pint registry, created on first use (about one second)."""
    global _REGISTRY
    if _REGISTRY is None:
        from ucumvert import PintUcumRegistry

        _REGISTRY = PintUcumRegistry()
    return _REGISTRY


# An exponent of three digits or more (after an atom, a bracket or `10*`), or a factor of seven digits or more, is no
# laboratory unit; pint would raise a big integer to it and hang the reader (found by scripts/fuzz_readers.py).
_HUGE_NUMBER = re.compile(r"(?<=[A-Za-z\])}*^])\d{3,}|\d{7,}")


def _parse(ucum: str) -> Any | None:
    """pint Quantity for 1 x the UCUM unit, or None when it is not valid UCUM."""
    if len(ucum) > 40 or _HUGE_NUMBER.search(ucum):
        return None
    try:
        q = _ureg().from_ucum(ucum)
        q.dimensionality  # noqa: B018 - annotations alone ('{score}') parse to a token without dimension
        return q
    except Exception:  # ucumvert raises several error types on bad input; all mean "not UCUM"
        return None


def _factor(q: Any, target: str) -> float | None:
    """Multiplier from the unit of q to `target` (UCUM), or None when the dimensions differ."""
    try:
        t = _ureg().from_ucum(target)
        if q.dimensionality != t.dimensionality:
            return None
        return float((q / t).to("dimensionless").magnitude)
    except Exception:  # pint DimensionalityError and friends
        return None


def _shipped_routes() -> dict[tuple[str, str], tuple[float, str | None]]:
    """(concept, unit) -> (factor, note) of data/unit_routes.json: linear routes computed by `_computed_route`
    (pint) when the file was built (scripts/build_unit_routes.py), so that the common units convert without
    creating the ucumvert registry (about a second in every process). tests/unit/test_units.py checks that each
    one is still what pint computes."""
    data = load_data("unit_routes.json")["routes"]
    return {(concept, unit): (factor, note) for concept, units in data.items()
            for unit, (factor, note) in units.items()}


_SHIPPED_ROUTES = _shipped_routes()


@lru_cache(maxsize=4096)
def _route(concept: str, unit: str | None) -> _Route:
    shipped = _SHIPPED_ROUTES.get((concept, unit)) if unit is not None else None
    if shipped is not None:
        return _linear(shipped[0], note=shipped[1], unit=MEASUREMENT_CONCEPTS[concept].unit)
    return _computed_route(concept, unit)


def _computed_route(concept: str, unit: str | None) -> _Route:
    c = MEASUREMENT_CONCEPTS.get(concept)
    if c is None:
        return _fail(f"unknown concept '{concept}'", Message(code="unit.unknown_concept", params={"key": concept}))
    if not c.numeric:
        return _fail(f"{_label(c)} is a coded value, not a quantity",
                     Message(code="unit.coded_value", params={"concept": concept}), c.unit)
    if unit is None or not unit.strip():
        return _missing_unit(c)
    folded = _fold_unit(unit)
    if concept == "egfr":
        return _egfr_route(c, unit, folded)
    ucum = _ALIASES.get(folded, unit.strip())
    if concept == "hba1c":
        return _hba1c_route(c, unit, ucum)
    unknown = _fail(f"unknown unit '{unit}' for {_label(c)}",
                    Message(code="unit.unknown", params={"source_unit": unit, "concept": concept}), c.unit)
    q = _parse(ucum)
    if q is None:
        return unknown
    if "eq" in ucum.lower():  # mEq/L: pint counts 1 eq as 1 mol, right only for monovalent ions
        valence = VALENCE.get(concept)
        f = _factor(q, "meq/L")
        if valence is None or f is None:
            return _fail(f"unit '{unit}' (equivalents) cannot be converted to {c.display_unit} for "
                         f"{_label(c)}", Message(code="unit.equivalents", params={
                             "source_unit": unit, "unit": c.display_unit, "concept": concept}), c.unit)
        return _linear(f / valence, unit=c.unit)
    if concept == "uacr":
        return _uacr_route(c, unit, ucum, q)
    f = _factor(q, c.unit)
    if f is not None:
        return _linear(f, unit=c.unit)
    molar = MMOL_PER_L_PER_MG_DL.get(concept)
    if molar is not None:
        f_mass = _factor(q, "mg/dL")
        f_out = _factor(_ureg().from_ucum("mmol/L"), c.unit)
        if f_mass is not None and f_out is not None:
            return _linear(f_mass * molar * f_out, unit=c.unit)
    return _fail(f"unit '{unit}' cannot be converted to {c.display_unit} for {_label(c)}", Message(
        code="unit.not_convertible", params={"source_unit": unit, "unit": c.display_unit, "concept": c.name}), c.unit)


def _missing_unit(c: Concept) -> _Route:
    if c.name in ("sbp", "dbp"):
        return _linear(1.0, note="unit missing; mmHg assumed for blood pressure (the FHIR R4 vital-signs "
                       "profile allows only mm[Hg])", unit=c.unit)
    if c.name == "bmi":
        return _linear(1.0, note="unit missing; kg/m² assumed for BMI (its only unit in use)", unit=c.unit)
    return _fail(f"no unit given for {_label(c)}: the value cannot be used without its unit",
                 Message(code="unit.missing", params={"concept": c.name}), c.unit)


def _hba1c_route(c: Concept, unit: str, ucum: str) -> _Route:
    bare = re.sub(r"\{.*?\}", "", ucum).strip()
    if bare == "%":
        return _Route(lambda v: (v - HBA1C_INTERCEPT) / HBA1C_SLOPE,
                      lambda v: v * HBA1C_SLOPE + HBA1C_INTERCEPT, unit=c.unit)
    if bare == "mmol/mol":
        return _linear(1.0, unit=c.unit)
    return _fail(f"unknown unit '{unit}' for HbA1c (expected % or mmol/mol)",
                 Message(code="unit.unknown_hba1c", params={"source_unit": unit}), c.unit)


def _egfr_route(c: Concept, unit: str, folded: str) -> _Route:
    u = folded.replace(" ", "").replace(",", ".")
    m = _EGFR_INDEXED.match(u)
    note = None
    if m is None:
        m = _FLOW_PLAIN.match(u)
        if m is None:
            return _fail(f"unknown unit '{unit}' for eGFR (expected mL/min/1.73 m²)",
                         Message(code="unit.unknown_egfr", params={"source_unit": unit}), c.unit)
        note = (f"unit '{unit.strip()}' read as mL/min/1.73 m²: an eGFR code is indexed to 1.73 m² by "
                "definition (Synthea writes mL/min for LOINC 33914-3)")
    volume, time = m.group(1), m.group(2)
    q = _parse(f"{'mL' if volume == 'ml' else 'L'}/{time}")
    f = None if q is None else _factor(q, "mL/min")
    if f is None:
        return _fail(f"unknown unit '{unit}' for eGFR",
                     Message(code="unit.unknown", params={"source_unit": unit, "concept": c.name}), c.unit)
    return _linear(f, note=note, unit=c.unit)


def _uacr_route(c: Concept, unit: str, ucum: str, q: Any) -> _Route:
    bare = re.sub(r"\{.*?\}", "", ucum)
    f = _factor(q, "mg/mmol")
    if f is not None:
        return _linear(f, unit=c.unit)
    if re.fullmatch(r"(ug|mg|g)/(mg|g)", bare):  # mass ratio: albumin mass per creatinine mass
        f = _factor(q, "mg/g")
        if f is not None:
            return _linear(f / UACR_MG_G_PER_MG_MMOL, unit=c.unit)
    return _fail(f"unit '{unit}' cannot be converted to mg/mmol for {_label(c)}", Message(
        code="unit.not_convertible", params={"source_unit": unit, "unit": "mg/mmol", "concept": c.name}), c.unit)


# --- public API --------------------------------------------------------------------------------------


def finite_float(value: object) -> float | None:
    """`value` as a finite float; None for booleans, non-numbers, NaN, infinities and too-large integers."""
    if isinstance(value, bool):
        return None
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return v if math.isfinite(v) else None


def to_canonical(concept: str, value: float, unit: str | None) -> Conversion:
    """Convert `value` in `unit` to the canonical unit of `concept`.

    >>> round(to_canonical("total_chol", 2.0, "g/L").value, 3)  # French lab: 2 g/L x 2.586
    5.172
    >>> to_canonical("hdl", 50, "mg/dLL").problem
    "unknown unit 'mg/dLL' for HDL cholesterol"
    """
    try:
        route = _route(concept, unit if isinstance(unit, str) else None)
    except Exception as exc:  # never let a conversion crash a record; say why instead
        return Conversion(value=None, unit=CANONICAL_UNITS.get(concept, ""), problem=f"unit error: {exc}",
                          problem_message=Message(code="unit.error", params={"detail": str(exc)}))
    if route.to_canonical is None:
        return Conversion(value=None, unit=route.unit, problem=route.problem, problem_message=route.message)
    v = finite_float(value)
    if v is None:
        return Conversion(value=None, unit=route.unit, problem=f"value {value!r} is not a finite number",
                          problem_message=Message(code="unit.value_not_finite", params={"value": value}))
    out = route.to_canonical(v)
    if not math.isfinite(out):
        return Conversion(value=None, unit=route.unit, problem=f"value {value!r} is out of range",
                          problem_message=Message(code="unit.value_out_of_range", params={"value": value}))
    return Conversion(value=out, unit=route.unit, note=route.note)


@lru_cache(maxsize=4096)
def canonical_converter(concept: str, unit: str | None) -> tuple[Callable[[float], float], str, str | None] | None:
    """(convert, canonical unit, note) when `to_canonical` accepts `unit` for `concept`, else None.

    The record reader's fast path for the common case (a usable unit): one cached look-up per value instead of
    a `Conversion`; anything else goes through `to_canonical`, which says why.
    """
    try:
        route = _route(concept, unit if isinstance(unit, str) else None)
    except Exception:  # to_canonical words the error
        return None
    if route.to_canonical is None:
        return None
    return route.to_canonical, route.unit, route.note


def from_canonical(concept: str, value: float, unit: str) -> Conversion:
    """Express a canonical value in another unit for display (g/L, mg/dL, %...).

    Only explicit units are accepted (no assumption is made for display).

    >>> round(from_canonical("hba1c", 53.0, "%").value, 2)
    7.0
    """
    try:
        route = _route(concept, unit) if isinstance(unit, str) and unit.strip() else None
    except Exception as exc:
        return Conversion(value=None, unit=str(unit), problem=f"unit error: {exc}",
                          problem_message=Message(code="unit.error", params={"detail": str(exc)}))
    if route is None or route.from_canonical is None or route.note is not None:
        if route is not None and route.problem:
            return Conversion(value=None, unit=str(unit), problem=route.problem, problem_message=route.message)
        return Conversion(value=None, unit=str(unit), problem=f"cannot display {concept} in {unit!r}",
                          problem_message=Message(code="unit.cannot_display",
                                                  params={"key": concept, "source_unit": unit}))
    v = finite_float(value)
    if v is None:
        return Conversion(value=None, unit=unit, problem=f"value {value!r} is not a finite number",
                          problem_message=Message(code="unit.value_not_finite", params={"value": value}))
    return Conversion(value=route.from_canonical(v), unit=unit.strip())


def _fmt(x: float) -> str:
    if x == 0 or abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.2g}"


def plausibility_problem(concept: str, value: float, *, reported_value: float | None = None,
                         reported_unit: str | None = None) -> str | None:
    """Plain-language reason when a canonical value is outside what a living adult can show, else None.

    The range (risk.terminology.concepts) is wide on purpose: it catches unit mix-ups (mmol/L labelled mg/dL, g/L read
    as mmol/L) and typing errors, not abnormal results. Pass what the source said to have it in the message.

    >>> plausibility_problem("hdl", 45.0)
    'HDL cholesterol 45 mmol/L is outside the plausible range 0.1–5 mmol/L; check the unit'
    """
    found = _plausibility(concept, value, reported_value, reported_unit)
    return None if found is None else found[0]


def plausibility_message(concept: str, value: float, *, reported_value: float | None = None,
                         reported_unit: str | None = None) -> Message | None:
    """The reason of :func:`plausibility_problem`, coded for risk.i18n.messages (None when plausible)."""
    found = _plausibility(concept, value, reported_value, reported_unit)
    return None if found is None else found[1]


def _plausibility(concept: str, value: float, reported_value: float | None,
                  reported_unit: str | None) -> tuple[str, Message] | None:
    c = MEASUREMENT_CONCEPTS.get(concept)
    if c is None or not c.numeric:
        return None
    v = finite_float(value)
    if v is None:
        return (f"{c.label_en}: value {value!r} is not a finite number",
                Message(code="value.not_finite", params={"concept": concept, "value": value}))
    if c.low <= v <= c.high:
        return None
    params: dict[str, Any] = {"concept": concept, "value": v, "low": c.low, "high": c.high, "unit": c.display_unit}
    reported = ""
    if reported_value is not None:
        reported = f" (reported as {_fmt(float(reported_value))} {reported_unit or 'without a unit'})"
        params.update(reported_value=float(reported_value), source_unit=reported_unit)
    unit = f" {c.display_unit}" if c.display_unit else ""
    coded = Message(code="value.implausible" if reported_value is None else "value.implausible_reported"
                    if reported_unit else "value.implausible_reported_no_unit", params=params)
    return (f"{c.label_en} {_fmt(v)}{unit}{reported} is outside the plausible range "
            f"{_fmt(c.low)}–{_fmt(c.high)}{unit}; check the unit", coded)


def is_identity(concept: str, unit: str | None) -> bool:
    """True when `unit` is the canonical unit under another spelling ('mmHg' for 'mm[Hg]', 'umol/L')."""
    if not unit:
        return False
    one = from_canonical(concept, 1.0, unit)
    two = from_canonical(concept, 2.0, unit)
    return one.value is not None and two.value is not None and abs(one.value - 1.0) < 1e-12 and \
        abs(two.value - 2.0) < 1e-12
