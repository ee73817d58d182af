"""Generate a synthetic cohort and train all models on it, timing each stage and reporting peak memory.

Usage: python benchmarks/train.py [--patients 100000] [--bootstrap 10] [--out /tmp/bench-models]
Prints wall time per stage, patients/s, and the peak resident memory of the process (ru_maxrss).
The baseline column is the plain orjson parse of the generated NDJSON (the cheapest possible read).
"""

from __future__ import annotations

import argparse
import gzip
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def orjson_baseline(folder: Path) -> float:
    t0 = time.perf_counter()
    for f in sorted(folder.glob("*.ndjson*")):
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rb") as fh:
            for line in fh:
                orjson.loads(line)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bootstrap", type=int, default=6)
    ap.add_argument("--landmarks", type=int, default=3, help="index dates per patient (as for the shipped models)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    from risk.feedback import progress
    from risk.models.pipeline import load_tables, train_all
    from risk.synth import generate

    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    cohort, out = work / "cohort", Path(args.out or work / "models")
    times = {}
    t0 = time.perf_counter()
    generate(n_patients=args.patients, seed=args.seed, out_dir=cohort, progress=progress)
    times["generate"] = time.perf_counter() - t0
    times["orjson parse (baseline)"] = orjson_baseline(cohort)
    t0 = time.perf_counter()
    tables = load_tables(cohort, progress=progress)
    times["read FHIR -> records -> tables"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    train_all(tables, out, n_bootstrap=args.bootstrap, landmarks=args.landmarks,
              description=f"benchmark cohort {args.patients}",
              synthetic=True, progress=progress, comparators=False)
    times["features + labels + train + evaluate (5 models)"] = time.perf_counter() - t0
    total = sum(v for k, v in times.items() if "baseline" not in k)
    print(f"patients: {args.patients}, bootstrap members: {args.bootstrap}, landmarks: {args.landmarks}, cores: 2")
    for k, v in times.items():
        print(f"  {k:<50} {v:8.1f} s")
    print(f"  {'total':<50} {total:8.1f} s  ({args.patients / total:.0f} patients/s end to end)")
    print(f"  read/orjson ratio: {times['read FHIR -> records -> tables'] / times['orjson parse (baseline)']:.2f}x")
    print(f"peak memory (RSS): {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
