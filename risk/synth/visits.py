"""From simulated years to what a practice records: GP visits and the values measured at each visit.

Visits: a registration visit at entry, the yearly review (when it happened), follow-up after acute events and
routine visits (Poisson, more with chronic disease; parameters section 8). Each visit measures blood pressure
and sometimes weight, smoking status and laboratory tests at the rates of parameters section 8. A measured
value is the latent level on that day (interpolated between two 1 January values), on the drugs active that
day (before or after the year's review), plus within-person visit-to-visit variability (the patient's own SBP
and LDL variability traits) and analytical noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.synth import drugs as D
from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth import state as S
from risk.synth.population import DAYS_PER_YEAR, year_start_day
from risk.synth.state import Ev, History

ROUTINE, REVIEW, REGISTRATION, FOLLOW_UP = 0, 1, 2, 3


def record_end(h: History) -> np.ndarray:
    """Exclusive upper bound of record days: the day of death / leaving, or the day after extraction."""
    ended = ~np.isnan(h.death_day) | h.left_practice
    return np.where(ended, np.floor(h.exit_day), np.floor(h.end_day) + 1.0)


def minute_of_day(patient: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Consultation time (minutes after midnight, 08:30-19:00 in 5-minute slots), the same for every record
    of a patient on one day."""
    slot = (patient.astype(np.int64) * 7919 + day.astype(np.int64) * 104729) % 126
    return (510 + 5 * slot).astype(np.int32)


@dataclass(kw_only=True, slots=True)
class Visits:
    patient: np.ndarray  # chunk-local patient index
    day: np.ndarray  # integer day number (float dtype)
    kind: np.ndarray  # ROUTINE, REVIEW, REGISTRATION, FOLLOW_UP
    year: np.ndarray  # index into the History year arrays
    count_in_year: np.ndarray  # visits of this patient in this year

    def __len__(self) -> int:
        return len(self.patient)


def make_visits(rng: np.random.Generator, h: History) -> Visits:
    pop = h.pop
    n_years = h.smoke.shape[0]
    end = record_end(h)
    entry = pop.entry_day
    starts = year_start_day(np.arange(h.year0, h.year0 + n_years + 1))
    parts_p, parts_d, parts_k = [], [], []
    registration = entry + np.floor(rng.random(pop.n) * P.REGISTRATION_VISIT_DAYS)
    keep = registration < end
    parts_p.append(np.flatnonzero(keep))
    parts_d.append(registration[keep])
    parts_k.append(np.full(keep.sum(), REGISTRATION))
    for j in range(n_years):
        lo = np.maximum(starts[j], entry)
        hi = np.minimum(starts[j + 1], end)
        expo = np.clip(hi - lo, 0.0, None) / DAYS_PER_YEAR
        flags = h.flags[j]
        age = pop.age_on(starts[j] + 182.0)
        rate = H.interp(age, P.VISITS_BY_AGE)
        for flag, key in (
            (S.F_HTN, "hypertension"),
            (S.F_DM, "diabetes"),
            (S.F_CVD, "cvd"),
            (S.F_HF, "heart_failure"),
            (S.F_CKD3B, "ckd3b"),
        ):
            rate = rate + ((flags & flag) > 0) * P.VISITS_EXTRA[key]
        counts = rng.poisson(rate * expo)
        idx = np.repeat(np.arange(pop.n), counts)
        if idx.size:
            parts_p.append(idx)
            parts_d.append(np.floor(lo[idx] + rng.random(idx.size) * (hi[idx] - lo[idx])))
            parts_k.append(np.full(idx.size, ROUTINE))
        r = h.review_day[j]
        rev = ((flags & S.F_REVIEW) > 0) & (r >= entry) & (np.floor(r) < end)
        parts_p.append(np.flatnonzero(rev))
        parts_d.append(np.floor(r[rev]))
        parts_k.append(np.full(rev.sum(), REVIEW))
    ev = h.events
    acute = np.isin(ev["kind"], [Ev.MI, Ev.STROKE, Ev.HF, Ev.DIALYSIS, Ev.AMPUTATION])
    after = acute & (ev["day"] >= entry[ev["patient"]])
    fu_day = np.floor(ev["day"][after] + rng.uniform(*P.FOLLOW_UP_VISIT_DAYS, after.sum()))
    fu_pat = ev["patient"][after]
    ok = fu_day < end[fu_pat]
    parts_p.append(fu_pat[ok])
    parts_d.append(fu_day[ok])
    parts_k.append(np.full(ok.sum(), FOLLOW_UP))

    patient = np.concatenate(parts_p).astype(np.int32)
    day = np.concatenate(parts_d)
    kind = np.concatenate(parts_k).astype(np.int8)
    order = np.lexsort((kind, day, patient))
    patient, day, kind = patient[order], day[order], kind[order]
    year = (np.searchsorted(starts, day, side="right") - 1).clip(0, n_years - 1).astype(np.int16)
    key = patient.astype(np.int64) * n_years + year
    counts = np.bincount(key, minlength=pop.n * n_years)
    return Visits(patient=patient, day=day, kind=kind, year=year, count_in_year=counts[key])


