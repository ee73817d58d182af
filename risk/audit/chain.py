"""Who saw what, in a log where tampering shows: a hash chain of JSON lines with a head checkpoint.

EU AI Act art. 12 asks for automatic logging of use; GDPR asks that logs carry no more personal data than
needed. So an entry holds the time (UTC), who (the user, "anonymous" without login), from where (the client, or
the EHR's `iss` and tenant), an HMAC-SHA256 pseudonym of the patient id (never the id, a name or a birth date),
an action from a fixed vocabulary, the model versions, what was shown (scores, steps), what the clinician
accepted or overrode and why, and write-backs.

Tamper evidence: each entry carries `seq` (1, 2, ...), `prev` (the hash of the entry before, 64 zeros for the
first) and `hash`, the SHA-256 of its canonical form (sorted keys, no spaces, UTF-8, `hash` left out). Editing an
entry breaks its own hash; deleting or swapping one breaks `seq` and `prev`. A cut tail leaves a valid chain, so
after every append the head (last `seq` and `hash`) is written to a checkpoint beside the log
(`audit.log.head`), and the next append chains on the checkpoint, not on the file: a cut tail shows both in
`verify` and in the next entry. Whoever can rewrite both the log and the checkpoint can forge history: anchor
the head elsewhere from time to time (`risk audit head` prints it), e.g. in a ticket or a notarised mail.

Writers: the app and every service worker append to the same file; an exclusive `flock` on `audit.log.lock`
makes read-head, append and checkpoint one step across processes (threads share it through the same lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_LOG = Path("var/audit.log")
GENESIS = "0" * 64
ACTIONS = frozenset({
    "view_patient", "what_if", "download_report_pdf", "download_fhir_risk_assessment", "score_panel",
    "export_panel_csv", "worklist_status", "open_from_panel", "view_models",
    "cds_patient_view", "cds_feedback", "write_back_risk_assessment",
})
OUTCOMES = frozenset({"accepted", "overridden"})
_THREAD_LOCK = threading.Lock()


def _sidecar(log: Path, suffix: str) -> Path:
    return log.with_name(log.name + suffix)


def _key(log: Path, key: str | None) -> bytes:
    """The pseudonym key: given, else a file beside the log, created once (0600) and atomically (two processes
    starting together must not each write a different key)."""
    if key:
        return key.encode()
    key_file = _sidecar(log, ".key")
    if not key_file.is_file():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = _sidecar(log, f".key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, key_file)  # atomic: the first writer wins, the others read its key
        tmp.unlink()
    return key_file.read_text(encoding="utf-8").strip().encode()


def pseudonym(patient_id: str, *, log: Path = DEFAULT_LOG, key: str | None = None) -> str:
    """Stable keyed pseudonym of a patient id (24 hex characters); the id itself is never written."""
    return hmac.new(_key(Path(log), key), patient_id.encode(), hashlib.sha256).hexdigest()[:24]


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed: every field but `hash`, keys sorted, no whitespace, UTF-8."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Head:
    """The checkpoint: the last sequence number and hash appended."""

    seq: int
    hash: str


def read_head(log: Path) -> Head | None:
    path = _sidecar(Path(log), ".head")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(seq=int(data["seq"]), hash=str(data["hash"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_head(log: Path, head: Head) -> None:
    path = _sidecar(log, ".head")
    tmp = _sidecar(log, f".head.{os.getpid()}")
    tmp.write_text(json.dumps({"seq": head.seq, "hash": head.hash}) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # atomic: a reader sees the old head or the new one


def _last_line(path: Path) -> dict[str, Any] | None:
    """The last entry of the file (when the checkpoint is missing, e.g. the first append after an upgrade)."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        end = f.tell()
        step = 4096
        pos = max(0, end - step)
        while True:
            f.seek(pos)
            chunk = f.read(end - pos)
            lines = [x for x in chunk.splitlines() if x.strip()]
            if (len(lines) > 1 or pos == 0) and lines:
                try:
                    return json.loads(lines[-1])
                except ValueError:
                    return None
            if pos == 0:
                return None
            pos = max(0, pos - step)


