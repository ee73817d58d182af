"""Model cards (TRIPOD+AI items) written from the spec, the training manifest and the held-out metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from risk.models.registry import write_checksums
from risk.models.spec import MODEL_SPECS, ModelSpec, tree_features


def _ci(block: dict[str, Any], key: str) -> str:
    value = block.get(key)
    ci = block.get(f"{key}_ci")
    if value is None:
        return "n/a"
    return f"{value:.3f}" + (f" (95 % CI {ci[0]:.3f}-{ci[1]:.3f})" if ci else "")


def _slope(value: float) -> str:
    """A slope far outside any plausible range means the fit diverged (e.g. near-constant predictions)."""
    return f"{value:.2f}" if abs(value) < 100 else "n/a (fit diverged: predictions nearly constant)"


def _row(name: str, b: dict[str, Any]) -> str:
    return (f"| {name} | {b['n']} | {b['events']} | {_ci(b, 'c_index')} | {_ci(b, 'auroc')} | "
            f"{_slope(b['calibration_slope'])} | {b['calibration_intercept']:+.2f} | {b['brier']:.4f} | "
            f"{b['mean_predicted']:.3f} / {b['observed']:.3f} |")


def rewrite_card(folder: Path | str, external: str | None = None) -> None:
    """Re-render a saved model's card from its manifest and metrics, then re-seal the folder's checksums."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    card = model_card(MODEL_SPECS[manifest["name"]], training=manifest["training"], metrics=metrics,
                      external=external, verdict=manifest.get("gate"), anchor=manifest.get("anchor"))
    (folder / "card.md").write_text(card, encoding="utf-8")
    write_checksums(folder)


HEADER = ("| group | n | events | C-index | AUROC (IPCW) | cal. slope | cal. intercept | Brier | "
          "mean predicted / observed |\n|---|---|---|---|---|---|---|---|---|")


def _anchor_lines(spec: ModelSpec, training: dict[str, Any], anchor: dict[str, Any] | None) -> list[str]:
    """How the model starts from its published equation, and what cross-validation kept of the trees."""
    cv = training.get("cross_validation") or {}
    eqs = (anchor or {}).get("equations") or []
    if eqs:
        start = (f"- Anchor: the model starts from {' / '.join(eqs)} (first that applies), recalibrated to the "
                 f"training rows ({(anchor or {}).get('method', 'n/a')}), as XGBoost's base margin; the trees "
                 f"learn only the residual. {training.get('anchor_rows_train', 'n/a')} of "
                 f"{training.get('n_train', 'n/a')} training rows had an anchor equation; on the others (an input "
                 "missing, type 1 diabetes) the offset is the log-odds of the outcome in such rows and the trees, "
                 "which see the missing inputs as missing, give the rest.")
    else:
        start = ("- Anchor: none (no published equation predicts this outcome in this population; see "
                 "risk/models/anchor.py); the trees start from the training log-odds.")
    if cv.get("trees_kept") is False:
        trees = ("- Trees: none. Cross-validation on the training rows found no gain over the anchor (log-loss "
                 f"{cv.get('anchor_logloss', float('nan')):.4f} for the anchor alone), so this model IS the "
                 "recalibrated equation.")
    elif cv:
        trees = (f"- Trees: depth {cv.get('max_depth')} and {cv.get('rounds')} rounds chosen by 5-fold "
                 f"cross-validation on the training rows (tried: "
                 + "; ".join(f"depth {t['max_depth']}: {t['rounds']} rounds, log-loss {t['logloss']:.4f}"
                             for t in cv.get("tried", []))
                 + f"; anchor alone {cv.get('anchor_logloss', float('nan')):.4f}).")
    else:
        trees = "- Trees: rounds by early stopping (no cross-validation recorded)."
    return [start, trees,
            "- Monotone constraints: age, SBP, LDL / non-HDL / total cholesterol, HbA1c, current smoking, UACR, "
            "diabetes duration and BMI can only raise the trees' risk, eGFR and HDL only lower it; treatments are "
            "not tree inputs (they would stand in for the disease they treat), so lowering a modifiable factor "
            "never raises the risk."]


ENGINES = {
    "dask": "a Dask cluster (`risk train --engine dask`: features per patient bucket, one task per model and "
            "bootstrap member), the same bytes as a run in one process with the same seeds",
    "xgboost.dask": "a Dask cluster with `xgboost.dask` (`risk train --engine dask --xgboost-dask`: boosters "
                    "trained across the workers); not bit-identical to a run in one process, accepted within "
                    "0.005 C-index of it on the held-out split",
}


def _engine_lines(training: dict[str, Any]) -> list[str]:
    """Where the model was trained, when not in one process (those cards, as before, say nothing)."""
    engine = training.get("engine")
    return [f"- Trained on: {ENGINES.get(engine, engine)}."] if engine else []


def _verdict_lines(verdict: dict[str, Any] | None) -> list[str]:
    if not verdict:
        return []
    line = f"**Verdict: {verdict['verdict']}** ({verdict['reason']})."
    if verdict["verdict"] == "challenger":
        line += (" The published equation leads the patient page, the panel and the JSON headline; this model is "
                 "shown after it.")
    return ["", "## Validation gate (champion / challenger)",
            "`primary` only when the lower bound of the paired-bootstrap 95 % CI of the C-index difference against "
            "the anchor equation on the same held-out patients is above zero and the calibration slope is within "
            "0.8-1.2.", "", line]


