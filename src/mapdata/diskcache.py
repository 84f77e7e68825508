"""Tables built once and kept as pickles in the cache folder (the gazetteer, each language's tables, the language
model): the one place that reads, writes and prunes them."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

from . import settings

T = TypeVar("T")


def cached(name: str, build: Callable[[], T], family: str | None = None) -> T:
    """The object kept in the cache folder as `name`, else `build()`, saved there for the next process. A name
    carries a key of everything the object is built from, so a changed input is a new name; with `family` (a glob
    such as "language-ru-*.pickle"), the older files of the same family are removed once the new one is saved."""
    folder = settings.cache_dir()
    path = folder / name
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        pass
    built = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(built, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)  # atomic: a concurrent reader never sees half a file
        for stale in folder.glob(family) if family else ():
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only cache folder is fine: the object is built in memory each time
    return built
