"""The database: SQLAlchemy tables for items, actor tags, topics and relations, and the queries the app needs."""

from __future__ import annotations

import os
import random
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    delete,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from . import corrections as corr
from .errors import StoreError
from .frames import Frames, indexed
from .models import Item, TaggedItem

DEFAULT_DB_PATH = Path(__file__).resolve().parents[2] / "var" / "mapdata.sqlite"
BATCH = 2000

metadata = MetaData()

# Actor columns hold actor keys: the alpha-2 code of a country, 'org:' + acronym for an organisation.
items = Table(
    "items",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("date", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("source", String(200), nullable=False, default=""),
    Column("url", Text, nullable=False, default=""),
    Column("origin", Text, nullable=False, default=""),
    Column("tone", String(16), nullable=False),
    Column("lead_actor", String(24)),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Index("ix_items_date", "date"),
)
tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(64), ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("actor", String(24), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("phrase", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("manual", Boolean, nullable=False, default=False),
    Index("ix_tags_actor", "actor", "item_id"),
    Index("ix_tags_item", "item_id"),
)
topics = Table(
    "topics",
    metadata,
    Column("item_id", String(64), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", String(32), primary_key=True),
    Index("ix_topics_topic", "topic", "item_id"),
)
relations = Table(
    "relations",
    metadata,
    Column("item_id", String(64), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("source", String(24), primary_key=True),
    Column("target", String(24), primary_key=True),
    Index("ix_relations_pair", "source", "target"),
)
corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(64), ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(16), nullable=False),
    Column("value", String(32), nullable=False),
    Column("action", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_corrections_item", "item_id"),
)
revision = Table(  # one row (see migration 0002)
    "revision",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("instance", String(32), nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("token", String(32), nullable=False, server_default=""),  # migration 0003
)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    """The SQLAlchemy URL in MAPDATA_DB_URL, else a SQLite file in the git-ignored var/ folder."""
    return os.environ.get("MAPDATA_DB_URL") or f"sqlite:///{DEFAULT_DB_PATH}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # the busy timeout first: switching a fresh file to WAL takes a lock another starting process may hold
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # pysqlite's own transaction handling begins a transaction only before INSERT/UPDATE/DELETE, so DDL (the
    # migrations) ran outside any transaction; SQLAlchemy emits every BEGIN instead (_sqlite_begin)
    dbapi_connection.isolation_level = None


WRITE = "mapdata_write"  # execution option marking a write transaction (see writing())


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE for write transactions: the write lock is taken, waiting up to the busy timeout, before
    anything is read, so a transaction that reads then writes never finds its WAL snapshot stale (which SQLite
    reports at once as "database is locked", whatever the timeout). Reads stay deferred and take no write lock."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed at the end (rolled back on error); see _sqlite_begin."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            yield conn


def open_engine(url: str | None = None) -> Engine:
    """An engine on the database (SQLite gets WAL and a busy timeout), migrated to the current schema."""
    url = url or database_url()
    try:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        migrate(engine)
    except (SQLAlchemyError, OSError) as err:
        raise StoreError(f"cannot open database {_redact(url)}: {err}") from err
    return engine


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


def _pause(attempt: int) -> None:
    """A short randomized backoff before retrying a transaction, so two colliding processes fall out of step."""
    time.sleep(random.uniform(0.02, 0.1) * 2 ** min(attempt, 5))


def _retryable(err: BaseException) -> bool:
    """A transaction that failed only because another one ran at the same time: a duplicate key written
    meanwhile, a deadlock or serialization failure (PostgreSQL), a busy or stale snapshot (SQLite)."""
    orig = getattr(err, "orig", None) or err
    if getattr(orig, "sqlstate", None) in ("23505", "40001", "40P01"):  # unique violation, serialization, deadlock
        return True
    if isinstance(orig, sqlite3.IntegrityError):
        return "UNIQUE constraint failed" in str(orig)
    if isinstance(orig, sqlite3.OperationalError):
        return "database is locked" in str(orig) or "database is busy" in str(orig)
    return False


def migrate(engine: Engine, attempts: int = 8) -> None:
    """Bring the schema to the newest Alembic revision; safe when several processes start at once: one migrates
    while the others wait for its lock (an advisory lock on PostgreSQL, the write lock of BEGIN IMMEDIATE on
    SQLite, where the DDL now runs inside that transaction), then find the schema current."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(attempts):
        try:
            with writing(engine) as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(734219)"))  # one migrator at a time
                names = set(inspect(conn).get_table_names())
                config.attributes["connection"] = conn
                if "items" in names and "alembic_version" not in names:
                    command.stamp(config, "0001")  # a database made before migrations existed
                command.upgrade(config, "head")
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            # e.g. PostgreSQL creating the same database objects at once outside the lock; a lock wait that
            # outlasted the busy timeout: look again after a pause
            if attempt == attempts - 1:
                raise
            _pause(attempt)


ITEM_COLUMNS = ("id", "date", "text", "source", "url", "origin", "tone", "lead_actor", "added_at")
TAG_COLUMNS = ("item_id", "actor", "kind", "phrase", "start", "end", "manual")


def _rows(tagged: TaggedItem, now: datetime) -> tuple[tuple, list[tuple], list[tuple], list[tuple]]:
    """The rows one tagged item writes, as tuples in the column orders above."""
    item = tagged.item
    row = (item.id, item.date, item.text, item.source, item.url, item.origin, tagged.tone, tagged.lead_key, now)
    tag_rows = [(item.id, t.key, t.kind, t.text, t.start, t.end, t.manual) for t in tagged.evidence]
    topic_rows = [(item.id, t) for t in tagged.topics]
    relation_rows = [(item.id, s, t) for s, t in dict.fromkeys(tagged.relations())]
    return row, tag_rows, topic_rows, relation_rows


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
            with conn.connection.dbapi_connection.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
        except dbapi.Error as err:
            # the raw cursor raises the driver's errors (psycopg.errors.UniqueViolation, ...): give them
            # SQLAlchemy's classes (IntegrityError, OperationalError, ...) as every other statement has
            raise DBAPIError.instance(statement, None, err, dbapi.Error, dialect=conn.dialect) from err
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([mark] * len(columns))})", rows)


def _bump(conn) -> None:
    """Count one more change of the data and draw a new token, inside the writing transaction. Called once, after
    the transaction's other writes: on PostgreSQL the row stays locked until commit, and a writer that takes it
    last waits for nobody."""
    conn.execute(update(revision).where(revision.c.id == 1).values(n=revision.c.n + 1, token=uuid.uuid4().hex))


def _write_rows(conn, parts: list[tuple]) -> None:
    """Insert the item, tag, topic and relation rows of several tagged items."""
    _insert(conn, items, ITEM_COLUMNS, [p[0] for p in parts])
    _insert(conn, tags, TAG_COLUMNS, [r for p in parts for r in p[1]])
    _insert(conn, topics, ("item_id", "topic"), [r for p in parts for r in p[2]])
    _insert(conn, relations, ("item_id", "source", "target"), [r for p in parts for r in p[3]])
    _bump(conn)


def add_items(engine: Engine, tagged: Iterable[TaggedItem], *, dry_run: bool = False) -> tuple[int, int]:
    """Store tagged items that are not stored yet, one transaction per batch; returns (new, already present)."""
    new = present = 0
    batch: list[TaggedItem] = []
    for t in tagged:
        batch.append(t)
        if len(batch) >= BATCH:
            n, p = _add_batch(engine, batch, dry_run)
            new, present, batch = new + n, present + p, []
    if batch:
        n, p = _add_batch(engine, batch, dry_run)
        new, present = new + n, present + p
    return new, present


def _add_batch(engine: Engine, batch: Sequence[TaggedItem], dry_run: bool = False, attempts: int = 10) -> tuple[int, int]:
    """Store the items of `batch` not stored yet, in one transaction; returns (new, already present).

    Another process may store some of the same items at the same time. On SQLite the write lock is taken first
    (writing()), so the ids read are still true when the rows are written. On PostgreSQL the other writer's rows
    show up as a duplicate key, or a deadlock, when they are written: the transaction is rolled back and run
    again after a short randomized pause, reading the stored ids afresh, until it writes only fresh items.
    Rows are written in id order, so two writers of the same ids wait for each other rather than deadlock."""
    unique = sorted({t.item.id: t for t in batch}.values(), key=lambda t: t.item.id)
    repeated = len(batch) - len(unique)
    for attempt in range(attempts):
        try:
            with engine.connect() if dry_run else writing(engine) as conn:  # a dry run writes nothing: no lock
                existing = set(conn.scalars(select(items.c.id).where(items.c.id.in_([t.item.id for t in unique]))))
                fresh = [t for t in unique if t.item.id not in existing]
                if fresh and not dry_run:
                    now = datetime.now(timezone.utc)
                    _write_rows(conn, [_rows(t, now) for t in fresh])
            return len(fresh), len(existing) + repeated
        except DBAPIError as err:
            if attempt == attempts - 1 or not _retryable(err):
                raise
            _pause(attempt)
    raise AssertionError("unreachable")


_VERSION = (revision.c.instance, revision.c.n, revision.c.token)


def data_version(engine: Engine) -> tuple[str, int, str]:
    """The database's instance id, its revision counter and the token that every write of items, tags or
    corrections draws anew: the key of the app's caches and of the frames snapshot."""
    with engine.connect() as conn:
        instance, n, token = conn.execute(select(*_VERSION).where(revision.c.id == 1)).one()
    return instance, int(n), token


def count_items(engine: Engine) -> int:
    """Number of stored items."""
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(items)) or 0


def _read(conn, query, columns: list[str]) -> pd.DataFrame:
    """Rows of a query as a DataFrame, fetched through the driver's cursor (SQLAlchemy's row objects cost
    seconds at 300,000 rows)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": False})
    params = compiled.construct_params()
    if conn.dialect.name == "sqlite":  # SQLAlchemy stores dates there as ISO text; sqlite3's own adapter is deprecated
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    positional = [params[name] for name in compiled.positiontup] if compiled.positional else params
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), positional)
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()


def load_frames(engine: Engine, start: date | None = None, end: date | None = None) -> Frames:
    """Items in a date range (all when open) with their tags, topics and relations, indexed for fast views."""
    return load_versioned(engine, start, end)[1]


def load_versioned(engine: Engine, start: date | None = None, end: date | None = None) -> tuple[tuple[str, int, str], Frames]:
    """`load_frames` with the `data_version` of the data it read (both from one snapshot of the database)."""
    where = []
    if start is not None:
        where.append(items.c.date >= start)
    if end is not None:
        where.append(items.c.date <= end)
    item_cols = ["id", "date", "text", "source", "url", "tone", "lead_actor"]
    tag_cols = ["item_id", "actor", "kind", "phrase", "start", "end", "manual"]

    def of_items(table: Table, columns: list[str]):
        query = select(*(table.c[c] for c in columns))
        return query.where(table.c.item_id.in_(select(items.c.id).where(*where))) if where else query

    with engine.connect() as conn:
        # one snapshot for the four reads, so that a concurrent ingest never shows tags of unseen items
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        conn.begin()
        # SQLite: the snapshot starts at the first read
        instance, n, token = conn.execute(select(*_VERSION).where(revision.c.id == 1)).one()
        item_df = _read(conn, select(*(items.c[c] for c in item_cols)).where(*where), item_cols)
        tag_df = _read(conn, of_items(tags, tag_cols), tag_cols)
        topic_df = _read(conn, of_items(topics, ["item_id", "topic"]), ["item_id", "topic"])
        relation_df = _read(conn, of_items(relations, ["item_id", "source", "target"]), ["item_id", "source", "target"])
    item_df["date"] = pd.to_datetime(item_df["date"]).dt.date
    tag_df["manual"] = tag_df["manual"].astype(bool)
    for column in ("start", "end"):
        tag_df[column] = tag_df[column].astype("int64")
    # Few distinct values: as categoricals a filter copies small integer codes instead of a pointer per row
    # (a quarter of the time of a broad filter at 100,000 items)
    item_df["tone"] = item_df["tone"].astype("category")
    tag_df = tag_df.astype({"actor": "category", "kind": "category"})
    topic_df["topic"] = topic_df["topic"].astype("category")
    relation_df = relation_df.astype({"source": "category", "target": "category"})
    return (instance, int(n), token), indexed(Frames(item_df, tag_df, topic_df, relation_df))


def _write_tags(conn, tagged: TaggedItem) -> None:
    """Replace an item's tags, topics and relations, and its tone and lead actor, by `tagged`'s."""
    item_id = tagged.item.id
    for table in (tags, topics, relations):
        conn.execute(delete(table).where(table.c.item_id == item_id))
    _, tag_rows, topic_rows, relation_rows = _rows(tagged, datetime.now(timezone.utc))
    conn.execute(update(items).where(items.c.id == item_id).values(tone=tagged.tone, lead_actor=tagged.lead_key))
    _insert(conn, tags, TAG_COLUMNS, tag_rows)
    _insert(conn, topics, ("item_id", "topic"), topic_rows)
    _insert(conn, relations, ("item_id", "source", "target"), relation_rows)


def corrections_of(conn, item_ids: Sequence[str]) -> dict[str, list[corr.Correction]]:
    """Stored corrections of some items, oldest first."""
    out: dict[str, list[corr.Correction]] = {}
    query = select(corrections).where(corrections.c.item_id.in_(item_ids)).order_by(corrections.c.id)
    for row in conn.execute(query):
        out.setdefault(row.item_id, []).append(corr.Correction(row.item_id, row.field, row.value, row.action))
    return out


def add_correction(engine: Engine, correction: corr.Correction, tagger: Callable[[Item], TaggedItem]) -> TaggedItem:
    """Store a manual correction and rewrite the item's tags with every correction applied."""
    with writing(engine) as conn:
        row = conn.execute(select(items).where(items.c.id == correction.item_id)).one_or_none()
        if row is None:
            raise StoreError(f"no item with id {correction.item_id!r}")
        conn.execute(
            corrections.insert().values(
                item_id=correction.item_id, field=correction.field, value=correction.value,
                action=correction.action, created_at=datetime.now(timezone.utc),
            )
        )
        fixed = corr.apply(tagger(_item(row)), corrections_of(conn, [correction.item_id]).get(correction.item_id, []))
        _write_tags(conn, fixed)
        _bump(conn)
    return fixed


def _item(row) -> Item:
    return Item(id=row.id, date=row.date, text=row.text, source=row.source, url=row.url, origin=row.origin)


@dataclass
class RetagReport:
    """What a re-tagging run changed."""

    items: int = 0
    changed: int = 0
    added: Counter = field(default_factory=Counter)  # actor key -> items that gained it
    removed: Counter = field(default_factory=Counter)
    topics_changed: int = 0
    tone_changed: int = 0

    def summary(self) -> str:
        """A few lines for people."""
        lines = [f"{self.items} items re-tagged, {self.changed} changed "
                 f"({self.topics_changed} topics, {self.tone_changed} tone)"]
        if self.added:
            lines.append("gained: " + ", ".join(f"{k} +{n}" for k, n in self.added.most_common(15)))
        if self.removed:
            lines.append("lost: " + ", ".join(f"{k} -{n}" for k, n in self.removed.most_common(15)))
        return "\n".join(lines)


def _batches(engine: Engine, size: int = BATCH) -> Iterator[list]:
    last = ""
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(items).where(items.c.id > last).order_by(items.c.id).limit(size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def retag(engine: Engine, tagger: Callable[[Item], TaggedItem]) -> RetagReport:
    """Re-tag every stored item (after the gazetteer or lexicon changed), keeping manual corrections.

    One transaction per batch: an interrupted run leaves every item either old or new, and running it
    again finishes the job.
    """
    report = RetagReport()
    for rows in _batches(engine):
        ids = [r.id for r in rows]
        with writing(engine) as conn:
            changed = False
            old_tags: dict[str, set[str]] = {}
            for item_id, actor in conn.execute(select(tags.c.item_id, tags.c.actor).where(tags.c.item_id.in_(ids))):
                old_tags.setdefault(item_id, set()).add(actor)
            old_topics: dict[str, set[str]] = {}
            for item_id, topic in conn.execute(select(topics.c.item_id, topics.c.topic).where(topics.c.item_id.in_(ids))):
                old_topics.setdefault(item_id, set()).add(topic)
            fixes = corrections_of(conn, ids)
            for row in rows:
                report.items += 1
                new = corr.apply(tagger(_item(row)), fixes.get(row.id, []))
                before, after = old_tags.get(row.id, set()), {t.key for t in new.evidence}
                topics_differ = old_topics.get(row.id, set()) != set(new.topics)
                if before == after and not topics_differ and row.tone == new.tone and row.lead_actor == new.lead_key:
                    continue
                report.changed += 1
                report.topics_changed += topics_differ
                report.tone_changed += row.tone != new.tone
                report.added.update(after - before)
                report.removed.update(before - after)
                _write_tags(conn, new)
                changed = True
            if changed:
                _bump(conn)  # once, last: a correction waiting on an item of this batch never holds it
    return report


@dataclass(frozen=True)
class Stats:
    """Totals of the store: items, date span, the most frequent actors and pairs."""

    items: int
    first: date | None
    last: date | None
    actors: list[tuple[str, int]]
    pairs: list[tuple[str, str, int]]


def stats(engine: Engine, top: int = 10) -> Stats:
    """Counts computed in the database, so they stay quick on large stores."""
    per_actor = func.count(func.distinct(tags.c.item_id))
    per_pair = func.count(func.distinct(relations.c.item_id))
    with engine.connect() as conn:
        count, first, last = conn.execute(select(func.count(), func.min(items.c.date), func.max(items.c.date)).select_from(items)).one()
        actors = conn.execute(select(tags.c.actor, per_actor).group_by(tags.c.actor).order_by(per_actor.desc(), tags.c.actor).limit(top)).all()
        pairs = conn.execute(
            select(relations.c.source, relations.c.target, per_pair)
            .group_by(relations.c.source, relations.c.target)
            .order_by(per_pair.desc(), relations.c.source, relations.c.target)
            .limit(top)
        ).all()
    return Stats(count, first, last, [tuple(r) for r in actors], [tuple(r) for r in pairs])
