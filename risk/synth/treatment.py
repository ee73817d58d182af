"""Prescribing at the yearly review, the way French GPs follow the guidelines: with some inertia.

Each rule is a yearly probability applied to the patients who meet a guideline condition (parameters
section 4 gives the numbers and sources): diagnosis of hypertension and diabetes, start and titration of
antihypertensives (HAS/SFHTA 2016, ESC 2024), statins (ESC/EAS), metformin then second and third line,
SGLT2 inhibitors and GLP-1 RA for cardiorenal indications (ESC 2023, KDIGO), insulin, secondary
prevention after MI, stroke, heart failure and atrial fibrillation, and stopping for poor adherence.
All functions mutate the drug bit field `drugs` in place and return nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk.synth import drugs as D
from risk.synth import parameters as P


@dataclass(kw_only=True, slots=True)
class Review:
    """What the GP sees at this year's review (arrays over all patients; `who` marks those reviewed)."""

    year: int
    who: np.ndarray  # bool: reviewed this year
    age: np.ndarray
    sbp: np.ndarray  # treated, annual level
    dbp: np.ndarray
    ldl: np.ndarray  # treated
    a1c: np.ndarray  # treated, %
    egfr: np.ndarray
    uacr: np.ndarray  # treated, mg/mmol
    bmi: np.ndarray
    risk10: np.ndarray  # SCORE2-family 10-year risk
    dm_dx: np.ndarray
    new_dm_dx: np.ndarray
    htn_dx: np.ndarray
    new_htn_dx: np.ndarray
    prior_cvd: np.ndarray  # MI or stroke, before or this year
    hf: np.ndarray
    af: np.ndarray
    ckd: np.ndarray  # eGFR < 60
    new_mi: np.ndarray
    new_stroke: np.ndarray
    new_hf: np.ndarray
    new_af: np.ndarray
    adherence: np.ndarray


def _start(drugs: np.ndarray, who: np.ndarray, bit: int) -> None:
    drugs[who] |= np.uint32(1 << bit)


def _stop(drugs: np.ndarray, who: np.ndarray, bit: int) -> None:
    drugs[who] &= ~np.uint32(1 << bit)


def _chance(rng: np.random.Generator, p: float | np.ndarray, n: int) -> np.ndarray:
    return rng.random(n) < p


def _available(drug_class: str, year: int) -> bool:
    return year >= P.AVAILABLE_FROM[drug_class]


