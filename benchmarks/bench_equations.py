"""Time the published equations and the per-patient applicability logic (run by hand: no assertions).

Usage: python benchmarks/bench_equations.py [n_patients]
Reports calls per second, so the lead can judge whether panel scoring needs a vectorised path.
"""

from __future__ import annotations

import sys
import time

from risk.equations import kfre, prevent, reference_scores, score2, score2_diabetes


def _rate(label: str, n: int, fn) -> None:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<28} {n / elapsed:>10,.0f} calls/s  ({elapsed * 1e6 / n:,.1f} µs/call)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    features = dict(
        age=62.0,
        sex_male=1,
        sbp=142.0,
        total_chol=5.8,
        hdl=1.2,
        hba1c=58.0,
        egfr=52.0,
        uacr=4.0,
        bmi=29.0,
        smoking_current=0,
        diabetes_t2=1,
        diabetes_t1=0,
        diabetes_any=1,
        age_at_diabetes=55.0,
        established_cvd=0,
        prior_mi=0,
        prior_stroke=0,
        prior_hf=0,
        on_antihypertensive=1,
        on_statin=1,
        ckd_stage=3,
    )
    _rate("score2", n, lambda: score2(sex="male", age=55, smoker=True, sbp=140, total_chol=5.5, hdl=1.3))
    _rate(
        "score2_diabetes",
        n,
        lambda: score2_diabetes(
            sex="male",
            age=60,
            smoker=False,
            sbp=140,
            total_chol=5.5,
            hdl=1.3,
            hba1c=50,
            egfr=90,
            age_at_diabetes_diagnosis=55,
        ),
    )
    _rate(
        "prevent (full model)",
        n,
        lambda: prevent(
            sex="female",
            age=50,
            smoker=False,
            sbp=160,
            total_chol=5.2,
            hdl=1.2,
            egfr=90,
            bmi=35,
            diabetes=True,
            on_antihypertensive=True,
            on_statin=False,
            hba1c=53,
            uacr=3.0,
        ),
    )
    _rate("kfre", n, lambda: kfre(sex="male", age=55, egfr=45, uacr=13.6))
    _rate("reference_scores (7 keys)", n, lambda: reference_scores(features))


if __name__ == "__main__":
    main()
