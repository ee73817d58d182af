"""What the yearly simulation shares between its steps: per-patient state, event log, flags and the result.

Kept apart from `simulate.py` so that the yearly step (`events.py`, `yearly_hazards.py`, `progression.py`) and
the record writer can use these types without importing the loop that drives them (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth.population import DAYS_PER_YEAR, Population


class Ev(IntEnum):
    MI = 1
    STROKE = 2  # detail: 0 ischaemic coded precisely, 1 ischaemic coded as unspecified stroke, 2 haemorrhagic
    HF = 3
    AF = 4
    DIALYSIS = 5  # kidney failure: start of dialysis
    RETINOPATHY = 6
    NEUROPATHY = 7
    FOOT_ULCER = 8
    AMPUTATION = 9
    DEATH = 10  # detail: index into codes.CAUSES
    LEFT_PRACTICE = 11
    DX_HYPERTENSION = 12
    DX_DIABETES = 13
    DX_DYSLIPIDAEMIA = 14
    DX_CKD = 15  # detail: 3, 31 (3b), 4, 5
    PCI = 16
    ULCER_HEALED = 17
    DIABETES_ONSET = 18  # hidden truth: never written to FHIR
    # QRISK3 predictors recorded as Conditions (parameters section 10, record_rich.py)
    DX_RHEUMATOID_ARTHRITIS = 19
    DX_SLE = 20
    DX_MIGRAINE = 21
    DX_SEVERE_MENTAL_ILLNESS = 22
    DX_ERECTILE_DYSFUNCTION = 23
    FAMILY_HISTORY_CHD = 24


# Flags stored per recorded year (drive visit and test frequencies in visits.py).
F_HTN, F_DM, F_CVD, F_HF, F_CKD3B, F_DIALYSIS, F_REVIEW, F_TREATED, F_OBESE, F_CKD = (
    1 << i for i in range(10)
)
LATENT_KEYS = ("sbp", "dbp", "ldl", "hdl", "tg", "bmi", "a1c", "egfr", "luacr")


@dataclass(kw_only=True, slots=True)
class EventLog:
    patient: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    detail: list[np.ndarray] = field(default_factory=list)

    def add(self, kind: Ev, who: np.ndarray, day: np.ndarray | float, detail: np.ndarray | int = 0) -> None:
        idx = np.flatnonzero(who)
        if idx.size == 0:
            return
        self.patient.append(idx.astype(np.int32))
        self.day.append(np.broadcast_to(np.asarray(day, dtype=float), who.shape)[idx].copy())
        self.kind.append(np.full(idx.size, int(kind), dtype=np.int8))
        self.detail.append(np.broadcast_to(np.asarray(detail, dtype=np.int16), who.shape)[idx].copy())

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.patient:
            empty = np.zeros(0)
            return {
                "patient": empty.astype(np.int32),
                "day": empty,
                "kind": empty.astype(np.int8),
                "detail": empty.astype(np.int16),
            }
        out = {
            "patient": np.concatenate(self.patient),
            "day": np.concatenate(self.day),
            "kind": np.concatenate(self.kind),
            "detail": np.concatenate(self.detail),
        }
        order = np.lexsort((out["kind"], out["day"], out["patient"]))
        return {k: v[order] for k, v in out.items()}


@dataclass(kw_only=True, slots=True)
class History:
    """What the simulation hands to the record writer (and, for tests only, the hidden truth)."""

    pop: Population
    year0: int  # calendar year of stored index 0
    end_day: float  # extraction date (day number, inclusive)
    latent: dict[str, np.ndarray]  # (n_years + 1, n) at each 1 January, untreated (eGFR: actual)
    smoke: np.ndarray  # (n_years, n) 0 never, 1 former, 2 current during the year
    drugs: np.ndarray  # (n_years + 1, n): [j] before the review of year j, [j + 1] after it
    review_day: np.ndarray  # (n_years, n)
    flags: np.ndarray  # (n_years, n)
    # Hidden truth for calibration checks and tests only (never written): per recorded year, the annual
    # hazard of MI + stroke + fatal CVD, and the SCORE2-family risk a GP would compute from current values.
    cvd_hazard: np.ndarray  # (n_years, n)
    gp_risk10: np.ndarray  # (n_years, n)
    exit_day: np.ndarray  # last day of the record: death, leaving, or the extraction date
    death_day: np.ndarray  # NaN if alive at exit
    death_cause: np.ndarray  # index into codes.CAUSES, -1 if alive
    left_practice: np.ndarray  # bool
    events: dict[str, np.ndarray]


class State:
    """Mutable per-patient state (all arrays of length n)."""

    def __init__(self, n: int) -> None:
        f = lambda v=0.0: np.full(n, v)  # noqa: E731
        b = lambda: np.zeros(n, dtype=bool)  # noqa: E731
        self.started, self.alive, self.present = b(), np.ones(n, dtype=bool), np.ones(n, dtype=bool)
        self.smoke = np.zeros(n, dtype=np.int8)
        self.quit_day = f(np.nan)
        self.w = {name: f() for name in P.TRAITS}
        self.dm_ar = f()
        self.egfr, self.egfr_slope, self.uacr_acc = f(), f(), f()
        self.dm, self.dm_dx, self.htn_dx, self.dyslip_dx = b(), b(), b(), b()
        self.dm_onset_day, self.dm_dx_day, self.a1c_sum, self.a1c_n = f(np.nan), f(np.nan), f(), f()
        self.ckd_coded = np.zeros(n, dtype=np.int8)
        self.egfr_prev_below60 = b()
        self.mi, self.stroke, self.hf, self.af, self.dialysis = b(), b(), b(), b(), b()
        self.kf_target = f(np.nan)
        # running means of the exposures that drive cardiovascular risk (yearly_hazards.py)
        self.sbp_ew, self.tc_ew = f(np.nan), f(np.nan)
        self.sbp_drop_ew, self.ldl_drop_ew = f(np.nan), f(np.nan)
        self.tc_long = f(np.nan)
        self.retino, self.neuro, self.ulcer, self.ever_ulcer, self.amputated = b(), b(), b(), b(), b()
        self.ulcer_heal = f(np.nan)
        self.drugs = np.zeros(n, dtype=np.uint32)
        self.death_day, self.ltfu_day = f(np.nan), f(np.nan)
        self.death_cause = np.full(n, -1, dtype=np.int16)


def smoking_exposure(st: State, day: float) -> np.ndarray:
    """Share of the current-smoker log-hazard each patient carries on `day` (1 current, 0 never, former decays)."""
    years = (day - st.quit_day) / DAYS_PER_YEAR
    return np.where(
        st.smoke == 2, 1.0, np.where(st.smoke == 1, H.former_smoker_exposure(np.nan_to_num(years)), 0.0)
    )
