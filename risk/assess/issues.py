"""The data-quality issue list a clinician reads: one line per reason, not one per rejected value.

A lifetime record can reject the same kind of value dozens of times (18 HbA1c in % read as implausible mmol/mol,
a childhood of heights and weights outside adult ranges). Listed one by one they bury the issue that matters, so
issues with the same reason on the same concept read as one line with their count and date span, and
anthropometrics measured before adulthood (outside the adult window every equation and plausibility range is
built for) read as one line. The full list stays in the JSON output and in `Assessment.issues`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from risk.record import DataIssue, IssueKind, PatientRecord
from risk.terminology.messages import Message

# Growth measurements whose adult plausibility ranges (risk.terminology.concepts) a child's values fall outside.
ANTHROPOMETRICS: tuple[str, ...] = ("height", "weight", "bmi")
# The adult window: the equations and the plausibility ranges are for adults (SCORE2 from 40, PREVENT from 30;
# concepts.py "adult outpatient"); 18 is the legal age of adulthood in France.
ADULT_FROM_YEARS = 18
# Issues that mean a value was not used (a duplicate was used once: not a rejection).
NOT_USED = frozenset(IssueKind) - {IssueKind.DUPLICATE}


@dataclass(frozen=True, kw_only=True, slots=True)
class IssueGroup:
    """Issues with one reason: the latest stands for the others, with their count and date span."""

    kind: IssueKind
    latest: DataIssue
    count: int
    first: date | None
    last: date | None
    childhood: bool = False  # anthropometrics before adulthood, whatever the reason
    concepts: tuple[str, ...] = ()  # the concepts of the group, in ANTHROPOMETRICS order

    def message(self) -> Message:
        if self.childhood:
            return Message(
                code="issues.childhood_anthropometrics",
                params={
                    "n": self.count,
                    "concepts": list(self.concepts),
                    "age": ADULT_FROM_YEARS,
                    "first": self.first,
                    "last": self.last,
                },
            )
        if self.count == 1:
            return self.latest.as_message()
        return Message(
            code="issues.repeated",
            params={"issue": self.latest.as_message(), "n": self.count, "first": self.first, "last": self.last},
        )


def in_childhood(issue: DataIssue, record: PatientRecord) -> bool:
    """An anthropometric value that was not used, measured before the adult window."""
    return (
        issue.concept in ANTHROPOMETRICS
        and issue.kind in NOT_USED
        and issue.time is not None
        and record.age_on(issue.time.date()) < ADULT_FROM_YEARS
    )


def group_issues(issues: Iterable[DataIssue], record: PatientRecord) -> list[IssueGroup]:
    """One group per (kind, concept, reason code), in order of first appearance; childhood anthropometrics in one
    group at the end."""
    groups: dict[tuple[str, str, str], list[DataIssue]] = {}
    childhood: list[DataIssue] = []
    for issue in issues:
        if in_childhood(issue, record):
            childhood.append(issue)
        else:
            groups.setdefault((str(issue.kind), issue.concept or "", issue.code), []).append(issue)
    out = [_group(members) for members in groups.values()]
    if childhood:
        out.append(_group(childhood, childhood=True))
    return out


def _group(members: list[DataIssue], *, childhood: bool = False) -> IssueGroup:
    days = sorted(i.time.date() for i in members if i.time is not None)
    latest = max(members, key=lambda i: (i.time is not None, i.time.timestamp() if i.time else 0.0))
    return IssueGroup(
        kind=latest.kind,
        latest=latest,
        count=len(members),
        first=days[0] if days else None,
        last=days[-1] if days else None,
        childhood=childhood,
        concepts=tuple(c for c in ANTHROPOMETRICS if any(i.concept == c for i in members)),
    )


def rejected_counts(issues: Iterable[DataIssue]) -> dict[str, int]:
    """Values of each concept that were read but not used ("no usable HbA1c: 18 rejected")."""
    counts: dict[str, int] = {}
    for issue in issues:
        if issue.concept and issue.kind in NOT_USED:
            counts[issue.concept] = counts.get(issue.concept, 0) + 1
    return counts
