"""Panel scoring speed (`risk panel`): where the time goes per stage, against a plain orjson parse of the export.

A care coordinator scores a whole bulk export. This generates a synthetic export (`risk synth`, default 5,000
patients) into a temporary folder, then times, in one process, best of N:
- baseline: orjson.loads of every NDJSON line (the least any reader must do);
- read: FHIR NDJSON -> PatientRecord (risk.record.load.iter_records);
- tables + features: records -> long tables -> features and model frames, per chunk as in risk.panel.stream
  (risk.assess.snapshot.snapshots);
- models, SHAP, advice: the Assessment on the card path (risk.assess.assessment.assess_many: the five models with
  their bootstrap members, the published equations, the lead model's TreeSHAP, category, steps, gaps);
- rows: the panel row of each Assessment (risk.panel.row).
Prints seconds, patients per second and each stage's ratio to the baseline, plus the projection to 1 million.

Then (issue 13) the whole `risk panel` command, as a user runs it (buckets, SHAP, advice, CSV), in a fresh process
on 1 and on all cores: wall seconds, patients/s, peak RSS (largest process of the run) and the ratio to the orjson
floor of the same bytes (gunzip + orjson.loads of every line, one core; timed around each run, the fastest
counts), side by side, on the SMART sample's 449 Synthea patients (`--replica N` copies them N times under new ids)
and on generated cohorts (`--sizes`).
`--organized` also runs each generated cohort organised by patient (Bulk Data `organizeOutputBy=Patient`: blocks of
header, Patient and its resources, in `--organized-files` gzip files, one block continued in the next file, with a
manifest), which `risk panel` scores file by file without the bucket pass (risk.panel.organized).

    python benchmarks/panel.py [--patients 5000] [--repeat 2] [--sizes 5000,100000] [--replica 10] [--skip-stages]
                               [--organized] [--organized-files 8]
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best_of(repeat: int, fn):  # noqa: ANN001, ANN201 (a timing helper)
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--sizes", default="5000", help="generated cohorts for the whole-command runs (comma-separated)")
    ap.add_argument("--replica", type=int, default=1, help="copies of the 449 Synthea patients (0: none)")
    ap.add_argument("--skip-stages", action="store_true")
    ap.add_argument("--organized", action="store_true", help="also each cohort organised by patient (no bucket pass)")
    ap.add_argument("--organized-files", type=int, default=8, help="files of the organised copy")
    ap.add_argument("--all-cores-only", action="store_true", help="skip the one-core runs (a 100k cohort takes long)")
    args = ap.parse_args()
    if not args.skip_stages:
        stages(args)
    whole_runs(args)


def stages(args: argparse.Namespace) -> None:
    from risk.assess.assessment import assess_many
    from risk.assess.snapshot import snapshots
    from risk.models.registry import load_all
    from risk.panel.row import flat_row, panel_facts
    from risk.panel.stream import CHUNK, chunks
    from risk.record.load import iter_records
    from risk.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        generate(n_patients=args.patients, seed=11, out_dir=folder, progress=False)
        files = sorted(folder.glob("*.ndjson"))
        models = load_all(ROOT / "models")
        as_of = date(2026, 1, 1)

        def baseline() -> int:
            return sum(1 for f in files for line in f.open("rb") if orjson.loads(line))

        def read() -> list:
            return list(iter_records(folder))

        t_base, _ = best_of(args.repeat, baseline)
        t_read, records = best_of(args.repeat, read)
        t_snap, snaps = best_of(args.repeat, lambda: [snapshots(b, as_of) for b in chunks(records, CHUNK)])
        t_assess, done = best_of(args.repeat, lambda: [assess_many(b, models, card_only=True) for b in snaps])
        t_rows, _ = best_of(args.repeat, lambda: [flat_row(a, panel_facts(a)) for b in done for a in b])

    n = len(records)
    stages = {"baseline (orjson parse)": t_base, "read -> records": t_read,
              "tables + features (chunks)": t_snap, "models, SHAP, advice": t_assess, "rows": t_rows}
    total = t_read + t_snap + t_assess + t_rows
    print(f"{n} patients, best of {args.repeat}, one core, chunks of {CHUNK} (risk.panel.stream)")
    for name, t in stages.items():
        print(f"  {name:28s} {t:7.2f} s  {n / t:8.0f} patients/s  {t / t_base:5.2f}x baseline")
    print(f"  {'total risk panel':28s} {total:7.2f} s  {n / total:8.0f} patients/s  {total / t_base:5.2f}x baseline; "
          f"1 million patients ~{1e6 / (n / total) / 60:.0f} min on one core")


SMART_NDJSON = ROOT.parent / "shared" / "fhir_samples" / "smart-generated-sample-data-r4" / "ndjson"
WRAPPER = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
           "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
           "sys.exit(r.stderr.decode()[-500:]) if r.returncode else "
           "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def replicate(src: Path, out: Path, copies: int) -> None:
    """The SMART NDJSON `copies` times, each copy's patients under new ids (`r<k>-<id>`), one folder per copy."""
    for k in range(copies):
        (out / f"r{k}").mkdir(parents=True)
        for f in sorted(src.glob("*.ndjson.gz")):
            with gzip.open(f, "rb") as fin, gzip.open(out / f"r{k}" / f.name, "wb", compresslevel=1) as fout:
                for line in fin:
                    line = line.replace(b'"Patient/', f'"Patient/r{k}-'.encode())
                    if f.name.startswith("Patient"):
                        line = line.replace(b'"id":"', f'"id":"r{k}-'.encode(), 1).replace(
                            b'"id": "', f'"id": "r{k}-'.encode(), 1)
                    fout.write(line)


