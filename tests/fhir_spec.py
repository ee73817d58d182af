"""Small FHIR R4 bundles written from a compact spec, for end-to-end tests (FHIR file -> record -> scores).

A spec names the patient and lists what a GP would read in the chart; every entry becomes a real FHIR
resource with LOINC, SNOMED CT, CIM-10, ATC or RxNorm codes and explicit UCUM units, so the tests go through
the same reading, terminology and unit code as real files. Nothing here knows the library's internals.

>>> spec = PatientSpec(id="p1", sex="female", birth="1968-06-01",
...                    labs=[Lab("total_chol", 2.1, "g/L", "2023-05-02")])
>>> [e["resource"]["resourceType"] for e in bundle(spec)["entry"]]
['Patient', 'Observation']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"  # WHO ICD-10, as French CIM-10 uses it
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"

# concept -> (LOINC code, display); values carry their own unit in the spec
LAB_CODES: dict[str, tuple[str, str]] = {
    "total_chol": ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"),
    "hdl": ("2085-9", "HDL Cholesterol"),
    "ldl": ("13457-7", "LDL Cholesterol (calculated)"),
    "hba1c": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
    "hba1c_ifcc": ("59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol"),
    "creatinine": ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
    "creatinine_molar": ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"),
    "egfr": ("62238-1", "eGFR CKD-EPI"),
    "uacr": ("9318-7", "Albumin/Creatinine [Mass Ratio] in Urine"),
    "uacr_molar": ("14585-4", "Albumin/Creatinine [Ratio] in Urine"),
    "weight": ("29463-7", "Body weight"),
    "height": ("8302-2", "Body height"),
    "bmi": ("39156-5", "Body mass index"),
    "glucose": ("2339-0", "Glucose [Mass/volume] in Blood"),
    "potassium": ("2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
    "sbp": ("8480-6", "Systolic blood pressure"),
    "dbp": ("8462-4", "Diastolic blood pressure"),
}
SMOKING = {"never": ("266919005", "Never smoker"), "former": ("8517006", "Former smoker"),
           "current": ("449868002", "Current every day smoker")}


@dataclass(frozen=True)
class Lab:
    concept: str  # a key of LAB_CODES
    value: float | str
    unit: str | None  # UCUM code; None leaves the unit out
    date: str  # FHIR dateTime or date


@dataclass(frozen=True)
class BP:
    sbp: float
    dbp: float
    date: str


@dataclass(frozen=True)
class Code:
    system: str  # SNOMED, ICD10, ATC, RXNORM
    code: str
    date: str  # onset (conditions) or authoredOn (prescriptions)
    display: str | None = None


@dataclass
class PatientSpec:
    id: str
    sex: str | None  # "male" | "female" | None (left out)
    birth: str | None  # FHIR date | None (left out)
    labs: list[Lab] = field(default_factory=list)
    bp: list[BP] = field(default_factory=list)
    conditions: list[Code] = field(default_factory=list)
    meds: list[Code] = field(default_factory=list)
    smoking: tuple[str, str] | None = None  # (never | former | current, date)
    statements: list[Code] = field(default_factory=list)  # MedicationStatement, active, started on `date`
    procedures: list[Code] = field(default_factory=list)  # Procedure, completed, performed on `date`
    findings: list[Code] = field(default_factory=list)  # Observation with a code and no value (e.g. a FIT)
    extra: list[dict[str, Any]] = field(default_factory=list)  # raw resources, added as they are


def _ref(spec: PatientSpec) -> dict[str, str]:
    return {"reference": f"urn:uuid:{spec.id}"}


def _when(date: str) -> str:
    return date if "T" in date or len(date) < 10 else f"{date}T09:30:00+01:00"  # a French lab's morning


def patient_resource(spec: PatientSpec) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "id": spec.id,
                           "name": [{"family": spec.id.upper(), "given": ["Test"]}]}
    if spec.sex is not None:
        res["gender"] = spec.sex
    if spec.birth is not None:
        res["birthDate"] = spec.birth
    return res


def lab_resource(spec: PatientSpec, lab: Lab, n: int) -> dict[str, Any]:
    code, display = LAB_CODES[lab.concept]
    quantity: dict[str, Any] = {"value": lab.value}
    if lab.unit is not None:
        quantity |= {"unit": lab.unit, "system": UCUM, "code": lab.unit}
    return {"resourceType": "Observation", "id": f"{spec.id}-{lab.concept}-{n}", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "subject": _ref(spec), "effectiveDateTime": _when(lab.date), "valueQuantity": quantity}


def bp_resource(spec: PatientSpec, bp: BP, n: int) -> dict[str, Any]:
    def component(code: str, value: float) -> dict[str, Any]:
        return {"code": {"coding": [{"system": LOINC, "code": code}]},
                "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}}

    return {"resourceType": "Observation", "id": f"{spec.id}-bp-{n}", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "Blood pressure panel"}]},
            "subject": _ref(spec), "effectiveDateTime": _when(bp.date),
            "component": [component("8480-6", bp.sbp), component("8462-4", bp.dbp)]}


def condition_resource(spec: PatientSpec, c: Code, n: int) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": f"{spec.id}-cond-{n}",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "code": {"coding": [{"system": c.system, "code": c.code, "display": c.display or c.code}]},
            "subject": _ref(spec), "onsetDateTime": _when(c.date)}


def medication_resource(spec: PatientSpec, c: Code, n: int) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": f"{spec.id}-med-{n}", "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": c.system, "code": c.code,
                                                      "display": c.display or c.code}]},
            "subject": _ref(spec), "authoredOn": _when(c.date)}


def statement_resource(spec: PatientSpec, c: Code, n: int) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "id": f"{spec.id}-stmt-{n}", "status": "active",
            "medicationCodeableConcept": {"coding": [{"system": c.system, "code": c.code,
                                                      "display": c.display or c.code}]},
            "subject": _ref(spec), "effectivePeriod": {"start": _when(c.date)}}


def procedure_resource(spec: PatientSpec, c: Code, n: int) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": f"{spec.id}-proc-{n}", "status": "completed",
            "code": {"coding": [{"system": c.system, "code": c.code, "display": c.display or c.code}]},
            "subject": _ref(spec), "performedDateTime": _when(c.date)}


def finding_resource(spec: PatientSpec, c: Code, n: int) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": f"{spec.id}-finding-{n}", "status": "final",
            "code": {"coding": [{"system": c.system, "code": c.code, "display": c.display or c.code}]},
            "subject": _ref(spec), "effectiveDateTime": _when(c.date)}


def smoking_resource(spec: PatientSpec) -> dict[str, Any]:
    status, date = spec.smoking  # type: ignore[misc]
    code, display = SMOKING[status]
    return {"resourceType": "Observation", "id": f"{spec.id}-smoking", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "72166-2", "display": "Tobacco smoking status"}]},
            "subject": _ref(spec), "effectiveDateTime": _when(date),
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code, "display": display}]}}


def resources(spec: PatientSpec) -> list[dict[str, Any]]:
    """The patient's resources (Patient first), as a Synthea-style transaction would hold them."""
    out = [patient_resource(spec)]
    out += [lab_resource(spec, lab, n) for n, lab in enumerate(spec.labs)]
    out += [bp_resource(spec, bp, n) for n, bp in enumerate(spec.bp)]
    out += [condition_resource(spec, c, n) for n, c in enumerate(spec.conditions)]
    out += [medication_resource(spec, c, n) for n, c in enumerate(spec.meds)]
    out += [statement_resource(spec, c, n) for n, c in enumerate(spec.statements)]
    out += [procedure_resource(spec, c, n) for n, c in enumerate(spec.procedures)]
    out += [finding_resource(spec, c, n) for n, c in enumerate(spec.findings)]
    if spec.smoking is not None:
        out.append(smoking_resource(spec))
    out += spec.extra
    return out


def bundle(spec: PatientSpec, *, bundle_type: str = "transaction") -> dict[str, Any]:
    entries = []
    for res in resources(spec):
        entry: dict[str, Any] = {"fullUrl": f"urn:uuid:{res.get('id')}", "resource": res}
        if bundle_type == "transaction":
            entry["request"] = {"method": "POST", "url": res["resourceType"]}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": bundle_type, "entry": entries}


def write_bundle(folder: Path, spec: PatientSpec, **kw: Any) -> Path:
    path = folder / f"{spec.id}.json"
    path.write_text(json.dumps(bundle(spec, **kw), ensure_ascii=False), encoding="utf-8")
    return path
