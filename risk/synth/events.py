"""One simulated year for every patient: hazards -> events -> GP review -> processes advance.

The hazards are the published equations of `hazards.py` multiplied by the longitudinal effects of
parameters section 6 (SBP and LDL variability, updated-mean HbA1c, eGFR slope, adherence, time since
quitting), so that a patient's history carries information the equations do not use.
"""

from __future__ import annotations

import numpy as np

from risk.synth import codes as C
from risk.synth import drugs as D
from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth import state as S
from risk.synth import treatment as T
from risk.synth.population import DAYS_PER_YEAR, Population
from risk.synth.progression import advance
from risk.synth.state import Ev, EventLog, State
from risk.synth.yearly_hazards import YearHazards, yearly_hazards

CKD_STAGE_CODES = (30, 35, 40, 50)  # 3a, 3b, 4, 5 (detail of Ev.DX_CKD)


def _occur(
    rng: np.random.Generator, hazard: np.ndarray, who: np.ndarray, start: float, length: float
) -> tuple[np.ndarray, np.ndarray]:
    n = len(hazard)
    occurs = who & (rng.random(n) < -np.expm1(-np.clip(hazard, 0.0, None)))
    return occurs, start + rng.random(n) * length


def annual_step(
    rng: np.random.Generator,
    st: State,
    pop: Population,
    lat: dict[str, np.ndarray],
    year: int,
    start: float,
    stop: float,
    end_day: float,
    log: EventLog,
) -> tuple[np.ndarray, np.ndarray, YearHazards]:
    """Simulate `year` for all patients; returns (review day, flags, hazards) and updates `st` in place."""
    n, length, male, adh = pop.n, stop - start, pop.male, pop.adherence
    act = st.started & st.alive & st.present
    age = pop.age_on(start)
    trt = D.treated_levels(lat, st.drugs, adh)
    sbp, a1c, egfr, uacr = trt["sbp"], trt["a1c"], trt["egfr"], trt["uacr"]
    prior = st.mi | st.stroke
    yh = yearly_hazards(st, pop, lat, trt, act, start, stop)
    occurs = {name: _occur(rng, h, act, start, length) for name, h in yh.hazard.items()}

    # Cause of a fatal CVD event; fatal MI/stroke in hospital are also recorded as the event.
    shares = np.array(list(P.FATAL_CAUSE_SHARES.values()))
    kind = np.searchsorted(
        np.cumsum(shares) / shares.sum(), rng.random(n)
    )  # 0 mi, 1 stroke, 2 sudden, 3 other
    isch = rng.random(n) < P.ISCHAEMIC_STROKE_SHARE
    nos = rng.random(n) < P.STROKE_CODED_UNSPECIFIED_SHARE
    stroke_cause = np.where(isch, np.where(nos, C.CAUSE_STROKE_NOS, C.CAUSE_STROKE_ISCH), C.CAUSE_STROKE_HAEM)
    stroke_detail = np.where(isch, np.where(nos, 1, 0), 2)
    sudden = np.where(rng.random(n) < P.SUDDEN_SHARE_OF_CORONARY_DEATHS, C.CAUSE_SUDDEN, C.CAUSE_CHRONIC_IHD)
    fatal_cause = np.select(
        [kind == 0, kind == 1, kind == 2], [C.CAUSE_MI, stroke_cause, sudden], C.CAUSE_OTHER_CV
    )
    ncv_cause = C.FIRST_NONCV_CAUSE + _noncv_cause(rng, age)

    # Deaths and leaving happen once the record exists (after the registration visit window).
    recorded_from = pop.entry_day + P.REGISTRATION_VISIT_DAYS
    death_t = np.full(n, np.inf)
    cause = np.full(n, -1, dtype=np.int16)
    for name, cause_idx in (
        ("fatal", fatal_cause),
        ("hf_death", C.CAUSE_HF),
        ("dial_death", C.CAUSE_KIDNEY),
        ("kidney_death", C.CAUSE_KIDNEY),
        ("ncv", ncv_cause),
    ):
        occ, t = occurs[name]
        valid = occ & (t >= recorded_from) & (t <= end_day) & (t < death_t)
        death_t = np.where(valid, t, death_t)
        cause = np.where(valid, np.broadcast_to(cause_idx, (n,)), cause).astype(np.int16)
    occ, t = occurs["ltfu"]
    ltfu_t = np.where(occ & (t >= recorded_from) & (t <= end_day), t, np.inf)
    dies = np.isfinite(death_t) & (death_t < ltfu_t)
    leaves = np.isfinite(ltfu_t) & ~dies
    exit_t = np.minimum(np.where(dies, death_t, np.inf), np.where(leaves, ltfu_t, np.inf))
    exit_t = np.minimum(exit_t, end_day + 0.999)

    def valid(name: str) -> tuple[np.ndarray, np.ndarray]:
        o, t = occurs[name]
        return o & (t < exit_t), t

    st.alive &= ~dies
    st.death_day = np.where(dies, death_t, st.death_day)
    st.death_cause = np.where(dies, cause, st.death_cause)
    log.add(Ev.DEATH, dies, death_t, cause)
    st.present &= ~leaves
    st.ltfu_day = np.where(leaves, ltfu_t, st.ltfu_day)
    log.add(Ev.LEFT_PRACTICE, leaves, ltfu_t)
    in_hospital = dies & (cause <= C.CAUSE_STROKE_NOS) & (rng.random(n) < P.FATAL_IN_HOSPITAL_SHARE)
    log.add(Ev.MI, in_hospital & (cause == C.CAUSE_MI), death_t)
    log.add(Ev.STROKE, in_hospital & (cause != C.CAUSE_MI), death_t, stroke_detail)

    mi, t_mi = valid("mi")
    stroke, t_stroke = valid("stroke")
    hf, t_hf = valid("hf")
    af, t_af = valid("af")
    log.add(Ev.MI, mi, t_mi)
    log.add(Ev.PCI, mi & (rng.random(n) < P.PCI_AFTER_MI), t_mi)
    log.add(Ev.STROKE, stroke, t_stroke, stroke_detail)
    log.add(Ev.HF, hf, t_hf)
    log.add(Ev.AF, af, t_af)
    for name, ev, flag in (("ret", Ev.RETINOPATHY, "retino"), ("neu", Ev.NEUROPATHY, "neuro")):
        o, t = valid(name)
        log.add(ev, o, t)
        setattr(st, flag, getattr(st, flag) | o)
    ulc, t_ulc = valid("ulc")
    log.add(Ev.FOOT_ULCER, ulc, t_ulc)
    heal = st.ulcer & (st.ulcer_heal < stop) & (st.ulcer_heal < exit_t)
    log.add(Ev.ULCER_HEALED, heal, st.ulcer_heal)
    st.ulcer = (st.ulcer & ~heal) | ulc
    st.ever_ulcer |= ulc
    st.ulcer_heal = np.where(
        ulc, t_ulc + rng.uniform(*P.FOOT_ULCER_HEAL_YEARS, n) * DAYS_PER_YEAR, st.ulcer_heal
    )
    amp, t_amp = valid("amp")
    log.add(Ev.AMPUTATION, amp, t_amp)
    st.amputated |= amp

    # Kidney failure: a KFRE event starts a fast decline to dialysis; slow decliners below eGFR 9 may start.
    kf, t_kf = valid("kf")
    st.kf_target = np.where(kf, t_kf + rng.uniform(*P.KF_FAST_DECLINE_YEARS, n) * DAYS_PER_YEAR, st.kf_target)
    kf_from = np.where(kf, t_kf, start)
    due = act & ~st.dialysis & (st.kf_target < stop) & (st.kf_target < exit_t)
    slow_o, slow_t = _occur(
        rng,
        np.where(
            ~st.dialysis & np.isnan(st.kf_target) & (egfr < P.KF_DIALYSIS_EGFR),
            -np.log1p(-P.KF_SLOW_PATH_PER_YEAR),
            0.0,
        ),
        act,
        start,
        length,
    )
    slow = slow_o & (slow_t < exit_t) & ~due
    t_dial = np.where(due, st.kf_target, slow_t)
    dialysis = due | slow
    log.add(Ev.DIALYSIS, dialysis, t_dial)

    # Diabetes onset (hidden): hazard by age, sex, BMI and the HbA1c trait.
    bmi_dev = trt["bmi"] - H.by_age_sex(age, male, P.BMI_MEAN_MEN, P.BMI_MEAN_WOMEN)
    sex_hr = np.where(male, np.sqrt(P.DM_INCIDENCE_MALE_HR), 1.0 / np.sqrt(P.DM_INCIDENCE_MALE_HR))
    beta = P.DM_INCIDENCE_A1C_TRAIT_LOG_HR
    h_dm = (
        H.by_age_sex(age, male, P.DM_INCIDENCE, P.DM_INCIDENCE)
        * sex_hr
        * np.exp(P.DM_INCIDENCE_BMI_LOG_HR_PER_UNIT * bmi_dev)
        * np.exp(beta * pop.trait("a1c") - 0.5 * beta**2)
    )
    onset, t_onset = _occur(rng, np.where(st.dm, 0.0, h_dm), act, start, length)
    onset &= t_onset < exit_t
    st.dm |= onset
    st.dm_onset_day = np.where(onset, t_onset, st.dm_onset_day)
    st.uacr_acc += onset * P.UACR_ONSET_DIABETES_SHIFT
    log.add(Ev.DIABETES_ONSET, onset, t_onset)

    # --- the yearly review (after any acute event) --------------------------------------------------------
    acute_t = np.full(n, -np.inf)
    for o, t in ((mi, t_mi), (stroke, t_stroke), (hf, t_hf), (af, t_af), (dialysis, t_dial)):
        acute_t = np.where(o, np.maximum(acute_t, t), acute_t)
    review = np.where(
        np.isfinite(acute_t),
        np.minimum(acute_t + P.REVIEW_DAYS_AFTER_EVENT, stop - 1.0),
        start + rng.random(n) * length,
    )
    chronic = st.htn_dx | st.dm_dx | (st.drugs != 0) | prior | st.hf | st.af | mi | stroke | hf | af
    reviewed = act & (chronic | (rng.random(n) < P.P_REVIEW_WITHOUT_CHRONIC_CARE)) & (review < exit_t)

    above = (sbp >= P.HTN_THRESHOLD_SBP) | (trt["dbp"] >= P.HTN_THRESHOLD_DBP)
    new_htn = reviewed & ~st.htn_dx & above & (rng.random(n) < P.HTN_DETECT_PER_YEAR)
    st.htn_dx |= new_htn
    log.add(Ev.DX_HYPERTENSION, new_htn, review, (rng.random(n) < P.HTN_CODED_PROBLEM_LIST).astype(np.int16))
    obese = trt["bmi"] >= P.OBESITY_BMI
    p_detect = np.clip(
        P.DM_DETECT_BASE + P.DM_DETECT_EXTRA_HTN * st.htn_dx + P.DM_DETECT_EXTRA_OBESE * obese, 0, 0.9
    )
    new_dm = reviewed & st.dm & ~st.dm_dx & (st.dm_onset_day < review) & (rng.random(n) < p_detect)
    st.dm_dx |= new_dm
    st.dm_dx_day = np.where(new_dm, review, st.dm_dx_day)
    log.add(Ev.DX_DIABETES, new_dm, review)

    ras_bit = np.where(pop.arb_not_acei, D.ARB, D.ACEI)
    r = T.Review(
        year=year,
        who=reviewed,
        age=age,
        sbp=sbp,
        dbp=trt["dbp"],
        ldl=trt["ldl"],
        a1c=a1c,
        egfr=egfr,
        uacr=uacr,
        bmi=trt["bmi"],
        risk10=yh.gp_risk10,
        dm_dx=st.dm_dx,
        new_dm_dx=new_dm,
        htn_dx=st.htn_dx,
        new_htn_dx=new_htn,
        prior_cvd=prior | mi | stroke,
        hf=st.hf | hf,
        af=st.af | af,
        ckd=egfr < P.EGFR_CKD,
        new_mi=mi,
        new_stroke=stroke,
        new_hf=hf,
        new_af=af,
        adherence=adh,
    )
    T.after_events(rng, st.drugs, r, ras_bit)
    T.antihypertensives(rng, st.drugs, r, ras_bit, pop.htn_order)
    started_statin = T.statins(rng, st.drugs, r)
    T.glucose_lowering(rng, st.drugs, r, obese)
    T.renal_protection(rng, st.drugs, r, ras_bit)
    T.discontinue(rng, st.drugs, r)
    new_dyslip = (
        reviewed
        & ~st.dyslip_dx
        & (
            (started_statin & (rng.random(n) < P.DYSLIPIDAEMIA_CODED_AT_STATIN))
            | ((trt["ldl"] >= P.LDL_VERY_HIGH) & (rng.random(n) < P.DYSLIPIDAEMIA_CODED_HIGH_LDL))
        )
    )
    st.dyslip_dx |= new_dyslip
    log.add(Ev.DX_DYSLIPIDAEMIA, new_dyslip, review)
    stage = np.select([egfr < 15, egfr < 30, egfr < 45], [50, 40, 35], 30)
    new_ckd = (
        reviewed
        & (egfr < P.EGFR_CKD)
        & st.egfr_prev_below60
        & (stage > st.ckd_coded)
        & ~st.dialysis
        & (rng.random(n) < P.CKD_CODED_PER_YEAR)
    )
    st.ckd_coded = np.where(new_ckd, stage, st.ckd_coded).astype(np.int8)
    log.add(Ev.DX_CKD, new_ckd, review, stage)

    flags = (
        st.htn_dx * S.F_HTN
        | st.dm_dx * S.F_DM
        | (prior | mi | stroke) * S.F_CVD
        | (st.hf | hf) * S.F_HF
        | (egfr < P.EGFR_CKD_3B) * S.F_CKD3B
        | (st.dialysis | dialysis) * S.F_DIALYSIS
        | reviewed * S.F_REVIEW
        | (st.drugs != 0) * S.F_TREATED
        | obese * S.F_OBESE
        | (egfr < P.EGFR_CKD) * S.F_CKD
    ).astype(np.uint16)

    # --- state after the year's events ---------------------------------------------------------------
    st.mi |= mi
    st.stroke |= stroke
    st.hf |= hf
    st.af |= af
    quit_now = (mi | stroke) & (st.smoke == 2) & (rng.random(n) < P.SMOKING_QUIT_AFTER_CV_EVENT)
    st.smoke = np.where(quit_now, 1, st.smoke).astype(np.int8)
    st.quit_day = np.where(quit_now, np.where(mi, t_mi, t_stroke), st.quit_day)
    advance(rng, st, pop, trt, act, age, start, stop, kf_from, dialysis, t_dial)
    return review, flags, yh


def _noncv_cause(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    young = np.array([c[2] for c in P.NONCV_CAUSES])
    old = np.array([c[3] for c in P.NONCV_CAUSES])
    cum_young = np.cumsum(young) / young.sum()
    cum_old = np.cumsum(old) / old.sum()
    u = rng.random(len(age))
    return np.where(age < 75, np.searchsorted(cum_young, u), np.searchsorted(cum_old, u)).clip(
        0, len(young) - 1
    )