def orjson_floor(folder: Path) -> float:
    t = time.perf_counter()
    for f in sorted(folder.rglob("*.ndjson*")):
        opener = gzip.open if f.name.endswith(".gz") else open
        with opener(f, "rb") as fh:
            for line in fh:
                orjson.loads(line)
    return time.perf_counter() - t


def panel_run(folder: Path, workers: int) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MB, patients written) of `risk panel` in a fresh process."""
    out = folder.parent / f"{folder.name}-{workers}.csv"
    cmd = [sys.executable, "-c", "import sys; from risk.cli import main; sys.exit(main(sys.argv[1:]))", "panel",
           str(folder), "--out", str(out), "--as-of", "2026-01-01", "--quiet", "--workers", str(workers)]
    done = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=True,
                          cwd=ROOT)
    seconds, rss = done.stdout.split()
    n = sum(1 for _ in out.open()) - 1
    return float(seconds), int(rss) // 1024, n


def whole_runs(args: argparse.Namespace) -> None:
    from risk.synth import generate
    from tests.organized_export import organize

    cores = len(os.sched_getaffinity(0))
    print(f"\nwhole `risk panel` (buckets, SHAP, advice, CSV) against the orjson floor of the same bytes; "
          f"{cores} cores")
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        if args.replica and SMART_NDJSON.is_dir():
            folder = Path(tmp) / f"synthea-x{args.replica}"
            replicate(SMART_NDJSON, folder, args.replica)
            sources.append((f"449 Synthea x{args.replica}", folder))
        for n in (int(x) for x in args.sizes.split(",") if x):
            folder = Path(tmp) / f"synth-{n}"
            generate(n_patients=n, seed=11, out_dir=folder, gzip=True)
            sources.append((f"{n} synthetic", folder))
            if args.organized:
                organized = Path(tmp) / f"synth-{n}-organized"
                organize(folder, organized, files=args.organized_files, gz=True)
                sources.append((f"{n} organised", organized))
        for name, folder in sources:
            # The floor is timed before each run and once after the last, and the fastest counts: on a shared host
            # the speed drifts within minutes, and the fastest floor gives the least flattering ratio.
            floors = [orjson_floor(folder)]
            runs = []
            for workers in sorted({1, cores} - ({1} if args.all_cores_only and cores > 1 else set())):
                runs.append((workers, *panel_run(folder, workers)))
                floors.append(orjson_floor(folder))
            floor = min(floors)
            for workers, seconds, rss, n in runs:
                print(f"  {name:22s} {workers} core(s): {seconds:8.1f} s  {n / seconds:7.1f} patients/s  "
                      f"peak RSS {rss:6d} MB  {seconds / floor:6.1f}x orjson floor ({floor:.1f} s; "
                      f"{max(floors):.1f} s at slowest of {len(floors)})")
        for n in (int(x) for x in args.sizes.split(",") if x and args.organized):
            for workers in sorted({1, cores} - ({1} if args.all_cores_only and cores > 1 else set())):
                same = (Path(tmp) / f"synth-{n}-{workers}.csv").read_bytes() == (
                    Path(tmp) / f"synth-{n}-organized-{workers}.csv").read_bytes()
                print(f"  {n} organised, {workers} core(s): CSV {'identical to' if same else 'DIFFERS FROM'} "
                      "the type-per-file run")


if __name__ == "__main__":
    main()
