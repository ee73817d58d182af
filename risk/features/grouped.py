"""Per-patient aggregates over long tables with numpy: the building blocks of `risk.features.build`.

Why: a features call for a handful of patients (a CDS Hooks request) used to cost hundreds of small pandas
operations (one filter, groupby and reindex per concept), ~100 ms whatever the batch size. Here each table is
read once into numpy columns with each row's patient *position* (its row in the patients index), and every
aggregate is one numpy operation over all patients and concepts at once.

Exactness: counts, minima, maxima and "latest" are exact whatever the order of operations; sums, means and SDs
are not (a float sum in another order can differ in the last bit), so `series_stats` takes them from one pandas
groupby over all series stacked: the same compensated sums and Welford variances, group by group, as the
per-concept groupbys it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")
NAT = np.datetime64("NaT", "ns")
_I8_MAX = np.iinfo(np.int64).max
_I8_NAT = NAT.astype(np.int64)  # NaT is the smallest int64: a "latest" date that no real date is below


@dataclass(frozen=True)
class Cohort:
    """The patients and their index dates, per position in the patients index."""

    index: pd.Index
    end: np.ndarray  # end of the as_of day (datetime64; NaT for a patient without one)
    day: np.ndarray  # the as_of day at midnight

    @property
    def n(self) -> int:
        return len(self.index)

    def rows(self, patient_ids: pd.Series) -> np.ndarray:
        return positions(self.index, patient_ids)

    def end_of(self, rows: np.ndarray) -> np.ndarray:
        """Each row's patient's end of as_of day (NaT for a row whose patient is unknown)."""
        return take_or(self.end, rows, NAT)

    def day_of(self, rows: np.ndarray) -> np.ndarray:
        return take_or(self.day, rows, NAT)

    def since(self, rows: np.ndarray, window_days: float) -> np.ndarray:
        """Each row's patient's start of the window of `window_days` that ends at as_of."""
        return self.end_of(rows) - pd.Timedelta(days=window_days).to_timedelta64()


def positions(index: pd.Index, patient_ids: pd.Series | np.ndarray) -> np.ndarray:
    """Each row's position in the patients index (-1 for a patient not in it)."""
    return index.get_indexer(patient_ids)


def take_or(values: np.ndarray, rows: np.ndarray, missing: object) -> np.ndarray:
    """values[rows], with `missing` where the row is -1 (nothing found): a lookup that keeps the dtype."""
    return np.append(values, np.array([missing], dtype=values.dtype))[rows]


def day_start(times: np.ndarray) -> np.ndarray:
    """Midnight of each datetime (NaT stays NaT), as pandas' `dt.normalize` (floored, also before 1970)."""
    return times.astype("datetime64[D]").astype(times.dtype)


def days(delta: np.ndarray) -> np.ndarray:
    """A timedelta64 array in days (float, NaN for NaT), divided as pandas divides a Series by a Timedelta."""
    return delta / DAY


