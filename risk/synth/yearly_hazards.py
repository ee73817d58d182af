"""The hazards of one year for every patient: published equations x longitudinal effects.

Cardiovascular events come from the SCORE2 family (low-risk region), heart failure from PREVENT-HF, kidney
failure from KFRE, microvascular complications from UKPDS-based rates, non-cardiovascular death from INSEE
life tables; each is multiplied by the effects of parameters section 6 that the equations cannot see (SBP and
LDL visit-to-visit variability, updated-mean HbA1c, eGFR slope, adherence, time since quitting smoking) and
by treatment effects (sections 4-5). Also returns what the GP would compute (SCORE2 on current values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.synth import codes as C
from risk.synth import drugs as D
from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth import record_rich
from risk.synth.population import Population
from risk.synth.state import State, smoking_exposure
from risk.terminology.units import UACR_MG_G_PER_MG_MMOL


@dataclass(kw_only=True, slots=True)
class YearHazards:
    hazard: dict[str, np.ndarray]  # per year, by event name
    gp_risk10: np.ndarray  # SCORE2-family risk a GP would compute today (current smoking, diagnosed diabetes)
    age_at_diagnosis: np.ndarray


def _good_share() -> float:
    """Share of patients with adherence >= 80% under the Beta distribution (numerical integration)."""
    a, b = P.ADHERENCE_BETA
    x = np.linspace(0.0, 1.0, 20001)[1:-1]
    dens = x ** (a - 1) * (1 - x) ** (b - 1)
    return float(dens[x >= P.GOOD_ADHERENCE].sum() / dens.sum())


def _mmol_mol(a1c_percent: np.ndarray) -> np.ndarray:
    return (a1c_percent - C.A1C_PCT_TO_MMOL_MOL[0]) / C.A1C_PCT_TO_MMOL_MOL[1]


GOOD_SHARE = _good_share()
CKD_STAGE_CODES = (30, 35, 40, 50)  # 3a, 3b, 4, 5 (detail of Ev.DX_CKD)


def _lognormal_mean_sd(median: np.ndarray | float, log_sd: float) -> tuple[np.ndarray, np.ndarray]:
    mean = median * np.exp(0.5 * log_sd**2)
    return mean, mean * np.sqrt(np.expm1(log_sd**2))


def _running_mean(previous: np.ndarray, current: np.ndarray, tau_years: float, act: np.ndarray) -> np.ndarray:
    """Exponentially weighted mean over past years (time constant tau), started at the current value."""
    alpha = 1.0 - np.exp(-1.0 / tau_years)
    updated = np.where(np.isnan(previous), current, previous + alpha * (current - previous))
    return np.where(act, updated, previous)


def yearly_hazards(
    st: State,
    pop: Population,
    lat: dict[str, np.ndarray],
    trt: dict[str, np.ndarray],
    act: np.ndarray,
    start: float,
    stop: float,
) -> YearHazards:
    """Hazards of every event this year (zero where not applicable). Accumulates the updated-mean HbA1c."""
    n, male, adh = pop.n, pop.male, pop.adherence
    age = pop.age_on(start)
    sbp, a1c, egfr, uacr = trt["sbp"], trt["a1c"], trt["egfr"], trt["uacr"]
    dm = st.dm & act
    st.a1c_sum += np.where(dm, a1c, 0.0)
    st.a1c_n += dm
    updated_mean = np.where(st.a1c_n > 0, st.a1c_sum / np.maximum(st.a1c_n, 1), a1c)
    dx_day = np.where(st.dm_dx, st.dm_dx_day, st.dm_onset_day)
    age_dx = np.where(np.isnan(dx_day), age, pop.age_on(np.nan_to_num(dx_day)))
    smoke_x = smoking_exposure(st, start)
    on = {name: D.has(st.drugs, bit) for name, bit in D.BIT.items()}
    prior = st.mi | st.stroke

    # --- cardiovascular events: SCORE2 family x longitudinal and treatment multipliers -----------------
    # Exposure that drives risk: running means of SBP and TC and of their treatment-induced falls.
    sbp_ew = _running_mean(st.sbp_ew, sbp, P.SBP_EXPOSURE_TIME_CONSTANT_YEARS, act)
    tc_ew = _running_mean(st.tc_ew, trt["tc"], P.CHOLESTEROL_EXPOSURE_TIME_CONSTANT_YEARS, act)
    sbp_drop_ew = _running_mean(st.sbp_drop_ew, lat["sbp"] - sbp, P.SBP_EXPOSURE_TIME_CONSTANT_YEARS, act)
    ldl_drop_ew = _running_mean(
        st.ldl_drop_ew, lat["ldl"] - trt["ldl"], P.CHOLESTEROL_EXPOSURE_TIME_CONSTANT_YEARS, act
    )
    st.sbp_ew, st.tc_ew, st.sbp_drop_ew, st.ldl_drop_ew = sbp_ew, tc_ew, sbp_drop_ew, ldl_drop_ew
    st.tc_long = _running_mean(st.tc_long, trt["tc"], P.EXPOSURE_LONG_MEMORY_YEARS, act)
    w = P.EXPOSURE_LONG_MEMORY_WEIGHT
    tc_exposure = (1.0 - w) * tc_ew + w * st.tc_long
    risk10 = H.cvd_ten_year_risk(
        age=age - P.TEN_YEAR_RISK_AGE_SHIFT,
        male=male,
        smoking=smoke_x,
        sbp=sbp_ew,
        tc=tc_exposure,
        hdl=trt["hdl"],
        diabetes=dm.astype(float),
        age_at_diagnosis=age_dx,
        hba1c_mmol_mol=_mmol_mol(updated_mean),
        egfr=egfr,
    )
    h_cvd = H.ten_year_to_annual(risk10) * P.CVD_HAZARD_SCALE
    gp_risk10 = H.cvd_ten_year_risk(
        age=age,
        male=male,
        smoking=(st.smoke == 2).astype(float),
        sbp=sbp,
        tc=trt["tc"],
        hdl=trt["hdl"],
        diabetes=st.dm_dx.astype(float),
        age_at_diagnosis=age_dx,
        hba1c_mmol_mol=_mmol_mol(a1c),
        egfr=egfr,
    )
    treated_cv = np.zeros(n, dtype=bool)
    for bit in D.CV_DRUG_BITS:
        treated_cv |= D.has(st.drugs, bit)
    beta_tc = np.where(male, P.SCORE2["male"]["ctc"], P.SCORE2["female"]["ctc"])
    beta_sbp = np.where(male, P.SCORE2["male"]["csbp"], P.SCORE2["female"]["csbp"]) / 20.0
    m = np.where(prior, P.PRIOR_CVD_HR, 1.0)
    m = m * H.adherence_multiplier(adh, treated_cv, P.ADHERENCE_HR_CVD, GOOD_SHARE)
    m = m * H.egfr_decline_multiplier(st.egfr_slope, P.EGFR_SLOPE_HR_CV)
    m = m * np.where(on["glp1_receptor_agonist"], P.GLP1_HR_MACE**adh, 1.0)
    m = m * np.exp((np.log(P.CTT_RR_PER_MMOL_LDL) + beta_tc) * ldl_drop_ew)
    m = m * np.exp((np.log(P.BP_TRIAL_RR_PER_10_MMHG) / 10.0 + beta_sbp) * sbp_drop_ew)
    m = m * H.kidney_cvd_multiplier(age=age, male=male, egfr=egfr, uacr_mg_g=uacr * UACR_MG_G_PER_MG_MMOL)
    bp_terms = np.where(male, P.BP_TREATED_TERMS["male"][0], P.BP_TREATED_TERMS["female"][0]), np.where(
        male, P.BP_TREATED_TERMS["male"][1], P.BP_TREATED_TERMS["female"][1]
    )
    on_bp_drugs = D.count(st.drugs, D.ANTIHYPERTENSIVE_BITS) > 0
    sbp_hi = (np.maximum(sbp, 110.0) - 130.0) / 20.0
    m = m * np.where(on_bp_drugs, np.exp(bp_terms[0] + bp_terms[1] * sbp_hi), 1.0)
    m = m * np.where(dm, 1.0, H.step(a1c, P.NONDIABETIC_HBA1C_HR))
    m = m * np.where(prior & on["antiplatelet"], P.ANTIPLATELET_SECONDARY_RR**adh, 1.0)
    # QRISK3's record-rich predictors (parameters section 10), normalised over the patients being recorded.
    m = m * record_rich.cvd_multiplier(pop.condition_onset, male, start, act & (pop.entry_day < stop))
    sigma = pop.bpv_sigma(age)
    s_mean, s_sd = _lognormal_mean_sd(
        np.clip(P.BPV_MEDIAN_AT_55 + P.BPV_MEDIAN_PER_YEAR * (age - 55.0), 5.0, None), P.BPV_LOG_SD
    )
    l_mean, l_sd = _lognormal_mean_sd(P.LDLV_MEDIAN, P.LDLV_LOG_SD)

    def variability(kind: str) -> np.ndarray:
        out = H.per_sd_multiplier(sigma, s_mean, s_sd, P.BPV_HR_PER_SD[kind])
        if kind in P.LDLV_HR_PER_SD:
            out = out * H.per_sd_multiplier(pop.ldl_variability, l_mean, l_sd, P.LDLV_HR_PER_SD[kind])
        return out

    old_dm = dm & (age >= 70)
    ukpds = {
        k: np.where(old_dm, H.updated_mean_a1c_multiplier(updated_mean, v), 1.0)
        for k, v in P.UKPDS_HR_PER_A1C_POINT.items()
    }
    fatal = H.interp(age, P.FATAL_SHARE) * np.where(male, 1.0, P.FATAL_SHARE_WOMEN_FACTOR)
    stroke_share = H.interp(age, P.STROKE_SHARE_NONFATAL) + np.where(male, 0.0, P.STROKE_SHARE_WOMEN_EXTRA)
    anticoag = on["anticoagulant_doac"] | on["anticoagulant_vka"]
    af_mult = np.where(
        st.af, P.STROKE_HR_AF_UNTREATED * (1 - P.STROKE_ANTICOAGULATION_RRR * adh * anticoag), 1.0
    )
    h_mi = h_cvd * (1 - fatal) * (1 - stroke_share) * m * variability("mi") * ukpds["mi"]
    h_stroke = h_cvd * (1 - fatal) * stroke_share * m * variability("stroke") * af_mult * ukpds["stroke"]
    h_fatal = (
        h_cvd
        * fatal
        * m
        * variability("fatal")
        * ukpds["mi"]
        * np.where(on["sglt2_inhibitor"], P.SGLT2_HR_CV_DEATH**adh, 1.0)
    )

    # --- heart failure, AF, kidney failure (PREVENT-HF, age-based AF, KFRE) ------------------------------
    bp_treated = D.count(st.drugs, D.ANTIHYPERTENSIVE_BITS) > 0
    hf10 = H.prevent_hf_ten_year(
        age=age - P.TEN_YEAR_RISK_AGE_SHIFT,
        male=male,
        sbp=sbp,
        diabetes=dm.astype(float),
        smoking=(st.smoke == 2).astype(float),
        bmi=trt["bmi"],
        egfr=egfr,
        bp_treated=bp_treated.astype(float),
    )
    h_hf = (
        H.ten_year_to_annual(hf10)
        * P.HF_HAZARD_SCALE
        * np.where(st.mi, P.HF_HR_PRIOR_MI, 1.0)
        * np.where(st.af, P.HF_HR_AF, 1.0)
        * np.where(on["sglt2_inhibitor"], P.SGLT2_HR_HF**adh, 1.0)
        * np.where(on["glp1_receptor_agonist"], P.GLP1_HR_HF**adh, 1.0)
        * np.where(dm, H.updated_mean_a1c_multiplier(updated_mean, P.UKPDS_HR_PER_A1C_POINT["hf"]), 1.0)
    )
    h_hf = np.where(st.hf, 0.0, h_hf)
    h_af = (
        H.interp(age, P.AF_INCIDENCE_MEN)
        * np.where(male, 1.0, P.AF_WOMEN_HR)
        * np.where((sbp >= P.HTN_THRESHOLD_SBP) | st.htn_dx, P.AF_HR_HYPERTENSION, 1.0)
        * P.AF_HR_PER_5_BMI_ABOVE_25 ** np.clip((trt["bmi"] - 25.0) / 5.0, 0.0, None)
        * np.where(dm, P.AF_HR_DIABETES, 1.0)
        * np.where(st.hf, P.AF_HR_HEART_FAILURE, 1.0)
        * np.where(st.mi, P.AF_HR_PRIOR_MI, 1.0)
    )
    h_af = np.where(st.af, 0.0, h_af)
    pending = ~np.isnan(st.kf_target)
    h_kf = (
        H.kfre_annual_hazard(
            age=age - P.TWO_YEAR_RISK_AGE_SHIFT, male=male, egfr=egfr, uacr_mg_g=uacr * UACR_MG_G_PER_MG_MMOL
        )
        * H.egfr_decline_multiplier(st.egfr_slope, P.EGFR_SLOPE_HR_KF)
        * P.KF_HAZARD_SCALE
    )
    h_kf = np.where(st.dialysis | pending, 0.0, h_kf)

    # --- microvascular (diagnosed diabetes) -----------------------------------------------------------
    smoker = st.smoke == 2
    dmdx = st.dm_dx & act
    micro_sbp = P.MICRO_HR_PER_10_SBP_ABOVE_140 ** ((sbp - 140.0) / 10.0)
    dm_years = np.clip((start - np.where(np.isnan(st.dm_dx_day), start, st.dm_dx_day)) / 365.25, 0.0, 40.0)
    duration_centred = dm_years - P.MICRO_REFERENCE_DURATION_YEARS
    a1c_mean = H.updated_mean_a1c_multiplier  # per %-point of the updated mean above the reference (7 %)
    h_ret = np.where(
        dmdx & ~st.retino,
        P.RETINOPATHY_BASE
        * P.RETINOPATHY_HR_PER_YEAR_DIAGNOSED ** duration_centred
        * micro_sbp
        * a1c_mean(updated_mean, P.UKPDS_HR_PER_A1C_POINT["microvascular"])
        * np.where(male, P.RETINOPATHY_HR_MALE, 1.0),
        0.0,
    )
    h_neu = np.where(
        dmdx & ~st.neuro,
        P.NEUROPATHY_BASE
        * P.NEUROPATHY_HR_PER_YEAR_DIAGNOSED ** duration_centred
        * a1c_mean(updated_mean, P.NEUROPATHY_HR_PER_A1C_POINT)
        * P.NEUROPATHY_HR_AGE_PER_YEAR ** (age - P.NEUROPATHY_AGE_CENTRE)
        * P.NEUROPATHY_HR_PER_2_BMI ** ((trt["bmi"] - P.NEUROPATHY_BMI_CENTRE) / 2.0)
        * np.where(prior, P.NEUROPATHY_HR_PRIOR_CVD, 1.0)
        * np.where(smoker, P.NEUROPATHY_HR_SMOKING, 1.0),
        0.0,
    )
    weight_kg = trt["bmi"] * (pop.height_cm / 100.0) ** 2
    h_ulc = np.where(
        dmdx & ~st.ulcer & ~st.amputated,
        np.where(st.neuro, P.FOOT_ULCER_WITH_NEUROPATHY, P.FOOT_ULCER_WITHOUT)
        * np.where(smoker, P.FOOT_ULCER_HR_SMOKING, 1.0)
        * np.where(on["insulin"], P.FOOT_ULCER_HR_INSULIN, 1.0)
        * a1c_mean(updated_mean, P.FOOT_ULCER_HR_PER_A1C_POINT)
        * P.FOOT_ULCER_HR_PER_20_KG ** ((weight_kg - P.FOOT_ULCER_WEIGHT_CENTRE_KG) / 20.0),
        0.0,
    )
    h_amp = np.where(
        dmdx & ~st.amputated, np.where(st.ever_ulcer, P.AMPUTATION_AFTER_ULCER, P.AMPUTATION_OTHER), 0.0
    )

    # --- deaths and leaving the practice (only once the record has started) ---------------------------
    qx = H.insee_qx(age, male)
    h_q = -np.log1p(-qx) * (1.0 - H.interp(age, P.CV_DEATH_SHARE))
    hr = np.ones(n)
    hr *= np.where(
        smoker, P.NONCV_HR["current_smoker"], np.where(st.smoke == 1, P.NONCV_HR["former_smoker"], 1.0)
    )
    hr *= np.where(dm, P.NONCV_HR["diabetes"], 1.0)
    hr *= np.where(egfr < 30, P.NONCV_HR["egfr_lt30"], np.where(egfr < 45, P.NONCV_HR["egfr_lt45"], 1.0))
    hr *= np.where(
        trt["bmi"] >= 35, P.NONCV_HR["bmi_ge35"], np.where(trt["bmi"] < 20, P.NONCV_HR["bmi_lt20"], 1.0)
    )
    hr *= H.adherence_multiplier(adh, treated_cv, P.ADHERENCE_HR_NONCV_DEATH, GOOD_SHARE)
    hr *= H.egfr_decline_multiplier(st.egfr_slope, P.EGFR_SLOPE_HR_DEATH)
    recording = act & (pop.entry_day < stop)
    norm = hr[recording].mean() if recording.any() else 1.0
    h_ncv = h_q * hr / norm

    hazard = {
        "mi": h_mi,
        "stroke": h_stroke,
        "fatal": h_fatal,
        "hf": h_hf,
        "af": h_af,
        "kf": h_kf,
        "ret": h_ret,
        "neu": h_neu,
        "ulc": h_ulc,
        "amp": h_amp,
        "hf_death": np.where(st.hf, P.HF_DEATH_PER_YEAR, 0.0),
        "dial_death": np.where(st.dialysis, P.DIALYSIS_DEATH_PER_YEAR, 0.0),
        "kidney_death": np.where(
            ~st.dialysis & (egfr < P.KF_DIALYSIS_EGFR), P.KIDNEY_CONSERVATIVE_DEATH_PER_YEAR, 0.0
        ),
        "ncv": h_ncv,
        "ltfu": np.full(n, P.LOSS_TO_FOLLOW_UP_PER_YEAR),
    }
    return YearHazards(hazard=hazard, gp_risk10=gp_risk10, age_at_diagnosis=age_dx)
