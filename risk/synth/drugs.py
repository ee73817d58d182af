"""Drug classes as bits of one integer per patient, and what they do to the risk factors.

One function per effect, used by both the simulation (annual levels that drive hazards and prescribing) and
the record writer (the value measured at a visit), so the two can never disagree. Effect sizes and their
sources are in `parameters.py` section 4; every effect is scaled by the patient's adherence.
"""

from __future__ import annotations

import numpy as np

from risk.synth import parameters as P

# Bit positions. Names follow value_sets.json concept keys; STATIN_HIGH is a modifier of STATIN.
CLASSES: tuple[str, ...] = (
    "ace_inhibitor",
    "arb",
    "calcium_channel_blocker",
    "thiazide_diuretic",
    "beta_blocker",
    "loop_diuretic",
    "mineralocorticoid_antagonist",
    "statin",
    "ezetimibe",
    "metformin",
    "sulfonylurea",
    "dpp4_inhibitor",
    "sglt2_inhibitor",
    "glp1_receptor_agonist",
    "insulin",
    "antiplatelet",
    "anticoagulant_doac",
    "anticoagulant_vka",
    "oral_corticosteroid",  # QRISK3 predictors (parameters section 10, record_rich.py)
    "atypical_antipsychotic",
)
BIT: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}
STATIN_HIGH = len(CLASSES)  # bit 20: statin at high intensity

ACEI, ARB, CCB, THZ, BB = (BIT[c] for c in CLASSES[:5])
LOOP, MRA, STATIN, EZE = (
    BIT["loop_diuretic"],
    BIT["mineralocorticoid_antagonist"],
    BIT["statin"],
    BIT["ezetimibe"],
)
METF, SU, DPP4, SGLT2, GLP1, INSULIN = (BIT[c] for c in CLASSES[9:15])
ANTIPLATELET, DOAC, VKA = BIT["antiplatelet"], BIT["anticoagulant_doac"], BIT["anticoagulant_vka"]

ANTIHYPERTENSIVE_BITS = (ACEI, ARB, CCB, THZ, BB)  # the classes titrated for blood pressure
GLUCOSE_BITS = (METF, SU, DPP4, SGLT2, GLP1, INSULIN)
CV_DRUG_BITS = (ACEI, ARB, CCB, THZ, BB, LOOP, MRA, STATIN, EZE, ANTIPLATELET, DOAC, VKA)


def has(drugs: np.ndarray, bit: int) -> np.ndarray:
    """Boolean array: is the class on?"""
    return ((drugs >> np.uint32(bit)) & np.uint32(1)).astype(bool)


def mask(*bits: int) -> np.uint32:
    value = 0
    for b in bits:
        value |= 1 << b
    return np.uint32(value)


def count(drugs: np.ndarray, bits: tuple[int, ...]) -> np.ndarray:
    total = np.zeros(drugs.shape, dtype=np.int8)
    for b in bits:
        total += has(drugs, b)
    return total


def sbp_drop(drugs: np.ndarray, sbp_untreated: np.ndarray, adherence: np.ndarray) -> np.ndarray:
    """SBP lowering (mmHg): 9.1 per standard-dose class, +1 per 10 mmHg above 154 (Law 2003), additive."""
    per_class = np.clip(
        P.SBP_DROP_PER_CLASS + P.SBP_DROP_PER_10_ABOVE_REF * (sbp_untreated - P.SBP_DROP_BASELINE_REF) / 10.0,
        3.0,
        16.0,
    )
    total = count(drugs, ANTIHYPERTENSIVE_BITS) * per_class
    total = total + has(drugs, LOOP) * P.SBP_DROP_LOOP + has(drugs, MRA) * P.SBP_DROP_MRA
    total = total + has(drugs, SGLT2) * P.SBP_DROP_SGLT2 + has(drugs, GLP1) * P.SBP_DROP_GLP1
    return total * adherence


