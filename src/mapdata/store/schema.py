"""The tables: items, their actor tags, topics and relations, manual corrections, and the revision row."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

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
    Column("story", String(64)),  # migration 0005: the first item of its story; NULL until grouped (mapdata.stories)
    Column("confidence", Float),  # migration 0006: p(the tone is right), calibrated; NULL: not known
    Column("lang", String(8), nullable=False, server_default=""),  # migration 0007: ISO 639-1, as detected
    Index("ix_items_date", "date"),
    Index("ix_items_story", "story"),
    Index("ix_items_confidence", "confidence"),
    Index("ix_items_lang", "lang"),
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
    Column("confidence", Float),  # migration 0006: p(the topic is right), calibrated; NULL: not known
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
    Column("account", String(200), nullable=False, server_default=""),  # migration 0004
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

users = Table(  # editors' accounts (migration 0004)
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
sign_ins = Table(  # wrong passwords in a row, by the name tried (migration 0004)
    "sign_ins",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
)
changes = Table(  # who changed what, and when (migration 0004)
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("account", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("items", Integer, nullable=False, server_default="0"),
    Index("ix_changes_account", "account"),
)

sources = Table(  # the feeds `mapdata watch` polls (migration 0005); times in UTC
    "sources",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("url", Text, nullable=False),
    Column("every", Integer, nullable=False),  # seconds between polls
    Column("paused", Boolean, nullable=False, server_default=false()),
    Column("etag", Text, nullable=False, server_default=""),
    Column("last_modified", Text, nullable=False, server_default=""),
    Column("last_attempt", DateTime(timezone=True)),
    Column("last_success", DateTime(timezone=True)),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("failures", Integer, nullable=False, server_default="0"),  # in a row, for the backoff
    Column("items_added", Integer, nullable=False, server_default="0"),
    Column("next_due", DateTime(timezone=True), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

models = Table(  # topic and tone weights learned with the analysts' corrections (migration 0006); the newest is used
    "models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("weights", Text, nullable=False),  # the weights file's CSV text
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("account", String(200), nullable=False, server_default=""),
    Column("briefs", Integer, nullable=False, server_default="0"),  # labelled briefs it was learned from ...
    Column("corrected", Integer, nullable=False, server_default="0"),  # ... and stored items an analyst checked
)

ITEM_COLUMNS = (
    "id",
    "date",
    "text",
    "source",
    "url",
    "origin",
    "tone",
    "lead_actor",
    "added_at",
    "confidence",
    "lang",
)
TAG_COLUMNS = ("item_id", "actor", "kind", "phrase", "start", "end", "manual")
TOPIC_COLUMNS = ("item_id", "topic", "confidence")
RELATION_COLUMNS = ("item_id", "source", "target")


# The secondary indexes a bulk load into an empty store builds after its rows rather than row by row
# (write.deferred_indexes); every index of the four item tables but the items' date, by which the story grouping of
# that same load reads a day's items.
DEFERRABLE_INDEXES = tuple(
    index
    for table in (items, tags, topics, relations)
    for index in sorted(table.indexes, key=lambda index: index.name)
    if index.name != "ix_items_date"
)
