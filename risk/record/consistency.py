"""Values that contradict another value of the same day: which one the equations may use, and a visible issue.

A laboratory's eGFR may come from another equation (MDRD, CKD-EPI 2009 with its race term), from a creatinine
assay not standardised to IDMS, or simply be mistyped. The equations here (SCORE2-Diabetes, PREVENT, KFRE) were
fitted with CKD-EPI, so when a reported eGFR disagrees with CKD-EPI 2021 (Inker, NEJM 2021) from the same day's
creatinine by more than 25 % (issue 12; KDIGO 2024 chapter 1.2, GFR evaluation: one validated creatinine equation,
CKD-EPI in Europe; a GP should not act on two numbers that disagree), the reported value is not used: the features
recompute eGFR from that creatinine (risk.features.tables) and the issue says so, with both numbers.
"""

from __future__ import annotations

from datetime import date

from risk.equations import InputError
from risk.equations.ckd_epi import ckd_epi_2021
from risk.record import DataIssue, IssueKind, Measurement

# Relative disagreement above which a reported eGFR is not used (issue 12: "> 25 %"; between two creatinine
# equations the usual difference is well under that: CKD-EPI 2021 vs 2009 about 4-7 mL/min/1.73 m²).
EGFR_DISAGREEMENT = 0.25


def egfr_creatinine_check(measurements: list[Measurement], issues: list[DataIssue], *, sex: str, birth: date) -> None:
    """Remove each reported eGFR that disagrees with CKD-EPI 2021 from the same day's creatinine by > 25 % and
    add an issue naming both values; adults with a known sex only (the equation needs both)."""
    if sex not in ("male", "female"):
        return
    creatinine_by_day: dict[date, Measurement] = {}
    for m in measurements:
        if m.concept == "creatinine" and not m.derived:
            creatinine_by_day[m.time.date()] = m  # the day's last creatinine (the list is sorted by time)
    for egfr in [m for m in measurements if m.concept == "egfr" and not m.derived]:
        day = egfr.time.date()
        creatinine = creatinine_by_day.get(day)
        age = (day - birth).days / 365.25
        if creatinine is None or age < 18:
            continue
        try:
            computed = ckd_epi_2021(sex=sex, age=age, creatinine=creatinine.value)
        except InputError:  # an implausible age (a birth date centuries ago) or creatinine: nothing to compare
            continue
        difference = abs(egfr.value - computed) / computed
        if difference <= EGFR_DISAGREEMENT:
            continue
        measurements.remove(egfr)
        issues.append(
            DataIssue(
                kind=IssueKind.INCONSISTENT,
                concept="egfr",
                time=egfr.time,
                source_id=egfr.source_id,
                message=f"eGFR {egfr.value:g} mL/min/1.73 m² reported on {day} differs by {round(difference * 100)} % "
                f"from CKD-EPI 2021 {round(computed)} mL/min/1.73 m² from the same day's creatinine "
                f"({creatinine.value:g} µmol/L); the CKD-EPI 2021 value is used (the equations expect CKD-EPI)",
                code="record.egfr_creatinine_disagree",
                params={
                    "reported": egfr.value,
                    "computed": round(computed),
                    "creatinine": creatinine.value,
                    "percent": round(difference * 100),
                    "date": day,
                    "creatinine_id": creatinine.source_id,
                },
            )
        )
