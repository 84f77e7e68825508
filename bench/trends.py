"""The trend test's false alarms and detections, on generated tables of counts from known models: for each kind
of series, the share of tables in which nothing rose that flag nothing, and how often a rise planted in one
series (three times its mean plus four, in the latest period) is flagged and ranked first.

    python bench/trends.py [--tables 200] [--series 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from mapdata import trends

KINDS = {"Poisson": None, "negative binomial, size 10": 10.0, "negative binomial, size 3": 3.0, "a mix": "mix"}


def table(rng: np.random.Generator, series: int, kind, rise: bool) -> pd.DataFrame:
    """One table of `series` series over 9 periods, means between 0.2 and 20."""
    periods = trends.TrendTest().history + 1
    means = rng.uniform(0.2, 20, series)
    sizes = rng.choice(np.array([0.0, 10.0, 3.0]), series) if kind == "mix" else np.full(series, kind or 0.0)
    rows = []
    for mean, size in zip(means, sizes, strict=True):
        if size:
            rows.append(rng.negative_binomial(size, size / (size + mean), periods))
        else:
            rows.append(rng.poisson(mean, periods))
    values = np.array(rows)
    if rise:
        values[0, -1] += int(3 * means[0]) + 4
    index = pd.MultiIndex.from_tuples([("actor", f"S{n}") for n in range(series)], names=["kind", "key"])
    return pd.DataFrame(values, index=index, columns=pd.date_range("2025-01-06", periods=periods, freq="W-MON"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.tables} tables of {args.series} series each, test {trends.TrendTest()}")
    print(f"{'counts':28} {'no false flag':>14} {'planted rise first':>19}")
    for name, kind in KINDS.items():
        rng = np.random.default_rng(args.seed)
        quiet = sum(not trends.rank(table(rng, args.series, kind, False)).flagged.any() for _ in range(args.tables))
        found = 0
        for _ in range(args.tables):
            ranked = trends.rank(table(rng, args.series, kind, True))
            found += ranked.iloc[0]["key"] == "S0" and bool(ranked.iloc[0]["flagged"])
        print(f"{name:28} {quiet / args.tables:>14.1%} {found / args.tables:>19.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
