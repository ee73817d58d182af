"""Risk communication: the healthy-peer comparison and the "N in 100 people like you" frequency.

Healthy peer: the same age and sex with healthy risk factors, re-scored with the same model or equation. The
profile follows the QRISK3 "healthy person" (no adverse clinical indicators, cholesterol ratio 4.0, stable SBP
125 mmHg, BMI 25; qrisk.org, product.md section 1.1), completed with normal values for the inputs QRISK3 does
not have (HbA1c 36 mmol/mol = 5.4 %, eGFR 90, UACR 1 mg/mmol, non-smoker, no diabetes, no treatment).
Relative risk = patient's risk / healthy peer's risk (QRISK3 definition).

Frequency framing ("out of 100 people like you, N will have ...") is the standard QRISK / U-Prevent wording;
absolute risks as frequencies over a stated time are in the Fagerlin/Zikmund-Fisher recommendations
(product.md section 2 item 10).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.explain.whatif import apply
from risk.models.registry import LoadedModel
from risk.models.spec import HISTORY, MICROVASCULAR

HEALTHY_PROFILE: dict[str, float] = {
    "sbp": 125.0, "dbp": 80.0, "sbp_mean3": 125.0, "sbp_sd": math.nan, "sbp_slope": 0.0,
    "sbp_mean5y": 125.0, "sbp_mean10y": 125.0, "total_chol_mean10y": 5.0, "ldl_mean10y": 3.3,
    "hba1c_mean5y": 36.0, "hba1c_mean10y": 36.0,
    "total_chol": 5.0, "hdl": 1.25, "non_hdl": 3.75, "ldl": 3.3, "triglycerides": 1.0, "ldl_slope": 0.0,
    "glucose": 5.0, "hba1c": 36.0, "hba1c_slope": 0.0, "egfr": 90.0, "egfr_slope": 0.0, "uacr": 1.0,
    "creatinine": 75.0, "bmi": 25.0, "bmi_slope": 0.0, "weight_change_1y": 0.0,
    "smoking_current": 0.0, "smoking_former": 0.0, "diabetes_any": 0.0, "diabetes_t2": 0.0, "diabetes_t1": 0.0,
    "diabetes_years": math.nan, "age_at_diabetes": math.nan, "hypertension": 0.0, "af": 0.0, "ckd_stage": 0.0,
    "on_statin": 0.0, "on_antihypertensive": 0.0, "on_lipid_lowering": 0.0, "on_glucose_lowering": 0.0,
    "n_antihypertensive_classes": 0.0, "rx_antiplatelet": 0.0, "rx_metformin": 0.0, "rx_insulin": 0.0,
    "rx_sglt2_inhibitor": 0.0, "rx_glp1_receptor_agonist": 0.0,
    **dict.fromkeys(HISTORY, 0.0), **dict.fromkeys(MICROVASCULAR, 0.0),
    "dx_diabetes_any": 0.0, "dx_diabetes_type2": 0.0, "dx_diabetes_type1": 0.0, "dx_hypertension": 0.0,
}
# Models and equations for which a healthy peer is meaningful (not diabetes-only outcomes: a peer has none).
PEER_MODELS = ("cvd10", "hf10")
PEER_EQUATIONS = ("score2", "prevent_cvd")


@dataclass(frozen=True, kw_only=True)
class PeerRisk:
    name: str  # model or equation key
    risk: float  # this patient
    peer_risk: float  # healthy person of the same age and sex

    @property
    def relative_risk(self) -> float:
        return self.risk / self.peer_risk if self.peer_risk > 0 else math.inf


def healthy_peer(features_row: pd.DataFrame, models: Mapping[str, LoadedModel], current: Mapping[str, float], *,
                 region: str = "low") -> dict[str, PeerRisk]:
    """Healthy-peer risks for each applicable model / equation that has a current risk for this patient.

    `current` maps model or equation names to the patient's risk (fraction). SCORE2-Diabetes (or SCORE2-OP)
    of a patient is compared with the SCORE2 family result of the peer (same outcome, same calibration region).
    """
    from risk.equations.applicability import reference_scores

    peer = apply(features_row, {k: v for k, v in HEALTHY_PROFILE.items() if k in features_row.columns})
    out: dict[str, PeerRisk] = {}
    for name in PEER_MODELS:
        if name in models and current.get(name) is not None:
            p = float(models[name].predict(peer).risk[0])
            out[name] = PeerRisk(name=name, risk=float(current[name]), peer_risk=p)
    eq = reference_scores(peer.iloc[0].to_dict(), region=region)
    patient_score2 = current.get("score2") if current.get("score2") is not None else current.get("score2_diabetes")
    if patient_score2 is not None and eq["score2"].risk is not None:
        out["score2"] = PeerRisk(name="score2", risk=float(patient_score2), peer_risk=float(eq["score2"].risk))
    for name in PEER_EQUATIONS[1:]:
        if current.get(name) is not None and eq[name].risk is not None:
            out[name] = PeerRisk(name=name, risk=float(current[name]), peer_risk=float(eq[name].risk))
    return out


def n_in_100(risk: float) -> int:
    """Risk as a whole number of people out of 100 (at least 1 when the risk is not zero: never "0 in 100")."""
    if not 0.0 <= risk <= 1.0 or math.isnan(risk):
        raise ValueError(f"risk must be a fraction between 0 and 1, got {risk!r}")
    n = int(np.floor(risk * 100 + 0.5))
    return max(n, 1) if risk > 0 else 0


def icon_counts(risk: float, peer_risk: float | None = None) -> dict[str, int]:
    """Icons of a 10 x 10 array: `peer` (events a healthy peer would also have), `extra` (events added by this
    patient's risk factors; 0 when the patient is at or below the peer) and `none` (no event)."""
    total = n_in_100(risk)
    peer = min(n_in_100(peer_risk), total) if peer_risk is not None else 0
    return {"peer": peer, "extra": total - peer, "none": 100 - total}
