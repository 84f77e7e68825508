"""Writing: tagged items in bulk, an item's tags replaced, a correction recorded; every write bumps the revision."""

from __future__ import annotations

import contextlib
import contextvars
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Engine, Table, delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from ..models import Correction, TaggedItem
from .engine import pause, retryable, writing
from .schema import (
    DEFERRABLE_INDEXES,
    ITEM_COLUMNS,
    RELATION_COLUMNS,
    TAG_COLUMNS,
    TOPIC_COLUMNS,
    corrections,
    items,
    models,
    relations,
    revision,
    tags,
    topics,
)

T = TypeVar("T")
BATCH = 2000  # items per transaction of an ingest; an interrupted ingest leaves whole batches


Rows = tuple[tuple, list[tuple], list[tuple], list[tuple]]  # one item's row, and its tag, topic and relation rows
ADDED_AT = ITEM_COLUMNS.index("added_at")
CONFIDENCE = ITEM_COLUMNS.index("confidence")


def rows_of(tagged: TaggedItem) -> Rows:
    """The rows one tagged item writes, its `added_at` left to be stamped when it is stored: plain tuples, which
    a worker process sends back several times faster than the tagged item itself."""
    return _rows(tagged, None)


def _rows(tagged: TaggedItem, now: datetime | None) -> Rows:
    """The rows one tagged item writes, as tuples in the schema's column orders."""
    item = tagged.item
    sure = tagged.confidence
    row = (
        item.id,
        item.date,
        item.text,
        item.source,
        item.url,
        item.origin,
        tagged.tone,
        tagged.lead_key,
        now,
        sure.tone if sure else None,
        tagged.lang,
    )
    tag_rows = [(item.id, t.key, t.kind, t.text, t.start, t.end, t.manual) for t in tagged.evidence]
    topic_p = dict(sure.topics) if sure else {}
    topic_rows = [(item.id, t, topic_p.get(t)) for t in tagged.topics]
    relation_rows = [(item.id, s, t) for s, t in dict.fromkeys(tagged.relations())]
    return row, tag_rows, topic_rows, relation_rows


# the engines whose indexes a deferral of this thread holds (deferred_indexes inside another leaves them to it)
_DEFERRING: contextvars.ContextVar[tuple[Engine, ...]] = contextvars.ContextVar("mapdata_deferring", default=())


class DeferredIndexes:
    """What `deferred_indexes` yields: true when the indexes were left out, and a way to have them built while the
    caller goes on reading (the command line's ingest writes the dashboard's snapshot meanwhile)."""

    def __init__(self, engine: Engine, deferred: bool) -> None:
        self.engine = engine
        self.deferred = deferred
        self._builder: threading.Thread | None = None

    def __bool__(self) -> bool:
        return self.deferred

    def build_meanwhile(self) -> None:
        """Start building the indexes on a thread, if they were deferred; the `with` block's end waits for it.
        SQLite builds them in C, without Python's lock, and a build changes no row: a read meanwhile (in its own
        transaction, which WAL keeps apart from the build's) sees the same data, on the other core. The build
        takes 0.6 s at 100,000 items. Only on a file: an in-memory database is one per thread (its engine's pool
        gives each thread its own), so there the indexes are built at once, here."""
        if not self.deferred or self._builder is not None:
            return
        if not isinstance(self.engine.pool, QueuePool):
            self._build()
            self.deferred = False  # built: nothing left for the end of the block
            return
        self._builder = threading.Thread(target=self._build, name="mapdata-indexes")
        self._builder.start()

    def _build(self) -> None:
        # never an error of its own: after a failed load, the load's error is the one to tell; after a good one,
        # the items are stored and the summary is due. If the indexes cannot be built now (the store locked for
        # long, the disk full), the next open_engine builds them
        with contextlib.suppress(Exception):
            _build_indexes(self.engine)

    def finish(self) -> None:
        """Build the indexes now, or wait for the build begun by `build_meanwhile`."""
        if not self.deferred:
            return
        if self._builder is None:
            self._build()
        else:
            self._builder.join()


