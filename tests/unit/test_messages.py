"""Coded messages: one catalogue in two languages, every code the library emits in it, and the catalogue's English
kept identical to the English strings the equations and the record still carry (their public API)."""

from __future__ import annotations

import ast
import json
import math
import string
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.equations import InputError, kfre_result, prevent, reference_scores, score2, score2_diabetes
from risk.equations.applicability import STATUSES, EquationResult
from risk.equations.ranges import derivation_range_check
from risk.i18n import NNBSP
from risk.i18n.messages import CATALOGUE, concept_label, equation_label, message_json, message_text
from risk.record import DataIssue, IssueKind, issue_message
from risk.record.build import build_record
from risk.terminology.messages import Message
from risk.terminology.units import from_canonical, plausibility_message, plausibility_problem, to_canonical
from tests.paths import REPO

ROOT = REPO
CATALOGUE_FILE = ROOT / "risk" / "i18n" / "messages.json"
PRODUCERS = ("Message", "DataIssue", "RangeIssue")
# Parameters worded by the renderer; every other text parameter is the source's own words, shown as given.
WORDED_PARAMS = {"concept", "concepts", "condition", "conditions", "model", "equation", "variant", "unit"}
# English that must never reach a French reader (padded with spaces; checked on lower-cased text).
ENGLISH_WORDS = (
    " the ", " is ", " are ", " not ", " applies ", " missing", " and ", " with ", " only ", "patient is",
    "outside", "range", "years", " of ", " no ", "below", "above", " used", "unknown", " recorded", "value ",
    " for ", " has ", "dated", "should", "cannot", "derived", "estimate", " people", "kidney", "heart",
    "blood", "failure", "treatment", "smoking", "cholesterol ", "disease", " unit ", "installed", "present",
)


# ------------------------------------------------------------------------------------------- helpers
WORDING = ("tr", "heading")  # risk.i18n.messages.tr and the text report's headings: the code is the first argument