def ldl_factor(drugs: np.ndarray, adherence: np.ndarray) -> np.ndarray:
    """Multiplier on LDL-C from statins (moderate or high intensity) and ezetimibe (Law 2003; [M])."""
    statin = np.where(
        has(drugs, STATIN_HIGH),
        P.LDL_REDUCTION_STATIN_HIGH,
        np.where(has(drugs, STATIN), P.LDL_REDUCTION_STATIN, 0.0),
    )
    eze = has(drugs, EZE) * P.LDL_REDUCTION_EZETIMIBE
    return (1.0 - statin * adherence) * (1.0 - eze * adherence)


def tg_factor(drugs: np.ndarray, adherence: np.ndarray) -> np.ndarray:
    return 1.0 - has(drugs, STATIN) * P.TG_REDUCTION_STATIN * adherence


def a1c_treated(a1c_untreated: np.ndarray, drugs: np.ndarray, adherence: np.ndarray) -> np.ndarray:
    """HbA1c (%) on glucose-lowering drugs: the summed %-point effects act with diminishing returns above
    a 5.5% floor, floor + (u - floor) * exp(-sum / (u - floor)), so a higher baseline falls further."""
    total = np.zeros(a1c_untreated.shape)
    for name, bit in (
        ("metformin", METF),
        ("sulfonylurea", SU),
        ("dpp4_inhibitor", DPP4),
        ("sglt2_inhibitor", SGLT2),
        ("glp1_receptor_agonist", GLP1),
        ("insulin", INSULIN),
    ):
        total = total + has(drugs, bit) * P.A1C_DROP[name]
    total = total * adherence
    excess = np.clip(a1c_untreated - P.A1C_TREATED_FLOOR, 1e-6, None)
    treated = P.A1C_TREATED_FLOOR + excess * np.exp(-total / excess)
    return np.where(total > 0, np.minimum(treated, a1c_untreated), a1c_untreated)


def log_uacr_drop(drugs: np.ndarray, adherence: np.ndarray) -> np.ndarray:
    ras = has(drugs, ACEI) | has(drugs, ARB)
    return (
        ras * P.UACR_LOG_DROP["ras"]
        + has(drugs, SGLT2) * P.UACR_LOG_DROP["sglt2_inhibitor"]
        + has(drugs, GLP1) * P.UACR_LOG_DROP["glp1_receptor_agonist"]
    ) * adherence


def weight_change_kg(drugs: np.ndarray, adherence: np.ndarray) -> np.ndarray:
    total = np.zeros(drugs.shape)
    for name, bit in (
        ("glp1_receptor_agonist", GLP1),
        ("sglt2_inhibitor", SGLT2),
        ("insulin", INSULIN),
        ("sulfonylurea", SU),
    ):
        total = total + has(drugs, bit) * P.WEIGHT_EFFECT_KG[name]
    return total * adherence


def egfr_acute_dip(drugs: np.ndarray, adherence: np.ndarray) -> np.ndarray:
    """Haemodynamic eGFR dip while on an SGLT2 inhibitor (EMPA-KIDNEY, R49)."""
    return has(drugs, SGLT2) * P.SGLT2_ACUTE_EGFR_DIP * adherence


def treated_levels(
    lat: dict[str, np.ndarray], drugs: np.ndarray, adherence: np.ndarray
) -> dict[str, np.ndarray]:
    """Risk factors on the current drugs: one function for the hazards, the GP review and the visit
    measurements, so they can never disagree."""
    drop = sbp_drop(drugs, lat["sbp"], adherence)
    ldl = lat["ldl"] * ldl_factor(drugs, adherence)
    tg = lat["tg"] * tg_factor(drugs, adherence)
    return {
        "sbp": lat["sbp"] - drop,
        "dbp": lat["dbp"] - drop * P.DBP_TO_SBP_DROP,
        "ldl": ldl,
        "tg": tg,
        "hdl": lat["hdl"],
        "tc": ldl + lat["hdl"] + tg / 2.2,
        "a1c": a1c_treated(lat["a1c"], drugs, adherence),
        "uacr": np.exp(lat["luacr"] - log_uacr_drop(drugs, adherence)),
        "bmi": lat["bmi"],
        "egfr": lat["egfr"],
    }

