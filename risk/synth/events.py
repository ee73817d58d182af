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
from risk.synth import treatment as T
from risk.synth.population import DAYS_PER_YEAR, Population
from risk.synth.simulate import (
    F_CKD, F_CKD3B, F_CVD, F_DIALYSIS, F_DM, F_HF, F_HTN, F_OBESE, F_REVIEW, F_TREATED, EventLog, Ev, _smoking_exposure,
    _State, treated_levels,
)

AR1 = {"sbp": P.SBP_AR1, "dbp": P.SBP_AR1, "ldl": P.LIPID_AR1, "hdl": P.LIPID_AR1, "tg": P.LIPID_AR1,
       "bmi": P.BMI_AR1, "a1c": 0.8, "uacr": 0.7}


def _good_share() -> float:
    """Share of patients with adherence >= 80% under the Beta distribution (numerical integration)."""
    a, b = P.ADHERENCE_BETA
    x = np.linspace(0.0, 1.0, 20001)[1:-1]
    dens = x ** (a - 1) * (1 - x) ** (b - 1)
    return float(dens[x >= P.GOOD_ADHERENCE].sum() / dens.sum())


GOOD_SHARE = _good_share()
CKD_STAGE_CODES = (30, 35, 40, 50)  # 3a, 3b, 4, 5 (detail of Ev.DX_CKD)


def _lognormal_mean_sd(median: np.ndarray | float, log_sd: float) -> tuple[np.ndarray, np.ndarray]:
    mean = median * np.exp(0.5 * log_sd**2)
    return mean, mean * np.sqrt(np.expm1(log_sd**2))


def _occur(rng: np.random.Generator, hazard: np.ndarray, who: np.ndarray, start: float, length: float
           ) -> tuple[np.ndarray, np.ndarray]:
    n = len(hazard)
    occurs = who & (rng.random(n) < -np.expm1(-np.clip(hazard, 0.0, None)))
    return occurs, start + rng.random(n) * length


