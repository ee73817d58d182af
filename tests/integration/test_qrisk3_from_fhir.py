"""QRISK3 from FHIR bundles: every input read from a coded form with its source, by the paper's definitions
(Hippisley-Cox et al., BMJ 2017;357:j2099, Methods), and the French assumptions on every result.

FHIR bundle -> iter_records -> snapshot (features) -> reference_scores["qrisk3"], checked against the equation
called directly with the inputs a clinician would enter.
"""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from risk.assess.snapshot import snapshot
from risk.equations import qrisk3
from risk.equations.applicability import EquationResult, reference_scores
from risk.explain.whatif import SBP_TARGET, what_if
from risk.features.build import row_frame
from risk.i18n.messages import message_text
from risk.record.load import iter_records
from tests.fhir_spec import ATC, BP, ICD10, LOINC, RXNORM, SNOMED, Code, Lab, PatientSpec, write_bundle

AS_OF = date(2024, 6, 30)
VISIT = "2024-03-01"

CISP2 = "http://hl7.org/fhir/sid/icpc-2"
FATHER = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "FTH"}]}
MI = {"coding": [{"system": SNOMED, "code": "22298006", "display": "Myocardial infarction"}]}
# Defaults of the equation for a patient with nothing but the GP work-up below.
NOTHING = dict(
    atrial_fibrillation=False,
    atypical_antipsychotic=False,
    corticosteroids=False,
    erectile_dysfunction=False,
    migraine=False,
    rheumatoid_arthritis=False,
    ckd_3_5=False,
    severe_mental_illness=False,
    sle=False,
    bp_treatment=False,
    family_history_chd=False,
)
SBPS = [(138, "2020-02-10"), (146, "2022-05-03"), (152, VISIT)]  # all within the 5 years before AS_OF


def person(
    pid: str,
    *,
    sex: str = "male",
    conditions: list[Code] | None = None,
    meds: list[Code] | None = None,
    statements: list[Code] | None = None,
    smoking: str = "never",
    extra: list[dict] | None = None,
    labs: list[Lab] | None = None,
    bp: list[BP] | None = None,
) -> PatientSpec:
    """A 58-year-old's GP work-up: a same-day lipid panel, weight and height, three SBP readings in 5 years."""
    base = (
        [
            Lab("total_chol", 5.6, "mmol/L", VISIT),
            Lab("hdl", 1.4, "mmol/L", VISIT),
            Lab("weight", 80, "kg", VISIT),
            Lab("height", 175, "cm", VISIT),
        ]
        if labs is None
        else labs
    )
    readings = [BP(s, 85, d) for s, d in SBPS] if bp is None else bp
    return PatientSpec(
        id=pid,
        sex=sex,
        birth="1966-01-15",
        labs=base,
        bp=readings,
        conditions=conditions or [],
        meds=meds or [],
        statements=statements or [],
        smoking=(smoking, VISIT),
        extra=extra or [],
    )


def result(tmp_path: Path, spec: PatientSpec) -> tuple[EquationResult, Any]:
    (record,) = iter_records(write_bundle(tmp_path, spec))
    view = snapshot(record, AS_OF)
    return reference_scores(view.features, region="low")["qrisk3"], view.features


def expected(features: Any, **changes: Any) -> float:
    """QRISK3 for the standard work-up of `person`, with `changes` (French assumptions: None and 0)."""
    args = dict(
        sex="male",
        age=features["age"],
        ethnicity=None,
        bmi=80 / 1.75**2,
        chol_hdl_ratio=5.6 / 1.4,
        sbp=152.0,
        sbp_sd=statistics.stdev(s for s, _d in SBPS),
        townsend=0.0,
        smoking="non",
        diabetes="none",
        **NOTHING,
    )
    return qrisk3(**(args | changes))


