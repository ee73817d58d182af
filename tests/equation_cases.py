"""Equation inputs shared by the tests (tests/unit/test_equations_rules.py) and the benchmark
(benchmarks/bench_equations.py), so the two time and check the same patients.

`features(**overrides)` is a features row (risk.features.build column names) as reference_scores reads it; the
*_SCORE2 and *_PREVENT dicts are the same patient as keyword arguments of the published equations, in canonical
units (mmHg, mmol/L, mL/min/1.73 m², kg/m²).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# A 55-year-old man without diabetes, CVD or CKD, treated for blood pressure, every input present.
HEALTHY_55: dict[str, Any] = dict(
    age=55.0,
    sex_male=1,
    sbp=142.0,
    sbp_date=pd.Timestamp("2024-03-01"),
    total_chol=5.8,
    hdl=1.2,
    hba1c=float("nan"),
    egfr=82.0,
    uacr=float("nan"),
    bmi=27.0,
    smoking_current=0,
    diabetes_t2=0,
    diabetes_t1=0,
    diabetes_any=0,
    age_at_diabetes=float("nan"),
    established_cvd=0,
    prior_mi=0,
    prior_stroke=0,
    prior_tia=0,
    prior_pad=0,
    prior_chd=0,
    prior_hf=0,
    on_antihypertensive=1,
    on_statin=0,
    ckd_stage=0,
)
HEALTHY_55_SCORE2: dict[str, Any] = dict(sex="male", age=55.0, smoker=False, sbp=142.0, total_chol=5.8, hdl=1.2)
HEALTHY_55_PREVENT: dict[str, Any] = dict(
    HEALTHY_55_SCORE2, egfr=82.0, bmi=27.0, diabetes=False, on_antihypertensive=True, on_statin=False
)

# The same man at 62 with type 2 diabetes since 55 and CKD G3a with albuminuria, on a statin: every reference
# equation that applies to him computes (SCORE2-Diabetes, PREVENT full model for its three outcomes, KFRE at 2 and
# 5 years; SCORE2 says why it does not apply).
T2D_CKD_62: dict[str, Any] = dict(
    HEALTHY_55,
    age=62.0,
    hba1c=58.0,
    egfr=52.0,
    uacr=4.0,
    bmi=29.0,
    diabetes_t2=1,
    diabetes_any=1,
    age_at_diabetes=55.0,
    on_statin=1,
    ckd_stage=3,
)
T2D_CKD_62_SCORE2_DIABETES: dict[str, Any] = dict(
    HEALTHY_55_SCORE2, age=62.0, hba1c=58.0, egfr=52.0, age_at_diabetes_diagnosis=55.0
)
T2D_CKD_62_PREVENT: dict[str, Any] = dict(
    HEALTHY_55_PREVENT, age=62.0, egfr=52.0, bmi=29.0, diabetes=True, on_statin=True, hba1c=58.0, uacr=4.0
)
T2D_CKD_62_KFRE: dict[str, Any] = dict(sex="male", age=62.0, egfr=52.0, uacr=4.0)


def features(**overrides: Any) -> dict[str, Any]:
    """HEALTHY_55 with ``overrides``."""
    return {**HEALTHY_55, **overrides}
