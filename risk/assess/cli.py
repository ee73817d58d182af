"""`risk inspect` (a patient's normalised inputs) and `risk score` (one patient's assessment, JSON or text)."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from risk import feedback
from risk.errors import ExitCode


def _models(models_dir: str | None):  # noqa: ANN202
    from risk.models.registry import load_all

    return load_all(Path(models_dir) if models_dir else None)


def _fmt_value(value: float) -> str:
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def cmd_inspect(args: argparse.Namespace) -> int:
    from risk.record.load import iter_records, patient_view

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
    from risk.record.latest import issue_json

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
    from risk.fhir.dates import to_utc_datetime

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



def cmd_score(args: argparse.Namespace) -> int:
    from risk.assess.assessment import assess, assessment_json
    from risk.cli import _as_of
    from risk.record.load import iter_records, patient_view

    as_of = _as_of(args.as_of)
    models = _models(args.models_dir)
    docs = []
    for record in iter_records(args.source, args.patient):
        a = assess(patient_view(record, as_of), models, region=args.region, guideline_set=args.guidelines)
        docs.append(a)
    if args.format == "json":
        out = [assessment_json(a) for a in docs]
        feedback.out(json.dumps(out[0] if len(out) == 1 else out, indent=2, ensure_ascii=False, default=str))
    else:
        from risk.report.text import assessment_text

        for a in docs:
            feedback.out(assessment_text(a, lang=args.lang))
    return ExitCode.OK



def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="risk scores, explanations and next steps for one patient")
    p.add_argument("source")
    p.add_argument("--patient")
    p.add_argument("--as-of")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.add_argument("--region", choices=["low", "moderate", "high", "very_high"], default="low",
                   help="ESC SCORE2 risk region (France: low)")
    p.add_argument("--guidelines", choices=["esc2021", "esc_eas2025"], default="esc2021")
    p.add_argument("--models-dir", help="model folder (default: the bundled models/)")
    p.set_defaults(handler=cmd_score)