@contextlib.contextmanager
def _locked(log: Path) -> Iterator[None]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCK, _sidecar(log, ".lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _tip(log: Path) -> Head:
    head = read_head(log)
    if head is not None:
        return head
    last = _last_line(log)
    if last and isinstance(last.get("seq"), int) and isinstance(last.get("hash"), str):
        return Head(seq=last["seq"], hash=last["hash"])
    return Head(seq=0, hash=GENESIS)


def record(action: str, *, patient_id: str | None = None, user: str | None = None, log: Path = DEFAULT_LOG,
           key: str | None = None, now: datetime | None = None, source: str | None = None,
           models: Mapping[str, str] | None = None, shown: Mapping[str, Any] | None = None,
           outcome: str | None = None, reason: str | None = None,
           writeback: str | None = None) -> dict[str, Any]:
    """Append one chained entry and return it. Unknown actions and outcomes are refused (a typo must not create a
    new vocabulary). `shown` holds what was displayed (scores, step keys), never identifying data."""
    return record_many([{"action": action, "patient_id": patient_id, "user": user, "source": source,
                         "models": models, "shown": shown, "outcome": outcome, "reason": reason,
                         "writeback": writeback}], log=log, key=key, now=now)[0]


EVENT_FIELDS = frozenset({"action", "patient_id", "user", "source", "models", "shown", "outcome", "reason",
                          "writeback"})


def record_many(events: Sequence[Mapping[str, Any]], *, log: Path = DEFAULT_LOG, key: str | None = None,
                now: datetime | None = None) -> list[dict[str, Any]]:
    """Append several chained entries in one step (one lock, one write, one fsync: a CDS micro-batch) and return
    them; each event holds `record`'s keyword arguments. All are checked before any is written."""
    path = Path(log)
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    entries = []
    for event in events:
        unknown = set(event) - EVENT_FIELDS
        if unknown:
            raise ValueError(f"unknown audit field(s): {', '.join(sorted(unknown))}")
        action, outcome, patient_id = event["action"], event.get("outcome"), event.get("patient_id")
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}: use one of {', '.join(sorted(ACTIONS))}")
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(f"unknown audit outcome {outcome!r}: use one of {', '.join(sorted(OUTCOMES))}")
        entry: dict[str, Any] = {
            "time": stamp, "user": event.get("user") or "anonymous", "source": event.get("source") or "app",
            "patient": pseudonym(patient_id, log=path, key=key) if patient_id else "", "action": action,
        }
        optional = {"models": dict(event["models"]) if event.get("models") else None,
                    "shown": dict(event["shown"]) if event.get("shown") else None,
                    "outcome": outcome, "reason": event.get("reason"), "writeback": event.get("writeback")}
        entry.update({k: v for k, v in optional.items() if v is not None})
        entries.append(entry)
    if not entries:
        return []
    with _locked(path):
        tip = _tip(path)
        lines = []
        for entry in entries:
            entry["seq"] = tip.seq + 1
            entry["prev"] = tip.hash
            entry["hash"] = entry_hash(entry)
            tip = Head(seq=entry["seq"], hash=entry["hash"])
            lines.append(json.dumps(entry, ensure_ascii=False, allow_nan=False) + "\n")
        with path.open("a", encoding="utf-8") as f:
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())
        _write_head(path, tip)
    return entries


def read(log: Path = DEFAULT_LOG) -> list[dict[str, Any]]:
    path = Path(log)
    if not path.is_file():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The result of `verify`: ok, or the first bad entry (1-based line number) and why."""

    ok: bool
    entries: int
    line: int | None = None  # first bad line of the file (1-based), None when the fault is the head
    reason: str = ""


def verify(log: Path = DEFAULT_LOG) -> Verdict:
    """Walk the chain from the first line; stop at the first entry whose hash, sequence or link is wrong, then
    compare the end with the head checkpoint (a cut tail)."""
    path = Path(log)
    if not path.is_file():
        return Verdict(ok=True, entries=0) if read_head(path) is None else Verdict(
            ok=False, entries=0, reason="the log is missing but its head checkpoint exists (log deleted)")
    prev, seq, n = GENESIS, 0, 0
    with path.open("r", encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                return Verdict(ok=False, entries=n - 1, line=n, reason="not a JSON line")
            if not isinstance(entry, dict) or not isinstance(entry.get("hash"), str):
                return Verdict(ok=False, entries=n - 1, line=n, reason="no hash (not a chained entry)")
            if entry_hash(entry) != entry["hash"]:
                return Verdict(ok=False, entries=n - 1, line=n, reason="its content does not match its hash (edited)")
            if entry.get("seq") != seq + 1:
                return Verdict(ok=False, entries=n - 1, line=n,
                               reason=f"sequence {entry.get('seq')} where {seq + 1} was expected "
                                      "(an entry before it was deleted, or entries were swapped)")
            if entry.get("prev") != prev:
                return Verdict(ok=False, entries=n - 1, line=n,
                               reason="its link to the entry before is broken (deleted, swapped or inserted entry)")
            prev, seq = entry["hash"], entry["seq"]
    head = read_head(path)
    if head is None:
        return Verdict(ok=seq == 0, entries=n, reason="" if seq == 0 else "the head checkpoint is missing")
    if head.seq != seq or head.hash != prev:
        return Verdict(ok=False, entries=n, reason=f"the log ends at entry {seq} but the head checkpoint says "
                                                   f"{head.seq}: its tail was cut or rewritten")
    return Verdict(ok=True, entries=n)
