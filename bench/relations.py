"""What the article rule does to the relation lines: with it (the lead actor joined to the actors of its own
sentences and of the opening ones) and without it (joined to every actor named), on the same texts.

    python bench/relations.py [--corpora DIR]

Reads the project's labelled briefs (data/briefs, tests/data) and, with --corpora, the full articles of a folder that holds
geowebnews/, lgl/ and tr-news/ (items.jsonl each). Prints, per set: items, articles among them, relations (item,
pair) and distinct pairs (the lines a map draws) with and without the rule, and the pairs no item joins any more.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from mapdata.feeds import split_lines
from mapdata.models import Item
from mapdata.tagging import default_tagger

ROOT = Path(__file__).resolve().parents[1]


def texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in split_lines(path.read_text(encoding="utf-8")) if line.strip()]


def measure(name: str, batch: list[str]) -> str:
    tagged = default_tagger().tag_many([Item.create(t, date(2025, 1, 1)) for t in batch])
    articles = sum(t.related is not None for t in tagged)
    ruled = [frozenset(map(frozenset, t.relations())) for t in tagged]
    every = [frozenset(map(frozenset, replace(t, related=None).relations())) for t in tagged]
    pairs_ruled = set().union(*ruled)
    pairs_every = set().union(*every)
    return (
        f"| {name} | {len(batch):,} | {articles:,} | {sum(map(len, every)):,} | {sum(map(len, ruled)):,} | "
        f"{len(pairs_every):,} | {len(pairs_ruled):,} | {len(pairs_every - pairs_ruled):,} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, metavar="DIR", help="a folder with geowebnews/, lgl/, tr-news/")
    args = parser.parse_args()
    paths = sorted((ROOT / "data" / "briefs").glob("*_briefs.jsonl")) + sorted(
        (ROOT / "tests" / "data").glob("*_briefs.jsonl")
    )
    sets = {path.stem: texts(path) for path in paths}
    sets = {"labelled briefs (data/briefs, tests/data)": [t for batch in sets.values() for t in batch]}
    if args.corpora:
        for name in ("geowebnews", "lgl", "tr-news"):
            sets[f"{name} articles"] = texts(args.corpora / name / "items.jsonl")
        sets["the three corpora"] = [t for name in ("geowebnews", "lgl", "tr-news") for t in sets[f"{name} articles"]]
    print(
        "| set | items | articles | relations, every actor | with the rule | lines, every actor | with the rule "
        "| lines no item joins any more |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, batch in sets.items():
        print(measure(name, batch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
