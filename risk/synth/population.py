"""Who the patients are: fixed person-level attributes drawn once (parameters sections 1-2 and 6).

Dates are days since 1970-01-01 (floats). Nothing here changes over time; the time-varying state lives in
`simulate.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from risk.synth import parameters as P
from risk.synth import record_rich

EPOCH = date(1970, 1, 1)
DAYS_PER_YEAR = 365.25


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def year_start_day(year: int | np.ndarray) -> np.ndarray:
    """Day number of 1 January of `year` (vectorised)."""
    y = np.asarray(year, dtype=np.int64)
    return (y - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64).astype(float)


@dataclass(kw_only=True, slots=True)
class Population:
    """Per-patient constants (arrays of length n)."""

    n: int
    male: np.ndarray  # bool
    birth_day: np.ndarray  # days since epoch
    entry_day: np.ndarray  # first day of the record in the practice
    activation_day: np.ndarray  # start of the simulated (unrecorded) history, age 30
    french: np.ndarray  # bool: written French-style (g/L, CIM-10, ATC)
    height_cm: np.ndarray
    traits: np.ndarray  # (len(TRAITS), n) correlated standard normals: the lifelong part of each factor
    adherence: np.ndarray  # share of prescribed doses taken (0-1)
    bpv_z: np.ndarray  # standard normal: visit-to-visit SBP variability trait
    ldl_variability: np.ndarray  # mmol/L, SD of LDL between visits
    egfr_at_30: np.ndarray
    egfr_person_slope: np.ndarray
    sbp_person_slope: np.ndarray  # mmHg per year around the population curve
    rapid_u: np.ndarray  # uniform: below the (diabetes-dependent) share -> declines fast once at risk
    dm_onset_excess: np.ndarray  # HbA1c %-points above 6.5 at diabetes onset
    dm_drift: np.ndarray  # %-points per year of untreated HbA1c rise after onset
    htn_order: np.ndarray  # (n, 4) preference order over RAS, CCB, thiazide, beta-blocker
    arb_not_acei: np.ndarray  # bool
    product: np.ndarray  # (n, n_classes) index of the product chosen within each class
    name_index: np.ndarray  # (n, 2) indices into the first-name / family-name lists
    condition_onset: np.ndarray  # (len(QRISK3_CONDITIONS), n) onset day of each QRISK3 predictor, inf = never

    def trait(self, name: str) -> np.ndarray:
        return self.traits[P.TRAITS.index(name)]

    def age_on(self, day: np.ndarray | float) -> np.ndarray:
        return (day - self.birth_day) / DAYS_PER_YEAR

    def bpv_sigma(self, age: np.ndarray) -> np.ndarray:
        """Within-person SD (mmHg) of clinic SBP around its latent level at this age."""
        median = P.BPV_MEDIAN_AT_55 + P.BPV_MEDIAN_PER_YEAR * (age - 55.0)
        return np.clip(median, 5.0, None) * np.exp(P.BPV_LOG_SD * self.bpv_z)


def _correlation_matrix() -> np.ndarray:
    k = len(P.TRAITS)
    c = np.eye(k)
    for (a, b), r in P.TRAIT_CORRELATIONS.items():
        i, j = P.TRAITS.index(a), P.TRAITS.index(b)
        c[i, j] = c[j, i] = r
    return c


def draw_population(
    rng: np.random.Generator, n: int, end_day: float, n_classes: int, n_names: tuple[int, int]
) -> Population:
    """Draw n patients whose records end at `end_day` (the extraction date).

    The QRISK3 predictors and the product choice of their two drug classes come from a stream of their own
    (spawned from `rng` without consuming it), so every other draw is what it was before they were added.
    """
    extra = rng.spawn(1)[0]
    base_classes = n_classes - len(record_rich.TREATMENT_BITS)
    male = rng.random(n) < P.MALE_SHARE
    weights = np.array(P.ENTRY_AGE_BAND_WEIGHTS, dtype=float)
    band = rng.choice(len(weights), size=n, p=weights / weights.sum())
    entry_age = P.ENTRY_AGE_RANGE[0] + 5.0 * band + 5.0 * rng.random(n)
    history_years = rng.uniform(*P.HISTORY_YEARS_RANGE, size=n)
    entry_day = np.floor(end_day - history_years * DAYS_PER_YEAR)
    birth_day = np.floor(entry_day - entry_age * DAYS_PER_YEAR)
    activation_day = birth_day + P.ACTIVATION_AGE * DAYS_PER_YEAR
    french = rng.random(n) < P.FRENCH_STYLE_SHARE

    birth_year = 1970.0 + birth_day / DAYS_PER_YEAR
    cohort_shift = P.HEIGHT_COHORT_CM_PER_YEAR * np.clip(1975.0 - birth_year, 0.0, None)
    height = np.where(male, P.HEIGHT_MEAN["male"], P.HEIGHT_MEAN["female"]) - cohort_shift
    height = height + np.where(male, P.HEIGHT_SD["male"], P.HEIGHT_SD["female"]) * rng.standard_normal(n)

    chol = np.linalg.cholesky(_correlation_matrix())
    traits = chol @ rng.standard_normal((len(P.TRAITS), n))

    order_keys = rng.exponential(size=(n, 4))
    weights_htn = np.array(
        [
            P.HTN_CLASS_WEIGHTS["ras"],
            P.HTN_CLASS_WEIGHTS["calcium_channel_blocker"],
            P.HTN_CLASS_WEIGHTS["thiazide_diuretic"],
            P.HTN_CLASS_WEIGHTS["beta_blocker"],
        ]
    )
    htn_order = np.argsort(order_keys / weights_htn, axis=1).astype(np.int8)

    return Population(
        n=n,
        male=male,
        birth_day=birth_day,
        entry_day=entry_day,
        activation_day=activation_day,
        french=french,
        height_cm=np.clip(height, 140.0, 205.0),
        traits=traits,
        adherence=rng.beta(*P.ADHERENCE_BETA, size=n),
        bpv_z=rng.standard_normal(n),
        ldl_variability=P.LDLV_MEDIAN * np.exp(P.LDLV_LOG_SD * rng.standard_normal(n)),
        egfr_at_30=P.EGFR_AT_30_MEAN + P.EGFR_AT_30_SD * rng.standard_normal(n),
        egfr_person_slope=P.EGFR_PERSON_SLOPE_SD * rng.standard_normal(n),
        rapid_u=rng.random(n),
        dm_onset_excess=P.DM_ONSET_EXCESS_MEDIAN * np.exp(P.DM_ONSET_EXCESS_LOG_SD * rng.standard_normal(n)),
        dm_drift=np.clip(P.DM_DRIFT_MEAN + P.DM_DRIFT_SD * rng.standard_normal(n), 0.0, None),
        htn_order=htn_order,
        arb_not_acei=rng.random(n) < P.ARB_SHARE_OF_RAS,
        product=np.hstack([rng.random((n, base_classes)), extra.random((n, n_classes - base_classes))]),
        name_index=np.stack([rng.integers(0, n_names[0], n), rng.integers(0, n_names[1], n)], axis=1),
        sbp_person_slope=P.SBP_PERSON_SLOPE_SD * rng.standard_normal(n),
        condition_onset=record_rich.draw_onsets(extra, male, birth_day, entry_day),
    )
