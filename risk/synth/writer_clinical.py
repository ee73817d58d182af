"""Clinical resources of one chunk: hospital admissions, Conditions, Procedures and MedicationRequests.

A mixin of `writer.ChunkWriter` (it uses the writer's patient ids, visits and `_emit`). Conditions come from
the simulated diagnoses and outcome events, including the history before the record started (problem list,
recorded at the registration visit); acute events inside the record get an inpatient Encounter.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import orjson

from risk.synth import codes as C
from risk.synth import drugs as D
from risk.synth import parameters as P
from risk.synth.fhir import codeable_json, coding, dates, sequence_in_group, timestamps
from risk.synth.medications import ACTIVE, KEYS, STOPPED, prescriptions
from risk.synth.population import DAYS_PER_YEAR, Population
from risk.synth.state import F_DM, Ev, History
from risk.synth.visits import REGISTRATION, REVIEW, Visits, minute_of_day

CONDITION_OF_EVENT = {
    Ev.DX_DIABETES: "diabetes_type2",
    Ev.DX_DYSLIPIDAEMIA: "hyperlipidaemia",
    Ev.MI: "myocardial_infarction",
    Ev.HF: "heart_failure",
    Ev.AF: "atrial_fibrillation",
    Ev.DIALYSIS: "esrd",
    Ev.RETINOPATHY: "diabetic_retinopathy",
    Ev.NEUROPATHY: "diabetic_neuropathy",
    Ev.FOOT_ULCER: "diabetic_foot_ulcer",
    Ev.AMPUTATION: "amputation",
    Ev.DX_RHEUMATOID_ARTHRITIS: "rheumatoid_arthritis",
    Ev.DX_SLE: "sle",
    Ev.DX_MIGRAINE: "migraine",
    Ev.DX_SEVERE_MENTAL_ILLNESS: "severe_mental_illness",
    Ev.DX_ERECTILE_DYSFUNCTION: "erectile_dysfunction",
    Ev.FAMILY_HISTORY_CHD: "family_history_chd",
}
CKD_CONDITION = {30: "ckd_stage_3", 35: "ckd_stage_3b", 40: "ckd_stage_4", 50: "ckd_stage_5"}
STROKE_CONDITION = {0: "stroke_ischaemic", 1: "stroke", 2: "stroke_haemorrhagic"}
ADMISSION_DAYS = {Ev[name]: days for name, days in P.ADMISSION_DAYS.items()}
ACUTE = (Ev.MI, Ev.STROKE, Ev.HF, Ev.DIALYSIS, Ev.AMPUTATION)
SECOND_FRENCH_CODE = {"diabetic_foot_ulcer": "lower_limb_ulcer", "esrd": "dialysis_dependence"}


class ClinicalResources:
    """Mixin: needs h, pop, pid, fr, end, visit_ids, rng and _emit from the writer."""

    h: History
    pop: Population
    pid: np.ndarray
    fr: np.ndarray
    end: np.ndarray
    visit_ids: np.ndarray
    rng: np.random.Generator
    _emit: Callable[[str, list[str]], None]

    def _event_ts(self, patient: np.ndarray, day: np.ndarray, at_visit: np.ndarray) -> np.ndarray:
        whole = np.floor(day)
        minute = np.where(
            at_visit, minute_of_day(patient, whole), ((day % 1) * 1440).astype(int).clip(0, 1439)
        )
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
        end_day = np.minimum(
            day[ai] + los, np.where(np.isnan(h.death_day[adm_patient]), np.inf, h.death_day[adm_patient])
        )
        end_ts = self._event_ts(adm_patient, end_day, np.zeros(ai.size, dtype=bool))
        imp = codeable_json(C.ENCOUNTER_IMP)
        lines = []
        for k, idx in enumerate(ai):
            reason = self._condition_code(int(kind[idx]), int(detail[idx]), bool(self.fr[p[idx]]))
            enc = {
                "resourceType": "Encounter",
                "id": adm_id[idx],
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "IMP",
                    "display": "inpatient encounter",
                },
                "type": [orjson.loads(imp)],
                "subject": {"reference": "Patient/" + self.pid[p[idx]]},
                "period": {"start": start_ts[k], "end": end_ts[k]},
            }
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
        keys = np.array(
            [self._condition_key(int(k), int(d)) for k, d in zip(kind, detail, strict=True)], dtype=object
        )
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
        abatement_ts = self._event_ts(
            cond_patient, np.nan_to_num(abatement[idx]), np.ones(idx.size, dtype=bool)
        )
        lines = []
        for k, e in enumerate(idx):
            i = int(p[e])
            fr = bool(self.fr[i])
            key = keys[e]
            code = C.CONDITIONS[key]["fr" if fr else "us"]
            chronic = int(kind[e]) not in (Ev.MI, Ev.STROKE)
            res: dict[str, object] = {
                "resourceType": "Condition",
                "id": cid[k],
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "verificationStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "code": "confirmed",
                        }
                    ]
                },
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                "code": "problem-list-item" if chronic else "encounter-diagnosis",
                            }
                        ]
                    }
                ],
                "code": coding(code),
                "subject": {"reference": "Patient/" + self.pid[i]},
                "onsetDateTime": onset_ts[k],
                "recordedDate": recorded[k],
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
            second = SECOND_FRENCH_CODE.get(key)
            if second is not None and fr:
                extra = dict(res, id=cid[k] + "b", code=coding(C.CONDITIONS[second]["fr"]))
                lines.append(orjson.dumps(extra).decode() + "\n")
        self._emit("Condition", lines)

    def _registration_day(self, v: Visits) -> np.ndarray:
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
        for name, rate in (
            ("eye_exam", P.EYE_EXAM_PER_YEAR_DIABETES),
            ("foot_exam", P.FOOT_EXAM_PER_YEAR_DIABETES),
        ):
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
            res = {
                "resourceType": "Procedure",
                "id": f"{self.pid[i]}-p{seq[k]}",
                "status": "completed",
                "code": coding(C.PROCEDURES[name]),
                "subject": {"reference": "Patient/" + self.pid[i]},
                "performedDateTime": ts[k],
            }
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
            index = C.choose_product(class_name, float(self.pop.product[i, D.BIT[class_name]]))
            if (
                name == "glp1_receptor_agonist"
                and index == C.SEMAGLUTIDE_INDEX
                and int(start[k][:4]) < P.SEMAGLUTIDE_FROM
            ):
                index = 0
            product = C.PRODUCTS[name][index]
            fr = bool(self.fr[i])
            code = product.fr if fr else product.us
            res = {
                "resourceType": "MedicationRequest",
                "id": f"{self.pid[i]}-m{seq[k]}",
                "status": status_text.get(int(rx.status[k]), "completed"),
                "intent": "order",
                "medicationCodeableConcept": coding(code),
                "subject": {"reference": "Patient/" + self.pid[i]},
                "authoredOn": authored[k],
                "dosageInstruction": [{"text": product.dosage_fr if fr else product.dosage_us}],
                "dispenseRequest": {
                    "validityPeriod": {"start": start[k], "end": end[k]},
                    "numberOfRepeatsAllowed": 3,
                    "expectedSupplyDuration": {
                        "value": 90,
                        "unit": "days",
                        "system": "http://unitsofmeasure.org",
                        "code": "d",
                    },
                },
            }
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
