"""`risk` command line: inspect, score, panel, synth, train, evaluate.

Every failure the user can act on prints one line `risk: error: ...` and exits with its named code
(risk.errors.ExitCode); no traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from risk import feedback
from risk.concepts import CARE_EVIDENCE_CONCEPTS
from risk.errors import ExitCode, RiskError

Handler = Callable[[argparse.Namespace], int]


def _as_of(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise RiskError(f"--as-of {text!r} is not a date (use YYYY-MM-DD)", ExitCode.USAGE) from exc


def _fmt_value(value: float) -> str:
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def cmd_inspect(args: argparse.Namespace) -> int:
    from risk.service import iter_records, patient_view

    as_of = _as_of(args.as_of)
    views = [patient_view(r, as_of) for r in iter_records(args.source, args.patient)]
    if args.format == "json":
        docs = [_inspect_json(v) for v in views]
        feedback.out(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False, default=str))
        return ExitCode.OK
    for v in views:
        _inspect_text(v)
    return ExitCode.OK


def _inspect_json(v: Any) -> dict[str, Any]:
    from risk.inputs import issue_json

    r = v.record
    return {
        "patient_id": r.patient_id,
        "as_of": v.as_of.isoformat(),
        "patient": {"name": r.name, "sex": r.sex, "birth_date": r.birth_date.isoformat(),
                    "age": round(r.age_on(v.as_of), 1),
                    "deceased": r.deceased.date().isoformat() if r.deceased else None},
        "inputs": [row.to_json() for row in v.inputs],
        "diagnoses": _diagnoses(v),
        "medications": _medications(v),
        "issues": [issue_json(i) for i in r.issues],
    }


def _diagnoses(v: Any) -> list[dict[str, Any]]:
    from risk.fhirtime import to_utc_datetime

    cutoff = to_utc_datetime(v.as_of)
    seen: dict[str, dict[str, Any]] = {}
    for d in v.record.diagnoses:
        if (d.onset is None or d.onset <= cutoff) and d.concept not in seen:
            seen[d.concept] = {"concept": d.concept, "display": d.display,
                               "onset": d.onset.date().isoformat() if d.onset else None,
                               "code": d.code, "source_id": d.source_id}
    return list(seen.values())


def _medications(v: Any) -> list[dict[str, Any]]:
    active = [c.removeprefix("rx_") for c, flag in v.features.items() if c.startswith("rx_") and flag == 1]
    out = []
    for concept in active:
        latest = [m for m in v.record.medications if m.concept == concept]
        m = latest[-1] if latest else None
        out.append({"class": concept, "display": m.display if m else None,
                    "start": m.start.date().isoformat() if m and m.start else None,
                    "source_id": m.source_id if m else None})
    return out


def _inspect_text(v: Any) -> None:
    r = v.record
    feedback.out(f"Patient {r.patient_id}  {r.name or ''}  {r.sex}, born {r.birth_date} "
                 f"(age {r.age_on(v.as_of):.0f} on {v.as_of})")
    feedback.out("Inputs (latest at as-of; canonical unit | as reported | date | source | flags):")
    for row in v.inputs:
        value = row.text if row.concept == "smoking_status" else f"{_fmt_value(row.value)} {row.unit}"
        original = f"{row.original_value:.4g}" if isinstance(row.original_value, float) else row.original_value
        reported = "derived: " + (row.text or "") if row.derived else (
            f"{original} {row.original_unit or '(no unit)'}")
        flags = ",".join(f for f, on in (("stale", row.stale), ("derived", row.derived),
                                          ("converted", row.converted)) if on)
        feedback.out(f"  {row.label:<26} {value:<22} | {reported:<28} | {row.date} | "
                     f"{row.source_id or '-'} | {flags}")
    dx = _diagnoses(v)
    evidence = [d for d in dx if d["concept"] in CARE_EVIDENCE_CONCEPTS]
    dx = [d for d in dx if d["concept"] not in CARE_EVIDENCE_CONCEPTS]
    feedback.out("Diagnoses: " + (", ".join(f"{d['concept']} ({d['onset'] or 'date unknown'})" for d in dx)
                                  or "none recorded"))
    if evidence:
        feedback.out("Care evidence: " + ", ".join(f"{d['concept']} ({d['onset']})" for d in evidence))
    meds = _medications(v)
    feedback.out("Active medication classes: " + (", ".join(m["class"] for m in meds) or "none"))
    feedback.out(f"Data-quality issues ({len(r.issues)}):")
    for i in r.issues:
        when = f" [{i.time.date()}]" if i.time else ""
        feedback.out(f"  - {i.kind}: {i.message}{when} ({i.source_id or '-'})")
    feedback.out("")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="risk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="print a patient's normalised inputs and data-quality issues")
    p.add_argument("source", help="bundle file (.json/.json.gz), folder of bundles, bulk NDJSON folder, or FHIR URL")
    p.add_argument("--patient", help="patient id (default: every patient in the source)")
    p.add_argument("--as-of", help="index date YYYY-MM-DD (default: today)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(handler=cmd_inspect)

    for register in _plugins():
        register(sub)
    return parser


def _plugins() -> list[Callable[[Any], None]]:
    """Subcommands that live beside the stage they drive (synth, models...)."""
    found = []
    for module in ("risk.synth.cli", "risk.models.cli", "risk.scoring_cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        found.append(mod.register)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        handler = getattr(args, "handler", None) or args.func  # plugins may use either name
        return int(handler(args))
    except RiskError as exc:
        feedback.err(f"risk: error: {exc.message}")
        return int(exc.code)
    except KeyboardInterrupt:
        feedback.err("risk: interrupted")
        return 130
    except BrokenPipeError:
        return ExitCode.OK
    except MemoryError:
        feedback.err("risk: error: out of memory; use `risk panel` on large exports")
        return int(ExitCode.INTERNAL)
    except Exception as exc:  # last line of defence: one line, no traceback (set RISK_DEBUG=1 to see it)
        if os.environ.get("RISK_DEBUG"):
            raise
        feedback.err(f"risk: internal error ({type(exc).__name__}): {exc}; please report it (RISK_DEBUG=1 "
                     "shows the traceback)")
        return int(ExitCode.INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
