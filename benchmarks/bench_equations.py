"""Time the published equations and the per-patient applicability logic (run by hand: no assertions).

Usage: python benchmarks/bench_equations.py [n_patients]
Reports calls per second, so the lead can judge whether panel scoring needs a vectorised path.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: risk and tests.equation_cases

from risk.equations import kfre, prevent, reference_scores, score2, score2_diabetes  # noqa: E402
from tests.equation_cases import (  # noqa: E402 (the inputs the tests check, tests/unit/test_equations_rules.py)
    HEALTHY_55_SCORE2,
    T2D_CKD_62,
    T2D_CKD_62_KFRE,
    T2D_CKD_62_PREVENT,
    T2D_CKD_62_SCORE2_DIABETES,
)


def _rate(label: str, n: int, fn) -> None:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<28} {n / elapsed:>10,.0f} calls/s  ({elapsed * 1e6 / n:,.1f} µs/call)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    _rate("score2", n, lambda: score2(**HEALTHY_55_SCORE2))
    _rate("score2_diabetes", n, lambda: score2_diabetes(**T2D_CKD_62_SCORE2_DIABETES))
    _rate("prevent (full model)", n, lambda: prevent(**T2D_CKD_62_PREVENT))
    _rate("kfre", n, lambda: kfre(**T2D_CKD_62_KFRE))
    _rate("reference_scores (7 keys)", n, lambda: reference_scores(T2D_CKD_62))

if __name__ == "__main__":
    main()