def emitted_codes() -> dict[str, list[str]]:
    """Every code written as a literal in a Message / DataIssue / RangeIssue call under risk/ (not the advice
    catalogue's own keys), with where: the code is only ever spelt at the place that decides the reason."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "risk").rglob("*.py")):
        if "advise" in path.relative_to(ROOT).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if isinstance(node.func, ast.Name) and name in WORDING and node.args:  # tr("report.models", lang)
                first = node.args[0]
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                literals = [n.value for n in ast.walk(first)
                            if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                if not literals:  # a wrapper passing its own `code` argument on (text.heading -> tr)
                    assert isinstance(first, ast.Name) and first.id == "code", where
                for code in literals:
                    found.setdefault(code, []).append(where)
                continue
            if name not in PRODUCERS:
                continue
            for kw in node.keywords:
                if kw.arg != "code":
                    continue
                literals = [n.value for n in ast.walk(kw.value) if isinstance(n, ast.Constant)
                            and isinstance(n.value, str)]
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if not literals:  # a pass-through of an already coded message (`coded.code`) is the only exception
                    assert isinstance(kw.value, ast.Attribute) and kw.value.attr == "code", where
                for code in literals:
                    found.setdefault(code, []).append(where)
    return found


def codes_in(messages: list[Message]) -> set[str]:
    """The codes of the messages and of the messages nested in their parameters."""
    out: set[str] = set()
    for m in messages:
        out.add(m.code)
        for value in m.params.values():
            nested = value if isinstance(value, list) else [value]
            out |= codes_in([v for v in nested if isinstance(v, Message)])
    return out


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def neutral(msg: Message) -> Message:
    """The message with the source's own words (a Synthea display, a unit as typed) replaced, so that the
    stop-list judges only what the catalogue and the label tables say."""
    def plain(name: str, value: Any) -> Any:
        if isinstance(value, Message):
            return neutral(value)
        if isinstance(value, list) and value and isinstance(value[0], Message):
            return [neutral(v) for v in value]
        if isinstance(value, str) and name not in WORDED_PARAMS:
            return "x"
        return value
    return Message(code=msg.code, params={k: plain(k, v) for k, v in msg.params.items()})


def assert_french(msg: Message) -> str:
    text = message_text(neutral(msg), "fr")
    padded = f" {text.lower()} "
    english = [w for w in ENGLISH_WORDS if w in padded]
    assert not english, (msg.code, english, text)
    return text


def features(**overrides: object) -> dict[str, object]:
    """A 55-year-old man without diabetes, CVD or CKD, all inputs present (features.py column names)."""
    base: dict[str, object] = dict(
        age=55.0, sex_male=1, sbp=142.0, sbp_date=pd.Timestamp("2024-03-01"), total_chol=5.8, hdl=1.2,
        hba1c=math.nan, egfr=82.0, uacr=math.nan, bmi=27.0, smoking_current=0, diabetes_t2=0, diabetes_t1=0,
        diabetes_any=0, age_at_diabetes=math.nan, established_cvd=0, prior_mi=0, prior_stroke=0, prior_tia=0,
        prior_pad=0, prior_chd=0, prior_hf=0, on_antihypertensive=1, on_statin=0, ckd_stage=0,
    )
    base.update(overrides)
    return base


T2 = dict(diabetes_t2=1, diabetes_any=1, age_at_diabetes=50.0, hba1c=58.0)
CKD = dict(egfr=45.0, uacr=30.0)
LABS = dict(albumin=40.0, bicarbonate=24.0, calcium=2.3, phosphate=1.1)
NO_DIABETES_STATUS = {k: v for k, v in features().items() if k not in ("diabetes_t2", "diabetes_t1", "diabetes_any")}

# One or more feature vectors for every branch of risk.equations.applicability.
EQUATION_CASES: list[dict[str, object]] = [
    features(),
    features(prior_mi=1, established_cvd=1, prior_mi_date=pd.Timestamp("2019-03-02")),
    features(prior_stroke=1, prior_hf=1, prior_stroke_date="2021-06-10"),
    features(prior_tia=1, prior_chd=1, dx_coronary_revascularisation=1, prior_pad=1, prior_pad_date="not a date"),
    features(established_cvd=1, established_cvd_date=date(2020, 1, 31)),
    features(age=62.0, **{**T2, "hba1c": math.nan}),
    features(age=62.0, **T2),
    features(age=74.0, **T2),
    features(age=74.0, diabetes_any=1),
    features(age=60.0, diabetes_any=1),
    features(diabetes_t1=1, diabetes_any=1),
    features(age=35.0, **T2),
    features(age=72.0, **T2),
    features(age=25.0),
    features(age=95.0, ckd_stage=3, uacr=10.0),
    features(age=math.nan),
    NO_DIABETES_STATUS,
    features(sbp=300.0),
    features(sbp=math.inf),
    features(hdl=4.0, total_chol=3.0),
    features(age=50.0, **{**T2, "age_at_diabetes": 60.0}),
    features(bmi=45.0, sbp=190.0, hba1c=200.0, uacr=0.001),
    features(bmi=17.0, sbp=95.0, total_chol=9.0, hdl=1.0),
    features(total_chol=2.5, hdl=0.5, sbp=85.0, egfr=145.0, hba1c=25.0),
    features(hdl=3.0, total_chol=9.5, uacr=900.0),
    features(hba1c=40.0),
    features(uacr=3.0),
    features(bmi=math.nan),
    features(smoking_current=math.nan, sex_male=math.nan, on_statin=math.nan, on_antihypertensive=math.nan),
    features(**CKD),
    features(**CKD, albumin=40.0),
    features(**CKD, **{**LABS, "phosphate": math.nan}),
    features(**CKD, **LABS),
    features(**CKD, **{**LABS, "calcium": 9.0}),
    features(egfr=75.0, ckd_stage=3, uacr=30.0),
    features(egfr=75.0, dx_ckd_stage_4=1, uacr=30.0),
    features(**CKD, dx_esrd=1),
    features(**CKD, dx_kidney_transplant=1, dx_kidney_transplant_date="2018-05-04", dx_esrd=1),
    features(egfr=math.nan),
    features(egfr=45.0, uacr=0.0),
    features(egfr=45.0),
    features(egfr=45.0, uacr=30.0, age=math.nan),
]


def equation_messages(results: dict[str, EquationResult]) -> Iterator[tuple[str, Message]]:
    """(English string, its coded twin) for every reason and warning of the results, checking their shape."""
    for key, r in results.items():
        assert r.status in STATUSES, key
        assert (r.status == "computed") == (r.risk is not None) == (r.message is None) == (r.reason is None), key
        assert len(r.warnings) == len(r.warning_messages), key
        if r.message is not None:
            yield r.reason, r.message
        yield from zip(r.warnings, r.warning_messages, strict=True)


def check_english(pairs: Iterator[tuple[str, Message]]) -> list[Message]:
    out = []
    for english, msg in pairs:
        assert message_text(msg, "en") == english, msg.code
        out.append(msg)
    return out


# ------------------------------------------------------------------------------- record and unit cases
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def obs(oid: str, loinc: str, *, when: str | None = "2024-05-01", **value: Any) -> dict:
    resource: dict[str, Any] = {"resourceType": "Observation", "id": oid, "status": "final",
                                "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]}, **value}
    if when:
        resource["effectiveDateTime"] = when
    return resource


def qty(value: Any, unit: str | None = None) -> dict:
    return {"valueQuantity": {"value": value, **({"unit": unit, "code": unit} if unit else {})}}


def bad_record_resources() -> list[dict]:
    """One resource per kind of data-quality issue the record raises."""
    snomed = "http://snomed.info/sct"
    return [
        obs("implausible", "2085-9", **qty(41, "mmol/L")),
        obs("implausible-no-unit", "8480-6", **qty(400)),
        obs("no-unit", "2085-9", **qty(1.3)),
        obs("unknown-unit", "2085-9", **qty(50, "mg/dLL")),
        obs("hba1c-unit", "4548-4", **qty(7, "mg/dL")),
        obs("egfr-unit", "33914-3", **qty(60, "kg")),
        obs("egfr-flow-unit", "33914-3", **qty(60, "L/kg")),
        obs("equivalents", "2777-1", **qty(1.2, "meq/L")),
        obs("not-convertible", "2093-3", **qty(5, "mm[Hg]")),
        obs("uacr-unit", "14959-1", **qty(3, "mmol/L")),
        obs("not-a-number", "2085-9", valueString="1,3x"),
        obs("not-finite", "2085-9", valueString="NaN"),
        obs("quantity-text", "8480-6", valueQuantity={"value": "140", "unit": "mm[Hg]"}),
        obs("pack-years-undated", "74011-8", when=None, **qty(20, "{pack}/a")),
        obs("never", "72166-2", when="2024-03-01",
            valueCodeableConcept={"coding": [{"system": snomed, "code": "266919005"}]}),
        {"resourceType": "Condition", "id": "daily-smoker", "onsetDateTime": "2010-01-01",
         "code": {"coding": [{"system": snomed, "code": "449868002", "display": "Smokes tobacco daily"}]}},
        {"resourceType": "Condition", "id": "tia-unconfirmed", "onsetDateTime": "2018-05-21",
         "verificationStatus": {"coding": [{"code": "unconfirmed"}]},
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "G45.9", "display": "AIT"}]}},
        {"resourceType": "Condition", "id": "local-code", "code": {"coding": [{"code": "114", "display": "x"}]}},
        obs("tc", "2093-3", when="2024-04-02", **qty(4.0, "mmol/L")),
        obs("hdl", "2085-9", when="2024-04-02", **qty(1.5, "mmol/L")),
        obs("ldl", "13457-7", when="2024-04-02", **qty(3.2, "mmol/L")),
        {"resourceType": "Flag", "id": "flag"},
        {"resourceType": "Observation", "id": "nobody", "status": "final",
         "code": {"coding": [{"system": "http://loinc.org", "code": "2085-9"}]}},
        {"resourceType": "Observation", "id": "someone-else", "status": "final",
         "code": {"coding": [{"system": "http://loinc.org", "code": "2085-9"}]}},
        {"resourceType": "MedicationRequest", "id": "proposal", "status": "active", "intent": "proposal",
         "medicationCodeableConcept": {"text": "atorvastatin 20 mg"}, "authoredOn": "2024-01-01"},
        {"resourceType": "MedicationRequest", "id": "bogus", "status": "active", "authoredOn": "2024-01-01",
         "medicationCodeableConcept": {"coding": [{"system": "http://bogus", "code": "1", "display": "Doliprane"}]}},
        {"resourceType": "MedicationRequest", "id": "dangling", "status": "active", "authoredOn": "2024-01-01",
         "medicationReference": {"reference": "Medication/nowhere"}},
        {"resourceType": "MedicationRequest", "id": "option-a", "status": "active", "intent": "option",
         "authoredOn": "2024-01-01", "medicationCodeableConcept": {"text": "metformine 1000 mg"}},
        {"resourceType": "MedicationRequest", "id": "option-b", "status": "active", "intent": "option",
         "authoredOn": "2024-01-01", "medicationCodeableConcept": {"text": "gliclazide 30 mg"}},
        *({"resourceType": "MedicationRequest", "id": f"unrelated-{drug}", "status": "active", "intent": "option",
           "groupIdentifier": {"value": "unrelated"}, "authoredOn": "2024-01-01",
           "medicationCodeableConcept": {"text": drug}} for drug in ("atorvastatine 20 mg", "metformine 500 mg")),
        {"resourceType": "Observation", "id": "entered-in-error", "status": "entered-in-error",
         "code": {"coding": [{"system": "http://loinc.org", "code": "2085-9"}]}},
        obs("no-value", "2085-9", valueQuantity={"unit": "mmol/L"}),
        obs("no-date", "2085-9", when=None, **qty(1.3, "mmol/L")),
        obs("future", "2093-3", when="2031-01-01", **qty(5.0, "mmol/L")),
        obs("before-birth", "2093-3", when="1950-01-01", **qty(5.0, "mmol/L")),
        obs("dup-a", "2093-3", when="2024-02-01", **qty(5.0, "mmol/L")),
        obs("dup-b", "2093-3", when="2024-02-01", **qty(5.0, "mmol/L")),
        obs("creatinine", "14682-9", when="2024-03-01", **qty(250, "umol/L")),
        obs("egfr-disagrees", "33914-3", when="2024-03-01", **qty(85, "mL/min/{1.73_m2}")),
        obs("smoking", "72166-2", valueCodeableConcept={"text": "Pipe on Sundays",
                                                        "coding": [{"system": snomed, "code": "000"}]}),
        {"resourceType": "Condition", "id": "undated",
         "code": {"coding": [{"system": snomed, "code": "44054006", "display": "Diabetes mellitus type 2"}]}},
        {"resourceType": "Condition", "id": "future-dx", "onsetDateTime": "2030-01-01",
         "code": {"coding": [{"system": snomed, "code": "44054006", "display": "Diabetes mellitus type 2"}]}},
        {"resourceType": "Condition", "id": "old-dx", "onsetDateTime": "1940-01-01",
         "code": {"coding": [{"system": snomed, "code": "44054006"}]}},
        {"resourceType": "Procedure", "id": "undated-proc", "status": "completed",
         "code": {"coding": [{"system": snomed, "code": "265764009", "display": "Renal dialysis"}]}},
        {"resourceType": "MedicationRequest", "id": "undated-rx", "status": "active",
         "medicationCodeableConcept": {"text": "atorvastatin 20 mg"}},
    ]


def bad_record_issues() -> list[DataIssue]:
    patient = {"resourceType": "Patient", "id": "p", "birthDate": "1958-03-14", "gender": "female"}
    resources = [*bad_record_resources(), {"resourceType": "Bundle", "type": "document", "timestamp": "2025-01-02"}]
    sibling, other = ("option-b", "#p"), ("someone-else", "Patient/q")  # a `#id` reference; another patient
    for r in resources:  # about this patient, except the one that names no one
        if r.get("id") not in ("nobody", None) and r["resourceType"] not in ("Flag", "Bundle"):
            r["subject"] = {"reference": dict([sibling, other]).get(r["id"], "Patient/p")}
    dead = {**patient, "id": "dead", "deceasedDateTime": "2020-01-01"}
    after_death = [obs("after-death", "2093-3", when="2021-01-01", **qty(5.0, "mmol/L")),
                   {"resourceType": "Condition", "id": "dx-after-death", "onsetDateTime": "2021-01-01",
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006",
                                         "display": "Diabetes mellitus type 2"}]}}]
    for r in after_death:
        r["subject"] = {"reference": "Patient/dead"}
    return [*build_record(patient, resources, now=NOW).issues, *build_record(dead, after_death, now=NOW).issues]


def unit_problems() -> list[tuple[str, Message]]:
    conversions = [
        to_canonical("no_such_concept", 1.0, "mg/dL"), to_canonical("smoking_status", 1.0, "{status}"),
        to_canonical("hdl", math.nan, "mmol/L"), to_canonical("hdl", 1e308, "g/L"),
        to_canonical("hdl", 50, "mg/dLL"), to_canonical("hdl", 1.3, None), to_canonical("egfr", 60, "L/kg"),
        from_canonical("egfr", 60.0, "mL/min"), from_canonical("hdl", math.inf, "mg/dL"),
        from_canonical("hdl", 1.0, "kg"),
    ]
    out = []
    for c in conversions:
        assert c.problem is not None and c.problem_message is not None
        out.append((c.problem, c.problem_message))
    for concept, value, reported in (("hdl", 45.0, None), ("hdl", 0.034, (1.3, "mg/dL")), ("sbp", 400, (400, None)),
                                     ("creatinine", 3000.0, None), ("hdl", math.nan, None), ("uacr", 2000.0, None)):
        kw = {} if reported is None else {"reported_value": reported[0], "reported_unit": reported[1]}
        problem, coded = plausibility_problem(concept, value, **kw), plausibility_message(concept, value, **kw)
        assert problem is not None and coded is not None
        out.append((problem, coded))
    return out


def input_errors() -> list[tuple[str, Message]]:
    """Impossible input given straight to the equations (applicability never passes these)."""
    calls = [
        lambda: score2(sex="other", age=50, smoker=False, sbp=140, total_chol=5, hdl=1.3),
        lambda: score2(sex="male", age=50, smoker="yes", sbp=140, total_chol=5, hdl=1.3),
        lambda: score2(sex="male", age="fifty", smoker=False, sbp=140, total_chol=5, hdl=1.3),
        lambda: score2(sex="male", age=50, smoker=False, sbp=math.nan, total_chol=5, hdl=1.3),
        lambda: score2(sex="male", age=15, smoker=False, sbp=140, total_chol=5, hdl=1.3),
        lambda: score2_diabetes(sex="female", age=50, smoker=False, sbp=140, total_chol=5, hdl=1.3, hba1c=50,
                                egfr=80, age_at_diabetes_diagnosis=55),
        lambda: prevent(sex="male", age=50, smoker=False, sbp=140, total_chol=5, hdl=1.3, egfr=500, bmi=25,
                        diabetes=False, on_antihypertensive=False, on_statin=False),
        lambda: kfre_result(sex="male", age=60, egfr=30, uacr=0.0),
    ]
    out = []
    for call in calls:
        with pytest.raises(InputError) as caught:
            call()
        out.append((str(caught.value), caught.value.message))
    return out


def range_checks() -> list[tuple[str, Message]]:
    """Range reasons an applicability path never reaches (SCORE2 below 40, SCORE2-Diabetes outside 40-69)."""
    person = dict(sex="male", smoker=False, sbp=140, total_chol=5.5, hdl=1.3)
    issues = [*derivation_range_check("score2", age=35, **person),
              *derivation_range_check("score2_diabetes", age=72, hba1c=50, egfr=80, age_at_diabetes_diagnosis=60,
                                      **person),
              *derivation_range_check("score2_diabetes", age=30, hba1c=50, egfr=80, age_at_diabetes_diagnosis=25,
                                      **person)]
    return [(i.message, i.as_message()) for i in issues]


def model_messages() -> list[Message]:
    from risk.models.spec import MODEL_SPECS, eligibility_message

    rows = [pd.Series(features(age=35.0)), pd.Series(features(age=math.nan)), pd.Series(features(age=60.0)),
            pd.Series(features(age=60.0, diabetes_any=1, dx_esrd=1, dx_diabetic_retinopathy=1, dx_amputation=1,
                               dx_diabetic_neuropathy=1, dx_diabetic_foot_ulcer=1, established_cvd=1, prior_hf=1))]
    out = [m for spec in MODEL_SPECS.values() for row in rows if (m := eligibility_message(spec, row)) is not None]
    out += [Message(code="model.not_installed", params={"model": key}) for key in MODEL_SPECS]
    out += [Message(code="model.missing_inputs", params={"model": "cvd10", "concepts": ["sbp", "total_chol", "hdl"]}),
            Message(code="model.missing_inputs", params={"model": "hf10", "concepts": ["hdl"]})]
    return out


# Codes no real input reaches today; rendered here with the parameters their producers give them.
UNREACHABLE = [
    Message(code="equation.error", params={"detail": "something unexpected"}),
    Message(code="equation.withheld", params={"reasons": [
        Message(code="prevent.hf_withheld_bmi_above", params={"value": 45.0, "low": 18.5, "high": 39.9}),
        Message(code="kfre.egfr_not_below_60", params={"egfr": 75.0})]}),
    Message(code="unit.error", params={"detail": "pint says no"}),
    # QRISK3's categories (smoking, diabetes type, ethnicity) come from the features already coded
    Message(code="input.choice", params={"argument": "smoking", "value": "current", "allowed": ["non", "ex"]}),
    # every failed conversion says why, so the record's fallback for a silent one is never used
    Message(code="unit.unusable", params={"concept": "hdl", "source_unit": "mmol/L"}),
]


# ------------------------------------------------------------------------------------------- the tests
def test_every_catalogue_entry_has_english_and_french_with_the_same_fields():
    raw = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    for code, text in raw.items():
        if code.startswith("_"):
            continue
        assert set(text) == {"en", "fr"} and text["en"].strip() and text["fr"].strip(), code
        assert fields(text["en"]) == fields(text["fr"]), code
        assert code in CATALOGUE


def test_every_code_the_library_emits_is_in_the_catalogue_and_no_catalogue_code_is_unused():
    emitted = emitted_codes()
    catalogue = {k for k in json.loads(CATALOGUE_FILE.read_text(encoding="utf-8")) if k[0] != "_"}
    assert not set(emitted) - catalogue, {c: emitted[c] for c in set(emitted) - catalogue}
    assert not catalogue - set(emitted), sorted(catalogue - set(emitted))


def test_equation_reasons_and_warnings_read_the_same_from_the_catalogue_over_every_branch():
    seen = check_english(p for f in EQUATION_CASES for p in equation_messages(reference_scores(f)))
    seen += check_english(iter(input_errors()))
    seen += check_english(iter(range_checks()))
    codes = codes_in(seen)
    for message in seen:
        assert_french(message)
    equation_codes = {c for c in CATALOGUE_CODES if c.split(".")[0] in (
        "equation", "condition", "score2", "score2_op", "score2_diabetes", "prevent", "range", "kfre", "input")}
    assert equation_codes - codes - codes_in(UNREACHABLE) == set()


def test_the_status_says_why_there_is_no_number():
    r = reference_scores(features(age=25.0, sbp=300.0, **CKD, dx_esrd=1))
    assert [r[k].status for k in ("score2", "prevent_cvd", "kfre_5y")] == ["not_applicable"] * 3
    r = reference_scores(features(sbp=300.0, bmi=45.0))
    assert (r["score2"].status, r["score2_diabetes"].status) == ("not_computable", "not_applicable")
    withheld = reference_scores(features(bmi=45.0))["prevent_hf"]
    assert withheld.status == "not_computable" and withheld.message.code == "prevent.hf_withheld_bmi_above"
    assert reference_scores(NO_DIABETES_STATUS)["score2"].status == "not_computable"
    assert reference_scores(features())["score2"].status == "computed"


@settings(max_examples=300, deadline=None)
@given(
    age=st.sampled_from([math.nan, 25.0, 35.0, 45.0, 62.0, 69.9, 70.0, 74.0, 85.0, 95.0]),
    sbp=st.sampled_from([math.nan, 85.0, 120.0, 185.0, 300.0]),
    total_chol=st.sampled_from([math.nan, 2.0, 5.0, 7.5, 9.0]),
    hdl=st.sampled_from([math.nan, 0.4, 1.2, 2.6, 8.0]),
    hba1c=st.sampled_from([math.nan, 30.0, 53.0, 90.0, 200.0]),
    egfr=st.sampled_from([math.nan, 8.0, 25.0, 55.0, 75.0, 145.0]),
    uacr=st.sampled_from([math.nan, 0.0, 0.005, 30.0, 400.0]),
    bmi=st.sampled_from([math.nan, 17.0, 24.0, 39.95, 45.0]),
    age_at_diabetes=st.sampled_from([math.nan, 30.0, 50.0, 100.0]),
    ckd_stage=st.sampled_from([math.nan, 0, 3, 5]),
    labs=st.fixed_dictionaries({k: st.sampled_from([math.nan, v]) for k, v in LABS.items()}),
    flags=st.fixed_dictionaries({k: st.sampled_from([math.nan, 0, 1]) for k in (
        "sex_male", "smoking_current", "diabetes_t2", "diabetes_t1", "diabetes_any", "prior_mi", "prior_hf",
        "established_cvd", "on_antihypertensive", "on_statin", "dx_esrd", "dx_kidney_transplant")}),
    dated=st.booleans(),
)
def test_catalogue_english_equals_every_reason_and_warning_for_any_features(labs, flags, dated, **values):
    f = {**values, **labs, **flags}
    if dated:
        f.update(prior_mi_date=pd.Timestamp("2019-03-02"), dx_esrd_date="2020-02-29")
    check_english(equation_messages(reference_scores(f)))


def test_data_issue_messages_read_the_same_from_the_catalogue():
    issues = bad_record_issues()
    kinds = {i.kind for i in issues}
    assert {IssueKind.IMPLAUSIBLE, IssueKind.MISSING_UNIT, IssueKind.UNKNOWN_UNIT, IssueKind.NON_NUMERIC,
            IssueKind.NO_DATE, IssueKind.FUTURE_DATE, IssueKind.BEFORE_BIRTH, IssueKind.DUPLICATE,
            IssueKind.UNKNOWN_CODE, IssueKind.AFTER_DEATH} <= kinds
    seen = check_english((i.message, issue_message(i)) for i in issues)
    seen += check_english(iter(unit_problems()))
    for message in seen:
        assert_french(message)
    record_codes = {c for c in CATALOGUE_CODES if c.split(".")[0] in ("record", "unit", "value")}
    assert record_codes - codes_in(seen) - codes_in(UNREACHABLE) == set()


def test_french_renderings_read_naturally():
    issue = next(i for i in bad_record_issues() if i.kind == IssueKind.FUTURE_DATE and i.concept == "total_chol")
    assert message_text(issue_message(issue), "fr") == (
        "Cholestérol total\u00a0: valeur datée du 01/01/2031, dans le futur\u202f; non prise en compte")
    r = reference_scores(features(prior_mi=1, prior_mi_date=pd.Timestamp("2019-03-02"), prior_hf=1))["score2"]
    assert message_text(r.message, "fr") == (
        "SCORE2 non applicable\u00a0: antécédent d'infarctus (02/03/2019)\u202f; insuffisance cardiaque")
    r = reference_scores(features(age=62.0, **{**T2, "hba1c": math.nan, "sbp": math.nan}))["score2_diabetes"]
    assert message_text(r.message, "fr") == (
        "SCORE2-Diabetes\u00a0: données manquantes (pression artérielle systolique et HbA1c)")
    r = reference_scores(features(**CKD, albumin=40.0))["kfre_5y"]
    assert message_text(r.warning_messages[0], "fr").endswith("manquants\u00a0: bicarbonates, calcium et phosphate")
    r = reference_scores(features(egfr=145.0))["prevent_cvd"]
    assert message_text(r.warning_messages[0], "fr") == (
        "DFGe 145 mL/min/1,73 m² au-dessus de la plage de dérivation de PREVENT (15 à 140 mL/min/1,73 m²)"
        "\u202f; l'estimation est une extrapolation")
    uacr = reference_scores(features(uacr=0.001))["prevent_cvd"].warning_messages[0]
    assert "0,00884 mg/g" in message_text(uacr, "fr") and f"25{NNBSP}000 mg/g" in message_text(uacr, "fr")
    assert message_text(Message(code="model.age_out_of_range", params={
        "model": "cvd10", "low": 40, "high": 89, "age": 35}), "en") == "CVD 10 y applies to ages 40-89 (patient is 35)"
    assert message_text(Message(code="model.age_out_of_range", params={
        "model": "cvd10", "low": 40, "high": 89, "age": None}), "fr") == (
        "MCV 10 ans s'applique de 40 à 89 ans (âge du patient\u00a0: inconnu)")
    assert message_text(Message(code="model.missing_inputs", params={
        "model": "cvd10", "concepts": ["sbp", "hdl"]}), "en") == (
        "missing systolic blood pressure and HDL cholesterol (no value recorded at the index date)")


def test_model_reasons_render_in_both_languages():
    for message in model_messages():
        assert message_text(message, "en").strip()
        assert_french(message)
    condition = Message(code="model.condition_present", params={"model": "ckd5", "condition": "dx_esrd"})
    assert message_text(condition, "en") == (
        "CKD progression 5 y not applicable: kidney failure (end-stage kidney disease) already present")


def test_codes_no_input_reaches_still_render():
    for message in UNREACHABLE:
        assert message_text(message, "en").strip()
        assert message_text(message, "fr").strip()


def test_sample_patients_french_reasons_warnings_and_issues_have_no_english():
    from risk.features.build import build_features
    from risk.features.tables import tables_from_records
    from risk.models.spec import MODEL_SPECS, eligibility_message
    from risk.record.load import iter_records

    records = [r for path in sorted((ROOT / "sample_fhir").glob("*.json*")) for r in iter_records(path)]
    assert len(records) >= 10
    checked = 0
    for record in records:
        for english, message in ((i.message, issue_message(i)) for i in record.issues):
            assert message_text(message, "en") == english
            assert_french(message)
            checked += 1
    rows = build_features(tables_from_records(records), date.today())
    for _, row in rows.iterrows():
        for english, message in equation_messages(reference_scores(row.to_dict())):
            assert message_text(message, "en") == english
            assert_french(message)
            checked += 1
        for spec in MODEL_SPECS.values():
            if (message := eligibility_message(spec, row)) is not None:
                assert_french(message)
                checked += 1
    assert checked > 50


def test_labels_follow_the_reader():
    assert (concept_label("sbp", "en"), concept_label("sbp", "fr")) == (
        "systolic blood pressure", "pression artérielle systolique")
    assert (concept_label("sbp", "en", "Lab"), concept_label("sbp", "en", "lab")) == ("Systolic BP", "systolic BP")
    assert (concept_label("uacr", "en", "short"), concept_label("uacr", "fr", "short")) == ("UACR", "RAC")
    assert concept_label("egfr", "fr", "lab") == "DFGe" and concept_label("total_chol", "fr", "lab") == (
        "cholestérol total")
    unnamed = reference_scores(features(age=math.nan))
    for key in ("score2", "score2_diabetes", "prevent_cvd", "prevent_ascvd", "prevent_hf", "kfre_5y", "kfre_2y"):
        assert equation_label(key, "en") == unnamed[key].name
    assert equation_label("prevent_cvd", "fr", "base") == (
        "PREVENT maladie cardiovasculaire totale à 10 ans (modèle de base)")
    with pytest.raises(ValueError, match="concept form"):
        concept_label("sbp", "en", "shouty")


def test_messages_travel_as_plain_json():
    r = reference_scores(features(prior_mi=1, prior_mi_date=pd.Timestamp("2019-03-02")))["score2"]
    assert message_json(r.message) == {"code": "equation.prior_conditions", "params": {
        "equation": "score2", "conditions": [
            {"code": "condition.recorded_on", "params": {"condition": "prior_mi", "date": "2019-03-02"}}]}}


CATALOGUE_CODES = frozenset(k for k in json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
                            if not k.startswith("_"))


def test_every_data_quality_issue_kind_has_a_label_in_both_languages() -> None:
    from risk.i18n.labels import ISSUE_KINDS
    from risk.record import IssueKind

    missing = [k.value for k in IssueKind if k.value not in ISSUE_KINDS]
    assert missing == [], f"IssueKind values without a page label: {missing}"
    assert all(en and fr and en != fr for en, fr in ISSUE_KINDS.values())


def test_every_panel_reject_reason_has_its_text_in_both_languages():
    from risk.panel.rejects import MESSAGES, REASONS, Reject

    assert set(MESSAGES) == set(REASONS)
    for reason in REASONS:
        r = Reject(file="f.ndjson", line=1, resource_type="Patient", reason=reason)
        assert r.message("en") != r.message("fr") and r.message("en")
