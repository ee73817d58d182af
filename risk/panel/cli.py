"""`risk panel`: score every patient of a source into a CSV (and Parquet), on every core or a Dask cluster."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from risk import feedback
from risk.errors import ExitCode, RiskError
from risk.panel import forkserver
from risk.panel.stop import Stopped, stop_signals
from risk.settings import Settings, parse_as_of


def cmd_panel(args: argparse.Namespace) -> int:
    if args.workers != 1 and args.engine == "local":
        forkserver.start()  # the workers' fork server imports the scoring code while this process does
    # Imported when the command runs (XGBoost, pandas), so that `risk --help` answers at once; no cycle behind it.
    from risk.advise.data import DEFAULT_GUIDELINE_SET
    from risk.panel.engine import check_scheduler, default_workers
    from risk.panel.screen import screen

    settings = Settings.from_env()
    day = parse_as_of(args.as_of)
    if (args.source is None) == (args.fhir_server is None):
        feedback.err("risk: error: give either a SOURCE or --fhir-server URL")
        return ExitCode.USAGE
    source = args.source if args.fhir_server is None else str(_bulk_export(args, settings))
    out = Path(args.out)
    rejects_path = Path(args.rejects) if args.rejects else out.with_name(out.stem + ".rejects.csv")
    workers = args.workers or default_workers()
    client = None
    if args.engine == "dask":
        if not args.scheduler:
            raise RiskError("--engine dask needs --scheduler ADDRESS (tls://host:8786)", ExitCode.USAGE)
        check_scheduler(args.scheduler)
        try:
            from dask.distributed import Client
        except ImportError:
            raise RiskError("--engine dask needs Dask: pip install 'risk[cluster]'", ExitCode.USAGE) from None

        client = Client(args.scheduler)
    reading = feedback.meter(desc="splitting export by patient", unit="B", scale=True, enabled=not args.quiet)
    bar = feedback.meter(desc="scoring panel", unit="patient", enabled=not args.quiet)
    try:
        with stop_signals():  # SIGTERM, SIGINT: an orderly stop (risk.panel.stop), for this command only
            try:
                summary = screen(source, out_csv=out, out_parquet=Path(args.parquet) if args.parquet else None,
                                 rejects_path=rejects_path, engine=args.engine, workers=workers, client=client,
                                 work_dir=Path(args.work_dir) if args.work_dir else None, lang=settings.lang,
                                 token=settings.fhir_token,
                                 job_args={"models_dir": args.models_dir, "as_of": day, "region": args.region,
                                           "guideline_set": DEFAULT_GUIDELINE_SET},
                                 progress=lambda r: _scored(r.scored + r.deceased, reading, bar),
                                 on_read=reading.update if reading is not None else None)
            finally:
                if reading is not None:
                    reading.close()
                if bar is not None:
                    bar.close()
                if client is not None:
                    client.close()
    except (Stopped, KeyboardInterrupt) as exc:
        return _stopped(exc if isinstance(exc, Stopped) else Stopped(signal.SIGINT))
    feedback.err(f"wrote {summary.scored} patients to {args.out}; {summary.deceased} deceased patients excluded "
                 "(not scored, not ranked)")
    if summary.categories:
        feedback.err("ESC category: " + ", ".join(f"{k} {v}" for k, v in summary.categories.items()))
    if summary.gaps:
        feedback.err("most overdue care gap: " + ", ".join(f"{k} {v}" for k, v in summary.gaps.items()))
    rejected = sum(summary.rejects.values())
    feedback.err(f"set aside {rejected} records ({summary.patients_rejected} patients) in {rejects_path}"
                 + (": " + ", ".join(f"{k} {v}" for k, v in summary.rejects.items()) if rejected else ""))
    return ExitCode.OK


def _scored(n: int, reading: feedback.Meter | None, bar: feedback.Meter | None) -> None:
    """A bucket scored: the split is over (its bar gives way to the patients')."""
    if reading is not None:
        reading.close()
    if bar is not None:
        bar.update(n)


def _stopped(stop: Stopped) -> int:
    """One line, no traceback: screen() has unwound (pool ended, buckets removed, no output moved into place)."""
    feedback.err(f"risk: stopped ({stop.name}): no output written; temporary patient data removed")
    return stop.exit_code


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
    p = sub.add_parser("panel", help="score every patient of a source into a CSV (and Parquet)")
    p.add_argument("source", nargs="?", help="bulk-export folder, bundle folder or file (or use --fhir-server)")
    p.add_argument("--fhir-server", help="FHIR base URL: run a Bulk Data $export (SMART Backend Services auth: "
                                         "RISK_BULK_CLIENT_ID, RISK_BULK_KEY_FILE) and score it")
    p.add_argument("--group", help="Group id to export (default: every patient, Patient/$export)")
    p.add_argument("--type", action="append", help="resource type to export (repeatable; default: what scoring reads)")
    p.add_argument("--since", help="_since: only resources changed since this FHIR instant")
    p.add_argument("--type-filter", action="append", help="_typeFilter, e.g. Observation?status=final (repeatable)")
    p.add_argument("--export-dir", help="where the export is kept (default: OUT.export); rerun to resume")
    p.add_argument("--out", required=True, help="CSV, one row per patient, sorted by patient id")
    p.add_argument("--parquet", help="also write the same rows to this Parquet file")
    p.add_argument("--rejects", help="side file of the records set aside (default: OUT's name + .rejects.csv)")
    p.add_argument("--as-of")
    p.add_argument("--region", choices=["low", "moderate", "high", "very_high"], default="low")
    p.add_argument("--models-dir")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--engine", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="Dask scheduler address (tls:// for a remote one)")
    p.add_argument("--work-dir", help="folder for the patient buckets (default: a temporary folder; on a cluster, "
                                      "one every worker can read)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_panel)
