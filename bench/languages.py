"""What reading seven languages costs `mapdata tag`, as a user runs it: whole processes, median of several rounds,
each against a baseline in the same run.

    python bench/languages.py [--items 100000] [--rounds 3]

- English: `mapdata tag` on English briefs (the language of each item detected) against `mapdata tag --lang en`
  on the same file (no detection: what every item cost before other languages were read). The issue's bound: at
  most 10% slower.
- Mixed: `mapdata tag` on a file whose briefs are in turn English, Russian, Ukrainian, Polish, German, French and
  Spanish (the labelled sets of data/briefs), in items per second. The issue's bound: 10,000 items/s or more.

Each file repeats the labelled briefs to --items lines with fresh ids, so every text is real news text.

- --against COMMIT: also `mapdata tag` of an earlier commit (its src and data unpacked in a temporary folder, run with this
  environment's packages) on the same English file, in the same rounds: what English throughput was before.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from whole_program import english_sets  # noqa: E402


def write(rows: list[dict], n: int, out: Path) -> None:
    with out.open("w", encoding="utf-8") as handle:
        for i in range(n):
            r = rows[i % len(rows)]
            handle.write(
                json.dumps(
                    {"id": f"x{i}", "date": r.get("date") or "2025-11-01", "text": r["text"]}, ensure_ascii=False
                )
                + "\n"
            )


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seconds(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env={**os.environ, **env})
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", metavar="COMMIT", help="also time this commit's mapdata tag on the English file")
    args = parser.parse_args()
    mapdata = [sys.executable, "-m", "mapdata.cli", "tag"]
    briefs = ROOT / "data" / "briefs"
    english = [r for p in english_sets() for r in read(p)]
    by_language = {"en": english} | {
        lang: read(briefs / f"{lang}_briefs.jsonl") for lang in ("ru", "uk", "pl", "de", "fr", "es")
    }
    # one brief of each language in turn, until every brief has been used once
    turns = zip(*(itertools.cycle(rows) for rows in by_language.values()))
    mixed = [r for group in itertools.islice(turns, max(map(len, by_language.values()))) for r in group]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        env = {"MAPDATA_CACHE_DIR": str(work / "cache")}
        english_in, mixed_in = work / "english.jsonl", work / "mixed.jsonl"
        write(english, args.items, english_in)
        write(mixed, args.items, mixed_in)
        seconds([*mapdata, str(mixed_in)], env)  # warm: the gazetteer's and every language's tables are cached
        runs: dict[str, list[float]] = {
            "English, mapdata tag --lang en (no detection)": [],
            "English, mapdata tag": [],
            "mixed, mapdata tag": [],
        }
        if args.against:
            earlier = work / "earlier"
            earlier.mkdir()
            # that commit's package and data, unpacked into the temporary folder (nothing to clean up in the repository)
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.against, "src", "data"], check=True, capture_output=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(earlier)], input=archive, check=True)
            earlier_env = {
                "PYTHONPATH": str(earlier / "src"),
                "MAPDATA_DATA_DIR": str(earlier / "data"),
                "MAPDATA_CACHE_DIR": str(work / "earlier-cache"),
            }
            seconds([*mapdata, str(english_in)], earlier_env)  # warm its caches
            runs[f"English, mapdata tag of {args.against}"] = []
        for _ in range(args.rounds):
            if args.against:
                runs[f"English, mapdata tag of {args.against}"].append(
                    seconds([*mapdata, str(english_in)], earlier_env)
                )
            runs["English, mapdata tag --lang en (no detection)"].append(
                seconds([*mapdata, "--lang", "en", str(english_in)], env)
            )
            runs["English, mapdata tag"].append(seconds([*mapdata, str(english_in)], env))
            runs["mixed, mapdata tag"].append(seconds([*mapdata, str(mixed_in)], env))
        base = statistics.median(runs["English, mapdata tag --lang en (no detection)"])
        print(f"mapdata tag, {args.items:,} briefs, median of {args.rounds} whole runs")
        for name, times in runs.items():
            median = statistics.median(times)
            against = f"  {median / base - 1:+.1%} against no detection" if name == "English, mapdata tag" else ""
            if args.against and name == "English, mapdata tag":
                before = statistics.median(runs[f"English, mapdata tag of {args.against}"])
                against += f", {median / before - 1:+.1%} against {args.against}"
            print(
                f"  {name:<50} {median:6.2f} s  {args.items / median:9,.0f} items/s{against}  "
                f"(runs: {', '.join(f'{s:.2f}' for s in times)})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
