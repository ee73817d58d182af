"""Turn one simulated chunk of patients into FHIR R4 NDJSON lines, one resource type at a time.

Resources are minimal but valid R4: Patient, Encounter (AMB visits, IMP admissions), Observation (vital
signs, laboratory, smoking status, cause of death), Condition, Procedure, MedicationRequest. Every reference
points at a resource written in the same export. Lines are yielded in batches so memory stays bounded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import numpy as np
import orjson

from risk.synth import codes as C
from risk.synth import hazards as H
from risk.synth import parameters as P
from risk.synth.fhir import (
    CATEGORY, codeable_json, coding, dates, numbers, quantity_suffix, sequence_in_group, timestamps,
)
from risk.synth.medications import ACTIVE, KEYS, STOPPED, prescriptions
from risk.synth.names import (
    FR_CITIES, FR_FAMILY, FR_FEMALE, FR_MALE, OTHER_FAMILY, OTHER_FEMALE, OTHER_MALE,
)
from risk.synth.population import DAYS_PER_YEAR
from risk.synth.simulate import F_DM, Ev, History
from risk.synth.visits import REVIEW, Measured, Visits, make_visits, measure, minute_of_day, record_end

BATCH = 100_000
Emit = Callable[[str, list[str]], None]

OBS_ORDER = ("bp", "weight", "height", "bmi", "smoking", "total_chol", "hdl", "ldl", "triglycerides", "glucose",
             "hba1c", "creatinine", "egfr", "uacr")
LAB_DEFECT_CONCEPTS = ("total_chol", "hdl", "ldl", "triglycerides", "glucose", "creatinine")
CONDITION_OF_EVENT = {Ev.DX_DIABETES: "diabetes_type2", Ev.DX_DYSLIPIDAEMIA: "hyperlipidaemia",
                      Ev.MI: "myocardial_infarction", Ev.HF: "heart_failure", Ev.AF: "atrial_fibrillation",
                      Ev.DIALYSIS: "esrd", Ev.RETINOPATHY: "diabetic_retinopathy",
                      Ev.NEUROPATHY: "diabetic_neuropathy", Ev.FOOT_ULCER: "diabetic_foot_ulcer",
                      Ev.AMPUTATION: "amputation"}
CKD_CONDITION = {30: "ckd_stage_3", 35: "ckd_stage_3b", 40: "ckd_stage_4", 50: "ckd_stage_5"}
STROKE_CONDITION = {0: "stroke_ischaemic", 1: "stroke", 2: "stroke_haemorrhagic"}
ADMISSION_DAYS = {Ev.MI: 5, Ev.STROKE: 9, Ev.HF: 8, Ev.DIALYSIS: 3, Ev.AMPUTATION: 12}
ACUTE = (Ev.MI, Ev.STROKE, Ev.HF, Ev.DIALYSIS, Ev.AMPUTATION)
SYNTHETIC_TAG = {"system": "urn:risk-synth", "code": "synthetic", "display": "Synthetic patient (risk.synth)"}


class ChunkWriter:
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
            self.emit(resource, lines[k:k + BATCH])
        self.counts[resource] += len(lines)

    # --- visits, encounters and observations ----------------------------------------------------------
    def write(self) -> None:
        v = make_visits(self.rng, self.h)
        self.visit_ids = (self.pid[v.patient] + "-e" + sequence_in_group(v.patient).astype(str).astype(object))
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
        death_ts = timestamps(np.floor(np.nan_to_num(h.death_day)), ((np.nan_to_num(h.death_day) % 1) * 1440).astype(int))
        births = dates(pop.birth_day)
        lines, deaths = [], []
        for i in range(pop.n):
            fr, male = bool(self.fr[i]), bool(pop.male[i])
            first, family = pop.name_index[i]
            given = (FR_MALE if male else FR_FEMALE) if fr else (OTHER_MALE if male else OTHER_FEMALE)
            fam = FR_FAMILY if fr else OTHER_FAMILY
            res: dict[str, object] = {
                "resourceType": "Patient", "id": self.pid[i], "meta": {"tag": [SYNTHETIC_TAG]},
                "identifier": [{"system": "urn:risk-synth:mrn", "value": self.pid[i]}],
                "name": [{"use": "official", "family": fam[family % len(fam)], "given": [given[first % len(given)]]}],
                "gender": "male" if male else "female", "birthDate": births[i],
            }
            if dead[i]:
                res["deceasedDateTime"] = death_ts[i]
            if fr:
                city, postcode = FR_CITIES[(first + family) % len(FR_CITIES)]
                res["address"] = [{"city": city, "postalCode": postcode, "country": "FR"}]
                res["communication"] = [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "fr-FR",
                                                                  "display": "French (France)"}]}}]
            lines.append(orjson.dumps(res).decode() + "\n")
            if dead[i]:
                cause = C.CAUSES[int(h.death_cause[i])]
                obs = {"resourceType": "Observation", "id": self.pid[i] + "-death", "status": "final",
                       "code": coding(C.CAUSE_OF_DEATH), "subject": {"reference": "Patient/" + self.pid[i]},
                       "effectiveDateTime": death_ts[i],
                       "valueCodeableConcept": coding(C.Code(C.ICD10, cause[0], cause[1]))}
                deaths.append(orjson.dumps(obs).decode() + "\n")
        self._emit("Patient", lines)
        self._emit("Observation", deaths)

    def _encounters(self, v: Visits) -> None:
        end_ts = timestamps(v.day, minute_of_day(v.patient, v.day) + 20)
        typ = codeable_json(C.ENCOUNTER_AMB)
        head = '{"resourceType":"Encounter","id":"'
        mid = ('","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",'
               '"code":"AMB","display":"ambulatory"},"type":[' + typ + '],"subject":{"reference":"Patient/')
        pids = self.pid[v.patient]
        lines = [f'{head}{e}{mid}{p}"}},"period":{{"start":"{s}","end":"{t}"}}}}\n'
                 for e, p, s, t in zip(self.visit_ids, pids, self.visit_ts, end_ts, strict=True)]
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
        lines = [f'{head}{o}{pre}{p}"}},"encounter":{{"reference":"Encounter/{e}"}},"effectiveDateTime":"{t}",{val}}}\n'
                 for o, pre, p, e, t, val in zip(oid, prefix, pids, eids, ts, value, strict=True)]
        self._emit("Observation", lines)

    def _format(self, concept: str, style: str, m: Measured, sel: np.ndarray, v: Visits,
                rng: np.random.Generator) -> tuple[list[str], str]:
        """Value fragments and the constant prefix (status, category, code, subject start) for one style."""
        def prefix(code: C.Code, category: str) -> str:
            return f'","status":"final","category":{CATEGORY[category]},"code":{codeable_json(code)},"subject":{{"reference":"Patient/'

        if concept == "bp":
            sbp, dbp = numbers(m.value[sel], 0), numbers(m.value2[sel], 0)
            unit = quantity_suffix("mm[Hg]")
            s_code, d_code = codeable_json(C.SBP), codeable_json(C.DBP)
            vals = [f'"component":[{{"code":{s_code},"valueQuantity":{{"value":{s}{unit}}},'
                    f'{{"code":{d_code},"valueQuantity":{{"value":{d}{unit}}}]' for s, d in zip(sbp, dbp, strict=True)]
            return vals, prefix(C.BP_PANEL, "vital-signs")
        if concept == "smoking":
            answers = {k: '"valueCodeableConcept":' + codeable_json(c) for k, c in C.SMOKING_ANSWERS.items()}
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
        """Creatinine in mg/dL as the lab reported it (rounded in the lab's unit): eGFR is computed from it."""
        if style == "fr":
            return np.round(umol) / P.UMOL_PER_MG_CREATININE
        return np.round(umol / P.UMOL_PER_MG_CREATININE, 2)

    def _defects(self, concept: str, style: str, raw: np.ndarray, text: list[str], suffix: np.ndarray,
                 rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
        """Data-quality defects of parameters.DEFECT_KINDS in DEFECT_SHARE of these lab results."""
        hit = np.flatnonzero(rng.random(len(text)) < P.DEFECT_SHARE)
        text = list(text)
        for k in hit:
            if concept == "creatinine":
                self.defects["creatinine_unit_swap"] += 1
                if style == "fr":
                    text[k], suffix[k] = numbers(np.array([raw[k] / P.UMOL_PER_MG_CREATININE]), 2)[0], quantity_suffix("umol/L")
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

    # --- admissions, conditions, procedures ------------------------------------------------------------
    def _event_ts(self, patient: np.ndarray, day: np.ndarray, at_visit: np.ndarray) -> np.ndarray:
        whole = np.floor(day)
        minute = np.where(at_visit, minute_of_day(patient, whole), ((day % 1) * 1440).astype(int).clip(0, 1439))
        return timestamps(whole, minute)

    def _admissions_and_conditions(self, v: Visits) -> None:
        h, ev = self.h, self.h.events
        p, day, kind, detail = ev["patient"], ev["day"], ev["kind"], ev["detail"]
        entry = self.pop.entry_day[p]
        alive_then = day <= h.exit_day[p]
        # Admissions (IMP encounters) for acute events inside the record.
        adm = np.isin(kind, ACUTE) & (day >= entry) & alive_then
        ai = np.flatnonzero(adm)
        adm_patient = p[ai]
        adm_id = np.full(len(p), None, dtype=object)
        adm_id[ai] = self.pid[adm_patient] + "-h" + sequence_in_group(adm_patient).astype(str).astype(object)
        start_ts = self._event_ts(adm_patient, day[ai], np.zeros(ai.size, dtype=bool))
        los = np.array([ADMISSION_DAYS[Ev(int(k))] for k in kind[ai]], dtype=float)
        end_day = np.minimum(day[ai] + los, np.where(np.isnan(h.death_day[adm_patient]), np.inf, h.death_day[adm_patient]))
        end_ts = self._event_ts(adm_patient, end_day, np.zeros(ai.size, dtype=bool))
        imp = codeable_json(C.ENCOUNTER_IMP)
        lines = []
        for k, idx in enumerate(ai):
            reason = self._condition_code(int(kind[idx]), int(detail[idx]), bool(self.fr[p[idx]]))
            enc = {"resourceType": "Encounter", "id": adm_id[idx], "status": "finished",
                   "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP",
                             "display": "inpatient encounter"},
                   "type": [orjson.loads(imp)], "subject": {"reference": "Patient/" + self.pid[p[idx]]},
                   "period": {"start": start_ts[k], "end": end_ts[k]}}
            if reason is not None:
                enc["reasonCode"] = [coding(reason)]
            lines.append(orjson.dumps(enc).decode() + "\n")
        self._emit("Encounter", lines)
        self._conditions(v, adm_id)

    def _condition_code(self, kind: int, detail: int, fr: bool) -> C.Code | None:
        key = self._condition_key(kind, detail)
        if key is None:
            return None
        return C.CONDITIONS[key]["fr" if fr else "us"]

    @staticmethod
    def _condition_key(kind: int, detail: int) -> str | None:
        if kind == Ev.DX_HYPERTENSION:
            return "hypertension" if detail == 1 else None
        if kind == Ev.DX_CKD:
            return CKD_CONDITION[detail]
        if kind == Ev.STROKE:
            return STROKE_CONDITION[detail]
        return CONDITION_OF_EVENT.get(Ev(kind)) if kind in CONDITION_OF_EVENT else None

    def _conditions(self, v: Visits, adm_id: np.ndarray) -> None:
        h, ev = self.h, self.h.events
        p, day, kind, detail = ev["patient"], ev["day"], ev["kind"], ev["detail"]
        keys = np.array([self._condition_key(int(k), int(d)) for k, d in zip(kind, detail, strict=True)], dtype=object)
        keep = (keys != None) & (day <= h.exit_day[p])  # noqa: E711  (object array comparison)
        registration = self._registration_day(v)
        # Visit encounter of a diagnosis made at a review inside the record.
        vkey = v.patient.astype(np.int64) * 100_000 + v.day.astype(np.int64)
        review_visits = np.flatnonzero(v.kind == REVIEW)
        lookup = dict(zip(vkey[review_visits].tolist(), review_visits.tolist(), strict=True))
        abatement = _abatements(p, day, kind)
        idx = np.flatnonzero(keep)
        cond_patient = p[idx]
        cid = self.pid[cond_patient] + "-c" + sequence_in_group(cond_patient).astype(str).astype(object)
        at_visit = np.isin(kind[idx], [Ev.DX_HYPERTENSION, Ev.DX_DIABETES, Ev.DX_DYSLIPIDAEMIA, Ev.DX_CKD])
        onset_ts = self._event_ts(cond_patient, day[idx], at_visit)
        recorded_day = np.maximum(np.floor(day[idx]), registration[cond_patient])
        recorded = dates(recorded_day)
        abated = ~np.isnan(abatement[idx]) & (np.nan_to_num(abatement[idx]) <= h.exit_day[cond_patient])
        abatement_ts = self._event_ts(cond_patient, np.nan_to_num(abatement[idx]), np.ones(idx.size, dtype=bool))
        lines = []
        for k, e in enumerate(idx):
            i = int(p[e])
            fr = bool(self.fr[i])
            key = keys[e]
            code = C.CONDITIONS[key]["fr" if fr else "us"]
            chronic = int(kind[e]) not in (Ev.MI, Ev.STROKE)
            res: dict[str, object] = {
                "resourceType": "Condition", "id": cid[k],
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                               "code": "active"}]},
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                   "code": "confirmed"}]},
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                          "code": "problem-list-item" if chronic else "encounter-diagnosis"}]}],
                "code": coding(code), "subject": {"reference": "Patient/" + self.pid[i]},
                "onsetDateTime": onset_ts[k], "recordedDate": recorded[k],
            }
            if adm_id[e] is not None:
                res["encounter"] = {"reference": "Encounter/" + adm_id[e]}
            elif at_visit[k] and day[e] >= self.pop.entry_day[i]:
                visit = lookup.get(i * 100_000 + int(day[e]))
                if visit is not None:
                    res["encounter"] = {"reference": "Encounter/" + self.visit_ids[visit]}
            if abated[k]:
                res["clinicalStatus"]["coding"][0]["code"] = "resolved"
                res["abatementDateTime"] = abatement_ts[k]
            lines.append(orjson.dumps(res).decode() + "\n")
            if key == "diabetic_foot_ulcer" and fr:
                extra = dict(res, id=cid[k] + "b", code=coding(C.CONDITIONS["lower_limb_ulcer"]["fr"]))
                lines.append(orjson.dumps(extra).decode() + "\n")
        self._emit("Condition", lines)

    def _registration_day(self, v: Visits) -> np.ndarray:
        from risk.synth.visits import REGISTRATION

        reg = np.full(self.pop.n, np.inf)
        sel = v.kind == REGISTRATION
        reg[v.patient[sel]] = v.day[sel]
        return np.where(np.isinf(reg), np.floor(self.pop.entry_day), reg)

    def _procedures(self, v: Visits) -> None:
        h, ev, rng = self.h, self.h.events, self.rng
        p, day, kind = ev["patient"], ev["day"], ev["kind"]
        inside = (day >= self.pop.entry_day[p]) & (day <= h.exit_day[p])
        rows = []  # (patient, day, procedure key, at_visit)
        for k, name in ((Ev.PCI, "pci"), (Ev.AMPUTATION, "amputation")):
            sel = inside & (kind == k)
            rows += [(int(a), float(b), name, False) for a, b in zip(p[sel], day[sel], strict=True)]
        dial = inside & (kind == Ev.DIALYSIS)
        for a, b in zip(p[dial], day[dial], strict=True):
            t = float(b)
            while t < self.end[a]:  # start of dialysis, then a yearly record while on it
                rows.append((int(a), t, "dialysis", False))
                t += DAYS_PER_YEAR
        flags = h.flags[v.year, v.patient]
        diabetic = (flags & F_DM) > 0
        per_visit = 1.0 / np.maximum(v.count_in_year, 1)
        for name, rate in (("eye_exam", P.EYE_EXAM_PER_YEAR_DIABETES), ("foot_exam", P.FOOT_EXAM_PER_YEAR_DIABETES)):
            sel = np.flatnonzero(diabetic & (rng.random(len(v)) < rate * per_visit))
            rows += [(int(a), float(b), name, True) for a, b in zip(v.patient[sel], v.day[sel], strict=True)]
        rows.sort(key=lambda r: (r[0], r[1]))
        if not rows:
            return
        patient = np.array([r[0] for r in rows])
        days = np.array([r[1] for r in rows])
        ts = self._event_ts(patient, days, np.array([r[3] for r in rows]))
        seq = sequence_in_group(patient)
        lines = []
        for k, (i, _, name, _) in enumerate(rows):
            res = {"resourceType": "Procedure", "id": f"{self.pid[i]}-p{seq[k]}", "status": "completed",
                   "code": coding(C.PROCEDURES[name]), "subject": {"reference": "Patient/" + self.pid[i]},
                   "performedDateTime": ts[k]}
            lines.append(orjson.dumps(res).decode() + "\n")
        self._emit("Procedure", lines)

    # --- prescriptions ------------------------------------------------------------------------------------
    def _medications(self, v: Visits) -> None:
        rx = prescriptions(self.rng, self.h, self._registration_day(v), self.end)
        if rx.patient.size == 0:
            return
        authored = self._event_ts(rx.patient, rx.day, np.ones(rx.patient.size, dtype=bool))
        end = dates(rx.end)
        start = dates(rx.day)
        seq = sequence_in_group(rx.patient)
        status_text = {STOPPED: "stopped", ACTIVE: "active"}
        lines = []
        for k in range(rx.patient.size):
            i = int(rx.patient[k])
            name = KEYS[int(rx.key[k])][0]
            class_name = "statin" if name == "statin_high" else name
            index = C.choose_product(class_name, float(self.pop.product[i, _class_slot(class_name)]))
            if name == "glp1_receptor_agonist" and index == C.SEMAGLUTIDE_INDEX and int(start[k][:4]) < P.SEMAGLUTIDE_FROM:
                index = 0
            product = C.PRODUCTS[name][index]
            fr = bool(self.fr[i])
            code = product.fr if fr else product.us
            res = {"resourceType": "MedicationRequest", "id": f"{self.pid[i]}-m{seq[k]}",
                   "status": status_text.get(int(rx.status[k]), "completed"), "intent": "order",
                   "medicationCodeableConcept": coding(code), "subject": {"reference": "Patient/" + self.pid[i]},
                   "authoredOn": authored[k],
                   "dosageInstruction": [{"text": product.dosage_fr if fr else product.dosage_us}],
                   "dispenseRequest": {"validityPeriod": {"start": start[k], "end": end[k]},
                                       "numberOfRepeatsAllowed": 3,
                                       "expectedSupplyDuration": {"value": 90, "unit": "days",
                                                                  "system": "http://unitsofmeasure.org", "code": "d"}}}
            lines.append(orjson.dumps(res).decode() + "\n")
        self._emit("MedicationRequest", lines)


def _abatements(p: np.ndarray, day: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Day each event's condition ends (NaN if it does not): a CKD stage when the next stage is coded, a foot
    ulcer when it heals. Events are sorted by patient then day."""
    out = np.full(p.size, np.nan)
    for ends, starts in ((Ev.DX_CKD, Ev.DX_CKD), (Ev.ULCER_HEALED, Ev.FOOT_ULCER)):
        s_idx = np.flatnonzero(kind == starts)
        e_idx = np.flatnonzero(kind == ends)
        if s_idx.size == 0 or e_idx.size == 0:
            continue
        e_key = p[e_idx].astype(float) * 1e6 + day[e_idx]
        s_key = p[s_idx].astype(float) * 1e6 + day[s_idx]
        pos = np.searchsorted(e_key, s_key, side="right")
        ok = pos < e_idx.size
        nxt = e_idx[np.minimum(pos, e_idx.size - 1)]
        ok &= p[nxt] == p[s_idx]
        out[s_idx[ok]] = day[nxt[ok]]
    return out


def _class_slot(class_name: str) -> int:
    from risk.synth.drugs import BIT

    return BIT[class_name]


def iter_lines(lines: list[str]) -> Iterator[bytes]:
    yield "".join(lines).encode()