def family_history(pid: str, *, age: float | None, relation: dict = FATHER) -> dict:
    condition: dict[str, Any] = {"code": MI}
    if age is not None:
        condition["onsetAge"] = {"value": age, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}
    return {
        "resourceType": "FamilyMemberHistory",
        "id": f"{pid}-fmh",
        "status": "completed",
        "patient": {"reference": f"urn:uuid:{pid}"},
        "date": "2023-11-02",
        "relationship": relation,
        "condition": [condition],
    }


def cigarettes(pid: str, value: float, unit: str = "/d", code: str = "64218-1") -> dict:
    return {
        "resourceType": "Observation",
        "id": f"{pid}-cig",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"urn:uuid:{pid}"},
        "effectiveDateTime": f"{VISIT}T09:30:00+01:00",
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


# -- the standard work-up: SBP SD by the paper's definition, same-day ratio, French assumptions -------------


def test_standard_work_up_gives_qrisk3_with_sd_of_5_years_and_the_same_day_ratio(tmp_path):
    older = [BP(120, 80, "2018-05-01")]  # more than 5 years before AS_OF: not in the SD
    r, f = result(tmp_path, person("std", bp=[BP(s, 85, d) for s, d in SBPS] + older))
    assert r.status == "computed"
    assert r.risk == pytest.approx(expected(f), abs=1e-12)
    assert r.inputs["qrisk3_sbp_sd"] == {
        "value": pytest.approx(statistics.stdev([138, 146, 152])),
        "unit": "mmHg",
        "date": VISIT,
    }
    assert f["qrisk3_sbp_sd_n"] == 3
    assert r.inputs["chol_hdl_ratio"] == {"value": pytest.approx(4.0), "unit": None, "date": VISIT}
    assert r.inputs["smoking"]["value"] == "non"
    assert r.inputs["ethnicity"] == {"value": None, "unit": None, "assumed": "not recorded"}
    assert r.inputs["townsend"] == {"value": 0.0, "unit": None, "assumed": "UK mean"}


def test_a_french_record_states_both_assumptions_and_the_uk_derivation_in_both_languages(tmp_path):
    r, _f = result(tmp_path, person("fr"))
    codes = [m.code for m in r.warning_messages]
    assert codes[:3] == ["qrisk3.uk_derivation", "qrisk3.ethnicity_assumed", "qrisk3.townsend_assumed"]
    en = [message_text(m, "en") for m in r.warning_messages]
    fr = [message_text(m, "fr") for m in r.warning_messages]
    assert en == r.warnings
    assert "ethnicity is not recorded in French records" in en[1] and "0 assumed" in en[2]
    assert "origine ethnique non renseignée" in fr[1] and "0 supposé" in fr[2]
    assert "SCORE2 stays the ESC reference" in en[0] and "SCORE2 reste la référence de l'ESC" in fr[0]


def test_the_ratio_is_never_made_from_two_different_days(tmp_path):
    labs = [
        Lab("total_chol", 5.6, "mmol/L", VISIT),
        Lab("hdl", 1.4, "mmol/L", "2024-02-01"),
        Lab("weight", 80, "kg", VISIT),
        Lab("height", 175, "cm", VISIT),
    ]
    r, f = result(tmp_path, person("split", labs=labs))
    assert r.risk is None and r.status == "not_computable"
    assert "cholesterol/HDL ratio (same-day pair) missing" in r.reason
    assert r.message.params["concepts"] == ["chol_hdl_ratio"]
    assert "rapport cholestérol total/HDL (même jour)" in message_text(r.message, "fr")


def test_the_latest_same_day_pair_is_used_not_a_later_lone_total_cholesterol(tmp_path):
    labs = [
        Lab("total_chol", 5.6, "mmol/L", VISIT),
        Lab("hdl", 1.4, "mmol/L", VISIT),
        Lab("total_chol", 7.0, "mmol/L", "2024-05-20"),
        Lab("weight", 80, "kg", VISIT),
        Lab("height", 175, "cm", VISIT),
    ]
    r, f = result(tmp_path, person("lone", labs=labs))
    assert f["chol_hdl_ratio"] == pytest.approx(4.0)
    assert r.risk == pytest.approx(expected(f), abs=1e-12)


