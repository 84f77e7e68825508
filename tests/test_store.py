"""The store on a real SQLite file: ingest is idempotent, frames come back whole, rejects are reported."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from datetime import date

import pytest
from sqlalchemy import select, text

from mapdata import store
from mapdata.corrections import add_correction, retag
from mapdata.errors import StoreError
from mapdata.ingest import ensure_sample, ingest_paths
from support import SEED


def test_ingest_seed_twice_adds_nothing_the_second_time(engine, db_url):
    first = ingest_paths(engine, [SEED])
    assert (first.new, first.present, len(first.rejected)) == (11, 0, 0)
    second = ingest_paths(engine, [SEED])
    assert (second.new, second.present, len(second.rejected)) == (0, 11, 0)
    # committed state, seen through a second, plain connection
    path = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from items").fetchone() == (11,)
        assert conn.execute("select count(distinct actor) from tags").fetchone()[0] >= 10
        assert conn.execute("pragma journal_mode").fetchone() == ("wal",)


def test_frames_hold_tags_topics_relations(any_engine):
    engine = any_engine
    ingest_paths(engine, [SEED])
    frames = store.load_frames(engine)
    assert len(frames.items) == 11
    assert set(frames.items["date"]) == {date(2025, 11, 1)}
    eu_item = frames.items[frames.items["text"].str.startswith("The European Union")].iloc[0]
    assert eu_item["lead_actor"] == "org:EU"
    rel = frames.relations[frames.relations["item_id"] == eu_item["id"]]
    assert set(zip(rel["source"], rel["target"])) == {("org:EU", "BY"), ("org:EU", "HU"), ("org:EU", "LT")}
    tag = frames.tags[(frames.tags["item_id"] == eu_item["id"]) & (frames.tags["actor"] == "HU")].iloc[0]
    assert eu_item["text"][tag["start"] : tag["end"]] == tag["phrase"] == "Hungary"


def test_items_without_date_are_rejected_not_dated_today(any_engine, tmp_path):
    engine = any_engine
    feed = tmp_path / "undated.jsonl"
    feed.write_text(
        '{"text": "Poland closed the border."}\n{"date": "2025-01-02", "text": "Estonia warned."}\n', encoding="utf-8"
    )
    result = ingest_paths(engine, [feed, tmp_path / "missing.txt"])
    assert result.new == 1
    reasons = [(r.line, r.reason) for r in result.rejected]
    assert (1, "no date") in reasons
    assert any("cannot read" in r for _, r in reasons)
    with engine.connect() as conn:
        assert list(conn.scalars(select(store.items.c.date))) == [date(2025, 1, 2)]


def test_items_without_date_take_the_date_given_and_keep_their_id_when_they_had_one(any_engine, tmp_path):
    feed = tmp_path / "undated.jsonl"
    feed.write_text(
        '{"text": "Poland closed the border."}\n{"id": "mine-1", "text": "Lithuania closed two crossings."}\n'
        '{"date": "2025-01-02", "text": "Estonia warned."}\n',
        encoding="utf-8",
    )
    given = date(2025, 3, 4)
    first = ingest_paths(any_engine, [feed], undated=given)
    assert (first.new, first.present, first.rejected) == (3, 0, [])
    again = ingest_paths(any_engine, [feed], undated=given)  # the same file, the same date: nothing twice
    assert (again.new, again.present) == (0, 3)
    with any_engine.connect() as conn:
        rows = dict(conn.execute(select(store.items.c.text, store.items.c.date)).all())
        ids = set(conn.scalars(select(store.items.c.id)))
    assert rows == {
        "Poland closed the border.": given,
        "Lithuania closed two crossings.": given,
        "Estonia warned.": date(2025, 1, 2),
    }
    assert "mine-1" in ids


def test_sample_is_ingested_only_into_an_empty_database(any_engine):
    engine = any_engine
    assert ensure_sample(engine).new == 11
    assert ensure_sample(engine) is None
    assert store.count_items(engine) == 11


def test_ingest_twice_adds_nothing_on_both_backends(any_engine):
    assert ingest_paths(any_engine, [SEED]).new == 11
    again = ingest_paths(any_engine, [SEED])
    assert (again.new, again.present) == (0, 11)
    assert store.count_items(any_engine) == 11


def test_dry_run_stores_nothing(any_engine):
    result = ingest_paths(any_engine, [SEED], dry_run=True)
    assert result.new == 11
    assert store.count_items(any_engine) == 0


def test_schema_is_versioned_by_alembic(any_engine):
    from alembic.script import ScriptDirectory

    # the revision a store at the newest schema is opened by without Alembic is Alembic's own head
    assert store.engine.HEAD == ScriptDirectory(str(store.MIGRATIONS)).get_current_head() == "0007"
    with any_engine.connect() as conn:
        assert conn.execute(text("select version_num from alembic_version")).scalar() == "0007"
    store.migrate(any_engine)  # a second run is a no-op


def test_a_store_at_the_newest_schema_opens_without_importing_alembic(engine, db_url):
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; from mapdata import store; store.open_engine({db_url!r}); print('alembic' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert opened.stdout.strip() == "False", opened.stderr[-2000:]


def test_stats_count_in_the_database(any_engine):
    ingest_paths(any_engine, [SEED])
    stats = store.stats(any_engine, top=3)
    assert (stats.items, stats.first, stats.last) == (11, date(2025, 11, 1), date(2025, 11, 1))
    assert stats.actors[0] == ("BY", 11)
    assert stats.actors[1] == ("RU", 6)
    assert len(stats.pairs) == 3


def test_corrections_survive_retag(any_engine):
    from mapdata.models import Correction
    from mapdata.tagging import default_tagger

    ingest_paths(any_engine, [SEED])
    frames = store.load_frames(any_engine)
    item_id = frames.items[frames.items["text"].str.startswith("Poland will close")].iloc[0]["id"]
    tagger = default_tagger().tag
    # the learned topics, whatever the current weights make of the item; the correction adds to them
    learned = set(frames.topics.loc[frames.topics["item_id"] == item_id, "topic"])
    assert "border" in learned and "humanitarian" not in learned
    add_correction(any_engine, Correction(item_id, "actor", "LT", "add"), tagger, account="test")
    add_correction(any_engine, Correction(item_id, "actor", "RU", "remove"), tagger, account="test")
    add_correction(any_engine, Correction(item_id, "topic", "humanitarian", "add"), tagger, account="test")
    add_correction(any_engine, Correction(item_id, "tone", "neutral", "set"), tagger, account="test")

    def state():
        f = store.load_frames(any_engine)
        t = f.tags[f.tags["item_id"] == item_id]
        return (
            set(t["actor"]),
            set(t.loc[t["manual"], "actor"]),
            set(f.topics.loc[f.topics["item_id"] == item_id, "topic"]),
            f.items.loc[f.items["id"] == item_id, "tone"].iloc[0],
            set(f.relations.loc[f.relations["item_id"] == item_id, "target"]),
        )

    before = state()
    assert before == ({"BY", "LT", "PL"}, {"LT"}, learned | {"humanitarian"}, "neutral", {"BY", "LT"})
    report = retag(any_engine, tagger, account="test")
    assert report.items == 11 and report.changed == 0
    assert state() == before


def test_retag_reports_what_changed(any_engine, monkeypatch):
    from mapdata.tagging import default_tagger

    ingest_paths(any_engine, [SEED])
    real = default_tagger().tag

    def without_poland(item):
        tagged = real(item)
        kept = tuple(t for t in tagged.evidence if t.actor != "PL")
        return type(tagged)(
            tagged.item,
            tuple(c for c in tagged.countries if c != "PL"),
            tagged.organisations,
            tagged.topics,
            tagged.tone,
            tagged.lead_actor if tagged.lead_actor != "PL" else None,
            kept,
            tagged.lead_key if tagged.lead_key != "PL" else None,
        )

    report = retag(any_engine, without_poland, account="test")
    assert report.changed == 2 and report.removed["PL"] == 2
    assert "lost: PL -2" in report.summary()
    frames = store.load_frames(any_engine)
    assert "PL" not in set(frames.tags["actor"])


def test_every_write_bumps_the_data_version_even_when_counts_stay(any_engine):
    from mapdata.models import Correction
    from mapdata.tagging import default_tagger

    start = store.data_version(any_engine)
    ingest_paths(any_engine, [SEED])
    ingested = store.data_version(any_engine)
    assert ingested[0] == start[0] and ingested[1] > start[1]
    assert store.load_versioned(any_engine)[0] == ingested
    ingest_paths(any_engine, [SEED])  # nothing new: nothing written
    assert store.data_version(any_engine) == ingested
    real = default_tagger().tag

    def calmer(item):  # a re-tag that changes only the tone keeps every row count
        tagged = real(item)
        return type(tagged)(
            tagged.item,
            tagged.countries,
            tagged.organisations,
            tagged.topics,
            "neutral",
            tagged.lead_actor,
            tagged.evidence,
            tagged.lead_key,
        )

    counts = store.count_items(any_engine), len(store.load_frames(any_engine).tags)
    assert retag(any_engine, calmer, account="test").changed > 0
    assert (store.count_items(any_engine), len(store.load_frames(any_engine).tags)) == counts
    retagged = store.data_version(any_engine)
    assert retagged[1] > ingested[1]
    item_id = store.load_frames(any_engine).items["id"].iloc[0]
    add_correction(any_engine, Correction(item_id, "tone", "conflict", "set"), real, account="test")
    assert store.data_version(any_engine)[1] > retagged[1]


def test_a_database_made_before_the_revision_table_is_migrated(tmp_path):
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = store.open_engine(url)
    ingest_paths(engine, [SEED])
    config = Config()
    config.set_main_option("script_location", str(store.MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")  # as a database from before migration 0002
    engine.dispose()
    engine = store.open_engine(url)
    instance, n, token = store.data_version(engine)
    assert len(instance) == 32 and n == 0 and len(token) == 32
    assert store.count_items(engine) == 11
    engine.dispose()


@pytest.mark.slow
def test_a_retag_and_a_correction_at_once_both_finish(any_db_url):
    """A correction of an item that a running re-tag has yet to reach: each writer takes the revision row only
    at the end of its transaction, so neither holds it while waiting for the other (PostgreSQL once reported a
    deadlock here; on SQLite the correction simply waits for the re-tag's batch)."""
    from mapdata.models import Correction
    from mapdata.tagging import default_tagger

    engine = store.open_engine(any_db_url)
    ingest_paths(engine, [SEED])
    real = default_tagger().tag
    ids = sorted(store.load_frames(engine).items["id"])
    go, done = threading.Event(), threading.Event()
    calls = []

    def changing(item):  # changes every item's tone; on the second item, lets the correction run first
        calls.append(item.id)
        if len(calls) == 2:
            go.set()
            done.wait(timeout=5)  # a maximum: on SQLite the correction waits for this batch instead
        tagged = real(item)
        tone = "conflict" if tagged.tone != "conflict" else "neutral"
        return type(tagged)(
            tagged.item,
            tagged.countries,
            tagged.organisations,
            tagged.topics,
            tone,
            tagged.lead_actor,
            tagged.evidence,
            tagged.lead_key,
        )

    failures = []

    def correct():
        go.wait(timeout=30)
        try:
            add_correction(engine, Correction(ids[-1], "tone", "cooperation", "set"), real, account="test")
        except Exception as err:  # reported below, with the re-tag's outcome
            failures.append(f"correction: {type(err).__name__}: {err}")
        done.set()

    worker = threading.Thread(target=correct)
    worker.start()
    try:
        report = retag(engine, changing, account="test")
    except Exception as err:
        failures.append(f"retag: {type(err).__name__}: {err}")
        report = None
    worker.join(timeout=60)
    engine.dispose()
    assert not failures, failures
    assert report is not None and report.items == 11


def test_a_restored_backup_never_reads_the_snapshot_of_discarded_data(tmp_path):
    import shutil

    from mapdata import snapshot

    folder = tmp_path / "cache"
    path = tmp_path / "db.sqlite"
    url = f"sqlite:///{path}"
    engine = store.open_engine(url)
    ingest_paths(engine, [SEED])
    engine.dispose()
    shutil.copy(path, tmp_path / "backup.sqlite")
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("date 2025-11-03 Chile and Peru signed a fisheries pact in Lima.\n", encoding="utf-8")
    second.write_text("date 2025-11-03 Japan and South Korea held talks in Busan.\n", encoding="utf-8")
    engine = store.open_engine(url)
    ingest_paths(engine, [first])
    assert "CL" in set(snapshot.load(engine, url, where=folder).tags["actor"])
    engine.dispose()
    shutil.copy(tmp_path / "backup.sqlite", path)  # the backup comes back: the same instance, the same counter
    for name in ("db.sqlite-wal", "db.sqlite-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    engine = store.open_engine(url)
    ingest_paths(engine, [second])  # counts up to the same number as the discarded write
    actors = set(snapshot.load(engine, url, where=folder).tags["actor"])
    engine.dispose()
    assert "JP" in actors and "CL" not in actors


def _index_sql(path: str) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("select name, sql from sqlite_master where type = 'index' and sql is not null"))


def _feed(path, n: int, start: int = 0) -> None:
    texts = [line for line in SEED.read_text().splitlines() if line and not line.startswith("date ")]
    rows = [
        {"id": f"f{i}", "date": f"2025-11-0{1 + i % 3}", "text": f"{texts[i % len(texts)]} ({i})"}
        for i in range(start, start + n)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_a_load_into_an_empty_store_builds_the_secondary_indexes_after_its_rows(engine, db_url, tmp_path):
    path = db_url.removeprefix("sqlite:///")
    schema = _index_sql(path)
    deferred = {index.name for index in store.DEFERRABLE_INDEXES}
    assert deferred and deferred < schema.keys() and "ix_items_date" not in deferred
    feed = tmp_path / "feed.jsonl"
    _feed(feed, 2 * store.BATCH + 10)
    during = []
    result = ingest_paths(engine, [feed], progress=lambda done, total: during.append(set(_index_sql(path))))
    assert result.new == 2 * store.BATCH + 10 and len(during) == 3
    # while the rows went in, the deferred indexes were absent, the date's (the story grouping reads by it) there
    assert all(not names & deferred and "ix_items_date" in names for names in during)
    assert _index_sql(path) == schema  # and built again after, exactly as the schema has them
    # a store that holds data keeps its indexes through the next load
    _feed(feed, 50, start=10_000)
    during.clear()
    ingest_paths(engine, [feed], progress=lambda done, total: during.append(set(_index_sql(path))))
    assert during and all(names == schema.keys() for names in during)


def test_a_read_feed_ingested_into_an_empty_store_defers_its_indexes_too(engine, db_url, tmp_path):
    # the dashboard's upload and the watcher store a read feed (ingest_result), not a streamed file
    from mapdata import feeds
    from mapdata.ingest import ingest_result

    path = db_url.removeprefix("sqlite:///")
    schema = _index_sql(path)
    deferred = {index.name for index in store.DEFERRABLE_INDEXES}
    feed = tmp_path / "feed.jsonl"
    _feed(feed, store.BATCH + 10)
    during = []
    with feed.open(encoding="utf-8") as handle:
        read = feeds.read_json_lines(handle, str(feed))
    result = ingest_result(engine, read, progress=lambda done, total: during.append(set(_index_sql(path))))
    assert result.new == store.BATCH + 10 and len(during) == 2
    assert all(not names & deferred for names in during)
    assert _index_sql(path) == schema


def test_a_deferral_inside_another_leaves_the_indexes_to_the_outer_one(engine, db_url):
    path = db_url.removeprefix("sqlite:///")
    schema = _index_sql(path)
    deferred = {index.name for index in store.DEFERRABLE_INDEXES}
    with store.deferred_indexes(engine) as outer:
        assert outer
        with store.deferred_indexes(engine) as inner:
            assert not inner  # the store is empty, but the outer one holds them
        assert not _index_sql(path).keys() & deferred  # the inner one's end built nothing
    assert _index_sql(path) == schema


def test_a_load_rebuilds_indexes_it_finds_missing_with_no_deferral_around_it(engine, db_url, tmp_path):
    # a load killed after dropping them, seen by a process whose engine was open before (the dashboard): its own next
    # load into the still empty store builds them
    path = db_url.removeprefix("sqlite:///")
    schema = _index_sql(path)
    with sqlite3.connect(path) as conn:
        for index in store.DEFERRABLE_INDEXES:
            conn.execute(f"drop index {index.name}")
    feed = tmp_path / "feed.jsonl"
    _feed(feed, 10)
    assert ingest_paths(engine, [feed]).new == 10
    assert _index_sql(path) == schema


def test_an_in_memory_store_builds_its_indexes_in_its_own_thread():
    # each thread of an in-memory engine has a database of its own: a build on another thread would index nothing
    engine = store.open_engine("sqlite://")
    with store.deferred_indexes(engine) as indexes:
        assert indexes
        indexes.build_meanwhile()
        with engine.connect() as conn:
            names = {row[0] for row in conn.exec_driver_sql("select name from sqlite_master where type = 'index'")}
        assert {index.name for index in store.DEFERRABLE_INDEXES} <= names
    engine.dispose()


def test_the_command_line_builds_a_first_loads_indexes_while_it_writes_the_snapshot(db_url, tmp_path, monkeypatch):
    from mapdata import cli, snapshot
    from mapdata.store import write

    path = db_url.removeprefix("sqlite:///")
    store.open_engine(db_url).dispose()
    schema = _index_sql(path)
    feed = tmp_path / "feed.jsonl"
    _feed(feed, 30)
    monkeypatch.setenv("MAPDATA_DB_URL", db_url)
    monkeypatch.setenv("MAPDATA_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    snapshot_read, seen = threading.Event(), []
    build, prepare = write._build_indexes, snapshot.prepare

    def build_after_the_snapshot_read(engine):
        # the build waits for the snapshot's read to be over: done one after the other, it never would be
        seen.append(snapshot_read.wait(timeout=20))
        build(engine)

    def prepare_and_tell(engine, url, where=None):
        made = prepare(engine, url, where)
        snapshot_read.set()
        return made

    monkeypatch.setattr(write, "_build_indexes", build_after_the_snapshot_read)
    monkeypatch.setattr(snapshot, "prepare", prepare_and_tell)
    assert cli.main(["ingest", "--workers", "1", str(feed)]) == cli.EXIT_OK
    assert seen == [True]  # built once, and alongside the snapshot
    assert _index_sql(path) == schema
    assert list((tmp_path / "snapshots").glob("frames-*.pickle"))


def test_the_indexes_come_back_when_a_load_fails_and_when_its_process_was_killed(engine, db_url, tmp_path, monkeypatch):
    path = db_url.removeprefix("sqlite:///")
    schema = _index_sql(path)
    feed = tmp_path / "feed.jsonl"
    _feed(feed, 2 * store.BATCH)
    add_rows, calls = store.add_rows, []

    def fails_second(engine, rows, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise StoreError("disk full")
        return add_rows(engine, rows, **kw)

    monkeypatch.setattr(store, "add_rows", fails_second)
    with pytest.raises(StoreError, match="disk full"):
        ingest_paths(engine, [feed])
    assert store.count_items(engine) == store.BATCH
    assert _index_sql(path) == schema
    # a load killed before it could build them: the next process to open the store builds them
    with sqlite3.connect(path) as conn:
        for index in store.DEFERRABLE_INDEXES:
            conn.execute(f"drop index {index.name}")
    assert not _index_sql(path).keys() & {index.name for index in store.DEFERRABLE_INDEXES}
    store.open_engine(db_url).dispose()
    assert _index_sql(path) == schema


@pytest.mark.parametrize("load_fails", [True, False])
def test_a_load_whose_indexes_cannot_be_built_tells_its_own_outcome(db_url, tmp_path, monkeypatch, load_fails):
    from mapdata.store import write

    path = db_url.removeprefix("sqlite:///")
    engine = store.open_engine(db_url)
    schema = _index_sql(path)
    feed = tmp_path / "feed.jsonl"
    _feed(feed, 10)

    def locked(engine):
        raise StoreError("database is locked")

    def full(engine, rows, **kw):
        raise StoreError("disk full")

    monkeypatch.setattr(write, "_build_indexes", locked)
    if load_fails:  # the load's own error is told, not the rebuild's
        monkeypatch.setattr(store, "add_rows", full)
        with pytest.raises(StoreError, match="disk full"):
            ingest_paths(engine, [feed])
    else:  # stored, and said so
        assert ingest_paths(engine, [feed]).new == 10
    assert not _index_sql(path).keys() & {index.name for index in store.DEFERRABLE_INDEXES}
    engine.dispose()
    store.open_engine(db_url).dispose()  # the next start builds them
    assert _index_sql(path) == schema
