"""Vectorised event hazards for the synthetic cohort: published equations plus longitudinal effects.

Every function takes numpy arrays (one value per patient) and returns arrays. Coefficients live in
`parameters.py`, copied from clinical_reference.md: SCORE2 / SCORE2-OP / SCORE2-Diabetes low-risk region
(§1), PREVENT base heart failure (§2), KFRE 4-variable non-North-American (§5), CKD-EPI 2021 (§5.1).
These are the simulator's own implementations (the product's scalar reference implementations live in
risk/equations and are not used here, on purpose: the two are written independently and can be compared).

A 10-year risk r becomes a constant annual hazard -ln(1 - r)/10 (a 2-year risk: -ln(1 - r)/2).
"""

from __future__ import annotations

import numpy as np

from risk.synth import parameters as P

FloatArray = np.ndarray


def interp(x: FloatArray | float, knots: tuple[tuple[float, float], ...]) -> FloatArray:
    """Piecewise-linear interpolation through (x, y) knots, flat beyond the ends.

    >>> float(interp(45.0, ((40.0, 1.0), (50.0, 3.0))))
    2.0
    """
    xs = np.array([k[0] for k in knots])
    ys = np.array([k[1] for k in knots])
    return np.interp(x, xs, ys)


def step(x: FloatArray, bands: tuple[tuple[float, float], ...]) -> FloatArray:
    """Value of the band whose lower bound is the largest one <= x (bands sorted by lower bound).

    >>> float(step(5.7, ((0.0, 0.96), (5.0, 1.0), (5.5, 1.23), (6.0, 1.78))))
    1.23
    """
    lower = np.array([b[0] for b in bands])
    values = np.array([b[1] for b in bands])
    return values[np.clip(np.searchsorted(lower, x, side="right") - 1, 0, len(bands) - 1)]


def by_age_sex(
    age: FloatArray, male: FloatArray, men: tuple[float, ...], women: tuple[float, ...]
) -> FloatArray:
    """Interpolate a table given at `parameters.AGE_KNOTS` for each patient's age and sex."""
    knots = np.array(P.AGE_KNOTS)
    return np.where(male, np.interp(age, knots, np.array(men)), np.interp(age, knots, np.array(women)))


def _coef(table: dict[str, dict[str, float]], name: str, male: FloatArray) -> FloatArray:
    return np.where(male, table["male"][name], table["female"][name])


def _linear(
    table: dict[str, dict[str, float]], male: FloatArray, terms: dict[str, tuple[FloatArray | float, ...]]
) -> FloatArray:
    """Linear predictor: sum over `terms` of the sex-specific coefficient times the term's factors.

    Terms are added in the order given and each product is taken left to right (coefficient first), as the
    published equations write them, so the result does not depend on how the sum is grouped.
    """
    lp: FloatArray | float = 0.0
    for name, factors in terms.items():
        value = _coef(table, name, male)
        for factor in factors:
            value = value * factor
        lp = lp + value
    return lp


def ten_year_to_annual(risk: FloatArray, years: float = 10.0) -> FloatArray:
    """Constant hazard that gives `risk` over `years`."""
    return -np.log1p(-np.clip(risk, 0.0, 0.999999)) / years


def _recalibrate(lp: FloatArray, s0: FloatArray, scale1: FloatArray, scale2: FloatArray) -> FloatArray:
    """SCORE2 region recalibration: 1 - exp(-exp(scale1 + scale2 * ln(-ln(1 - risk0))))."""
    cll = lp + np.log(-np.log(s0))  # ln(-ln(1 - risk0)) with risk0 = 1 - s0^exp(lp)
    return -np.expm1(-np.exp(scale1 + scale2 * cll))


def score2(
    age: FloatArray, male: FloatArray, smoking: FloatArray, sbp: FloatArray, tc: FloatArray, hdl: FloatArray
) -> FloatArray:
    """SCORE2 10-year CVD risk, low-risk region (France). `smoking` may be fractional (former smokers)."""
    t = P.SCORE2
    cage = (age - 60.0) / 5.0
    csbp = (sbp - 120.0) / 20.0
    ctc = tc - 6.0
    chdl = (hdl - 1.3) / 0.5
    lp = _linear(t, male, {
        "cage": (cage,), "smoking": (smoking,), "csbp": (csbp,), "ctc": (ctc,), "chdl": (chdl,),
        "smoking_cage": (smoking, cage), "csbp_cage": (csbp, cage), "ctc_cage": (ctc, cage),
        "chdl_cage": (chdl, cage),
    })
    return _recalibrate(lp, _coef(t, "s0", male), _coef(t, "scale1", male), _coef(t, "scale2", male))


