"""Published reference risk equations, in canonical units, returning risks as fractions between 0 and 1.

- :func:`score2`: SCORE2 (40-69) / SCORE2-OP (70+), ESC 2021, region-recalibrated (France: low)
- :func:`score2_diabetes`: SCORE2-Diabetes, ESC 2023, type 2 diabetes 40-69
- :func:`prevent`: AHA PREVENT 10-year total CVD / ASCVD / heart failure (comparator outside the US)
- :func:`qrisk3`: the project's implementation of the QRISK3-2017 algorithm (UK-derived comparator), 25-84
- :func:`kfre`: Kidney Failure Risk Equation, 2 or 5 years, 4- or 8-variable
- :func:`ckd_epi_2021`: eGFR from creatinine (mL/min/1.73 m²)

Equations compute for any plausible input and raise ValueError (an InputError carrying the coded reason) for
impossible input. Whether the inputs lie
inside the population an equation was derived in is a separate question: :func:`derivation_range_issues`.
Which equations apply to a patient, and why not: :func:`risk.equations.applicability.reference_scores`.
"""

from risk.equations._common import InputError, RangeIssue
from risk.equations.applicability import RESULT_KEYS, SCORE2_FAMILY, EquationResult, reference_scores, score2_family
from risk.equations.ckd_epi import ckd_epi_2021
from risk.equations.kfre import KfreFallbackWarning, KfreResult, kfre, kfre_result
from risk.equations.prevent import prevent, prevent_model
from risk.equations.qrisk3 import qrisk3, qrisk3_range_issues
from risk.equations.ranges import derivation_range_check, derivation_range_issues, withheld_reason
from risk.equations.score2 import score2, score2_range_issues, score2_range_warnings, score2_risk_age
from risk.equations.score2_diabetes import score2_diabetes

__all__ = [
    "RESULT_KEYS",
    "SCORE2_FAMILY",
    "EquationResult",
    "InputError",
    "KfreFallbackWarning",
    "KfreResult",
    "RangeIssue",
    "ckd_epi_2021",
    "derivation_range_check",
    "derivation_range_issues",
    "kfre",
    "kfre_result",
    "prevent",
    "prevent_model",
    "qrisk3",
    "qrisk3_range_issues",
    "reference_scores",
    "score2_family",
    "score2",
    "score2_diabetes",
    "score2_range_issues",
    "score2_range_warnings",
    "score2_risk_age",
    "withheld_reason",
]
