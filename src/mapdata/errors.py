"""One error tree for the whole library: every error mapdata raises derives from MapdataError."""

from __future__ import annotations


class MapdataError(Exception):
    """Root of every error raised by mapdata."""


class InputError(MapdataError, ValueError):
    """A news file or record could not be read; says which file and line."""

    def __init__(self, reason: str, source: str = "", line: int | None = None) -> None:
        self.reason = reason
        self.source = source
        self.line = line
        where = source + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {reason}" if where else reason)


class DataFileError(MapdataError, ValueError):
    """A file under data/ (aliases, lexicon, organisations) is malformed."""


class StoreError(MapdataError, RuntimeError):
    """The database could not be opened or written."""


class WorkerError(MapdataError, RuntimeError):
    """A worker process of the command line's tagging or learning ended before its work was done."""
