"""Time the advice layer per patient (category, next steps, care gaps, alerts) on the test scenarios.

Run: .venv/bin/python benchmarks/advise_speed.py [repeats]
Reports microseconds per patient for each function, so that a panel of N patients can be sized: built only (what
a panel row needs: codes), with every text read in one language (a page), and in both (a bilingual export).
Texts are rendered when first read, so the three differ.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from advise_scenarios import AS_OF, SCENARIOS, models_for, scenario_features, scores_for  # noqa: E402

from risk.advise import alerts, care_gaps, next_steps, risk_category  # noqa: E402

TEXTS = {"category": ("reason_{}", "label_{}"), "next_steps": ("text_{}",), "care_gaps": ("text_{}",),
         "alerts": ("text_{}",)}


def read(out: object, name: str, langs: tuple[str, ...]) -> None:
    """Read every text of the output in ``langs``, as a page or an export does."""
    for item in out if isinstance(out, list) else [out]:
        for attr in TEXTS[name]:
            for lang in langs:
                getattr(item, attr.format(lang))


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    cases = [
        (scenario_features(s), scores_for(s), models_for(s), s.guideline_set) for s in SCENARIOS.values()
    ]
    n = repeats * len(cases)
    print(f"{'':11s} {'built':>8s} {'+ fr':>8s} {'+ fr, en':>8s}  us/patient ({n} calls each)")
    for name, fn in [
        ("category", lambda f, sc, m, gs: risk_category(f, sc, gs)),
        ("next_steps", lambda f, sc, m, gs: next_steps(f, sc, m, guideline_set=gs)),
        ("care_gaps", lambda f, sc, m, gs: care_gaps(f, as_of=AS_OF)),
        ("alerts", lambda f, sc, m, gs: alerts(f)),
    ]:
        figures = []
        for langs in ((), ("fr",), ("fr", "en")):
            start = time.perf_counter()
            for _ in range(repeats):
                for f, sc, m, gs in cases:
                    read(fn(f, sc, m, gs), name, langs)
            figures.append((time.perf_counter() - start) / n * 1e6)
        print(f"{name:11s} " + " ".join(f"{x:8.1f}" for x in figures))


if __name__ == "__main__":
    main()
