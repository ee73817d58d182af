"""KDIGO CKD staging: GFR and albuminuria categories, heat-map colour and monitoring frequency.

Source: KDIGO 2012 heat map, retained in KDIGO 2024 (thresholds.json "kdigo"; clinical_reference.md 6.6, [M]:
the 2024 figure may differ slightly in the monitoring numbers). Albuminuria uses UACR in mg/mmol
(A1 <3, A2 3-30, A3 >30). When UACR is unknown the staging is the lowest cell the known eGFR allows
(albuminuria taken as A1) and says so: that under-estimates, never over-states, the kidney risk.
"""

from __future__ import annotations

from dataclasses import dataclass

from risk.advise.data import thresholds
from risk.advise.inputs import Features

_ORDER = {"green": 0, "yellow": 1, "orange": 2, "red": 3}


@dataclass(frozen=True, kw_only=True, slots=True)
class KidneyStage:
    gfr: str | None  # G1..G5, None when eGFR unknown
    albuminuria: str | None  # A1..A3, None when UACR unknown
    colour: str | None  # green, yellow, orange, red (None when eGFR unknown)
    times_per_year: int | None  # KDIGO monitoring frequency; 4 means "4 or more"
    ckd: bool  # CKD present: eGFR <60, UACR >=3 mg/mmol, or a recorded CKD diagnosis / stage
    # ESC 2024 hypertension "moderate or severe CKD" (a high-risk condition): eGFR <60 or UACR >=3 mg/mmol
    # (30 mg/g), or a recorded stage G3-G5; a stage 1-2 diagnosis alone is not enough.
    moderate_or_severe: bool = False

    @property
    def label(self) -> str:
        return f"{self.gfr or 'G?'}{self.albuminuria or 'A?'}"


def gfr_category(egfr: float) -> str:
    for row in thresholds()["kdigo"]["gfr"]:
        if egfr >= row["min"]:
            return row["category"]
    raise ValueError(f"eGFR {egfr} is negative")


def albuminuria_category(uacr_mg_mmol: float) -> str:
    rows = thresholds()["kdigo"]["albuminuria"]
    if uacr_mg_mmol < rows[0]["below"]:
        return rows[0]["category"]
    if uacr_mg_mmol <= rows[1]["below_or_equal"]:
        return rows[1]["category"]
    return rows[2]["category"]


def heat_map(gfr: str, albuminuria: str) -> tuple[str, int]:
    colour, times = thresholds()["kdigo"]["heat_map"][gfr][albuminuria]
    return colour, int(times)


def colour_rank(colour: str | None) -> int:
    return -1 if colour is None else _ORDER[colour]


def lasting_egfr(f: Features) -> float | None:
    """The eGFR that has lasted more than 3 months when the record can tell (features.egfr_persistent), else the
    latest: CKD is an abnormality present for > 3 months (KDIGO 2012, retained 2024), so one acute fall after
    normal values sets no GFR category (issue 12). Drug doses still follow the latest eGFR."""
    lasting = f.num("egfr_persistent")
    return lasting if lasting is not None else f.num("egfr")


def acute_fall(f: Features) -> bool:
    """The latest eGFR is below 60 but was not over the 3 months before it: not (yet) CKD."""
    latest, lasting = f.num("egfr"), f.num("egfr_persistent")
    return latest is not None and lasting is not None and latest < 60.0 <= lasting


def stage(f: Features) -> KidneyStage:
    egfr, uacr = lasting_egfr(f), f.num("uacr")
    g = gfr_category(egfr) if egfr is not None else None
    a = albuminuria_category(uacr) if uacr is not None else None
    colour = times = None
    if g is not None:
        colour, times = heat_map(g, a or "A1")
    ckd_stage = f.num("ckd_stage") or 0.0
    ckd = (
        (egfr is not None and egfr < 60.0)
        or (uacr is not None and uacr >= 3.0)
        or ckd_stage >= 1.0
        or f.yes("dx_ckd")
    )
    measured = (egfr is not None and egfr < 60.0) or (uacr is not None and uacr >= 3.0)
    return KidneyStage(gfr=g, albuminuria=a, colour=colour, times_per_year=times, ckd=bool(ckd),
                       moderate_or_severe=bool(measured or ckd_stage >= 3.0))
