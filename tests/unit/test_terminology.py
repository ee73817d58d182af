"""Codes to clinical concepts (risk.terminology): value sets, systems, CIM-10 variants, drug classes."""

from __future__ import annotations

import doctest
import importlib.util
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import risk.terminology.codeable
import risk.terminology.conditions
import risk.terminology.drug_names
import risk.terminology.medications
import risk.terminology.observations
import risk.terminology.systems
from risk.terminology import (
    BP_PANEL,
    NOT_MAPPED_OBSERVATIONS,
    canonical_system,
    concepts_from_codeable,
    condition_concepts,
    is_social_finding,
    medication_classes,
    medication_match,
    observation_concept,
    observation_match,
    procedure_concepts,
    smoking_answer,
    smoking_answer_from_codeable,
)
from risk.terminology.concepts import (
    CARE_EVIDENCE_CONCEPTS,
    DIAGNOSIS_CONCEPTS,
    MEASUREMENT_CONCEPTS,
    MEDICATION_CONCEPTS,
)
from tests.paths import REPO

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
CIM10_ANS = "https://smt.esante.gouv.fr/terminologie-cim-10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ROOT = REPO
DATA = ROOT / "risk" / "terminology" / "data"


# --- observations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code, concept", [
    ("55284-4", BP_PANEL), ("85354-9", BP_PANEL), ("8480-6", "sbp"), ("8462-4", "dbp"),
    ("8459-0", "sbp"), ("8461-6", "sbp"), ("8453-3", "dbp"), ("8455-8", "dbp"),
    ("2093-3", "total_chol"), ("14647-2", "total_chol"), ("2085-9", "hdl"), ("14646-4", "hdl"),
    ("13457-7", "ldl"), ("18262-6", "ldl"), ("2089-1", "ldl"), ("22748-8", "ldl"), ("39469-2", "ldl"),
    ("69419-0", "ldl"), ("43396-1", "non_hdl"), ("70204-3", "non_hdl"), ("2571-8", "triglycerides"),
    ("14927-8", "triglycerides"), ("2345-7", "glucose"), ("2339-0", "glucose"), ("14749-6", "glucose"),
    ("1558-6", "glucose"), ("14771-0", "glucose"), ("4548-4", "hba1c"), ("17856-6", "hba1c"),
    ("59261-8", "hba1c"), ("2160-0", "creatinine"), ("38483-4", "creatinine"), ("14682-9", "creatinine"),
    ("59826-8", "creatinine"), ("98979-8", "egfr"), ("62238-1", "egfr"), ("77147-7", "egfr"),
    ("33914-3", "egfr"), ("48642-3", "egfr"), ("9318-7", "uacr"), ("14959-1", "uacr"), ("32294-1", "uacr"),
    ("14585-4", "uacr"), ("39156-5", "bmi"), ("29463-7", "weight"), ("8302-2", "height"),
    ("8867-4", "heart_rate"), ("1751-7", "albumin"), ("17861-6", "calcium"), ("2000-8", "calcium"),
    ("49765-1", "calcium"), ("2777-1", "phosphate"), ("14879-1", "phosphate"), ("1963-8", "bicarbonate"),
    ("20565-8", "bicarbonate"), ("72166-2", "smoking_status"), ("11367-0", "smoking_status"),
    ("57905-2", "colorectal_screening"), ("71490-7", "retinal_exam"), ("24606-6", "breast_screening"),
    ("10524-7", "cervical_cytology"), ("30167-1", "cervical_hpv"),
])
def test_loinc_codes_map_to_concepts(code, concept):
    assert observation_concept(LOINC, code) == concept


@pytest.mark.parametrize("code", ["35591-7", "8460-8", "8454-1", "96607-7", "96608-5", "96609-3"])
def test_deliberately_unmapped_observations_say_why(code):
    assert observation_concept(LOINC, code) is None
    assert NOT_MAPPED_OBSERVATIONS[code]


def test_cockcroft_gault_clearance_is_not_an_egfr():
    assert observation_concept(LOINC, "35591-7") is None
    assert "NOT an eGFR" in NOT_MAPPED_OBSERVATIONS["35591-7"]


def test_fasting_glucose_maps_to_glucose_with_a_fasting_qualifier():
    assert observation_match(LOINC, "1558-6").qualifier == "fasting"
    assert observation_match(LOINC, "2345-7").qualifier is None
    assert observation_match(LOINC, "98979-8").qualifier == "ckd_epi_2021"


