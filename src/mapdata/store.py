"""The database: SQLAlchemy tables for items, actor tags, topics and relations, and the queries the app needs."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
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
    func,
    select,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .errors import StoreError
from .models import TaggedItem

DEFAULT_DB_PATH = Path(__file__).resolve().parents[2] / "var" / "mapdata.sqlite"
BATCH = 500

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


def database_url() -> str:
    """The SQLAlchemy URL in MAPDATA_DB_URL, else a SQLite file in the git-ignored var/ folder."""
    return os.environ.get("MAPDATA_DB_URL") or f"sqlite:///{DEFAULT_DB_PATH}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_engine(url: str | None = None) -> Engine:
    """An engine on the database (SQLite gets WAL and a busy timeout), with the tables created."""
    url = url or database_url()
    try:
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        metadata.create_all(engine)
    except (SQLAlchemyError, OSError) as err:
        raise StoreError(f"cannot open database {url!r}: {err}") from err
    return engine


def _rows(tagged: TaggedItem, now: datetime) -> tuple[dict, list[dict], list[dict], list[dict]]:
    item = tagged.item
    row = {
        "id": item.id,
        "date": item.date,
        "text": item.text,
        "source": item.source,
        "url": item.url,
        "origin": item.origin,
        "tone": tagged.tone,
        "lead_actor": tagged.lead_key,
        "added_at": now,
    }
    tag_rows = [
        {"item_id": item.id, "actor": t.key, "kind": t.kind, "phrase": t.text, "start": t.start, "end": t.end, "manual": t.manual}
        for t in tagged.evidence
    ]
    topic_rows = [{"item_id": item.id, "topic": t} for t in tagged.topics]
    relation_rows = [{"item_id": item.id, "source": s, "target": t} for s, t in dict.fromkeys(tagged.relations())]
    return row, tag_rows, topic_rows, relation_rows


def add_items(engine: Engine, tagged: Iterable[TaggedItem]) -> tuple[int, int]:
    """Store tagged items that are not stored yet, one transaction per batch; returns (new, already present)."""
    new = present = 0
    batch: list[TaggedItem] = []
    for t in tagged:
        batch.append(t)
        if len(batch) >= BATCH:
            n, p = _add_batch(engine, batch)
            new, present, batch = new + n, present + p, []
    if batch:
        n, p = _add_batch(engine, batch)
        new, present = new + n, present + p
    return new, present


def _add_batch(engine: Engine, batch: Sequence[TaggedItem], attempts: int = 5) -> tuple[int, int]:
    unique = list({t.item.id: t for t in batch}.values())
    repeated = len(batch) - len(unique)
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                existing = set(conn.scalars(select(items.c.id).where(items.c.id.in_([t.item.id for t in unique]))))
                fresh = [t for t in unique if t.item.id not in existing]
                if fresh:
                    now = datetime.now(timezone.utc)
                    parts = [_rows(t, now) for t in fresh]
                    conn.execute(items.insert(), [p[0] for p in parts])
                    for table, index in ((tags, 1), (topics, 2), (relations, 3)):
                        rows = [r for p in parts for r in p[index]]
                        if rows:
                            conn.execute(table.insert(), rows)
            return len(fresh), len(existing) + repeated
        except IntegrityError:
            # another writer stored some of these ids meanwhile: this transaction rolled back, so read again
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def count_items(engine: Engine) -> int:
    """Number of stored items."""
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(items)) or 0


@dataclass(frozen=True)
class Frames:
    """The stored data as DataFrames: one row per item, per tag, per topic, per relation."""

    items: pd.DataFrame
    tags: pd.DataFrame
    topics: pd.DataFrame
    relations: pd.DataFrame


def load_frames(engine: Engine, start: date | None = None, end: date | None = None) -> Frames:
    """Items in a date range (all when open) with their tags, topics and relations."""
    where = []
    if start is not None:
        where.append(items.c.date >= start)
    if end is not None:
        where.append(items.c.date <= end)
    item_query = select(items.c.id, items.c.date, items.c.text, items.c.source, items.c.url, items.c.tone, items.c.lead_actor).where(*where)
    ids = select(items.c.id).where(*where)
    with engine.connect() as conn:
        item_df = pd.read_sql(item_query, conn)
        tag_df = pd.read_sql(select(tags).where(tags.c.item_id.in_(ids)).order_by(tags.c.item_id, tags.c.start), conn)
        topic_df = pd.read_sql(select(topics).where(topics.c.item_id.in_(ids)), conn)
        relation_df = pd.read_sql(select(relations).where(relations.c.item_id.in_(ids)), conn)
    item_df["date"] = pd.to_datetime(item_df["date"]).dt.date
    return Frames(item_df, tag_df, topic_df, relation_df)
