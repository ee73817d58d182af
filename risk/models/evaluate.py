"""Held-out evaluation: discrimination, calibration, net benefit, subgroups, with bootstrap CIs.

All metrics use the same IPCW targets as training (risk.models.outcomes.ipcw_targets), so censored patients are
handled consistently. The C-index is Harrell's, with competing deaths treated as censored for the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from risk.models.calibration import intercept_shift, platt

AGE_BANDS = [(40, 50), (50, 60), (60, 70), (70, 80), (80, 90)]
N_BOOTSTRAP = 100


def c_index(time: np.ndarray, status: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C for right-censored data; `status == 1` is the event, anything else censors (competing deaths).

    A pair is comparable when the earlier time is an event, and also when a censored time equals an event time
    (the censored patient was still at risk); two events at the same time are not compared. A comparable pair is
    concordant when the earlier event has the higher risk; tied risks count one half. This is the definition of
    lifelines' `concordance_index` (and Harrell 1982). NaN when no pair is comparable. O(n log^2 n), vectorised.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(status) == 1
    risk = np.asarray(risk, dtype=float)
    if np.isnan(time).any() or np.isnan(risk).any():
        raise ValueError("c_index: NaN in time or risk")
    order = np.lexsort((~event, time))  # by time; at equal times, events before censored
    time, event, rank = time[order], event[order], np.unique(risk[order], return_inverse=True)[1]
    event_times = np.sort(time[event])
    # Each event is compared with every position from `start` on: later times, and censored at its own time.
    t = time[event]
    start = np.searchsorted(time, t, "left") + np.searchsorted(event_times, t, "right") - np.searchsorted(
        event_times, t, "left")
    pairs = int((len(time) - start).sum())
    if pairs == 0:
        return float("nan")
    r = rank[event]
    # comparable partners with a lower risk (concordant), and with a lower or the same risk
    lower, lower_or_tied = np.split(_count_from(rank, np.tile(start, 2), np.concatenate([r, r + 1])), 2)
    concordant = int(lower.sum())
    tied = int((lower_or_tied - lower).sum())
    return (concordant + tied / 2) / pairs


def _count_from(rank: np.ndarray, start: np.ndarray, below: np.ndarray) -> np.ndarray:
    """For each query k: how many positions j >= start[k] have rank[j] < below[k] (ranks are 0..n-1).

    Counts over the whole array minus counts over the prefix [0, start); the prefix is split into the aligned
    blocks of its binary digits, each searched in a copy of `rank` sorted within blocks of that size.
    """
    n = len(rank)
    total = np.searchsorted(np.sort(rank), below, "left")
    before = np.zeros(len(start), dtype=np.int64)
    span = n + 1  # block keys: block index * span + rank, so one global sort orders blocks then ranks
    level = 0
    while (1 << level) <= n:
        size = 1 << level
        keys = np.sort((np.arange(n) >> level) * span + rank)
        used = ((start >> level) & 1) == 1
        block = (start[used] >> level) - 1  # the aligned block of this size that this binary digit adds
        before[used] += np.searchsorted(keys, block * span + below[used], "left") - block * size
        level += 1
    return total - before


def weighted_auc(y: np.ndarray, w: np.ndarray, p: np.ndarray) -> float:
    keep = w > 0
    if len(np.unique(y[keep])) < 2:
        return float("nan")
    return float(roc_auc_score(y[keep], p[keep], sample_weight=w[keep]))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def calibration_slope_intercept(y: np.ndarray, w: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Slope from logit(obs) ~ a + b logit(p); intercept = calibration-in-the-large (offset logit(p), b fixed 1)."""
    keep = w > 0
    lp = _logit(p[keep])
    _, slope = platt(lp, y[keep], w[keep])
    return float(slope), float(intercept_shift(lp, y[keep], w[keep]))


def brier(y: np.ndarray, w: np.ndarray, p: np.ndarray) -> float:
    keep = w > 0
    return float(np.average((y[keep] - p[keep]) ** 2, weights=w[keep]))


def observed_risk(y: np.ndarray, w: np.ndarray) -> float:
    keep = w > 0
    return float(np.average(y[keep], weights=w[keep])) if keep.any() else float("nan")


def net_benefit(y: np.ndarray, w: np.ndarray, p: np.ndarray, threshold: float) -> float:
    """Decision-curve net benefit (Vickers & Elkin 2006) with IPCW weights."""
    keep = w > 0
    yy, ww, treat = y[keep], w[keep], p[keep] >= threshold
    n = ww.sum()
    tp = (ww * (treat & (yy == 1))).sum() / n
    fp = (ww * (treat & (yy == 0))).sum() / n
    return float(tp - fp * threshold / (1 - threshold))


def calibration_table(y: np.ndarray, w: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    keep = w > 0
    df = pd.DataFrame({"y": y[keep], "w": w[keep], "p": p[keep]})
    df["bin"] = pd.qcut(df["p"].rank(method="first"), bins, labels=False)
    g = df.groupby("bin")
    return pd.DataFrame({"predicted": g["p"].mean(),
                         "observed": g.apply(lambda d: np.average(d["y"], weights=d["w"]), include_groups=False),
                         "n": g.size()})


def metric_block(time: np.ndarray, status: np.ndarray, y: np.ndarray, w: np.ndarray, p: np.ndarray,
                 *, seed: int = 7, n_boot: int = N_BOOTSTRAP) -> dict[str, Any]:
    slope, intercept = calibration_slope_intercept(y, w, p)
    out: dict[str, Any] = {
        "n": int(len(p)), "events": int((status == 1).sum()), "c_index": c_index(time, status, p),
        "auroc": weighted_auc(y, w, p), "calibration_slope": slope, "calibration_intercept": intercept,
        "brier": brier(y, w, p), "mean_predicted": float(p.mean()), "observed": observed_risk(y, w),
    }
    rng = np.random.default_rng(seed)
    boots: dict[str, list[float]] = {"c_index": [], "auroc": []}
    for _ in range(n_boot):
        i = rng.integers(0, len(p), len(p))
        if (status[i] == 1).sum() < 2:
            continue
        boots["c_index"].append(c_index(time[i], status[i], p[i]))
        boots["auroc"].append(weighted_auc(y[i], w[i], p[i]))
    for key, values in boots.items():
        v = np.array([x for x in values if np.isfinite(x)])
        out[f"{key}_ci"] = [float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))] if len(v) else None
    return out