@contextlib.contextmanager
def deferred_indexes(engine: Engine) -> Iterator[DeferredIndexes]:
    """A bulk load into an empty SQLite store without its secondary indexes, which are built once it is done; yields
    a `DeferredIndexes`, true when they were deferred. Inserting 772,000 rows (100,000 items with their tags, topics
    and relations) into the indexes as they came cost the parent 2 s of its storing; building them after, from
    sorted rows, takes 0.6 s.

    Only into an empty store, where nothing reads them yet: a store that holds data keeps its indexes (the emptiness
    is checked and the indexes dropped in one write transaction, which no other writer can add rows into). They are
    built again however the load ends; if its process is killed first, the next `open_engine` builds them (as would
    any process that opens the store meanwhile: the load is then slower, never wrong). Inside another deferral of the
    same engine (in this thread), it leaves them to that one."""
    deferred = False
    if engine.dialect.name == "sqlite" and not any(outer is engine for outer in _DEFERRING.get()):
        with writing(engine) as conn:
            if conn.scalar(select(items.c.id).limit(1)) is None:
                for index in DEFERRABLE_INDEXES:
                    index.drop(conn, checkfirst=True)
                deferred = True
    token = _DEFERRING.set((*_DEFERRING.get(), engine)) if deferred else None
    indexes = DeferredIndexes(engine, deferred)
    try:
        yield indexes
    finally:
        if token is not None:
            _DEFERRING.reset(token)
        indexes.finish()


def _build_indexes(engine: Engine) -> None:
    def build() -> None:
        with writing(engine) as conn:
            for index in DEFERRABLE_INDEXES:
                index.create(conn, checkfirst=True)

    retried(build, attempts=5)


def retried(run: Callable[[], T], attempts: int) -> T:
    """`run()`, run again after a short randomized pause while it fails only because another transaction ran at the
    same time (engine.retryable), at most `attempts` times."""
    for attempt in range(attempts):
        try:
            return run()
        except DBAPIError as err:
            if attempt == attempts - 1 or not retryable(err):
                raise
            pause(attempt)
    raise AssertionError("unreachable")


def _insert(conn, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert many rows through the driver: COPY on PostgreSQL, executemany on SQLite. SQLAlchemy's per-row
    parameter processing was most of the ingest time at 100,000 items."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if conn.dialect.name == "postgresql":
        statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        dbapi = conn.dialect.loaded_dbapi
        try:
            with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi.Error as err:
            # the raw cursor raises the driver's errors (psycopg.errors.UniqueViolation, ...): give them
            # SQLAlchemy's classes (IntegrityError, OperationalError, ...) as every other statement has
            raise DBAPIError.instance(statement, None, err, dbapi.Error, dialect=conn.dialect) from err
        return
    mark = _mark(conn)
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([mark] * len(columns))})", rows)


def _mark(conn) -> str:
    """The driver's parameter mark, for statements sent through it (sqlite3: ?, psycopg: %s)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def set_stories(conn, stories: Sequence[tuple[str, str]]) -> None:
    """Store the story of each (item id, story id) pair (inside a writing transaction): an item that starts its own
    story by id lists of BATCH, the others one by one; both through the driver, whose statements cost a third of
    SQLAlchemy's at 100,000 items. By id, so that items another writer adds meanwhile wait for their own grouping."""
    mark = _mark(conn)
    joined = [(story, item_id) for item_id, story in stories if story != item_id]
    if joined:
        conn.exec_driver_sql(f"UPDATE items SET story = {mark} WHERE id = {mark}", joined)
    alone = [item_id for item_id, story in stories if story == item_id]
    for start in range(0, len(alone), BATCH):
        part = tuple(alone[start : start + BATCH])
        conn.exec_driver_sql(f"UPDATE items SET story = id WHERE id IN ({', '.join([mark] * len(part))})", part)


def bump(conn) -> None:
    """Count one more change of the data and draw a new token, inside the writing transaction. Called once, after
    the transaction's other writes: on PostgreSQL the row stays locked until commit, and a writer that takes it
    last waits for nobody."""
    conn.execute(update(revision).where(revision.c.id == 1).values(n=revision.c.n + 1, token=uuid.uuid4().hex))


