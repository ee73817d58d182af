"""Records a panel run could not use: where they are and why, never what they say.

A population run must not stop on one bad line, nor silently lose it. Each rejected line or patient becomes a
`Reject` (file, line, resource type, reason code, message) written to a side CSV. The message is the reason's
catalogue text, never the line's content: no name, birth date or value of a patient reaches the side file.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from risk.i18n.messages import tr

Reason = Literal[
    "invalid_json",  # a line that is not JSON (corrupted, cut short)
    "not_a_resource",  # JSON without a resourceType
    "unknown_resource_type",  # a resourceType that FHIR R4 does not define
    "truncated_gzip",  # a gzip file cut short or damaged: the lines after the damage are lost
    "unreadable_file",  # a file that cannot be opened or is named .gz without being gzip
    "patient_invalid_id",  # a Patient without an id or with one FHIR does not allow
    "patient_no_birth_date",  # a Patient whose birth date is missing or unusable: no age, no risk
    "patient_no_sex",  # a Patient whose administrative sex is not male or female: the equations are sex-specific
    "duplicate_patient",  # a second Patient with an id already seen: neither is scored
    "orphan_resource",  # a resource that points to a patient who is not in the export
    "assessment_failed",  # a patient this program could not assess (a defect to report): no row rather than a guess
]
REASONS: tuple[str, ...] = Reason.__args__  # type: ignore[attr-defined]
PATIENT_REASONS = frozenset({"patient_invalid_id", "patient_no_birth_date", "patient_no_sex", "duplicate_patient",
                             "assessment_failed"})
COLUMNS = ("file", "line", "resource_type", "reason", "message")


@dataclass(frozen=True, kw_only=True)
class Reject:
    file: str  # path relative to the export folder
    line: int  # 1-based line number in that file (0: the whole file)
    resource_type: str  # "" when the line could not be read
    reason: str  # one of REASONS

    def message(self, lang: str) -> str:
        return MESSAGES[self.reason](lang)


# Each reason's text, spelt where it is decided (tests/unit/test_messages.py finds every code of the catalogue).
MESSAGES: dict[str, Callable[[str], str]] = {
    "invalid_json": lambda lang: tr("panel.reject.invalid_json", lang),
    "not_a_resource": lambda lang: tr("panel.reject.not_a_resource", lang),
    "unknown_resource_type": lambda lang: tr("panel.reject.unknown_resource_type", lang),
    "truncated_gzip": lambda lang: tr("panel.reject.truncated_gzip", lang),
    "unreadable_file": lambda lang: tr("panel.reject.unreadable_file", lang),
    "patient_invalid_id": lambda lang: tr("panel.reject.patient_invalid_id", lang),
    "patient_no_birth_date": lambda lang: tr("panel.reject.patient_no_birth_date", lang),
    "patient_no_sex": lambda lang: tr("panel.reject.patient_no_sex", lang),
    "duplicate_patient": lambda lang: tr("panel.reject.duplicate_patient", lang),
    "orphan_resource": lambda lang: tr("panel.reject.orphan_resource", lang),
    "assessment_failed": lambda lang: tr("panel.reject.assessment_failed", lang),
}


def reject_counts(rejects: Iterable[Reject]) -> dict[str, int]:
    """Rejects per reason, in the order of REASONS (reasons never met are left out)."""
    counts = Counter(r.reason for r in rejects)
    return {reason: counts[reason] for reason in REASONS if counts[reason]}


def write_rejects(rejects: Iterable[Reject], path: Path, lang: str) -> int:
    """The side file, sorted by file then line so that two runs of the same export give the same file."""
    ordered = sorted(rejects, key=lambda r: (r.file, r.line, r.reason))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for r in ordered:
            w.writerow((r.file, r.line, r.resource_type, r.reason, r.message(lang)))
    return len(ordered)
