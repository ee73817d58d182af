"""The published equation a model starts from (its anchor), and the equation part of its explanation.

Model extension in Steyerberg's updating hierarchy (Clinical Prediction Models, 2nd ed., ch. 20): the model's
log-odds are `a0 + b0 * logit(equation risk)` (the equation recalibrated to the training population: intercept,
then slope only when it adds significantly, risk.models.calibration.recalibrate) plus boosted trees trained on
that offset (XGBoost `base_margin`), so the trees learn only what the record adds to the equation. When
cross-validation finds nothing to add the model *is* the recalibrated equation (zero trees).

Anchors: cvd10 starts from the SCORE2 family by eligibility (SCORE2-Diabetes, else SCORE2 / SCORE2-OP), then
PREVENT total CVD where neither applies (ESC 2021 and AHA 2023 order; the same rule as the headline); hf10 from
PREVENT heart failure. ckd5 has no anchor: KFRE predicts kidney failure in CKD G3-G5 only, whereas ckd5's outcome
(eGFR fall >= 40 %, kidney failure or new A3 albuminuria) mostly happens in people with eGFR >= 60, for whom KFRE
is not defined; starting from a different outcome in a different population would make the floor a bias. KFRE
stays beside ckd5 in the card as its nearest published comparator. retinopathy5 and foot5 have no published
counterpart.

Where no anchor equation applies to a row (an input missing: no cholesterol, no blood pressure; type 1
diabetes), its offset is `fallback`, the log-odds of the outcome among such training rows, and the trees (which
see the missing inputs as missing, XGBoost's default direction) give the rest: the model still answers, without
an equation under it, and the card says on how many training rows that happened.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from risk.equations import RESULT_KEYS, prevent, reference_scores, score2, score2_diabetes
from risk.models.calibration import intercept_shift, recalibrate

# Model -> anchor equations, first applicable wins (keys of risk.equations.RESULT_KEYS).
ANCHORS: dict[str, tuple[str, ...]] = {
    "cvd10": ("score2_diabetes", "score2", "prevent_cvd"),
    "hf10": ("prevent_hf",),
}
# The region the anchor is computed in; recalibration to the training population absorbs the region's scale.
ANCHOR_REGION = "low"

# The reference profile the equation part of an explanation is measured from: a person of the patient's sex with
# healthy values (the healthy peer of risk.explain.peers: QRISK3's healthy person, SBP 120 as ESC 2021's optimal),
# at each equation's own centring age (SCORE2 60, SCORE2-OP 73: Hageman et al. 2021 and SCORE2-OP 2021 methods;
# PREVENT 55: Khan et al. 2024), so that an age on either side of SCORE2-OP's threshold stays in its own equation.
REFERENCE: dict[str, float] = {
    "sbp": 120.0,
    "total_chol": 5.0,
    "hdl": 1.3,
    "smoking_current": 0.0,
    "diabetes_any": 0.0,
    "hba1c": 36.0,
    "egfr": 90.0,
    "uacr": 1.0,
    "bmi": 25.0,
    "on_antihypertensive": 0.0,
    "on_statin": 0.0,
}
REFERENCE_AGE = {"score2": 60.0, "score2_op": 73.0, "score2_diabetes": 60.0, "prevent": 55.0}
SCORE2_DIABETES_REFERENCE = {"hba1c": 31.0, "age_at_diabetes": 50.0}  # its centring values (SCORE2-Diabetes 2023)

# The clinical factor of each equation input (risk.models.spec.FACTOR_LABELS keys). A treatment is part of the
# factor it treats: PREVENT's "on BP treatment" term is blood pressure, its statin term is lipids, so blood
# pressure, cholesterol and smoking appear as themselves. The age at diabetes diagnosis moves with age.
EQUATION_FACTOR: dict[str, str] = {
    "age": "age",
    "age_at_diabetes": "age",
    "sbp": "blood_pressure",
    "on_antihypertensive": "blood_pressure",
    "total_chol": "lipids",
    "hdl": "lipids",
    "on_statin": "lipids",
    "smoking_current": "smoking",
    "diabetes_any": "glycaemia",
    "hba1c": "glycaemia",
    "egfr": "kidney",
    "uacr": "kidney",
    "bmi": "weight",
}


def _logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.log(q / (1 - q))


def equation_table(features: pd.DataFrame, *, region: str = ANCHOR_REGION,
                   keys: Iterable[str] = RESULT_KEYS) -> pd.DataFrame:
    """Each published equation's risk per row (NaN where it does not apply or cannot be computed): the same
    eligibility as the patient page (risk.equations.reference_scores). Every equation, or only `keys` (an anchor
    needs its own: computing QRISK3 and KFRE for every row of a panel to read SCORE2 would triple the work)."""
    keys = tuple(keys)
    risks = [_row_risks(row, keys, region) for row in object_rows(features)]
    out = np.array(risks, dtype=float).reshape(len(features), len(keys))
    return pd.DataFrame(out, index=features.index, columns=list(keys))


def object_rows(features: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (Python scalars) from one object array: DataFrame.to_dict("records") indexes every
    column of every row and cost 50 ms per one-row frame of 240 columns (a panel explains one row at a time)."""
    columns = list(features.columns)
    return [dict(zip(columns, values, strict=True)) for values in features.to_numpy(dtype=object)]


