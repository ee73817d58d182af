"""Synthetic longitudinal cohort of French primary-care patients, written as a FHIR R4 bulk export.

`generate(n_patients=..., seed=..., out_dir=...)` writes Patient, Encounter, Observation, Condition,
Procedure and MedicationRequest NDJSON files (optionally gzipped) plus a small `cohort_summary.json` of
aggregate counts. Same seed and size => byte-identical files. Every number, with its source: `parameters.py`.

How the cohort is built (the module names follow the flow):
- `population.py`   who the patients are (fixed traits: sex, birth, entry, adherence, variability traits...)
- `simulate.py`     the yearly loop from age 30 to the extraction date, and the latent risk factors
- `state.py`        what the yearly steps share: per-patient state, event log, flags, the resulting History
- `events.py`       one year: events drawn from `yearly_hazards.py` (published equations in `hazards.py`
                    times the longitudinal effects), the GP review (`treatment.py`), then `progression.py`
- `visits.py`       what gets measured at which visit; `medications.py` prescriptions and renewals
- `writer.py`, `writer_clinical.py`, `fhir.py`, `codes.py`, `names.py`   the FHIR resources
- `summary.py`      aggregate counts; `checks.py` calibration against the hidden truth (tests, benchmarks)
Models must learn from the FHIR files only; the summary holds no per-patient truth.
"""

from __future__ import annotations

import gzip as gzip_module
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from risk.synth import drugs as D
from risk.synth import parameters as P
from risk.synth.names import N_NAMES
from risk.synth.population import day_number, draw_population
from risk.synth.simulate import simulate
from risk.synth.state import History
from risk.synth.summary import EventTally, tally_events
from risk.synth.writer import ChunkWriter

# A progress wrapper: progress(iterable, total=..., desc=...) yields the items (risk.feedback.progress does).
Progress = Callable[..., Iterable[Any]]
RESOURCE_TYPES = ("Patient", "Encounter", "Observation", "Condition", "Procedure", "MedicationRequest")

__all__ = ["RESOURCE_TYPES", "Progress", "SynthSummary", "generate", "simulate_cohort"]


@dataclass(kw_only=True, slots=True)
class SynthSummary:
    """What was written (aggregate counts only)."""

    n_patients: int
    seed: int
    out_dir: Path
    files: dict[str, Path]  # resource type -> file
    resource_counts: dict[str, int]
    events: dict[str, int]  # outcome events recorded inside the follow-up window
    deaths: int
    deaths_cardiovascular: int
    left_practice: int
    person_years: float
    french_style: int
    data_defects: dict[str, int]
    seconds: float
    end_date: date
    parameters_version: str = P.PARAMETERS_VERSION
    rates_per_1000_person_years: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "generator": "risk.synth",
            "parameters_version": self.parameters_version,
            "seed": self.seed,
            "n_patients": self.n_patients,
            "end_date": self.end_date.isoformat(),
            "files": {k: p.name for k, p in self.files.items()},
            "resource_counts": self.resource_counts,
            "person_years": round(self.person_years, 1),
            "events_in_follow_up": self.events,
            "rates_per_1000_person_years": self.rates_per_1000_person_years,
            "deaths": self.deaths,
            "deaths_cardiovascular": self.deaths_cardiovascular,
            "left_practice": self.left_practice,
            "french_style_patients": self.french_style,
            "data_quality_defects": self.data_defects,
            "note": "Synthetic data. Aggregate counts only; outcome labels must be derived from the FHIR "
            "timelines, never from this file.",
        }


def simulate_cohort(*, n_patients: int, seed: int, end_date: date = date(2025, 12, 31)) -> list[History]:
    """Run the simulation without writing FHIR (for calibration checks and tests of the hidden truth)."""
    return [h for h, _ in _chunks(n_patients, seed, end_date)]