def _write_rows(conn, parts: list[tuple]) -> None:
    """Insert the item, tag, topic and relation rows of several tagged items."""
    _insert(conn, items, ITEM_COLUMNS, [p[0] for p in parts])
    _insert(conn, tags, TAG_COLUMNS, [r for p in parts for r in p[1]])
    _insert(conn, topics, TOPIC_COLUMNS, [r for p in parts for r in p[2]])
    _insert(conn, relations, RELATION_COLUMNS, [r for p in parts for r in p[3]])
    bump(conn)


def add_items(engine: Engine, tagged: Iterable[TaggedItem], *, dry_run: bool = False) -> tuple[int, int]:
    """Store tagged items that are not stored yet, one transaction per batch; returns (new, already present)."""
    return add_rows(engine, map(rows_of, tagged), dry_run=dry_run)


def add_rows(engine: Engine, rows: Iterable[Rows], *, dry_run: bool = False) -> tuple[int, int]:
    """Store the rows of items (`rows_of`) that are not stored yet, one transaction per batch; returns (new,
    already present)."""
    new = present = 0
    batch: list[Rows] = []
    for t in rows:
        batch.append(t)
        if len(batch) >= BATCH:
            n, p = _add_batch(engine, batch, dry_run)
            new, present, batch = new + n, present + p, []
    if batch:
        n, p = _add_batch(engine, batch, dry_run)
        new, present = new + n, present + p
    return new, present


def _add_batch(engine: Engine, batch: Sequence[Rows], dry_run: bool = False, attempts: int = 10) -> tuple[int, int]:
    """Store the items of `batch` not stored yet, in one transaction; returns (new, already present).

    Another process may store some of the same items at the same time. On SQLite the write lock is taken first
    (writing()), so the ids read are still true when the rows are written. On PostgreSQL the other writer's rows
    show up as a duplicate key, or a deadlock, when they are written: the transaction is rolled back and run
    again after a short randomized pause, reading the stored ids afresh, until it writes only fresh items.
    Rows are written in id order, so two writers of the same ids wait for each other rather than deadlock."""
    unique = sorted({t[0][0]: t for t in batch}.values(), key=lambda t: t[0][0])
    repeated = len(batch) - len(unique)

    def add() -> tuple[int, int]:
        with engine.connect() if dry_run else writing(engine) as conn:  # a dry run writes nothing: no lock
            existing = set(conn.scalars(select(items.c.id).where(items.c.id.in_([t[0][0] for t in unique]))))
            fresh = [t for t in unique if t[0][0] not in existing]
            if fresh and not dry_run:
                now = datetime.now(UTC)
                stamped = [((*r[0][:ADDED_AT], now, *r[0][ADDED_AT + 1 :]), *r[1:]) for r in fresh]
                _write_rows(conn, stamped)
        return len(fresh), len(existing) + repeated

    return retried(add, attempts)


def replace_tags(conn, tagged: TaggedItem) -> None:
    """Replace an item's tags, topics and relations, and its tone and lead actor, by `tagged`'s (inside a writing
    transaction; the caller bumps the revision once it is done)."""
    item_id = tagged.item.id
    for table in (tags, topics, relations):
        conn.execute(delete(table).where(table.c.item_id == item_id))
    row, tag_rows, topic_rows, relation_rows = _rows(tagged, datetime.now(UTC))
    conn.execute(
        update(items)
        .where(items.c.id == item_id)
        .values(tone=tagged.tone, lead_actor=tagged.lead_key, confidence=row[CONFIDENCE], lang=tagged.lang)
    )
    _insert(conn, tags, TAG_COLUMNS, tag_rows)
    _insert(conn, topics, TOPIC_COLUMNS, topic_rows)
    _insert(conn, relations, RELATION_COLUMNS, relation_rows)


def save_model(conn, weights: str, account: str, briefs: int, corrected: int) -> int:
    """Keep weights learned with the analysts' corrections (inside a writing transaction); returns their id."""
    result = conn.execute(
        models.insert().values(
            weights=weights, created_at=datetime.now(UTC), account=account, briefs=briefs, corrected=corrected
        )
    )
    return int(result.inserted_primary_key[0])


def record_correction(conn, correction: Correction, account: str) -> None:
    """Keep a manual correction and who made it (inside a writing transaction)."""
    conn.execute(
        corrections.insert().values(
            item_id=correction.item_id,
            field=correction.field,
            value=correction.value,
            action=correction.action,
            created_at=datetime.now(UTC),
            account=account,
        )
    )