def row_max(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-patient maximum of float values, NaN ignored (NaN when none), as groupby max."""
    out = np.full(n, np.nan)
    np.fmax.at(out, rows, values)
    return out


def latest_row(n_groups: int, group: np.ndarray) -> np.ndarray:
    """For rows sorted in time order, the last row number of each group (-1 when the group has no row)."""
    out = np.full(n_groups, -1, dtype=np.int64)
    np.maximum.at(out, group, np.arange(len(group), dtype=np.int64))
    return out


def nat_like(times: np.ndarray) -> np.ndarray:
    """All-NaT array of the same shape and datetime unit."""
    return np.full(times.shape, np.datetime64("NaT"), dtype=times.dtype)


def earliest_time(n_groups: int, group: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per-group earliest datetime (NaT rows ignored; NaT when none), as groupby min; same datetime unit."""
    i8 = times.view(np.int64)
    dated = ~np.isnat(times)
    out = np.full(n_groups, _I8_MAX, dtype=np.int64)
    np.minimum.at(out, group[dated], i8[dated])
    return np.where(out == _I8_MAX, _I8_NAT, out).view(times.dtype)


def latest_time(n_groups: int, group: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per-group latest datetime (NaT rows ignored; NaT when none), as groupby max; same datetime unit."""
    out = np.full(n_groups, _I8_NAT, dtype=np.int64)
    np.maximum.at(out, group, times.view(np.int64))  # NaT is the smallest int64: it never wins
    return out.view(times.dtype)


def min_time(first: np.ndarray, *others: np.ndarray) -> np.ndarray:
    """Element-wise earliest of datetime columns of one unit, NaT ignored (NaT when all are NaT)."""
    i8 = np.stack([np.where(np.isnat(c), _I8_MAX, c.view(np.int64)) for c in (first, *others)])
    out = i8.min(axis=0)
    return np.where(out == _I8_MAX, _I8_NAT, out).view(first.dtype)


def count_distinct(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-patient number of distinct values (int64 values, e.g. day numbers)."""
    order = np.lexsort((values, rows))
    r, v = rows[order], values[order]
    new = np.ones(len(r), dtype=bool)
    new[1:] = (r[1:] != r[:-1]) | (v[1:] != v[:-1])
    return np.bincount(r[new], minlength=n)


@dataclass(frozen=True)
class StatSeries:
    """One stacked series for `series_stats`: the rows' patient positions, times and values."""

    rows: np.ndarray
    times: np.ndarray  # datetime64, the measurements' own unit
    values: np.ndarray  # float


@dataclass(frozen=True)
class SeriesStats:
    """Per (series, patient) aggregates, each a (number of series, number of patients) array."""

    size: np.ndarray  # rows (int)
    count: np.ndarray  # non-NaN values (int)
    sum_t: np.ndarray  # t in years since 2000-01-01 (the least-squares sums of the slopes)
    sum_v: np.ndarray
    sum_tt: np.ndarray
    sum_tv: np.ndarray
    t_min: np.ndarray
    t_max: np.ndarray
    mean: np.ndarray  # NaN without a value
    std: np.ndarray  # ddof=1, NaN with fewer than two values
    max: np.ndarray  # NaN without a value


EPOCH_2000 = np.datetime64("2000-01-01")


def series_stats(series: list[StatSeries], n: int) -> SeriesStats:
    """Sizes, counts, extremes (numpy) and sums, means, SDs (one pandas groupby) of every series per patient."""
    k = len(series)
    key = np.concatenate([s.rows.astype(np.int64) + i * n for i, s in enumerate(series)])
    times = np.concatenate([s.times for s in series])
    values = np.concatenate([s.values for s in series]).astype(float)
    t = days(times - EPOCH_2000) / 365.25  # in the times' unit, as pandas subtracts a Timestamp of that day
    frame = pd.DataFrame({"t": t, "v": values, "tt": t ** 2, "tv": t * values})
    groups = frame.groupby(key)
    sums = groups.sum()
    found = sums.index.to_numpy()

    def spread(column: pd.Series | np.ndarray, fill: float = 0.0) -> np.ndarray:
        out = np.full(k * n, fill)
        out[found] = np.asarray(column)
        return out.reshape(k, n)

    t_min, t_max = np.full(k * n, np.inf), np.full(k * n, -np.inf)
    np.minimum.at(t_min, key, t)
    np.maximum.at(t_max, key, t)
    valid = ~np.isnan(values)
    return SeriesStats(
        size=np.bincount(key, minlength=k * n).reshape(k, n),
        count=np.bincount(key[valid], minlength=k * n).reshape(k, n),
        sum_t=spread(sums["t"]), sum_v=spread(sums["v"]), sum_tt=spread(sums["tt"]), sum_tv=spread(sums["tv"]),
        t_min=t_min.reshape(k, n), t_max=t_max.reshape(k, n),
        mean=spread(groups["v"].mean(), np.nan), std=spread(groups["v"].std(), np.nan),
        max=row_max(k * n, key, values).reshape(k, n),
    )


def assemble(columns: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    """One DataFrame from same-length arrays, built one dtype block at a time: a 240-column frame from a dict of
    arrays costs milliseconds of per-column checks, a few 2-D blocks do not (same columns, order and dtypes)."""
    by_dtype: dict[np.dtype, list[str]] = {}
    for name, values in columns.items():
        by_dtype.setdefault(values.dtype, []).append(name)
    blocks = [pd.DataFrame(np.column_stack([columns[c] for c in names]) if len(index) else
                           np.empty((0, len(names)), dtype=dtype), index=index, columns=names)
              for dtype, names in by_dtype.items()]
    return pd.concat(blocks, axis=1)[list(columns)]
