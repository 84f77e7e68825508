"""Live monitoring: sources kept in the database, the poller (conditional GET, deadlines, backoff, failures kept
apart, one watcher per source), and its runs killed or doubled, against feeds served on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mapdata import sources, store, watch
from support import FeedServer, mapdata

BRIEFS = [
    (
        "2025-11-03",
        "Poland closed two border crossings with Belarus, citing a surge of migrants pushed across by Minsk.",
    ),
    ("2025-11-03", "Lithuania recalled its ambassador from Minsk after balloons again closed Vilnius airport."),
    ("2025-11-04", "Japan and the Philippines signed a reciprocal access agreement for their troops."),
    ("2025-11-04", "Brazil and Argentina agreed to extend a gas pipeline from the Vaca Muerta field to Sao Paulo."),
    ("2025-11-05", "Kenya sent a further 400 police officers to Haiti under the UN-backed security mission."),
]
FAILURES = {  # how a source fails, and what its error says
    "hang": "no answer",
    "500": "HTTP 500",
    "html": "HTML page",
    "huge": "larger than",
    "malformed": "well-formed",
    "bomb": "ENTITY",
}


@pytest.fixture
def feeds():
    server = FeedServer()
    yield server
    server.stop()


def quick(engine) -> watch.Watcher:
    """A watcher with a short deadline and politeness gap, so a hanging source costs seconds, not half a minute."""
    return watch.Watcher(engine, deadline=3, host_gap=0.05)


def stored_stories(engine) -> tuple[int, int, int]:
    """Items, stories, and items not grouped yet."""
    with engine.connect() as conn:
        return conn.execute(
            select(
                func.count(),
                func.count(func.distinct(store.items.c.story)),
                func.count().filter(store.items.c.story.is_(None)),
            )
        ).one()


@pytest.mark.slow
def test_sources_from_the_command_line(db_url, feeds):
    env = {"MAPDATA_DB_URL": db_url}
    feeds.feeds["a"] = BRIEFS[:2]
    added = mapdata("sources", "add", feeds.url("a"), "--name", "wire", "--every", "15m", env=env)
    assert added.returncode == 0, added.stderr
    again = mapdata("sources", "add", feeds.url("a"), "--name", "wire", env=env)
    assert again.returncode == 2 and "already" in again.stderr
    for bad in (["ftp://example.org/feed"], [feeds.url("b"), "--every", "10s"], [feeds.url("b"), "--name", "a b"]):
        refused = mapdata("sources", "add", *bad, env=env)
        assert refused.returncode == 2 and refused.stderr.startswith("error: "), refused.stderr
    assert mapdata("sources", "add", feeds.url("b"), env=env).returncode == 0  # named from its URL
    listed = json.loads(mapdata("sources", "list", "--json", env=env).stdout)
    assert [s["name"] for s in listed] == ["127.0.0.1-b", "wire"]
    wire = listed[1]
    assert set(wire) == {
        "name",
        "url",
        "every",
        "paused",
        "last_attempt",
        "last_success",
        "last_error",
        "items_added",
        "next_due",
    }
    assert (wire["every"], wire["paused"], wire["last_attempt"], wire["items_added"]) == ("15m", False, None, 0)

    assert mapdata("sources", "pause", "127.0.0.1-b", env=env).returncode == 0
    polled = mapdata("watch", "--once", env=env)
    assert polled.returncode == 0, polled.stderr
    assert {name for name, *_ in feeds.requests} == {"a"}  # the paused source was left alone
    listed = {s["name"]: s for s in json.loads(mapdata("sources", "list", "--json", env=env).stdout)}
    assert listed["wire"]["items_added"] == 2 and listed["wire"]["last_success"] and not listed["wire"]["last_error"]
    assert listed["127.0.0.1-b"]["paused"] is True and listed["127.0.0.1-b"]["last_attempt"] is None
    stats = json.loads(mapdata("stats", "--json", env=env).stdout)
    assert (stats["items"], stats["stories"]) == (2, 2)

    assert mapdata("sources", "resume", "127.0.0.1-b", env=env).returncode == 0
    assert mapdata("sources", "remove", "wire", env=env).returncode == 0
    assert [s["name"] for s in json.loads(mapdata("sources", "list", "--json", env=env).stdout)] == ["127.0.0.1-b"]
    gone = mapdata("sources", "remove", "wire", env=env)
    assert gone.returncode == 2 and "no source named 'wire'" in gone.stderr
    assert json.loads(mapdata("stats", "--json", env=env).stdout)["items"] == 2  # its items stay


def test_a_failing_source_fails_alone_and_says_why(engine, feeds):
    feeds.feeds["a"], feeds.feeds["b"] = BRIEFS[:3], BRIEFS[3:]
    for name in ("a", "b", *FAILURES):
        sources.add(engine, feeds.url(name), name, 60)
    feeds.behaviour.update({name: name for name in FAILURES})
    started = time.monotonic()
    with quick(engine) as watcher:
        polls = {p.source: p for p in watcher.poll_all()}
    assert time.monotonic() - started < 30  # the hanging source was abandoned, not waited for
    assert {name for name, p in polls.items() if p.ok} == {"a", "b"}
    assert (polls["a"].new, polls["b"].new) == (3, 2)
    rows = {s.name: s for s in sources.all_sources(engine)}
    for name, says in FAILURES.items():
        assert says in rows[name].last_error, (name, rows[name].last_error)
        assert rows[name].failures == 1 and rows[name].last_success is None
        assert rows[name].next_due - rows[name].last_attempt == timedelta(seconds=60)
    assert store.count_items(engine) == 5
    assert stored_stories(engine) == (5, 5, 0)


def test_unchanged_feeds_cost_nothing_and_new_entries_are_picked_up(engine, feeds):
    feeds.feeds["a"] = BRIEFS[:3]
    sources.add(engine, feeds.url("a"), "a", 60)
    with quick(engine) as watcher:
        assert watcher.poll_all()[0].new == 3
        again = watcher.poll_all()[0]
        assert again.ok and again.not_modified and again.new == 0
        assert feeds.requests[-1][1]  # If-None-Match sent with the last ETag
        feeds.feeds["a"].append(BRIEFS[3])
        more = watcher.poll_all()[0]
    assert (more.new, more.present) == (1, 3)
    row = sources.get(engine, "a")
    assert (row.items_added, row.failures, row.last_error) == (4, 0, "")
    assert store.count_items(engine) == 4


def test_failures_back_off_exponentially_up_to_a_cap():
    assert [watch.backoff(900, n) for n in range(5)] == [900, 900, 1800, 3600, 7200]
    assert watch.backoff(900, 30) == watch.MAX_BACKOFF
    assert watch.backoff(2 * 86400, 5) == 2 * 86400  # a source polled less often than the cap keeps its interval


def test_repeated_failures_wait_longer_and_a_success_resets(engine, feeds):
    sources.add(engine, feeds.url("a"), "a", 60)
    feeds.behaviour["a"] = "500"
    with quick(engine) as watcher:
        watcher.poll_all()
        watcher.poll_all()
        row = sources.get(engine, "a")
        assert row.failures == 2 and row.next_due - row.last_attempt == timedelta(seconds=120)
        assert watcher.poll_all(due_only=True) == []  # not due: backing off
        feeds.behaviour.pop("a")
        feeds.feeds["a"] = BRIEFS[:1]
        assert watcher.poll_all()[0].new == 1
    row = sources.get(engine, "a")
    assert (row.failures, row.last_error) == (0, "") and row.next_due - row.last_attempt == timedelta(seconds=60)


def test_one_watcher_per_sqlite_database(engine, db_url, feeds):
    sources.add(engine, feeds.url("a"), "a", 60)
    with quick(engine):
        with pytest.raises(watch.WatchError, match="another watcher"):
            watch.Watcher(engine)
        second = mapdata("watch", "--once", env={"MAPDATA_DB_URL": db_url})
        assert second.returncode == 2 and "another watcher is polling this database" in second.stderr
    assert mapdata("watch", "--once", env={"MAPDATA_DB_URL": db_url}).returncode == 0  # released


def test_watch_once_exit_codes(db_url, feeds):
    env = {"MAPDATA_DB_URL": db_url}
    feeds.feeds["a"] = BRIEFS[:2]
    mapdata("sources", "add", feeds.url("a"), "--name", "a", env=env)
    ok = mapdata("watch", "--once", env=env)
    assert ok.returncode == 0 and "a: 2 new" in ok.stderr
    mapdata("sources", "add", feeds.url("bad"), "--name", "bad", env=env)
    feeds.behaviour["bad"] = "500"
    failed = mapdata("watch", "--once", env=env)
    assert failed.returncode == 1 and "bad: failed: cannot fetch: HTTP 500" in failed.stderr
    assert "Traceback" not in failed.stderr


@pytest.mark.slow
def test_a_watcher_killed_mid_poll_loses_nothing_and_duplicates_nothing(db_url, feeds):
    """kill -9 while a big poll is being stored (after its first batch, before its last): the next run stores
    the rest, once, and groups every item into a story."""
    env = {**os.environ, "MAPDATA_DB_URL": db_url}
    countries = ["Poland", "Chile", "Kenya", "Japan", "Peru", "Ghana", "Nepal", "Oman", "Laos", "Mali"]
    entries = [
        (
            f"2025-11-{1 + n % 28:02d}",
            f"{countries[n % 10]} reported {n} new cases of {n * 7 % 113} kinds in district {n}.",
        )
        for n in range(6000)
    ]
    feeds.feeds["big"] = entries
    assert mapdata("sources", "add", feeds.url("big"), "--name", "big", env=env).returncode == 0
    engine = store.open_engine(db_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapdata.cli", "watch", "--once"], env=env, stderr=subprocess.PIPE, text=True
    )
    stored = 0
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        stored = store.count_items(engine)
        if stored:
            break
        time.sleep(0.02)  # a poll interval
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < stored < len(entries), f"the kill did not land mid-poll ({stored} stored)"
    assert sources.get(engine, "big").last_attempt is None  # the outcome was never recorded
    rerun = mapdata("watch", "--once", env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    items, _, ungrouped = stored_stories(engine)
    assert (items, ungrouped) == (len(entries), 0)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count(func.distinct(store.items.c.text)))) == len(entries)
    assert sources.get(engine, "big").items_added == len(entries) - stored
    engine.dispose()


@pytest.mark.slow
def test_two_watchers_on_postgresql_never_poll_one_source_at_once(pg_db_url, feeds):
    """(SQLite allows one watcher: see test_one_watcher_per_sqlite_database.)"""
    env = {**os.environ, "MAPDATA_DB_URL": pg_db_url}
    feeds.delay = 4  # each answer takes seconds, so that the two watchers' polls overlap
    for n in range(4):
        feeds.feeds[f"f{n}"] = [BRIEFS[n]]
        feeds.behaviour[f"f{n}"] = "slow"
        assert mapdata("sources", "add", feeds.url(f"f{n}"), "--name", f"f{n}", env=env).returncode == 0
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "mapdata.cli", "watch", "--once"], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert set(feeds.most_at_once) == {"f0", "f1", "f2", "f3"}
    assert max(feeds.most_at_once.values()) == 1, feeds.most_at_once
    # the two overlapped: a source one watcher held was skipped by the other rather than polled after it
    assert len(feeds.requests) < 8, feeds.requests
    engine = store.open_engine(pg_db_url)
    assert stored_stories(engine) == (4, 4, 0)
    assert sum(s.items_added for s in sources.all_sources(engine)) == 4
    engine.dispose()