def test_one_systolic_reading_in_5_years_gives_no_sd_and_says_so(tmp_path):
    r, f = result(tmp_path, person("one", bp=[BP(150, 85, VISIT), BP(170, 95, "2017-01-10")]))
    assert r.risk is None
    assert "SD of systolic blood pressure (two readings or more in 5 years) missing" in r.reason
    assert "écart type de la pression artérielle systolique (au moins deux mesures sur 5 ans)" in message_text(
        r.message, "fr"
    )


# -- conditions from SNOMED CT, CIM-10 and CISP-2 -----------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "code", "argument", "sex"),
    [
        (ICD10, "M06.9", "rheumatoid_arthritis", "male"),
        (CISP2, "L88", "rheumatoid_arthritis", "male"),
        (SNOMED, "55464009", "sle", "female"),
        (ICD10, "M32.1", "sle", "female"),
        (ICD10, "G43.0", "migraine", "female"),
        (CISP2, "N89", "migraine", "female"),
        (SNOMED, "58214004", "severe_mental_illness", "male"),
        (ICD10, "F31.2", "severe_mental_illness", "male"),
        (CISP2, "P72", "severe_mental_illness", "male"),
        (ICD10, "N48.4", "erectile_dysfunction", "male"),
        (CISP2, "Y07", "erectile_dysfunction", "male"),
        (SNOMED, "49436004", "atrial_fibrillation", "male"),
        (ICD10, "N18.3", "ckd_3_5", "male"),
    ],
)
def test_each_condition_is_read_from_its_coded_form(tmp_path, system, code, argument, sex):
    r, f = result(tmp_path, person(f"c{code}".replace(".", ""), sex=sex, conditions=[Code(system, code, "2019-04-02")]))
    assert r.inputs[argument]["value"] is True
    assert r.risk == pytest.approx(expected(f, sex=sex, **{argument: True}), abs=1e-12)
    assert r.risk > expected(f, sex=sex)  # every QRISK3 condition raises the risk


def test_erectile_dysfunction_has_no_term_for_women_and_is_not_counted(tmp_path):
    r, f = result(tmp_path, person("edw", sex="female", conditions=[Code(ICD10, "N48.4", "2019-04-02")]))
    assert r.inputs["erectile_dysfunction"]["value"] is False
    assert r.risk == pytest.approx(expected(f, sex="female"), abs=1e-12)


def test_mild_depression_is_not_severe_mental_illness(tmp_path):
    r, _f = result(tmp_path, person("mild", conditions=[Code(ICD10, "F32.0", "2019-04-02")]))
    assert r.inputs["severe_mental_illness"]["value"] is False


# -- treatments from ATC and RxNorm ------------------------------------------------------------------------


def test_regular_oral_corticosteroids_two_prescriptions_from_atc(tmp_path):
    meds = [Code(ATC, "H02AB06", "2024-05-10", "PREDNISOLONE 5 mg"), Code(ATC, "H02AB06", "2024-06-15")]
    r, f = result(tmp_path, person("ocs", meds=meds))
    assert r.inputs["corticosteroids"]["value"] is True
    assert r.risk == pytest.approx(expected(f, corticosteroids=True), abs=1e-12)


def test_a_single_short_course_of_prednisolone_is_not_regular(tmp_path):
    r, _f = result(tmp_path, person("burst", meds=[Code(ATC, "H02AB06", "2024-06-25", "PREDNISOLONE 20 mg")]))
    assert r.inputs["corticosteroids"]["value"] is False


def test_inhaled_corticosteroid_is_not_an_oral_corticosteroid(tmp_path):
    statements = [Code(ATC, "R03BA02", "2022-01-10", "budesonide inhaled")]
    r, _f = result(tmp_path, person("ics", statements=statements))
    assert r.inputs["corticosteroids"]["value"] is False


