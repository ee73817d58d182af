"""Panel scoring speed (`risk panel`): where the time goes per stage, against a plain orjson parse of the export.

A care coordinator scores a whole bulk export. This generates a synthetic export (`risk synth`, default 5,000
patients) into a temporary folder, then times, in one process, best of N:
- baseline: orjson.loads of every NDJSON line (the least any reader must do);
- read: FHIR NDJSON -> PatientRecord (risk.record.load.iter_records);
- features: records -> long tables -> features (chunks of 2,000 as in risk.panel.stream);
- models: the five shipped boosters + bootstrap members on those features (risk.assess.scores.score_models);
- equations: the published equations per patient (risk.equations.reference_scores).
Prints seconds, patients per second and each stage's ratio to the baseline, plus the projection to 1 million.

    python benchmarks/panel.py [--patients 5000] [--repeat 2]
"""

from __future__ import annotations

import argparse
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
    args = ap.parse_args()

    from risk.assess.scores import score_models
    from risk.equations import reference_scores
    from risk.features.build import build_features
    from risk.features.tables import tables_from_records
    from risk.models.registry import load_all
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
        t_feat, feats = best_of(args.repeat, lambda: [build_features(tables_from_records(b), as_of)
                                                      for b in chunks(records, CHUNK)])
        t_models, _ = best_of(args.repeat, lambda: [score_models(f, models) for f in feats])
        t_eq, _ = best_of(args.repeat, lambda: [reference_scores(row.to_dict()) for f in feats
                                                for _, row in f.iterrows()])

    n = len(records)
    stages = {"baseline (orjson parse)": t_base, "read -> records": t_read, "features": t_feat,
              "models (5 x 7 boosters)": t_models, "equations": t_eq}
    total = t_read + t_feat + t_models + t_eq
    print(f"{n} patients, best of {args.repeat}")
    for name, t in stages.items():
        print(f"  {name:26s} {t:7.2f} s  {n / t:8.0f} patients/s  {t / t_base:5.2f}x baseline")
    print(f"  {'total risk panel':26s} {total:7.2f} s  {n / total:8.0f} patients/s  {total / t_base:5.2f}x baseline; "
          f"1 million patients ~{1e6 / (n / total) / 60:.0f} min on one core")


if __name__ == "__main__":
    main()