def test_similar_codes_of_other_analytes_do_not_map():
    assert observation_concept(LOINC, "5792-7") is None  # glucose in urine by test strip
    assert observation_concept(LOINC, "1994-3") is None  # ionised calcium
    assert observation_concept(LOINC, "72514-3") is None  # pain score


def test_observation_system_aliases_and_bare_codes():
    assert observation_concept("urn:oid:2.16.840.1.113883.6.1", "2085-9") == "hdl"
    assert observation_concept("https://loinc.org/", " 2085-9 ") == "hdl"
    assert observation_concept(None, "2085-9") == "hdl"  # LOINC check-digit form is unambiguous
    assert observation_concept(None, "44054006") is None
    assert observation_concept(SCT, "2085-9") is None
    assert observation_concept("http://example.org/lab", "2085-9") is None


def test_smoking_answers():
    assert smoking_answer(SCT, "266919005") == 0
    assert smoking_answer(SCT, "8517006") == 1
    for code in ("449868002", "428041000124106", "77176002", "428071000124103", "428061000124105"):
        assert smoking_answer(SCT, code) == 2
    assert smoking_answer(LOINC, "LA18976-3") == 2 and smoking_answer(LOINC, "LA15920-4") == 1
    assert smoking_answer(LOINC, "LA18978-9") == 0


def test_non_smoker_and_unknown_are_no_value():
    assert smoking_answer(SCT, "8392000") is None  # never OR former: not 'never'
    assert smoking_answer(SCT, "266927001") is None
    assert smoking_answer(LOINC, "LA18980-5") is None
    assert smoking_answer(ICD10, "266919005") is None


def test_smoking_answer_from_codeable_detects_disagreement():
    never = {"system": SCT, "code": "266919005"}
    former_la = {"system": LOINC, "code": "LA15920-4"}
    never_la = {"system": LOINC, "code": "LA18978-9"}
    assert smoking_answer_from_codeable({"coding": [never, never_la]}) == 0
    assert smoking_answer_from_codeable({"coding": [never, former_la]}) is None


# --- systems --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("uri, canonical", [
    ("http://hl7.org/fhir/sid/icd-10", ICD10), ("https://smt.esante.gouv.fr/terminologie-cim-10/", ICD10),
    ("http://data.esante.gouv.fr/atih/cim10", ICD10), ("urn:oid:2.16.840.1.113883.6.3", ICD10),
    ("https://mos.esante.gouv.fr/NOS/TRE_R310-CIM10/FHIR/TRE-R310-CIM10", ICD10),
    ("http://hl7.org/fhir/sid/icd-10-cm", ICD10CM), ("http://www.whocc.no/atc", ATC),
    ("https://smt.esante.gouv.fr/terminologie-atc", ATC), ("urn:oid:2.16.840.1.113883.6.73", ATC),
    ("http://www.nlm.nih.gov/research/umls/rxnorm", RXNORM), ("urn:oid:2.16.840.1.113883.6.96", SCT),
    ("HTTP://SNOMED.INFO/SCT", SCT),
])
def test_system_aliases(uri, canonical):
    assert canonical_system(uri) == canonical


def test_unknown_systems_are_none():
    assert canonical_system("http://example.org/codes") is None
    assert canonical_system(None) is None and canonical_system("") is None


# --- conditions -----------------------------------------------------------------------------------------

T2 = {"diabetes_type2", "diabetes_any"}


@pytest.mark.parametrize("code", ["E11.9", "E119", "e11.9", "E11.9+0", "E11.9+1", " E11.9 ", "E11", "E11.-"])
def test_cim10_type2_diabetes_variants(code):
    assert condition_concepts(CIM10_ANS, code) == T2
    assert condition_concepts(ICD10, code) == T2


def test_cim10_dagger_asterisk_and_complication_codes():
    assert condition_concepts(ICD10, "E11.2†") == T2 | {"diabetic_nephropathy"}
    assert condition_concepts(ICD10, "N08.3*") == {"diabetic_nephropathy", "diabetes_any"}
    assert condition_concepts(ICD10, "E10.3") == {"diabetes_type1", "diabetes_any", "diabetic_retinopathy"}
    assert condition_concepts(ICD10, "E114") == T2 | {"diabetic_neuropathy"}


