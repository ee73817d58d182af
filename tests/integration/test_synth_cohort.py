"""The synthetic cohort generator's written export (risk.synth, 2000 patients, seed 11): FHIR validity and
realism, computed from the written FHIR files the way the models will see them. Targets and their sources:
risk/synth/parameters.py.

Slow: generating and reading back the 2000-patient export takes 10-15 s on a 2-core machine.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date

import numpy as np
import orjson
import pytest

from risk.synth import RESOURCE_TYPES, generate
from risk.synth import codes as C
from risk.synth import hazards as H
from risk.synth import parameters as P

pytestmark = pytest.mark.slow

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
CV_ICD = ("I",)


# --- fixtures -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    out = tmp_path_factory.mktemp("synth2000")
    generate(n_patients=2000, seed=11, out_dir=out)
    data = {
        rt: [orjson.loads(line) for line in (out / f"{rt}.ndjson").read_bytes().splitlines()]
        for rt in RESOURCE_TYPES
    }
    data["_dir"] = out  # type: ignore[assignment]
    return data


def _pid(resource: dict) -> str:
    return resource["subject"]["reference"].split("/", 1)[1]


def _age(birth: str, when: str) -> float:
    return (date.fromisoformat(when[:10]) - date.fromisoformat(birth)).days / 365.25


def _code(resource: dict, key: str = "code") -> tuple[str, str]:
    c = resource[key]["coding"][0]
    return c["system"], c["code"]


def _in_practice(cohort: dict, on: str) -> dict[str, dict]:
    """Patients with a record before `on` and still followed after it (alive, record continues)."""
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for enc in cohort["Encounter"]:
        pid, start = _pid(enc), enc["period"]["start"][:10]
        first[pid] = min(first.get(pid, start), start)
        last[pid] = max(last.get(pid, start), start)
    out = {}
    for p in cohort["Patient"]:
        died = p.get("deceasedDateTime", "9999")[:10]
        if first.get(p["id"], "9999") <= on < min(died, last.get(p["id"], "0000")):
            out[p["id"]] = p
    return out


def test_every_line_is_a_resource_of_its_file_type_with_a_unique_id(cohort: dict) -> None:
    for rt in RESOURCE_TYPES:
        resources = cohort[rt]
        assert resources, rt
        assert {r["resourceType"] for r in resources} == {rt}
        ids = [r["id"] for r in resources]
        assert len(ids) == len(set(ids)), f"duplicate {rt} ids"
        assert all(re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", i) for i in ids)


def test_every_reference_resolves_within_the_export(cohort: dict) -> None:
    known = {f"{rt}/{r['id']}" for rt in RESOURCE_TYPES for r in cohort[rt]}
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "reference":
                    refs.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for rt in RESOURCE_TYPES:
        for r in cohort[rt]:
            walk(r)
    assert len(refs) > 100_000
    missing = [r for r in refs if r not in known]
    assert missing == []


def test_resources_have_the_required_r4_elements_and_timezones(cohort: dict) -> None:
    for o in cohort["Observation"]:
        assert o["status"] == "final" and "code" in o and o["subject"]
        assert TIMESTAMP.match(o["effectiveDateTime"])
        assert ("valueQuantity" in o) ^ ("valueCodeableConcept" in o) ^ ("component" in o)
    for m in cohort["MedicationRequest"]:
        assert m["status"] in {"active", "stopped", "completed"} and m["intent"] == "order"
        assert TIMESTAMP.match(m["authoredOn"])
        period = m["dispenseRequest"]["validityPeriod"]
        assert period["start"] <= period["end"]
    for c in cohort["Condition"]:
        assert c["clinicalStatus"]["coding"][0]["code"] in {"active", "resolved"}
        assert c["verificationStatus"]["coding"][0]["code"] == "confirmed"
        assert c["category"][0]["coding"][0]["code"] in {"problem-list-item", "encounter-diagnosis"}
        assert TIMESTAMP.match(c["onsetDateTime"])
        if "abatementDateTime" in c:
            assert c["abatementDateTime"] > c["onsetDateTime"]
    classes = Counter(e["class"]["code"] for e in cohort["Encounter"])
    assert classes["AMB"] > 10 * classes["IMP"] > 0
    for e in cohort["Encounter"]:
        assert TIMESTAMP.match(e["period"]["start"]) and e["period"]["start"] <= e["period"]["end"]
    for p in cohort["Procedure"]:
        assert p["status"] == "completed" and TIMESTAMP.match(p["performedDateTime"])


def test_units_are_the_ucum_codes_of_the_specification(cohort: dict) -> None:
    units = Counter()
    for o in cohort["Observation"]:
        q = o.get("valueQuantity")
        if q and "unit" in q:
            assert q["system"] == "http://unitsofmeasure.org" and q["code"] == q["unit"]
            units[q["unit"]] += 1
        for comp in o.get("component", []):
            assert comp["valueQuantity"]["code"] == "mm[Hg]"
    expected = {
        "mg/dL",
        "g/L",
        "%",
        "mmol/mol",
        "mL/min/{1.73_m2}",
        "mg/g",
        "mg/mmol",
        "kg",
        "cm",
        "kg/m2",
        "umol/L",
    }
    assert expected <= set(units)
    assert set(units) <= expected | {"mmol/L"}  # mmol/L only as a deliberate mislabelling defect
    assert units["mmol/L"] < 0.01 * units["g/L"]


def test_no_record_is_dated_after_the_patients_death(cohort: dict) -> None:
    death = {p["id"]: p["deceasedDateTime"][:10] for p in cohort["Patient"] if "deceasedDateTime" in p}
    assert 0.05 < len(death) / len(cohort["Patient"]) < 0.35
    for rt, key in (
        ("Observation", "effectiveDateTime"),
        ("Condition", "onsetDateTime"),
        ("Procedure", "performedDateTime"),
        ("MedicationRequest", "authoredOn"),
    ):
        for r in cohort[rt]:
            d = death.get(_pid(r))
            assert d is None or r[key][:10] <= d, (rt, r["id"])
    for e in cohort["Encounter"]:
        d = death.get(_pid(e))
        assert d is None or e["period"]["start"][:10] <= d


def test_every_death_has_a_coded_cause_of_death(cohort: dict) -> None:
    dead = {p["id"] for p in cohort["Patient"] if "deceasedDateTime" in p}
    causes = {}
    for o in cohort["Observation"]:
        if _code(o) == (C.LOINC, "69453-9"):
            system, code = _code(o, "valueCodeableConcept")
            assert system == C.ICD10 and re.fullmatch(r"[A-Z]\d\d(\.\d)?", code)
            causes[_pid(o)] = code
    assert set(causes) == dead
    cv_share = sum(c.startswith(CV_ICD) for c in causes.values()) / len(causes)
    assert 0.10 < cv_share < 0.40  # circulatory share of deaths in France: 20.9% (R24)


def test_a_diabetes_diagnosed_at_a_visit_has_a_diagnostic_hba1c_at_that_visit(cohort: dict) -> None:
    a1c_at: dict[str, float] = {}
    for o in cohort["Observation"]:
        code = _code(o)[1]
        if code in ("4548-4", "59261-8"):
            value = o["valueQuantity"]["value"]
            a1c_at[o["encounter"]["reference"]] = value if code == "4548-4" else value * 0.09148 + 2.152
    diagnosed = [c for c in cohort["Condition"] if _code(c)[1] in ("44054006", "E11.9") and "encounter" in c]
    assert len(diagnosed) > 30
    for c in diagnosed:
        assert a1c_at[c["encounter"]["reference"]] >= 6.5 - 0.05  # 48 mmol/mol, rounding of the French unit


def test_some_living_patients_leave_the_practice_and_their_records_just_stop(cohort: dict) -> None:
    last: dict[str, str] = {}
    for e in cohort["Encounter"]:
        last[_pid(e)] = max(last.get(_pid(e), ""), e["period"]["start"][:10])
    assert set(last) == {p["id"] for p in cohort["Patient"]}  # everyone has at least the registration visit
    living = [p["id"] for p in cohort["Patient"] if "deceasedDateTime" not in p]
    stopped_early = sum(last[pid] < "2024-01-01" for pid in living) / len(living)
    assert 0.05 < stopped_early < 0.40  # 1.5% per year leave (parameters.LOSS_TO_FOLLOW_UP_PER_YEAR)


# --- French style ------------------------------------------------------------------------------------
def test_about_thirty_percent_of_patients_are_french_style_with_g_per_litre_cim10_and_atc(
    cohort: dict,
) -> None:
    french = {p["id"] for p in cohort["Patient"] if p.get("communication")}
    assert 0.25 < len(french) / len(cohort["Patient"]) < 0.35
    lipid_units: dict[bool, Counter] = defaultdict(Counter)
    for o in cohort["Observation"]:
        if _code(o)[1] in ("2093-3", "2085-9", "2571-8") and "unit" in o["valueQuantity"]:
            lipid_units[_pid(o) in french][o["valueQuantity"]["unit"]] += 1
    assert lipid_units[True].most_common(1)[0][0] == "g/L"
    assert lipid_units[False].most_common(1)[0][0] == "mg/dL"
    for c in cohort["Condition"]:
        system, code = _code(c)
        if _pid(c) in french:
            assert system == C.ICD10 and re.fullmatch(r"[A-Z]\d\d(\.\d)?", code)
        else:
            assert system == C.SNOMED
    for m in cohort["MedicationRequest"]:
        system, _ = _code(m, "medicationCodeableConcept")
        assert system == (C.ATC if _pid(m) in french else C.RXNORM)
    fr_codes = {_code(c)[1] for c in cohort["Condition"] if _pid(c) in french}
    assert {"I10", "E11.9", "E78.5"} <= fr_codes


def test_french_lab_values_are_plausible_in_their_own_units(cohort: dict) -> None:
    french = {p["id"] for p in cohort["Patient"] if p.get("communication")}
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for o in cohort["Observation"]:
        q = o.get("valueQuantity")
        if q and "unit" in q and _pid(o) in french:
            values[(_code(o)[1], q["unit"])].append(q["value"])
    assert 1.6 < np.median(values[("2093-3", "g/L")]) < 2.4  # total cholesterol ~2 g/L
    assert 0.8 < np.median(values[("2345-7", "g/L")]) < 1.2  # glucose ~1 g/L
    assert 60 < np.median(values[("14682-9", "umol/L")]) < 100  # creatinine
    assert 36 < np.median(values[("59261-8", "mmol/mol")]) < 60  # HbA1c
    assert 0.2 < np.median(values[("14585-4", "mg/mmol")]) < 10


def test_reported_egfr_is_the_ckd_epi_2021_value_of_the_reported_creatinine(cohort: dict) -> None:
    births = {p["id"]: (p["birthDate"], p["gender"] == "male") for p in cohort["Patient"]}
    by_encounter: dict[str, dict[str, dict]] = defaultdict(dict)
    for o in cohort["Observation"]:
        if _code(o)[1] in ("2160-0", "14682-9", "98979-8"):
            by_encounter[o["encounter"]["reference"]][_code(o)[1]] = o
    checked = 0
    for obs in by_encounter.values():
        egfr = obs.get("98979-8")
        creat = obs.get("2160-0") or obs.get("14682-9")
        if egfr is None or creat is None:
            continue
        q = creat["valueQuantity"]
        if q.get("unit") not in ("mg/dL", "umol/L") or (q["unit"] == "umol/L") != (
            _code(creat)[1] == "14682-9"
        ):
            continue  # a deliberate unit defect
        mg_dl = q["value"] / P.UMOL_PER_MG_CREATININE if q["unit"] == "umol/L" else q["value"]
        if (q["unit"] == "umol/L" and q["value"] < 15) or (q["unit"] == "mg/dL" and q["value"] > 20):
            continue  # unit-swap defect
        birth, male = births[_pid(creat)]
        expected = H.ckd_epi_2021(
            np.array([mg_dl]), np.array([_age(birth, creat["effectiveDateTime"])]), np.array([male])
        )[0]
        assert abs(egfr["valueQuantity"]["value"] - expected) <= 1.0
        checked += 1
    assert checked > 1000


def test_data_quality_defects_are_rare_and_of_the_documented_kinds(cohort: dict) -> None:
    summary = json.loads((cohort["_dir"] / "cohort_summary.json").read_text())
    defects = summary["data_quality_defects"]
    assert set(defects) <= set(P.DEFECT_KINDS) and sum(defects.values()) > 0
    missing = [o for o in cohort["Observation"] if "valueQuantity" in o and "unit" not in o["valueQuantity"]]
    assert len(missing) == defects["missing_unit"]
    labs = sum(
        1
        for o in cohort["Observation"]
        if _code(o)[1] in ("2093-3", "2085-9", "18262-6", "13457-7", "2571-8", "2345-7", "2160-0", "14682-9")
    )
    assert 0.002 < sum(defects.values()) / labs < 0.01


# --- realism (computed from the FHIR files) ------------------------------------------------------------
def test_mean_measured_sbp_by_age_band_matches_ncd_risc_france(cohort: dict) -> None:
    births = {p["id"]: (p["birthDate"], p["gender"]) for p in cohort["Patient"]}
    first: dict[str, tuple[float, str]] = {}
    for o in cohort["Observation"]:
        if _code(o)[1] == "85354-9" and "2014-01-01" <= o["effectiveDateTime"][:10] < "2017-01-01":
            pid = _pid(o)
            if pid not in first:
                first[pid] = (o["component"][0]["valueQuantity"]["value"], o["effectiveDateTime"])
    bands: dict[tuple[str, int], list[float]] = defaultdict(list)
    for pid, (sbp, when) in first.items():
        birth, sex = births[pid]
        age = _age(birth, when)
        if 40 <= age < 80:
            bands[(sex, int(age // 10) * 10)].append(sbp)
    for (sex, lo), values in bands.items():
        ref = H.by_age_sex(np.array([lo + 5.0]), np.array([sex == "male"]), P.SBP_MEAN_MEN, P.SBP_MEAN_WOMEN)[
            0
        ]
        assert len(values) > 50
        assert abs(np.mean(values) - ref) < 7.0, (sex, lo, np.mean(values), ref)


def test_diabetes_prevalence_by_age_matches_french_treated_diabetes(cohort: dict) -> None:
    on = "2015-07-01"
    inside = _in_practice(cohort, on)
    t2d = {
        _pid(c)
        for c in cohort["Condition"]
        if _code(c)[1] in ("44054006", "E11.9") and c["onsetDateTime"][:10] <= on
    }
    for lo, hi, low, high in ((45, 65, 0.03, 0.11), (65, 75, 0.08, 0.22)):
        group = [pid for pid, p in inside.items() if lo <= _age(p["birthDate"], on) < hi]
        share = sum(pid in t2d for pid in group) / len(group)
        assert low < share < high, (lo, hi, share)  # R14: 6.3% at 45-64, 14.2% at 65-74


def test_current_smoking_prevalence_is_french(cohort: dict) -> None:
    on = "2015-07-01"
    inside = _in_practice(cohort, on)
    latest: dict[str, tuple[str, str]] = {}
    for o in cohort["Observation"]:
        if _code(o)[1] == "72166-2" and o["effectiveDateTime"][:10] <= on:
            pid = _pid(o)
            if pid in inside and (pid not in latest or o["effectiveDateTime"] > latest[pid][0]):
                latest[pid] = (o["effectiveDateTime"], _code(o, "valueCodeableConcept")[1])
    adults = [pid for pid in latest if _age(inside[pid]["birthDate"], on) < 75]
    current = sum(latest[pid][1] == "449868002" for pid in adults) / len(adults)
    assert 0.15 < current < 0.32  # daily smoking ~24% at 18-75 (R22)


def test_ten_year_cvd_incidence_at_40_69_is_in_the_low_risk_region_range(cohort: dict) -> None:
    """Kaplan-Meier from the FHIR timeline: MI or stroke condition, or cardiovascular cause of death."""
    baseline = "2012-01-01"
    horizon = "2022-01-01"
    inside = _in_practice(cohort, baseline)
    events: dict[str, list[str]] = defaultdict(list)
    for c in cohort["Condition"]:
        if _code(c)[1] in (
            "22298006",
            "I21.9",
            "230690007",
            "422504002",
            "274100004",
            "I63.9",
            "I64",
            "I61.9",
        ):
            events[_pid(c)].append(c["onsetDateTime"][:10])
    for o in cohort["Observation"]:
        if _code(o)[1] == "69453-9" and _code(o, "valueCodeableConcept")[1].startswith("I"):
            events[_pid(o)].append(o["effectiveDateTime"][:10])
    last = defaultdict(str)
    for rt, key in (("Observation", "effectiveDateTime"), ("Encounter", None)):
        for r in cohort[rt]:
            when = (r["period"]["start"] if key is None else r[key])[:10]
            last[_pid(r)] = max(last[_pid(r)], when)
    times, flags = [], []
    for pid, p in inside.items():
        if not 40 <= _age(p["birthDate"], baseline) < 70 or any(e < baseline for e in events[pid]):
            continue
        after = sorted(e for e in events[pid] if baseline <= e < horizon)
        if after:
            times.append(after[0])
            flags.append(True)
        else:
            times.append(min(last[pid], horizon))
            flags.append(False)
    order = np.argsort(times, kind="stable")
    flags_sorted = np.array(flags)[order]
    at_risk = len(flags_sorted) - np.arange(len(flags_sorted))
    incidence = 1 - np.prod(np.where(flags_sorted, 1 - 1 / at_risk, 1.0))
    assert len(times) > 600
    assert 0.015 < incidence < 0.10, incidence  # SCORE2 low-risk region: a few % over 10 years
