"""Where the time goes in the steps that miss their targets: cProfile of ingest, one filter change, our map,
and one run of the dashboard's map page (AppTest, no browser), on N generated items.

    python bench/profile_targets.py [--items 10000] [--top 25] [--only ingest,aggregate,map,page]

Prints, for each step, its wall time and the functions with the largest cumulative and own times.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench

STEPS = ("ingest", "aggregate", "map", "page")


def short(path: str) -> str:
    """A file name without the virtualenv or repository prefix."""
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def report(title: str, profile: cProfile.Profile, wall: float, top: int) -> None:
    """The step's wall time, then its functions by cumulative time and by own time."""
    stats = pstats.Stats(profile)
    total = max(stats.total_tt, 1e-9)
    print(f"\n## {title}: {wall:.2f} s wall ({total:.2f} s profiled)\n")
    rows = []
    for (path, line, name), (_cc, calls, own, cumulative, _callers) in stats.stats.items():
        rows.append((cumulative, own, calls, f"{name} ({short(path)}:{line})"))
    for heading, key in (("cumulative", 0), ("own time", 1)):
        print(f"| by {heading} | cum s | own s | calls |\n|---|---|---|---|")
        for cumulative, own, calls, where in sorted(rows, key=lambda r: -r[key])[:top]:
            print(f"| {where} | {cumulative:.2f} | {own:.2f} | {calls:,} |")
        print()


def profiled(title: str, run: Callable[[], object], top: int) -> object:
    """Run once under cProfile and print the report; returns what `run` returned."""
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    try:
        value = run()
    finally:
        profile.disable()
    report(title, profile, time.perf_counter() - start, top)
    return value


def profile_page(db_url: str, top: int, timeout: float) -> None:
    """One run of dashboard.py in Streamlit's AppTest with the script thread under cProfile."""
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    profile = cProfile.Profile()
    original = script_runner.ScriptRunner._run_script

    def run_script(self, *args, **kwargs):
        profile.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profile.disable()

    os.environ["MAPDATA_DB_URL"] = db_url
    script_runner.ScriptRunner._run_script = run_script
    try:
        app = AppTest.from_file(str(bench.ROOT / "dashboard.py"), default_timeout=timeout)
        start = time.perf_counter()
        app.run()
        wall = time.perf_counter() - start
        report("dashboard map page, first run (AppTest, cold cache)", profile, wall, top)
        profile = cProfile.Profile()
        app.sidebar.multiselect(key="topics").select("military")
        start = time.perf_counter()
        app.run()
        report("dashboard map page, rerun after picking topic 'military'", profile, time.perf_counter() - start, top)
    finally:
        script_runner.ScriptRunner._run_script = original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", default=",".join(STEPS), help="comma-separated steps: " + ", ".join(STEPS))
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed for the page run")
    args = parser.parse_args()
    steps = set(args.only.split(","))
    from mapdata import store
    from mapdata.filters import Filters
    from mapdata.tagging import default_tagger

    folder = Path(tempfile.mkdtemp(prefix="mapdata-profile-"))
    try:
        jsonl = bench.write_jsonl(bench.bench_module("generate").items(args.items), folder / "feed.jsonl")
        url = f"sqlite:///{folder / 'profile.sqlite'}"
        default_tagger()  # built once per process, outside every profile
        print(f"# profiles on {args.items:,} generated items, {bench.machine_facts()}")
        if "ingest" in steps:
            profiled(f"ingest {args.items:,} items into SQLite", lambda: bench.ingest_seconds(url, jsonl), args.top)
        else:
            bench.ingest_seconds(url, jsonl)
        if steps & {"aggregate", "map"}:
            engine = store.open_engine(url)
            frames = store.load_frames(engine)
            engine.dispose()
            military = Filters(topics=("military",))
            bench.filtered_aggregates(frames, military)  # warm the gazetteer and place caches
            if "aggregate" in steps:
                profiled(
                    "filter change 'military': apply + actors + pairs",
                    lambda: bench.filtered_aggregates(frames, military),
                    args.top,
                )
                profiled(
                    "no filter (all items): apply + actors + pairs",
                    lambda: bench.filtered_aggregates(frames, Filters()),
                    args.top,
                )
            if "map" in steps:
                view = military.apply(frames)
                profiled(
                    f"our map of the military view ({len(view.items):,} items): build_map + render",
                    lambda: bench.our_map(view),
                    args.top,
                )
        if "page" in steps:
            profile_page(url, args.top, args.timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
