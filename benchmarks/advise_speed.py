"""Time the advice layer per patient (next steps + care gaps + alerts) on the test scenarios.

Run: /work/venv/bin/python benchmarks/advise_speed.py [repeats]
Reports microseconds per patient for each function, so that a panel of N patients can be sized.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from advise_scenarios import AS_OF, SCENARIOS, models_for, scenario_features, scores_for  # noqa: E402

from risk.advise import alerts, care_gaps, next_steps  # noqa: E402


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    cases = [
        (scenario_features(s), scores_for(s), models_for(s), s.guideline_set) for s in SCENARIOS.values()
    ]
    n = repeats * len(cases)
    for name, fn in [
        ("next_steps", lambda f, sc, m, gs: next_steps(f, sc, m, guideline_set=gs)),
        ("care_gaps", lambda f, sc, m, gs: care_gaps(f, as_of=AS_OF)),
        ("alerts", lambda f, sc, m, gs: alerts(f)),
    ]:
        start = time.perf_counter()
        for _ in range(repeats):
            for f, sc, m, gs in cases:
                fn(f, sc, m, gs)
        elapsed = time.perf_counter() - start
        print(f"{name:11s} {elapsed / n * 1e6:8.1f} us/patient  ({n} calls)")


if __name__ == "__main__":
    main()
