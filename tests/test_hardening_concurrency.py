"""Hardening, part 3: many writers, one store.

Eight processes opening one fresh database at the same moment (SQLite and PostgreSQL): all succeed and the schema
is made once. Two `python -m mapdata.cli ingest` processes at the same time, into a fresh SQLite file and a fresh
PostgreSQL database (both race to create the schema), of different files and of files that share 4,000 items:
every item is stored exactly once and the store is consistent. An ingest of 30,000 generated lines killed with
SIGKILL in the middle: the database opens, holds whole batches only (no orphan rows, every item with exactly the
rows its tagging gives), and running the ingest again completes it with no duplicates.

The counts are printed (visible without -s):  HARDENING concurrency: ...
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mapdata import store
from support import ROOT, check_store, count_items, report

pytestmark = pytest.mark.slow  # several processes at once, tens of thousands of items


def generated(path: Path, count: int, seed: int) -> set[str]:
    """`count` realistic items (bench/generate.py) written as JSON Lines; returns their ids."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import items
    finally:
        sys.path.remove(str(ROOT / "bench"))
    records = items(count, seed=seed)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {r["id"] for r in records}


def ingest_process(url: str, *paths: Path) -> subprocess.Popen:
    """`mapdata ingest PATHS` in a child process writing to the database at `url`."""
    return subprocess.Popen(
        [sys.executable, "-m", "mapdata.cli", "ingest", *map(str, paths)],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "MAPDATA_DB_URL": url},
    )


def stored_ids(url: str) -> list[str]:
    """Every stored item id, duplicates included."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT id FROM items"))]
    finally:
        engine.dispose()


def race(url: str, tmp_path: Path, each: int, own: int, shared: int, capsys, label: str) -> None:
    """Two CLI ingests at once into a fresh database (both migrate it): `each` generated items in the first file;
    the second holds the first `shared` of them, then `own` items of its own. Every item must be stored once, and
    each shared item counted new by one ingest and already present by the other."""
    first, second = tmp_path / "east.jsonl", tmp_path / "west.jsonl"
    ids = generated(first, each, seed=11) | generated(second, own, seed=12)
    if shared:
        head = first.read_text(encoding="utf-8").splitlines(keepends=True)[:shared]
        second.write_text("".join(head) + second.read_text(encoding="utf-8"), encoding="utf-8")
    assert len(ids) == each + own
    started = time.monotonic()
    procs = [ingest_process(url, first), ingest_process(url, second)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    seconds = time.monotonic() - started
    totals = []
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0 and "Traceback" not in err, err[-3000:]
        assert re.fullmatch(r"\d+ new, \d+ already present, 0 rejected\n", out), (out, err[-2000:])
        totals.append([int(n) for n in re.findall(r"\d+", out)[:2]])
    assert [sum(column) for column in zip(*totals)] == [each + own, shared], (
        totals
    )  # a shared item is new to one of them
    stored = stored_ids(url)
    duplicates = len(stored) - len(set(stored))
    lost = len(ids - set(stored))
    engine = create_engine(url)
    with engine.connect() as conn:  # did the two writers really overlap? (reported, not required)
        spans = [
            conn.execute(
                text("SELECT min(added_at), max(added_at) FROM items WHERE origin LIKE :f"), {"f": f"{p}:%"}
            ).one()
            for p in (first, second)
        ]
    engine.dispose()
    overlapped = None not in (*spans[0], *spans[1]) and spans[0][0] <= spans[1][1] and spans[1][0] <= spans[0][1]
    problems = check_store(url)
    report(
        capsys,
        f"concurrency {label} {url.split(':')[0]}: 2 ingests at once of {each:,} + {own + shared:,} items "
        f"({shared:,} in both) in {seconds:.1f} s (writes overlapped: {overlapped}): reported new/present {totals}, "
        f"{len(stored)} stored, {lost} lost, {duplicates} duplicates, {len(problems)} consistency problems",
    )
    assert (len(stored), lost, duplicates) == (each + own, 0, 0)
    assert set(stored) == ids
    assert problems == []


OPENER = """
import os, sys, time
from mapdata import store
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):  # every process is loaded: all open the database at one moment
    time.sleep(0.001)
