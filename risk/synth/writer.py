"""Turn one simulated chunk of patients into FHIR R4 NDJSON lines, one resource type at a time.

Resources are minimal but valid R4: Patient, Encounter (AMB visits, IMP admissions), Observation (vital
signs, laboratory, smoking status, cause of death), Condition, Procedure, MedicationRequest. Every reference
points at a resource written in the same export. Lines are yielded in batches so memory stays bounded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import orjson

from risk.synth import codes as C
from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth.fhir import (
    CATEGORY,
    codeable_json,
    coding,
    dates,
    numbers,
    quantity_suffix,
    sequence_in_group,
    timestamps,
)
from risk.synth.names import (
    FR_CITIES,
    FR_FAMILY,
    FR_FEMALE,
    FR_MALE,
    OTHER_FAMILY,
    OTHER_FEMALE,
    OTHER_MALE,
)
from risk.synth.population import DAYS_PER_YEAR
from risk.synth.state import History
from risk.synth.visits import Measured, Visits, make_visits, measure, minute_of_day, record_end
from risk.synth.writer_clinical import ClinicalResources

BATCH = 100_000
Emit = Callable[[str, list[str]], None]

OBS_ORDER = (
    "bp",
    "weight",
    "height",
    "bmi",
    "smoking",
    "total_chol",
    "hdl",
    "ldl",
    "triglycerides",
    "glucose",
    "hba1c",
    "creatinine",
    "egfr",
    "uacr",
)
LAB_DEFECT_CONCEPTS = ("total_chol", "hdl", "ldl", "triglycerides", "glucose", "creatinine")
SYNTHETIC_TAG = {"system": "urn:risk-synth", "code": "synthetic", "display": "Synthetic patient (risk.synth)"}


class ChunkWriter(ClinicalResources):
    """Writes one chunk; `emit(resource_type, lines)` receives batches of NDJSON lines."""

    def __init__(self, h: History, rng: np.random.Generator, patient_ids: list[str], emit: Emit) -> None:
        self.h, self.rng, self.pid, self.emit = h, rng, np.array(patient_ids, dtype=object), emit
        self.pop = h.pop
        self.fr = self.pop.french
        self.end = record_end(h)
        self.counts: Counter[str] = Counter()
        self.defects: Counter[str] = Counter()

    def _emit(self, resource: str, lines: list[str]) -> None:
        for k in range(0, len(lines), BATCH):
            self.emit(resource, lines[k : k + BATCH])
        self.counts[resource] += len(lines)

    # --- visits, encounters and observations ----------------------------------------------------------
    def write(self) -> None:
        v = make_visits(self.rng, self.h)
        self.visit_ids = self.pid[v.patient] + "-e" + sequence_in_group(v.patient).astype(str).astype(object)
        self.visit_ts = timestamps(v.day, minute_of_day(v.patient, v.day))
        self._patients()
        self._encounters(v)
        measured = measure(self.rng, self.h, v)
        self._observations(v, measured)
        self._admissions_and_conditions(v)
        self._procedures(v)
        self._medications(v)

    def _patients(self) -> None:
        pop, h = self.pop, self.h
        dead = ~np.isnan(h.death_day)
        death_ts = timestamps(
            np.floor(np.nan_to_num(h.death_day)), ((np.nan_to_num(h.death_day) % 1) * 1440).astype(int)
        )
        births = dates(pop.birth_day)
        lines, deaths = [], []
        for i in range(pop.n):
            fr, male = bool(self.fr[i]), bool(pop.male[i])
            first, family = pop.name_index[i]
            given = (FR_MALE if male else FR_FEMALE) if fr else (OTHER_MALE if male else OTHER_FEMALE)
            fam = FR_FAMILY if fr else OTHER_FAMILY
            res: dict[str, object] = {
                "resourceType": "Patient",
                "id": self.pid[i],
                "meta": {"tag": [SYNTHETIC_TAG]},
                "identifier": [{"system": "urn:risk-synth:mrn", "value": self.pid[i]}],
                "name": [
                    {
                        "use": "official",
                        "family": fam[family % len(fam)],
                        "given": [given[first % len(given)]],
                    }
                ],
                "gender": "male" if male else "female",
                "birthDate": births[i],
            }
            if dead[i]:
                res["deceasedDateTime"] = death_ts[i]
            if fr:
                city, postcode = FR_CITIES[(first + family) % len(FR_CITIES)]
                res["address"] = [{"city": city, "postalCode": postcode, "country": "FR"}]
                res["communication"] = [
                    {
                        "language": {
                            "coding": [
                                {"system": "urn:ietf:bcp:47", "code": "fr-FR", "display": "French (France)"}
                            ]
                        }
                    }
                ]
            lines.append(orjson.dumps(res).decode() + "\n")
            if dead[i]:
                cause = C.CAUSES[int(h.death_cause[i])]
                obs = {
                    "resourceType": "Observation",
                    "id": self.pid[i] + "-death",
                    "status": "final",
                    "code": coding(C.CAUSE_OF_DEATH),
                    "subject": {"reference": "Patient/" + self.pid[i]},
                    "effectiveDateTime": death_ts[i],
                    "valueCodeableConcept": coding(C.Code(C.ICD10, cause[0], cause[1])),
                }
                deaths.append(orjson.dumps(obs).decode() + "\n")
        self._emit("Patient", lines)
        self._emit("Observation", deaths)

    def _encounters(self, v: Visits) -> None:
        end_ts = timestamps(v.day, minute_of_day(v.patient, v.day) + 20)
        typ = codeable_json(C.ENCOUNTER_AMB)
        head = '{"resourceType":"Encounter","id":"'
        mid = (
            '","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",'
            '"code":"AMB","display":"ambulatory"},"type":[' + typ + '],"subject":{"reference":"Patient/'
        )
        pids = self.pid[v.patient]
        for k in range(0, len(pids), BATCH):  # format and write in slices to bound memory
            cut = slice(k, k + BATCH)
            lines = [
                f'{head}{e}{mid}{p}"}},"period":{{"start":"{s}","end":"{t}"}}}}\n'
                for e, p, s, t in zip(
                    self.visit_ids[cut], pids[cut], self.visit_ts[cut], end_ts[cut], strict=True
                )
            ]
            self._emit("Encounter", lines)

    def _observations(self, v: Visits, measured: dict[str, Measured]) -> None:
        rows_visit, rows_order, rows_value, rows_prefix = [], [], [], []
        rng = self.rng
        for order, concept in enumerate(OBS_ORDER):
            if concept == "egfr":
                m = measured["creatinine"]
            else:
                m = measured[concept]
            if m.visit.size == 0:
                continue
            fr = self.fr[v.patient[m.visit]]
            values = np.empty(m.visit.size, dtype=object)
            prefix = np.empty(m.visit.size, dtype=object)
            for style, sel in (("fr", fr), ("us", ~fr)):
                if not sel.any():
                    continue
                val, pre = self._format(concept, style, m, sel, v, rng)
                values[sel] = val
                prefix[sel] = pre
            rows_visit.append(m.visit)
            rows_order.append(np.full(m.visit.size, order))
            rows_value.append(values)
            rows_prefix.append(prefix)
        visit = np.concatenate(rows_visit)
        srt = np.lexsort((np.concatenate(rows_order), visit))
        visit = visit[srt]
        value = np.concatenate(rows_value)[srt]
        prefix = np.concatenate(rows_prefix)[srt]
        patient = v.patient[visit]
        oid = self.pid[patient] + "-o" + sequence_in_group(patient).astype(str).astype(object)
        pids, eids, ts = self.pid[patient], self.visit_ids[visit], self.visit_ts[visit]
        head = '{"resourceType":"Observation","id":"'
        middle = '"},"encounter":{"reference":"Encounter/'
        for k in range(0, len(oid), BATCH):
            cut = slice(k, k + BATCH)
            columns = (oid[cut], prefix[cut], pids[cut], eids[cut], ts[cut], value[cut])
            lines = [
                f'{head}{o}{pre}{p}{middle}{e}"}},"effectiveDateTime":"{t}",{val}}}\n'
                for o, pre, p, e, t, val in zip(*columns, strict=True)
            ]
            self._emit("Observation", lines)

    def _format(
        self, concept: str, style: str, m: Measured, sel: np.ndarray, v: Visits, rng: np.random.Generator
    ) -> tuple[list[str], str]:
        """Value fragments and the constant prefix (status, category, code, subject start) for one style."""

        def prefix(code: C.Code, category: str) -> str:
            code_json = codeable_json(code, text=False)
            return (f'","status":"final","category":{CATEGORY[category]},"code":{code_json},'
                    '"subject":{"reference":"Patient/')

        if concept == "bp":
            sbp, dbp = numbers(m.value[sel], 0), numbers(m.value2[sel], 0)
            unit = quantity_suffix("mm[Hg]")
            s_code, d_code = codeable_json(C.SBP, text=False), codeable_json(C.DBP, text=False)
            vals = [
                f'"component":[{{"code":{s_code},"valueQuantity":{{"value":{s}{unit}}},'
                f'{{"code":{d_code},"valueQuantity":{{"value":{d}{unit}}}]'
                for s, d in zip(sbp, dbp, strict=True)
            ]
            return vals, prefix(C.BP_PANEL, "vital-signs")
        if concept == "smoking":
            answers = {
                k: '"valueCodeableConcept":' + codeable_json(c, text=False)
                for k, c in C.SMOKING_ANSWERS.items()
            }
            return [answers[int(x)] for x in m.value[sel]], prefix(C.SMOKING_STATUS, "social-history")
        spec = C.OBSERVATIONS[concept][style]
        raw = m.value[sel]
        if concept == "egfr":
            creat = self._reported_creatinine(raw, style)
            patient = v.patient[m.visit[sel]]
            age = (v.day[m.visit[sel]] - self.pop.birth_day[patient]) / DAYS_PER_YEAR
            shown = H.ckd_epi_2021(creat, age, self.pop.male[patient])
        elif concept == "hba1c" and style == "fr":
            shown = (raw - C.A1C_PCT_TO_MMOL_MOL[0]) / C.A1C_PCT_TO_MMOL_MOL[1]
        else:
            shown = raw * spec.factor
        text = numbers(shown, spec.decimals)
        suffix = np.full(len(text), quantity_suffix(spec.unit), dtype=object)
        if concept in LAB_DEFECT_CONCEPTS:
            text, suffix = self._defects(concept, style, raw, text, suffix, rng)
        vals = ['"valueQuantity":{"value":' + t + s for t, s in zip(text, suffix, strict=True)]
        return vals, prefix(spec.code, spec.category)

    @staticmethod
    def _reported_creatinine(umol: np.ndarray, style: str) -> np.ndarray:
        """Creatinine in mg/dL as reported (rounded in the lab unit): the lab computes eGFR from it."""
        if style == "fr":
            return np.round(umol) / P.UMOL_PER_MG_CREATININE
        return np.round(umol / P.UMOL_PER_MG_CREATININE, 2)

    def _defects(
        self,
        concept: str,
        style: str,
        raw: np.ndarray,
        text: list[str],
        suffix: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[list[str], np.ndarray]:
        """Data-quality defects of parameters.DEFECT_KINDS in DEFECT_SHARE of these lab results."""
        hit = np.flatnonzero(rng.random(len(text)) < P.DEFECT_SHARE)
        text = list(text)
        for k in hit:
            if concept == "creatinine":
                self.defects["creatinine_unit_swap"] += 1
                if style == "fr":
                    text[k], suffix[k] = (
                        numbers(np.array([raw[k] / P.UMOL_PER_MG_CREATININE]), 2)[0],
                        quantity_suffix("umol/L"),
                    )
                else:
                    text[k], suffix[k] = numbers(np.array([raw[k]]), 0)[0], quantity_suffix("mg/dL")
            elif rng.random() < 0.5:
                self.defects["missing_unit"] += 1
                suffix[k] = quantity_suffix(None)
            else:
                self.defects["mislabelled_unit"] += 1
                if style == "us":  # the mmol/L number labelled mg/dL
                    text[k], suffix[k] = numbers(np.array([raw[k]]), 2)[0], quantity_suffix("mg/dL")
                else:  # the g/L number labelled mmol/L
                    suffix[k] = quantity_suffix("mmol/L")
        return text, suffix
