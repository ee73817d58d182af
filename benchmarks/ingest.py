"""Ingest speed: 449 Synthea bundles -> PatientRecord, against a plain orjson load of the same files.

Both sides read and gunzip the same files in the same process; the ratio is ingest time / orjson time
(goal: <= 3x). Usage: python benchmarks/ingest.py [BUNDLE_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT = ROOT.parent / "shared" / "fhir_samples" / "smart-generated-sample-data-r4" / "bundles_gz"


def orjson_load(files: list[Path]) -> int:
    n = 0
    for f in files:
        doc = orjson.loads(gzip.decompress(f.read_bytes()))
        n += len(doc.get("entry", []))
    return n


def ingest(files: list[Path]) -> int:
    from risk.record.load import iter_records

    n = 0
    for f in files:
        for record in iter_records(f):
            n += len(record.measurements)
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = sorted(Path(args.folder).glob("*.json*"))
    if not files:
        sys.exit(f"no bundles in {args.folder}")
    ingest(files[:3])  # warm imports and caches
    best = {"orjson": float("inf"), "ingest": float("inf")}
    for _ in range(args.repeat):
        for name, fn in (("orjson", orjson_load), ("ingest", ingest)):
            t0 = time.perf_counter()
            fn(files)
            best[name] = min(best[name], time.perf_counter() - t0)
    n = len(files)
    print(f"files: {n} bundles ({sum(f.stat().st_size for f in files) / 1e6:.0f} MB gzipped)")
    print(f"baseline orjson load : {best['orjson']:.2f} s  ({n / best['orjson']:.0f} bundles/s)")
    print(f"ingest -> records    : {best['ingest']:.2f} s  ({n / best['ingest']:.0f} records/s)")
    print(f"ratio ingest/orjson  : {best['ingest'] / best['orjson']:.2f}x  (goal <= 3x; best of {args.repeat})")


if __name__ == "__main__":
    main()
