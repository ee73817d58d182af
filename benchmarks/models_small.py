"""Fixed cost of the model side on small batches (1-32 patients, the CDS Hooks micro-batch), before and after.

The code as it was at `--base` (a git revision) and the code of this tree are timed side by side: the base's
`risk/` is extracted into a temporary folder (git archive) and each side runs in its own worker process, the two
alternating for `--rounds` rounds on the same inputs (the French sample patients for one-row calls, the first 32
patients of a synthetic cohort for batches) with the same models; each figure is the median of the rounds' medians,
and the ratio base / this tree is printed beside it (above 1: this tree is faster). Absolute milliseconds depend on
what else the machine runs; the ratio, measured side by side, is the figure to read.

    python benchmarks/models_small.py [--base a9c60bc] [--rounds 5] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 12, 7)
BATCH = 32
# The revision the model-side speed work started from.
DEFAULT_BASE = "a9c60bc"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default=DEFAULT_BASE, help="git revision to compare against")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=15, help="timed calls per figure in each round")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--cohort", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(Path(args.worker), Path(args.cohort), args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="models-small-") as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base, "risk"], check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(base, filter="data")
        cohort = Path(tmp) / "cohort"
        sys.path.insert(0, str(ROOT))
        from risk.synth import generate

        generate(n_patients=BATCH, seed=11, out_dir=cohort)
        runs: dict[str, list[dict[str, float]]] = {"base": [], "now": []}
        for _ in range(args.rounds):
            for side, root in (("base", base), ("now", ROOT)):
                out = subprocess.run([sys.executable, __file__, "--worker", str(root), "--cohort", str(cohort),
                                      "--repeat", str(args.repeat)], check=True, capture_output=True, text=True)
                runs[side].append(json.loads(out.stdout.splitlines()[-1]))
    report(runs, args)


def report(runs: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    med = {side: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for side, rs in runs.items()}
    print(f"base {args.base} vs this tree: median ms over {args.rounds} alternating rounds x {args.repeat} calls")
    print(f"  {'':44} {'base':>9} {'now':>9} {'base/now':>9}")
    for key in med["base"]:
        b, n = med["base"][key], med["now"][key]
        print(f"  {key:44} {b:9.2f} {n:9.2f} {b / n:8.2f}x")


def worker(root: Path, cohort: Path, repeat: int) -> None:
    """Time the model side with the `risk` package found under `root`; print one JSON line of medians (ms)."""
    sys.path.insert(0, str(root))
    import risk

    if not Path(risk.__file__).is_relative_to(root):
        raise SystemExit(f"imported {risk.__file__}, not the code under {root}")
    from risk.assess.scores import score_models
    from risk.explain import factors
    from risk.features.build import build_features, model_frames, row_frame
    from risk.features.tables import tables_from_records
    from risk.models.registry import load_all
    from risk.record.load import iter_records

    models = load_all(ROOT / "models")
    french = [r for p in sorted((ROOT / "sample_fhir").glob("fr-*.json*")) for r in iter_records(p)]
    sample = build_features(tables_from_records(french), AS_OF)
    batch = build_features(tables_from_records(list(iter_records(cohort))), AS_OF)
    one_rows = [row_frame(sample.iloc[i]) for i in range(len(sample))]
    frames = model_frames(batch)
    explain_rows = getattr(factors, "explain_rows", None)

    def explain_batch(name: str) -> object:
        if explain_rows is not None:
            return explain_rows(models[name], frames)
        return [factors.explain_row(models[name], frames.iloc[[i]]) for i in range(len(frames))]

    cases: dict[str, Callable[[], object]] = {
        "row_frame (1 row)": lambda: [row_frame(sample.iloc[i]) for i in range(len(sample))],
        f"model_frames ({BATCH} rows)": lambda: model_frames(batch),
        "score_models (1 row)": lambda: [score_models(f, models) for f in one_rows],
        f"score_models ({BATCH} rows)": lambda: score_models(frames, models),
        f"model_frames + score_models ({BATCH} rows)": lambda: score_models(model_frames(batch), models),
        "LoadedModel.predict cvd10 (1 row)": lambda: [models["cvd10"].predict(f) for f in one_rows],
        "LoadedModel.contributions cvd10 (1 row)": lambda: [models["cvd10"].contributions(f) for f in one_rows],
        "explain_row cvd10 (1 row)": lambda: [factors.explain_row(models["cvd10"], f) for f in one_rows],
        "explain_row hf10 (1 row)": lambda: [factors.explain_row(models["hf10"], f) for f in one_rows],
        f"explain cvd10, per row of {BATCH}": lambda: explain_batch("cvd10"),
        f"explain hf10, per row of {BATCH}": lambda: explain_batch("hf10"),
    }
    per_call = {"row_frame (1 row)": len(sample), "score_models (1 row)": len(one_rows),
                "LoadedModel.predict cvd10 (1 row)": len(one_rows),
                "LoadedModel.contributions cvd10 (1 row)": len(one_rows),
                "explain_row cvd10 (1 row)": len(one_rows), "explain_row hf10 (1 row)": len(one_rows),
                f"explain cvd10, per row of {BATCH}": len(frames), f"explain hf10, per row of {BATCH}": len(frames)}
    result = {}
    for key, fn in cases.items():
        fn()  # warm
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000 / per_call.get(key, 1))
        result[key] = statistics.median(times)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
