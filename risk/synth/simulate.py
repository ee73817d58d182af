"""Year-by-year simulation of every patient at once (numpy arrays, one entry per patient).

Each patient is simulated from age 30 (unrecorded history, so that people enter the practice with their
diagnoses, drugs and past events) to the extraction date; only the years from the entry date on are
written as FHIR. Deaths and leaving the practice can only happen once the record has started (the cohort is,
by construction, people alive and registered at entry).

One calendar year = one step:
1. latent risk factors at 1 January (lifelong trait + slow year-to-year wandering around the French age and
   sex means of parameters section 2; HbA1c, eGFR and albuminuria carry their own disease processes);
2. annual hazards from the published equations plus the longitudinal effects (`hazards.py`), events drawn
   with their day in the year;
3. the yearly GP review: diagnoses and prescribing (`treatment.py`), after any acute event;
4. processes advance to next 1 January.
The recorded years are stored (latent values at each 1 January, drugs before/after each review, review day,
flags) for `visits.py` to turn into visits and measurements.
"""

from __future__ import annotations

import numpy as np

from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth import record_rich
from risk.synth.events import annual_step
from risk.synth.population import DAYS_PER_YEAR, Population, year_start_day
from risk.synth.state import LATENT_KEYS, Ev, EventLog, History, State

# QRISK3 diagnoses written as Conditions from their onset (the two treatments are prescriptions instead).
DIAGNOSIS_EVENTS: dict[str, Ev] = {
    "rheumatoid_arthritis": Ev.DX_RHEUMATOID_ARTHRITIS,
    "sle": Ev.DX_SLE,
    "migraine": Ev.DX_MIGRAINE,
    "severe_mental_illness": Ev.DX_SEVERE_MENTAL_ILLNESS,
    "erectile_dysfunction": Ev.DX_ERECTILE_DYSFUNCTION,
    "family_history_chd": Ev.FAMILY_HISTORY_CHD,
}


def _z(pop: Population, w: dict[str, np.ndarray], name: str, persistent: float) -> np.ndarray:
    return np.sqrt(persistent) * pop.trait(name) + np.sqrt(1.0 - persistent) * w[name]


def _initialise(rng: np.random.Generator, st: State, pop: Population, who: np.ndarray, day: float) -> None:
    n = int(who.sum())
    st.started[who] = True
    for name in P.TRAITS:
        st.w[name][who] = rng.standard_normal(n)
    male = pop.male[who]
    birth_year = 1970.0 + pop.birth_day[who] / DAYS_PER_YEAR
    p_cur = np.where(male, P.SMOKING_CURRENT_AT_30["male"], P.SMOKING_CURRENT_AT_30["female"])
    p_cur = np.where(~male & (birth_year < 1950), p_cur * P.SMOKING_WOMEN_BORN_BEFORE_1950_FACTOR, p_cur)
    p_for = np.where(male, P.SMOKING_FORMER_AT_30["male"], P.SMOKING_FORMER_AT_30["female"])
    u = rng.random(n)
    st.smoke[who] = np.where(u < p_cur, 2, np.where(u < p_cur + p_for, 1, 0))
    st.quit_day[who] = np.where(
        st.smoke[who] == 1, day - rng.uniform(0, P.SMOKING_FORMER_YEARS_AT_30, n) * DAYS_PER_YEAR, np.nan
    )
    st.egfr[who] = pop.egfr_at_30[who]


