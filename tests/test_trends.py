"""The trend test: counts per period, its tails against explicit sums, a planted rise found, and how often a table in
which nothing rose flags something (generated from known models, fixed seeds)."""

from math import exp, lgamma, log

import numpy as np
import pandas as pd
import pytest

from mapdata import trends


def events(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"date": pd.to_datetime([r[0] for r in rows]), "kind": [r[1] for r in rows], "key": [r[2] for r in rows]}
    )


def table(counts: dict[str, list[int]]) -> pd.DataFrame:
    """A counts frame as `period_counts` gives it, one actor per entry."""
    width = len(next(iter(counts.values())))
    index = pd.MultiIndex.from_tuples([("actor", key) for key in counts], names=["kind", "key"])
    columns = pd.date_range("2025-01-06", periods=width, freq="W-MON")
    return pd.DataFrame(np.array(list(counts.values())), index=index, columns=columns)


def test_weeks_start_on_monday_and_empty_periods_count_zero():
    rows = [("2025-03-02", "actor", "PL"), ("2025-03-03", "actor", "PL"), ("2025-03-09", "actor", "PL")]
    rows += [("2025-03-17", "actor", "DE"), ("2025-01-01", "actor", "FR")]  # FR falls before the window
    counts = trends.period_counts(events(rows), "week", history=3)
    assert list(counts.columns) == list(pd.to_datetime(["2025-02-24", "2025-03-03", "2025-03-10", "2025-03-17"]))
    assert counts.loc[("actor", "PL")].tolist() == [1, 2, 0, 0]  # Sunday the 2nd belongs to the week of Feb 24
    assert counts.loc[("actor", "DE")].tolist() == [0, 0, 0, 1]
    assert ("actor", "FR") not in counts.index


def test_days_and_an_explicit_latest_period():
    rows = [("2025-03-01", "topic", "military"), ("2025-03-03", "topic", "military"), ("2025-03-05", "topic", "x")]
    counts = trends.period_counts(events(rows), "day", latest=pd.Timestamp("2025-03-03 18:00"), history=2)
    assert list(counts.columns) == list(pd.to_datetime(["2025-03-01", "2025-03-02", "2025-03-03"]))
    assert counts.loc[("topic", "military")].tolist() == [1, 0, 1]
    assert ("topic", "x") not in counts.index  # after the latest period


def test_an_unknown_period_is_refused():
    with pytest.raises(ValueError, match="month"):
        trends.period_counts(events([("2025-03-01", "actor", "PL")]), "month")


@pytest.mark.parametrize("mean", [0.3, 2.0, 7.5, 40.0])
def test_poisson_tail_matches_the_explicit_sum(mean):
    for k in [0, 1, 3, 8, 20, 90]:
        below = sum(exp(i * log(mean) - mean - lgamma(i + 1)) for i in range(k))
        assert trends.poisson_tail(k, mean) == pytest.approx(1 - below, abs=1e-12, rel=1e-9)


@pytest.mark.parametrize(("mean", "variance"), [(0.5, 0.9), (3.0, 10.0), (12.0, 80.0)])
def test_negative_binomial_tail_matches_the_explicit_sum(mean, variance):
    size, q = mean * mean / (variance - mean), mean / variance

    def pmf(i):
        return exp(lgamma(i + size) - lgamma(size) - lgamma(i + 1) + size * log(q) + i * log(1 - q))

    for k in [0, 1, 4, 15, 60]:
        assert trends.negbin_tail(k, mean, variance) == pytest.approx(
            1 - sum(pmf(i) for i in range(k)), abs=1e-12, rel=1e-7
        )
    # hardly overdispersed: close to the Poisson of the same mean
    assert trends.negbin_tail(6, 2.0, 2.0001) == pytest.approx(trends.poisson_tail(6, 2.0), rel=1e-3)


