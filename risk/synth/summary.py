"""Aggregate counts for cohort_summary.json: events inside the follow-up window, deaths, person-years.

Only totals are kept; nothing here can be joined back to a patient.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from risk.synth.codes import CAUSES
from risk.synth.population import DAYS_PER_YEAR
from risk.synth.state import Ev, History

OUTCOMES = (
    Ev.MI,
    Ev.STROKE,
    Ev.HF,
    Ev.AF,
    Ev.DIALYSIS,
    Ev.RETINOPATHY,
    Ev.NEUROPATHY,
    Ev.FOOT_ULCER,
    Ev.AMPUTATION,
    Ev.DX_DIABETES,
    Ev.DX_HYPERTENSION,
)


@dataclass(kw_only=True, slots=True)
class EventTally:
    events: Counter[str] = field(default_factory=Counter)
    deaths: int = 0
    cv_deaths: int = 0
    left: int = 0
    person_years: float = 0.0
    french: int = 0


def tally_events(h: History, tally: EventTally) -> None:
    pop, ev = h.pop, h.events
    entry = pop.entry_day[ev["patient"]]
    inside = (ev["day"] >= entry) & (ev["day"] <= h.exit_day[ev["patient"]])
    for kind in OUTCOMES:
        tally.events[kind.name.lower()] += int((inside & (ev["kind"] == kind)).sum())
    dead = ~np.isnan(h.death_day)
    tally.deaths += int(dead.sum())
    cv = np.array([CAUSES[int(c)][2] for c in h.death_cause[dead]], dtype=bool)
    tally.cv_deaths += int(cv.sum())
    tally.events["cv_death"] += int(cv.sum())
    tally.events["non_cv_death"] += int((~cv).sum())
    tally.left += int(h.left_practice.sum())
    tally.person_years += float(np.clip(h.exit_day - pop.entry_day, 0, None).sum() / DAYS_PER_YEAR)
    tally.french += int(pop.french.sum())
