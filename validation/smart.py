"""Retraining check on real measurements and outcomes: the SMART cohort, cvd10 retrained 5-fold vs SCORE2.

What this is: a check of the retraining METHOD (`risk train`: equation-anchored boosting, index date where the
record has measurements, regularisation for a small cohort) on real measurements and real outcomes. It is NOT a
clinical claim: every SMART patient has vascular disease, for which neither cvd10 nor SCORE2 is meant. The FHIR
export is written WITHOUT the baseline vascular-disease diagnoses (cerebral, aortic aneurysm, peripheral, carotid
stenosis), so that both scores can be computed; the question asked is only whether a model retrained this way
ranks the same patients at least as well as the equation it starts from (acceptance 3 of issue 16: ΔC >= 0).

Data: SMART (Second Manifestations of ARTerial disease; Simons PC et al., Eur J Epidemiol 1999;15:773; 3,873
patients, vascular events over up to 9.5 years), data set `smarto` of the `SurvSet` wheel (from the R package
hdnom). Licence unclear: read from the installed wheel at run time (`pip install '.[validation]'`), never copied
into the repository; the FHIR export goes to a temporary folder (or --keep DIR).

Mapping (one baseline visit on BASELINE for everyone; SMART's inclusion dates are not in the data):
- Patient: sex (1 male, 2 female), birth date = baseline - (age + 0.5) years (age is in whole years).
- Observations at baseline: SBP/DBP (office, else device), total/HDL/LDL cholesterol, triglycerides, glucose
  (mmol/L), creatinine (µmol/L; eGFR is derived by the reader), weight, height, BMI, smoking (1 never, 2 former,
  3 current; missing -> no observation).
- Condition: diabetes (SNOMED 73211009) dated at baseline: SMART gives no age at diagnosis, so diabetes
  duration reads 0; no HbA1c either, so SCORE2-Diabetes is not computed and diabetic patients fall to PREVENT or
  the anchor's fallback (they are left out of the "same rows" comparison with SCORE2).
- Outcome: SMART's composite vascular event (MI, stroke or vascular death) as one Condition coded myocardial
  infarction (SNOMED 22298006) at baseline + time: cvd10's outcome is the same union, so the label is exact;
  censoring as a last Encounter at baseline + time. Non-vascular deaths are not in `smarto` (censored).
Horizon: 5 years, not 10. SMART's follow-up stops at 9.5 years (a third of the patients are followed 5 years, 6 %
8 years), so no patient is known to be event-free at 10 years and IPCW cannot estimate a 10-year risk (`risk train`
refuses). The check retrains cvd10's method (same features, anchor, constraints, cross-validation) on the 5-year
outcome; SCORE2's 10-year risk is compared on ranking (C-index, unaffected by the horizon) on the same rows, and
its calibration figures against the 5-year outcome are shown for completeness only (the scale differs).
Not mapped: albuminuria category (no UACR value: never guess a number), alcohol, IMT, homocysteine, pack-years.

Usage: python validation/smart.py [--folds 5] [--bootstrap 3] [--keep DIR]
Prints per-fold and pooled out-of-fold C-index of the retrained cvd10 and of the SCORE2 family on the same rows,
the paired bootstrap ΔC with its 95 % CI, and calibration slope / calibration-in-the-large.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASELINE = date(2000, 1, 1)
HORIZON_YEARS = 5.0  # see the module docstring: follow-up stops at 9.5 years
LOINC, SNOMED, UCUM = "http://loinc.org", "http://snomed.info/sct", "http://unitsofmeasure.org"
# (column, LOINC, UCUM unit, factor): SMART's units (mmol/L, µmol/L, kg, m) as published by hdnom.
LABS = (
    ("num_chol", "14647-2", "mmol/L", 1.0),
    ("num_hdl", "14646-4", "mmol/L", 1.0),
    ("num_ldl", "22748-8", "mmol/L", 1.0),
    ("num_trig", "14927-8", "mmol/L", 1.0),
    ("num_glut", "14749-6", "mmol/L", 1.0),
    ("num_creat", "14682-9", "umol/L", 1.0),
    ("num_weight", "29463-7", "kg", 1.0),
    ("num_length", "8302-2", "cm", 100.0),
    ("num_bmi", "39156-5", "kg/m2", 1.0),
)
SMOKING = {"1": ("266919005", "Never smoked tobacco"), "2": ("8517006", "Ex-smoker"), "3": ("77176002", "Smoker")}


def load_smart() -> pd.DataFrame:
    """`smarto` from the installed SurvSet wheel (not redistributed)."""
    try:
        from SurvSet.data import SurvLoader
    except ImportError as e:  # pragma: no cover - depends on the optional group
        raise SystemExit("SurvSet is not installed: pip install '.[validation]'") from e
    return SurvLoader().load_dataset("smarto")["df"]


def _when(days: float = 0.0) -> str:
    return (BASELINE + timedelta(days=float(days))).isoformat() + "T12:00:00+01:00"


# fmt: off
def _quantity(pid: str, n: int, loinc: str, value: float, unit: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": f"smart-{pid}-o{n}", "status": "final",
            "code": {"coding": [{"system": LOINC, "code": loinc}]}, "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": _when(),
            "valueQuantity": {"value": round(float(value), 3), "unit": unit, "system": UCUM, "code": unit}}
# fmt: on


def _condition(pid: str, n: int, code: str, display: str, days: float) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"smart-{pid}-c{n}",
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
        },
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": _when(days),
    }


def _encounter(pid: str, n: int, days: float) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": f"smart-{pid}-e{n}",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": f"Patient/{pid}"},
        "period": {"start": _when(days), "end": _when(days)},
    }


def patient_resources(row: pd.Series) -> dict[str, list[dict[str, Any]]]:
    """One SMART patient as FHIR resources, without the baseline vascular-disease diagnoses."""
    pid = f"smart{int(row['pid']):04d}"
    birth = BASELINE - timedelta(days=round(365.25 * (float(row["num_age"]) + 0.5)))
    out: dict[str, list[dict[str, Any]]] = {
        "Patient": [
            {
                "resourceType": "Patient",
                "id": pid,
                "gender": "male" if int(row["fac_sex"]) == 1 else "female",
                "birthDate": birth.isoformat(),
            }
        ],
        "Observation": [],
        "Condition": [],
        "Encounter": [_encounter(pid, 0, 0), _encounter(pid, 1, float(row["time"]))],
    }
    obs = out["Observation"]
    sbp = row["num_systbp"] if pd.notna(row["num_systbp"]) else row["num_systh"]
    dbp = row["num_diastbp"] if pd.notna(row["num_diastbp"]) else row["num_diasth"]
    if pd.notna(sbp):
        obs.append(_quantity(pid, len(obs), "8480-6", sbp, "mm[Hg]"))
    if pd.notna(dbp):
        obs.append(_quantity(pid, len(obs), "8462-4", dbp, "mm[Hg]"))
    for col, loinc, unit, factor in LABS:
        if pd.notna(row[col]):
            obs.append(_quantity(pid, len(obs), loinc, float(row[col]) * factor, unit))
    smoking = SMOKING.get(str(row["fac_smoking"]))
    if smoking is not None:
        obs.append(
            {
                "resourceType": "Observation",
                "id": f"smart-{pid}-o{len(obs)}",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "72166-2"}]},
                "subject": {"reference": f"Patient/{pid}"},
                "effectiveDateTime": _when(),
                "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": smoking[0], "display": smoking[1]}]},
            }
        )
    if str(row["fac_diabetes"]) == "1":
        out["Condition"].append(_condition(pid, 0, "73211009", "Diabetes mellitus", 0))
    if int(row["event"]) == 1:
        out["Condition"].append(
            _condition(pid, 1, "22298006", "SMART vascular event (MI, stroke or vascular death)", float(row["time"]))
        )
    return out


def write_export(df: pd.DataFrame, folder: Path) -> Path:
    """The SMART cohort as a FHIR bulk export (NDJSON per resource type)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        t: (folder / f"{t}.ndjson").open("w", encoding="utf-8")
        for t in ("Patient", "Observation", "Condition", "Encounter")
    }
    try:
        for _, row in df.iterrows():
            for kind, resources in patient_resources(row).items():
                for r in resources:
                    files[kind].write(json.dumps(r) + "\n")
    finally:
        for f in files.values():
            f.close()
    return folder