def score2_diabetes(
    age: FloatArray,
    male: FloatArray,
    smoking: FloatArray,
    sbp: FloatArray,
    tc: FloatArray,
    hdl: FloatArray,
    age_at_diagnosis: FloatArray,
    hba1c_mmol_mol: FloatArray,
    egfr: FloatArray,
) -> FloatArray:
    """SCORE2-Diabetes 10-year CVD risk (type 2 diabetes), low-risk region."""
    t = P.SCORE2_DIABETES
    cage = (age - 60.0) / 5.0
    csbp = (sbp - 120.0) / 20.0
    ctc = tc - 6.0
    chdl = (hdl - 1.3) / 0.5
    cagediab = (age_at_diagnosis - 50.0) / 5.0
    ca1c = (hba1c_mmol_mol - 31.0) / 9.34
    cegfr = (np.log(np.clip(egfr, 1.0, None)) - 4.5) / 0.15
    lp = _linear(t, male, {
        "cage": (cage,), "smoking": (smoking,), "csbp": (csbp,), "diabetes": (), "ctc": (ctc,), "chdl": (chdl,),
        "smoking_cage": (smoking, cage), "csbp_cage": (csbp, cage), "diabetes_cage": (cage,),
        "ctc_cage": (ctc, cage), "chdl_cage": (chdl, cage), "diabetes_cagediab": (cagediab,), "ca1c": (ca1c,),
        "cegfr": (cegfr,), "cegfr2": (cegfr**2,), "ca1c_cage": (ca1c, cage), "cegfr_cage": (cegfr, cage),
    })
    s = P.SCORE2
    return _recalibrate(lp, _coef(s, "s0", male), _coef(s, "scale1", male), _coef(s, "scale2", male))


def score2_op(
    age: FloatArray,
    male: FloatArray,
    smoking: FloatArray,
    sbp: FloatArray,
    tc: FloatArray,
    hdl: FloatArray,
    diabetes: FloatArray,
) -> FloatArray:
    """SCORE2-OP 10-year CVD risk (>=70 y), published rounded coefficients, low-risk region."""
    t = P.SCORE2_OP
    cage = age - 73.0
    csbp = sbp - 150.0
    ctc = tc - 6.0
    chdl = hdl - 1.4
    lp = _linear(t, male, {
        "cage": (cage,), "diabetes": (diabetes,), "diabetes_cage": (diabetes, cage), "smoking": (smoking,),
        "smoking_cage": (smoking, cage), "csbp": (csbp,), "csbp_cage": (csbp, cage), "ctc": (ctc,),
        "ctc_cage": (ctc, cage), "chdl": (chdl,), "chdl_cage": (chdl, cage),
    }) - _coef(t, "mean_lp", male)
    return _recalibrate(lp, _coef(t, "s0", male), _coef(t, "scale1", male), _coef(t, "scale2", male))


def cvd_ten_year_risk(
    *,
    age: FloatArray,
    male: FloatArray,
    smoking: FloatArray,
    sbp: FloatArray,
    tc: FloatArray,
    hdl: FloatArray,
    diabetes: FloatArray,
    age_at_diagnosis: FloatArray,
    hba1c_mmol_mol: FloatArray,
    egfr: FloatArray,
) -> FloatArray:
    """The ESC family for each patient: SCORE2 (<70), SCORE2-Diabetes (<70 with T2D), SCORE2-OP (>=70).

    Ages below 40 extrapolate the 40-69 models (documented choice: no European equation covers 30-39).
    """
    young = age < 70.0
    plain = score2(age, male, smoking, sbp, tc, hdl)
    diab = score2_diabetes(age, male, smoking, sbp, tc, hdl, age_at_diagnosis, hba1c_mmol_mol, egfr)
    old = score2_op(age, male, smoking, sbp, tc, hdl, diabetes)
    return np.where(young, np.where(diabetes > 0, diab, plain), old)


