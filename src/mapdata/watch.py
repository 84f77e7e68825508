"""The poller behind `mapdata watch` and `mapdata serve --watch`: each source fetched as it falls due, its new items
tagged, stored and grouped into stories, the outcome recorded on its row.

- A conditional GET (the last ETag and Last-Modified sent back): an unchanged feed answers 304 and adds nothing.
- A deadline per source: a fetch runs in its own thread and is abandoned when it outlasts `DEADLINE`.
- Failures back off exponentially (the interval doubled per failure in a row, up to `MAX_BACKOFF`), and each
  host is asked at most once at a time, `HOST_GAP` seconds apart.
- A failing or hostile source (a hang, a 500, HTML, a huge body, malformed XML, an entity bomb) fails alone: its
  error is stored on its row and the others go on.
- Several watchers: on PostgreSQL each source is polled inside a transaction that holds its row
  (`SELECT ... FOR UPDATE SKIP LOCKED`), so two watchers never poll one source at once, and a watcher that dies
  releases its rows with its connection. SQLite has no row locks: one watcher per database file, held by an
  advisory file lock, and a second one exits with a message saying so.

A plain loop times the polls rather than a scheduler library: the schedule lives in the database (`next_due`),
where every watcher, the command line and the Data page read and change it, so an in-process job store (such as
APScheduler's) would be a second copy of it to keep in step.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, update

from . import store
from .errors import InputError, MapdataError
from .feeds import fetch_if_changed, read_fetched
from .ingest import IngestResult, ingest_result
from .sources import Source, from_row
from .tagging import Tagger, default_tagger

DEADLINE = 30.0  # seconds a source may take to answer in full before it is abandoned
MAX_BACKOFF = 6 * 3600  # the longest wait after failures (unless the source's own interval is longer)
HOST_GAP = 1.0  # seconds between two requests to one host
MAX_BODY = 20 * 1024 * 1024
ACCOUNT = "watch"  # who the poller's writes are recorded as


_RUNNING = threading.Event()  # set while `start_in_background` runs a watcher in this process


def running_here() -> bool:
    """Is a watcher polling in this process (`mapdata serve --watch`)?"""
    return _RUNNING.is_set()


def start_in_background(engine: Engine, log: Callable[[str], None] | None = None) -> threading.Event:
    """Run a watcher in a daemon thread of this process (the dashboard's, for `mapdata serve --watch`); returns
    the event that stops it. WatchError at once when another watcher holds this SQLite database."""
    watcher = Watcher(engine, log=log)
    stop = threading.Event()

    def run() -> None:
        _RUNNING.set()
        try:
            watcher.run(stop)
        finally:
            _RUNNING.clear()
            watcher.close()

    threading.Thread(target=run, name="mapdata-watch", daemon=True).start()
    return stop


class WatchError(MapdataError):
    """The poller cannot run (another watcher holds this SQLite database)."""


@dataclass(frozen=True, slots=True)
class Poll:
    """What one poll of one source did."""

    source: str
    ok: bool
    new: int = 0
    present: int = 0
    rejected: int = 0
    not_modified: bool = False
    error: str = ""

    def line(self) -> str:
        """One line for the log."""
        if not self.ok:
            return f"{self.source}: failed: {self.error}"
        if self.not_modified:
            return f"{self.source}: not modified"
        return f"{self.source}: {self.new} new, {self.present} already present, {self.rejected} rejected"


def backoff(every: int, failures: int) -> int:
    """Seconds until the next poll of a source with that many failures in a row: its interval, doubled for each
    failure after the first, at most MAX_BACKOFF (or its interval, when that is longer)."""
    if failures <= 0:
        return every
    return min(every * 2 ** min(failures - 1, 20), max(MAX_BACKOFF, every))


class _Hosts:
    """One request at a time per host, HOST_GAP seconds apart."""

    def __init__(self, gap: float = HOST_GAP) -> None:
        self._gap = gap
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}

    def polite(self, url: str, call: Callable[[], object]) -> object:
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            wait = self._last.get(host, float("-inf")) + self._gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # the politeness gap itself, not a wait for something to happen
            try:
                return call()
            finally:
                self._last[host] = time.monotonic()


class Watcher:
    """Polls the sources of one database. `poll_all` polls every source that is not paused once; `run` polls
    them as they fall due until `stop` is set."""

    def __init__(
        self,
        engine: Engine,
        tagger: Tagger | None = None,
        *,
        deadline: float = DEADLINE,
        host_gap: float = HOST_GAP,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self._tagger = tagger
        self.deadline = deadline
        self._hosts = _Hosts(host_gap)
        self._log = log or (lambda line: None)
        self._store_lock = threading.Lock()  # one source's items tagged and stored at a time
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()
        self._file_lock = _hold_sqlite_lock(engine)

    @property
    def tagger(self) -> Tagger:
        if self._tagger is None:
            self._tagger = default_tagger()
        return self._tagger

    def close(self) -> None:
        """Let another watcher have the database."""
        if self._file_lock is not None:
            os.close(self._file_lock)
            self._file_lock = None

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- choosing what to poll ------------------------------------------------------------------------------

    def _names(self, due_only: bool) -> list[str]:
        table = store.sources
        query = select(table.c.name).where(table.c.paused.is_(False)).order_by(table.c.next_due, table.c.name)
        if due_only:
            query = query.where(table.c.next_due <= datetime.now(UTC))
        with self.engine.connect() as conn:
            return list(conn.scalars(query))

    def poll_all(self, due_only: bool = False) -> list[Poll]:
        """Poll every source that is not paused (or only those due) once, several at a time, each within the
        deadline; returns what each poll did (a source another watcher was polling is left out)."""
        names = self._names(due_only)
        threads = [self._start(name, due_only) for name in names]
        polls = []
        for name, (thread, box, done) in zip(names, threads, strict=True):
            # the fetch has its own deadline; this one also bounds the tagging and storing of what it brought
            thread.join(self.deadline * 2 + 30)
            if box:
                polls.append(box[0])
            elif not done:
                polls.append(Poll(name, False, error="still storing after the deadline"))
        return polls

    def run(self, stop: threading.Event, *, idle: float = 5.0) -> None:
        """Poll sources as they fall due until `stop` is set; looks for due sources every `idle` seconds at most
        (sources added or made due from elsewhere are seen then)."""
        while not stop.is_set():
            for name in self._names(due_only=True):
                with self._busy_lock:
                    if name in self._busy:
                        continue
                self._start(name, True)
            stop.wait(min(idle, self._seconds_to_next_due()))

    def _seconds_to_next_due(self) -> float:
        table = store.sources
        with self.engine.connect() as conn:
            due = conn.scalar(select(table.c.next_due).where(table.c.paused.is_(False)).order_by(table.c.next_due))
        if due is None:
            return float("inf")
        due = due.replace(tzinfo=UTC) if due.tzinfo is None else due
        return max(0.5, (due - datetime.now(UTC)).total_seconds())

    def _start(self, name: str, due_only: bool) -> tuple[threading.Thread, list[Poll], list[bool]]:
        box: list[Poll] = []
        done: list[bool] = []  # set when the poll ended, polled or not (another watcher had it)
        with self._busy_lock:
            self._busy.add(name)

        def work() -> None:
            try:
                poll = self.poll_source(name, due_only)
                if poll is not None:
                    box.append(poll)
                    self._log(poll.line())
            except Exception as err:  # a bug or a lost database must not end the other polls
                box.append(Poll(name, False, error=f"{type(err).__name__}: {err}"))
                self._log(f"{name}: failed: {type(err).__name__}: {err}")
            finally:
                done.append(True)
                with self._busy_lock:
                    self._busy.discard(name)

        thread = threading.Thread(target=work, name=f"mapdata-poll-{name}", daemon=True)
        thread.start()
        return thread, box, done

    # -- one source -----------------------------------------------------------------------------------------

    def poll_source(self, name: str, due_only: bool = False) -> Poll | None:
        """Poll one source and record the outcome on its row; None when another watcher holds it, it was
        paused or removed meanwhile, or (with due_only) it is not due any more."""
        table = store.sources
        query = select(table).where(table.c.name == name, table.c.paused.is_(False))
        if due_only:
            query = query.where(table.c.next_due <= datetime.now(UTC))
        if self.engine.dialect.name != "postgresql":  # the file lock makes this the only watcher
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
            if row is None:
                return None
            source = from_row(row)
            poll, fetched = self._fetch_and_store(source)
            with store.writing(self.engine) as conn:
                conn.execute(update(table).where(table.c.name == name).values(**_outcome(source, poll, fetched)))
            return poll
        with self.engine.connect() as conn, conn.begin():
            row = conn.execute(query.with_for_update(skip_locked=True)).first()
            if row is None:
                return None
            source = from_row(row)
            poll, fetched = self._fetch_and_store(source)
            conn.execute(update(table).where(table.c.name == name).values(**_outcome(source, poll, fetched)))
        return poll

    def _fetch_and_store(self, source: Source) -> tuple[Poll, tuple[str, str]]:
        """Fetch a source (politely, within the deadline), then tag, store and group what is new. Returns the
        poll and the validators to send next time."""
        box: list = []

        def fetch() -> None:
            try:
                box.append(
                    self._hosts.polite(
                        source.url,
                        lambda: fetch_if_changed(
                            source.url,
                            source.etag,
                            source.last_modified,
                            timeout=self.deadline,
                            max_bytes=MAX_BODY,
                        ),
                    )
                )
            except Exception as err:
                box.append(err)

        thread = threading.Thread(target=fetch, name=f"mapdata-fetch-{source.name}", daemon=True)
        thread.start()
        thread.join(self.deadline + HOST_GAP * 8 + 5)  # the politeness queue may hold it a little first
        validators = (source.etag, source.last_modified)
        if not box:
            return Poll(source.name, False, error=f"no answer within {self.deadline:g} s, abandoned"), validators
        got = box[0]
        if isinstance(got, InputError):
            return Poll(source.name, False, error=got.reason), validators
        if isinstance(got, Exception):
            return Poll(source.name, False, error=f"{type(got).__name__}: {got}"), validators
        if got.not_modified:
            return Poll(source.name, True, not_modified=True), (got.etag or source.etag, got.last_modified)
        try:
            read = read_fetched(got.body, source.url, got.content_type)
        except InputError as err:
            where = f" (line {err.line})" if err.line else ""
            return Poll(source.name, False, error=err.reason + where), validators
        today = datetime.now(UTC).date()
        # an entry without a date is dated the day it is first seen; its id stays the one made from its text
        # alone, so the next day's poll finds it present rather than adding it again
        items = [
            replace(item, date=today, source=item.source or source.name)
            if item.date is None
            else (item if item.source else replace(item, source=source.name))
            for item in read.items
        ]
        with self._store_lock:
            result: IngestResult = ingest_result(
                self.engine, replace(read, items=items), self.tagger, account=f"{ACCOUNT}:{source.name}"
            )
        poll = Poll(source.name, True, result.new, result.present, len(result.rejected))
        return poll, (got.etag, got.last_modified)


def _outcome(source: Source, poll: Poll, validators: tuple[str, str]) -> dict:
    """The columns of a source's row after a poll."""
    now = datetime.now(UTC)
    failures = 0 if poll.ok else source.failures + 1
    values = {
        "last_attempt": now,
        "failures": failures,
        "next_due": now + timedelta(seconds=backoff(source.every, failures)),
        "etag": validators[0][:1000],
        "last_modified": validators[1][:200],
    }
    if poll.ok:
        values.update(last_success=now, last_error="", items_added=source.items_added + poll.new)
    else:
        values["last_error"] = poll.error[:1000]
    return values


def _hold_sqlite_lock(engine: Engine) -> int | None:
    """On a SQLite file, hold the advisory lock that makes this the file's only watcher (released when the
    process ends, however it ends); WatchError when another process holds it."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    path = Path(engine.url.database).with_name(Path(engine.url.database).name + ".watch-lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        os.close(fd)
        raise WatchError(
            f"another watcher is polling this database already (process {holder or '?'}, lock {path}); "
            "SQLite allows one: stop it first, or share the sources on PostgreSQL"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd
