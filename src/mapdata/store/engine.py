"""Opening the database: one engine per URL, migrated to the newest schema, with the write-transaction rules that
let several processes share it."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from .. import settings
from ..errors import StoreError
from .schema import DEFERRABLE_INDEXES

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
#: the newest revision in MIGRATIONS (a test holds it to Alembic's own head): a store already there is opened without
#: importing Alembic, a quarter of a second of every command's start
HEAD = "0007"
WRITE = "mapdata_write"  # execution option marking a write transaction (see writing())


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # the busy timeout first: switching a fresh file to WAL takes a lock another starting process may hold
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # in WAL mode NORMAL never corrupts the file and an application crash loses nothing committed; only a power cut
    # can lose the last transactions (whole batches: a re-run adds them again). FULL synced every batch of an
    # ingest, a tenth of its time at 100,000 items
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # pysqlite's own transaction handling begins a transaction only before INSERT/UPDATE/DELETE, so DDL (the
    # migrations) ran outside any transaction; SQLAlchemy emits every BEGIN instead (_sqlite_begin)
    dbapi_connection.isolation_level = None


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


@contextmanager
def page_cache(conn: Connection, mebibytes: int = 64) -> Iterator[None]:
    """A larger SQLite page cache for one transaction that rewrites rows all over a table (the stories of a whole
    ingest): with the default 2 MB, pages leave the cache and are written to the WAL again and again. The
    connection's own size is put back after, as it goes back to the pool. Nothing to do on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(mebibytes) * 1024}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def open_engine(url: str | None = None) -> Engine:
    """An engine on the database (MAPDATA_DB_URL unless given; SQLite gets WAL and a busy timeout), migrated to
    the current schema."""
    url = url or settings.database_url()
    try:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        migrate(engine)
    except (SQLAlchemyError, OSError) as err:
        raise StoreError(f"cannot open database {redact(url)}: {err}") from err
    return engine


def _at_head(conn: Connection, names: set[str]) -> bool:
    """Whether the store's schema is at HEAD already."""
    return "alembic_version" in names and conn.exec_driver_sql(
        "SELECT version_num FROM alembic_version"
    ).scalars().all() == [HEAD]


def _upgrade(conn: Connection, names: set[str]) -> None:
    """Create or upgrade the schema with Alembic, inside the caller's transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    if "items" in names and "alembic_version" not in names:
        command.stamp(config, "0001")  # a database made before migrations existed
    command.upgrade(config, "head")


def _restore_deferred_indexes(conn: Connection) -> None:
    """Build the secondary indexes that a bulk load deferred (write.deferred_indexes) and did not build again because
    its process was killed: the store works without them, slowly. After the upgrade, whose revision defines them."""
    inspector = inspect(conn)
    present = {
        index["name"] for table in ("items", "tags", "topics", "relations") for index in inspector.get_indexes(table)
    }
    for index in DEFERRABLE_INDEXES:
        if index.name not in present:
            index.create(conn)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


def pause(attempt: int) -> None:
    """A short randomized backoff before retrying a transaction, so two colliding processes fall out of step."""
    time.sleep(random.uniform(0.02, 0.1) * 2 ** min(attempt, 5))


def retryable(err: BaseException) -> bool:
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
    for attempt in range(attempts):
        try:
            with writing(engine) as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(734219)"))  # one migrator at a time
                names = set(inspect(conn).get_table_names())
                if not _at_head(conn, names):
                    _upgrade(conn, names)
                if conn.dialect.name == "sqlite":
                    _restore_deferred_indexes(conn)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            # e.g. PostgreSQL creating the same database objects at once outside the lock; a lock wait that
            # outlasted the busy timeout: look again after a pause
            if attempt == attempts - 1:
                raise
            pause(attempt)
