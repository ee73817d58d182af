"""`risk inspect` (a patient's normalised inputs) and `risk score` (one patient's assessment, JSON or text)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from risk import feedback
from risk.errors import ExitCode
from risk.settings import Settings, parse_as_of

if TYPE_CHECKING:
    from risk.assess.snapshot import PatientSnapshot

# The handlers import the pipeline when they run: `risk --help` and a usage error answer at once instead of
# loading XGBoost and pandas first. No cycle hides behind these imports (tests/unit/test_architecture.py).


def cmd_inspect(args: argparse.Namespace) -> int:
    from risk.assess.snapshot import snapshot
    from risk.record.load import iter_records
    from risk.report.json import dumps, inspect_json

    as_of = parse_as_of(args.as_of)
    token = Settings.from_env().fhir_token
    snaps = [snapshot(r, as_of) for r in iter_records(args.source, args.patient, token=token)]
    if args.format == "json":
        docs = [inspect_json(s) for s in snaps]
        feedback.out(dumps(docs[0] if len(docs) == 1 else docs))
        return ExitCode.OK
    for s in snaps:
        _inspect_text(s)
    return ExitCode.OK


def _fmt_value(value: float) -> str:
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _inspect_text(s: PatientSnapshot) -> None:
    from risk.report.json import diagnoses, medications
    from risk.terminology.concepts import CARE_EVIDENCE_CONCEPTS

    r = s.record
    feedback.out(f"Patient {r.patient_id}  {r.name or ''}  {r.sex}, born {r.birth_date} "
                 f"(age {r.age_on(s.as_of):.0f} on {s.as_of})")
    feedback.out("Inputs (latest at as-of; canonical unit | as reported | date | source | flags):")
    for row in s.inputs:
        value = row.text if row.concept == "smoking_status" else f"{_fmt_value(row.value)} {row.unit}"
        original = f"{row.original_value:.4g}" if isinstance(row.original_value, float) else row.original_value
        reported = "derived: " + (row.text or "") if row.derived else (
            f"{original} {row.original_unit or '(no unit)'}")
        flags = ",".join(f for f, on in (("stale", row.stale), ("derived", row.derived),
                                          ("converted", row.converted)) if on)
        feedback.out(f"  {row.label:<26} {value:<22} | {reported:<28} | {row.date} | "
                     f"{row.source_id or '-'} | {flags}")
    dx = diagnoses(s)
    evidence = [d for d in dx if d["concept"] in CARE_EVIDENCE_CONCEPTS]
    dx = [d for d in dx if d["concept"] not in CARE_EVIDENCE_CONCEPTS]
    feedback.out("Diagnoses: " + (", ".join(f"{d['concept']} ({d['onset'] or 'date unknown'})" for d in dx)
                                  or "none recorded"))
    if evidence:
        feedback.out("Care evidence: " + ", ".join(f"{d['concept']} ({d['onset']})" for d in evidence))
    meds = medications(s)
    feedback.out("Active medication classes: " + (", ".join(m["class"] for m in meds) or "none"))
    feedback.out(f"Data-quality issues ({len(r.issues)}):")
    for i in r.issues:
        when = f" [{i.time.date()}]" if i.time else ""
        feedback.out(f"  - {i.kind}: {i.message}{when} ({i.source_id or '-'})")
    feedback.out("")


def cmd_score(args: argparse.Namespace) -> int:
    from risk.assess.assessment import assess
    from risk.assess.snapshot import snapshot
    from risk.models.registry import load_all
    from risk.record.load import iter_records
    from risk.report.json import assessment_json, dumps
    from risk.report.text import assessment_text

    as_of = parse_as_of(args.as_of)
    models = load_all(Path(args.models_dir) if args.models_dir else None)
    settings = Settings.from_env()
    token, guideline_set = settings.fhir_token, args.guidelines or settings.guideline_set
    done = [assess(snapshot(record, as_of), models, region=args.region, guideline_set=guideline_set)
            for record in iter_records(args.source, args.patient, token=token)]
    if args.format == "json":
        docs = [assessment_json(a) for a in done]
        feedback.out(dumps(docs[0] if len(docs) == 1 else docs))
    else:
        for a in done:
            feedback.out(assessment_text(a, lang=args.lang))
    return ExitCode.OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="print a patient's normalised inputs and data-quality issues")
    p.add_argument("source", help="bundle file (.json/.json.gz), folder of bundles, bulk NDJSON folder, or FHIR URL")
    p.add_argument("--patient", help="patient id (default: every patient in the source)")
    p.add_argument("--as-of", help="index date YYYY-MM-DD (default: today)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(handler=cmd_inspect)

    p = sub.add_parser("score", help="risk scores, explanations and next steps for one patient")
    p.add_argument("source")
    p.add_argument("--patient")
    p.add_argument("--as-of")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.add_argument("--region", choices=["low", "moderate", "high", "very_high"], default="low",
                   help="ESC SCORE2 risk region (France: low)")
    p.add_argument("--guidelines", choices=["esc2021", "esc_eas2025"], default=None,
                   help="guideline set (default: RISK_GUIDELINES, else esc_eas2025: ESC 2024 BP, ESC/EAS 2025 lipids)")
    p.add_argument("--models-dir", help="model folder (default: the bundled models/)")
    p.set_defaults(handler=cmd_score)
