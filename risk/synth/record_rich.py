"""QRISK3's record-rich predictors in the synthetic world: who has them, when, and what they do to the
cardiovascular hazard (parameters section 10 gives the numbers and their sources).

Each condition has an onset day per patient (infinity when never): diagnoses are written as Conditions from
their onset event, the two treatments (long-term oral corticosteroids, atypical antipsychotics) are started at
the first yearly review after their onset and then renewed like every other drug. The draws use their own
random stream, so adding them leaves every other draw of the population unchanged.
"""

from __future__ import annotations

import numpy as np

from risk.synth import drugs as D
from risk.synth import parameters as P

CONDITIONS: tuple[str, ...] = P.QRISK3_CONDITIONS
TREATMENT_BITS: dict[str, int] = {
    "corticosteroids": D.BIT["oral_corticosteroid"],
    "atypical_antipsychotic": D.BIT["atypical_antipsychotic"],
}
DAYS_PER_YEAR = 365.25


def draw_onsets(rng: np.random.Generator, male: np.ndarray, birth_day: np.ndarray, entry_day: np.ndarray) -> np.ndarray:
    """Onset day of each condition (rows in CONDITIONS order, infinity = never) for each patient."""
    n = male.size
    onset = np.full((len(CONDITIONS), n), np.inf)
    for k, name in enumerate(CONDITIONS):
        women, men = P.QRISK3_EVER[name]
        ever = rng.random(n) < np.where(male, men, women)
        u = rng.random(n)
        if name == "family_history_chd":
            onset[k] = np.where(ever, entry_day, np.inf)
            continue
        lo, hi = P.QRISK3_ONSET_AGES[name]
        onset[k] = np.where(ever, birth_day + (lo + (hi - lo) * u) * DAYS_PER_YEAR, np.inf)
    smi = onset[CONDITIONS.index("severe_mental_illness")]
    follows = rng.random(n) < P.ANTIPSYCHOTIC_SHARE_OF_SMI
    k = CONDITIONS.index("atypical_antipsychotic")
    onset[k] = np.where(follows, np.minimum(onset[k], smi), onset[k])
    ra = onset[CONDITIONS.index("rheumatoid_arthritis")]
    steroids = rng.random(n) < P.CORTICOSTEROID_SHARE_OF_RA
    k = CONDITIONS.index("corticosteroids")
    onset[k] = np.where(steroids, np.minimum(onset[k], ra), onset[k])
    return onset


def log_hazard_ratios(male: np.ndarray) -> np.ndarray:
    """QRISK3 main-effect log hazard ratio of each condition (rows) for each patient's sex."""
    return np.stack(
        [np.where(male, P.QRISK3_LOG_HR["male"][name], P.QRISK3_LOG_HR["female"][name]) for name in CONDITIONS]
    )


def cvd_multiplier(onset: np.ndarray, male: np.ndarray, day: float, recording: np.ndarray) -> np.ndarray:
    """exp(sum of the log hazard ratios of the conditions present on `day`), divided by its mean over the
    patients being recorded (so the SCORE2-based calibration keeps its meaning)."""
    present = onset <= day
    multiplier = np.exp((log_hazard_ratios(male) * present).sum(axis=0))
    norm = multiplier[recording].mean() if recording.any() else 1.0
    return multiplier / norm


def start_treatments(drugs: np.ndarray, onset: np.ndarray, review_day: np.ndarray, alive: np.ndarray) -> None:
    """Start each treatment at the first yearly review on or after its onset (never stopped)."""
    for name, bit in TREATMENT_BITS.items():
        due = alive & (onset[CONDITIONS.index(name)] <= review_day)
        drugs[due] |= np.uint32(1 << bit)
