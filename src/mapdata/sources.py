"""Sources: the feeds `mapdata watch` polls, kept as rows of the database so that every watcher, the command line
and the Data page see and change the same list.

A source has a name, a URL, an interval, and what its last polls did: when, whether they worked, the error they
met, how many items they added, and when it is due next (which grows after failures: see `watch.backoff`).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import accounts, store
from .errors import MapdataError

MIN_EVERY = 60  # seconds: feeds publish in minutes, and a tighter loop is impolite to their servers
MAX_EVERY = 7 * 24 * 3600
DEFAULT_EVERY = 15 * 60
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}  # a bare number is minutes
_NAME = re.compile(r"^[\w][\w.@+-]{0,99}$")


class SourceError(MapdataError, ValueError):
    """A source could not be added, found or changed; the message says why."""


@dataclass(frozen=True, slots=True)
class Source:
    """One polled feed and the outcome of its latest polls (times in UTC)."""

    name: str
    url: str
    every: int  # seconds between polls
    paused: bool = False
    etag: str = ""
    last_modified: str = ""
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str = ""
    failures: int = 0
    items_added: int = 0
    next_due: datetime | None = None

    def to_json(self) -> dict:
        """The `mapdata sources list --json` record: times as ISO 8601, the interval as "15m"."""
        row = asdict(self)
        for key in ("etag", "last_modified", "failures"):
            row.pop(key)
        row["every"] = format_every(self.every)
        for key in ("last_attempt", "last_success", "next_due"):
            row[key] = row[key].isoformat() if row[key] else None
        return row


def parse_every(text: str) -> int:
    """An interval as seconds: "15m", "1h", "90s", "2d", or a bare number of minutes; at least a minute."""
    found = _EVERY.match(str(text))
    if not found:
        raise SourceError(f"not an interval: {text!r} (write 15m, 1h, 90s or 2d)")
    seconds = int(found.group(1)) * _UNITS[found.group(2).lower()]
    if not MIN_EVERY <= seconds <= MAX_EVERY:
        raise SourceError(f"an interval is between 1 minute and 7 days, not {text!r}")
    return seconds


def format_every(seconds: int) -> str:
    """An interval in the largest unit that divides it: 900 -> "15m"."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were written in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def from_row(row) -> Source:
    """A Source from a row of the sources table."""
    return Source(
        name=row.name,
        url=row.url,
        every=row.every,
        paused=bool(row.paused),
        etag=row.etag,
        last_modified=row.last_modified,
        last_attempt=_utc(row.last_attempt),
        last_success=_utc(row.last_success),
        last_error=row.last_error,
        failures=row.failures,
        items_added=row.items_added,
        next_due=_utc(row.next_due),
    )


def check_url(url: str) -> str:
    """An http(s) URL with a host, or SourceError."""
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SourceError(f"a source is an http:// or https:// URL, not {url[:200]!r}")
    return url


def default_name(url: str) -> str:
    """A name for a source given none: its host, and its path's last part when that says more than "feed"."""
    parts = urllib.parse.urlsplit(url)
    last = parts.path.rstrip("/").rpartition("/")[2].rsplit(".", 1)[0]
    name = parts.hostname or "source"
    if last and last.lower() not in ("feed", "rss", "atom", "index"):
        name = f"{name}-{last}"
    return re.sub(r"[^\w.@+-]", "-", name)[:100]


def add(engine: Engine, url: str, name: str = "", every: int = DEFAULT_EVERY, *, account: str = "") -> Source:
    """Add a source, due at once; its name must be new."""
    url = check_url(url)
    name = (name or default_name(url)).strip()
    if not _NAME.match(name):
        raise SourceError(f"a source's name is 1 to 100 letters, digits or . _ @ + - (no spaces), not {name!r}")
    if not MIN_EVERY <= every <= MAX_EVERY:
        raise SourceError("an interval is between 1 minute and 7 days")
    now = datetime.now(UTC)
    try:
        with store.writing(engine) as conn:
            conn.execute(insert(store.sources).values(name=name, url=url, every=every, next_due=now, added_at=now))
            accounts.record(conn, account or accounts.cli_account(), "add source", f"{name}: {url}")
    except IntegrityError as err:
        raise SourceError(f"there is a source named {name!r} already") from err
    return get(engine, name)


def get(engine: Engine, name: str) -> Source:
    """The source of that name, or SourceError."""
    with engine.connect() as conn:
        row = conn.execute(select(store.sources).where(store.sources.c.name == name)).first()
    if row is None:
        raise SourceError(f"no source named {name!r} (mapdata sources list shows them)")
    return from_row(row)


def all_sources(engine: Engine) -> list[Source]:
    """Every source, by name."""
    with engine.connect() as conn:
        return [from_row(r) for r in conn.execute(select(store.sources).order_by(store.sources.c.name))]


def remove(engine: Engine, name: str, *, account: str = "") -> None:
    """Stop polling a source and forget it; the items it added stay."""
    with store.writing(engine) as conn:
        if not conn.execute(delete(store.sources).where(store.sources.c.name == name)).rowcount:
            raise SourceError(f"no source named {name!r}")
        accounts.record(conn, account or accounts.cli_account(), "remove source", name)


def set_paused(engine: Engine, name: str, paused: bool, *, account: str = "") -> None:
    """Pause a source (no poll until resumed) or resume it (due at once)."""
    values: dict = {"paused": paused}
    if not paused:
        values["next_due"] = datetime.now(UTC)
    with store.writing(engine) as conn:
        if not conn.execute(update(store.sources).where(store.sources.c.name == name).values(**values)).rowcount:
            raise SourceError(f"no source named {name!r}")
        accounts.record(conn, account or accounts.cli_account(), "pause source" if paused else "resume source", name)


def make_due(engine: Engine, name: str) -> None:
    """Make a source due now ("fetch now"): the running watcher polls it on its next look."""
    with store.writing(engine) as conn:
        if not conn.execute(
            update(store.sources).where(store.sources.c.name == name).values(next_due=datetime.now(UTC))
        ).rowcount:
            raise SourceError(f"no source named {name!r}")
