"""The validation gate (champion / challenger): may a model lead instead of the published equation it starts from?

`primary` only when, on held-out rows of the same source, the model ranks better than its anchor equation on
the same patients (lower bound of the paired-bootstrap 95 % CI of the C-index difference above zero) and is
calibrated (slope 0.8-1.2, the usual "acceptable" band: Van Calster et al., J Clin Epidemiol 2016); otherwise
`challenger`, shown after the equation with the figures that kept it there. A model whose outcome has no
published counterpart has nothing to beat: its verdict rests on calibration alone. The manifest keeps
`headline_earned` as the gate's outcome (risk.models.registry.LoadedModel.earned_headline adds that a model
trained on synthetic data never leads).
"""

from __future__ import annotations

from typing import Any

from risk.terminology.messages import Message

# The equation each model is judged against (keys of risk.models.pipeline.COMPARATORS): its anchor.
GATE_COMPARATOR: dict[str, str] = {"cvd10": "score2_family", "hf10": "prevent_hf"}
SLOPE_RANGE = (0.8, 1.2)


def gate(name: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """The verdict and the figures behind it, from held-out metrics (risk.models.evaluate.evaluate)."""
    comparator = GATE_COMPARATOR.get(name)
    block = metrics.get("comparators", {}).get(comparator) if comparator else None
    if block is not None:
        model = block["on_same_patients"]["model"]
        diff = block["c_index_difference"]
        slope, intercept = model["calibration_slope"], model["calibration_intercept"]
        ranks_better = diff["ci"][0] > 0
    else:
        overall = metrics["overall"]
        diff = None
        slope, intercept = overall["calibration_slope"], overall["calibration_intercept"]
        ranks_better = comparator is None  # nothing to beat; an anchor without held-out figures loses
    calibrated = SLOPE_RANGE[0] <= slope <= SLOPE_RANGE[1]
    primary = ranks_better and calibrated
    if comparator is None:
        reason = "no published equation for this outcome; calibration " + (
            "acceptable" if calibrated else "outside 0.8-1.2"
        )
    elif diff is None:
        reason = f"too few held-out patients where {comparator} applies to compare"
    elif not ranks_better:
        reason = (
            f"not better than {comparator} on the same held-out patients (delta C {diff['estimate']:+.3f}, "
            f"95 % CI {diff['ci'][0]:+.3f} to {diff['ci'][1]:+.3f})"
        )
    elif not calibrated:
        reason = f"ranks better than {comparator} but calibration slope {slope:.2f} is outside 0.8-1.2"
    else:
        reason = (
            f"better than {comparator} on the same held-out patients (delta C {diff['estimate']:+.3f}, "
            f"95 % CI {diff['ci'][0]:+.3f} to {diff['ci'][1]:+.3f}) and calibrated (slope {slope:.2f})"
        )
    return {
        "verdict": "primary" if primary else "challenger",
        "headline_earned": primary,
        "comparator": comparator,
        "delta_c": None if diff is None else diff["estimate"],
        "delta_c_ci": None if diff is None else diff["ci"],
        "calibration_slope": slope,
        "calibration_intercept": intercept,
        "reason": reason,
    }


def challenger_message(name: str, manifest: dict[str, Any]) -> Message | None:
    """ "not better than SCORE2 on your data (delta C ..., 95 % CI ...)" for a challenger with held-out figures;
    None for a primary model or one without a comparison."""
    g = manifest.get("gate") or {}
    if manifest.get("verdict") != "challenger" or g.get("delta_c") is None or not g.get("delta_c_ci"):
        return None
    equation = "score2" if g.get("comparator") == "score2_family" else g.get("comparator")
    return Message(
        code="model.challenger",
        params={
            "model": name,
            "equation": equation,
            "delta": g["delta_c"],
            "low": g["delta_c_ci"][0],
            "high": g["delta_c_ci"][1],
        },
    )