def model_card(spec: ModelSpec, *, training: dict[str, Any], metrics: dict[str, Any],
               external: str | None = None, verdict: dict[str, Any] | None = None,
               anchor: dict[str, Any] | None = None) -> str:
    synthetic = training.get("synthetic", True)
    first = ("**Trained on SYNTHETIC data** generated by `risk synth` (no real patient was used). "
             "Not validated for clinical use; retrain on your data." if synthetic else
             f"Trained on {training.get('description', 'a site bulk export')}. Not validated for clinical use "
             "until your own external validation says otherwise.")
    overall = metrics["overall"]
    lines = [
        f"# Model card: `{spec.name}` — {spec.title_en}", "", first, "",
        "## Intended use",
        f"- Predicts: {spec.title_en} (FR: {spec.title_fr}), horizon {spec.horizon_years:g} years, as the "
        "cumulative incidence with death from other causes as a competing event.",
        f"- Population: {spec.population}.",
        "- Users: GPs and care coordinators, beside the published equations (SCORE2, SCORE2-Diabetes, PREVENT, "
        "KFRE), which remain the clinical reference. Decision support only; it does not diagnose or prescribe.",
        "- Not for: people outside the population above, pregnancy, type 1 diabetes without validation, acute "
        "care, or any use as the sole basis of a treatment decision.", "",
        "## Training data",
        f"- Source: {training.get('description', 'n/a')}",
        f"- Index date: {training.get('index_date')}; horizon {spec.horizon_years:g} y; rows (one per patient and "
        f"index date): {training.get('n_train')} training, {training.get('n_calibration')} calibration (with known "
        "status), "
        f"held-out test described below. Split by a hash of the patient id (70/10/20). Training and calibration "
        f"rows come from the index dates {', '.join(training.get('landmarks', [str(training.get('index_date'))]))} "
        "(landmarking: one row per patient per index date); the test rows use the latest index date only.",
        "- Labels come from the FHIR timeline only (Condition onsets, cause-of-death Observations, lab values, "
        "Patient.deceasedDateTime): first event after the index date within the horizon; follow-up ends at the "
        "last recorded activity (censoring) or death (competing event).",
        "",
        "## Method",
        "- XGBoost `binary:logistic` with inverse-probability-of-censoring weights (Kaplan-Meier of censoring), "
        "so the output estimates the cumulative incidence at the horizon with competing deaths (Vock et al. 2016). "
        "Chosen over `survival:cox` + Breslow because a cause-specific Cox model treats competing deaths as "
        "censoring and overestimates risk in older people, and because the weighted log-odds keep TreeSHAP "
        "contributions exactly additive.",
        *_anchor_lines(spec, training, anchor),
        f"- Hyper-parameters: {training.get('params')}; rounds: {training.get('rounds')}.",
        *_engine_lines(training),
        f"- Calibration on the calibration split: {training.get('calibration_method', 'Platt (weighted)')}. "
        "Recalibration in the large unless a slope adds significantly (closed testing, Vergouwe et al. Stat Med "
        "2017); either is linear on the log-odds scale, so explanations stay additive.",
        f"- Uncertainty: a bootstrap ensemble of {training.get('n_bootstrap', 'n/a')} boosters trained on "
        "resamples of the training split; the interval is the main prediction +-1.645 SD of the members on the "
        "log-odds scale (a 90 % model-uncertainty interval; it does not include outcome randomness). Chosen over "
        "conformal prediction because conformal intervals for a single binary outcome are not informative per "
        "patient.",
        f"- Tree features ({len(tree_features(spec))}): {', '.join(tree_features(spec))}. Missing values are left "
        "missing "
        "(XGBoost learns a default direction); nothing is imputed silently.", "",
        *_verdict_lines(verdict), "",
        "## Held-out performance (test split)", HEADER, _row("overall", overall),
    ]
    for name, block in metrics.get("subgroups", {}).items():
        lines.append(_row(name, block))
    comps = metrics.get("comparators", {})
    if comps:
        lines += ["", "## Compared with the published equations on the same held-out patients", HEADER]
        for name, c in comps.items():
            same = c["on_same_patients"]
            lines.append(_row(f"{spec.name} (patients where {name} applies)", same["model"]))
            lines.append(_row(name, same[name]))
        lines.append("")
        for name, c in comps.items():
            d = c.get("c_index_difference")
            if d:
                lines.append(f"- C-index {spec.name} minus {name}, same patients: {d['estimate']:+.3f} (paired "
                             f"bootstrap 95 % CI {d['ci'][0]:+.3f} to {d['ci'][1]:+.3f}; {spec.name} ahead in "
                             f"{d['share_model_ahead']:.0%} of {d['n_boot']} resamples).")
    nb = metrics.get("net_benefit", {})
    if nb:
        names = list(next(iter(nb.values())).keys())
        lines += ["", "## Decision curve: net benefit at guideline thresholds",
                  "| threshold | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for th, row in nb.items():
            lines.append(f"| {float(th):.1%} | " + " | ".join(f"{row[n]:.4f}" for n in names) + " |")
    if external:
        lines += ["", "## External check on real data", external]
    lines += [
        "", "## Limitations",
        "- The synthetic world encodes published hazards plus documented longitudinal effects; performance here "
        "shows the pipeline learns that world, not that it transfers to real patients. No model can rank better "
        "than that world's own hazards: for the diabetes outcomes their C-index is about 0.65 "
        "(`python benchmarks/microvascular_ceiling.py`), and the cardiovascular hazard is SCORE2's by "
        "construction, so a tie with SCORE2 there is expected." if synthetic else
        "- Performance is specific to the training site and period.",
        "- Coding practices, lab methods and follow-up intensity differ between sites; recalibrate locally.",
        "- Not validated for clinical use; retrain on your data: "
        "`risk train --source BULK_EXPORT_DIR --out models/` (same FHIR labelling, progress bars).",
    ]
    return "\n".join(lines) + "\n"