def prevent_hf_ten_year(
    *,
    age: FloatArray,
    male: FloatArray,
    sbp: FloatArray,
    diabetes: FloatArray,
    smoking: FloatArray,
    bmi: FloatArray,
    egfr: FloatArray,
    bp_treated: FloatArray,
) -> FloatArray:
    """PREVENT base-model 10-year heart-failure risk (logistic). Inputs clipped to the published ranges;
    age is allowed up to 90 (extrapolated beyond the derivation range of 30-79)."""
    t = P.PREVENT_HF
    a = (np.clip(age, 30.0, 90.0) - 55.0) / 10.0
    s = np.clip(sbp, 90.0, 200.0)
    b = np.clip(bmi, 18.5, 39.9)
    e = np.clip(egfr, 15.0, 150.0)
    sbp_lo = (np.minimum(s, 110.0) - 110.0) / 20.0
    sbp_hi = (np.maximum(s, 110.0) - 130.0) / 20.0
    bmi_lo = (np.minimum(b, 30.0) - 25.0) / 5.0
    bmi_hi = (np.maximum(b, 30.0) - 30.0) / 5.0
    egfr_lo = (np.minimum(e, 60.0) - 60.0) / -15.0
    egfr_hi = (np.maximum(e, 60.0) - 90.0) / -15.0
    x = _linear(t, male, {
        "constant": (), "age": (a,), "sbp_lo": (sbp_lo,), "sbp_hi": (sbp_hi,), "diabetes": (diabetes,),
        "smoking": (smoking,), "bmi_lo": (bmi_lo,), "bmi_hi": (bmi_hi,), "egfr_lo": (egfr_lo,),
        "egfr_hi": (egfr_hi,), "bptreat": (bp_treated,), "bptreat_sbp_hi": (bp_treated, sbp_hi),
        "age_sbp_hi": (a, sbp_hi), "age_diabetes": (a, diabetes), "age_smoking": (a, smoking),
        "age_bmi_hi": (a, bmi_hi), "age_egfr_lo": (a, egfr_lo),
    })
    return 1.0 / (1.0 + np.exp(-x))


def kfre_annual_hazard(
    *, age: FloatArray, male: FloatArray, egfr: FloatArray, uacr_mg_g: FloatArray
) -> FloatArray:
    """KFRE 4-variable (non-North-American) expressed as an annual hazard; zero above eGFR 60."""
    k = P.KFRE_4VAR
    lp = (
        k["age"] * (age / 10.0 - k["age_c"])
        + k["male"] * (male - k["male_c"])
        + k["egfr"] * (egfr / 5.0 - k["egfr_c"])
        + k["lnacr"] * (np.log(np.clip(uacr_mg_g, 0.1, None)) - k["lnacr_c"])
    )
    hazard = -np.log(k["s0_2y"]) * np.exp(lp) / 2.0
    return np.where(egfr < P.KFRE_MAX_EGFR, hazard, 0.0)


def ckd_epi_2021(creatinine_mg_dl: FloatArray, age: FloatArray, male: FloatArray) -> FloatArray:
    """CKD-EPI 2021 creatinine equation (mL/min/1.73 m2)."""
    c = P.CKD_EPI_2021
    kappa = np.where(male, c["kappa"]["male"], c["kappa"]["female"])
    alpha = np.where(male, c["alpha"]["male"], c["alpha"]["female"])
    ratio = creatinine_mg_dl / kappa
    sex = np.where(male, 1.0, c["female"])
    return (
        c["a"]
        * np.minimum(ratio, 1.0) ** alpha
        * np.maximum(ratio, 1.0) ** c["beta"]
        * c["age_base"] ** age
        * sex
    )


def creatinine_from_egfr(egfr: FloatArray, age: FloatArray, male: FloatArray) -> FloatArray:
    """Exact inverse of CKD-EPI 2021: the serum creatinine (mg/dL) that gives `egfr` at this age and sex."""
    c = P.CKD_EPI_2021
    kappa = np.where(male, c["kappa"]["male"], c["kappa"]["female"])
    alpha = np.where(male, c["alpha"]["male"], c["alpha"]["female"])
    sex = np.where(male, 1.0, c["female"])
    q = egfr / (c["a"] * c["age_base"] ** age * sex)
    return np.where(q >= 1.0, kappa * q ** (1.0 / alpha), kappa * q ** (1.0 / c["beta"]))