@pytest.mark.parametrize(("system", "code"), [(ATC, "N05AH03"), (RXNORM, "89013")])
def test_long_term_atypical_antipsychotic_from_atc_or_rxnorm(tmp_path, system, code):
    r, f = result(tmp_path, person(f"aap{code}", statements=[Code(system, code, "2021-09-01")]))
    assert r.inputs["atypical_antipsychotic"]["value"] is True
    assert r.risk == pytest.approx(expected(f, atypical_antipsychotic=True), abs=1e-12)


def test_haloperidol_a_typical_antipsychotic_is_not_counted(tmp_path):
    r, _f = result(tmp_path, person("halo", statements=[Code(ATC, "N05AD01", "2021-09-01", "haloperidol")]))
    assert r.inputs["atypical_antipsychotic"]["value"] is False


def test_antihypertensive_treatment_from_atc(tmp_path):
    r, f = result(tmp_path, person("bp", statements=[Code(ATC, "C09AA05", "2020-01-01", "ramipril")]))
    assert r.inputs["bp_treatment"]["value"] is True
    assert r.risk == pytest.approx(expected(f, bp_treatment=True), abs=1e-12)


# -- family history ---------------------------------------------------------------------------------------


def test_father_with_myocardial_infarction_at_52_counts(tmp_path):
    r, f = result(tmp_path, person("fh52", extra=[family_history("fh52", age=52)]))
    assert r.inputs["family_history_chd"] == {"value": True, "unit": None, "date": "2023-11-02"}
    assert r.risk == pytest.approx(expected(f, family_history_chd=True), abs=1e-12)
    assert "qrisk3.family_history_age_unknown" not in [m.code for m in r.warning_messages]


def test_father_with_myocardial_infarction_at_65_does_not_count(tmp_path):
    r, f = result(tmp_path, person("fh65", extra=[family_history("fh65", age=65)]))
    assert r.inputs["family_history_chd"]["value"] is False
    assert r.risk == pytest.approx(expected(f), abs=1e-12)


def test_a_grandfather_is_not_a_first_degree_relative(tmp_path):
    grandfather = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "GRFTH"}]}
    r, _f = result(tmp_path, person("gf", extra=[family_history("gf", age=50, relation=grandfather)]))
    assert r.inputs["family_history_chd"]["value"] is False


@pytest.mark.parametrize("how", ["relative_without_age", "snomed_condition", "cim10_condition"])
def test_family_history_without_the_relatives_age_is_not_counted_and_says_so(tmp_path, how):
    spec = {
        "relative_without_age": person("fhna", extra=[family_history("fhna", age=None)]),
        "snomed_condition": person("fhsn", conditions=[Code(SNOMED, "266897007", "2020-01-01")]),
        "cim10_condition": person("fhic", conditions=[Code(ICD10, "Z82.4", "2020-01-01")]),
    }[how]
    r, f = result(tmp_path, spec)
    assert r.inputs["family_history_chd"]["value"] is False
    assert r.risk == pytest.approx(expected(f), abs=1e-12)
    warning = next(m for m in r.warning_messages if m.code == "qrisk3.family_history_age_unknown")
    assert "recorded without the relative's age: not counted" in message_text(warning, "en")
    french = message_text(warning, "fr")
    assert "enregistré sans l'âge du parent" in french and "non compté" in french


# -- smoking: the category needs the amount ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_day", "unit", "code", "category"),
    [
        (5, "/d", "64218-1", "light"),
        (15, "/d", "64218-1", "moderate"),
        (20, "/d", "64218-1", "heavy"),
        (1, "{packs}/d", "8663-7", "heavy"),  # one pack a day = 20 cigarettes
    ],
)
def test_cigarettes_per_day_give_the_smoking_category(tmp_path, per_day, unit, code, category):
    pid = f"cig{per_day}{code[:2]}"
    r, f = result(tmp_path, person(pid, smoking="current", extra=[cigarettes(pid, per_day, unit, code)]))
    assert r.inputs["smoking"]["value"] == category
    assert r.risk == pytest.approx(expected(f, smoking=category), abs=1e-12)