def test_a_planted_rise_is_flagged_first_and_steady_series_are_not():
    counts = table(
        {
            "GH": [1, 0, 1, 2, 1, 0, 1, 1, 12],  # the rise
            "PL": [9, 11, 10, 8, 12, 10, 9, 11, 13],  # busy and steady, a little up
            "FR": [0, 4, 0, 5, 1, 0, 6, 0, 6],  # bursty: 6 is one of its usual bursts
            "DE": [3, 2, 4, 3, 2, 3, 4, 3, 0],
        }
    )
    ranked = trends.rank(counts, trends.TrendTest())
    assert ranked.iloc[0]["key"] == "GH" and bool(ranked.iloc[0]["flagged"])
    assert ranked["flagged"].sum() == 1
    row = ranked.iloc[0]
    assert row["latest"] == 12 and row["history"] == [1, 0, 1, 2, 1, 0, 1, 1, 12]
    assert row["expected"] == pytest.approx(7.5 / 8) and row["ratio"] == pytest.approx(12 / (7.5 / 8))


def test_few_items_are_never_flagged_however_new():
    counts = table({"NEW": [0] * 8 + [2], "OLD": [5] * 9})
    assert not trends.rank(counts).flagged.any()  # 2 is below min_count
    counts = table({"NEW": [0] * 8 + [6], "OLD": [5] * 9})
    assert trends.rank(counts).iloc[0]["key"] == "NEW" and trends.rank(counts).flagged.sum() == 1


def quiet_tables(rng, tables: int, series: int, size: float | None, rise: bool = False):
    """Generated tables of `series` series, 9 periods each, means between 0.2 and 20: Poisson (size None) or
    negative binomial (bursty; variance = mean + mean^2 / size). With `rise`, series 0 gets 3 x its mean + 4 more
    in the latest period (four times its usual count, give or take)."""
    for _ in range(tables):
        means = rng.uniform(0.2, 20, series)
        if size is None:
            values = rng.poisson(means[:, None], (series, 9))
        else:
            values = rng.negative_binomial(size, (size / (size + means))[:, None], (series, 9))
        if rise:
            values[0, -1] += int(3 * means[0]) + 4
        yield table({f"S{n}": list(row) for n, row in enumerate(values)})


@pytest.mark.parametrize("size", [None, 10.0])
def test_tables_where_nothing_rose_rarely_flag_anything(size):
    # alpha is 0.01 for a table; estimating each series' model from 8 periods costs a little of that
    rng = np.random.default_rng(7)
    flagged = sum(bool(trends.rank(c).flagged.any()) for c in quiet_tables(rng, 150, 60, size))
    assert flagged <= 3, f"{flagged} of 150 quiet tables flagged something"


def test_a_fourfold_rise_is_found_first_most_of_the_time():
    rng = np.random.default_rng(11)
    found = 0
    for counts in quiet_tables(rng, 150, 60, None, rise=True):
        ranked = trends.rank(counts)
        found += ranked.iloc[0]["key"] == "S0" and bool(ranked.iloc[0]["flagged"])
    assert found >= 0.85 * 150, f"found first in {found} of 150"


def test_periods_without_any_item_are_gaps_not_quiet_periods():
    # a feed that began two weeks ago: everything in the latest week looks new, and nothing may be flagged
    counts = table({"US": [0] * 6 + [1, 2, 40], "GB": [0] * 6 + [0, 1, 20], "FR": [0] * 8 + [9]})
    ranked = trends.rank(counts)
    assert ranked.attrs["history"] == 2 and not ranked.flagged.any()
    # the same series after a gap of three empty weeks inside longer data: fitted to the weeks that hold items
    counts = table({"US": [2, 1, 2, 0, 0, 0, 1, 2, 40], "GB": [1, 1, 0, 0, 0, 0, 1, 1, 2]})
    ranked = trends.rank(counts)
    assert ranked.attrs["history"] == 5
    assert ranked.iloc[0]["key"] == "US" and ranked.flagged.tolist() == [True, False]
