"""A snapshot of the indexed frames on disk, keyed on the database and its revision, so that a restarted app
reads 100,000 items in about half a second instead of querying and indexing them again (about 3 s).

A snapshot is only ever read for the exact database (URL and instance id) and data version (counter and random
token, both changed by every write) it was made from, and by the same code and library versions: a stale one is
never used. It sits in the snapshot folder (`settings.snapshot_dir()`: MAPDATA_SNAPSHOT_DIR, else the cache
folder); older snapshots of the same database are removed when a newer one is written.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

from sqlalchemy import Engine

from . import settings, store
from .frames import Frames, Keys

KEEP = 4  # snapshots kept in the folder (of any database), newest first; each is about 50 MB at 100,000 items
STALE_TEMPORARY = 3600  # seconds after which a half-written file (a writer killed mid-way) is removed


def folder() -> Path:
    """Where snapshots are kept, read at each call so that a test or a bench can point it elsewhere."""
    return settings.snapshot_dir()


@functools.lru_cache(maxsize=1)
def _code_key() -> str:
    """Changes with the code that shapes the frames and with the libraries that pickle them."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in (here / "frames.py", here / "snapshot.py", *sorted((here / "store").glob("*.py"))):
        digest.update(path.read_bytes())
    for package in ("pandas", "numpy"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    return digest.hexdigest()[:12]


def _stem(url: str) -> str:
    """The file-name prefix of one database's snapshots."""
    return "frames-" + hashlib.sha256(f"{_code_key()}|{url}".encode()).hexdigest()[:16]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile by another process
        return 0.0


def path_for(url: str, version: tuple, where: Path | None = None) -> Path:
    """Where the snapshot of this database at this version lives."""
    return (where or folder()) / f"{_stem(url)}-{'-'.join(str(part) for part in version)}.pickle"


def load(engine: Engine, url: str, *, background: bool = False, where: Path | None = None) -> Frames:
    """The stored data as frames: from the snapshot when it is current, else from the database, then written
    as the new snapshot (in a background thread when `background`, so the caller need not wait for it)."""
    found = read(url, store.data_version(engine), where)
    if found is not None:
        return found
    version, frames = store.load_versioned(engine)
    if background:
        threading.Thread(target=write, args=(frames, url, version, where), name="mapdata-snapshot", daemon=True).start()
    else:
        write(frames, url, version, where)
    return frames


def prepare(engine: Engine, url: str, where: Path | None = None) -> Path | None:
    """Make sure a current snapshot exists (after an ingest); returns its path, None when it cannot be written."""
    version = store.data_version(engine)
    path = path_for(url, version, where)
    if path.exists():
        return path
    version, frames = store.load_versioned(engine)
    return write(frames, url, version, where)


def read(url: str, version: tuple, where: Path | None = None) -> Frames | None:
    """The frames stored for exactly this database and version, or None when there is no usable snapshot."""
    try:
        with path_for(url, version, where).open("rb") as handle:
            frames = pickle.load(handle)
    except Exception:  # missing, half-copied or unreadable: a cache miss, never an error
        return None
    return frames if isinstance(frames, Frames) and isinstance(frames.keys, Keys) else None


def write(frames: Frames, url: str, version: tuple, where: Path | None = None) -> Path | None:
    """Store the frames for this database and version (atomically), drop its older snapshots; returns the path,
    or None when the folder cannot be written (the app then simply reads the database next time)."""
    where = where or folder()
    target = path_for(url, version, where)
    # without the lookups made lazily (Keys' cached properties): another thread may be adding them meanwhile
    bare = Frames(frames.items, frames.tags, frames.topics, frames.relations, frames.keys.bare())
    temporary = None
    try:
        where.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=where, prefix="frames-", suffix=".tmp")
        temporary = Path(name)
        with os.fdopen(handle, "wb") as out:
            pickle.dump(bare, out, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(target)  # a reader never sees half a file
    except OSError:
        return None
    finally:
        if temporary is not None and temporary.exists():
            with contextlib.suppress(OSError):
                temporary.unlink()  # failed or interrupted (also by KeyboardInterrupt): leave nothing behind
    _prune(where, url, target)
    return target


def _prune(where: Path, url: str, written: Path) -> None:
    """Remove this database's snapshots older than the one just written, the oldest beyond KEEP of all, and
    half-written files that a killed writer left."""
    newest = _mtime(written)
    with contextlib.suppress(OSError):
        for old in where.glob(f"{_stem(url)}-*.pickle"):
            if old != written and _mtime(old) <= newest:  # a newer one, written meanwhile by another process, stays
                old.unlink(missing_ok=True)
        for old in sorted(where.glob("frames-*.pickle"), key=_mtime, reverse=True)[KEEP:]:
            old.unlink(missing_ok=True)
        for old in where.glob("frames-*.tmp"):
            if time.time() - _mtime(old) > STALE_TEMPORARY:
                old.unlink(missing_ok=True)