@dataclass(kw_only=True, slots=True)
class Measured:
    """One concept measured at a subset of visits (values in internal units)."""

    visit: np.ndarray  # index into Visits
    value: np.ndarray
    value2: np.ndarray | None = None  # DBP for blood pressure


def _levels_at_visits(h: History, v: Visits) -> tuple[dict[str, np.ndarray], np.ndarray]:
    starts = year_start_day(np.arange(h.year0, h.year0 + h.smoke.shape[0] + 1))
    frac = (v.day - starts[v.year]) / (starts[v.year + 1] - starts[v.year])
    lat = {}
    for k, arr in h.latent.items():
        a = arr[v.year, v.patient].astype(float)
        b = arr[v.year + 1, v.patient].astype(float)
        lat[k] = a + frac * (b - a)
    after_review = v.day >= np.floor(h.review_day[v.year, v.patient])
    drugs = np.where(after_review, h.drugs[v.year + 1, v.patient], h.drugs[v.year, v.patient])
    return D.treated_levels(lat, drugs, h.pop.adherence[v.patient]), drugs


def _forced(h: History, v: Visits, kind: Ev) -> np.ndarray:
    """Visits that are the review at which an event of `kind` (a diagnosis) was made."""
    return _forced_detail(h, v, kind) >= 0


def _forced_detail(h: History, v: Visits, kind: Ev) -> np.ndarray:
    """The event detail at the review visits where a diagnosis of `kind` was made, -1 elsewhere."""
    ev = h.events
    sel = ev["kind"] == kind
    keys = ev["patient"][sel].astype(np.int64) * 100_000 + np.floor(ev["day"][sel]).astype(np.int64)
    vkeys = v.patient.astype(np.int64) * 100_000 + v.day.astype(np.int64)
    if keys.size == 0:
        return np.full(len(v), -1, dtype=np.int16)
    order = np.argsort(keys)
    pos = np.searchsorted(keys[order], vkeys).clip(0, keys.size - 1)
    hit = (keys[order][pos] == vkeys) & (v.kind == REVIEW)
    return np.where(hit, ev["detail"][sel][order][pos], -1)


def _at_least(rng: np.random.Generator, value: np.ndarray, floor: float, margin: float) -> np.ndarray:
    return np.maximum(value, floor + margin * np.abs(rng.standard_normal(value.size)))