def _chunks(n_patients: int, seed: int, end_date: date) -> Iterator[tuple[History, np.random.Generator]]:
    root = np.random.SeedSequence(seed)
    end_day = float(day_number(end_date))
    n_chunks = max(1, -(-n_patients // P.CHUNK_SIZE))
    for index, child in enumerate(root.spawn(n_chunks)):
        size = min(P.CHUNK_SIZE, n_patients - index * P.CHUNK_SIZE)
        sim_rng, write_rng = (np.random.default_rng(s) for s in child.spawn(2))
        pop = draw_population(sim_rng, size, end_day, len(D.CLASSES) + 1, N_NAMES)
        yield simulate(sim_rng, pop, end_day), write_rng


def generate(
    *,
    n_patients: int,
    seed: int,
    out_dir: Path,
    gzip: bool = False,
    progress: Progress | None = None,
    end_date: date = date(2025, 12, 31),
    shards: int = 1,
) -> SynthSummary:
    """Write a synthetic bulk-export NDJSON folder; same arguments give byte-identical files.

    `shards` > 1 writes that many files per resource type (`Observation.003.ndjson.gz`), as bulk-export servers
    do for large exports; simulation chunks go to the shards in turn, so a patient's resources share a shard.

    `progress` wraps an iterable and yields its items (e.g. `risk.feedback.progress`); it is advanced one step
    per patient written, so the caller decides whether and where a bar is shown.
    """
    if n_patients < 1:
        raise ValueError("n_patients must be at least 1")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if shards < 1:
        raise ValueError("shards must be at least 1")
    suffix = ".ndjson.gz" if gzip else ".ndjson"
    names = {(rt, k): f"{rt}{suffix}" if shards == 1 else f"{rt}.{k:03d}{suffix}"
             for rt in RESOURCE_TYPES for k in range(shards)}
    paths = {rt: out_dir / names[rt, 0] for rt in RESOURCE_TYPES}
    handles: dict[tuple[str, int], IO[bytes]] = {}
    for key, name in names.items():
        raw = (out_dir / name).open("wb")
        handles[key] = (
            gzip_module.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=5)
            if gzip
            else raw
        )
    counts: Counter[str] = Counter()
    defects: Counter[str] = Counter()
    tally = EventTally()
    ticks = iter(progress(range(n_patients), total=n_patients, desc="synth") if progress else ())
    try:
        done = 0
        for chunk, (h, write_rng) in enumerate(_chunks(n_patients, seed, end_date)):
            ids = [f"syn{seed}-{done + i:07d}" for i in range(h.pop.n)]
            shard = chunk % shards
            writer = ChunkWriter(
                h, write_rng, ids, lambda rt, lines, k=shard: handles[rt, k].write("".join(lines).encode())
            )
            writer.write()
            counts.update(writer.counts)
            defects.update(writer.defects)
            tally_events(h, tally)
            done += h.pop.n
            next(islice(ticks, h.pop.n - 1, None), None)  # advance the caller's progress by this chunk
    finally:
        for fh in handles.values():
            if isinstance(fh, gzip_module.GzipFile):
                inner = fh.fileobj
                fh.close()
                if inner is not None:
                    inner.close()
            else:
                fh.close()
        close = getattr(ticks, "close", None)
        if close is not None:
            close()  # a generator (a tqdm bar) ends here, whether or not the run finished
    summary = SynthSummary(
        n_patients=n_patients,
        seed=seed,
        out_dir=out_dir,
        files=paths,
        resource_counts={rt: counts.get(rt, 0) for rt in RESOURCE_TYPES},
        events=dict(tally.events),
        deaths=tally.deaths,
        deaths_cardiovascular=tally.cv_deaths,
        left_practice=tally.left,
        person_years=tally.person_years,
        french_style=tally.french,
        data_defects=dict(sorted(defects.items())),
        seconds=time.perf_counter() - started,
        end_date=end_date,
        rates_per_1000_person_years={
            k: round(v / max(tally.person_years, 1e-9) * 1000, 3) for k, v in sorted(tally.events.items())
        },
    )
    (out_dir / "cohort_summary.json").write_bytes(orjson.dumps(summary.to_json(), option=orjson.OPT_INDENT_2))
    return summary