def test_cim10_cardiovascular_and_kidney_codes():
    assert condition_concepts(CIM10_ANS, "I21.4") == {"myocardial_infarction", "coronary_heart_disease"}
    assert condition_concepts(CIM10_ANS, "I252") == {"myocardial_infarction_history",
                                                     "coronary_heart_disease"}
    assert condition_concepts(CIM10_ANS, "N18.3") == {"ckd", "ckd_stage_3"}
    assert condition_concepts(CIM10_ANS, "N185") == {"ckd", "ckd_stage_5"}
    assert condition_concepts(CIM10_ANS, "I10.+0") == {"hypertension"}  # ATIH extension of I10
    assert condition_concepts(CIM10_ANS, "I110") == {"hypertension", "heart_failure"}
    assert condition_concepts(CIM10_ANS, "I63.9") == {"stroke_ischaemic", "stroke"}
    assert condition_concepts(CIM10_ANS, "I64") == {"stroke"}
    assert condition_concepts(CIM10_ANS, "G45.9") == {"tia"}
    assert condition_concepts(CIM10_ANS, "I48.0") == {"atrial_fibrillation"}
    assert condition_concepts(CIM10_ANS, "Z99.2") == {"esrd"}


def test_codes_outside_the_value_sets_map_to_nothing():
    assert condition_concepts(ICD10, "J45.9") == frozenset()  # asthma
    assert condition_concepts(ICD10, "not a code") == frozenset()
    assert condition_concepts(ICD10, "I20-I25") == frozenset()  # a range is not a code
    assert condition_concepts("http://example.org", "E11.9") == frozenset()
    assert condition_concepts(None, "E11.9") == frozenset()  # a bare code could be ICD-10 or ICD-10-CM


def test_lower_limb_ulcer_alone_is_not_a_diabetic_foot_ulcer():
    assert condition_concepts(ICD10, "L97") == frozenset()


def test_icd10_cm_specifics():
    assert condition_concepts(ICD10CM, "E11.621") == T2 | {"diabetic_foot_ulcer"}
    assert condition_concepts(ICD10CM, "E11.51") == T2  # CM: angiopathy without gangrene, not an ulcer
    assert condition_concepts(ICD10CM, "N18.6") == {"esrd", "ckd"}
    assert condition_concepts(ICD10CM, "E11.22") == T2 | {"diabetic_nephropathy"}
    assert condition_concepts(ICD10CM, "R73.03") == {"prediabetes"}


def test_snomed_complication_codes_that_say_type_2_also_give_type_2_diabetes():
    assert condition_concepts(SCT, "90781000119102") == T2 | {"diabetic_nephropathy"}
    assert condition_concepts(SCT, "368581000119106") == T2 | {"diabetic_neuropathy"}
    # 'due to diabetes mellitus' without a type: any diabetes, not type 2
    assert condition_concepts(SCT, "127013003") == {"diabetic_nephropathy", "diabetes_any"}


def test_snomed_conditions():
    assert condition_concepts(SCT, "44054006") == T2
    assert condition_concepts(SCT, "38341003") == {"hypertension"}
    assert condition_concepts(SCT, "59621000") == {"hypertension"}
    assert condition_concepts(SCT, "22298006") == {"myocardial_infarction", "coronary_heart_disease"}
    assert condition_concepts(SCT, "433144002") == {"ckd_stage_3", "ckd"}
    assert condition_concepts(SCT, "161665007") == {"kidney_transplant"}
    assert condition_concepts(SCT, "399261000") == {"coronary_revascularisation"}
    assert condition_concepts(SCT, "429280009") == {"amputation"}
    assert condition_concepts(SCT, "237602007") == frozenset()  # metabolic syndrome: no concept


def test_findings_the_value_sets_keep_are_diagnoses():
    assert condition_concepts(SCT, "162864005") == {"obesity"}  # BMI 30+ (finding)
    assert condition_concepts(SCT, "408512008") == {"obesity"}
    assert condition_concepts(SCT, "714628002") == {"prediabetes"}  # Prediabetes (finding)
    assert condition_concepts(SCT, "15777000") == {"prediabetes"}
    assert condition_concepts(SCT, "449868002") == {"smoking_current"}
    for code, display in [("162864005", "Body mass index 30+ - obesity (finding)"),
                          ("714628002", "Prediabetes (finding)"),
                          ("449868002", "Smokes tobacco daily (finding)")]:
        assert not is_social_finding(SCT, code, display)


def test_synthea_social_finding_is_not_a_diagnosis():
    assert condition_concepts(SCT, "160903007") == frozenset()
    assert is_social_finding(SCT, "160903007", "Full-time employment (finding)")
    assert is_social_finding(SCT, "73595000", None)  # Stress, recognised by code alone


