"""The store on a real SQLite file: ingest is idempotent, frames come back whole, rejects are reported."""

from __future__ import annotations

import sqlite3
from datetime import date

from sqlalchemy import select

from conftest import SEED
from mapdata import store
from mapdata.ingest import ensure_sample, ingest_paths


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


def test_frames_hold_tags_topics_relations(engine):
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


def test_items_without_date_are_rejected_not_dated_today(engine, tmp_path):
    feed = tmp_path / "undated.jsonl"
    feed.write_text('{"text": "Poland closed the border."}\n{"date": "2025-01-02", "text": "Estonia warned."}\n', encoding="utf-8")
    result = ingest_paths(engine, [feed, tmp_path / "missing.txt"])
    assert result.new == 1
    reasons = [(r.line, r.reason) for r in result.rejected]
    assert (1, "no date") in reasons
    assert any("cannot read" in r for _, r in reasons)
    with engine.connect() as conn:
        assert list(conn.scalars(select(store.items.c.date))) == [date(2025, 1, 2)]


def test_sample_is_ingested_only_into_an_empty_database(engine):
    assert ensure_sample(engine).new == 11
    assert ensure_sample(engine) is None
    assert store.count_items(engine) == 11
