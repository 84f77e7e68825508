"""A snapshot of the indexed frames on disk, keyed on the database and its revision, so that a restarted app
reads 100,000 items in about half a second instead of querying and indexing them again (about 3 s).

The snapshot sits in the per-user cache folder next to the gazetteer index. It is only ever read for the exact
(database, instance, revision) it was written for: every write to the database bumps the revision, so a stale
snapshot is never used; older snapshots of the same database are removed when a new one is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import threading
from pathlib import Path

from sqlalchemy import Engine

from . import store
from .frames import Frames, Keys
from .gazetteer import CACHE_DIR

_FORMAT = 2  # bump when Frames or its columns change shape
KEEP = 4  # snapshots kept in the folder (of any database), newest first; each is about 50 MB at 100,000 items


def load(engine: Engine, url: str, *, background: bool = False, folder: Path | None = None) -> Frames:
    """The stored data as frames: from the snapshot when it is current, else from the database, then written
    as the new snapshot (in a background thread when `background`, so the caller need not wait for it)."""
    found = read(url, store.data_version(engine), folder)
    if found is not None:
        return found
    version, frames = store.load_versioned(engine)
    if background:
        threading.Thread(target=write, args=(frames, url, version, folder), name="mapdata-snapshot", daemon=True).start()
    else:
        write(frames, url, version, folder)
    return frames


def _stem(url: str) -> str:
    """The file-name prefix of one database's snapshots."""
    return "frames-" + hashlib.sha256(f"{_FORMAT}|{url}".encode()).hexdigest()[:16]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile by another process
        return 0.0


def path_for(url: str, version: tuple, folder: Path | None = None) -> Path:
    """Where the snapshot of this database at this version lives."""
    instance, n = version
    return (folder or CACHE_DIR) / f"{_stem(url)}-{instance}-{n}.pickle"


def read(url: str, version: tuple, folder: Path | None = None) -> Frames | None:
    """The frames stored for exactly this database and version, or None when there is no usable snapshot."""
    try:
        with path_for(url, version, folder).open("rb") as handle:
            frames = pickle.load(handle)
    except Exception:  # missing, half-copied or from other library versions: a cache miss, never an error
        return None
    return frames if isinstance(frames, Frames) and frames.keys is not None else None


def write(frames: Frames, url: str, version: tuple, folder: Path | None = None) -> Path | None:
    """Store the frames for this database and version (atomically), drop its older snapshots; returns the path,
    or None when the cache folder cannot be written (the app then simply reads the database next time)."""
    folder = folder or CACHE_DIR
    target = path_for(url, version, folder)
    keys = frames.keys
    # without the lookups aggregate fills in lazily: another thread may be adding to them while this one writes
    bare = Frames(frames.items, frames.tags, frames.topics, frames.relations,
                  Keys(keys.size, keys.actors, keys.pair_a, keys.pair_b) if keys is not None else None)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            pickle.dump(bare, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(target)  # a reader never sees half a file
        for old in folder.glob(f"{_stem(url)}-*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
        others = sorted(folder.glob("frames-*.pickle"), key=_mtime, reverse=True)
        for old in others[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return None
    return target