def fold_of(pid: str, folds: int) -> int:
    return int(hashlib.sha256(f"smart-fold:{pid}".encode()).hexdigest()[:8], 16) % folds


def fold_split(index: pd.Index, k: int, folds: int) -> pd.Series:
    """Fold k is the test set; of the rest, one patient in eight calibrates, the others train."""

    def bucket(pid: str) -> str:
        if fold_of(pid, folds) == k:
            return "test"
        return (
            "calibration" if int(hashlib.sha256(f"smart-cal:{pid}".encode()).hexdigest()[:8], 16) % 8 == 0 else "train"
        )

    return pd.Series([bucket(str(p)) for p in index], index=index)


def run(folder: Path, *, folds: int = 5, n_bootstrap: int = 3) -> dict[str, Any]:
    from risk.models.evaluate import evaluate
    from risk.models.pipeline import as_loaded, equation_risks, landmark_sets, load_tables
    from risk.models.spec import MODEL_SPECS
    from risk.models.train import train

    tables = load_tables(folder)
    spec = replace(MODEL_SPECS["cvd10"], horizon_years=HORIZON_YEARS)
    ts = landmark_sets(spec, tables, landmarks=0)[0]
    parts, per_fold = [], []
    for k in range(folds):
        tk = replace(ts, split=fold_split(ts.features.index, k, folds))
        model = train(tk, n_bootstrap=n_bootstrap, seed=2026 + k)
        test = (tk.split == "test").to_numpy()
        predicted = as_loaded(model, folder).predict(tk.features[test]).risk
        score2 = equation_risks(tk.features[test], ("score2_family",), table=tk.equations[test])["score2_family"]
        parts.append((tk.features[test], tk.labels[test], tk.targets[test], predicted, score2))
        m = evaluate(
            features=tk.features[test],
            labels=tk.labels[test],
            targets=tk.targets[test],
            predicted=predicted,
            comparators={"score2_family": score2},
        )
        c = m["comparators"].get("score2_family")
        per_fold.append(
            {
                "fold": k,
                "trees": model.info["rounds"],
                "n_test": int(test.sum()),
                "delta_c": None if c is None else c["c_index_difference"]["estimate"],
            }
        )
    feats, labels, targets = (pd.concat([p[i] for p in parts]) for i in range(3))
    predicted, score2 = np.concatenate([p[3] for p in parts]), np.concatenate([p[4] for p in parts])
    pooled = evaluate(
        features=feats, labels=labels, targets=targets, predicted=predicted, comparators={"score2_family": score2}
    )
    return {
        "index_date": ts.index_date.isoformat(),
        "patients": int(len(ts.features)),
        "events": int((ts.labels["status"] == 1).sum()),
        "folds": per_fold,
        "overall": pooled["overall"],
        "score2_family": pooled["comparators"]["score2_family"],
    }


