"""Move every patient's processes to next 1 January: slow wandering of the risk factors, albuminuria,
eGFR decline (age, person slope, diabetes, blood pressure, albuminuria, rapid decline; slowed by SGLT2
inhibitors and RAS blockade; fast decline to dialysis after a KFRE event) and smoking transitions.
"""

from __future__ import annotations

import numpy as np

from risk.synth import drugs as D
from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth.population import Population
from risk.synth.state import State

AR1 = {
    "sbp": P.SBP_AR1,
    "dbp": P.SBP_AR1,
    "ldl": P.LIPID_AR1,
    "hdl": P.LIPID_AR1,
    "tg": P.LIPID_AR1,
    "bmi": P.BMI_AR1,
    "a1c": P.A1C_AR1,
    "uacr": P.UACR_AR1,
}


def advance(
    rng: np.random.Generator,
    st: State,
    pop: Population,
    trt: dict[str, np.ndarray],
    act: np.ndarray,
    age: np.ndarray,
    start: float,
    stop: float,
    kf_from: np.ndarray,
    dialysis: np.ndarray,
    t_dial: np.ndarray,
) -> None:
    """Move every process to next 1 January (only for patients still followed)."""
    n = pop.n
    for name, phi in AR1.items():
        new = phi * st.w[name] + np.sqrt(1 - phi**2) * rng.standard_normal(n)
        st.w[name] = np.where(act, new, st.w[name])
    st.dm_ar = np.where(
        act,
        P.DM_A1C_AR1 * st.dm_ar + np.sqrt(1 - P.DM_A1C_AR1**2) * P.DM_A1C_AR_SD * rng.standard_normal(n),
        st.dm_ar,
    )

    sbp, a1c, uacr, adh = trt["sbp"], trt["a1c"], trt["uacr"], pop.adherence
    drift = (
        st.dm * P.UACR_DRIFT_PER_A1C_POINT_ABOVE_6_5 * np.clip(a1c - P.A1C_DIAGNOSTIC, 0.0, None)
        + P.UACR_DRIFT_PER_10MMHG_ABOVE_130 * np.clip(sbp - 130.0, 0.0, None) / 10.0
        + P.UACR_DRIFT_AGE_OVER_50 * (age > 50)
    )
    st.uacr_acc = np.where(act, st.uacr_acc + drift, st.uacr_acc)

    # eGFR: age-related decline + person slope + disease terms (Zoppini 2012) slowed by SGLT2i / RAS.
    base = H.interp(age, P.EGFR_BASE_SLOPE) + pop.egfr_person_slope
    high_bp = sbp >= P.HTN_THRESHOLD_SBP
    disease = (
        np.where(high_bp, P.EGFR_SLOPE_HYPERTENSION, 0.0)
        + np.where(
            st.dm, np.where(a1c >= P.A1C_TARGET, P.EGFR_SLOPE_DIABETES_A1C_GE7, P.EGFR_SLOPE_DIABETES), 0.0
        )
        + np.where(uacr >= P.ACR_A3, P.EGFR_SLOPE_A3, np.where(uacr >= P.ACR_A2, P.EGFR_SLOPE_A2, 0.0))
    )
    at_risk = st.dm | high_bp | (uacr >= P.ACR_A2)
    rapid = at_risk & (pop.rapid_u < np.where(st.dm, P.EGFR_RAPID_SHARE_DIABETES, P.EGFR_RAPID_SHARE_OTHER))
    disease = disease + np.where(rapid, P.EGFR_RAPID_EXTRA_SLOPE, 0.0)
    ras = D.has(st.drugs, D.ACEI) | D.has(st.drugs, D.ARB)
    factor = np.where(D.has(st.drugs, D.SGLT2), 1.0 - P.SGLT2_SLOPE_FACTOR * adh, 1.0) * np.where(
        ras & (uacr >= P.ACR_A2), 1.0 - (1.0 - P.RAS_SLOPE_FACTOR_ALBUMINURIA) * adh, 1.0
    )
    slope = base + disease * factor
    pending = ~np.isnan(st.kf_target) & ~dialysis & ~st.dialysis
    frac = np.clip((stop - kf_from) / np.maximum(st.kf_target - kf_from, 1.0), 0.0, 1.0)
    pending_slope = (P.KF_DIALYSIS_EGFR + 1.0 - st.egfr) * frac
    slope = np.where(pending, np.minimum(slope, pending_slope), slope)
    egfr = np.clip(
        st.egfr + slope + P.EGFR_YEAR_NOISE_SD * rng.standard_normal(n), P.EGFR_FLOOR, P.EGFR_CEILING
    )
    on_dialysis = st.dialysis | dialysis
    egfr = np.where(
        on_dialysis,
        np.clip(P.DIALYSIS_EGFR[0] + P.DIALYSIS_EGFR[1] * rng.standard_normal(n), 3.0, 11.0),
        egfr,
    )
    st.egfr_prev_below60 = np.where(act, st.egfr < P.EGFR_CKD, st.egfr_prev_below60)
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
    st.quit_day = np.where(
        quit, stop - rng.random(n) * (stop - start), np.where(relapse, np.nan, st.quit_day)
    )
