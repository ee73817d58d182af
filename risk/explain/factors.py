"""Why this risk: exact TreeSHAP contributions grouped into clinical factors, in percentage points of risk.

From log-odds to points of risk: XGBoost's `pred_contribs` gives exact SHAP values phi_j on the model's log-odds
scale (calibrated: a + b x raw margin, so each phi_j is scaled by b and a joins the bias). The displayed risk is
p = sigmoid(bias + sum_g Phi_g), Phi_g the sum of a group's phi_j. We split p - p0 (p0 = sigmoid(bias), "the
average patient of the development data") among the groups by the exact Shapley value of the game
v(S) = sigmoid(bias + sum_{g in S} Phi_g). This is additive by construction (the factors add up exactly to
p - p0), symmetric, and reduces to Phi_g * sigmoid'(.) when effects are small; with 11 groups it is 2^11 subsets,
a few microseconds of numpy.

An anchored model (risk.models.anchor) is a + b x (anchor offset + trees). The trees' part is TreeSHAP as above;
the anchor's part b x b0 x logit(equation risk) is split exactly among the equation's clinical factors against
the reference profile (risk.models.anchor.equation_factor_split), and the reference itself joins the bias. Both
parts land in the same factor groups, so blood pressure, cholesterol and smoking carry what the equation says
about them plus what the trees add, and the factors still add up exactly to the displayed risk.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from risk.models.anchor import anchor_risks, equation_factor_split, first_of, object_rows
from risk.models.registry import LoadedModel
from risk.models.spec import FACTOR_LABELS, FACTOR_OF

# A factor "drives" a risk when it adds at least this many percentage points: below, a bar is noise to a reader.
DRIVER_MIN_POINTS = 0.05
# Factors a GP cannot change; "history" (prior events) is the past, not a target.
NON_MODIFIABLE = frozenset({"age", "sex", "history"})


@dataclass(frozen=True, kw_only=True)
class Factor:
    key: str  # clinical factor, e.g. "blood_pressure"
    label_en: str
    label_fr: str
    points: float  # contribution in percentage points of risk (signed)
    log_odds: float  # the same factor on the model's log-odds scale (sum of its SHAP values)
    features: tuple[str, ...]  # the features behind it that moved the risk, most influential first

    @property
    def modifiable(self) -> bool:
        """A GP can act on it (not age, sex or past events)."""
        return self.key not in NON_MODIFIABLE

    @property
    def is_driver(self) -> bool:
        """It raises the risk by a visible amount (at least DRIVER_MIN_POINTS)."""
        return self.points >= DRIVER_MIN_POINTS


@dataclass(frozen=True, kw_only=True)
class Explanation:
    model: str
    risk: float  # displayed risk, fraction
    base_risk: float  # average patient in the development data, fraction
    factors: tuple[Factor, ...]  # sorted by |points|, largest first
    feature_shap: dict[str, float]  # before grouping, log-odds scale

    def drivers(self, top: int = 3, *, modifiable_only: bool = False) -> tuple[Factor, ...]:
        """The factors that raise this risk most: the one definition every output uses."""
        return tuple(f for f in self.factors if f.is_driver and (f.modifiable or not modifiable_only))[:top]


@lru_cache(maxsize=32)
def _subsets(k: int) -> tuple[np.ndarray, np.ndarray]:
    """All subsets of k players as a 0/1 matrix, and the Shapley weight |S|!(k-|S|-1)!/k! per subset size."""
    masks = np.array(list(itertools.product([0, 1], repeat=k)), dtype=float)
    weights = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
    return masks, weights


def group_shapley_points(bias: float, group_logodds: np.ndarray) -> np.ndarray:
    """Exact Shapley split of sigmoid(bias + sum) - sigmoid(bias) among groups (see module docstring)."""
    k = len(group_logodds)
    if k == 0:
        return np.zeros(0)
    masks, weights = _subsets(k)
    value = 1.0 / (1.0 + np.exp(-(bias + masks @ group_logodds)))
    sizes = masks.sum(axis=1).astype(int)
    out = np.zeros(k)
    for g in range(k):
        without = masks[:, g] == 0
        with_g = masks[without].copy()
        with_g[:, g] = 1
        v_with = 1.0 / (1.0 + np.exp(-(bias + with_g @ group_logodds)))
        out[g] = np.sum(weights[sizes[without]] * (v_with - value[without]))
    return out


# Rows split together by group_shapley_points_rows: its arrays (rows x 2^k subsets) stay in the CPU cache.
_SHAPLEY_ROWS = 16


@lru_cache(maxsize=32)
def _subset_weights(k: int) -> tuple[np.ndarray, ...]:
    """Per player g, the Shapley weight of each subset without g, in the order of `_subsets(k)`."""
    masks, weights = _subsets(k)
    sizes = masks.sum(axis=1).astype(int)
    return tuple(weights[sizes[masks[:, g] == 0]] for g in range(k))


def group_shapley_points_rows(bias: np.ndarray, group_logodds: np.ndarray) -> np.ndarray:
    """`group_shapley_points` for many rows at once (bias: n values; group_logodds: n rows of k groups), each row
    bit for bit as `group_shapley_points` on it alone: a panel chunk explains hundreds of rows, and the per-group
    numpy calls of the one-row version cost more than its arithmetic.

    Bit for bit because every float operation is the same, on the same operands: the subset sums stay one
    matrix-vector product per row (a matrix-matrix product may add in another order); the subsets with and
    without g are read from the one sigmoid evaluation (itertools.product puts player g at bit k-1-g, so they
    are the two halves of each block of 2^(k-g) subsets, in the same order as the one-row version's); each
    group's sum runs over one C-ordered row (numpy's pairwise sum, as on a row alone)."""
    n, k = group_logodds.shape
    if k == 0:
        return np.zeros((n, 0))
    if n > _SHAPLEY_ROWS:
        return np.concatenate([group_shapley_points_rows(bias[i:i + _SHAPLEY_ROWS],
                                                         group_logodds[i:i + _SHAPLEY_ROWS])
                               for i in range(0, n, _SHAPLEY_ROWS)])
    masks, _ = _subsets(k)
    sums = np.stack([masks @ row for row in group_logodds]) if n else np.zeros((0, len(masks)))
    value = 1.0 / (1.0 + np.exp(-(bias[:, None] + sums)))
    out = np.empty((n, k))
    for g, weights in enumerate(_subset_weights(k)):
        halves = value.reshape(n, 1 << g, 2, 1 << (k - 1 - g))
        gain = (halves[:, :, 1, :] - halves[:, :, 0, :]).reshape(n, -1)
        out[:, g] = np.sum(weights * gain, axis=1)
    return out


def anchor_split(model: LoadedModel, features_row: pd.DataFrame) -> tuple[float, dict[str, tuple[float, list[str]]]]:
    """The anchor's part of one patient's calibrated log-odds: (its reference value, {factor: (contribution, the
    equation inputs behind it)}); the fallback offset, all in the reference, where no anchor equation applies."""
    return anchor_splits(model, features_row)[0]


AnchorSplit = tuple[float, dict[str, tuple[float, list[str]]]]  # (reference log-odds, {factor: (part, inputs)})


def anchor_splits(model: LoadedModel, frame: pd.DataFrame, *, table: tuple[np.ndarray, np.ndarray] | None = None,
                  rows: Sequence[Mapping[str, Any]] | None = None) -> list[AnchorSplit]:
    """`anchor_split` for every row of `frame`: the anchor equations read once for all rows (the BMI and smoking
    floors as the model reads them, risk.models.anchor.anchor_risks), then each row's exact factor split.
    `table`: those risks, (published, floored), when the caller has them already (the scores of the same rows,
    risk.assess.scores.AnchorTable); `rows`: the frame as risk.models.anchor.object_rows gives it."""
    anchor = model.anchor
    if anchor is None:
        return [(0.0, {})] * len(frame)
    _, b = model.calibration
    fallback: tuple[float, dict[str, tuple[float, list[str]]]] = (b * anchor.fallback, {})
    if not anchor.equations:
        return [fallback] * len(frame)
    rows = object_rows(frame) if rows is None else rows
    [(published, floored)] = [table] if table is not None else anchor_risks(frame, [anchor.equations],
                                                                            first_only=True, rows=rows)
    _, which = first_of(floored)
    out = []
    for i, k in enumerate(which):
        if k < 0:
            out.append(fallback)
            continue
        row = dict(rows[i])
        if floored[i, k] > published[i, k]:  # smoking would lower it: the anchor uses non-smoking
            row["smoking_current"] = 0.0
        reference, split, members = equation_factor_split(anchor.equations[k], row)
        out.append((b * (anchor.a + anchor.b * reference),
                    {g: (b * anchor.b * v, members[g]) for g, v in split.items()}))
    return out


def explain_rows(model: LoadedModel, frame: pd.DataFrame, *, anchor_table: tuple[np.ndarray, np.ndarray] | None = None,
                 rows: Sequence[Mapping[str, Any]] | None = None) -> list[Explanation]:
    """Explanations for several patients (a model frame, as risk.features.build.model_frames or row_frame give),
    in row order; each exactly `explain_row` on that row alone. One TreeSHAP call and one reading of the anchor
    equations serve every row (a micro-batch pays their fixed cost once); the grouping is per row.
    `anchor_table` and `rows`: what `anchor_splits` may reuse (an assessment has both from the scores)."""
    if len(frame) == 0:
        return []
    contribs = model.contributions(frame)
    names = model.features
    grouped = [_group(names, c, reference, equation)
               for c, (reference, equation) in zip(contribs, anchor_splits(model, frame, table=anchor_table, rows=rows),
                                                   strict=True)]
    return [_explanation(model, g, points) for g, points in zip(grouped, _points(grouped), strict=True)]


def explain_row(model: LoadedModel, features_row: pd.DataFrame) -> Explanation:
    """Explanation for one patient (a one-row features frame); factors add up exactly to the displayed risk."""
    return explain_rows(model, features_row)[0]


@dataclass(frozen=True)
class _Grouped:
    """One patient's SHAP values grouped into clinical factors, before the Shapley split into points."""

    bias: float  # calibrated log-odds of the average patient (the trees' bias plus the anchor's reference)
    phi: dict[str, float]  # per feature, log-odds scale, with the anchor equation's share
    groups: dict[str, list[str]]  # factor -> its features
    logodds: np.ndarray  # per factor (in `groups` order), the sum of its features' phi


