"""`risk panel`: score every patient of a source into a CSV, streaming with bounded memory."""

from __future__ import annotations

import argparse
from pathlib import Path

from risk import feedback
from risk.errors import ExitCode
from risk.settings import Settings, parse_as_of


def cmd_panel(args: argparse.Namespace) -> int:
    # Imported when the command runs (XGBoost, pandas), so that `risk --help` answers at once; no cycle behind it.
    from risk.models.registry import load_all
    from risk.panel.stream import CSV_COLUMNS, Excluded, score_records, write_csv
    from risk.record.load import iter_records

    settings = Settings.from_env()
    day = parse_as_of(args.as_of)
    models = load_all(Path(args.models_dir) if args.models_dir else None)
    records = feedback.progress(iter_records(args.source, token=settings.fhir_token), desc="scoring panel",
                                enabled=not args.quiet)
    excluded = Excluded()
    rows = (row for row, _ in score_records(records, models, as_of=day, region=args.region, excluded=excluded))
    n = write_csv(rows, Path(args.out), CSV_COLUMNS)
    feedback.err(f"wrote {n} patients to {args.out}; {excluded.deceased} deceased patients excluded "
                 "(not scored, not ranked)")
    return ExitCode.OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("panel", help="score every patient of a source into a CSV")
    p.add_argument("source")
    p.add_argument("--out", required=True)
    p.add_argument("--as-of")
    p.add_argument("--region", choices=["low", "moderate", "high", "very_high"], default="low")
    p.add_argument("--models-dir")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_panel)