def test_unlisted_social_finding_is_recognised_by_its_display():
    assert is_social_finding(SCT, "1234567001", "Food insecurity (finding)")
    assert not is_social_finding(SCT, "84229001", "Fatigue (finding)")  # a symptom, not social
    assert not is_social_finding(SCT, "44054006", "Diabetes mellitus type 2 (disorder)")


# --- procedures -----------------------------------------------------------------------------------------


def test_procedures():
    assert procedure_concepts(SCT, "232717009") == {"coronary_revascularisation"}
    assert procedure_concepts(SCT, "415070008") == {"coronary_revascularisation"}
    assert procedure_concepts(SCT, "265764009") == {"esrd"}  # dialysis
    assert procedure_concepts(SCT, "70536003") == {"kidney_transplant"}
    assert procedure_concepts(SCT, "180030006") == {"amputation"}
    assert procedure_concepts(SCT, "73761001") == {"colonoscopy"}  # not the programme's FIT (issue 12)
    assert procedure_concepts(SCT, "722161008") == {"retinal_exam"}
    assert procedure_concepts(SCT, "401191002") == {"foot_exam"}
    assert procedure_concepts(SCT, "24623002") == {"breast_screening"}
    assert procedure_concepts(SCT, "90226004") == {"cervical_cytology"}
    assert procedure_concepts(SCT, "241055006") == frozenset()  # symptomatic mammogram: not screening
    assert procedure_concepts(LOINC, "24606-6") == {"breast_screening"}  # report code closes the gap too
    assert procedure_concepts(LOINC, "2085-9") == frozenset()
    assert procedure_concepts(SCT, "46028000") == frozenset()  # hand amputation: not a diabetic-foot outcome


# --- medications ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code, classes", [
    ("C10AA05", {"statin"}), ("C09AA04", {"ace_inhibitor"}), ("C09CA01", {"arb"}),
    ("C09DA01", {"arb", "thiazide_diuretic"}),  # losartan and diuretics
    ("C09BB04", {"ace_inhibitor", "calcium_channel_blocker"}),  # perindopril and amlodipine
    ("C09BX01", {"ace_inhibitor", "calcium_channel_blocker", "thiazide_diuretic"}),
    ("C10BX03", {"statin", "calcium_channel_blocker"}), ("C10BA02", {"statin", "ezetimibe"}),
    ("C10BA10", {"ezetimibe", "other_lipid_lowering"}),  # bempedoic acid + ezetimibe: no statin
    ("A10BD07", {"metformin", "dpp4_inhibitor"}), ("A10BD15", {"metformin", "sglt2_inhibitor"}),
    ("A10AE54", {"insulin", "glp1_receptor_agonist"}), ("B01AF51", {"anticoagulant_doac", "antiplatelet"}),
    ("C07FX04", {"beta_blocker", "antiplatelet"}), ("B01AC06", {"antiplatelet"}),
    ("C07AA06", {"beta_blocker"}),  # oral timolol
    ("C03DA01", {"mineralocorticoid_antagonist"}), ("C03CA01", {"loop_diuretic"}),
    ("B01AA12", {"anticoagulant_vka"}), ("A10BB09", {"sulfonylurea"}), ("A10BX16", {"glp1_receptor_agonist"}),
])
def test_atc_codes_and_combinations(code, classes):
    assert medication_classes(ATC, code) == classes


@pytest.mark.parametrize("code", [
    "N02BA01",  # analgesic aspirin
    "S01ED01",  # timolol eye drops
    "B01AC16", "B01AC17", "B01AC13", "B01AC25",  # IV antiplatelets
    "B01AC21",  # treprostinil (pulmonary hypertension)
    "C10",  # a therapeutic group, not a product
])
def test_atc_exclusions_and_non_class_codes(code):
    assert medication_classes(ATC, code) == frozenset()


def test_atc_spellings_and_systems():
    assert medication_classes("https://smt.esante.gouv.fr/terminologie-atc", "c10aa05") == {"statin"}
    assert medication_classes(ATC, "C10A A05") == {"statin"}
    assert medication_classes(None, "C10AA05") == {"statin"}  # full 7-character ATC form is unambiguous
    assert medication_classes(None, "C10AA") == frozenset()


