"""The normalised patient timeline: what every later stage (features, scores, views) reads.

A `PatientRecord` is immutable. Each measurement keeps its canonical value *and* what the source said
(original value and unit, code, resource id), so any number on screen can be traced back. Anything that could
not be used (unknown unit, implausible value, future date...) is kept as a `DataIssue` with its reason (in
English and coded, so that risk.i18n words it in the reader's language): never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from risk.fhir.base import FetchGap
from risk.terminology.messages import Message


class IssueKind(StrEnum):
    UNKNOWN_UNIT = "unknown_unit"
    MISSING_UNIT = "missing_unit"
    IMPLAUSIBLE = "implausible_value"
    NON_NUMERIC = "non_numeric_value"
    FUTURE_DATE = "future_date"
    BEFORE_BIRTH = "before_birth"
    NO_DATE = "no_date"
    DUPLICATE = "duplicate"
    UNKNOWN_CODE = "unknown_code"
    BAD_REFERENCE = "bad_reference"
    INVALID_RESOURCE = "invalid_resource"
    STATUS_EXCLUDED = "status_excluded"
    AFTER_DEATH = "after_death"
    INCONSISTENT = "inconsistent_values"  # contradicts another value of the same day (e.g. eGFR vs creatinine)


@dataclass(frozen=True, kw_only=True, slots=True)
class DataIssue:
    """Something in the source that was not used, and why (shown to the clinician)."""

    kind: IssueKind
    message: str  # plain-language reason in English, e.g. "HDL 45 mmol/L is outside 0.1-5 mmol/L"
    code: str  # the same reason coded (risk/i18n/messages.json), worded for the reader by risk.i18n.messages
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    source_id: str | None = None  # "Observation/123"
    concept: str | None = None
    time: datetime | None = None

    def as_message(self) -> Message:
        return Message(code=self.code, params=self.params)


def issue_message(issue: DataIssue) -> Message:
    """The coded reason of a data issue, for risk.i18n.messages.message_text."""
    return issue.as_message()


@dataclass(frozen=True, kw_only=True, slots=True)
class Measurement:
    """One numeric (or coded) observation in canonical units."""

    concept: str  # clinical concept, e.g. "sbp", "hdl", "hba1c", "smoking_status"
    value: float  # in `unit` (canonical, see risk.terminology.units.CANONICAL_UNITS)
    unit: str  # canonical UCUM unit, e.g. "mmol/L"
    time: datetime  # effective time, timezone-aware UTC
    original_value: float | str | None = None  # as the source gave it
    original_unit: str | None = None  # as the source gave it (None when absent)
    code: str | None = None  # "http://loinc.org|2085-9"
    source_id: str | None = None  # "Observation/123"
    derived: bool = False  # computed here (non-HDL, BMI, eGFR from creatinine), not reported
    text: str | None = None  # label for coded values, e.g. "Current every day smoker"

    @property
    def converted(self) -> bool:
        """True when the value was converted from a different unit than the one displayed."""
        return self.original_unit is not None and self.original_unit != self.unit


# Slot setters of Measurement in field order, for `checked_measurement` (tests check the order against the class).
_MEASUREMENT_SLOTS = ("concept", "value", "unit", "time", "original_value", "original_unit", "code", "source_id",
                      "derived", "text")
(_set_concept, _set_value, _set_unit, _set_time, _set_original_value, _set_original_unit, _set_code, _set_source_id,
 _set_derived, _set_text) = (getattr(Measurement, name).__set__ for name in _MEASUREMENT_SLOTS)


def checked_measurement(concept: str, value: float, unit: str, time: datetime, original_value: float | str | None,
                        original_unit: str | None, code: str | None, source_id: str | None,
                        text: str | None) -> Measurement:
    """`Measurement(...)` (not derived) for the reader's hot loop: the same frozen object, its slots set directly.

    A frozen dataclass's generated __init__ sets each field through object.__setattr__, which makes it about three
    times slower, and a bulk export holds millions of measurements. Only for values the caller has checked
    (risk.record.quantity); tests check that it equals the ordinary constructor.
    """
    m = object.__new__(Measurement)
    _set_concept(m, concept)
    _set_value(m, value)
    _set_unit(m, unit)
    _set_time(m, time)
    _set_original_value(m, original_value)
    _set_original_unit(m, original_unit)
    _set_code(m, code)
    _set_source_id(m, source_id)
    _set_derived(m, False)
    _set_text(m, text)
    return m


@dataclass(frozen=True, kw_only=True, slots=True)
class Diagnosis:
    """A condition (or a procedure that defines a clinical state, e.g. amputation, dialysis)."""

    concept: str  # e.g. "diabetes_type2", "myocardial_infarction", "amputation"
    onset: datetime | None  # onset / recorded / performed time
    abatement: datetime | None = None
    code: str | None = None  # "http://snomed.info/sct|44054006"
    display: str | None = None
    source_id: str | None = None
    resource_type: str = "Condition"  # Condition | Procedure


@dataclass(frozen=True, kw_only=True, slots=True)
class Medication:
    """A prescription or statement mapped to a drug class (one entry per class for combinations)."""

    concept: str  # drug class, e.g. "statin", "ace_inhibitor", "metformin"
    start: datetime | None
    end: datetime | None = None  # None = ongoing (or unknown end)
    status: str | None = None  # FHIR status (active, completed, stopped, ...)
    code: str | None = None
    display: str | None = None
    source_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Encounter:
    time: datetime
    kind: str | None = None  # FHIR class code: AMB, IMP, EMER...
    source_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PatientRecord:
    """One patient's normalised history. Sorted by time within each list."""

    patient_id: str
    sex: str  # "male" | "female"
    birth_date: date
    name: str | None = None
    deceased: datetime | None = None
    deceased_boolean: bool = False  # Patient.deceasedBoolean true: dead on an unrecorded date
    measurements: tuple[Measurement, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    medications: tuple[Medication, ...] = ()
    encounters: tuple[Encounter, ...] = ()
    issues: tuple[DataIssue, ...] = ()
    source: str | None = field(default=None, compare=False)  # where it was read from, for display only
    # Resource types a server did not give in full: the scores that need them are withheld (risk.assess).
    fetch_gaps: tuple[FetchGap, ...] = field(default=(), compare=False)

    def deceased_by(self, day: date) -> bool:
        """Dead on `day`: died on or before it, or recorded as deceased without a date (then at any day)."""
        return self.deceased_boolean or (self.deceased is not None and self.deceased.date() <= day)

    def age_on(self, day: date) -> float:
        """Age in years (decimal) on `day`."""
        return (day - self.birth_date).days / 365.25

    def latest(self, concept: str, as_of: datetime | None = None) -> Measurement | None:
        """Latest measurement of `concept` at or before `as_of` (None when absent)."""
        found = None
        for m in self.measurements:
            if m.concept == concept and (as_of is None or m.time <= as_of):
                if found is None or m.time >= found.time:
                    found = m
        return found
