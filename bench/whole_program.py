"""`mapdata tag` and `mapdata ingest` as a user runs them: whole processes (start-up, reading, every field, writing),
timed against a baseline in the same run, alternating, median of several rounds.

    python bench/whole_program.py [--items 100000] [--rounds 3] [--input FILE.jsonl] [--memory]

- tag: `mapdata tag` (one process per core, and one process) against the same reading and writing around
  geotext (countries only), on the same file. The input is FILE repeated to --items lines with fresh ids (default:
  the labelled briefs of data/briefs and tests/data), so every text is real news text.
- ingest: `mapdata ingest` of the generated feed of bench/generate.py into a fresh SQLite file, with and without
  the dashboard's snapshot, one process per core and one process; peak memory (max RSS) of each run. An
  installation's first ingest (which builds the language tables once) is timed apart, before the rounds.
- --memory: peak memory of `mapdata ingest --no-snapshot` at --items and at 3x --items (flat when ingest streams).

Needs the bench extra (pip install -e '.[bench]') for geotext.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEOTEXT = """
import json, sys
from geotext import GeoText
out = sys.stdout
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    out.write(json.dumps({"id": r["id"], "countries": sorted(GeoText(r["text"]).country_mentions)}) + "\\n")
"""


def briefs(paths: list[Path], n: int, out: Path) -> None:
    rows = [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    with out.open("w", encoding="utf-8") as handle:
        for i in range(n):
            r = rows[i % len(rows)]
            handle.write(json.dumps({"id": f"x{i}", "date": r.get("date") or "2025-11-01", "text": r["text"]}) + "\n")


def english_sets() -> list[Path]:
    """The English labelled sets of data/briefs (the others are named for their language: ru_briefs.jsonl)."""
    return [p for p in sorted((ROOT / "data" / "briefs").glob("*.jsonl")) if len(p.name.split("_")[0]) > 2]


def peak_rss(cmd: list[str], env: dict) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of a process, through /usr/bin/time (RUSAGE_CHILDREN keeps the maximum of all)."""
    import time

    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, env={**os.environ, **env}
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{cmd[:3]} failed: {done.stderr[-300:]}")
    return seconds, int(done.stderr.strip().splitlines()[-1]) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--input", type=Path, help="JSON Lines with text (and date) to repeat for the tag runs")
    parser.add_argument("--memory", action="store_true", help="also peak memory of ingest at 1x and 3x --items")
    args = parser.parse_args()
    python = sys.executable
    mapdata = [python, "-m", "mapdata.cli"]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        # English briefs (the other languages' sets are timed by bench/languages.py)
        sources = [args.input] if args.input else english_sets()
        tag_in = work / "briefs.jsonl"
        briefs(sources, args.items, tag_in)
        (work / "geotext_ref.py").write_text(GEOTEXT)
        env = {"MAPDATA_CACHE_DIR": str(work / "cache")}
        subprocess.run([*mapdata, "tag", str(tag_in)], stdout=subprocess.DEVNULL, env={**os.environ, **env})  # warm
        runs: dict[str, list[float]] = {"mapdata tag": [], "mapdata tag --workers 1": [], "geotext": []}
        for _ in range(args.rounds):
            runs["mapdata tag"].append(peak_rss([*mapdata, "tag", str(tag_in)], env)[0])
            runs["mapdata tag --workers 1"].append(peak_rss([*mapdata, "tag", "--workers", "1", str(tag_in)], env)[0])
            runs["geotext"].append(peak_rss([python, str(work / "geotext_ref.py"), str(tag_in)], env)[0])
        base = statistics.median(runs["geotext"])
        print(
            f"tag, {args.items:,} briefs from {', '.join(p.name for p in sources[:3])}{' ...' if len(sources) > 3 else ''}"
        )
        for name, seconds in runs.items():
            median = statistics.median(seconds)
            print(
                f"  {name:<26} {median:6.2f} s  {args.items / median:9,.0f} items/s  "
                f"speed vs geotext {base / median:4.2f}  (runs: {', '.join(f'{s:.2f}' for s in seconds)})"
            )
        feed = work / "feed.jsonl"
        subprocess.run(
            [python, str(ROOT / "bench" / "generate.py"), "--items", str(args.items), "--out", str(feed)], check=True
        )
        print(f"ingest, {args.items:,} generated items into a fresh SQLite file")
        # An installation's first ingest builds the six other languages' tables into the cache (once); the rounds
        # time the ingests after it, and this run is reported apart instead of weighing on their median.
        first, first_peak = peak_rss(
            [*mapdata, "ingest", str(feed)], {**env, "MAPDATA_DB_URL": f"sqlite:///{work / 'first.sqlite'}"}
        )
        print(
            f"  first mapdata ingest of an installation (builds the language tables): {first:6.2f} s  peak {first_peak:,} MB"
        )
        for leftover in work.glob("first.sqlite*"):
            leftover.unlink()
        variants = {
            "mapdata ingest": [],
            "mapdata ingest --no-snapshot": ["--no-snapshot"],
            "mapdata ingest --workers 1": ["--workers", "1"],
        }
        for name, extra in variants.items():
            results = []
            for k in range(args.rounds):
                db = work / f"ingest-{k}.sqlite"
                results.append(
                    peak_rss([*mapdata, "ingest", *extra, str(feed)], {**env, "MAPDATA_DB_URL": f"sqlite:///{db}"})
                )
                for leftover in work.glob(f"ingest-{k}.sqlite*"):
                    leftover.unlink()
            seconds = [r[0] for r in results]
            print(
                f"  {name:<30} {statistics.median(seconds):6.2f} s  peak {max(r[1] for r in results):,} MB  "
                f"(runs: {', '.join(f'{s:.2f}' for s in seconds)})"
            )
        if args.memory:
            big = work / "feed3.jsonl"
            subprocess.run(
                [python, str(ROOT / "bench" / "generate.py"), "--items", str(3 * args.items), "--out", str(big)],
                check=True,
            )
            for path, n in ((feed, args.items), (big, 3 * args.items)):
                db = work / "memory.sqlite"
                seconds, peak = peak_rss(
                    [*mapdata, "ingest", "--no-snapshot", str(path)], {**env, "MAPDATA_DB_URL": f"sqlite:///{db}"}
                )
                for leftover in work.glob("memory.sqlite*"):
                    leftover.unlink()
                print(f"  ingest --no-snapshot of {n:,} items: {seconds:6.2f} s, peak {peak:,} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