store.open_engine(sys.argv[1]).dispose()
"""


def test_eight_processes_open_one_fresh_database_at_once(any_db_url, tmp_path, capsys):
    """Eight processes open (and so migrate) one fresh database at the same moment: all succeed, the schema is made
    once and stamped at the newest revision."""
    from alembic.script import ScriptDirectory

    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, any_db_url, str(go)],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    for proc in procs:
        assert proc.stdout.readline() == "ready\n", proc.communicate(timeout=60)
    go.touch()
    outputs = [proc.communicate(timeout=120) for proc in procs]
    failed = [err[-1500:] for proc, (_, err) in zip(procs, outputs) if proc.returncode != 0]
    head = ScriptDirectory(str(store.MIGRATIONS)).get_current_head()
    engine = create_engine(any_db_url)
    with engine.connect() as conn:
        versions = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    engine.dispose()
    report(
        capsys,
        f"concurrency migrate {any_db_url.split(':')[0]}: 8 processes opened one fresh database at once, "
        f"{len(failed)} failed, schema version {versions}",
    )
    assert failed == [], failed[0] if failed else ""
    assert versions == [head]
    assert check_store(any_db_url) == []


def test_two_ingests_of_different_files_at_once(any_db_url, tmp_path, capsys):
    """Two files with no item in common, ingested at once: every item of both stored once."""
    race(any_db_url, tmp_path, 8_000, 8_000, 0, capsys, "different files")


def test_two_ingests_sharing_items_at_once(any_db_url, tmp_path, capsys):
    """The same 4,000 items written by both at once: a duplicate key, a deadlock or a busy database makes a
    batch retry, reading the stored ids again; nothing is stored twice or lost."""
    race(any_db_url, tmp_path, 6_000, 2_000, 4_000, capsys, "shared items")


def test_kill_9_in_the_middle_of_an_ingest_then_ingest_again(tmp_path, capsys):
    """SIGKILL mid-ingest leaves whole batches only; ingesting again completes the file with nothing twice."""
    feed = tmp_path / "large.jsonl"
    ids = generated(feed, 30_000, seed=21)
    database = tmp_path / "killed.sqlite"
    url = f"sqlite:///{database}"
    store.open_engine(url).dispose()  # the schema exists, so the count can be polled from the start
    proc = ingest_process(url, feed)
    deadline = time.monotonic() + 120
    stored_at_kill = 0
    with sqlite3.connect(database, timeout=30) as watcher:
        while time.monotonic() < deadline and proc.poll() is None:
            stored_at_kill = watcher.execute("SELECT count(*) FROM items").fetchone()[0]
            if stored_at_kill >= min(2 * store.BATCH, 10_000):  # some batches in, most of the file still to go
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, (
        f"the ingest ended by itself ({proc.returncode}) before it could be killed"
    )
    # the database opens and is whole: integrity, batches stored whole, no orphans, every item fully tagged
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.open_engine(url).dispose()
    after_kill = count_items(url)
    assert 0 < after_kill < 30_000, after_kill
    assert after_kill % store.BATCH == 0, f"{after_kill} items: a batch was half stored"
    problems = check_store(url)
    assert problems == [], problems[:20]
    # ingest again: it completes, nothing twice
    again = ingest_process(url, feed)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert out == f"{30_000 - after_kill} new, {after_kill} already present, 0 rejected\n", out
    stored = stored_ids(url)
    duplicates = len(stored) - len(set(stored))
    lost = len(ids - set(stored))
    final_problems = check_store(url)
    report(
        capsys,
        f"concurrency kill -9: ingest of 30,000 lines killed with {after_kill} stored "
        f"({after_kill // store.BATCH} whole batches, 0 orphan rows), re-run: {out.strip()}; "
        f"{len(stored)} stored, {lost} lost, {duplicates} duplicates, {len(final_problems)} consistency problems",
    )
    assert (len(stored), lost, duplicates, final_problems) == (30_000, 0, 0, [])
