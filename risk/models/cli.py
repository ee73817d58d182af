"""`risk train` and `risk evaluate` subcommands: the face of risk.models.pipeline (prints, progress bars)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from risk import feedback
from risk.errors import ExitCode, RiskError

# The handlers import the pipeline when they run (XGBoost, scikit-learn, scipy): `risk --help` and `risk synth`
# answer without loading them. No cycle hides behind these imports (tests/unit/test_architecture.py).


def cmd_train(args: argparse.Namespace) -> int:
    if args.xgboost_dask and args.engine != "dask":
        raise RiskError("--xgboost-dask trains on a Dask cluster: add --engine dask --scheduler ADDRESS",
                        ExitCode.USAGE)
    progress = None if args.quiet else feedback.progress
    names = args.models.split(",") if args.models else None
    description = args.description or (f"synthetic cohort from `risk synth` at {args.source}" if args.synthetic
                                       else f"bulk export at {args.source}")
    if args.engine == "dask":
        results = _train_on_dask(args, names, description, progress)
    else:
        from risk.models.pipeline import load_tables, train_all

        tables = load_tables(args.source, progress=progress)
        results = train_all(tables, Path(args.out), model_names=names, n_bootstrap=args.bootstrap,
                            landmarks=args.landmarks,
                            description=description, synthetic=args.synthetic, progress=progress,
                            plots_dir=Path(args.out) / "plots")
    for r in results:
        feedback.out(f"{r.spec.name}: {_summary(r.metrics['overall'])} -> {r.folder}")
    return ExitCode.OK


def _train_on_dask(args: argparse.Namespace, names: list[str] | None, description: str,
                   progress: Callable[..., Any] | None) -> list[Any]:
    """The same training on a Dask cluster (risk.models.distributed); the scheduler checked as `risk panel`'s."""
    from risk.panel.engine import check_scheduler
    from risk.panel.screen import is_bulk_export

    if not args.scheduler:
        raise RiskError("--engine dask needs --scheduler ADDRESS (tls://host:8786)", ExitCode.USAGE)
    check_scheduler(args.scheduler)
    if not is_bulk_export(Path(args.source)):
        raise RiskError(f"--engine dask trains from a bulk export (NDJSON files); {args.source} is not one: "
                        "use --engine local", ExitCode.USAGE)
    try:
        from dask.distributed import Client
    except ImportError:
        raise RiskError("--engine dask needs Dask: pip install 'risk[cluster]'", ExitCode.USAGE) from None
    from risk.models.distributed import train_on_dask

    with Client(args.scheduler) as client:
        return train_on_dask(args.source, client, Path(args.out), model_names=names, n_bootstrap=args.bootstrap,
                             landmarks=args.landmarks, description=description, synthetic=args.synthetic,
                             xgboost_dask=args.xgboost_dask, work_dir=Path(args.work_dir) if args.work_dir else None,
                             progress=progress, plots_dir=Path(args.out) / "plots")


def _summary(o: dict) -> str:
    """One line of held-out metrics; a figure too few events could give (None) reads 'n/a', never a crash."""
    def f(x: object, spec: str) -> str:
        return "n/a" if x is None else format(x, spec)

    ci = o.get("c_index_ci") or (None, None)
    return (f"C-index {f(o.get('c_index'), '.3f')} (95% CI {f(ci[0], '.3f')}-{f(ci[1], '.3f')}), "
            f"calibration slope {f(o.get('calibration_slope'), '.2f')}, n={o.get('n')}, events={o.get('events')}")


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Re-evaluate saved models on the held-out split of a source (same split and labels as training)."""
    from risk.models.pipeline import held_out_metrics, landmark_sets, load_tables
    from risk.models.registry import load_all
    from risk.models.spec import MODEL_SPECS

    tables = load_tables(args.source, progress=None if args.quiet else feedback.progress)
    models = load_all(Path(args.models_dir))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {}
    for name, model in models.items():
        ts = landmark_sets(MODEL_SPECS[name], tables)[0]
        report[name] = held_out_metrics(model, ts, all_patients=args.all_patients,
                                        plot=out / f"{name}_calibration.html")
        o = report[name]["overall"]
        feedback.out(f"{name}: n={o['n']} events={o['events']} C-index {o['c_index']:.3f} "
                     f"AUROC {o['auroc']:.3f} slope {o['calibration_slope']:.2f} "
                     f"intercept {o['calibration_intercept']:+.2f} Brier {o['brier']:.4f}")
        for comp, c in report[name]["comparators"].items():
            same = c["on_same_patients"]
            feedback.out(f"   vs {comp} on {same['model']['n']} same patients: model C {same['model']['c_index']:.3f}"
                         f" / {comp} C {same[comp]['c_index']:.3f}; slope {same['model']['calibration_slope']:.2f}"
                         f" / {same[comp]['calibration_slope']:.2f}")
    (out / "evaluation.json").write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    return ExitCode.OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the models from a bulk export (NDJSON folder) or other FHIR source")
    p.add_argument("--source", required=True, help="bulk-export folder (or any FHIR source)")
    p.add_argument("--out", default="models", help="output folder (default: models/)")
    p.add_argument("--models", help="comma-separated subset, e.g. cvd10,hf10")
    p.add_argument("--bootstrap", type=int, default=10, help="ensemble size for uncertainty intervals")
    p.add_argument("--landmarks", type=int, default=0,
                   help="index dates per patient for training, 2 years apart; 0 (default): every usable one, where "
                        "the record has recent measurements (up to 5); the test rows use the latest")
    p.add_argument("--synthetic", action="store_true", help="the source is a `risk synth` cohort (said in cards)")
    p.add_argument("--description", help="training data description for the model cards")
    p.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="local (default): this process; dask: features per patient bucket and one task per model "
                        "and bootstrap member on a Dask cluster, the same model files as local")
    p.add_argument("--scheduler", help="Dask scheduler address for --engine dask (tls:// for a remote one)")
    p.add_argument("--xgboost-dask", action="store_true",
                   help="with --engine dask: train the boosters with xgboost.dask across the workers, for a training "
                        "set larger than one node (not bit-identical to local; the model card says so)")
    p.add_argument("--work-dir", help="with --engine dask: folder for the patient buckets (default: a temporary "
                                      "folder; on a cluster, one every worker can read)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("evaluate", help="evaluate saved models on the held-out split of a source")
    p.add_argument("--source", required=True)
    p.add_argument("--models-dir", default="models")
    p.add_argument("--out", default="reports")
    p.add_argument("--all-patients", action="store_true", help="evaluate on every patient (external data)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=cmd_evaluate)
