"""Advice safety (project issue 12, part A), each rule on a FHIR bundle of a patient like the one the review
described, read through the real pipeline (bundle -> record -> features -> published equations -> advice).

Every test asserts the exact step, alert or category, or its absence, in French and English.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from risk.advise import NextStep, alerts, next_steps, risk_category
from risk.assess.snapshot import snapshot
from risk.equations import reference_scores
from risk.record import PatientRecord
from risk.record.load import iter_records
from tests.fhir_spec import ATC, BP, ICD10, Code, Lab, PatientSpec, write_bundle

AS_OF = date(2026, 12, 7)


def on(days_ago: int) -> str:
    return (AS_OF - timedelta(days=days_ago)).isoformat()


def born(age: float) -> str:
    return (AS_OF - timedelta(days=round(age * 365.25) + 1)).isoformat()


def read(folder: Path, spec: PatientSpec) -> PatientRecord:
    (record,) = list(iter_records(write_bundle(folder, spec)))
    return record


def features(folder: Path, spec: PatientSpec) -> pd.Series:
    return snapshot(read(folder, spec), AS_OF).features


def advice(folder: Path, spec: PatientSpec, guideline_set: str = "esc_eas2025") -> dict[str, NextStep]:
    f = features(folder, spec)
    return {s.id: s for s in next_steps(f, reference_scores(f.to_dict()), guideline_set=guideline_set)}


def trey(ldl_days_ago: int) -> PatientSpec:
    """Like Trey Leffler: a 69-year-old man, SCORE2 high, no statin, LDL-C 2.75 mmol/L (1.06 g/L)."""
    return PatientSpec(
        id=f"trey-{ldl_days_ago}",
        sex="male",
        birth=born(69),
        labs=[
            Lab("total_chol", 2.02, "g/L", on(ldl_days_ago)),
            Lab("hdl", 0.62, "g/L", on(ldl_days_ago)),
            Lab("ldl", 1.06, "g/L", on(ldl_days_ago)),
        ],
        bp=[BP(142, 84, on(60))],
        smoking=("former", on(60)),
    )


# ---------------------------------------------------------------- stale inputs


def test_a_statin_is_not_started_from_a_seven_year_old_ldl_but_re_measured_first(tmp_path):
    steps = advice(tmp_path, trey(ldl_days_ago=7 * 365), guideline_set="esc2021")
    step = steps["statin_start"]
    last = AS_OF - timedelta(days=7 * 365)
    assert step.remeasure and [t.name for t in step.stale] == ["ldl"]
    assert step.text_en == (
        f"Re-measure LDL cholesterol (last on {last.day} {last.strftime('%b')} {last.year}) "
        "before deciding whether to start a statin: the value is too old to act on."
    )
    assert step.text_fr == (
        f"Recontrôler LDL-cholestérol (dernière mesure le {last:%d/%m/%Y}) avant de décider de "
        "l'introduction d'une statine\u00a0: la valeur est trop ancienne pour décider."
    )
    assert "Start a statin" not in step.text_en and "Débuter" not in step.text_fr
    assert (step.recommendation_class, step.evidence_level) == ("not graded", "not graded")


def test_a_recent_ldl_starts_the_statin_and_the_step_prints_the_date_of_the_ldl(tmp_path):
    steps = advice(tmp_path, trey(ldl_days_ago=40), guideline_set="esc2021")
    step = steps["statin_start"]
    measured = AS_OF - timedelta(days=40)
    assert not step.remeasure and step.text_en.startswith("Start a statin: LDL-C 2.74 mmol/L")
    english = f"{measured.day} {measured.strftime('%b')} {measured.year}"
    assert f"(Values used: LDL cholesterol of {english}.)" in step.text_en
    assert f"(Valeurs utilisées\u00a0: LDL-cholestérol du {measured:%d/%m/%Y}.)" in step.text_fr


# ---------------------------------------------------------------- urgent blood pressure


def untreated(sbp: float, dbp: float, pid: str) -> PatientSpec:
    """A 58-year-old woman, no treatment, lipids of last month, office BP of last week."""
    return PatientSpec(
        id=pid,
        sex="female",
        birth=born(58),
        labs=[Lab("total_chol", 2.1, "g/L", on(30)), Lab("hdl", 0.55, "g/L", on(30)), Lab("ldl", 1.3, "g/L", on(30))],
        bp=[BP(sbp, dbp, on(7))],
        smoking=("never", on(30)),
    )


def test_diastolic_112_gives_an_urgent_alert_and_the_category_names_the_diastolic(tmp_path):
    f = features(tmp_path, untreated(138, 112, "dbp-112"))
    (alert,) = [a for a in alerts(f) if a.id == "bp_severe"]
    week = AS_OF - timedelta(days=7)
    assert alert.text_en.startswith(
        f"Severe blood pressure 138/112 mmHg on {week.day} {week.strftime('%b')} {week.year} "
        "(diastolic BP 112 mmHg ≥110): see the patient promptly. Look for a hypertensive emergency"
    )
    assert alert.text_fr.startswith(
        f"Pression artérielle sévère 138/112 mmHg le {week:%d/%m/%Y} (PA diastolique 112 mmHg ≥ 110)\u00a0: "
        "revoir le patient rapidement. Rechercher une urgence hypertensive"
    )
    assert "without waiting for out-of-office measurement" in alert.text_en
    assert "ESC 2024" in alert.guideline_or_rationale and "HAS/SFHTA 2016" in alert.guideline_or_rationale
    category = risk_category(f, reference_scores(f.to_dict()), "esc2021")
    assert category.basis == "markedly_elevated"
    assert "(diastolic BP 112 mmHg ≥110)" in category.reason_en and "180/110" not in category.reason_en
    assert "(PA diastolique 112 mmHg ≥ 110)" in category.reason_fr


def test_severe_bp_starts_treatment_promptly_and_never_asks_to_confirm_out_of_office_first(tmp_path):
    for guideline_set, rule in (("esc2021", "bp_drug_start_esc2021"), ("esc_eas2025", "bp_drug_start_esc2024")):
        step = advice(tmp_path, untreated(186, 98, f"sbp-186-{rule[-4:]}"), guideline_set)[rule]
        assert step.text_en.startswith(
            "Start BP-lowering drug treatment promptly: BP 186/98 mmHg "
            "(systolic BP 186 mmHg ≥180). Look for a hypertensive emergency"
        )
        assert step.text_fr.startswith(
            "Débuter sans délai un traitement antihypertenseur\u00a0: PA 186/98 mmHg (PA systolique 186 mmHg ≥ 180)"
        )
        assert "Confirm with out-of-office" not in step.text_en and "do not wait for out-of-office" in step.text_en


def test_bp_below_180_110_raises_no_urgent_alert(tmp_path):
    f = features(tmp_path, untreated(176, 104, "bp-176"))
    assert "bp_severe" not in {a.id for a in alerts(f)}
    step = advice(tmp_path, untreated(176, 104, "bp-176b"))["bp_drug_start_esc2024"]
    assert "Confirm with out-of-office measurement" in step.text_en and "promptly" not in step.text_en


# ---------------------------------------------------------------- the very old


def elsy(pid: str = "elsy") -> PatientSpec:
    """Like Elsy Hermiston: 95, primary prevention on atorvastatin and amlodipine, LDL-C 3.83 mmol/L, BP 147/96."""
    return PatientSpec(
        id=pid,
        sex="female",
        birth=born(95),
        labs=[Lab("total_chol", 1.50, "g/L", on(60)), Lab("hdl", 0.62, "g/L", on(60)), Lab("ldl", 1.48, "g/L", on(60))],
        bp=[BP(147, 96, on(20))],
        smoking=("never", on(60)),
        meds=[Code(ATC, "C10AA05", on(900), "atorvastatine"), Code(ATC, "C08CA01", on(900), "amlodipine")],
    )


def test_score2_op_beyond_89_is_shown_for_information_and_sets_no_category(tmp_path):
    f = features(tmp_path, elsy())
    scores = reference_scores(f.to_dict())
    assert scores["score2"].name == "SCORE2-OP" and scores["score2"].risk > 0.2  # computed, with its warning
    c = risk_category(f, scores, "esc_eas2025")
    assert (c.category, c.basis) == ("unknown", "outside_derivation")
    assert "is shown for information only: at age 95 it lies outside the population it was derived in" in c.reason_en
    assert "est donné à titre indicatif\u00a0: à 95 ans, il sort de la population" in c.reason_fr
    steps = advice(tmp_path, elsy("elsy-b"))
    estimate = steps["risk_estimate_score2_op"]
    assert "for information only" in estimate.text_en and "very high" not in estimate.text_en
    assert "à titre indicatif" in estimate.text_fr and "très élevé" not in estimate.text_fr


def test_a_95_year_old_gets_no_maximal_statin_no_ezetimibe_and_ala_ra_bp_wording(tmp_path):
    steps = advice(tmp_path, elsy("elsy-c"))
    assert not {"statin_intensify", "ezetimibe_add", "pcsk9_add", "statin_start"} & set(steps)
    bp = steps["bp_above_target_esc2024"]
    assert bp.text_en.startswith(
        "BP 147/96 mmHg on treatment at age ≥85: aim for a BP as low as reasonably "
        "achievable if tolerated (target: SBP below 140 mmHg and as low as reasonably "
        "achievable, no diastolic target below 80 mmHg)"
    )
    assert bp.text_fr.startswith(
        "PA 147/96 mmHg sous traitement à 85 ans ou plus\u00a0: viser une PA aussi basse que raisonnablement possible"
    )
    assert "70-79" not in bp.text_en


def test_from_75_a_statin_in_primary_prevention_is_considered_at_a_low_dose(tmp_path):
    spec = PatientSpec(
        id="older-78",
        sex="male",
        birth=born(78),
        labs=[Lab("total_chol", 2.6, "g/L", on(30)), Lab("hdl", 0.45, "g/L", on(30)), Lab("ldl", 1.8, "g/L", on(30))],
        bp=[BP(150, 80, on(30))],
        smoking=("current", on(30)),
    )
    steps = advice(tmp_path, spec)
    assert "statin_start" not in steps
    step = steps["statin_start_older_primary_eas"]
    assert step.text_en.startswith("Consider starting a statin for primary prevention (age ≥75")
    assert "start at a low dose and titrate" in step.text_en
    assert "débuter à faible dose et adapter" in step.text_fr
    assert (step.guideline, step.recommendation_class, step.evidence_level) == (
        "ESC/EAS 2019 dyslipidaemias (2025 focused update)",  # the ESC/EAS 2025 set in force
        "IIb",
        "B",
    )


def test_from_70_with_diabetes_a_statin_in_primary_prevention_is_considered_at_a_low_dose(tmp_path):
    spec = PatientSpec(
        id="older-t2d-72",
        sex="male",
        birth=born(72),
        labs=[
            Lab("total_chol", 2.6, "g/L", on(30)),
            Lab("hdl", 0.45, "g/L", on(30)),
            Lab("ldl", 1.8, "g/L", on(30)),
            Lab("hba1c_ifcc", 58, "mmol/mol", on(30)),
            Lab("egfr", 80, "mL/min/{1.73_m2}", on(30)),
        ],
        bp=[BP(150, 80, on(30))],
        smoking=("current", on(30)),
        conditions=[Code(ICD10, "E11.9", on(3650), "Diabète de type 2")],
        meds=[Code(ATC, "A10BA02", on(900), "metformine")],
    )
    steps = advice(tmp_path, spec)
    assert "statin_start" not in steps
    assert steps["statin_start_older_primary_eas"].text_en.startswith(
        "Consider starting a statin for primary prevention (age ≥70"
    )
    assert steps["statin_start_older_primary_eas"].text_fr.startswith(
        "Envisager une statine en prévention primaire (âge ≥ 70 ans"
    )
