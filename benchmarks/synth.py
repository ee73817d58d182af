"""Benchmark and calibration report for the synthetic cohort generator (risk.synth).

    python benchmarks/synth.py                      # time 10k patients (plain NDJSON), patients/s, peak RSS
    python benchmarks/synth.py --sizes 10000 100000 # also 100k (minutes; ~12 GB uncompressed, use --gzip)
    python benchmarks/synth.py --calibration 20000  # simulated truth vs the French targets (no FHIR written)
    python benchmarks/synth.py --fhir-stats DIR     # the same targets measured from a written FHIR folder

Each size runs in its own subprocess so that the peak resident memory is that run's own. Output files go to a
temporary folder that is deleted afterwards unless --keep is given.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one_run(n: int, seed: int, out: Path, gzip: bool) -> dict[str, object]:
    from risk.synth import generate

    start = time.perf_counter()
    summary = generate(n_patients=n, seed=seed, out_dir=out, gzip=gzip)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.iterdir())
    return {
        "patients": n,
        "seconds": round(seconds, 1),
        "patients_per_s": round(n / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "bytes": size,
        "resources": summary.resource_counts,
    }


def time_sizes(sizes: list[int], seed: int, gzip: bool, keep: bool) -> None:
    for n in sizes:
        out = Path(tempfile.mkdtemp(prefix=f"synth{n}_"))
        try:
            cmd = [sys.executable, __file__, "--one", str(n), "--seed", str(seed), "--out", str(out)]
            if gzip:
                cmd.append("--gzip")
            result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            print(
                f"{n:>7} patients: {result['seconds']:>7} s  {result['patients_per_s']:>8} patients/s  "
                f"peak RSS {result['peak_rss_mb']} MB  output {result['bytes'] / 1e6:.0f} MB  "
                f"{result['resources']}"
            )
        finally:
            if keep:
                print(f"kept {out}")
            else:
                shutil.rmtree(out, ignore_errors=True)


def calibration(n: int, seed: int) -> None:
    from risk.synth import checks, simulate_cohort

    histories = simulate_cohort(n_patients=n, seed=seed)
    h = histories[0]  # one chunk (parameters.CHUNK_SIZE patients); run with other seeds to see the spread
    cs = checks.cross_section(h)
    print("cross-section 2015-07-01 (hidden truth):")
    for band, row in cs.pop("bands").items():
        print(f"  {band:14s} {row}")
    print(" ", cs)
    print("rates:", checks.rates(h))
    print("10-year CVD, 40-69 at 2012 (KM):", checks.ten_year_cvd(h))


def fhir_stats(folder: Path) -> None:
    """Targets measured from the FHIR files, the way a model sees the data."""
    import numpy as np
    import orjson

    def load(rt: str):  # noqa: ANN202  (streams resources: the folder can be larger than memory)
        with (folder / f"{rt}.ndjson").open("rb") as fh:
            for line in fh:
                yield orjson.loads(line)

    patients = {p["id"]: p for p in load("Patient")}

    def age(pid: str, when: str) -> float:
        return (date.fromisoformat(when[:10]) - date.fromisoformat(patients[pid]["birthDate"])).days / 365.25

    first_sbp: dict[str, tuple[float, str]] = {}
    units: dict[str, int] = defaultdict(int)
    for o in load("Observation"):
        unit = o.get("valueQuantity", {}).get("unit")
        if unit:
            units[unit] += 1
        if o["code"]["coding"][0]["code"] == "85354-9" and "2014" <= o["effectiveDateTime"][:4] <= "2016":
            pid = o["subject"]["reference"][8:]
            first_sbp.setdefault(pid, (o["component"][0]["valueQuantity"]["value"], o["effectiveDateTime"]))
    bands: dict[tuple[str, int], list[float]] = defaultdict(list)
    for pid, (sbp, when) in first_sbp.items():
        a = age(pid, when)
        if 30 <= a < 90:
            bands[(patients[pid]["gender"], int(a // 10) * 10)].append(sbp)
    print("mean SBP (first reading 2014-2016) by sex and age band:")
    for key in sorted(bands):
        print(f"  {key}: n={len(bands[key])} mean={np.mean(bands[key]):.1f}")
    print("units:", dict(sorted(units.items())))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--calibration", type=int, metavar="N")
    parser.add_argument("--fhir-stats", type=Path, metavar="DIR")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, args.seed, args.out, args.gzip)))
    elif args.calibration:
        calibration(args.calibration, args.seed)
    elif args.fhir_stats:
        fhir_stats(args.fhir_stats)
    else:
        time_sizes(args.sizes, args.seed, args.gzip, args.keep)


if __name__ == "__main__":
    main()
