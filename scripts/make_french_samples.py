"""Write the hand-built French-style demo patients of sample_fhir/ (fictional people, Apache-2.0).

French conventions on purpose: lipids and glucose in g/L, creatinine in µmol/L, HbA1c in mmol/mol with %,
UACR in mg/mmol, diagnoses in CIM-10 (ICD-10 WHO codes as used by ATIH), drugs in ATC, French names.
Run: python scripts/make_french_samples.py  (deterministic; rewrites sample_fhir/fr_*.json)
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "sample_fhir"
NS = uuid.UUID("6f1c1d2e-8c1b-4c53-9a57-1f2d4c3b2a10")
LOINC, ICD10, ATC, SCT = ("http://loinc.org", "http://hl7.org/fhir/sid/icd-10", "http://www.whocc.no/atc",
                          "http://snomed.info/sct")
LAB = {  # concept: (LOINC code, display, UCUM unit)
    "total_chol": ("2093-3", "Cholestérol total", "g/L"),
    "hdl": ("2085-9", "HDL-cholestérol", "g/L"),
    "ldl": ("13457-7", "LDL-cholestérol calculé", "g/L"),
    "tg": ("2571-8", "Triglycérides", "g/L"),
    "glucose": ("1558-6", "Glycémie à jeun", "g/L"),
    "hba1c_pct": ("4548-4", "HbA1c", "%"),
    "hba1c": ("59261-8", "HbA1c (IFCC)", "mmol/mol"),
    "creat": ("14682-9", "Créatinine", "umol/L"),
    "egfr": ("62238-1", "DFG estimé CKD-EPI", "mL/min/{1.73_m2}"),
    "uacr": ("14585-4", "Rapport albumine/créatinine urinaire", "mg/mmol"),
    "weight": ("29463-7", "Poids", "kg"),
    "height": ("8302-2", "Taille", "cm"),
    "bmi": ("39156-5", "IMC", "kg/m2"),
}
SMOKING = {"never": ("266919005", "Never smoker"), "former": ("8517006", "Former smoker"),
           "current": ("449868002", "Current every day smoker")}


@dataclass
class Person:
    key: str
    given: str
    family: str
    gender: str
    birth: str
    smoking: str
    conditions: list[tuple[str, str, str]]  # (CIM-10 code, display, onset)
    drugs: list[tuple[str, str, str]]  # (ATC code, display, start)
    visits: list[dict] = field(default_factory=list)  # {"date":..., "sbp":..., "dbp":..., lab concept: value}
    extra: list[dict] = field(default_factory=list)  # raw resources (data-quality demos)


def rid(*parts: str) -> str:
    return str(uuid.uuid5(NS, "/".join(parts)))


def obs(p: Person, concept: str, value: float, when: str) -> dict:
    code, display, unit = LAB[concept]
    return {"resourceType": "Observation", "id": rid(p.key, concept, when), "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory" if concept not in ("weight", "height", "bmi")
                                      else "vital-signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
            "subject": {"reference": f"Patient/{p.key}"}, "effectiveDateTime": f"{when}T09:00:00+01:00",
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}


def bp(p: Person, sbp: float, dbp: float, when: str) -> dict:
    def comp(code: str, display: str, v: float) -> dict:
        return {"code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                "valueQuantity": {"value": v, "unit": "mmHg", "system": "http://unitsofmeasure.org",
                                  "code": "mm[Hg]"}}

    return {"resourceType": "Observation", "id": rid(p.key, "bp", when), "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "Pression artérielle"}]},
            "subject": {"reference": f"Patient/{p.key}"}, "effectiveDateTime": f"{when}T10:30:00+01:00",
            "component": [comp("8480-6", "PA systolique", sbp), comp("8462-4", "PA diastolique", dbp)]}


def smoking(p: Person, when: str) -> dict:
    code, display = SMOKING[p.smoking]
    return {"resourceType": "Observation", "id": rid(p.key, "smoking", when), "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "72166-2", "display": "Statut tabagique"}]},
            "subject": {"reference": f"Patient/{p.key}"}, "effectiveDateTime": f"{when}T10:00:00+01:00",
            "valueCodeableConcept": {"coding": [{"system": SCT, "code": code, "display": display}]}}


def bundle(p: Person) -> dict:
    patient = {"resourceType": "Patient", "id": p.key,
               "name": [{"family": p.family, "given": [p.given]}], "gender": p.gender, "birthDate": p.birth,
               "address": [{"country": "FR"}], "communication": [{"language": {"coding": [
                   {"system": "urn:ietf:bcp:47", "code": "fr-FR"}]}}]}
    resources: list[dict] = [patient]
    for code, display, onset in p.conditions:
        resources.append({"resourceType": "Condition", "id": rid(p.key, "dx", code),
                          "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                                    "condition-clinical", "code": "active"}]},
                          "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                                        "condition-ver-status",
                                                             "code": "confirmed"}]},
                          "code": {"coding": [{"system": ICD10, "code": code, "display": display}],
                                   "text": display},
                          "subject": {"reference": f"Patient/{p.key}"}, "onsetDateTime": onset})
    for code, display, start in p.drugs:
        resources.append({"resourceType": "MedicationRequest", "id": rid(p.key, "rx", code), "status": "active",
                          "intent": "order",
                          "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code,
                                                                    "display": display}], "text": display},
                          "subject": {"reference": f"Patient/{p.key}"}, "authoredOn": start})
    for v in p.visits:
        when = v["date"]
        resources.append({"resourceType": "Encounter", "id": rid(p.key, "enc", when), "status": "finished",
                          "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                          "subject": {"reference": f"Patient/{p.key}"},
                          "period": {"start": f"{when}T09:00:00+01:00", "end": f"{when}T09:30:00+01:00"}})
        if "sbp" in v:
            resources.append(bp(p, v["sbp"], v["dbp"], when))
        for concept in LAB:
            if concept in v:
                resources.append(obs(p, concept, v[concept], when))
        if v.get("smoking"):
            resources.append(smoking(p, when))
    resources.extend(p.extra)
    return {"resourceType": "Bundle", "type": "collection",
            "meta": {"tag": [{"code": "demo", "display": "Fictional demonstration patient (risk dashboard)"}]},
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}" if r["resourceType"] != "Patient" else
                       f"urn:uuid:{p.key}", "resource": r} for r in resources]}


def people() -> list[Person]:
    return [
        Person(key="fr-camille-lefevre", given="Camille", family="Lefèvre", gender="female", birth="1968-04-12",
               smoking="never", conditions=[("I10", "Hypertension essentielle", "2019-05-06")],
               drugs=[("C09AA05", "Ramipril 5 mg", "2019-05-06")],
               visits=[{"date": "2022-03-10", "sbp": 152, "dbp": 92, "total_chol": 2.21, "hdl": 0.58,
                        "ldl": 1.38, "tg": 1.25, "glucose": 0.95, "smoking": True, "weight": 71, "height": 164},
                       {"date": "2024-09-18", "sbp": 141, "dbp": 86, "creat": 71, "egfr": 88},
                       {"date": "2026-06-02", "sbp": 138, "dbp": 84, "total_chol": 2.15, "hdl": 0.61,
                        "ldl": 1.31, "tg": 1.12, "glucose": 0.97, "creat": 74, "egfr": 84, "weight": 72,
                        "smoking": True}]),
        Person(key="fr-jean-pierre-martin", given="Jean-Pierre", family="Martin", gender="male",
               birth="1962-11-03", smoking="former",
               conditions=[("E11.2", "Diabète de type 2 avec complications rénales", "2013-02-11"),
                           ("I10", "Hypertension essentielle", "2014-06-20"),
                           ("E78.5", "Hyperlipidémie, sans précision", "2014-06-20")],
               drugs=[("A10BA02", "Metformine 1000 mg", "2013-02-11"), ("C09AA05", "Ramipril 10 mg", "2014-06-20"),
                      ("C10AA05", "Atorvastatine 20 mg", "2014-06-20")],
               visits=[{"date": "2024-01-15", "sbp": 146, "dbp": 84, "hba1c": 58, "creat": 98, "egfr": 72,
                        "uacr": 8.5, "total_chol": 1.72, "hdl": 0.42, "ldl": 0.98, "tg": 1.6, "smoking": True},
                       {"date": "2025-02-03", "sbp": 149, "dbp": 86, "hba1c": 62, "creat": 108, "egfr": 65,
                        "uacr": 14.0},
                       {"date": "2025-11-20", "sbp": 151, "dbp": 85, "hba1c": 66, "hba1c_pct": 8.2, "creat": 118,
                        "egfr": 58, "uacr": 22.0, "weight": 92, "height": 176},
                       {"date": "2026-09-14", "sbp": 154, "dbp": 88, "hba1c": 69, "creat": 129, "egfr": 52,
                        "uacr": 35.0, "total_chol": 1.81, "hdl": 0.40, "ldl": 1.05, "tg": 1.9, "weight": 93,
                        "smoking": True}]),
        Person(key="fr-nathalie-dubois", given="Nathalie", family="Dubois", gender="female", birth="1980-07-22",
               smoking="never", conditions=[], drugs=[],
               visits=[{"date": "2025-10-08", "sbp": 118, "dbp": 74, "total_chol": 1.92, "hdl": 0.66,
                        "ldl": 1.08, "tg": 0.82, "glucose": 0.88, "weight": 61, "height": 166, "smoking": True}]),
        Person(key="fr-michel-bernard", given="Michel", family="Bernard", gender="male", birth="1950-01-30",
               smoking="former",
               conditions=[("I25.2", "Infarctus du myocarde, ancien", "2019-03-02"),
                           ("I10", "Hypertension essentielle", "2012-09-01")],
               drugs=[("C10AA05", "Atorvastatine 80 mg", "2019-03-05"), ("B01AC06", "Aspirine 75 mg", "2019-03-05"),
                      ("C07AB07", "Bisoprolol 5 mg", "2019-03-05"), ("C09AA05", "Ramipril 5 mg", "2019-03-05")],
               visits=[{"date": "2025-12-01", "sbp": 132, "dbp": 76, "total_chol": 1.55, "hdl": 0.45,
                        "ldl": 0.82, "tg": 1.3, "creat": 96, "egfr": 68, "smoking": True},
                       {"date": "2026-08-19", "sbp": 134, "dbp": 78, "total_chol": 1.49, "hdl": 0.46,
                        "ldl": 0.74, "tg": 1.2, "creat": 99, "egfr": 65, "weight": 80, "height": 172}]),
        Person(key="fr-sophie-laurent", given="Sophie", family="Laurent", gender="female", birth="1957-05-15",
               smoking="never",
               conditions=[("N18.3", "Maladie rénale chronique, stade 3", "2021-10-04"),
                           ("I10", "Hypertension essentielle", "2010-03-12")],
               drugs=[("C09CA01", "Losartan 50 mg", "2010-03-12"), ("C08CA01", "Amlodipine 5 mg", "2018-01-09")],
               visits=[{"date": "2024-10-01", "sbp": 136, "dbp": 80, "creat": 118, "egfr": 44, "uacr": 28.0},
                       {"date": "2025-10-06", "sbp": 139, "dbp": 82, "creat": 127, "egfr": 40, "uacr": 36.0,
                        "total_chol": 2.32, "hdl": 0.55, "ldl": 1.46, "tg": 1.5},
                       {"date": "2026-10-05", "sbp": 142, "dbp": 83, "creat": 140, "egfr": 35, "uacr": 45.0,
                        "weight": 66, "height": 160, "smoking": True}]),
        Person(key="fr-karim-benali", given="Karim", family="Benali", gender="male", birth="1974-02-09",
               smoking="current", conditions=[("E78.0", "Hypercholestérolémie essentielle", "2023-05-10")],
               drugs=[],
               visits=[{"date": "2023-05-10", "sbp": 138, "dbp": 88, "total_chol": 2.74, "hdl": 0.41,
                        "ldl": 1.92, "tg": 2.05, "smoking": True},
                       {"date": "2026-07-07", "sbp": 144, "dbp": 90, "total_chol": 2.81, "hdl": 0.39,
                        "ldl": 1.98, "tg": 2.2, "glucose": 1.04, "weight": 88, "height": 178, "smoking": True}],
               extra=[]),
    ]


def data_quality_demo(p: Person) -> None:
    """Two defects real records carry: an HDL typed in the wrong unit and a date in the future."""
    bad = obs(p, "hdl", 41.0, "2026-07-07")
    bad["id"] = rid(p.key, "hdl-wrong-unit")
    bad["valueQuantity"]["unit"] = bad["valueQuantity"]["code"] = "mmol/L"
    future = obs(p, "total_chol", 2.5, "2031-01-01")
    future["id"] = rid(p.key, "future")
    p.extra.extend([bad, future])


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for p in people():
        if p.key == "fr-karim-benali":
            data_quality_demo(p)
        (OUT / f"{p.key}.json").write_text(json.dumps(bundle(p), ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")


if __name__ == "__main__":
    main()