def report(result: dict[str, Any]) -> str:
    same = result["score2_family"]["on_same_patients"]
    d = result["score2_family"]["c_index_difference"]
    lines = [
        f"SMART (smarto), retrained cvd10 vs SCORE2 family, {len(result['folds'])}-fold, index date "
        f"{result['index_date']}: {result['patients']} patients, {result['events']} events within "
        f"{HORIZON_YEARS:g} years (this check's horizon)"
    ]
    for f in result["folds"]:
        dc = "n/a" if f["delta_c"] is None else f"{f['delta_c']:+.3f}"
        lines.append(f"  fold {f['fold']}: {f['n_test']} test patients, {f['trees']} trees, ΔC {dc}")
    o = result["overall"]
    lines.append(
        f"  pooled out-of-fold, all rows: model C {o['c_index']:.3f} (n={o['n']}), slope "
        f"{o['calibration_slope']:.2f}, calibration-in-the-large {o['calibration_intercept']:+.2f}"
    )
    for who in ("model", "score2_family"):
        b = same[who]
        lines.append(
            f"  same {b['n']} rows, {who}: C {b['c_index']:.3f} ({b['c_index_ci'][0]:.3f}-"
            f"{b['c_index_ci'][1]:.3f}), slope {b['calibration_slope']:.2f}, calibration-in-the-large "
            f"{b['calibration_intercept']:+.2f}"
        )
    deltas = [f["delta_c"] for f in result["folds"] if f["delta_c"] is not None]
    lines.append(
        f"  ΔC per fold (each fold's model on its own held-out rows), mean {np.mean(deltas):+.4f}: the "
        "cross-validated estimate"
    )
    lines.append(
        f"  pooled out-of-fold ΔC (model - SCORE2 family) {d['estimate']:+.4f} (95 % CI {d['ci'][0]:+.4f} to "
        f"{d['ci'][1]:+.4f}): pooling ranks patients across five differently recalibrated models, so it can "
        "differ from the per-fold figures even when every fold's model is a monotone transform of SCORE2"
    )
    lines.append("This checks the retraining method on real measurements and outcomes; it is not a clinical claim.")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--bootstrap", type=int, default=3, help="ensemble members per fold (intervals only)")
    ap.add_argument("--keep", type=Path, help="write the FHIR export here and keep it (default: temporary)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="smart-fhir-") as tmp:
        folder = write_export(load_smart(), args.keep or Path(tmp) / "smart")
        result = run(folder, folds=args.folds, n_bootstrap=args.bootstrap)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
