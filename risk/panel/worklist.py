"""Coordinator worklist status per patient, kept in an embedded SQLite file so that it survives restarts.

Statuses: `todo`, `done`, `snoozed` (until a date, at most MAX_SNOOZE_DAYS ahead), `dismissed` (a reason is
required: trackers cap snoozes and ask for the reason of a dismissal, product.md section 2 item 8). Every change
is a new row (append-only history); the current status is the latest row. A snooze that has expired reads as
`todo` again. Patients are stored under their keyed pseudonym (risk.audit.pseudonym), never by id or name.

Path: given by the caller (settings: `RISK_WORKLIST_DB`, default `var/worklist.sqlite`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from risk import audit
from risk.errors import RiskError

DEFAULT_DB = Path("var/worklist.sqlite")
STATUSES = ("todo", "done", "snoozed", "dismissed")
MAX_SNOOZE_DAYS = 365

_SCHEMA = """
CREATE TABLE IF NOT EXISTS worklist_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('todo', 'done', 'snoozed', 'dismissed')),
    until TEXT,
    reason TEXT,
    user TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS worklist_event_patient ON worklist_event (patient, id);
"""


class WorklistError(RiskError):
    """A status change that cannot be saved as asked (missing reason, snooze date in the past...)."""


@dataclass(frozen=True, kw_only=True)
class Status:
    status: str  # effective status at the day asked (an expired snooze reads "todo")
    until: date | None = None
    reason: str | None = None
    user: str | None = None
    at: datetime | None = None  # when it was set; None = never set


TODO = Status(status="todo")


class Worklist:
    def __init__(self, path: Path = DEFAULT_DB, *, audit_log: Path = audit.DEFAULT_LOG,
                 audit_key: str | None = None) -> None:
        self.path = Path(path)
        self.audit_log = audit_log
        self.audit_key = audit_key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con, con:
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def _key(self, patient_id: str) -> str:
        return audit.pseudonym(patient_id, log=self.audit_log, key=self.audit_key)

    def set_status(self, patient_id: str, status: str, *, until: date | None = None, reason: str | None = None,
                   user: str | None = None, today: date | None = None) -> Status:
        today = today or date.today()
        if status not in STATUSES:
            raise WorklistError(f"unknown worklist status {status!r}: use one of {', '.join(STATUSES)}")
        reason = (reason or "").strip() or None
        if status == "snoozed":
            if until is None or until <= today:
                raise WorklistError("a snooze needs a date after today")
            if until > today + timedelta(days=MAX_SNOOZE_DAYS):
                raise WorklistError(f"a snooze cannot be longer than {MAX_SNOOZE_DAYS} days")
        else:
            until = None
        if status == "dismissed" and not reason:
            raise WorklistError("dismissing a patient from the worklist needs a reason")
        at = datetime.now(UTC)
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO worklist_event (patient, status, until, reason, user, at) VALUES (?,?,?,?,?,?)",
                        (self._key(patient_id), status, until.isoformat() if until else None, reason,
                         user or "anonymous", at.isoformat(timespec="seconds")))
        return Status(status=status, until=until, reason=reason, user=user or "anonymous", at=at)

    def statuses(self, patient_ids: Iterable[str], *, today: date | None = None) -> dict[str, Status]:
        """Current status of each patient (TODO when never set)."""
        today = today or date.today()
        keys = {self._key(p): p for p in patient_ids}
        out = dict.fromkeys(keys.values(), TODO)
        if not keys:
            return out
        with closing(self._connect()) as con:
            rows = con.execute(
                "SELECT patient, status, until, reason, user, at FROM worklist_event WHERE id IN "
                "(SELECT MAX(id) FROM worklist_event GROUP BY patient)").fetchall()
        for patient, status, until, reason, user, at in rows:
            if patient not in keys:
                continue
            until_d = date.fromisoformat(until) if until else None
            effective = "todo" if status == "snoozed" and until_d is not None and until_d <= today else status
            out[keys[patient]] = Status(status=effective, until=until_d, reason=reason, user=user,
                                        at=datetime.fromisoformat(at))
        return out

    def status(self, patient_id: str, *, today: date | None = None) -> Status:
        return self.statuses([patient_id], today=today)[patient_id]

    def history(self, patient_id: str) -> list[Status]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT status, until, reason, user, at FROM worklist_event WHERE patient = ? "
                               "ORDER BY id", (self._key(patient_id),)).fetchall()
        return [Status(status=s, until=date.fromisoformat(u) if u else None, reason=r, user=us,
                       at=datetime.fromisoformat(a)) for s, u, r, us, a in rows]
