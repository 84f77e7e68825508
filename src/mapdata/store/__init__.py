"""The database (SQLite or PostgreSQL, through SQLAlchemy): the schema, opening and migrating it, writing tagged
items, reading them back as frames. Re-tagging and corrections are a service over it (`mapdata.corrections`)."""

from .engine import MIGRATIONS, migrate, open_engine, redact, writing
from .read import (
    Stats,
    StoredItem,
    actors_and_topics,
    corrections_of,
    count_items,
    data_version,
    item_batches,
    load_frames,
    load_versioned,
    stats,
    stored_item,
    stored_texts,
)
from .schema import changes, corrections, items, metadata, relations, revision, sign_ins, sources, tags, topics, users
from .write import BATCH, add_items, bump, record_correction, replace_tags

__all__ = [
    "BATCH",
    "MIGRATIONS",
    "Stats",
    "StoredItem",
    "actors_and_topics",
    "add_items",
    "bump",
    "changes",
    "corrections",
    "corrections_of",
    "count_items",
    "data_version",
    "item_batches",
    "items",
    "load_frames",
    "load_versioned",
    "metadata",
    "migrate",
    "open_engine",
    "record_correction",
    "redact",
    "relations",
    "replace_tags",
    "revision",
    "sign_ins",
    "sources",
    "stats",
    "stored_item",
    "stored_texts",
    "tags",
    "topics",
    "users",
    "writing",
]