def _choose(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted choice; -1 where every weight is zero."""
    total = weights.sum(axis=1)
    u = rng.random(len(weights)) * total
    idx = (np.cumsum(weights, axis=1) < u[:, None]).sum(axis=1)
    return np.where(total > 0, np.minimum(idx, weights.shape[1] - 1), -1)


def antihypertensives(
    rng: np.random.Generator, drugs: np.ndarray, r: Review, ras_bit: np.ndarray, order: np.ndarray
) -> None:
    n = len(drugs)
    n_classes = D.count(drugs, D.ANTIHYPERTENSIVE_BITS)
    high_risk = r.dm_dx | r.prior_cvd | r.ckd
    target = np.where(high_risk, P.HTN_TREAT_THRESHOLD_HIGH_RISK, P.HTN_THRESHOLD_SBP)
    above = (r.sbp >= target) | (r.dbp >= P.HTN_THRESHOLD_DBP)
    p_start = np.where(r.new_htn_dx, P.HTN_START_AT_DIAGNOSIS, P.HTN_START_PER_YEAR)
    start = r.who & r.htn_dx & (n_classes == 0) & above & _chance(rng, p_start, n)
    titrate = (
        r.who
        & (n_classes > 0)
        & (n_classes < P.HTN_MAX_CLASSES)
        & above
        & _chance(rng, P.HTN_TITRATE_PER_YEAR, n)
    )
    add = start | titrate
    if not add.any():
        return
    # Next class in the patient's preference order that is not yet taken (RAS first for diabetes).
    slot_bits = np.stack([ras_bit, np.full(n, D.CCB), np.full(n, D.THZ), np.full(n, D.BB)], axis=1)
    ordered = np.take_along_axis(slot_bits, order.astype(np.int64), axis=1)
    ordered = np.where(
        r.dm_dx[:, None] & ~(D.has(drugs, D.ACEI) | D.has(drugs, D.ARB))[:, None],
        np.concatenate([ras_bit[:, None], ordered], axis=1)[:, :4],
        ordered,
    )
    chosen = np.full(n, -1, dtype=np.int64)
    for k in range(4):
        bit = ordered[:, k]
        on = ((drugs >> bit.astype(np.uint32)) & np.uint32(1)).astype(bool)
        ras_slot = (bit == D.ACEI) | (bit == D.ARB)
        on = on | (ras_slot & (D.has(drugs, D.ACEI) | D.has(drugs, D.ARB)))
        pick = add & (chosen < 0) & ~on
        chosen[pick] = bit[pick]
    ok = chosen >= 0
    drugs[ok] |= np.uint32(1) << chosen[ok].astype(np.uint32)


def statins(rng: np.random.Generator, drugs: np.ndarray, r: Review) -> np.ndarray:
    """Start or intensify statins; returns who started (for the dyslipidaemia diagnosis)."""
    n = len(drugs)
    if not _available("statin", r.year):
        return np.zeros(n, dtype=bool)
    on = D.has(drugs, D.STATIN)
    new_event = r.new_mi | r.new_stroke
    p = np.zeros(n)
    p = np.maximum(p, np.where(r.ldl >= P.LDL_VERY_HIGH, P.STATIN_LDL_GE_4_9, 0.0))
    p = np.maximum(p, np.where(r.dm_dx & (r.age >= 40), P.STATIN_DIABETES, 0.0))
    high_risk = np.where(
        r.age < 70, r.risk10 >= P.SCORE2_HIGH_RISK_UNDER_70, r.risk10 >= P.SCORE2_HIGH_RISK_70_PLUS
    ) & (r.ldl >= P.LDL_PRIMARY_TARGET)
    p = np.maximum(p, np.where(high_risk, P.STATIN_HIGH_RISK, 0.0))
    p = np.maximum(p, np.where(r.ckd, P.STATIN_CKD, 0.0))
    p = np.maximum(p, np.where(r.prior_cvd, P.STATIN_SECONDARY_PER_YEAR, 0.0))
    p = np.where(new_event, P.STATIN_AFTER_EVENT, p)
    if r.year < 2000:
        p = p * P.STATIN_BEFORE_2000_FACTOR
    p = np.where(r.age >= 80, p * P.STATIN_AGE_OVER_80_FACTOR, p)
    start = r.who & ~on & _chance(rng, p, n)
    _start(drugs, start, D.STATIN)
    high = (start & new_event & _chance(rng, P.STATIN_HIGH_AFTER_EVENT, n)) | (
        r.who & on & new_event & _chance(rng, P.STATIN_INTENSIFY_AFTER_EVENT, n)
    )
    _start(drugs, high, D.STATIN_HIGH)
    if _available("ezetimibe", r.year):
        eze = (
            r.who
            & D.has(drugs, D.STATIN_HIGH)
            & r.prior_cvd
            & (r.ldl >= P.EZETIMIBE_SECONDARY_LDL_ABOVE)
            & ~D.has(drugs, D.EZE)
            & _chance(rng, P.EZETIMIBE_PER_YEAR, n)
        )
        _start(drugs, eze, D.EZE)
    return start


def glucose_lowering(rng: np.random.Generator, drugs: np.ndarray, r: Review, obese: np.ndarray) -> None:
    n = len(drugs)
    who = r.who & r.dm_dx
    n_agents = D.count(drugs, D.GLUCOSE_BITS)
    # Metformin first (stopped below eGFR 30).
    p_metf = np.where(
        r.new_dm_dx & (r.a1c >= P.A1C_TARGET),
        P.METFORMIN_AT_DIAGNOSIS,
        np.where(
            r.a1c >= P.A1C_TARGET,
            P.METFORMIN_PER_YEAR_A1C_GE7,
            np.where(r.a1c >= P.A1C_DIAGNOSTIC, P.METFORMIN_PER_YEAR_A1C_6_5_TO_7, 0.0),
        ),
    )
    start_metf = who & (n_agents == 0) & (r.egfr >= P.METFORMIN_STOP_EGFR) & _chance(rng, p_metf, n)
    _start(drugs, start_metf, D.METF)
    _stop(drugs, r.who & (r.egfr < P.METFORMIN_STOP_EGFR), D.METF)
    n_agents = D.count(drugs, D.GLUCOSE_BITS)

    def weights(candidates: dict[int, np.ndarray | float]) -> tuple[np.ndarray, list[int]]:
        bits = list(candidates)
        w = np.stack(
            [np.broadcast_to(np.asarray(candidates[b], dtype=float), (n,)) * ~D.has(drugs, b) for b in bits],
            axis=1,
        )
        return w, bits

    y = r.year
    sglt2_ok = _available("sglt2_inhibitor", y) & (r.egfr >= P.SGLT2_MIN_EGFR)
    table = P.SECOND_LINE_WEIGHTS_FROM_2020 if y >= 2020 else P.SECOND_LINE_WEIGHTS_BEFORE_2020
    glp1_w = (
        table["glp1_receptor_agonist"]
        * np.where(obese, P.GLP1_WEIGHT_OBESE_FACTOR, 1.0)
        * _available("glp1_receptor_agonist", y)
    )
    cand = {
        D.SU: table["sulfonylurea"],
        D.DPP4: table["dpp4_inhibitor"] * _available("dpp4_inhibitor", y),
        D.GLP1: glp1_w,
    }
    if y >= 2020:
        cand[D.SGLT2] = table["sglt2_inhibitor"] * sglt2_ok
    second = who & (n_agents == 1) & (r.a1c >= P.A1C_TARGET) & _chance(rng, P.SECOND_LINE_PER_YEAR, n)
    third = who & (n_agents == 2) & (r.a1c >= P.A1C_TARGET + 0.5) & _chance(rng, P.THIRD_LINE_PER_YEAR, n)
    add = second | third
    if add.any():
        w, bits = weights(cand)
        pick = _choose(rng, w)
        for k, bit in enumerate(bits):
            _start(drugs, add & (pick == k), bit)
    insulin = (
        who
        & (D.count(drugs, D.GLUCOSE_BITS) >= 2)
        & (r.a1c >= P.INSULIN_A1C_THRESHOLD)
        & _chance(rng, P.INSULIN_PER_YEAR, n)
    )
    _start(drugs, insulin, D.INSULIN)
    # Cardiorenal protection independent of HbA1c.
    if y >= 2020:
        cardiorenal = who & (r.prior_cvd | r.hf | r.ckd | (r.uacr >= P.ACR_A2)) & sglt2_ok
        _start(drugs, cardiorenal & _chance(rng, P.CARDIORENAL_SGLT2_PER_YEAR, n), D.SGLT2)
    if y >= 2016:
        _start(drugs, who & r.prior_cvd & obese & _chance(rng, P.CARDIORENAL_GLP1_PER_YEAR, n), D.GLP1)
    if y >= P.CKD_SGLT2_NON_DIABETIC_FROM:
        ckd = (
            r.who
            & ~r.dm_dx
            & (r.egfr >= P.SGLT2_MIN_EGFR)
            & (r.egfr < P.EGFR_CKD)
            & (r.uacr >= P.ACR_SGLT2_CKD)
        )
        _start(drugs, ckd & _chance(rng, P.CKD_SGLT2_NON_DIABETIC_PER_YEAR, n), D.SGLT2)
    _stop(drugs, r.who & (r.egfr < P.SGLT2_MIN_EGFR) & ~r.hf, D.SGLT2)


def renal_protection(rng: np.random.Generator, drugs: np.ndarray, r: Review, ras_bit: np.ndarray) -> None:
    n = len(drugs)
    no_ras = ~(D.has(drugs, D.ACEI) | D.has(drugs, D.ARB))
    start = (
        r.who
        & no_ras
        & (r.uacr >= P.ACR_A2)
        & (r.dm_dx | r.htn_dx)
        & _chance(rng, P.RAS_FOR_ALBUMINURIA_PER_YEAR, n)
    )
    drugs[start] |= np.uint32(1) << ras_bit[start].astype(np.uint32)


def after_events(rng: np.random.Generator, drugs: np.ndarray, r: Review, ras_bit: np.ndarray) -> None:
    n = len(drugs)
    no_ras = ~(D.has(drugs, D.ACEI) | D.has(drugs, D.ARB))
    anticoagulated = D.has(drugs, D.DOAC) | D.has(drugs, D.VKA)

    def ras(who: np.ndarray) -> None:
        sel = who & no_ras
        drugs[sel] |= np.uint32(1) << ras_bit[sel].astype(np.uint32)

    mi = r.who & r.new_mi
    _start(drugs, mi & ~anticoagulated & _chance(rng, P.AFTER_MI["antiplatelet"], n), D.ANTIPLATELET)
    _start(drugs, mi & _chance(rng, P.AFTER_MI["beta_blocker"], n), D.BB)
    ras(mi & _chance(rng, P.AFTER_MI["ras"], n))
    st = r.who & r.new_stroke
    _start(
        drugs, st & ~anticoagulated & ~r.af & _chance(rng, P.AFTER_STROKE["antiplatelet"], n), D.ANTIPLATELET
    )
    no_ah = D.count(drugs, D.ANTIHYPERTENSIVE_BITS) == 0
    ras(st & no_ah & _chance(rng, P.AFTER_STROKE["antihypertensive"], n))
    hf = r.who & r.new_hf
    _start(drugs, hf & _chance(rng, P.AFTER_HF["loop_diuretic"], n), D.LOOP)
    _start(drugs, hf & _chance(rng, P.AFTER_HF["beta_blocker"], n), D.BB)
    ras(hf & _chance(rng, P.AFTER_HF["ras"], n))
    _start(drugs, hf & _chance(rng, P.AFTER_HF["mineralocorticoid_antagonist"], n), D.MRA)
    if r.year >= P.HF_SGLT2_FROM:
        _start(
            drugs, hf & (r.egfr >= P.SGLT2_MIN_EGFR) & _chance(rng, P.AFTER_HF["sglt2_inhibitor"], n), D.SGLT2
        )
    af = r.who & (r.new_af | (r.af & ~anticoagulated & _chance(rng, P.AF_ANTICOAGULATION_CATCH_UP, n)))
    anticoag = af & _chance(rng, P.AFTER_AF["anticoagulant"], n)
    doac = anticoag & _available("anticoagulant_doac", r.year) & _chance(rng, P.DOAC_SHARE, n)
    _start(drugs, doac, D.DOAC)
    _start(drugs, anticoag & ~doac & ~D.has(drugs, D.DOAC), D.VKA)
    _stop(drugs, anticoag & ~r.prior_cvd, D.ANTIPLATELET)
    _start(drugs, r.who & r.new_af & _chance(rng, P.AFTER_AF["beta_blocker"], n), D.BB)


def discontinue(rng: np.random.Generator, drugs: np.ndarray, r: Review) -> None:
    """Poor adherers stop drugs: per-year probability base * (1 - a) / (1 - mean a)."""
    n = len(drugs)
    mean_a = P.ADHERENCE_BETA[0] / sum(P.ADHERENCE_BETA)
    scale = np.clip((1.0 - r.adherence) / (1.0 - mean_a), 0.0, 3.0)
    stop_statin = r.who & ~r.prior_cvd & _chance(rng, P.STOP_STATIN_BASE * scale, n)
    for bit in (D.STATIN, D.STATIN_HIGH, D.EZE):
        _stop(drugs, stop_statin, bit)
    stop_ah = r.who & ~r.prior_cvd & ~r.hf & _chance(rng, P.STOP_ANTIHYPERTENSIVE_BASE * scale, n)
    for bit in (D.CCB, D.THZ):  # the add-on classes go first
        drop = stop_ah & D.has(drugs, bit)
        _stop(drugs, drop, bit)
        stop_ah = stop_ah & ~drop
    stop_glucose = r.who & _chance(rng, P.STOP_GLUCOSE_BASE * scale, n)
    for bit in (D.SU, D.DPP4):
        drop = stop_glucose & D.has(drugs, bit)
        _stop(drugs, drop, bit)
        stop_glucose = stop_glucose & ~drop