def _row_risks(row: Mapping[str, Any], keys: tuple[str, ...], region: str = ANCHOR_REGION) -> list[float]:
    """One row's risk by each equation of `keys` (NaN where it has none)."""
    if not keys:
        return []
    return [math.nan if r.risk is None else r.risk
            for r in reference_scores(row, region=region, keys=keys).values()]


def anchor_risks(features: pd.DataFrame, chains: Sequence[Sequence[str]], *, first_only: bool = False,
                 rows: Sequence[Mapping[str, Any]] | None = None,
                 known: Sequence[Mapping[str, float]] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each anchor's equation risks per row as the anchor reads them, one (published, floored) pair per chain of
    equations (an anchor's `equations`; column k is chain[k]): `published` with the BMI floor only (as
    `anchor_floors(features, equation_table(features, keys=chain), smoking=False)`), `floored` with the smoking
    floor too (as `anchor_floors(features, equation_table(features, keys=chain))`).

    Several anchors (cvd10's and hf10's) share one call and one reading of the rows; a BMI-dependent equation is
    computed only at the BMI the anchor reads. `first_only` stops a row's chain at its first equation that
    applies (the later columns stay NaN): all that the offset reads (first_of), at a third of the work for a
    SCORE2 patient, since the floors keep a risk finite exactly where the published one is. `rows`: the
    features as object_rows gives them, when the caller already has them. `known`: per row, risks already
    computed in ANCHOR_REGION on the row unchanged (as `_row_risks(row, (key,))` gives them: the patient's
    equation cards, risk.assess.assessment), read instead of computing them again; the floored rows (BMI read
    as 30, a smoker as a non-smoker) are always computed here."""
    rows = object_rows(features) if rows is None else rows
    low = np.zeros(len(features), dtype=bool)
    if "bmi" in features:
        low = (pd.to_numeric(features["bmi"], errors="coerce") < ANCHOR_BMI_FLOOR).to_numpy()
    smokers = (features["smoking_current"] == 1).to_numpy()
    out = [(np.full((len(rows), len(c)), np.nan), np.full((len(rows), len(c)), np.nan)) for c in chains]
    for i, row in enumerate(rows):
        at_floor = {**row, "bmi": ANCHOR_BMI_FLOOR} if low[i] else row  # bmi_floor's row
        as_quitter = {**at_floor, "smoking_current": 0.0} if smokers[i] else None  # smoking_floor's row
        shown = known[i] if known is not None else {}
        for chain, (published, floored) in zip(chains, out, strict=True):
            for k, key in enumerate(chain):
                source = at_floor if key in BMI_DEPENDENT else row
                risk = shown[key] if source is row and key in shown else _row_risks(source, (key,))[0]
                published[i, k] = floored[i, k] = risk
                if as_quitter is not None:  # never below the same person's risk as a non-smoker
                    alt = _row_risks(as_quitter, (key,))[0]
                    if math.isfinite(risk) and math.isfinite(alt):
                        floored[i, k] = np.maximum(risk, alt)
                if first_only and math.isfinite(risk):
                    break
    return out


def smoking_floor(features: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The anchor's equation risks with smoking never lowering them: for a current smoker each risk is the larger
    of the published risk and the same person's risk as a non-smoker. SCORE2-OP's smoking x age interaction makes
    smoking protective in the late 80s (published coefficients, Eur Heart J 2021;42:2455), which would let
    "stops smoking" raise an anchored model; the equation cards themselves keep the published value."""
    smokers = (features["smoking_current"] == 1).to_numpy()
    if not smokers.any():
        return table
    quit = features[smokers].copy()
    quit["smoking_current"] = 0.0
    raw = table.to_numpy(dtype=float).copy()
    alt = equation_table(quit, keys=table.columns).to_numpy(dtype=float)
    raw[smokers] = np.where(np.isfinite(raw[smokers]) & np.isfinite(alt), np.maximum(raw[smokers], alt),
                            raw[smokers])
    return pd.DataFrame(raw, index=table.index, columns=table.columns)


# PREVENT-HF's published BMI terms ((min(BMI, 30) - 25) / 5 with its age interaction) let the risk fall slightly as
# BMI rises from 18.5 to 30 kg/m² (e.g. a man of 55: 2.02 % at 18.5, 1.81 % at 30; Khan et al., Circulation
# 2024;149:430, supplementary tables), which would let "lose weight" raise an anchored hf10. The anchor reads BMI
# below 30 as 30 (no BMI effect below obesity); the PREVENT-HF card itself keeps the published value.
ANCHOR_BMI_FLOOR = 30.0
BMI_DEPENDENT = ("prevent_hf",)


def bmi_floor(features: pd.DataFrame) -> pd.DataFrame:
    """`features` with BMI below ANCHOR_BMI_FLOOR raised to it (missing BMI stays missing)."""
    if "bmi" not in features:
        return features
    bmi = pd.to_numeric(features["bmi"], errors="coerce")
    low = bmi < ANCHOR_BMI_FLOOR
    if not low.any():
        return features
    out = features.copy()
    out.loc[low, "bmi"] = ANCHOR_BMI_FLOOR
    return out


def anchor_floors(features: pd.DataFrame, published: pd.DataFrame, *, smoking: bool = True) -> pd.DataFrame:
    """The equation risks the anchor uses: the published ones with BMI below 30 read as 30 (PREVENT-HF) and, for
    a current smoker, never below the same person's risk as a non-smoker (smoking_floor)."""
    floored = bmi_floor(features)
    table = published
    if floored is not features:
        changed = (floored["bmi"] != features["bmi"]).to_numpy()
        cols = [c for c in BMI_DEPENDENT if c in published.columns]
        redo = equation_table(floored[changed], keys=cols)
        raw = published.to_numpy(dtype=float).copy()  # by position: training rows repeat a patient's index
        where = [published.columns.get_loc(c) for c in cols]
        raw[np.ix_(changed, where)] = redo[cols].to_numpy(dtype=float)
        table = pd.DataFrame(raw, index=published.index, columns=published.columns)
    return smoking_floor(floored, table) if smoking else table


def first_applicable(equations: pd.DataFrame, names: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the risk of the first equation of `names` that applies (NaN if none) and its position (-1)."""
    names = list(names)
    risks = np.empty((len(equations), len(names)))
    for k, name in enumerate(names):
        risks[:, k] = equations[name].to_numpy(dtype=float)
    return first_of(risks)


def first_of(risks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`first_applicable` on an array whose column k is the k-th equation's risk (as anchor_risks gives)."""
    risk = np.full(len(risks), np.nan)
    which = np.full(len(risks), -1)
    for k in reversed(range(risks.shape[1])):
        r = risks[:, k]
        ok = np.isfinite(r)
        risk[ok], which[ok] = r[ok], k
    return risk, which


@dataclass(frozen=True, kw_only=True)
class Anchor:
    """The offset of a model: a0 + b0 * logit(equation risk), or `fallback` where no anchor equation applies."""

    equations: tuple[str, ...]  # empty: no published counterpart (offset = fallback for every row)
    a: float = 0.0
    b: float = 1.0
    fallback: float = 0.0
    method: str = ""
    members: tuple[tuple[float, float], ...] = ()  # (a0, b0) refitted on each bootstrap resample

    def member(self, i: int) -> Anchor:
        """The anchor of bootstrap member i (its own recalibration; the same one when none was recorded)."""
        if i >= len(self.members):
            return self
        a, b = self.members[i]
        return Anchor(equations=self.equations, a=a, b=b, fallback=self.fallback, method=self.method)

    def margin_from(self, equations: pd.DataFrame | None) -> np.ndarray:
        if not self.equations or equations is None:
            n = 0 if equations is None else len(equations)
            return np.full(n, self.fallback)
        risk, _ = first_applicable(equations, self.equations)
        return self.margin_from_risk(risk)

    def margin_from_risk(self, risk: np.ndarray) -> np.ndarray:
        """The offset from the first applicable anchor equation's risk per row (NaN: none applies)."""
        return np.where(np.isfinite(risk), self.a + self.b * _logit(np.nan_to_num(risk, nan=0.5)), self.fallback)

    def margin(self, features: pd.DataFrame) -> np.ndarray:
        if not self.equations:
            return np.full(len(features), self.fallback)
        return self.margin_from(self.table(features))

    def table(self, features: pd.DataFrame) -> pd.DataFrame | None:
        """The equation risks this anchor needs for `features` (None without anchor equations): as
        `anchor_floors(features, equation_table(features, keys=self.equations))`, computed by anchor_risks."""
        if not self.equations:
            return None
        return pd.DataFrame(anchor_risks(features, [self.equations])[0][1], index=features.index,
                            columns=list(self.equations))

    def as_manifest(self) -> dict[str, Any]:
        return {
            "equations": list(self.equations),
            "a": self.a,
            "b": self.b,
            "fallback": self.fallback,
            "method": self.method,
            "region": ANCHOR_REGION,
            "members": [list(m) for m in self.members],
        }

    @classmethod
    def from_manifest(cls, m: Mapping[str, Any] | None) -> Anchor | None:
        if m is None:
            return None
        return cls(
            equations=tuple(m.get("equations", ())),
            a=float(m.get("a", 0.0)),
            b=float(m.get("b", 1.0)),
            fallback=float(m.get("fallback", 0.0)),
            method=str(m.get("method", "")),
            members=tuple((float(a), float(b)) for a, b in m.get("members", ())),
        )


def fit_anchor(names: tuple[str, ...], equations: pd.DataFrame | None, y: np.ndarray, w: np.ndarray) -> Anchor:
    """Recalibrate the anchor equations to these (training) rows; the fallback is the log-odds of the outcome
    among the rows no anchor equation covers (all rows when there is no anchor)."""
    if names and equations is not None:
        risk, _ = first_applicable(equations, names)
    else:
        risk = np.full(len(y), np.nan)
    has = np.isfinite(risk) & (w > 0)
    a, b, method = 0.0, 1.0, "no published counterpart"
    if has.sum() >= 50 and y[has].sum() >= 5:
        a, b, method = recalibrate(_logit(risk[has]), y[has], w[has])
    rest = ~np.isfinite(risk) & (w > 0)
    pool = rest if rest.sum() >= 20 and y[rest].sum() >= 1 else w > 0
    fallback = intercept_shift(np.zeros(int(pool.sum())), y[pool], w[pool])
    return Anchor(equations=names if has.any() else (), a=float(a), b=float(b), fallback=float(fallback), method=method)


# ------------------------------------------------------------------------------- the equation's explanation
def equation_inputs(key: str, row: Mapping[str, Any]) -> dict[str, float | None]:
    """The inputs (feature names) of anchor equation `key` for one patient, NaN read as None."""

    def v(name: str) -> float | None:
        x = row.get(name)
        return None if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x) else float(x)

    names = ["age", "sex_male", "smoking_current", "sbp", "total_chol", "hdl"]
    if key == "score2":
        names += ["diabetes_any"]
    elif key == "score2_diabetes":
        names += ["hba1c", "egfr", "age_at_diabetes"]
    else:
        names += ["egfr", "bmi", "diabetes_any", "on_antihypertensive", "on_statin", "hba1c", "uacr"]
    x = {n: v(n) for n in names}
    if key in BMI_DEPENDENT and x.get("bmi") is not None:
        x["bmi"] = max(x["bmi"], ANCHOR_BMI_FLOOR)  # as the anchor reads it (anchor_floors)
    return x


def equation_log_odds(key: str, x: Mapping[str, float | None]) -> float:
    """logit of the anchor equation `key` at inputs `x` (same equations and region as the anchor)."""
    sex = "male" if x["sex_male"] else "female"
    common = {
        "sex": sex,
        "age": x["age"],
        "smoker": bool(x["smoking_current"]),
        "sbp": x["sbp"],
        "total_chol": x["total_chol"],
        "hdl": x["hdl"],
    }
    if key == "score2":
        risk = score2(**common, region=ANCHOR_REGION, diabetes=bool(x["diabetes_any"]))
    elif key == "score2_diabetes":
        risk = score2_diabetes(
            **common,
            hba1c=x["hba1c"],
            egfr=x["egfr"],
            age_at_diabetes_diagnosis=x["age_at_diabetes"],
            region=ANCHOR_REGION,
        )
    else:
        risk = prevent(
            **common,
            egfr=x["egfr"],
            bmi=x["bmi"],
            diabetes=bool(x["diabetes_any"]),
            on_antihypertensive=bool(x["on_antihypertensive"]),
            on_statin=x["on_statin"],
            hba1c=x["hba1c"],
            uacr=x["uacr"],
            outcome=key.removeprefix("prevent_"),
        )
    return float(_logit(risk))


def reference_inputs(key: str, x: Mapping[str, float | None]) -> dict[str, float | None]:
    """The reference profile for equation `key`, for a patient with inputs `x` (same sex; inputs the patient does
    not have stay absent, so the equation variant does not change)."""
    if key == "score2":
        age = REFERENCE_AGE["score2_op" if (x["age"] or 0) >= 70 else "score2"]
    else:
        age = REFERENCE_AGE["score2_diabetes" if key == "score2_diabetes" else "prevent"]
    ref = {**REFERENCE, "age": age}
    if key == "score2_diabetes":
        ref |= SCORE2_DIABETES_REFERENCE
        ref["diabetes_any"] = 1.0
    if key in BMI_DEPENDENT:
        ref["bmi"] = max(ref["bmi"], ANCHOR_BMI_FLOOR)  # BMI below 30 adds nothing to the anchor (anchor_floors)
    return {k: (ref.get(k, v) if v is not None else None) if k != "sex_male" else v for k, v in x.items()}


def equation_factor_split(key: str, row: Mapping[str, Any]) -> tuple[float, dict[str, float], dict[str, list[str]]]:
    """The anchor equation's log-odds for this patient split exactly among its clinical factors: (log-odds at the
    reference profile, {factor: contribution}, {factor: its inputs that differ from the reference}), the
    contributions adding up to logit(risk) minus the reference's.

    Exact Shapley values of the game "these factors at the patient's values, the others at the reference" over
    the factors (at most 7: 2^7 equation evaluations). For a linear predictor this is each term against the
    reference, with an interaction split evenly between its two inputs; it stays exact through the equation's
    non-linear link (baseline survival, region recalibration) where a term-by-term split would not.
    """
    x = equation_inputs(key, row)
    ref = reference_inputs(key, x)
    groups: dict[str, list[str]] = {}
    for name in x:
        if name in EQUATION_FACTOR and x[name] != ref[name]:
            groups.setdefault(EQUATION_FACTOR[name], []).append(name)
    keys = list(groups)
    k = len(keys)
    value: dict[tuple[int, ...], float] = {}
    for mask in itertools.product((0, 1), repeat=k):
        point = dict(ref)
        for g, on in zip(keys, mask, strict=True):
            if on:
                point.update({n: x[n] for n in groups[g]})
        value[mask] = equation_log_odds(key, point)
    split = dict.fromkeys(keys, 0.0)
    for mask, v_without in value.items():
        size = sum(mask)
        for g in range(k):
            if mask[g]:
                continue
            with_g = mask[:g] + (1,) + mask[g + 1 :]
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            split[keys[g]] += weight * (value[with_g] - v_without)
    return value[(0,) * k], split, groups
