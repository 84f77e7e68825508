"""Tagging and ingest as streams: a file is read a record at a time, tagged in batches on several processes,
stored a batch at a time; what they produce does not depend on the number of processes, and the checks that span
the whole file (an id given twice) still hold across batches."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest
from sqlalchemy import create_engine, func, select

from mapdata import accounts, cli, ingest, store, stories
from mapdata.errors import WorkerError
from mapdata.feeds import Lines, Rejection, iter_batches, iter_source, parsed, read_json_lines
from mapdata.ingest import ingest_paths, ingest_result
from mapdata.tagging import pool
from support import SEED, mapdata

TEXTS = [line.split(" ", 2)[2] if line.startswith("date ") else line for line in SEED.read_text().splitlines() if line]


def write_feed(path, n: int, start: int = 0) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(start, start + n):
            text = f"{TEXTS[i % len(TEXTS)]} (report {i})"
            handle.write(json.dumps({"id": f"r{i}", "date": "2025-11-01", "text": text}) + "\n")


def test_tag_on_two_processes_writes_what_one_writes(tmp_path):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 2500)
    one = mapdata("tag", "--workers", "1", str(feed))
    two = mapdata("tag", "--workers", "2", str(feed))
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout
    assert [json.loads(line)["id"] for line in two.stdout.splitlines()] == [f"r{i}" for i in range(2500)]


def test_json_lines_reach_the_workers_unparsed_and_keep_their_line_numbers(tmp_path):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 2500)
    lines = feed.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1499] = "{not json\n"  # line 1500, in the second batch of 1,000
    lines[2299] = json.dumps({"id": "undated", "text": "Poland closed its border with Belarus."}) + "\n"
    feed.write_text("".join(lines), encoding="utf-8")
    batches = list(iter_batches(feed, 1000))
    assert [(b.first, len(b.lines)) for b in batches] == [(1, 1000), (1001, 1000), (2001, 500)]
    assert all(isinstance(b, Lines) for b in batches)
    (bad,) = [r for r in parsed(batches[1]) if isinstance(r, Rejection)]
    assert bad.line == 1500 and "not valid JSON" in bad.reason
    # the same stream, parsed here, gives the same records
    assert [r for b in batches for r in parsed(b)] == list(iter_source(feed))
    two = mapdata("tag", "--workers", "2", str(feed))
    assert two.returncode == 1  # a record was rejected
    assert f"rejected: {feed}, line 1500: not valid JSON" in two.stderr
    assert len(two.stdout.splitlines()) == 2499
    result = ingest_paths(store.open_engine(f"sqlite:///{tmp_path / 'two.sqlite'}"), [feed], workers=2)
    assert result.new == 2498  # the undated item is refused, at its line
    assert [(r.line, r.reason.split(" (")[0]) for r in result.rejected] == [(1500, "not valid JSON"), (2300, "no date")]


def test_other_formats_are_batched_as_records(tmp_path):
    feed = tmp_path / "feed.txt"
    feed.write_text("date 2025-11-01\n" + "\n".join(TEXTS[:5]) + "\ndate 2025-13-01\n", encoding="utf-8")
    batches = list(iter_batches(feed, 2))
    assert [len(b) for b in batches] == [2, 2, 2]  # five items and the bad date token
    assert [r for b in batches for r in parsed(b)] == list(iter_source(feed))


@pytest.mark.slow
def test_ingest_on_two_processes_stores_what_one_stores(tmp_path):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 4500)
    stored = []
    for workers in (1, 2):
        engine = store.open_engine(f"sqlite:///{tmp_path / f'{workers}.sqlite'}")
        result = ingest_paths(engine, [feed], workers=workers)
        assert (result.new, result.present, result.rejected) == (4500, 0, [])
        frames = store.load_frames(engine)
        stored.append(
            (
                frames.items.sort_values("id")[["id", "tone", "confidence", "lead_actor", "story"]].to_numpy().tolist(),
                sorted(zip(frames.tags["item_id"], frames.tags["actor"], frames.tags["start"])),
                sorted(zip(frames.topics["item_id"], frames.topics["topic"])),
            )
        )
        engine.dispose()
    assert stored[0] == stored[1]


def test_an_id_given_again_batches_later_is_refused_with_its_first_line(engine, tmp_path):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 2500)
    with feed.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "r7", "date": "2025-11-01", "text": "Other news under an old id."}) + "\n")
        handle.write(json.dumps({"id": "r8", "date": "2025-11-01", "text": f"{TEXTS[8]} (report 8)"}) + "\n")
    result = ingest_paths(engine, [feed])
    assert (result.new, result.present) == (2500, 1)  # the same item twice is present, not new
    assert [str(r) for r in result.rejected] == [
        f"{feed}, line 2501: id 'r7' is already used by line 8 with a different text"
    ]


def write_broken_feed(path) -> None:
    """2,500 good lines, then one whose bytes are not UTF-8 (line 2501): the file breaks off there."""
    write_feed(path, 2500)
    with path.open("ab") as handle:
        handle.write(b'{"id": "bad", "date": "2025-11-01", "text": "caf\xe9"}\n')


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_that_breaks_off_keeps_its_whole_batches_and_says_so(engine, tmp_path, workers):
    feed = tmp_path / "feed.jsonl"
    write_broken_feed(feed)
    result = ingest_paths(engine, [feed], workers=workers, account="analyst")
    assert result.new == store.BATCH == store.count_items(engine)
    (rejection,) = result.rejected
    assert rejection.line == 2501 and "not UTF-8" in rejection.reason
    assert f"{store.BATCH:,} items before it were stored" in rejection.reason
    # what was stored is recorded as the account's and grouped into stories, as a whole file's items are
    (change,) = accounts.latest_changes(engine)
    assert (change.account, change.action, change.items) == ("analyst", "ingest", store.BATCH)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(store.items.c.story.is_(None))) == 0
    write_feed(feed, 2500)  # the file fixed: the rest comes in, nothing twice
    again = ingest_paths(engine, [feed])
    assert (again.new, again.present, again.rejected) == (500, 2000, [])


def test_a_failure_after_a_file_breaks_off_does_not_hide_it_nor_stop_the_next_file(engine, tmp_path, monkeypatch):
    broken, good = tmp_path / "broken.jsonl", tmp_path / "good.jsonl"
    write_broken_feed(broken)
    write_feed(good, 10, start=5000)
    failures = iter([RuntimeError("database is locked")])

    def assign(engine, workers=1):  # the first grouping fails, the next ones run
        if (failure := next(failures, None)) is not None:
            raise failure
        return real_assign(engine, workers)

    real_assign = stories.assign
    monkeypatch.setattr(stories, "assign", assign)
    result = ingest_paths(engine, [broken, good])
    assert result.new == store.BATCH + 10
    (rejection,) = result.rejected
    assert rejection.line == 2501 and "not UTF-8" in rejection.reason
    assert "could not be recorded and grouped into stories: database is locked" in rejection.reason


@pytest.mark.parametrize("fmt", ["jsonl", "txt"])
def test_what_was_rejected_before_a_file_breaks_off_is_still_reported(engine, tmp_path, fmt):
    feed = tmp_path / f"feed.{fmt}"
    texts = [f"{TEXTS[i % len(TEXTS)]} (report {i})" for i in range(2600)]
    if fmt == "jsonl":
        lines = [json.dumps({"id": f"r{i}", "date": "2025-11-01", "text": t}) for i, t in enumerate(texts)]
        lines[2099] = "{not json"  # line 2100: in the batch that the bad bytes break off
        lines[2199] = json.dumps({"id": "undated", "text": "Poland closed its border with Belarus."})  # line 2200
    else:
        lines = ["date 2025-11-01", *texts[:-1]]
        lines[2099] = "date 2025-13-40"  # a bad date token: the lines after it have no date
        lines[2100] = "date 2025-11-02"
    feed.write_bytes("\n".join(lines).encode() + b"\ncaf\xe9\n")  # line 2601: not UTF-8
    result = ingest_paths(engine, [feed], workers=2)
    reasons = [(r.line, r.reason.split(" (")[0]) for r in result.rejected]
    if fmt == "jsonl":
        assert reasons[:2] == [(2100, "not valid JSON"), (2200, "no date")]
    else:
        assert reasons[0][0] == 2100 and "bad date token" in reasons[0][1]
    assert reasons[-1] == (2601, "not UTF-8 text")
    assert result.new == store.count_items(engine) == store.BATCH  # the whole batch before, as above
    out = mapdata("tag", "--workers", "2", str(feed))
    assert out.returncode == 2  # the file could not be read to its end
    assert "line 2100" in out.stderr and "line 2601" in out.stderr


def _killed_on_batch_three(batch: list[int]) -> list[int]:
    if batch == [3]:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer does
    return batch


def _killed_on_batch_three_noting_its_pid(batch: list[int], note: str) -> list[int]:
    if batch == [3]:
        with open(note, "w") as handle:
            handle.write(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return batch


def _stuck_on_batch_one(batch: list[int]) -> list[int]:
    if batch == [1]:
        time.sleep(3600)  # a batch that takes long (a fold of learn takes minutes)
    return batch


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:  # dead but not yet reaped by the executor
        return stat.read().split(") ")[1].startswith("Z")


def _children(pid: int) -> list[int]:
    found = []
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                with open(f"/proc/{stat}/stat") as handle:
                    fields = handle.read().split(") ")[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(stat))
    return found


def test_workers_end_when_their_parent_is_killed(tmp_path):
    # SIGKILL (or the out-of-memory killer) gives the parent no chance to stop them: they must see it go themselves
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 100_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapdata.cli", "tag", "--workers", "2", str(feed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(workers := _children(proc.pid)) < 2:
            assert time.monotonic() < deadline and proc.poll() is None, "the workers never started"
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while not all(_gone(worker) for worker in workers):
        assert time.monotonic() < deadline, f"workers {workers} outlived their parent"
        time.sleep(0.05)


def test_a_worker_that_dies_while_batches_are_still_being_sent_is_told_the_same_way(tmp_path, no_hang):
    # a slower reader of the results: the worker is dead before the next batch is sent, which the executor refuses
    note = tmp_path / "pid"
    work = functools.partial(_killed_on_batch_three_noting_its_pid, note=str(note))
    given = []
    with pytest.raises(WorkerError, match="worker process ended before its work was done"):
        for done in pool.map_batches(work, [[i] for i in range(40)], workers=2):
            given.append(done)
            deadline = time.monotonic() + 60
            while not (note.exists() and note.read_text() and _gone(int(note.read_text()))):
                assert time.monotonic() < deadline
                time.sleep(0.01)
    assert given == [[i] for i in range(len(given))] and len(given) <= 3


def test_a_reader_that_stops_early_does_not_wait_for_the_batches_in_flight(no_hang):
    batches = pool.map_batches(_stuck_on_batch_one, [[i] for i in range(8)], workers=2)
    assert next(batches) == [0]
    batches.close()  # as `mapdata tag | head` does: the worker stuck on [1] is stopped, not waited for an hour


def test_a_worker_that_dies_ends_the_batches_with_an_error_instead_of_a_wait(no_hang):
    given = []
    with pytest.raises(WorkerError, match="worker process ended before its work was done"):
        for done in pool.map_batches(_killed_on_batch_three, [[i] for i in range(10)], workers=2):
            given.append(done)
    # the batches finished before are given, in order (one in flight beside the dead one fails with it)
    assert given == [[i] for i in range(len(given))] and len(given) <= 3
    # and the next call starts afresh
    assert list(pool.map_batches(_killed_on_batch_three, [[0], [1], [2]], workers=2)) == [[0], [1], [2]]


# what the workers run is sent to them by name: the stand-ins that die are this module's own functions
_TAG_IN_WORKER, _TAG_JSON_LINES = ingest._tag_in_worker, cli._tag_json_lines


_DB_URL = ""  # the database of the ingest below, which its dying worker watches


def _ingest_killed_at_the_second_batch(batch, source, undated):
    rows, rejected = _TAG_IN_WORKER(batch, source, undated)
    if any(row[0][0] == "r2000" for row in rows):
        # the first batch, tagged on the other worker, is stored before this one dies: a dead worker fails the
        # batches still in flight with it, and this test is about what was stored before
        watch = create_engine(_DB_URL)  # connections of its own: the parent's are not a forked process's to use
        deadline = time.monotonic() + 60
        while store.count_items(watch) < store.BATCH and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGKILL)
    return rows, rejected


def _tag_killed_at_the_third_batch(batch, lang=None):
    rejections, out = _TAG_JSON_LINES(batch, lang)
    if b'"id":"r2000"' in out:
        os.kill(os.getpid(), signal.SIGKILL)
    return rejections, out


def test_ingest_stops_on_a_dead_worker_keeps_what_it_stored_and_says_so(engine, tmp_path, monkeypatch, no_hang):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 2500)
    monkeypatch.setattr(ingest, "_tag_in_worker", _ingest_killed_at_the_second_batch)
    monkeypatch.setitem(globals(), "_DB_URL", engine.url.render_as_string(hide_password=False))
    with pytest.raises(WorkerError, match=r"feed\.jsonl: a worker process ended .*2,000 new items of it were stored"):
        ingest_paths(engine, [feed], workers=2, account="analyst")
    assert store.count_items(engine) == store.BATCH  # the whole first batch, nothing of the second
    (change,) = accounts.latest_changes(engine)
    assert (change.account, change.items) == ("analyst", store.BATCH)
    with engine.connect() as conn:  # grouped into stories, as a whole file's items are
        assert conn.scalar(select(func.count()).where(store.items.c.story.is_(None))) == 0
    monkeypatch.setattr(ingest, "_tag_in_worker", _TAG_IN_WORKER)
    again = ingest_paths(engine, [feed], workers=2)
    assert (again.new, again.present, again.rejected) == (500, 2000, [])


def test_tag_reports_a_dead_worker_and_exits_as_failed(tmp_path, monkeypatch, capsysbinary, no_hang):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 2500)  # batches of pool.BATCH (1,000): the third one dies
    monkeypatch.setattr(cli, "_tag_json_lines", _tag_killed_at_the_third_batch)
    assert cli.main(["tag", "--workers", "2", str(feed)]) == cli.EXIT_FATAL
    out, err = capsysbinary.readouterr()
    assert b"error: a worker process ended before its work was done" in err
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert ids == [f"r{i}" for i in range(len(ids))] and len(ids) <= 2000  # whole batches, in order


def test_reading_a_large_file_holds_one_record_at_a_time(tmp_path):
    feed = tmp_path / "large.jsonl"
    write_feed(feed, 40_000)  # about 8 MB
    tracemalloc.start()
    try:
        records = iter_source(feed)
        for _ in range(1000):
            next(records)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert feed.stat().st_size > 7_000_000
    assert peak < 1_000_000  # bytes: a few records and the reader's buffer, not the file


def test_ingest_progress_reaches_its_end_when_items_are_rejected(engine):
    lines = [json.dumps({"id": f"r{i}", "date": "2025-11-01", "text": TEXTS[i]}) for i in range(3)]
    lines += [json.dumps({"id": "undated", "text": TEXTS[3]}), "{not json"]
    seen = []
    read = read_json_lines(lines, "feed.jsonl")
    result = ingest_result(engine, read, progress=lambda done, total: seen.append((done, total)))
    assert result.new == 3 and len(result.rejected) == 2
    assert seen[-1] == (5, 5)
