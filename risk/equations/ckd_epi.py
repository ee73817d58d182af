"""CKD-EPI 2021 creatinine equation (race-free), used by PREVENT, SCORE2-Diabetes and KFRE.

Reference: Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations to estimate
GFR without race. N Engl J Med 2021;385:1737-1749. doi:10.1056/NEJMoa2102953 (creatinine equation, Table 2).
Constants as in clinical_reference.md section 5.1 [V2+] (preventr R/helpers.R `calculate_ckd_epi()`, CRAN
kidney.epi and tabletools documentation). LOINC 98979-8.

eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 [female]
k = 0.7 (female) / 0.9 (male); a = -0.241 (female) / -0.302 (male); Scr in mg/dL (µmol/L / 88.4).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from risk.equations._common import RangeIssue, parse_age, parse_measurement, parse_sex
from risk.equations.conversions import CREATININE_UMOL_L_PER_MG_DL

CITATION = "Inker LA et al. N Engl J Med 2021;385:1737-1749. doi:10.1056/NEJMoa2102953"

_KAPPA = {True: 0.9, False: 0.7}
_ALPHA = {True: -0.302, False: -0.241}
_FEMALE_FACTOR = 1.012


def ckd_epi_2021_array(sex_male: ArrayLike, age: ArrayLike, creatinine_umol: ArrayLike) -> np.ndarray:
    """The equation on arrays (no input checks): the one implementation, for the features of a whole panel and
    for :func:`ckd_epi_2021` alike. `sex_male` true/1 for men; creatinine in µmol/L."""
    male = np.asarray(sex_male, dtype=bool)
    kappa, alpha = np.where(male, _KAPPA[True], _KAPPA[False]), np.where(male, _ALPHA[True], _ALPHA[False])
    ratio = np.asarray(creatinine_umol, dtype=float) / CREATININE_UMOL_L_PER_MG_DL / kappa
    egfr = (142.0 * np.minimum(ratio, 1.0) ** alpha * np.maximum(ratio, 1.0) ** -1.200
            * 0.9938 ** np.asarray(age, dtype=float))
    return egfr * np.where(male, 1.0, _FEMALE_FACTOR)


def ckd_epi_2021(*, sex: str, age: float, creatinine: float) -> float:
    """eGFR in mL/min/1.73 m² from serum creatinine in µmol/L (adults, 18 and over), inputs checked."""
    male = parse_sex(sex)
    return float(ckd_epi_2021_array(male, parse_age(age), parse_measurement("creatinine", creatinine)))


def ckd_epi_2021_range_issues(*, sex: str, age: float, creatinine: float) -> list[RangeIssue]:
    """CKD-EPI 2021 applies to any adult; impossible inputs raise in :func:`ckd_epi_2021`. Nothing to flag."""
    ckd_epi_2021(sex=sex, age=age, creatinine=creatinine)
    return []