def latent_values(st: State, pop: Population, day: float) -> dict[str, np.ndarray]:
    """Untreated latent risk factors of every patient on `day` (eGFR is the actual one)."""
    age = pop.age_on(day)
    male = pop.male
    z_sbp = _z(pop, st.w, "sbp", P.SBP_PERSISTENT_SHARE)
    z_dbp = _z(pop, st.w, "dbp", P.SBP_PERSISTENT_SHARE)
    sbp = (
        H.by_age_sex(age, male, P.SBP_MEAN_MEN, P.SBP_MEAN_WOMEN)
        + H.interp(age, P.SBP_TREATMENT_CORRECTION)
        + H.by_age_sex(age, male, P.SBP_SD_MEN, P.SBP_SD_WOMEN) * z_sbp
        + pop.sbp_person_slope * (age - P.SBP_PERSON_SLOPE_CENTRE_AGE)
    )
    dbp = H.by_age_sex(age, male, P.DBP_MEAN_MEN, P.DBP_MEAN_WOMEN) + P.DBP_SD * (
        P.DBP_SBP_LOADING * z_sbp + np.sqrt(1 - P.DBP_SBP_LOADING**2) * z_dbp
    )
    ldl = np.maximum(
        0.8,
        H.by_age_sex(age, male, P.LDL_MEAN_MEN, P.LDL_MEAN_WOMEN)
        + P.LDL_SD * _z(pop, st.w, "ldl", P.LIPID_PERSISTENT_SHARE),
    )
    hdl = H.by_age_sex(age, male, P.HDL_MEAN_MEN, P.HDL_MEAN_WOMEN) * np.exp(
        P.HDL_LOG_SD * _z(pop, st.w, "hdl", P.LIPID_PERSISTENT_SHARE) - 0.5 * P.HDL_LOG_SD**2
    )
    tg = np.where(male, P.TG_MEDIAN_MEN, P.TG_MEDIAN_WOMEN) * np.exp(
        P.TG_LOG_SD * _z(pop, st.w, "tg", P.LIPID_PERSISTENT_SHARE)
    )
    bmi = H.by_age_sex(age, male, P.BMI_MEAN_MEN, P.BMI_MEAN_WOMEN) * np.exp(
        P.BMI_LOG_SD * _z(pop, st.w, "bmi", P.BMI_PERSISTENT_SHARE) - 0.5 * P.BMI_LOG_SD**2
    )
    a1c = (
        P.A1C_ND_MEAN_AT_30
        + P.A1C_ND_SLOPE_PER_YEAR * (age - 30.0)
        + P.A1C_ND_SD * _z(pop, st.w, "a1c", P.A1C_PERSISTENT_SHARE)
    )
    years_dm = (day - st.dm_onset_day) / DAYS_PER_YEAR
    dm_path = P.A1C_DIAGNOSTIC + pop.dm_onset_excess + pop.dm_drift * np.nan_to_num(years_dm) + st.dm_ar
    a1c = np.where(st.dm & (years_dm >= 0), np.maximum(a1c, dm_path), a1c)
    luacr = (
        np.log(P.UACR_MEDIAN) + P.UACR_LOG_SD * _z(pop, st.w, "uacr", P.UACR_PERSISTENT_SHARE) + st.uacr_acc
    )
    return {
        "sbp": sbp,
        "dbp": dbp,
        "ldl": ldl,
        "hdl": hdl,
        "tg": tg,
        "bmi": np.clip(bmi, 15.0, 60.0),
        "a1c": np.clip(a1c, 4.0, P.A1C_MAX),
        "egfr": st.egfr.copy(),
        "luacr": luacr,
    }


def simulate(rng: np.random.Generator, pop: Population, end_day: float) -> History:
    """Run the cohort from the earliest activation to the extraction date `end_day` (inclusive)."""
    n = pop.n
    end_year = int(1970 + np.floor((end_day + 0.5) / DAYS_PER_YEAR))
    while year_start_day(end_year + 1) <= end_day:
        end_year += 1
    while year_start_day(end_year) > end_day:
        end_year -= 1
    year0 = end_year - int(np.ceil(P.HISTORY_YEARS_RANGE[1])) - 1
    n_years = end_year - year0 + 1
    first_year = int(1970 + np.floor(pop.activation_day.min() / DAYS_PER_YEAR))
    st = State(n)
    log = EventLog()
    latent = {k: np.zeros((n_years + 1, n), dtype=np.float32) for k in LATENT_KEYS}
    smoke = np.zeros((n_years, n), dtype=np.int8)
    drugs_hist = np.zeros((n_years + 1, n), dtype=np.uint32)
    review_hist = np.zeros((n_years, n))
    flags = np.zeros((n_years, n), dtype=np.uint16)
    cvd_hazard = np.zeros((n_years, n), dtype=np.float32)
    gp_risk10 = np.zeros((n_years, n), dtype=np.float32)
    for year in range(first_year, end_year + 1):
        start = float(year_start_day(year))
        stop = float(year_start_day(year + 1))
        new = ~st.started & (pop.activation_day < stop)
        if new.any():
            _initialise(rng, st, pop, new, start)
        lat = latent_values(st, pop, start)
        j = year - year0
        if j >= 0:
            for k in LATENT_KEYS:
                latent[k][j] = lat[k]
            drugs_hist[j] = st.drugs
            smoke[j] = st.smoke
        review, year_flags, truth = annual_step(rng, st, pop, lat, year, start, stop, end_day, log)
        record_rich.start_treatments(st.drugs, pop.condition_onset, review, st.alive)
        if j >= 0:
            review_hist[j] = review
            drugs_hist[j + 1] = st.drugs
            flags[j] = year_flags
            cvd_hazard[j] = truth.hazard["mi"] + truth.hazard["stroke"] + truth.hazard["fatal"]
            gp_risk10[j] = truth.gp_risk10
    final = latent_values(st, pop, float(year_start_day(end_year + 1)))
    for k in LATENT_KEYS:
        latent[k][n_years] = final[k]
    exit_day = np.fmin(np.fmin(st.death_day, st.ltfu_day), end_day)
    for name, kind in DIAGNOSIS_EVENTS.items():
        onset = pop.condition_onset[record_rich.CONDITIONS.index(name)]
        log.add(kind, onset <= exit_day, np.where(np.isinf(onset), 0.0, onset))
    return History(
        pop=pop,
        year0=year0,
        end_day=end_day,
        latent=latent,
        smoke=smoke,
        drugs=drugs_hist,
        review_day=review_hist,
        flags=flags,
        cvd_hazard=cvd_hazard,
        gp_risk10=gp_risk10,
        exit_day=exit_day,
        death_day=st.death_day,
        death_cause=st.death_cause,
        left_practice=~np.isnan(st.ltfu_day),
        events=log.arrays(),
    )
