"""Calibration checks on the simulated truth (for benchmarks and tests; models never see these numbers).

`cross_section` describes the people in the practice on one day (prevalences, treated levels), `rates` the
incidence of events per 1000 person-years over the recorded window. Compare with
`parameters.CALIBRATION_TARGETS`.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from risk.synth import drugs as D
from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth.codes import CAUSE_HF, CAUSES
from risk.synth.population import DAYS_PER_YEAR, day_number, year_start_day
from risk.synth.state import F_DM, F_HTN, Ev, History

AGE_BANDS = ((30, 45), (45, 65), (65, 75), (75, 85), (85, 120))


def cross_section(h: History, on: date = date(2015, 7, 1)) -> dict[str, object]:
    """Prevalences among patients in the practice on `on` (by 1 January of that year for latent values)."""
    day = float(day_number(on))
    j = on.year - h.year0
    pop = h.pop
    inside = (pop.entry_day <= day) & (h.exit_day > day)
    age = pop.age_on(day)
    lat = {k: v[j].astype(float) for k, v in h.latent.items()}
    drugs = h.drugs[j + 1]
    trt = D.treated_levels(lat, drugs, pop.adherence)
    flags = h.flags[j]
    ev = h.events
    onset = np.full(pop.n, np.inf)
    sel = ev["kind"] == Ev.DIABETES_ONSET
    onset[ev["patient"][sel]] = ev["day"][sel]
    out: dict[str, object] = {"n_inside": int(inside.sum())}
    bands = {}
    for lo, hi in AGE_BANDS:
        for sex, male in (("men", True), ("women", False)):
            m = inside & (age >= lo) & (age < hi) & (pop.male == male)
            if m.sum() < 20:
                continue
            bands[f"{sex} {lo}-{hi}"] = {
                "n": int(m.sum()),
                "sbp_latent_treated": round(float(trt["sbp"][m].mean()), 1),
                "ncd_risc_mean": round(
                    float(H.by_age_sex(age[m], pop.male[m], P.SBP_MEAN_MEN, P.SBP_MEAN_WOMEN).mean()), 1
                ),
                "diabetes_diagnosed": round(float((flags[m] & F_DM > 0).mean()), 3),
                "diabetes_true": round(float((onset[m] <= day).mean()), 3),
                "hypertension_aware": round(float((flags[m] & F_HTN > 0).mean()), 3),
                "bp_raised_or_treated": round(
                    float(
                        (
                            (trt["sbp"][m] >= 140)
                            | (trt["dbp"][m] >= 90)
                            | (D.count(drugs[m], D.ANTIHYPERTENSIVE_BITS) > 0)
                        ).mean()
                    ),
                    3,
                ),
                "statin": round(float(D.has(drugs[m], D.STATIN).mean()), 3),
                "obese": round(float((trt["bmi"][m] >= 30).mean()), 3),
                "egfr_lt60": round(float((trt["egfr"][m] < 60).mean()), 3),
                "smoking_current": round(float((h.smoke[j][m] == 2).mean()), 3),
                "ldl": round(float(trt["ldl"][m].mean()), 2),
                "hba1c_diabetics": round(float(trt["a1c"][m & (onset <= day)].mean()), 2)
                if (m & (onset <= day)).any()
                else None,
            }
    out["bands"] = bands
    adult = inside & (age < 75)
    out["smoking_current_30_74"] = round(float((h.smoke[j][adult] == 2).mean()), 3)
    out["obesity_30_74"] = round(float((trt["bmi"][adult] >= 30).mean()), 3)
    true_dm = inside & (onset <= day)
    out["undiagnosed_share_of_diabetes"] = (
        round(float(1 - (flags[true_dm] & F_DM > 0).mean()), 3) if true_dm.any() else None
    )
    htn = (
        inside
        & (age < 75)
        & ((trt["sbp"] >= 140) | (trt["dbp"] >= 90) | (D.count(drugs, D.ANTIHYPERTENSIVE_BITS) > 0))
    )
    treated = htn & (D.count(drugs, D.ANTIHYPERTENSIVE_BITS) > 0)
    out["hypertension_30_74"] = round(float(htn.sum() / max(adult.sum(), 1)), 3)
    out["hypertension_aware_share"] = round(float((flags[htn] & F_HTN > 0).mean()), 3) if htn.any() else None
    out["hypertension_treated_share"] = round(float(treated.sum() / max(htn.sum(), 1)), 3)
    out["treated_controlled_share"] = (
        round(float((trt["sbp"][treated] < 140).mean()), 3) if treated.any() else None
    )
    a = pop.adherence
    out["adherence_mean"] = round(float(a.mean()), 3)
    out["adherence_good_share"] = round(float((a >= 0.8).mean()), 3)
    return out


def rates(h: History) -> dict[str, object]:
    """Events per 1000 person-years in the recorded window, overall and by age band at the event."""
    pop = h.pop
    ev = h.events
    start = pop.entry_day
    stop = h.exit_day
    in_window = (ev["day"] >= start[ev["patient"]]) & (ev["day"] <= stop[ev["patient"]])
    years = np.clip(stop - start, 0, None) / DAYS_PER_YEAR
    out: dict[str, object] = {"person_years": round(float(years.sum()), 1)}
    for kind in (
        Ev.MI,
        Ev.STROKE,
        Ev.HF,
        Ev.AF,
        Ev.DIALYSIS,
        Ev.DEATH,
        Ev.RETINOPATHY,
        Ev.NEUROPATHY,
        Ev.FOOT_ULCER,
        Ev.AMPUTATION,
        Ev.LEFT_PRACTICE,
    ):
        k = in_window & (ev["kind"] == kind)
        out[kind.name.lower() + "_per_1000py"] = round(float(k.sum() / years.sum() * 1000), 2)
    deaths = in_window & (ev["kind"] == Ev.DEATH)
    cv = np.array([CAUSES[c][2] for c in ev["detail"][deaths]], dtype=bool)
    out["cv_death_share"] = round(float(cv.mean()), 3) if deaths.any() else None
    # Expected deaths from INSEE over the same person-time (yearly steps).
    expected = 0.0
    for y0 in range(h.year0, h.year0 + h.smoke.shape[0]):
        a, b = float(year_start_day(y0)), float(year_start_day(y0 + 1))
        t = np.clip(np.minimum(stop, b) - np.maximum(start, a), 0, None) / DAYS_PER_YEAR
        expected += float((t * H.insee_qx(pop.age_on(a), pop.male)).sum())
    out["deaths_observed_over_insee_expected"] = round(float(deaths.sum() / max(expected, 1e-9)), 3)
    return out


def ten_year_cvd(
    h: History, baseline: date = date(2012, 1, 1), ages: tuple[float, float] = (40.0, 70.0)
) -> dict[str, float]:
    """Cumulative incidence of MI, stroke or CV death over up to 10 years from `baseline` in people aged
    40-69 without prior MI/stroke, in the practice at baseline (Kaplan-Meier with leaving as censoring)."""
    pop = h.pop
    day0 = float(day_number(baseline))
    age = pop.age_on(day0)
    ev = h.events
    prior = np.zeros(pop.n, dtype=bool)
    first = np.full(pop.n, np.inf)
    cvd = (
        (ev["kind"] == Ev.MI)
        | (ev["kind"] == Ev.STROKE)
        | ((ev["kind"] == Ev.DEATH) & np.isin(ev["detail"], [i for i, c in enumerate(CAUSES) if c[2]]))
    )
    before = cvd & (ev["day"] < day0)
    prior[ev["patient"][before]] = True
    after = cvd & (ev["day"] >= day0)
    np.minimum.at(first, ev["patient"][after], ev["day"][after])
    cohort = (pop.entry_day <= day0) & (h.exit_day > day0) & (age >= ages[0]) & (age < ages[1]) & ~prior
    horizon = day0 + 10 * DAYS_PER_YEAR
    t_event = first[cohort]
    t_censor = np.minimum(h.exit_day[cohort], horizon)
    event = t_event <= t_censor
    time = np.where(event, t_event, t_censor)
    order = np.argsort(time)
    time, event = time[order], event[order]
    at_risk = len(time) - np.arange(len(time))
    surv = np.cumprod(np.where(event, 1 - 1 / at_risk, 1.0))
    cum = 1 - (surv[-1] if len(surv) else 1.0)
    return {
        "n": int(cohort.sum()),
        "events": int(event.sum()),
        "cumulative_incidence_10y": round(float(cum), 4),
        "men": _km_share(h, cohort & pop.male, first, day0, horizon),
        "women": _km_share(h, cohort & ~pop.male, first, day0, horizon),
    }


def _km_share(h: History, cohort: np.ndarray, first: np.ndarray, day0: float, horizon: float) -> float:
    t_event = first[cohort]
    t_censor = np.minimum(h.exit_day[cohort], horizon)
    event = t_event <= t_censor
    time = np.where(event, t_event, t_censor)
    order = np.argsort(time)
    event = event[order]
    at_risk = len(event) - np.arange(len(event))
    surv = np.cumprod(np.where(event, 1 - 1 / at_risk, 1.0))
    return round(float(1 - (surv[-1] if len(surv) else 1.0)), 4)


def qrisk3_prevalence(
    h: History, on: date = date(2019, 7, 1), ages: tuple[float, float] = (30.0, 85.0)
) -> dict[str, tuple[int, int]]:
    """(cases, people) of each QRISK3 predictor by sex among patients in the practice on `on`, aged 30-84:
    compare with parameters.QRISK3_PREVALENCE_TARGETS. Keys are "<condition> women" / "<condition> men"."""
    pop = h.pop
    day = float(day_number(on))
    age = pop.age_on(day)
    inside = (pop.entry_day <= day) & (h.exit_day > day) & (age >= ages[0]) & (age < ages[1])
    present = pop.condition_onset <= day
    out: dict[str, tuple[int, int]] = {}
    for k, name in enumerate(P.QRISK3_CONDITIONS):
        for sex, male in (("women", False), ("men", True)):
            group = inside & (pop.male == male)
            out[f"{name} {sex}"] = (int((present[k] & group).sum()), int(group.sum()))
    return out


def effective_from(onset: np.ndarray) -> np.ndarray:
    """The first 1 January on or after each onset day (day numbers; infinity stays infinity)."""
    finite = np.isfinite(onset)
    day = np.where(finite, onset, 0.0)
    jan1 = np.floor(day).astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]").astype(float)
    nxt = (np.floor(day).astype("datetime64[D]").astype("datetime64[Y]") + 1).astype("datetime64[D]").astype(float)
    return np.where(finite, np.where(jan1 >= day, jan1, nxt), np.inf)


def qrisk3_survival_table(h: History) -> dict[str, np.ndarray]:
    """Counting-process rows (age as the time scale) for a Cox fit of the QRISK3 predictors' hazard ratios.

    One patient is followed from entry to the practice (without prior MI or stroke) to the first MI, stroke or
    cardiovascular death, or to the end of the record; the follow-up is split at the onset of each predictor,
    so each row carries the predictors present during it. Columns: patient, start and stop age (years), event,
    male, `risk10_cll` (log(-log(1 - SCORE2-family risk)) at entry: what SCORE2 already knows) and one 0/1
    column per predictor (parameters.QRISK3_CONDITIONS).
    """
    pop, ev = h.pop, h.events
    # The outcome is what the predictors act on in the generator (yearly_hazards: MI, stroke and the fatal CVD
    # hazard, causes before CAUSE_HF); a heart-failure or kidney death is not QRISK3's outcome and carries none
    # of the predictors' effect, so counting it would dilute every hazard ratio towards 1.
    cvd = (ev["kind"] == Ev.MI) | (ev["kind"] == Ev.STROKE)
    cvd |= (ev["kind"] == Ev.DEATH) & (ev["detail"] >= 0) & (ev["detail"] < CAUSE_HF)
    entry = pop.entry_day
    prior = np.zeros(pop.n, dtype=bool)
    before = cvd & (ev["day"] < entry[ev["patient"]])
    prior[ev["patient"][before]] = True
    first = np.full(pop.n, np.inf)
    after = cvd & (ev["day"] >= entry[ev["patient"]])
    np.minimum.at(first, ev["patient"][after], ev["day"][after])
    end = np.minimum(first, h.exit_day)
    keep = ~prior & (end > entry)
    year = np.clip(np.floor((entry - year_start_day(h.year0)) / DAYS_PER_YEAR).astype(int), 0, h.gp_risk10.shape[0] - 1)
    risk = np.clip(h.gp_risk10[year, np.arange(pop.n)].astype(float), 1e-6, 0.999)
    cll = np.log(-np.log1p(-risk))
    # The generator steps one calendar year at a time: a predictor's hazard ratio applies from the first
    # 1 January on or after its onset (record_rich.cvd_multiplier), so exposure starts there.
    onset = effective_from(pop.condition_onset)
    cuts = np.where((onset > entry) & (onset < end), onset, np.nan)  # onsets inside the follow-up
    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("patient", "start", "stop", "event")}
    present: list[list[np.ndarray]] = [[] for _ in P.QRISK3_CONDITIONS]
    bounds = np.sort(np.vstack([entry, cuts, end]), axis=0)  # NaN sorts last
    for i in range(bounds.shape[0] - 1):
        a, b = bounds[i], bounds[i + 1]
        b = np.where(np.isnan(b), end, b)
        use = keep & ~np.isnan(a) & (b > a) & (a < end)
        idx = np.flatnonzero(use)
        rows["patient"].append(idx)
        rows["start"].append((a[idx] - pop.birth_day[idx]) / DAYS_PER_YEAR)
        rows["stop"].append((b[idx] - pop.birth_day[idx]) / DAYS_PER_YEAR)
        rows["event"].append((b[idx] == end[idx]) & (first[idx] <= h.exit_day[idx]))
        for k in range(len(P.QRISK3_CONDITIONS)):
            present[k].append(onset[k, idx] <= a[idx])
    out = {k: np.concatenate(v) for k, v in rows.items()}
    out["male"] = pop.male[out["patient"]]
    out["risk10_cll"] = cll[out["patient"]]
    for k, name in enumerate(P.QRISK3_CONDITIONS):
        out[name] = np.concatenate(present[k])
    return out