def test_a_known_atc_code_is_final_even_with_a_display():
    # the ATC tables cover every class: no text match can add a class to an ATC-coded analgesic
    m = medication_match(ATC, "N02BA01", "Aspirine 100 mg")
    assert m.classes == frozenset() and m.known_code and not m.by_text


def test_rxnorm_codes_used_by_synthea():
    assert medication_classes(RXNORM, "316672") == {"statin"}  # 'Simvistatin 10 MG' (sic)
    assert medication_classes(RXNORM, "314076") == {"ace_inhibitor"}
    assert medication_classes(RXNORM, "106892") == {"insulin"}
    assert medication_classes(RXNORM, "999970") == {"arb", "calcium_channel_blocker", "thiazide_diuretic"}
    assert medication_classes(RXNORM, "83367") == {"statin"}  # atorvastatin ingredient
    assert medication_classes(RXNORM, "243670") == {"antiplatelet"}  # aspirin 81 mg


def test_acute_products_are_not_chronic_therapy():
    m = medication_match(RXNORM, "1719286", "10 ML Furosemide 10 MG/ML Injection")
    assert m.acute and m.classes == {"loop_diuretic"} and not m.by_text
    assert medication_classes(RXNORM, "1719286") == frozenset()
    assert medication_classes(RXNORM, "200349") == frozenset()  # eptifibatide infusion
    # a parenteral anticoagulant stays what it is
    assert medication_classes(RXNORM, "854228") == {"anticoagulant_parenteral"}


def test_aspirin_ingredient_code_is_not_mapped_because_it_covers_analgesic_aspirin():
    m = medication_match(RXNORM, "1191", "aspirin")
    assert m.known_code and m.classes == frozenset()


@pytest.mark.parametrize("text, classes", [
    ("ATORVASTATINE 20 mg, comprimé pelliculé", {"statin"}),
    ("Metformine 1000 mg", {"metformin"}),
    ("PÉRINDOPRIL/AMLODIPINE 5 mg/5 mg", {"ace_inhibitor", "calcium_channel_blocker"}),
    ("irbésartan hydrochlorothiazide 300/12,5", {"arb", "thiazide_diuretic"}),
    ("sitagliptine/metformine", {"dpp4_inhibitor", "metformin"}),
    ("Insuline glargine 100 U/mL stylo", {"insulin"}),
    ("sémaglutide 1 mg solution injectable en stylo", {"glp1_receptor_agonist"}),
    ("énoxaparine 4000 UI/0,4 mL solution injectable", {"anticoagulant_parenteral"}),
    ("acide acétylsalicylique 75 mg", {"antiplatelet"}),
    ("Aspirin 81 MG Oral Tablet", {"antiplatelet"}),
    ("Fluindione 20 mg", {"anticoagulant_vka"}),
    ("Apixaban 5 mg", {"anticoagulant_doac"}),
])
def test_text_match_on_ingredient_names(text, classes):
    m = medication_match("http://example.org/cip13", "3400930000000", text)
    assert m.by_text and m.classes == classes
    assert medication_classes(None, None, text) == classes


@pytest.mark.parametrize("text", [
    "Aspirine 500 mg",  # analgesic dose
    "Aspirin",  # no dose: cannot tell
    "Acetaminophen 250 MG / Aspirin 250 MG / Caffeine 65 MG Oral Tablet",  # analgesic combination
    "Timolol 0,5 % collyre en solution",  # eye drops
    "Lipitor 20 mg",  # brand names are not matched
    "Statin therapy",  # class words are not ingredients
    "Insulin pen needles 4 mm",  # a device
    "pravastatinexyz 20 mg",  # not a whole word
])
def test_text_match_refuses_unsafe_texts(text):
    assert medication_classes(None, None, text) == frozenset()


def test_injected_oral_drug_from_text_is_acute():
    m = medication_match(None, None, "Furosémide 20 mg/2 mL solution injectable IV")
    assert m.by_text and m.acute and m.classes == {"loop_diuretic"}
    assert m.chronic_classes == frozenset()


def test_text_is_not_used_when_the_code_is_known():
    m = medication_match(RXNORM, "316672", "something else entirely")
    assert m.classes == {"statin"} and not m.by_text
    # an RxNorm product outside the value sets falls back to its display
    m = medication_match(RXNORM, "617318", "atorvastatin 20 MG Oral Tablet [Lipitor]")
    assert m.classes == {"statin"} and m.by_text


# --- CodeableConcept helper -----------------------------------------------------------------------------


