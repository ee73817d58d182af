"""Prescriptions as a practice records them: one MedicationRequest per drug per yearly renewal.

A drug that is on at the registration visit is re-prescribed that day; afterwards it is renewed at each
yearly review while on, and stopped at the review where it was stopped. Each request is valid until the next
renewal (status `completed`), until the stop (`stopped`, validity ends that day), until death (`stopped`),
or for a year when it is the last one of a living patient (`active`). Poor adherers sometimes skip a
renewal: the previous request then ends after 365 days and the gap is visible in the record
(parameters.RENEWAL_SKIP_FACTOR), as in dispensing data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.synth import drugs as D
from risk.synth import parameters as P
from risk.synth.population import year_start_day
from risk.synth.state import History

STOPPED, COMPLETED, ACTIVE = 0, 1, 2
# Prescribable products: (key in codes.PRODUCTS, bit that must be on, bit that must be off or -1).
KEYS: tuple[tuple[str, int, int], ...] = tuple(
    (name, D.BIT[name], D.STATIN_HIGH if name == "statin" else -1) for name in D.CLASSES
) + (("statin_high", D.STATIN_HIGH, -1),)


@dataclass(kw_only=True, slots=True)
class Prescriptions:
    patient: np.ndarray
    key: np.ndarray  # index into KEYS
    day: np.ndarray  # authoredOn (day number)
    end: np.ndarray  # validity end (day number)
    status: np.ndarray  # STOPPED, COMPLETED, ACTIVE


def _on(drugs: np.ndarray, key: int) -> np.ndarray:
    _, bit, off = KEYS[key]
    on = D.has(drugs, bit)
    return on & ~D.has(drugs, off) if off >= 0 else on


def prescriptions(
    rng: np.random.Generator, h: History, registration: np.ndarray, end: np.ndarray
) -> Prescriptions:
    pop = h.pop
    n_years = h.smoke.shape[0]
    reg_year = np.clip(np.searchsorted(_starts(h), registration, side="right") - 1, 0, n_years - 1)
    review = np.floor(h.review_day)
    reg_drugs = np.where(
        registration < review[reg_year, np.arange(pop.n)],
        h.drugs[reg_year, np.arange(pop.n)],
        h.drugs[reg_year + 1, np.arange(pop.n)],
    )
    rows_p, rows_k, rows_d, rows_t = [], [], [], []  # kind: 0 start/renewal, 1 stop
    for k in range(len(KEYS)):
        carry = _on(reg_drugs, k) & (registration < end)
        rows_p.append(np.flatnonzero(carry))
        rows_d.append(registration[carry])
        rows_t.append(np.zeros(carry.sum(), dtype=np.int8))
        rows_k.append(np.full(carry.sum(), k))
        for j in range(n_years):
            r = review[j]
            inside = (r > registration) & (r < end)
            before, after = _on(h.drugs[j], k), _on(h.drugs[j + 1], k)
            renew = inside & after
            stop = inside & before & ~after
            for sel, t in ((renew, 0), (stop, 1)):
                idx = np.flatnonzero(sel)
                rows_p.append(idx)
                rows_d.append(r[idx])
                rows_t.append(np.full(idx.size, t, dtype=np.int8))
                rows_k.append(np.full(idx.size, k))
    patient = np.concatenate(rows_p).astype(np.int32)
    key = np.concatenate(rows_k).astype(np.int16)
    day = np.concatenate(rows_d)
    kind = np.concatenate(rows_t)
    order = np.lexsort((kind, day, key, patient))
    patient, key, day, kind = patient[order], key[order], day[order], kind[order]

    same_next = np.zeros(patient.size, dtype=bool)
    same_next[:-1] = (patient[1:] == patient[:-1]) & (key[1:] == key[:-1])
    nxt_day = np.append(day[1:], np.nan)
    nxt_kind = np.append(kind[1:], -1)
    prev_same = np.zeros(patient.size, dtype=bool)
    prev_same[1:] = same_next[:-1]
    prev_kind = np.insert(kind[:-1], 0, 1)
    episode_start = (kind == 0) & (~prev_same | (prev_kind == 1))
    skip = (
        (kind == 0)
        & ~episode_start
        & (rng.random(patient.size) < P.RENEWAL_SKIP_FACTOR * (1.0 - pop.adherence[patient]))
    )
    next_skipped = np.append(skip[1:], False) & same_next

    dead = ~np.isnan(h.death_day[patient])
    left = h.left_practice[patient]
    status = np.full(patient.size, COMPLETED, dtype=np.int8)
    stop_next = same_next & (nxt_kind == 1)
    renew_next = same_next & (nxt_kind == 0) & ~next_skipped & (nxt_day - day <= 730)
    final = ~same_next
    end_day = np.where(stop_next, nxt_day, np.where(renew_next, nxt_day, day + 365.0))
    status = np.where(stop_next, STOPPED, status)
    status = np.where(final & dead, STOPPED, np.where(final & ~left & ~dead, ACTIVE, status)).astype(np.int8)
    end_day = np.where(final & dead, np.minimum(day + 365.0, end[patient]), end_day)
    keep = (kind == 0) & ~skip
    return Prescriptions(
        patient=patient[keep], key=key[keep], day=day[keep], end=end_day[keep], status=status[keep]
    )


def _starts(h: History) -> np.ndarray:
    return year_start_day(np.arange(h.year0, h.year0 + h.smoke.shape[0] + 1))
