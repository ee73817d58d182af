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
    if (args.source is None) == (args.fhir_server is None):
        feedback.err("risk: error: give either a SOURCE or --fhir-server URL")
        return ExitCode.USAGE
    source = args.source if args.fhir_server is None else str(_bulk_export(args, settings))
    models = load_all(Path(args.models_dir) if args.models_dir else None)
    records = feedback.progress(iter_records(source, token=settings.fhir_token), desc="scoring panel",
                                enabled=not args.quiet)
    excluded = Excluded()
    rows = (row for row, _ in score_records(records, models, as_of=day, region=args.region, excluded=excluded))
    n = write_csv(rows, Path(args.out), CSV_COLUMNS)
    feedback.err(f"wrote {n} patients to {args.out}; {excluded.deceased} deceased patients excluded "
                 "(not scored, not ranked)")
    return ExitCode.OK


def _bulk_export(args: argparse.Namespace, settings: Settings) -> Path:
    """`$export` from the server (Backend Services auth) into a folder; resumes an interrupted export."""
    from tqdm import tqdm

    from risk.fhir.bulk import BackendAuth, BulkClient, ExportRequest, export
    from risk.fhir.server import PATIENT_RESOURCE_TYPES

    auth = None
    if settings.bulk_client_id and settings.bulk_key_file:
        auth = BackendAuth.from_file(settings.bulk_client_id, settings.bulk_key_file)
    folder = Path(args.export_dir or f"{args.out}.export")
    request = ExportRequest(group=args.group, types=tuple(args.type or ("Patient", *PATIENT_RESOURCE_TYPES)),
                            since=args.since, type_filters=tuple(args.type_filter or ()))
    with tqdm(unit="B", unit_scale=True, desc="downloading export", disable=args.quiet) as bar:
        files = export(BulkClient(args.fhir_server, auth), request, folder,
                       on_poll=lambda progress: feedback.err(f"export {progress}") if not args.quiet else None,
                       progress=bar.update)
    feedback.err(f"exported {len(files)} files to {folder}")
    return folder


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("panel", help="score every patient of a source into a CSV")
    p.add_argument("source", nargs="?", help="bulk-export folder, bundle folder or file (or use --fhir-server)")
    p.add_argument("--fhir-server", help="FHIR base URL: run a Bulk Data $export (SMART Backend Services auth: "
                                         "RISK_BULK_CLIENT_ID, RISK_BULK_KEY_FILE) and score it")
    p.add_argument("--group", help="Group id to export (default: every patient, Patient/$export)")
    p.add_argument("--type", action="append", help="resource type to export (repeatable; default: what scoring reads)")
    p.add_argument("--since", help="_since: only resources changed since this FHIR instant")
    p.add_argument("--type-filter", action="append", help="_typeFilter, e.g. Observation?status=final (repeatable)")
    p.add_argument("--export-dir", help="where the export is kept (default: OUT.export); rerun to resume")
    p.add_argument("--out", required=True)
    p.add_argument("--as-of")
    p.add_argument("--region", choices=["low", "moderate", "high", "very_high"], default="low")
    p.add_argument("--models-dir")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_panel)
