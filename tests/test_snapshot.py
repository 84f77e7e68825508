"""The frames snapshot: read back only for the exact database and revision it was written for."""

from __future__ import annotations

import pandas as pd

from mapdata import snapshot, store
from mapdata.ingest import ingest_paths
from mapdata.store import read
from support import SEED


def same(a, b) -> None:
    """Two frames hold the same rows and lookups."""
    for name in ("items", "tags", "topics", "relations"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert list(a.keys.actors) == list(b.keys.actors) and a.keys.size == b.keys.size


def test_load_writes_a_snapshot_and_reads_it_back(engine, db_url, tmp_path):
    folder = tmp_path / "cache"
    ingest_paths(engine, [SEED])
    first = snapshot.load(engine, db_url, where=folder)
    written = snapshot.path_for(db_url, store.data_version(engine), folder)
    assert written.exists()
    again = snapshot.read(db_url, store.data_version(engine), folder)
    assert again is not None and again is not first
    same(first, again)
    same(snapshot.load(engine, db_url, where=folder), first)


def test_equal_strings_are_one_object_in_the_frames_and_in_the_snapshot(engine, db_url, tmp_path):
    # one string per item, not one per tag, topic and relation row, and one per distinct phrase, source and lead
    # actor: less memory, and a snapshot written faster
    ingest_paths(engine, [SEED])
    folder = tmp_path / "cache"
    for frames in (
        snapshot.load(engine, db_url, where=folder),
        snapshot.read(db_url, store.data_version(engine), folder),
    ):
        own = {id(value) for value in frames.items["id"]}
        for table in (frames.tags, frames.topics, frames.relations):
            assert len(table) and all(id(value) in own for value in table["item_id"])
            assert list(table["item_id"]) == list(frames.items["id"].to_numpy()[table["pos"].to_numpy()])
        assert all(id(value) in own for value in frames.items["story"])  # each story is named by its first item
        for column in (frames.tags["phrase"], frames.items["source"], frames.items["lead_actor"].dropna()):
            assert len(column) > len(set(column)) == len({id(value) for value in column})


def test_reading_in_small_chunks_gives_the_same_frames(engine, monkeypatch):
    # the rows are read a chunk at a time, so that a million items never exist as a million rows of Python objects
    # at once: where the chunks end changes nothing
    ingest_paths(engine, [SEED])
    whole = store.load_frames(engine)
    monkeypatch.setattr(read, "_FETCH", 3)
    chunked = store.load_frames(engine)
    same(whole, chunked)
    assert len(chunked.tags) > 3 * 3


def test_a_write_to_the_database_makes_the_snapshot_stale(engine, db_url, tmp_path):
    folder = tmp_path / "cache"
    ingest_paths(engine, [SEED])
    old_version = store.data_version(engine)
    assert len(snapshot.load(engine, db_url, where=folder).items) == 11
    later = tmp_path / "later.txt"
    later.write_text("date 2025-11-05 Japan and South Korea held talks in Busan.\n", encoding="utf-8")
    ingest_paths(engine, [later])
    assert len(snapshot.load(engine, db_url, where=folder).items) == 12
    # the old snapshot is gone, the new one is the only one of this database
    assert snapshot.read(db_url, old_version, folder) is None
    assert [p.name for p in folder.glob("frames-*.pickle")] == [
        snapshot.path_for(db_url, store.data_version(engine), folder).name
    ]


def test_another_database_at_the_same_url_never_reads_the_old_snapshot(tmp_path):
    folder = tmp_path / "cache"
    url = f"sqlite:///{tmp_path / 'same.sqlite'}"
    engine = store.open_engine(url)
    ingest_paths(engine, [SEED])
    snapshot.load(engine, url, where=folder)
    version = store.data_version(engine)
    engine.dispose()
    (tmp_path / "same.sqlite").unlink()
    engine = store.open_engine(url)  # a new, empty database at the same path: a new instance
    assert store.data_version(engine)[0] != version[0]
    assert len(snapshot.load(engine, url, where=folder).items) == 0
    engine.dispose()


def test_a_broken_or_foreign_file_is_a_miss(engine, db_url, tmp_path):
    folder = tmp_path / "cache"
    ingest_paths(engine, [SEED])
    version = store.data_version(engine)
    folder.mkdir()
    snapshot.path_for(db_url, version, folder).write_bytes(b"\x80\x05not a pickle")
    assert snapshot.read(db_url, version, folder) is None
    assert len(snapshot.load(engine, db_url, where=folder).items) == 11  # and it is rewritten whole
    assert snapshot.read(db_url, version, folder) is not None


def test_only_the_newest_snapshots_are_kept(tmp_path):
    folder = tmp_path / "cache"
    for number in range(snapshot.KEEP + 2):
        url = f"sqlite:///{tmp_path / f'db{number}.sqlite'}"
        engine = store.open_engine(url)
        snapshot.load(engine, url, where=folder)
        engine.dispose()
    assert len(list(folder.glob("frames-*.pickle"))) == snapshot.KEEP


def test_an_unwritable_cache_folder_still_loads(engine, db_url, tmp_path):
    ingest_paths(engine, [SEED])
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert snapshot.write(store.load_frames(engine), db_url, store.data_version(engine), blocker / "cache") is None
    assert len(snapshot.load(engine, db_url, where=blocker / "cache").items) == 11