def annual_step(rng: np.random.Generator, st: _State, pop: Population, lat: dict[str, np.ndarray], year: int,
                start: float, stop: float, end_day: float, log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """Simulate `year` for all patients; returns (review day, flags) and updates `st` in place."""
    n, length, male, adh = pop.n, stop - start, pop.male, pop.adherence
    act = st.started & st.alive & st.present
    age = pop.age_on(start)
    trt = treated_levels(lat, st.drugs, adh)
    sbp, a1c, egfr, uacr = trt["sbp"], trt["a1c"], trt["egfr"], trt["uacr"]
    dm = st.dm & act
    st.a1c_sum += np.where(dm, a1c, 0.0)
    st.a1c_n += dm
    updated_mean = np.where(st.a1c_n > 0, st.a1c_sum / np.maximum(st.a1c_n, 1), a1c)
    dx_day = np.where(st.dm_dx, st.dm_dx_day, st.dm_onset_day)
    age_dx = np.where(np.isnan(dx_day), age, pop.age_on(np.nan_to_num(dx_day)))
    smoke_x = _smoking_exposure(st, start)
    on = {name: D.has(st.drugs, bit) for name, bit in D.BIT.items()}
    prior = st.mi | st.stroke

    # --- cardiovascular events: SCORE2 family x longitudinal and treatment multipliers -----------------
    risk10 = H.cvd_ten_year_risk(age=age - P.TEN_YEAR_RISK_AGE_SHIFT, male=male, smoking=smoke_x, sbp=sbp, tc=trt["tc"], hdl=trt["hdl"],
                                 diabetes=dm.astype(float), age_at_diagnosis=age_dx,
                                 hba1c_mmol_mol=(updated_mean - 2.152) / 0.09148, egfr=egfr)
    h_cvd = H.ten_year_to_annual(risk10) * P.CVD_HAZARD_SCALE
    gp_risk10 = H.cvd_ten_year_risk(age=age, male=male, smoking=(st.smoke == 2).astype(float), sbp=sbp,
                                    tc=trt["tc"], hdl=trt["hdl"], diabetes=st.dm_dx.astype(float),
                                    age_at_diagnosis=age_dx, hba1c_mmol_mol=(a1c - 2.152) / 0.09148, egfr=egfr)
    treated_cv = np.zeros(n, dtype=bool)
    for bit in D.CV_DRUG_BITS:
        treated_cv |= D.has(st.drugs, bit)
    beta_tc = np.where(male, P.SCORE2["male"]["ctc"], P.SCORE2["female"]["ctc"])
    beta_sbp = np.where(male, P.SCORE2["male"]["csbp"], P.SCORE2["female"]["csbp"]) / 20.0
    m = np.where(prior, P.PRIOR_CVD_HR, 1.0)
    m = m * H.adherence_multiplier(adh, treated_cv, P.ADHERENCE_HR_CVD, GOOD_SHARE)
    m = m * H.egfr_decline_multiplier(st.egfr_slope, P.EGFR_SLOPE_HR_CV)
    m = m * np.where(on["glp1_receptor_agonist"], P.GLP1_HR_MACE**adh, 1.0)
    m = m * np.exp((np.log(P.CTT_RR_PER_MMOL_LDL) + beta_tc) * (lat["ldl"] - trt["ldl"]))
    m = m * np.exp((np.log(P.BP_TRIAL_RR_PER_10_MMHG) / 10.0 + beta_sbp) * (lat["sbp"] - sbp))
    m = m * np.where(prior & on["antiplatelet"], P.ANTIPLATELET_SECONDARY_RR**adh, 1.0)
    sigma = pop.bpv_sigma(age)
    s_mean, s_sd = _lognormal_mean_sd(np.clip(P.BPV_MEDIAN_AT_55 + P.BPV_MEDIAN_PER_YEAR * (age - 55.0), 5.0, None),
                                      P.BPV_LOG_SD)
    l_mean, l_sd = _lognormal_mean_sd(P.LDLV_MEDIAN, P.LDLV_LOG_SD)

    def variability(kind: str) -> np.ndarray:
        out = H.per_sd_multiplier(sigma, s_mean, s_sd, P.BPV_HR_PER_SD[kind])
        if kind in P.LDLV_HR_PER_SD:
            out = out * H.per_sd_multiplier(pop.ldl_variability, l_mean, l_sd, P.LDLV_HR_PER_SD[kind])
        return out

    old_dm = dm & (age >= 70)
    ukpds = {k: np.where(old_dm, H.updated_mean_a1c_multiplier(updated_mean, v), 1.0)
             for k, v in P.UKPDS_HR_PER_A1C_POINT.items()}
    fatal = H.interp(age, P.FATAL_SHARE) * np.where(male, 1.0, P.FATAL_SHARE_WOMEN_FACTOR)
    stroke_share = H.interp(age, P.STROKE_SHARE_NONFATAL) + np.where(male, 0.0, P.STROKE_SHARE_WOMEN_EXTRA)
    anticoag = on["anticoagulant_doac"] | on["anticoagulant_vka"]
    af_mult = np.where(st.af, P.STROKE_HR_AF_UNTREATED * (1 - P.STROKE_ANTICOAGULATION_RRR * adh * anticoag), 1.0)
    h_mi = h_cvd * (1 - fatal) * (1 - stroke_share) * m * variability("mi") * ukpds["mi"]
    h_stroke = h_cvd * (1 - fatal) * stroke_share * m * variability("stroke") * af_mult * ukpds["stroke"]
    h_fatal = (h_cvd * fatal * m * variability("fatal") * ukpds["mi"]
               * np.where(on["sglt2_inhibitor"], P.SGLT2_HR_CV_DEATH**adh, 1.0))

    # --- heart failure, AF, kidney failure (PREVENT-HF, age-based AF, KFRE) ------------------------------
    bp_treated = D.count(st.drugs, D.ANTIHYPERTENSIVE_BITS) > 0
    hf10 = H.prevent_hf_ten_year(age=age - P.TEN_YEAR_RISK_AGE_SHIFT, male=male, sbp=sbp, diabetes=dm.astype(float),
                                 smoking=(st.smoke == 2).astype(float), bmi=trt["bmi"], egfr=egfr,
                                 bp_treated=bp_treated.astype(float))
    h_hf = (H.ten_year_to_annual(hf10) * P.HF_HAZARD_SCALE * np.where(st.mi, P.HF_HR_PRIOR_MI, 1.0)
            * np.where(st.af, P.HF_HR_AF, 1.0) * np.where(on["sglt2_inhibitor"], P.SGLT2_HR_HF**adh, 1.0)
            * np.where(on["glp1_receptor_agonist"], P.GLP1_HR_HF**adh, 1.0)
            * np.where(dm, H.updated_mean_a1c_multiplier(updated_mean, P.UKPDS_HR_PER_A1C_POINT["hf"]), 1.0))
    h_hf = np.where(st.hf, 0.0, h_hf)
    h_af = (H.interp(age, P.AF_INCIDENCE_MEN) * np.where(male, 1.0, P.AF_WOMEN_HR)
            * np.where((sbp >= 140) | st.htn_dx, P.AF_HR_HYPERTENSION, 1.0)
            * P.AF_HR_PER_5_BMI_ABOVE_25 ** np.clip((trt["bmi"] - 25.0) / 5.0, 0.0, None)
            * np.where(dm, P.AF_HR_DIABETES, 1.0) * np.where(st.hf, P.AF_HR_HEART_FAILURE, 1.0)
            * np.where(st.mi, P.AF_HR_PRIOR_MI, 1.0))
    h_af = np.where(st.af, 0.0, h_af)
    pending = ~np.isnan(st.kf_target)
    h_kf = (H.kfre_annual_hazard(age=age - P.TWO_YEAR_RISK_AGE_SHIFT, male=male, egfr=egfr, uacr_mg_g=uacr * 8.84)
            * H.egfr_decline_multiplier(st.egfr_slope, P.EGFR_SLOPE_HR_KF) * P.KF_HAZARD_SCALE)
    h_kf = np.where(st.dialysis | pending, 0.0, h_kf)

    # --- microvascular (diagnosed diabetes) -----------------------------------------------------------
    smoker = st.smoke == 2
    dmdx = st.dm_dx & act
    micro_sbp = P.MICRO_HR_PER_10_SBP_ABOVE_140 ** ((sbp - 140.0) / 10.0)
    h_ret = np.where(dmdx & ~st.retino, P.RETINOPATHY_BASE * micro_sbp * H.updated_mean_a1c_multiplier(
        updated_mean, P.UKPDS_HR_PER_A1C_POINT["microvascular"]), 0.0)
    h_neu = np.where(dmdx & ~st.neuro, P.NEUROPATHY_BASE * P.NEUROPATHY_HR_PER_A1C_POINT ** (updated_mean - 7.0)
                     * P.NEUROPATHY_HR_AGE_PER_YEAR_OVER_60 ** np.clip(age - 60.0, 0.0, None)
                     * np.where(smoker, P.NEUROPATHY_HR_SMOKING, 1.0), 0.0)
    h_ulc = np.where(dmdx & ~st.ulcer & ~st.amputated,
                     np.where(st.neuro, P.FOOT_ULCER_WITH_NEUROPATHY, P.FOOT_ULCER_WITHOUT)
                     * np.where(smoker, P.FOOT_ULCER_HR_SMOKING, 1.0), 0.0)
    h_amp = np.where(dmdx & ~st.amputated, np.where(st.ever_ulcer, P.AMPUTATION_AFTER_ULCER, P.AMPUTATION_OTHER), 0.0)

    # --- deaths and leaving the practice (only once the record has started) ---------------------------
    qx = H.insee_qx(age, male)
    h_q = -np.log1p(-qx) * (1.0 - H.interp(age, P.CV_DEATH_SHARE))
    hr = np.ones(n)
    hr *= np.where(smoker, P.NONCV_HR["current_smoker"], np.where(st.smoke == 1, P.NONCV_HR["former_smoker"], 1.0))
    hr *= np.where(dm, P.NONCV_HR["diabetes"], 1.0)
    hr *= np.where(egfr < 30, P.NONCV_HR["egfr_lt30"], np.where(egfr < 45, P.NONCV_HR["egfr_lt45"], 1.0))
    hr *= np.where(trt["bmi"] >= 35, P.NONCV_HR["bmi_ge35"], np.where(trt["bmi"] < 20, P.NONCV_HR["bmi_lt20"], 1.0))
    hr *= H.adherence_multiplier(adh, treated_cv, P.ADHERENCE_HR_NONCV_DEATH, GOOD_SHARE)
    hr *= H.egfr_decline_multiplier(st.egfr_slope, P.EGFR_SLOPE_HR_DEATH)
    recording = act & (pop.entry_day < stop)
    norm = hr[recording].mean() if recording.any() else 1.0
    h_ncv = h_q * hr / norm

    occurs = {}
    for name, h in (("mi", h_mi), ("stroke", h_stroke), ("fatal", h_fatal), ("hf", h_hf), ("af", h_af),
                    ("kf", h_kf), ("ret", h_ret), ("neu", h_neu), ("ulc", h_ulc), ("amp", h_amp),
                    ("hf_death", np.where(st.hf, P.HF_DEATH_PER_YEAR, 0.0)),
                    ("dial_death", np.where(st.dialysis, P.DIALYSIS_DEATH_PER_YEAR, 0.0)),
                    ("kidney_death", np.where(~st.dialysis & (egfr < P.KF_DIALYSIS_EGFR), 0.3, 0.0)),
                    ("ncv", h_ncv), ("ltfu", np.full(n, P.LOSS_TO_FOLLOW_UP_PER_YEAR))):
        occurs[name] = _occur(rng, h, act, start, length)

    # Cause of a fatal CVD event; fatal MI/stroke in hospital are also recorded as the event.
    shares = np.array(list(P.FATAL_CAUSE_SHARES.values()))
    kind = np.searchsorted(np.cumsum(shares) / shares.sum(), rng.random(n))  # 0 mi, 1 stroke, 2 sudden, 3 other
    isch = rng.random(n) < P.ISCHAEMIC_STROKE_SHARE
    nos = rng.random(n) < 0.5
    stroke_cause = np.where(isch, np.where(nos, C.CAUSE_STROKE_NOS, C.CAUSE_STROKE_ISCH), C.CAUSE_STROKE_HAEM)
    stroke_detail = np.where(isch, np.where(nos, 1, 0), 2)
    sudden = np.where(rng.random(n) < 0.6, C.CAUSE_SUDDEN, C.CAUSE_CHRONIC_IHD)
    fatal_cause = np.select([kind == 0, kind == 1, kind == 2], [C.CAUSE_MI, stroke_cause, sudden], C.CAUSE_OTHER_CV)
    ncv_cause = C.FIRST_NONCV_CAUSE + _noncv_cause(rng, age)

    death_t = np.full(n, np.inf)
    cause = np.full(n, -1, dtype=np.int16)
    for name, cause_idx in (("fatal", fatal_cause), ("hf_death", C.CAUSE_HF), ("dial_death", C.CAUSE_KIDNEY),
                            ("kidney_death", C.CAUSE_KIDNEY), ("ncv", ncv_cause)):
        occ, t = occurs[name]
        valid = occ & (t >= pop.entry_day) & (t <= end_day) & (t < death_t)
        death_t = np.where(valid, t, death_t)
        cause = np.where(valid, np.broadcast_to(cause_idx, (n,)), cause).astype(np.int16)
    occ, t = occurs["ltfu"]
    ltfu_t = np.where(occ & (t >= pop.entry_day) & (t <= end_day), t, np.inf)
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
    st.ulcer_heal = np.where(ulc, t_ulc + rng.uniform(*P.FOOT_ULCER_HEAL_YEARS, n) * DAYS_PER_YEAR, st.ulcer_heal)
    amp, t_amp = valid("amp")
    log.add(Ev.AMPUTATION, amp, t_amp)
    st.amputated |= amp

    # Kidney failure: a KFRE event starts a fast decline to dialysis; slow decliners below eGFR 9 may start.
    kf, t_kf = valid("kf")
    st.kf_target = np.where(kf, t_kf + rng.uniform(*P.KF_FAST_DECLINE_YEARS, n) * DAYS_PER_YEAR, st.kf_target)
    kf_from = np.where(kf, t_kf, start)
    due = act & ~st.dialysis & (st.kf_target < stop) & (st.kf_target < exit_t)
    slow_o, slow_t = _occur(rng, np.where(~st.dialysis & np.isnan(st.kf_target) & (egfr < P.KF_DIALYSIS_EGFR),
                                          -np.log1p(-P.KF_SLOW_PATH_PER_YEAR), 0.0), act, start, length)
    slow = slow_o & (slow_t < exit_t) & ~due
    t_dial = np.where(due, st.kf_target, slow_t)
    dialysis = due | slow
    log.add(Ev.DIALYSIS, dialysis, t_dial)

    # Diabetes onset (hidden): hazard by age, sex, BMI and the HbA1c trait.
    bmi_dev = trt["bmi"] - H.by_age_sex(age, male, P.BMI_MEAN_MEN, P.BMI_MEAN_WOMEN)
    sex_hr = np.where(male, np.sqrt(P.DM_INCIDENCE_MALE_HR), 1.0 / np.sqrt(P.DM_INCIDENCE_MALE_HR))
    beta = P.DM_INCIDENCE_A1C_TRAIT_LOG_HR
    h_dm = (H.by_age_sex(age, male, P.DM_INCIDENCE, P.DM_INCIDENCE) * sex_hr
            * np.exp(P.DM_INCIDENCE_BMI_LOG_HR_PER_UNIT * bmi_dev) * np.exp(beta * pop.trait("a1c") - 0.5 * beta**2))
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
    review = np.where(np.isfinite(acute_t), np.minimum(acute_t + 7.0, stop - 1.0), start + rng.random(n) * length)
    chronic = st.htn_dx | st.dm_dx | (st.drugs != 0) | prior | st.hf | st.af | mi | stroke | hf | af
    reviewed = act & (chronic | (rng.random(n) < 0.85)) & (review < exit_t)

    above = (sbp >= P.HTN_THRESHOLD_SBP) | (trt["dbp"] >= P.HTN_THRESHOLD_DBP)
    new_htn = reviewed & ~st.htn_dx & above & (rng.random(n) < P.HTN_DETECT_PER_YEAR)
    st.htn_dx |= new_htn
    log.add(Ev.DX_HYPERTENSION, new_htn, review, (rng.random(n) < P.HTN_CODED_PROBLEM_LIST).astype(np.int16))
    obese = trt["bmi"] >= 30.0
    p_detect = np.clip(P.DM_DETECT_BASE + P.DM_DETECT_EXTRA_HTN * st.htn_dx + P.DM_DETECT_EXTRA_OBESE * obese, 0, 0.9)
    new_dm = reviewed & st.dm & ~st.dm_dx & (st.dm_onset_day < review) & (rng.random(n) < p_detect)
    st.dm_dx |= new_dm
    st.dm_dx_day = np.where(new_dm, review, st.dm_dx_day)
    log.add(Ev.DX_DIABETES, new_dm, review)

    ras_bit = np.where(pop.arb_not_acei, D.ARB, D.ACEI)
    r = T.Review(year=year, who=reviewed, age=age, sbp=sbp, dbp=trt["dbp"], ldl=trt["ldl"], a1c=a1c, egfr=egfr,
                 uacr=uacr, bmi=trt["bmi"], risk10=gp_risk10, dm_dx=st.dm_dx, new_dm_dx=new_dm, htn_dx=st.htn_dx,
                 new_htn_dx=new_htn, prior_cvd=prior | mi | stroke, hf=st.hf | hf, af=st.af | af, ckd=egfr < 60,
                 new_mi=mi, new_stroke=stroke, new_hf=hf, new_af=af, adherence=adh)
    T.after_events(rng, st.drugs, r, ras_bit)
    T.antihypertensives(rng, st.drugs, r, ras_bit, pop.htn_order)
    started_statin = T.statins(rng, st.drugs, r)
    T.glucose_lowering(rng, st.drugs, r, obese)
    T.renal_protection(rng, st.drugs, r, ras_bit)
    T.discontinue(rng, st.drugs, r)
    new_dyslip = reviewed & ~st.dyslip_dx & (
        (started_statin & (rng.random(n) < P.DYSLIPIDAEMIA_CODED_AT_STATIN)) | ((trt["ldl"] >= 4.9) & (rng.random(n) < 0.3)))
    st.dyslip_dx |= new_dyslip
    log.add(Ev.DX_DYSLIPIDAEMIA, new_dyslip, review)
    stage = np.select([egfr < 15, egfr < 30, egfr < 45], [50, 40, 35], 30)
    new_ckd = (reviewed & (egfr < 60) & st.egfr_prev_below60 & (stage > st.ckd_coded) & ~st.dialysis
               & (rng.random(n) < P.CKD_CODED_PER_YEAR))
    st.ckd_coded = np.where(new_ckd, stage, st.ckd_coded).astype(np.int8)
    log.add(Ev.DX_CKD, new_ckd, review, stage)

    flags = (st.htn_dx * F_HTN | st.dm_dx * F_DM | (prior | mi | stroke) * F_CVD | (st.hf | hf) * F_HF
             | (egfr < 45) * F_CKD3B | (st.dialysis | dialysis) * F_DIALYSIS | reviewed * F_REVIEW
             | (st.drugs != 0) * F_TREATED | obese * F_OBESE | (egfr < 60) * F_CKD).astype(np.uint16)

    # --- state after the year's events ---------------------------------------------------------------
    st.mi |= mi
    st.stroke |= stroke
    st.hf |= hf
    st.af |= af
    quit_now = (mi | stroke) & (st.smoke == 2) & (rng.random(n) < P.SMOKING_QUIT_AFTER_CV_EVENT)
    st.smoke = np.where(quit_now, 1, st.smoke).astype(np.int8)
    st.quit_day = np.where(quit_now, np.where(mi, t_mi, t_stroke), st.quit_day)
    _advance(rng, st, pop, trt, act, age, start, stop, kf_from, dialysis, t_dial)
    return review, flags


def _noncv_cause(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    young = np.array([c[2] for c in P.NONCV_CAUSES])
    old = np.array([c[3] for c in P.NONCV_CAUSES])
    cum_young = np.cumsum(young) / young.sum()
    cum_old = np.cumsum(old) / old.sum()
    u = rng.random(len(age))
    return np.where(age < 75, np.searchsorted(cum_young, u), np.searchsorted(cum_old, u)).clip(0, len(young) - 1)


def _advance(rng: np.random.Generator, st: _State, pop: Population, trt: dict[str, np.ndarray], act: np.ndarray,
             age: np.ndarray, start: float, stop: float, kf_from: np.ndarray, dialysis: np.ndarray,
             t_dial: np.ndarray) -> None:
    """Move every process to next 1 January (only for patients still followed)."""
    n = pop.n
    for name, phi in AR1.items():
        new = phi * st.w[name] + np.sqrt(1 - phi**2) * rng.standard_normal(n)
        st.w[name] = np.where(act, new, st.w[name])
    st.dm_ar = np.where(act, 0.7 * st.dm_ar + np.sqrt(0.51) * P.DM_A1C_AR_SD * rng.standard_normal(n), st.dm_ar)

    sbp, a1c, uacr, adh = trt["sbp"], trt["a1c"], trt["uacr"], pop.adherence
    drift = (st.dm * P.UACR_DRIFT_PER_A1C_POINT_ABOVE_6_5 * np.clip(a1c - 6.5, 0.0, None)
             + P.UACR_DRIFT_PER_10MMHG_ABOVE_130 * np.clip(sbp - 130.0, 0.0, None) / 10.0
             + P.UACR_DRIFT_AGE_OVER_50 * (age > 50))
    st.uacr_acc = np.where(act, st.uacr_acc + drift, st.uacr_acc)

    # eGFR: age-related decline + person slope + disease terms (Zoppini 2012) slowed by SGLT2i / RAS.
    base = H.interp(age, P.EGFR_BASE_SLOPE) + pop.egfr_person_slope
    high_bp = sbp >= 140.0
    disease = (np.where(high_bp, P.EGFR_SLOPE_HYPERTENSION, 0.0)
               + np.where(st.dm, np.where(a1c >= 7.0, P.EGFR_SLOPE_DIABETES_A1C_GE7, P.EGFR_SLOPE_DIABETES), 0.0)
               + np.where(uacr >= 30.0, P.EGFR_SLOPE_A3, np.where(uacr >= 3.0, P.EGFR_SLOPE_A2, 0.0)))
    at_risk = st.dm | high_bp | (uacr >= 3.0)
    rapid = at_risk & (pop.rapid_u < np.where(st.dm, P.EGFR_RAPID_SHARE_DIABETES, P.EGFR_RAPID_SHARE_OTHER))
    disease = disease + np.where(rapid, P.EGFR_RAPID_EXTRA_SLOPE, 0.0)
    ras = D.has(st.drugs, D.ACEI) | D.has(st.drugs, D.ARB)
    factor = (np.where(D.has(st.drugs, D.SGLT2), 1.0 - P.SGLT2_SLOPE_FACTOR * adh, 1.0)
              * np.where(ras & (uacr >= 3.0), 1.0 - (1.0 - P.RAS_SLOPE_FACTOR_ALBUMINURIA) * adh, 1.0))
    slope = base + disease * factor
    pending = ~np.isnan(st.kf_target) & ~dialysis & ~st.dialysis
    frac = np.clip((stop - kf_from) / np.maximum(st.kf_target - kf_from, 1.0), 0.0, 1.0)
    pending_slope = (P.KF_DIALYSIS_EGFR + 1.0 - st.egfr) * frac
    slope = np.where(pending, np.minimum(slope, pending_slope), slope)
    egfr = np.clip(st.egfr + slope + P.EGFR_YEAR_NOISE_SD * rng.standard_normal(n), P.EGFR_FLOOR, P.EGFR_CEILING)
    on_dialysis = st.dialysis | dialysis
    egfr = np.where(on_dialysis, np.clip(6.5 + 1.5 * rng.standard_normal(n), 3.0, 11.0), egfr)
    st.egfr_prev_below60 = np.where(act, st.egfr < 60.0, st.egfr_prev_below60)
    st.egfr_slope = np.where(act, slope, st.egfr_slope)
    st.egfr = np.where(act, egfr, st.egfr)
    st.dialysis |= dialysis & act
    st.kf_target = np.where(dialysis, np.nan, st.kf_target)

    # Smoking: quitting rises with age; a few relapse or start.
    u = rng.random(n)
    quit = act & (st.smoke == 2) & (u < H.interp(age, P.SMOKING_QUIT_PER_YEAR))
    relapse = act & (st.smoke == 1) & (u < P.SMOKING_RELAPSE_PER_YEAR)
    begin = act & (st.smoke == 0) & (age < 45) & (u < P.SMOKING_START_PER_YEAR_UNDER_45)
    st.smoke = np.where(quit, 1, np.where(relapse | begin, 2, st.smoke)).astype(np.int8)
    st.quit_day = np.where(quit, stop - rng.random(n) * (stop - start), np.where(relapse, np.nan, st.quit_day))
