"""`risk audit verify | head | export`: the face of the tamper-evident audit log (risk.audit.chain)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from risk import feedback
from risk.audit.chain import read, read_head, verify
from risk.audit.export import audit_events
from risk.errors import ExitCode, RiskError
from risk.settings import Settings


def _log(args: argparse.Namespace) -> Path:
    return Path(args.log) if args.log else Settings.from_env().audit_log


def cmd_verify(args: argparse.Namespace) -> int:
    log = _log(args)
    v = verify(log)
    if v.ok:
        feedback.out(f"{log}: {v.entries} entries, chain intact, head checkpoint matches")
        return ExitCode.OK
    if v.line:
        feedback.err(f"risk: audit: {log}: first bad entry at line {v.line}: {v.reason} ({v.entries} entries before "
                     "it are intact)")
    else:
        feedback.err(f"risk: audit: {log}: {v.reason} (the {v.entries} entries present are intact)")
    return ExitCode.AUDIT_TAMPERED


def cmd_head(args: argparse.Namespace) -> int:
    """Print the head checkpoint, to be anchored outside this machine (a ticket, a signed mail)."""
    head = read_head(_log(args))
    if head is None:
        raise RiskError(f"{_log(args)}: no head checkpoint (empty log?)", ExitCode.FILE_NOT_FOUND)
    feedback.out(json.dumps({"seq": head.seq, "hash": head.hash}))
    return ExitCode.OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write the log as FHIR AuditEvent NDJSON (IHE BALP), after checking the chain."""
    log = _log(args)
    v = verify(log)
    if not v.ok:
        raise RiskError(f"{log}: the chain is broken at line {v.line}: {v.reason}; run `risk audit verify`",
                        ExitCode.AUDIT_TAMPERED)
    events = audit_events(read(log), observer=args.observer)
    Path(args.out).write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8")
    feedback.out(f"{len(events)} AuditEvent resources -> {args.out}")
    return ExitCode.OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="check or export the tamper-evident audit log")
    verbs = p.add_subparsers(dest="verb", required=True)
    v = verbs.add_parser("verify", help="check every hash, link and the head checkpoint; name the first bad entry")
    v.add_argument("--log", help="audit log (default: RISK_AUDIT_LOG or var/audit.log)")
    v.set_defaults(handler=cmd_verify)
    h = verbs.add_parser("head", help="print the head checkpoint (seq and hash) to anchor elsewhere")
    h.add_argument("--log")
    h.set_defaults(handler=cmd_head)
    e = verbs.add_parser("export", help="write FHIR AuditEvent NDJSON (IHE BALP)")
    e.add_argument("--log")
    e.add_argument("--out", required=True, help="NDJSON file to write")
    e.add_argument("--observer", default="risk", help="name of this deployment (AuditEvent.source.observer)")
    e.set_defaults(handler=cmd_export)
