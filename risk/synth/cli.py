"""`risk synth`: write a synthetic FHIR bulk-export folder (wired into risk/cli.py by `register`)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from risk import feedback
from risk.errors import ExitCode, RiskError
from risk.synth import generate


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # noqa: SLF001
    """Add the `synth` subcommand; its handler is stored as the parser default `handler`."""
    parser = subparsers.add_parser(
        "synth",
        help="generate a synthetic longitudinal cohort as FHIR R4 NDJSON",
        description="Write Patient, Encounter, Observation, Condition, Procedure and MedicationRequest "
        "NDJSON files (a bulk-export folder) for a synthetic French primary-care cohort, plus "
        "cohort_summary.json. The same --seed and --patients give byte-identical files.",
    )
    parser.add_argument("--patients", type=_positive_int, required=True, help="number of patients")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    parser.add_argument("--gzip", action="store_true", help="write .ndjson.gz files")
    parser.add_argument("--shard", type=_positive_int, default=1, metavar="N",
                        help="N files per resource type (Observation.000.ndjson ...), as large bulk exports are")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2025, 12, 31),
        help="extraction date, YYYY-MM-DD (default 2025-12-31)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(handler=run)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise RiskError(f"--out {out} exists and is not a folder; choose a folder path", ExitCode.USAGE)
    summary = generate(
        n_patients=args.patients,
        seed=args.seed,
        out_dir=out,
        gzip=args.gzip,
        progress=None if args.no_progress else feedback.progress,
        end_date=args.end_date,
        shards=args.shard,
    )
    counts = ", ".join(f"{k} {v}" for k, v in summary.resource_counts.items())
    feedback.out(f"wrote {summary.n_patients} patients to {out} in {summary.seconds:.1f} s: {counts}")
    return int(ExitCode.OK)