def test_codeable_checks_every_coding():
    cc = {"coding": [{"system": "http://lab.example/local", "code": "CHOL-HDL"},
                     {"system": LOINC, "code": "2085-9"}]}
    assert concepts_from_codeable(cc, "observation") == {"hdl"}
    cc = {"coding": [{"system": ICD10, "code": "E11.2"}, {"system": SCT, "code": "127013003"}]}
    assert concepts_from_codeable(cc, "condition") == T2 | {"diabetic_nephropathy"}
    assert concepts_from_codeable({"coding": [{"system": SCT, "code": "265764009"}]}, "procedure") == {"esrd"}


def test_codeable_medication_uses_codes_first_then_text():
    coded = {"coding": [{"system": ATC, "code": "C10AA05"}], "text": "metformine"}
    assert concepts_from_codeable(coded, "medication") == {"statin"}
    text_only = {"coding": [{"system": "urn:oid:1.2.250.1.213.2.3.1", "code": "3400930000000",
                             "display": "KARDEGIC 75 mg"}], "text": "ROSUVASTATINE 10 mg"}
    assert concepts_from_codeable(text_only, "medication") == {"statin"}
    acute = {"coding": [{"system": RXNORM, "code": "1719286"}], "text": "furosemide"}
    assert concepts_from_codeable(acute, "medication") == frozenset()


def test_codeable_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown kind"):
        concepts_from_codeable({"coding": []}, "allergy")  # type: ignore[arg-type]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["coding", "system", "code", "display", "text", "x"]), children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(cc=_JSON, kind=st.sampled_from(["observation", "condition", "procedure", "medication"]))
def test_codeable_never_raises_on_malformed_input(cc, kind):
    assert isinstance(concepts_from_codeable(cc, kind), frozenset)
    smoking_answer_from_codeable(cc)


@settings(max_examples=300, deadline=None)
@given(system=st.one_of(st.none(), st.text(max_size=30), st.sampled_from([ICD10, ATC, RXNORM, SCT, LOINC])),
       code=st.text(max_size=12), display=st.one_of(st.none(), st.text(max_size=60)))
def test_lookups_never_raise(system, code, display):
    condition_concepts(system, code)
    procedure_concepts(system, code)
    observation_concept(system, code)
    smoking_answer(system, code)
    is_social_finding(system, code, display)
    assert medication_classes(system, code, display) <= set(MEDICATION_CONCEPTS)


# --- the data files -------------------------------------------------------------------------------------


def test_data_files_name_only_known_concepts_and_carry_sources():
    allowed_obs = set(MEASUREMENT_CONCEPTS) | set(CARE_EVIDENCE_CONCEPTS) | {BP_PANEL}
    for name, field, allowed in [("conditions.json", "concepts", set(DIAGNOSIS_CONCEPTS)),
                                 ("procedures.json", "concepts",
                                  set(DIAGNOSIS_CONCEPTS) | set(CARE_EVIDENCE_CONCEPTS)),
                                 ("medications.json", "classes", set(MEDICATION_CONCEPTS))]:
        data = json.loads((DATA / name).read_text(encoding="utf-8"))
        assert "attribution" in data["_about"] and data["_about"]["sources"]
        for e in data["entries"]:
            assert set(e.get(field, ())) <= allowed, (name, e["code"])
            assert e["mark"] in ("V2+", "V1", "M")
            assert all(row.get("source") for row in e["rows"]), (name, e["code"])
    obs = json.loads((DATA / "observations.json").read_text(encoding="utf-8"))
    for e in obs["entries"]:
        assert e.get("concept") is None or e["concept"] in allowed_obs
        assert e["source"] and e["mark"] in ("V2+", "V1", "M")


SHARED = ROOT.parent / "shared"


@pytest.mark.skipif(not (SHARED / "reference" / "value_sets.json").exists(), reason="shared/ not present")
def test_data_files_are_in_sync_with_the_value_sets(tmp_path):
    spec = importlib.util.spec_from_file_location("build_terminology_data",
                                                  ROOT / "scripts" / "build_terminology_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for f in sorted(tmp_path.iterdir()):
        assert f.read_text(encoding="utf-8") == (DATA / f.name).read_text(encoding="utf-8"), (
            f"{f.name} is stale: run scripts/build_terminology_data.py")


@pytest.mark.parametrize("module", [
    risk.terminology.systems, risk.terminology.observations, risk.terminology.conditions,
    risk.terminology.medications, risk.terminology.drug_names, risk.terminology.codeable,
])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.failed == 0
