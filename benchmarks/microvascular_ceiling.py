"""How well could any model rank diabetic microvascular risk in the synthetic cohort? (hidden-truth ceiling)

Runs the simulation only (no FHIR, ~6 s for 30 000 patients), records the true yearly hazards, and at a landmark
(1 January 2020) takes diagnosed diabetics aged 40-89 in the practice and free of the outcome. Prints:
- the C-index of the *true* hazard of that year against the events of the next 5 years (a model that knew the
  generator's hazard exactly could not do better, up to later changes in HbA1c, BP and treatment);
- the calibration targets of parameters section 7 (retinopathy 9 years after diagnosis ~0.28, R38; neuropathy
  ~2 500 and foot ulcer ~950 per 100 000 diagnosed diabetics per year).

Run: /work/venv/bin/python benchmarks/microvascular_ceiling.py [n_patients] [seed]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import risk.synth.events as events  # noqa: E402
from risk.models.evaluate import c_index  # noqa: E402
from risk.synth import simulate_cohort  # noqa: E402
from risk.synth.population import DAYS_PER_YEAR, year_start_day  # noqa: E402
from risk.synth.state import Ev  # noqa: E402

LANDMARK_YEAR = 2020
OUTCOMES = {"retinopathy5": ([Ev.RETINOPATHY], ("ret",)), "foot5": ([Ev.NEUROPATHY, Ev.FOOT_ULCER, Ev.AMPUTATION],
                                                                     ("neu", "ulc", "amp"))}


def main(n_patients: int, seed: int) -> None:
    recorded: dict[int, dict[float, dict[str, np.ndarray]]] = {}
    original = events.yearly_hazards

    def recording(st, pop, lat, trt, act, start, stop):  # noqa: ANN001, ANN202
        yh = original(st, pop, lat, trt, act, start, stop)
        recorded.setdefault(id(pop), {})[start] = {
            **{k: yh.hazard[k].copy() for k in ("ret", "neu", "ulc", "amp")},
            "dmdx": (st.dm_dx & act).copy(), "retino": st.retino.copy(),
            "foot": (st.neuro | st.ever_ulcer | st.amputated).copy()}
        return yh

    events.yearly_hazards = recording
    try:
        histories = simulate_cohort(n_patients=n_patients, seed=seed)
    finally:
        events.yearly_hazards = original
    day0 = float(year_start_day(LANDMARK_YEAR))
    horizon = day0 + 5 * DAYS_PER_YEAR
    pooled = {name: ([], [], []) for name in OUTCOMES}
    rates = {k: [0.0, 0.0] for k in ("neu", "ulc")}
    ret9 = ([], [])
    for h in histories:
        pop, ev, by_year = h.pop, h.events, recorded[id(h.pop)]
        s = by_year[day0]
        age = pop.age_on(day0)
        base = s["dmdx"] & (pop.entry_day <= day0) & (h.exit_day > day0) & (age >= 40) & (age < 90)
        for name, (kinds, keys) in OUTCOMES.items():
            free = base & ~(s["retino"] if name == "retinopathy5" else s["foot"])
            first = np.full(pop.n, np.inf)
            k = np.isin(ev["kind"], kinds) & (ev["day"] >= day0)
            np.minimum.at(first, ev["patient"][k], ev["day"][k])
            end = np.minimum(h.exit_day[free], horizon)
            hit = first[free] <= end
            pooled[name][0].append(np.where(hit, first[free], end) - day0)
            pooled[name][1].append(hit)
            pooled[name][2].append(sum(s[x] for x in keys)[free])
        for start, d in by_year.items():
            if start >= float(year_start_day(2010)):
                for key in rates:
                    rates[key][0] += d[key][d["dmdx"]].sum()
                    rates[key][1] += d["dmdx"].sum()
        dx = np.full(pop.n, np.nan)
        kd = ev["kind"] == Ev.DX_DIABETES
        dx[ev["patient"][kd]] = ev["day"][kd]
        first_ret = np.full(pop.n, np.inf)
        kr = ev["kind"] == Ev.RETINOPATHY
        np.minimum.at(first_ret, ev["patient"][kr], ev["day"][kr])
        sel = (dx >= float(year_start_day(2005))) & (dx < float(year_start_day(2015))) & ~(first_ret < dx)
        stop = np.minimum(h.exit_day[sel], dx[sel] + 9 * DAYS_PER_YEAR)
        ret9[0].append(np.minimum(first_ret[sel], stop) - dx[sel])
        ret9[1].append(first_ret[sel] <= stop)
    for name, (t, e, hz) in pooled.items():
        t, e, hz = (np.concatenate(x) for x in (t, e, hz))
        c = c_index(t, e.astype(int), hz)
        print(f"{name}: n={t.size} events={int(e.sum())} C-index of the true hazard={c:.3f} "
              f"(SD of log hazard {np.log(np.maximum(hz, 1e-12)).std():.2f})")
    t, e = np.concatenate(ret9[0]), np.concatenate(ret9[1])
    e = e[np.argsort(t)]
    at_risk = e.size - np.arange(e.size)
    print(f"retinopathy 9 years after diagnosis (diagnosed 2005-2014, Kaplan-Meier): "
          f"{1 - np.prod(np.where(e, 1 - 1 / at_risk, 1.0)):.3f} (target 0.28, R38)")
    for key, label in (("neu", "neuropathy"), ("ulc", "foot ulcer")):
        print(f"{label}: mean yearly hazard in diagnosed diabetics 2010+ = {rates[key][0] / rates[key][1] * 1e5:.0f}"
              " per 100 000")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30000, int(sys.argv[2]) if len(sys.argv) > 2 else 7)