def paired_c_difference(time: np.ndarray, status: np.ndarray, model: np.ndarray, other: np.ndarray, *,
                        seed: int = 11, n_boot: int = 200) -> dict[str, Any]:
    """C-index of the model minus the comparator's on the same patients, with a paired bootstrap 95 % CI and the
    share of resamples where the model is ahead: separate CIs overlap even when one model is reliably better."""
    estimate = c_index(time, status, model) - c_index(time, status, other)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        i = rng.integers(0, len(model), len(model))
        if (status[i] == 1).sum() >= 2:
            diffs.append(c_index(time[i], status[i], model[i]) - c_index(time[i], status[i], other[i]))
    d = np.array(diffs)
    return {"estimate": float(estimate), "ci": [float(np.quantile(d, 0.025)), float(np.quantile(d, 0.975))],
            "share_model_ahead": float((d > 0).mean()), "n_boot": len(d)}


# Decision thresholds: ESC 2021 SCORE2 category cut-points (2.5, 5, 7.5, 10, 20 %, age-dependent).
THRESHOLDS = (0.025, 0.05, 0.075, 0.10, 0.20)


def evaluate(*, features: pd.DataFrame, labels: pd.DataFrame, targets: pd.DataFrame, predicted: np.ndarray,
             comparators: Mapping[str, np.ndarray] | None = None,
             thresholds: tuple[float, ...] = THRESHOLDS) -> dict[str, Any]:
    """Overall, subgroup, decision-curve and comparator metrics on held-out patients."""
    t, s = labels["time"].to_numpy(), labels["status"].to_numpy()
    y, w = targets["y"].to_numpy(), targets["weight"].to_numpy()
    result: dict[str, Any] = {"overall": metric_block(t, s, y, w, predicted)}
    subgroups: dict[str, Any] = {}
    for sex, flag in (("female", 0), ("male", 1)):
        m = (features["sex_male"] == flag).to_numpy()
        if (s[m] == 1).sum() >= 5:
            subgroups[f"sex={sex}"] = metric_block(t[m], s[m], y[m], w[m], predicted[m], n_boot=30)
    for lo, hi in AGE_BANDS:
        m = features["age"].between(lo, hi - 1e-9).to_numpy()
        if (s[m] == 1).sum() >= 5:
            subgroups[f"age={lo}-{hi - 1}"] = metric_block(t[m], s[m], y[m], w[m], predicted[m], n_boot=30)
    result["subgroups"] = subgroups
    result["net_benefit"] = {
        f"{th:.2f}": {"model": net_benefit(y, w, predicted, th),
                      "treat_all": net_benefit(y, w, np.ones_like(predicted), th),
                      **{name: net_benefit(y[np.isfinite(p)], w[np.isfinite(p)], p[np.isfinite(p)], th)
                         for name, p in (comparators or {}).items()}}
        for th in thresholds
    }
    result["calibration_table"] = calibration_table(y, w, predicted).round(4).to_dict(orient="list")
    comp: dict[str, Any] = {}
    for name, p in (comparators or {}).items():
        ok = np.isfinite(p)
        if ok.sum() < 50 or (s[ok] == 1).sum() < 5:
            continue
        comp[name] = {"on_same_patients": {
            "model": metric_block(t[ok], s[ok], y[ok], w[ok], predicted[ok], n_boot=50),
            name: metric_block(t[ok], s[ok], y[ok], w[ok], p[ok], n_boot=50)},
            "c_index_difference": paired_c_difference(t[ok], s[ok], predicted[ok], p[ok])}
    result["comparators"] = comp
    return result


def calibration_plot(y: np.ndarray, w: np.ndarray, p: np.ndarray, *, title: str, path: Path) -> Path:
    """Decile calibration plot (plotly) written as standalone HTML."""
    import plotly.graph_objects as go

    table = calibration_table(y, w, p)
    top = max(float(table["predicted"].max()), float(table["observed"].max()), 0.01) * 1.1
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="ideal", line={"dash": "dash"}))
    fig.add_trace(go.Scatter(x=table["predicted"], y=table["observed"], mode="markers+lines", name="deciles"))
    fig.update_layout(title=title, xaxis_title="predicted risk", yaxis_title="observed risk (IPCW)",
                      width=560, height=480)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(str(path), include_plotlyjs="cdn")
    _try_png(fig, path.with_suffix(".png"))
    return path


def _try_png(fig, path: Path) -> None:  # noqa: ANN001
    """PNG through kaleido when it is installed; kaleido finds Chrome/Chromium itself (its BROWSER_PATH variable or
    the usual install paths). Optional: without either, only the HTML is written."""
    try:
        fig.write_image(str(path))
    except Exception:  # noqa: BLE001 (a missing PNG must never fail an evaluation; the HTML is written)
        return