def measure(rng: np.random.Generator, h: History, v: Visits) -> dict[str, Measured]:
    """Every measurement taken at the visits, in internal units (see module docstring)."""
    pop = h.pop
    n = len(v)
    trt, drugs = _levels_at_visits(h, v)
    i = v.patient
    age = (v.day - pop.birth_day[i]) / DAYS_PER_YEAR
    male = pop.male[i]
    adh = pop.adherence[i]
    flags = h.flags[v.year, i]
    first = (v.kind == REGISTRATION) | (v.kind == REVIEW)
    out: dict[str, Measured] = {}

    def at(p: np.ndarray | float, forced: np.ndarray | None = None) -> np.ndarray:
        take = rng.random(n) < p
        return take | forced if forced is not None else take

    def per_visit(rate: np.ndarray) -> np.ndarray:
        return np.minimum(1.0, rate / np.maximum(v.count_in_year, 1))

    # Blood pressure: latent level + the patient's own visit-to-visit variability.
    p_bp = np.where((flags & S.F_HTN) > 0, P.P_BP_AT_VISIT_HYPERTENSION, P.P_BP_AT_VISIT)
    bp = np.flatnonzero(at(p_bp, first))
    sigma = np.clip(P.BPV_MEDIAN_AT_55 + P.BPV_MEDIAN_PER_YEAR * (age[bp] - 55.0), 5.0, None) * np.exp(
        P.BPV_LOG_SD * pop.bpv_z[i[bp]]
    )
    e1, e2 = rng.standard_normal(bp.size), rng.standard_normal(bp.size)
    sbp = trt["sbp"][bp] + sigma * e1
    htn_dx = _forced(h, v, Ev.DX_HYPERTENSION)[bp]
    sbp[htn_dx] = _at_least(rng, sbp[htn_dx], P.HTN_THRESHOLD_SBP, P.DIAGNOSTIC_MARGIN["sbp"])
    dbp = trt["dbp"][bp] + P.NOISE["dbp_from_sbp"] * sigma * (0.6 * e1 + 0.8 * e2)
    out["bp"] = Measured(
        visit=bp, value=np.clip(np.round(sbp), 70, 260), value2=np.clip(np.round(dbp), 35, 150)
    )

    # Weight, height and BMI (BMI is computed from the recorded weight and height, as EHRs do).
    height = pop.height_cm[i]
    wt = np.flatnonzero(at(P.P_WEIGHT_AT_VISIT, v.kind == REGISTRATION))
    bmi_true = trt["bmi"][wt] + P.NOISE["bmi"] * rng.standard_normal(wt.size)
    weight = bmi_true * (height[wt] / 100.0) ** 2 + D.weight_change_kg(drugs[wt], adh[wt])
    weight = np.round(np.clip(weight, 35.0, 250.0), 1)
    out["weight"] = Measured(visit=wt, value=weight)
    ht = np.flatnonzero(at(P.P_HEIGHT_AT_VISIT, v.kind == REGISTRATION))
    out["height"] = Measured(visit=ht, value=np.round(height[ht] + 0.5 * rng.standard_normal(ht.size)))
    out["bmi"] = Measured(visit=wt, value=np.round(weight / (height[wt] / 100.0) ** 2, 1))

    # Smoking status.
    smoke = h.smoke[v.year, i]
    p_sm = np.where(smoke == 2, P.P_SMOKING_AT_VISIT_SMOKER, P.P_SMOKING_AT_VISIT)
    sm = np.flatnonzero(at(p_sm, v.kind == REGISTRATION))
    out["smoking"] = Measured(visit=sm, value=smoke[sm].astype(float))

    # Laboratory tests at the yearly rates of parameters section 8 (forced at the diagnosing review).
    r = P.TEST_RATE
    dm = (flags & S.F_DM) > 0
    htn = (flags & S.F_HTN) > 0
    ckd = (flags & S.F_CKD) > 0
    treated = ((flags & S.F_TREATED) > 0) | dm | ((flags & S.F_CVD) > 0)
    lip_rate = np.where(
        treated,
        r["lipids"]["treated_or_diabetes"],
        np.where(htn, r["lipids"]["hypertension"], r["lipids"]["base"]),
    )
    lip = np.flatnonzero(at(per_visit(lip_rate), _forced(h, v, Ev.DX_DYSLIPIDAEMIA)))
    ldl = np.clip(
        trt["ldl"][lip] * np.exp(P.NOISE["ldl_cv"] * rng.standard_normal(lip.size))
        + pop.ldl_variability[i[lip]] * rng.standard_normal(lip.size),
        0.3,
        None,
    )
    hdl = trt["hdl"][lip] * np.exp(P.NOISE["hdl_cv"] * rng.standard_normal(lip.size))
    tg = trt["tg"][lip] * np.exp(P.NOISE["tg_cv"] * rng.standard_normal(lip.size))
    out["total_chol"] = Measured(visit=lip, value=ldl + hdl + tg / 2.2)
    out["hdl"] = Measured(visit=lip, value=hdl)
    out["triglycerides"] = Measured(visit=lip, value=tg)
    calc = tg < P.TG_FRIEDEWALD_MAX
    out["ldl"] = Measured(visit=lip[calc], value=ldl[calc])

    a1c_rate = np.where(
        dm, r["hba1c"]["diabetes"], np.where((flags & S.F_OBESE) > 0, r["hba1c"]["obese"], r["hba1c"]["base"])
    )
    dx_dm = _forced(h, v, Ev.DX_DIABETES)
    a1c_idx = np.flatnonzero(at(per_visit(a1c_rate), dx_dm))
    a1c = np.clip(trt["a1c"][a1c_idx] + P.NOISE["hba1c"] * rng.standard_normal(a1c_idx.size), 4.0, 15.0)
    at_dx = dx_dm[a1c_idx]
    a1c[at_dx] = _at_least(rng, a1c[at_dx], P.A1C_DIAGNOSTIC, P.DIAGNOSTIC_MARGIN["hba1c"])
    out["hba1c"] = Measured(visit=a1c_idx, value=a1c)

    cr_rate = np.maximum.reduce(
        [
            np.full(n, r["creatinine"]["base"]),
            (age >= 65) * r["creatinine"]["age65"],
            htn * r["creatinine"]["hypertension"],
            dm * r["creatinine"]["diabetes"],
            ckd * r["creatinine"]["ckd"],
        ]
    )
    ckd_stage = _forced_detail(h, v, Ev.DX_CKD)
    cr = np.flatnonzero(at(per_visit(cr_rate), ckd_stage >= 0))
    egfr_true = np.clip(trt["egfr"][cr] - D.egfr_acute_dip(drugs[cr], adh[cr]), 3.0, None)
    stage = ckd_stage[cr]
    upper = np.select([stage == 30, stage == 35, stage == 40, stage == 50], [60.0, 45.0, 30.0, 15.0], np.inf)
    margin = rng.uniform(0.5, P.DIAGNOSTIC_MARGIN["egfr"], cr.size)
    egfr_true = np.where(stage >= 0, np.minimum(egfr_true, upper - margin), egfr_true)
    creat_mg_dl = H.creatinine_from_egfr(egfr_true, age[cr], male[cr]) * np.exp(
        P.NOISE["creatinine_cv"] * rng.standard_normal(cr.size)
    )
    out["creatinine"] = Measured(
        visit=cr, value=np.clip(creat_mg_dl * P.UMOL_PER_MG_CREATININE, 20.0, 1500.0)
    )

    glu_from = np.union1d(lip, cr)
    glu = np.union1d(glu_from[rng.random(glu_from.size) < P.P_GLUCOSE_WITH_PANEL], np.flatnonzero(dx_dm))
    a1c_g = trt["a1c"][glu]
    a1c_g = np.where(dx_dm[glu], np.maximum(a1c_g, P.A1C_DIAGNOSTIC + 0.3), a1c_g)
    glucose = (
        P.GLUCOSE_AT_A1C_5_4
        + P.GLUCOSE_PER_A1C_POINT * (a1c_g - 5.4)
        + P.NOISE["glucose"] * rng.standard_normal(glu.size)
    )
    out["glucose"] = Measured(visit=glu, value=np.clip(glucose, 3.0, 30.0))

    ua_rate = np.maximum.reduce(
        [
            np.full(n, r["uacr"]["base"]),
            htn * r["uacr"]["hypertension"],
            dm * r["uacr"]["diabetes"],
            ckd * r["uacr"]["ckd"],
        ]
    )
    ua = np.flatnonzero(at(per_visit(ua_rate)))
    uacr = trt["uacr"][ua] * np.exp(P.UACR_VISIT_LOG_SD * rng.standard_normal(ua.size))
    out["uacr"] = Measured(visit=ua, value=np.clip(uacr, 0.05, 800.0))
    return out


__all__ = [
    "FOLLOW_UP",
    "REGISTRATION",
    "REVIEW",
    "ROUTINE",
    "Measured",
    "Visits",
    "make_visits",
    "measure",
    "minute_of_day",
    "record_end",
]