# --- longitudinal effects (parameters section 6) -----------------------------------------------------------


def per_sd_multiplier(trait: FloatArray, mean: float, sd: float, hr_per_sd: float) -> FloatArray:
    """exp(ln(HR) * z), z the trait in population SD units, centred so the population mean is ~1."""
    z = (trait - mean) / sd
    beta = np.log(hr_per_sd)
    return np.exp(beta * z - 0.5 * beta * beta)


def former_smoker_exposure(years_since_quit: FloatArray) -> FloatArray:
    """Share of the current-smoker log-hazard kept by a former smoker (parameters section 6)."""
    return P.FORMER_SMOKER_SHARE_FLOOR + P.FORMER_SMOKER_SHARE_INITIAL * np.exp(
        -np.clip(years_since_quit, 0.0, None) / P.FORMER_SMOKER_DECAY_YEARS
    )


def updated_mean_a1c_multiplier(updated_mean_a1c: FloatArray, hr_per_point: float) -> FloatArray:
    """UKPDS 35: hazard ratio per %-point of updated-mean HbA1c above (or below) 7%."""
    return hr_per_point ** (updated_mean_a1c - P.UKPDS_REFERENCE_A1C)


def egfr_decline_multiplier(
    slope_per_year: FloatArray, hr_per_unit: float, threshold: float = 1.0
) -> FloatArray:
    """Hazard ratio for eGFR decline faster than `threshold` mL/min/1.73 m2 per year."""
    decline = np.clip(-slope_per_year - threshold, 0.0, P.EGFR_SLOPE_MAX_EFFECT)
    return hr_per_unit**decline


def adherence_multiplier(
    adherence: FloatArray, treated: FloatArray, hr_good_vs_poor: float, good_share: float
) -> FloatArray:
    """Good (>=80%) vs poor adherence among treated people, normalised so the treated mean is 1."""
    mean = good_share * hr_good_vs_poor + (1.0 - good_share)
    good = adherence >= P.GOOD_ADHERENCE
    return np.where(treated, np.where(good, hr_good_vs_poor, 1.0) / mean, 1.0)


def kidney_cvd_multiplier(
    *, age: FloatArray, male: FloatArray, egfr: FloatArray, uacr_mg_g: FloatArray
) -> FloatArray:
    """Cardiovascular hazard ratio of kidney function and albuminuria (PREVENT total-CVD kidney terms),
    1 at eGFR 90 and UACR 10 mg/g (parameters.KIDNEY_CVD_TERMS)."""
    men, women = P.KIDNEY_CVD_TERMS["male"], P.KIDNEY_CVD_TERMS["female"]

    def coef(name: str) -> FloatArray:
        return np.where(male, men[name], women[name])

    e = np.clip(egfr, 15.0, 150.0)
    egfr_lo = (np.minimum(e, 60.0) - 60.0) / -15.0
    egfr_hi = (np.maximum(e, 60.0) - 90.0) / -15.0
    a = (np.clip(age, 30.0, 90.0) - 55.0) / 10.0
    ln_ratio = np.log(np.clip(uacr_mg_g, 0.1, None) / P.KIDNEY_CVD_UACR_REFERENCE_MG_G)
    return np.exp(coef("egfr_lo") * egfr_lo + coef("egfr_hi") * egfr_hi + coef("age_egfr_lo") * a * egfr_lo
                  + coef("ln_uacr") * ln_ratio)


def insee_qx(age: FloatArray, male: FloatArray) -> FloatArray:
    """INSEE one-year probability of death (fraction), log-linear between tabulated ages, extrapolated
    log-linearly beyond 90 with the 85-90 slope, capped (parameters section 5)."""
    ages = np.array(P.INSEE_QX_AGES, dtype=float)
    men = np.log(np.array(P.INSEE_QX_MEN))
    women = np.log(np.array(P.INSEE_QX_WOMEN))
    log_qx = np.where(male, np.interp(age, ages, men), np.interp(age, ages, women))
    slope = np.where(male, (men[-1] - men[-2]) / 5.0, (women[-1] - women[-2]) / 5.0)
    log_qx = np.where(age > ages[-1], log_qx + slope * (age - ages[-1]), log_qx)
    return np.minimum(np.exp(log_qx), P.QX_MAX) / 1000.0
