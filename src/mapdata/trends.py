"""Which actors, pairs and topics rose unusually in the latest day or week, against their own history.

Each series (an actor, a pair, a topic) is counted per period. Its previous `history` periods give a model of a
quiet period: a negative binomial with the history's mean and a variance that allows for bursts (news comes in
bursts; see `predictive_variance`), a Poisson when there are none. The latest count's upper-tail probability under that model is its p-value.
A series is flagged when the latest period holds at least `min_count` and its p-value is below `alpha` divided by
the number of series tested (Bonferroni), so that a table in which nothing really rose flags nothing about
1 - alpha of the time. Counts only, no dependencies beyond pandas: the tails are summed term by term.
"""

from dataclasses import dataclass
from math import exp, lgamma, log

import numpy as np
import pandas as pd

FREQS = {"day": "D", "week": "W-MON"}  # a week starts on Monday


@dataclass(frozen=True)
class TrendTest:
    history: int = 8  # previous periods the model is fitted to
    min_count: int = 3  # a latest count below this is never flagged, however rare
    alpha: float = 0.01  # chance of one false flag or more in a table where nothing rose
    min_history: int = 3  # earlier periods holding items that a table needs before anything is flagged


def period_start(dates: pd.Series, period: str) -> pd.Series:
    """The first day of the period each date falls in."""
    days = pd.to_datetime(dates).dt.normalize()
    if period == "day":
        return days
    if period == "week":
        return days - pd.to_timedelta(days.dt.weekday, unit="D")
    raise ValueError(f"unknown period {period!r}: one of {', '.join(FREQS)}")


def period_counts(
    events: pd.DataFrame, period: str, latest: pd.Timestamp | None = None, history: int = 8
) -> pd.DataFrame:
    """Counts per series and period: one row per (kind, key) seen in the window, one column per period start, the
    oldest of the `history` previous periods first and the latest (the one holding `latest`, by default the last
    event) last; periods without an event count 0."""
    starts = period_start(events["date"], period)
    step = pd.Timedelta(days=1 if period == "day" else 7)
    last = starts.max() if latest is None else period_start(pd.Series([pd.Timestamp(latest)]), period).iloc[0]
    columns = pd.DatetimeIndex([last - step * (history - n) for n in range(history + 1)])
    inside = (starts >= columns[0]) & (starts <= columns[-1])
    counts = (
        pd.DataFrame({"kind": events["kind"][inside], "key": events["key"][inside], "start": starts[inside]})
        .groupby(["kind", "key", "start"], observed=True)
        .size()
        .unstack("start", fill_value=0)
        .reindex(columns=columns, fill_value=0)
    )
    counts.columns = columns
    return counts.astype(np.int64)


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if k <= mean:  # the tail is most of the mass: one minus the few terms below k
        term, below = exp(-mean), 0.0
        for i in range(k):
            below += term
            term *= mean / (i + 1)
        return max(0.0, 1.0 - below)
    term = exp(k * log(mean) - mean - lgamma(k + 1))
    return _sum_tail(term, lambda i: mean / (i + 1), k)


def negbin_tail(k: int, mean: float, variance: float) -> float:
    """P(X >= k) for a negative binomial with this mean and variance (variance > mean)."""
    if k <= 0:
        return 1.0
    size = mean * mean / (variance - mean)  # the number of "successes" r
    q = mean / variance  # success probability p; a failure has 1 - q
    if k <= mean:
        term, below = q**size, 0.0
        for i in range(k):
            below += term
            term *= (i + size) / (i + 1) * (1 - q)
        return max(0.0, 1.0 - below)
    term = exp(lgamma(k + size) - lgamma(size) - lgamma(k + 1) + size * log(q) + k * log(1 - q))
    return _sum_tail(term, lambda i: (i + size) / (i + 1) * (1 - q), k)


def _sum_tail(term: float, ratio, k: int) -> float:
    """Sum a tail from its first term, each next term `ratio(i)` times the one before, until they stop counting."""
    total, i = 0.0, k
    while term > total * 1e-15 and i < k + 100_000:
        total += term
        term *= ratio(i)
        i += 1
    return min(1.0, total)


def predictive_variance(past: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """The variance of each series' next count. Burstiness (the dispersion phi in variance = mean + phi * mean^2)
    is each series' own or the table's pooled one, whichever is larger: eight periods alone often look calmer than
    a bursty series is, and a plug-in estimate then flags ordinary bursts (in a fifth to a third of quiet
    generated tables). The factor 1 + 1/n carries the uncertainty of a mean fitted to n periods."""
    periods = past.shape[1]
    if periods < 2:
        return mean.copy()
    own = np.maximum(0.0, (past.var(axis=1, ddof=1) - mean) / mean**2)
    busy = past.mean(axis=1) >= 1  # series too sparse to say anything about their burstiness are left out
    pooled = float(np.average(own[busy], weights=mean[busy])) if busy.any() else 0.0
    phi = np.maximum(own, pooled)
    return (mean + phi * mean**2) * (1 + 1 / periods)


def rank(counts: pd.DataFrame, test: TrendTest = TrendTest()) -> pd.DataFrame:
    """Every series of `counts` (from `period_counts`) with its test: `latest`, `expected` (the history's mean,
    with half a count added so that a series new in the latest period is not compared against zero), `ratio`,
    `p_value`, `flagged` and `history` (all its counts, oldest first). Flagged rows first, then by p-value.
    The model is fitted to the earlier periods that hold any item at all (`attrs["history"]` says how many); with
    fewer than `test.min_history` of them nothing is flagged, since a feed that began last week makes everything
    in it look new."""
    values = counts.to_numpy()
    if values.shape[1] < 2:
        raise ValueError("counts need at least one period of history before the latest")
    past, latest = values[:, :-1], values[:, -1]
    past = past[:, past.sum(axis=0) > 0]  # a period without a single item is a gap in the data, not a quiet one
    periods = past.shape[1]
    fitted = past if periods else np.zeros((len(values), 1), dtype=values.dtype)
    mean = (fitted.sum(axis=1) + 0.5) / fitted.shape[1]
    variance = predictive_variance(fitted, mean)
    p_values = np.array(
        [
            negbin_tail(int(k), m, v) if v > m * (1 + 1e-9) else poisson_tail(int(k), m)
            for k, m, v in zip(latest, mean, variance, strict=True)
        ],
        dtype=float,
    )
    tested = latest >= test.min_count
    bar = test.alpha / max(1, int(tested.sum()))
    kinds = counts.index.get_level_values("kind") if len(counts) else pd.Index([], dtype=object)
    keys = counts.index.get_level_values("key") if len(counts) else pd.Index([], dtype=object)
    ranked = pd.DataFrame(
        {
            "kind": np.asarray(kinds, dtype=object),
            "key": np.asarray(keys, dtype=object),
            "latest": latest,
            "expected": mean,
            "ratio": latest / mean,
            "p_value": p_values,
            "flagged": tested & (p_values < bar) & (latest > mean) & (periods >= test.min_history),
            "history": [list(map(int, row)) for row in values],
        }
    )
    ranked["_not"] = ~ranked["flagged"]
    ranked["_minus"] = -ranked["latest"]
    ranked = ranked.sort_values(["_not", "p_value", "_minus", "key"], kind="stable")
    ranked = ranked.drop(columns=["_not", "_minus"]).reset_index(drop=True)
    ranked.attrs["history"] = periods  # the earlier periods that held items, which the model was fitted to
    return ranked
