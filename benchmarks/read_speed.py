"""Reading speed: FHIR bulk NDJSON -> PatientRecord (risk.record.load.iter_records) against the orjson floor.

The floor is the least any reader must do: read (and gunzip) every line and `orjson.loads` it. Both are timed in
the same process, best of N, so the ratio read / floor holds on a loaded machine where one absolute figure does
not (issue 13 asks for the whole panel within 3x of the floor; reading is its largest stage). Inputs: a generated
cohort (`risk synth`, seed 11) and the 449 Synthea patients of the SMART sample (gzipped NDJSON).

`--baseline REF` also times the library as it was at git commit REF (its `risk/` extracted to a temporary folder),
round by round beside the current code, and prints how much faster reading got.

    python benchmarks/read_speed.py [--patients 2000] [--repeat 3] [--baseline a9c60bc]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMART_NDJSON = ROOT.parent / "shared" / "fhir_samples" / "smart-generated-sample-data-r4" / "ndjson"


def orjson_floor(folder: Path) -> int:
    """Parse every line of every NDJSON file; the number of resources."""
    import orjson

    n = 0
    for f in sorted(folder.rglob("*.ndjson*")):
        opener = gzip.open if f.name.endswith(".gz") else open
        with opener(f, "rb") as fh:
            for line in fh:
                if line.strip():
                    orjson.loads(line)
                    n += 1
    return n


def read_records(folder: Path) -> int:
    """Read the folder into records, as `risk panel` reads each bucket; the number of patients."""
    from risk.record.load import iter_records

    return sum(1 for _ in iter_records(folder))


def worker(folder: Path) -> None:
    """One round in this process: floor then read, printed as JSON (the parent takes the best of the rounds).

    The library is imported first (pandas and numpy come with it): reading is timed, not importing."""
    import risk
    import risk.record.load  # noqa: F401

    t = time.perf_counter()
    resources = orjson_floor(folder)
    floor = time.perf_counter() - t
    t = time.perf_counter()
    patients = read_records(folder)
    read = time.perf_counter() - t
    print(json.dumps({"floor": floor, "read": read, "patients": patients, "resources": resources,
                      "library": str(Path(risk.__file__).parent)}))


def run_round(library: Path, folder: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(library)}
    done = subprocess.run([sys.executable, __file__, "--worker", str(folder)], capture_output=True, text=True,
                          env=env, check=True)
    result = json.loads(done.stdout)
    if Path(result["library"]).resolve() != (library / "risk").resolve():
        sys.exit(f"the round imported {result['library']}, not {library / 'risk'}")
    return result


def extract(ref: str, into: Path) -> Path:
    """The `risk/` package as it was at `ref`, in a folder of its own."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "risk"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--patients", type=int, default=2000, help="generated cohort size (0: none)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is kept")
    ap.add_argument("--baseline", help="git commit to compare with (e.g. the commit before a change)")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return
    with tempfile.TemporaryDirectory() as tmp:
        inputs: list[tuple[str, Path]] = []
        if args.patients:
            sys.path.insert(0, str(ROOT))
            from risk.synth import generate

            folder = Path(tmp) / "synthetic"
            generate(n_patients=args.patients, seed=11, out_dir=folder, progress=False)
            inputs.append((f"{args.patients:,} synthetic", folder))
        if SMART_NDJSON.is_dir():
            inputs.append(("449 Synthea (gz)", SMART_NDJSON))
        libraries = [("now", ROOT)]
        if args.baseline:
            base = Path(tmp) / "baseline"
            base.mkdir()
            libraries.insert(0, (f"at {args.baseline}", extract(args.baseline, base)))
        print(f"read -> records (iter_records over a bulk NDJSON folder) against the orjson floor; "
              f"best of {args.repeat} rounds, each in a fresh process")
        print(f"  {'input':20s} {'code':14s} {'patients':>8s} {'floor s':>8s} {'read s':>8s} {'patients/s':>11s} "
              f"{'read/floor':>10s}")
        for name, folder in inputs:
            best: dict[str, dict] = {}
            for _ in range(args.repeat):  # rounds alternate between codes: both see the same machine load
                for label, library in libraries:
                    r = run_round(library, folder)
                    kept = best.setdefault(label, r)
                    kept["floor"], kept["read"] = min(kept["floor"], r["floor"]), min(kept["read"], r["read"])
            for label, r in best.items():
                print(f"  {name:20s} {label:14s} {r['patients']:8d} {r['floor']:8.2f} {r['read']:8.2f} "
                      f"{r['patients'] / r['read']:11.0f} {r['read'] / r['floor']:9.2f}x")
            if args.baseline:
                before, after = best[libraries[0][0]], best["now"]
                print(f"  {name:20s} reading {before['read'] / after['read']:.2f}x faster than at {args.baseline} "
                      f"(read/floor {before['read'] / before['floor']:.2f}x -> {after['read'] / after['floor']:.2f}x)")


if __name__ == "__main__":
    main()
