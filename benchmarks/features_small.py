"""Fixed cost of building features for small batches (CDS Hooks micro-batches), before/after side by side.

The "before" is the code of risk/features/{tables,build}.py at a git revision (default: the commit before the
numpy rewrite), loaded from `git show` into throwaway modules; the "after" is the working tree. Both run in
this process, interleaved, on the same records, so the ratio holds however busy the machine is (figures in ms
vary from run to run on a shared machine: quote the ratio).

1. tables_from_records + build_features on 1, 8 and 32 French sample patients, read as the CDS service reads
   them (prefetch -> risk.cds.request.from_prefetch -> record_from_resources), ids made distinct: median ms.
2. The same on a 2,000-patient synthetic chunk (`risk.synth.generate(n_patients=2000, seed=11)`, as
   risk.panel.stream scores it): best of `--repeat`.
Each pair of results is also checked equal (assert_frame_equal, exact): a faster wrong number is no use.

    nice -n 10 .venv/bin/python benchmarks/features_small.py [--rev a9c60bc] [--reps 30] [--repeat 2] [--no-chunk]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pandas as pd
from pandas.testing import assert_frame_equal

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from risk.cds.request import HookRequest, from_prefetch  # noqa: E402
from risk.features import build, tables  # noqa: E402
from risk.record import PatientRecord  # noqa: E402
from risk.record.load import iter_records, record_from_resources  # noqa: E402
from tests.cds_fixtures import hook_request, prefetch  # noqa: E402
from tests.features_baseline import BASELINE_REV, baseline_modules  # noqa: E402
from tests.paths import SAMPLES  # noqa: E402

AS_OF = pd.Timestamp("2026-12-07")


def french_batch(n: int) -> list[PatientRecord]:
    records = [record_from_resources(from_prefetch(HookRequest.model_validate(hook_request(*prefetch(p)))))
               for p in sorted(SAMPLES.glob("fr-*.json"))]
    return [replace(records[i % len(records)], patient_id=f"{records[i % len(records)].patient_id}-{i}")
            for i in range(n)]


def runner(tab: ModuleType, bld: ModuleType, records: list[PatientRecord]) -> Callable[[], pd.DataFrame]:
    return lambda: bld.build_features(tab.tables_from_records(records), AS_OF)


def timed(fn: Callable[[], pd.DataFrame]) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def side_by_side(label: str, before: Callable[[], pd.DataFrame], after: Callable[[], pd.DataFrame], reps: int,
                 pick: Callable[[list[float]], float]) -> None:
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(reps):  # interleaved: both see the same load
        t0, old = timed(before)
        t1, new = timed(after)
        times["before"].append(t0)
        times["after"].append(t1)
    assert_frame_equal(new, old, check_exact=True)
    b, a = pick(times["before"]) * 1e3, pick(times["after"]) * 1e3
    print(f"{label:<28} before {b:8.1f} ms   after {a:8.1f} ms   ratio before/after {b / a:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default=BASELINE_REV)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-chunk", action="store_true", help="skip the 2,000-patient chunk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_tables, old_build = baseline_modules(Path(tmp), args.rev)
        print(f"tables_from_records + build_features, before = {args.rev}, after = working tree")
        for n in (1, 8, 32):
            records = french_batch(n)
            for fn in (runner(old_tables, old_build, records), runner(tables, build, records)):
                fn()  # warm up
            side_by_side(f"{n} French patient(s), median", runner(old_tables, old_build, records),
                         runner(tables, build, records), args.reps, statistics.median)
        if not args.no_chunk:
            from risk.synth import generate

            folder = Path(tmp) / "synth"
            generate(n_patients=2000, seed=11, out_dir=folder, progress=False)
            records = list(iter_records(folder))
            side_by_side("2,000 synthetic, best of", runner(old_tables, old_build, records),
                         runner(tables, build, records), args.repeat, min)


if __name__ == "__main__":
    main()
