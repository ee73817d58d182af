"""Speed of the terminology lookups and unit conversion (µs per call), run by hand:

    /work/venv/bin/python benchmarks/bench_terminology_units.py

Each lookup runs millions of times over a bulk export, so it must stay around a microsecond. The mixes below
repeat realistic codes (cache hits, as in real data) and, for the cold numbers, unique ICD-10 and unit
strings that defeat the caches.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from risk.terminology import (  # noqa: E402
    concepts_from_codeable,
    condition_concepts,
    medication_classes,
    observation_concept,
    procedure_concepts,
    smoking_answer,
)
from risk.terminology.units import to_canonical  # noqa: E402

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
CIM10 = "https://smt.esante.gouv.fr/terminologie-cim-10"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def per_call_us(fn: Callable[[], object], calls_per_round: int, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best / calls_per_round * 1e6


def main() -> None:
    obs = [(LOINC, c) for c in ("2085-9", "8480-6", "4548-4", "33914-3", "72514-3", "2093-3")] * 1000
    cond = [(SCT, "44054006"), (CIM10, "E11.9"), (CIM10, "I21.4"), (SCT, "160903007"),
            (CIM10, "J45.9")] * 1000
    meds = [(ATC, "C09DA01"), (RXNORM, "316672"), (RXNORM, "313782"), (ATC, "C10AA05")] * 1000
    texts = ["ATORVASTATINE 20 mg cp", "Paracétamol 1 g", "metformine 850mg"] * 1000
    units = [("hdl", 50.0, "mg/dL"), ("total_chol", 2.1, "g/L"), ("sbp", 120.0, None),
             ("egfr", 60.0, "mL/min"), ("hba1c", 7.0, "%")] * 1000
    cc = {"coding": [{"system": "http://lab.example", "code": "X"}, {"system": LOINC, "code": "2085-9"}]}
    to_canonical("hdl", 1.0, "mmol/L")  # create the ucumvert registry outside the timings

    rows = [
        ("observation_concept", per_call_us(lambda: [observation_concept(s, c) for s, c in obs], len(obs))),
        ("condition_concepts (SNOMED + CIM-10)",
         per_call_us(lambda: [condition_concepts(s, c) for s, c in cond], len(cond))),
        ("procedure_concepts", per_call_us(lambda: [procedure_concepts(SCT, "73761001") for _ in range(5000)],
                                           5000)),
        ("medication_classes (ATC + RxNorm)", per_call_us(lambda: [medication_classes(s, c) for s, c in meds],
                                                          len(meds))),
        ("medication_classes (text, cached)", per_call_us(lambda: [medication_classes(None, None, t)
                                                                   for t in texts], len(texts))),
        ("smoking_answer", per_call_us(lambda: [smoking_answer(SCT, "8517006") for _ in range(5000)], 5000)),
        ("concepts_from_codeable (2 codings)", per_call_us(lambda: [concepts_from_codeable(cc, "observation")
                                                                    for _ in range(5000)], 5000)),
        ("to_canonical (cached route)", per_call_us(lambda: [to_canonical(*u) for u in units], len(units))),
    ]
    n = 2000
    cold_icd = [f"E11.{i % 10}{i}" for i in range(n)]
    rows.append(("condition_concepts, cold (new ICD code)",
                 per_call_us(lambda: [condition_concepts(CIM10, c) for c in cold_icd], n, rounds=1)))
    cold_units = [f"mg/dL{' ' * (i % 7)}" if i % 2 else f"g/L{' ' * (i % 5)}x{i}" for i in range(200)]
    rows.append(("to_canonical, cold (new unit string, pint)",
                 per_call_us(lambda: [to_canonical("hdl", 1.0, u) for u in cold_units], 200, rounds=1)))
    cold_text = [f"atorvastatine {i} mg" for i in range(n)]
    rows.append(("medication_classes, cold text", per_call_us(
        lambda: [medication_classes(None, None, t) for t in cold_text], n, rounds=1)))
    width = max(len(r[0]) for r in rows)
    for name, us in rows:
        print(f"{name:<{width}}  {us:8.2f} µs/call")


if __name__ == "__main__":
    main()
