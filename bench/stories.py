"""Grouping reports into stories at scale: microseconds per item of `stories.group` on N generated items, a sixth
of them re-published copies of earlier ones (a prefix, a suffix, a word changed), against grouping by exact
normalised text (the least any grouping costs) in the same run; medians of several rounds. With --labelled, the
precision and recall of same-story pairs on each split of a labelled set.

    python bench/stories.py [--items 100000] [--rounds 3] [--labelled tests/data/stories.jsonl]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from mapdata import stories
from mapdata.models import normalise_text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (the sibling script that writes the benchmark feeds)

PREFIXES = ["(Reuters) - ", "UPDATE: ", "BREAKING: ", "MINSK (AP) - "]
SUFFIXES = [" More follows.", " Officials said.", " (Reporting by the desk)"]


def feed(n: int, seed: int = 1) -> tuple[list[str], list[str], list[date]]:
    """N items in date order, a sixth of them edited copies of an earlier item of the same or the next day."""
    rng = random.Random(seed)
    base = generate.items(n - n // 6, seed)
    rows = [(date.fromisoformat(r["date"]), r["text"]) for r in base]
    for _ in range(n // 6):
        day, text = rows[rng.randrange(len(base))]
        words = text.split()
        if rng.random() < 0.5:
            words[rng.randrange(len(words))] = rng.choice(["reportedly", "also", "again"])
        copy = rng.choice([*PREFIXES, ""]) + " ".join(words) + rng.choice([*SUFFIXES, ""])
        rows.append((day, copy))
    rows.sort(key=lambda r: r[0])
    return [f"i{k}" for k in range(len(rows))], [t for _, t in rows], [d for d, _ in rows]


def exact(ids: list[str], texts: list[str], days: list[date]) -> list[str]:
    """The baseline: one story per distinct normalised, lower-cased text."""
    first: dict[str, str] = {}
    return [first.setdefault(normalise_text(t).lower(), i) for i, t in zip(ids, texts, strict=True)]


def median_us(run, args, rounds: int) -> tuple[float, list[str]]:
    times, out = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        out = run(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / len(args[0]) * 1e6, out


def pair_scores(rows: list[dict]) -> str:
    rows = sorted(rows, key=lambda r: (r["date"], r["id"]))
    found = stories.group(
        [r["id"] for r in rows], [r["text"] for r in rows], [date.fromisoformat(r["date"]) for r in rows]
    )
    truth = {(i, j) for (i, a), (j, b) in itertools.combinations(enumerate(rows), 2) if a["story"] == b["story"]}
    guess = {(i, j) for i, j in itertools.combinations(range(len(rows)), 2) if found[i] == found[j]}
    hits = len(truth & guess)
    return f"{len(rows)} items, {len(truth)} pairs: precision {hits / max(len(guess), 1):.3f}, recall {hits / max(len(truth), 1):.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--labelled", type=Path)
    args = parser.parse_args()
    ids, texts, days = feed(args.items)
    base_us, base = median_us(exact, (ids, texts, days), args.rounds)
    ours_us, ours = median_us(stories.group, (ids, texts, days), args.rounds)
    print(f"{args.items:,} items, medians of {args.rounds}:")
    print(f"  exact normalised text: {base_us:6.1f} us/item, {len(set(base)):,} stories")
    print(f"  stories.group (MinHash/LSH): {ours_us:6.1f} us/item, {len(set(ours)):,} stories")
    if args.labelled:
        rows = [json.loads(line) for line in args.labelled.open(encoding="utf-8")]
        for split in sorted({r["split"] for r in rows}):
            print(f"  {args.labelled.name} {split}: {pair_scores([r for r in rows if r['split'] == split])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
