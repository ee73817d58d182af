"""What the advice layer returns: next steps, care gaps, weak-signal alerts and the risk category.

Every output carries its source (guideline, year, class and level, or the rationale of a project threshold)
and the inputs that produced it with their value, unit and date, so that a clinician can check it in seconds
and a CDS Hooks card or a FHIR Task can be built from it without going back to the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from risk.errors import ExitCode, RiskError
from risk.i18n import Text


class AdviceInputError(RiskError):
    """Input the advice layer cannot use safely (e.g. a risk in percent instead of a fraction)."""

    code = ExitCode.INTERNAL


# Actions that change treatment: a stale value must never drive them (project issue 12).
DECIDING_ACTIONS = ("start", "intensify")
ACTIONS = (*DECIDING_ACTIONS, "lifestyle", "monitor", "refer", "assess", "advise")


class Rendered:
    """A text field of an advice output, given as a string or as a bilingual ``Text`` (often a ``LazyText``):
    read, it is the string in the field's language, rendered the first time it is read.

    Most advice texts are never shown (a panel row reads codes, a page one language), so a step, a gap or a
    category keeps its ``Text`` and renders one language when a caller reads ``text_fr`` or ``text_en``. The
    fields stay plain ``str`` for every reader (``dataclasses.fields``, ``replace``, equality, JSON, pickle).
    The classes that use it carry a ``__dict__`` (no ``slots``): the descriptor keeps the value there.
    """

    __slots__ = ("lang", "name")

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> str:
        if obj is None:  # the dataclass looks for a default here: there is none
            raise AttributeError(self.name)
        value = obj.__dict__[self.name]
        return value if value.__class__ is str else value.get(self.lang)

    def __set__(self, obj: Any, value: str | Text) -> None:
        obj.__dict__[self.name] = value


@dataclass(frozen=True, kw_only=True, slots=True)
class TriggerInput:
    """One input behind a step: a feature, a score or a model prediction."""

    name: str  # feature column or score name, e.g. "ldl", "score2", "established_cvd"
    value: float | None  # None = missing (shown as "not recorded"); flags are 1.0 / 0.0
    unit: str  # display unit ("mmol/L", "%", "" for flags)
    date: date | None = None  # date of the measurement when known


@dataclass(frozen=True, kw_only=True)
class NextStep:
    """A guideline-linked action for this patient, or one already in place (``already_done``)."""

    id: str  # rule id in rules.json
    category: str  # risk_assessment, lipids, blood_pressure, smoking, antithrombotic, diabetes, kidney, heart_failure
    priority: int  # 1 act now, 2 optimise, 3 assess / lifestyle / monitor
    text_en: Rendered = Rendered("en")  # reads as str; rendered when first read (Rendered)
    text_fr: Rendered = Rendered("fr")
    guideline: str  # short name, e.g. "ESC 2021 CVD prevention"
    year: int
    recommendation_class: str  # ESC I/IIa/IIb/III; KDIGO 1/2; "PP" = practice point (not graded)
    evidence_level: str  # ESC A/B/C; KDIGO A-D; "not graded"
    triggered_by: tuple[TriggerInput, ...]
    already_done: bool = False  # the patient already receives it: shown, never offered again
    reference: str = ""  # full citation with DOI
    confidence: str = ""  # V2+ / V1 / M: how well the grading was checked (M = verify in the PDF); never shown
    context: tuple[TriggerInput, ...] = ()  # model predictions shown beside the step; they never trigger it
    action: str = "assess"  # rules.json "action": start, intensify, lifestyle, monitor, refer, assess, advise
    acts_on: tuple[TriggerInput, ...] = ()  # the dated measurements the step acts on (their dates are in the text)
    stale: tuple[TriggerInput, ...] = ()  # those of acts_on older than their staleness limit at the index date

    @property
    def remeasure(self) -> bool:
        """A start/intensify step turned into "re-measure X before deciding" because X is too old."""
        return remeasures(self.stale, self.action, self.already_done)


def remeasures(stale: tuple[TriggerInput, ...], action: str, already_done: bool) -> bool:
    """A start/intensify step whose value is too old becomes "re-measure X before deciding" (issue 12)."""
    return bool(stale) and action in DECIDING_ACTIONS and not already_done


@dataclass(frozen=True, kw_only=True)
class CareGap:
    """A test, exam or screening that is due or overdue, or has no record at all."""

    id: str  # hba1c, lipids, egfr, uacr, retinal_exam, foot_exam, bp, colorectal_screening, ...
    text_en: Rendered = Rendered("en")  # reads as str; rendered when first read (Rendered)
    text_fr: Rendered = Rendered("fr")
    last_done: date | None  # None: no record in the file (never claimed overdue since a date)
    due: date  # when it fell or falls due (as_of when there is no record)
    overdue_days: int | None  # days past due at as_of (negative: due in the future); None without record
    interval_months: int
    guideline: str  # source of the interval, e.g. "ADA Standards of Care 2025 s.6; HAS 2014"
    # Out of the organised programme (cancer, organ removed, recent colonoscopy): the text names the specialist
    # follow-up instead; shown with the gaps, never counted as one (issue 12).
    follow_up: bool = False

    @property
    def no_record(self) -> bool:
        return self.last_done is None and not self.follow_up


@dataclass(frozen=True, kw_only=True)
class Alert:
    """A weak signal in a trend that deserves a look before it crosses a guideline threshold."""

    id: str
    text_en: Rendered = Rendered("en")  # reads as str; rendered when first read (Rendered)
    text_fr: Rendered = Rendered("fr")
    value: float  # the signal (slope per year, fraction of weight lost)
    unit: str
    window: str  # ISO 8601 duration of the look-back, e.g. "P3Y"
    guideline_or_rationale: str
    triggered_by: tuple[TriggerInput, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RiskCategory:
    """Which cardiovascular risk category applies, on what basis, and which threshold set is in force."""

    category: str  # low, moderate, low_moderate, high, very_high, unknown
    label_en: str
    label_fr: str
    basis: str  # established_cvd, diabetes_target_organ_damage, ckd, score, markedly_elevated, not_computable
    guideline_set: str  # esc2021 or esc_eas2025
    threshold_set: str  # esc2021_age_specific, esc_eas2025, esc2023_score2_diabetes, or "" when no score used
    reason_en: Rendered = Rendered("en")  # why this category and why this threshold set, in words (Rendered)
    reason_fr: Rendered = Rendered("fr")
    guideline: str
    year: int
    reference: str
    recommendation_class: str = "not graded"
    evidence_level: str = "not graded"
    score_name: str | None = None  # score2, score2_op, score2_diabetes
    score_value: float | None = None  # fraction 0-1
    thresholds: tuple[float, ...] = ()  # cut-points of the set in force (fractions)
    region: str = "low"
    triggered_by: tuple[TriggerInput, ...] = ()
    missing: tuple[str, ...] = field(default=())  # inputs that would be needed when not computable

    @property
    def known(self) -> bool:
        return self.category != "unknown"
