"""Time per patient for explanation + what-if + advice after scoring (goal <= 50 ms), on the sample patients.

Prints, per stage, the median over the sample patients (warm, models loaded once), and the ratio of the
post-scoring work to the scoring itself. Usage: python benchmarks/explain.py [--models-dir models]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-dir", default=str(ROOT / "models"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from risk import advise
    from risk.assess.scores import Scores, score_models
    from risk.assess.snapshot import snapshot
    from risk.equations import reference_scores
    from risk.explain.factors import explain_row
    from risk.explain.whatif import what_if
    from risk.models.registry import load_all
    from risk.record.load import iter_records

    models = load_all(Path(args.models_dir))
    views = [snapshot(r, date(2026, 11, 28)) for p in sorted((ROOT / "sample_fhir").glob("*.json*"))
             for r in iter_records(p)]
    stages: dict[str, list[float]] = {"score (models + equations)": [], "explain": [], "what-if": [],
                                      "advice (steps, gaps, alerts)": []}
    for _ in range(args.repeat):
        for v in views:
            t0 = time.perf_counter()
            scores = Scores(models={k: r[0] for k, r in score_models(v.frame, models).items()},
                            equations=reference_scores(v.features.to_dict()))
            t1 = time.perf_counter()
            frame = v.frame
            for name, r in scores.models.items():
                if r.risk is not None:
                    explain_row(models[name], frame)
            t2 = time.perf_counter()
            what_if(frame, models, {k: r.risk for k, r in scores.models.items() if r.risk is not None})
            t3 = time.perf_counter()
            row = v.features.to_dict()
            advise.next_steps(row, scores.equations, scores.models)
            advise.care_gaps(row, as_of=v.as_of)
            advise.alerts(row)
            t4 = time.perf_counter()
            for key, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                stages[key].append(dt * 1000)
    print(f"{len(views)} sample patients x {args.repeat} runs, median ms per patient:")
    for key, values in stages.items():
        print(f"  {key:<32} {statistics.median(values):7.1f} ms")
    after = sum(statistics.median(stages[k]) for k in list(stages)[1:])
    base = statistics.median(stages["score (models + equations)"])
    print(f"  {'explain + what-if + advice':<32} {after:7.1f} ms  (goal <= 50 ms; {after / base:.2f}x scoring)")


if __name__ == "__main__":
    main()
