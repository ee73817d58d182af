"""`risk score` (one patient, JSON or readable text in French or English) and `risk panel` (CSV)."""

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


def cmd_score(args: argparse.Namespace) -> int:
    from risk.assessment import assess, assessment_json
    from risk.cli import _as_of
    from risk.service import iter_records, patient_view

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
        from risk.report_text import assessment_text

        for a in docs:
            feedback.out(assessment_text(a, lang=args.lang))
    return ExitCode.OK


def cmd_panel(args: argparse.Namespace) -> int:
    from risk.panel import score_panel_to_csv

    n = score_panel_to_csv(args.source, Path(args.out), as_of=args.as_of, models=_models(args.models_dir),
                           region=args.region, progress=not args.quiet)
    feedback.err(f"wrote {n} patients to {args.out}")
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

    p = sub.add_parser("panel", help="score every patient of a source into a CSV")
    p.add_argument("source")
    p.add_argument("--out", required=True)
    p.add_argument("--as-of")
    p.add_argument("--region", choices=["low", "moderate", "high", "very_high"], default="low")
    p.add_argument("--models-dir")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_panel)


def write_csv(rows, path: Path, columns: list[str]) -> int:  # noqa: ANN001
    """Stream rows to CSV: fractions with 6 decimals, empty when not computed."""
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if row.get(k) is None else f"{row[k]:.6f}" if isinstance(row.get(k), float)
                            else row[k]) for k in columns})
            n += 1
    return n
