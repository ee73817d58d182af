"""Who saw what: an append-only local log of (time, user, pseudonymised patient, action).

EU AI Act art. 12 asks for automatic logging of use; GDPR asks that logs carry no more personal data than
needed. So a line holds the time (UTC), the user ("anonymous" without login), an HMAC-SHA256 pseudonym of the
patient id (never the id, a name or a value) and an action name from a fixed vocabulary. The key of the
pseudonym is given by the caller (settings: `RISK_AUDIT_KEY`), else comes from a file created once beside
the log (mode 0600), so that the same patient maps to the same pseudonym across restarts and a stolen log
alone cannot be reversed by trying every plausible id.

Path: given by the caller (settings: `RISK_AUDIT_LOG`, default `var/audit.log`), one JSON object per line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_LOG = Path("var/audit.log")
ACTIONS = frozenset({
    "view_patient", "what_if", "download_report_pdf", "download_fhir_risk_assessment", "score_panel",
    "export_panel_csv", "worklist_status", "open_from_panel", "view_models", "write_back_risk_assessment",
})
_LOCK = threading.Lock()


def _key(log: Path, key: str | None) -> bytes:
    if key:
        return key.encode()
    key_file = log.with_name(log.name + ".key")
    if not key_file.is_file():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return key_file.read_text(encoding="utf-8").strip().encode()


def pseudonym(patient_id: str, *, log: Path = DEFAULT_LOG, key: str | None = None) -> str:
    """Stable keyed pseudonym of a patient id (24 hex characters); the id itself is never written."""
    return hmac.new(_key(log, key), patient_id.encode(), hashlib.sha256).hexdigest()[:24]


def record(action: str, *, patient_id: str | None = None, user: str | None = None, log: Path = DEFAULT_LOG,
           key: str | None = None, now: datetime | None = None) -> dict[str, str]:
    """Append one line and return it. Unknown actions are refused (a typo must not create a new vocabulary)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: use one of {', '.join(sorted(ACTIONS))}")
    path = Path(log)
    entry = {
        "time": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "user": user or "anonymous",
        "patient": pseudonym(patient_id, log=path, key=key) if patient_id else "",
        "action": action,
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(line)
    return entry


def read(log: Path = DEFAULT_LOG) -> list[dict[str, str]]:
    path = Path(log)
    if not path.is_file():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
