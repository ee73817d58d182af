"""Does the synthetic world carry QRISK3's record-rich predictors? Prevalence and recovered hazard ratios.

    python benchmarks/synth_qrisk3.py --patients 100000 --seed 2026

Simulates the hidden truth (no FHIR written), prints each predictor's prevalence among patients aged 30-84 in
the practice on 2019-07-01 against its cited French target (risk/synth/parameters.py section 10), then fits a
Cox model per sex (lifelines CoxTimeVaryingFitter; age as the time scale; adjusted for the SCORE2-family risk
at entry) and prints each hazard ratio with its 95 % CI next to QRISK3's (exp of the main-effect coefficient).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MIN_EXPOSED_EVENTS = 10  # fewer events among people with a predictor give no usable hazard ratio


def main() -> None:
    import pandas as pd
    from lifelines import CoxTimeVaryingFitter

    from risk.synth import checks, simulate_cohort
    from risk.synth import parameters as P

    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    started = time.perf_counter()
    histories = simulate_cohort(n_patients=args.patients, seed=args.seed)
    print(f"simulated {args.patients} patients in {time.perf_counter() - started:.0f} s")  # noqa: T201
    counts: dict[str, list[int]] = {}
    tables = []
    for h in histories:
        for key, (cases, people) in checks.qrisk3_prevalence(h).items():
            counts.setdefault(key, [0, 0])
            counts[key][0] += cases
            counts[key][1] += people
        table = checks.qrisk3_survival_table(h)
        table["patient"] = table["patient"] + len(tables) * 10_000_000
        tables.append(pd.DataFrame(table))
    print(
        "\nprevalence on 2019-07-01, patients aged 30-84 (target, relative tolerance "  # noqa: T201
        f"{P.QRISK3_PREVALENCE_TOLERANCE:.0%})"
    )
    for key, (cases, people) in counts.items():
        name, sex = key.rsplit(" ", 1)
        target = P.QRISK3_PREVALENCE_TARGETS[name][sex == "men"]
        # The generator's own rule (tests/integration/test_synth.py): the relative tolerance where at least 100
        # cases are expected; below that (SLE, RA in men) sampling noise dominates: present and under 3x target.
        if target == 0:
            ok, rule = cases == 0, "none expected"
        elif target * people >= 100:
            ok, rule = abs(cases / people / target - 1) <= P.QRISK3_PREVALENCE_TOLERANCE, "relative tolerance"
        else:
            ok, rule = 0 < cases / people < 3 * target, f"rare: {target * people:.0f} expected"
        print(  # noqa: T201
            f"  {key:32s} {cases / people:8.4%}  target {target:7.3%}  cases {cases:6d} / {people:6d}  "
            f"{'ok' if ok else 'OFF'} ({rule})"
        )
    data = pd.concat(tables, ignore_index=True)
    print(f"\nCox fit: {len(data)} rows, {int(data['event'].sum())} events")  # noqa: T201
    for sex, male in (("female", False), ("male", True)):
        part = data[data["male"] == male]
        # A predictor with almost no events among the exposed cannot be fitted (near-complete separation: the
        # Newton steps of the fit do not converge); it is named and left out (SLE in men: a handful of cases).
        events = part[part["event"] == 1]
        covariates = [c for c in P.QRISK3_CONDITIONS if events[c].sum() >= MIN_EXPOSED_EVENTS]
        for c in P.QRISK3_CONDITIONS:
            if c not in covariates and part[c].any():
                print(f"  {sex}: {c} left out, {int(events[c].sum())} events among the exposed")  # noqa: T201
        frame = part[["patient", "start", "stop", "event", "risk10_cll", *covariates]].astype(float)
        fitter = CoxTimeVaryingFitter(penalizer=0.0)
        fitter.fit(frame, id_col="patient", start_col="start", stop_col="stop", event_col="event")
        summary = fitter.summary
        print(f"\n  {sex}: {int(frame['event'].sum())} events")  # noqa: T201
        for name in covariates:
            row = summary.loc[name]
            expected = float(np.exp(P.QRISK3_LOG_HR[sex][name]))
            hr = float(row["exp(coef)"])
            within = abs(hr / expected - 1) <= 0.20
            low, high = float(row["exp(coef) lower 95%"]), float(row["exp(coef) upper 95%"])
            inside = "inside" if low <= expected <= high else "OUTSIDE"
            print(  # noqa: T201
                f"    {name:24s} HR {hr:5.2f} (95% CI {low:.2f}-{high:.2f})  QRISK3 {expected:.2f}  "
                f"{'within 20%' if within else 'NOT within 20%'}; QRISK3 {inside} the CI  "
                f"patients {int(part.groupby('patient')[name].max().sum())}"
            )


if __name__ == "__main__":
    main()
