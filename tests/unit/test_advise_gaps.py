"""Care gaps: intervals by condition with their source, due dates, "no record" without a made-up date, and
French organised cancer screening by age and sex."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from risk.advise import AdviceInputError, care_gaps
from risk.advise.gaps import add_months
from tests.advise_scenarios import AS_OF, make_features


def _dated(concept: str, value: float, days: int) -> dict:
    return {
        concept: value,
        f"{concept}_date": pd.Timestamp(AS_OF) - pd.Timedelta(days=days),
        f"{concept}_days": float(days),
    }


def _gaps(**columns) -> dict:
    return {g.id: g for g in care_gaps(make_features(**columns), as_of=AS_OF)}


T2D = {"diabetes_t2": 1, "diabetes_any": 1, "diabetes_years": 6.0}


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 11, 15), 3) == date(2024, 2, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_hba1c_at_target_is_due_six_months_after_the_last_test():
    gaps = _gaps(**T2D, **_dated("hba1c", 50.0, 200))
    g = gaps["hba1c"]
    last = date(2024, 12, 12)  # 200 days before 30 Jun 2025
    assert (g.last_done, g.interval_months, g.due) == (last, 6, date(2025, 6, 12))
    assert g.overdue_days == 18
    assert "ADA Standards of Care 2025" in g.guideline
    assert g.text_en == "HbA1c: due since 12 Jun 2025 (last on 12 Dec 2024; every 6 months: diabetes)."
    assert g.text_fr == (
        "HbA1c\u00a0: à faire depuis le 12/06/2025 (dernier le 12/12/2024\u202f; "
        "tous les 6 mois\u00a0: diabète)."
    )


def test_hba1c_above_target_is_due_every_three_months():
    g = _gaps(**T2D, **_dated("hba1c", 70.0, 100))["hba1c"]
    assert g.interval_months == 3 and g.overdue_days == 100 - 92  # 3 calendar months before 30 Jun = 92 days
    assert "above target" in g.text_en


def test_a_recent_test_is_not_a_gap_unless_a_horizon_is_asked():
    f = make_features(**T2D, **_dated("hba1c", 50.0, 150))
    assert "hba1c" not in {g.id for g in care_gaps(f, as_of=AS_OF)}
    upcoming = {g.id: g for g in care_gaps(f, as_of=AS_OF, horizon_days=60)}["hba1c"]
    assert upcoming.overdue_days == -31
    assert upcoming.text_en.startswith("HbA1c: due on 31 Jul 2025")
    assert "à prévoir le 31/07/2025" in upcoming.text_fr


def test_no_record_says_so_and_never_claims_overdue_since_a_date():
    g = _gaps(**T2D)["retinal_exam"]
    assert g.last_done is None and g.no_record and g.overdue_days is None
    assert g.due == AS_OF
    assert (
        g.text_en
        == "No record of retinal exam (fundus or retinal photographs) in the file (every year: diabetes)."
    )
    assert g.text_fr.startswith("Fond d'œil (ou rétinographie)\u00a0: aucune trace dans le dossier")
    assert "since" not in g.text_en


def test_evidence_the_record_cannot_carry_is_not_reported():
    f = make_features(**T2D)
    del f["last_foot_exam_days"]
    ids = {g.id for g in care_gaps(f, as_of=AS_OF)}
    assert "foot_exam" not in ids and "retinal_exam" in ids


@pytest.mark.parametrize(
    ("columns", "months"),
    [
        ({}, 12),  # diabetes: yearly (HAS, ADA)
        (
            {"hba1c": 50.0, "sbp": 128.0, "dbp": 76.0},
            24,
        ),  # no insulin, HbA1c and BP at target: every 2 years (HAS)
        ({"hba1c": 50.0, "sbp": 128.0, "dbp": 76.0, "rx_insulin": 1}, 12),
        ({"hba1c": 50.0, "sbp": 128.0, "dbp": 76.0, "dx_diabetic_retinopathy": 1}, 12),
        ({"hba1c": 60.0, "sbp": 128.0, "dbp": 76.0}, 12),
    ],
)
def test_retinal_exam_interval_depends_on_control_and_insulin(columns, months):
    g = _gaps(**T2D, last_retinal_exam_days=800.0, **columns)["retinal_exam"]
    assert g.interval_months == months
    assert g.last_done == date(2023, 4, 22)


def test_retinal_exam_18_months_ago_is_not_due_for_a_well_controlled_patient():
    assert "retinal_exam" not in _gaps(**T2D, last_retinal_exam_days=550.0, hba1c=50.0, sbp=128.0, dbp=76.0)


@pytest.mark.parametrize(
    ("columns", "months", "source"),
    [
        ({}, 12, "HAS 2014"),
        ({"dx_diabetic_neuropathy": 1}, 6, "IWGDF 2023"),
        ({"dx_diabetic_foot_ulcer": 1}, 3, "IWGDF 2023"),
        ({"dx_amputation": 1, "dx_diabetic_neuropathy": 1}, 3, "IWGDF 2023"),
    ],
)
def test_foot_exam_interval_follows_podiatric_risk(columns, months, source):
    g = _gaps(**T2D, last_foot_exam_days=400.0, **columns)["foot_exam"]
    assert g.interval_months == months and source in g.guideline
    assert "examen des pieds" in g.text_fr.lower()


def test_type1_diabetes_kidney_and_eye_screening_starts_after_five_years():
    young = _gaps(diabetes_t1=1, diabetes_any=1, diabetes_years=3.0, age=30.0)
    older = _gaps(diabetes_t1=1, diabetes_any=1, diabetes_years=6.0, age=30.0)
    assert "uacr" not in young and "retinal_exam" not in young
    assert "uacr" in older and "retinal_exam" in older


@pytest.mark.parametrize(
    ("egfr", "uacr", "months"),
    [
        (50.0, 1.0, 12),  # G3a A1: once a year
        (50.0, 10.0, 6),  # G3a A2: twice
        (40.0, 10.0, 4),  # G3b A2: 3 times
        (20.0, 40.0, 3),  # G4 A3: 4+ times
    ],
)
def test_ckd_monitoring_interval_follows_the_kdigo_heat_map(egfr, uacr, months):
    gaps = _gaps(**_dated("egfr", egfr, 400), **_dated("uacr", uacr, 400))
    assert gaps["egfr"].interval_months == months and gaps["uacr"].interval_months == months
    assert "KDIGO" in gaps["egfr"].guideline


def test_the_latest_of_several_evidence_concepts_closes_the_lipid_gap():
    g = _gaps(age=62.0, hypertension=1, **_dated("ldl", 3.0, 1500), **_dated("total_chol", 5.0, 1200))[
        "lipids"
    ]
    assert g.interval_months == 36
    assert g.last_done == date(2022, 3, 18)  # the total cholesterol, 1200 days before as_of


def test_lipid_check_for_risk_assessment_depends_on_sex_and_age():
    assert "lipids" in _gaps(age=41.0, sex_male=1)
    assert "lipids" not in _gaps(age=45.0, sex_male=0)
    assert "lipids" in _gaps(age=51.0, sex_male=0)


@pytest.mark.parametrize(
    ("columns", "months"),
    [
        ({"age": 30.0, "sbp": 115.0, "dbp": 65.0}, 36),  # <40 with BP <120/70: every 3 years
        ({"age": 30.0, "sbp": 125.0, "dbp": 65.0}, 12),
        ({"age": 45.0, "sbp": 115.0, "dbp": 65.0}, 12),
        ({"age": 30.0, "sbp": 115.0, "dbp": 65.0, "hypertension": 1}, 12),
    ],
)
def test_bp_measurement_interval(columns, months):
    sbp = columns.pop("sbp")
    g = _gaps(**columns, **_dated("sbp", sbp, 1200))["bp"]
    assert g.interval_months == months


@pytest.mark.parametrize(
    ("age", "sex_male", "expected"),
    [
        (49.9, 1, False),
        (50.0, 1, True),
        (74.9, 0, True),
        (75.0, 0, False),
    ],
)
def test_colorectal_screening_is_offered_from_50_to_74(age, sex_male, expected):
    gaps = _gaps(age=age, sex_male=sex_male)
    assert ("colorectal_screening" in gaps) is expected
    if expected:
        g = gaps["colorectal_screening"]
        assert g.no_record and g.interval_months == 24
        assert "dépistage organisé du cancer colorectal" in g.text_fr.lower()


def test_colorectal_screening_25_months_ago_is_overdue():
    g = _gaps(age=60.0, last_colorectal_screening_days=762.0)["colorectal_screening"]
    assert g.overdue_days == 31 and g.last_done == date(2023, 5, 30)


@pytest.mark.parametrize(
    ("age", "sex_male", "expected"), [(55.0, 0, True), (55.0, 1, False), (76.0, 0, False)]
)
def test_breast_screening_is_for_women_50_to_74(age, sex_male, expected):
    assert (
        "breast_screening" in _gaps(age=age, sex_male=sex_male, last_breast_screening_days=900.0)
    ) is expected


def test_screening_by_sex_is_skipped_when_sex_is_unknown():
    gaps = _gaps(age=55.0, sex_male=float("nan"))
    assert "breast_screening" not in gaps and "colorectal_screening" in gaps


@pytest.mark.parametrize(
    ("age", "test", "days", "n_cytology", "months", "due"),
    [
        (27.0, "cytology", 1200.0, 2, 36, True),  # cytology every 3 years at 25-29 after the first two
        (26.0, "cytology", 400.0, 1, 12, True),  # the second cytology one year after the first (HAS 2019)
        (40.0, "hpv", 1500.0, 2, 60, False),  # HPV every 5 years at 30-65: last at 36, not yet due
        (40.0, "hpv", 1900.0, 2, 60, True),
        (31.0, "cytology", 1300.0, 2, 36, True),  # last cytology at 27-28: first HPV test 3 years after it
    ],
)
def test_cervical_screening_intervals_by_age_and_test(age, test, days, n_cytology, months, due):
    columns = {f"last_cervical_{test}_days": days, "n_cervical_cytology": n_cytology if test == "cytology" else 0}
    gaps = care_gaps(make_features(age=age, sex_male=0, **columns), as_of=AS_OF, horizon_days=3650)
    g = {x.id: x for x in gaps}["cervical_screening"]
    assert g.interval_months == months
    assert (g.overdue_days >= 0) is due


@pytest.mark.parametrize(("age", "expected"), [(24.0, False), (25.0, True), (65.9, True), (66.0, False)])
def test_cervical_screening_age_limits(age, expected):
    assert ("cervical_screening" in _gaps(age=age, sex_male=0)) is expected


def test_gaps_are_sorted_most_overdue_first_then_no_record():
    gaps = care_gaps(
        make_features(**T2D, **_dated("hba1c", 50.0, 400), **_dated("uacr", 1.0, 800)), as_of=AS_OF
    )
    overdue = [g.overdue_days for g in gaps if g.overdue_days is not None]
    assert overdue == sorted(overdue, reverse=True)
    first_no_record = next(i for i, g in enumerate(gaps) if g.no_record)
    assert all(g.no_record for g in gaps[first_no_record:])


def test_as_of_is_required():
    with pytest.raises(AdviceInputError, match="needs an as_of date"):
        care_gaps(make_features(), as_of=None)  # type: ignore[arg-type]