def _group(names: list[str], contribs: np.ndarray, reference: float,
           equation: dict[str, tuple[float, list[str]]]) -> _Grouped:
    """One patient's TreeSHAP row (last value: bias) and anchor split, grouped into factors."""
    bias = float(contribs[-1]) + reference
    phi = dict(zip(names, contribs[:-1].astype(float), strict=True))
    groups: dict[str, list[str]] = {}
    for f in names:
        groups.setdefault(FACTOR_OF.get(f, "history"), []).append(f)
    for g, (value, inputs) in equation.items():
        # Feature level (for wording only): the factor's equation share split evenly among its inputs.
        for f in inputs:
            phi[f] = phi.get(f, 0.0) + value / len(inputs)
            if f not in groups.setdefault(g, []):
                groups[g].append(f)
    return _Grouped(bias=bias, phi=phi, groups=groups,
                    logodds=np.array([sum(phi[f] for f in groups[k]) for k in groups]))


def _points(grouped: list[_Grouped]) -> list[np.ndarray]:
    """Each row's factor contributions in percentage points, the rows with the same number of factors split
    together (group_shapley_points_rows)."""
    out: list[np.ndarray] = [np.zeros(0)] * len(grouped)
    by_size: dict[int, list[int]] = {}
    for i, g in enumerate(grouped):
        by_size.setdefault(len(g.logodds), []).append(i)
    for k, rows in by_size.items():
        bias = np.array([grouped[i].bias for i in rows])
        logodds = np.array([grouped[i].logodds for i in rows]).reshape(len(rows), k)
        for i, points in zip(rows, group_shapley_points_rows(bias, logodds) * 100.0, strict=True):
            out[i] = points
    return out


def _explanation(model: LoadedModel, grouped: _Grouped, points: np.ndarray) -> Explanation:
    """One patient's explanation from its grouped SHAP values and their points."""
    bias, phi, groups, group_lo = grouped.bias, grouped.phi, grouped.groups, grouped.logodds
    keys = list(groups)
    factors = []
    for k, pts, lo in zip(keys, points, group_lo, strict=True):
        members = sorted(groups[k], key=lambda f: -abs(phi[f]))
        en, fr = FACTOR_LABELS[k]
        factors.append(Factor(key=k, label_en=en, label_fr=fr, points=float(pts), log_odds=float(lo),
                              features=tuple(f for f in members if abs(phi[f]) > 1e-6)))
    factors.sort(key=lambda f: -abs(f.points))
    risk = 1.0 / (1.0 + math.exp(-(bias + group_lo.sum())))
    return Explanation(model=model.name, risk=risk, base_risk=1.0 / (1.0 + math.exp(-bias)),
                       factors=tuple(factors), feature_shap=phi)