def test_a_snomed_heavy_smoker_finding_gives_heavy(tmp_path):
    finding = {
        "resourceType": "Observation",
        "id": "hv-f",
        "status": "final",
        "code": {"coding": [{"system": SNOMED, "code": "160605003", "display": "Heavy cigarette smoker"}]},
        "subject": {"reference": "urn:uuid:hv"},
        "effectiveDateTime": f"{VISIT}T10:00:00+01:00",
    }
    r, _f = result(tmp_path, person("hv", smoking="current", extra=[finding]))
    assert r.inputs["smoking"]["value"] == "heavy"


def test_a_current_smoker_without_an_amount_gets_no_number_and_the_reason(tmp_path):
    r, _f = result(tmp_path, person("nocig", smoking="current"))
    assert r.risk is None
    assert r.reason == "QRISK3: cigarettes per day missing"
    assert message_text(r.message, "fr").endswith("données manquantes (cigarettes par jour)")


def test_a_former_smoker_is_ex(tmp_path):
    r, f = result(tmp_path, person("ex", smoking="former"))
    assert r.inputs["smoking"]["value"] == "ex"
    assert r.risk == pytest.approx(expected(f, smoking="ex"), abs=1e-12)


def test_cigarettes_in_an_unknown_unit_are_an_issue_not_a_guess(tmp_path):
    pid = "cigkg"
    (record,) = iter_records(write_bundle(tmp_path, person(pid, smoking="current", extra=[cigarettes(pid, 15, "g/d")])))
    (issue,) = [i for i in record.issues if i.concept == "cigarettes_per_day"]
    assert issue.code == "unit.not_convertible"
    assert issue.message == "unit 'g/d' cannot be converted to /day for cigarettes per day"
    assert not [m for m in record.measurements if m.concept == "cigarettes_per_day"]
    assert reference_scores(snapshot(record, AS_OF).features)["qrisk3"].risk is None


@pytest.mark.parametrize(("value", "unit", "code", "shown"), [
    (150, "/d", "64218-1", "Cigarettes per day 150 /day is outside the plausible range 0–100 /day"),
    (6, "{packs}/d", "8663-7", "Cigarettes per day 120 /day is outside the plausible range 0–100 /day"),
])
def test_implausible_cigarettes_per_day_are_refused_on_the_shared_range(tmp_path, value, unit, code, shown):
    pid = "cigmany"
    (record,) = iter_records(write_bundle(tmp_path, person(pid, smoking="current",
                                                           extra=[cigarettes(pid, value, unit, code)])))
    (issue,) = [i for i in record.issues if i.concept == "cigarettes_per_day"]
    assert issue.code == "record.implausible" and issue.message.startswith(shown)
    assert reference_scores(snapshot(record, AS_OF).features)["qrisk3"].risk is None


def test_prior_myocardial_infarction_excludes_qrisk3(tmp_path):
    r, _f = result(tmp_path, person("mi", conditions=[Code(SNOMED, "22298006", "2019-03-02")]))
    assert r.status == "not_applicable"
    assert r.message.code == "equation.prior_conditions"


def test_what_if_rescores_qrisk3_at_the_sbp_target(tmp_path):
    (record,) = iter_records(write_bundle(tmp_path, person("wi")))
    view = snapshot(record, AS_OF)
    frame = row_frame(view.features)
    results = {r.scenario.key: r for r in what_if(frame, {}, {})}
    assert results["sbp"].scenario.changes["sbp"] == SBP_TARGET
    assert results["sbp"].equations["qrisk3"] == pytest.approx(expected(view.features, sbp=SBP_TARGET), abs=1e-12)
    assert results["sbp"].equations["qrisk3"] < reference_scores(view.features)["qrisk3"].risk
