"""Reading: the data version, the stored items as indexed frames, single items and their corrections, totals."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, func, or_, select

from ..frames import Frames, index
from ..models import Correction, Item
from .schema import corrections, items, models, relations, revision, tags, topics
from .write import BATCH

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


def stored_texts(engine: Engine, ids: Sequence[str]) -> dict[str, tuple[str, date, str]]:
    """The text, date and origin ("file:line") stored under each of some ids (ids not stored are left out)."""
    query = select(items.c.id, items.c.text, items.c.date, items.c.origin).where(
        items.c.id.in_(list(dict.fromkeys(ids)))
    )
    with engine.connect() as conn:
        return {row.id: (row.text, row.date, row.origin) for row in conn.execute(query)}


_FETCH = 20_000  # rows turned into Python objects at a time


def _read(conn, query, columns: list[str], shared: dict[str, dict] | None = None) -> pd.DataFrame:
    """Rows of a query as a DataFrame, fetched through the driver's cursor (SQLAlchemy's row objects cost
    seconds at 300,000 rows), a chunk at a time. A driver makes a string per value, so a value met again in a column
    of `shared` (each with its dict of the values met so far) is replaced by the one met first: the rows of a million
    items held a copy of each tag's phrase, actor and item id per row, gigabytes until the frames shared them."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": False})
    params = compiled.construct_params()
    if conn.dialect.name == "sqlite":  # SQLAlchemy stores dates there as ISO text; sqlite3's own adapter is deprecated
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    positional = [params[name] for name in compiled.positiontup] if compiled.positional else params
    shared = shared or {}
    values: list[list] = [[] for _ in columns]
    readers = [(itemgetter(i), shared.get(name)) for i, name in enumerate(columns)]
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), positional)
        while rows := cursor.fetchmany(_FETCH):
            for column, (get, memo) in zip(values, readers, strict=True):
                chunk = list(map(get, rows))
                column += chunk if memo is None else map(memo.setdefault, chunk, chunk)
    finally:
        cursor.close()
    # object columns, as the driver gave them: load_versioned converts the numbers, dates and flags itself
    return pd.DataFrame({name: np.array(column, dtype=object) for name, column in zip(columns, values, strict=True)})


def load_frames(engine: Engine, start: date | None = None, end: date | None = None) -> Frames:
    """Items in a date range (all when open) with their tags, topics and relations, indexed for fast views."""
    return load_versioned(engine, start, end)[1]


def load_versioned(
    engine: Engine, start: date | None = None, end: date | None = None
) -> tuple[tuple[str, int, str], Frames]:
    """`load_frames` with the `data_version` of the data it read (both from one snapshot of the database)."""
    where = []
    if start is not None:
        where.append(items.c.date >= start)
    if end is not None:
        where.append(items.c.date <= end)
    item_cols = ["id", "date", "text", "source", "url", "tone", "lead_actor", "confidence", "lang"]
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
        story = _story_of()
        # the columns whose values repeat: each distinct value is then one string, from the first read on
        repeated = {name: {} for name in ("date", "source", "tone", "lead_actor", "lang", "added_at")}
        item_df = _read(
            conn,
            select(*(items.c[c] for c in item_cols), story, items.c.added_at).where(*where),
            [*item_cols, "story", "added_at"],
            repeated,
        )
        ids = dict(zip(item_df["id"], item_df["id"]))  # a tag's item id becomes its item's own id string
        actors: dict = {}
        tag_df = _read(
            conn, of_items(tags, tag_cols), tag_cols, {"item_id": ids, "actor": actors, "kind": {}, "phrase": {}}
        )
        topic_cols = ["item_id", "topic", "confidence"]
        topic_df = _read(conn, of_items(topics, topic_cols), topic_cols, {"item_id": ids, "topic": {}})
        relation_cols = ["item_id", "source", "target"]
        relation_df = _read(
            conn,
            of_items(relations, relation_cols),
            relation_cols,
            {"item_id": ids, "source": actors, "target": actors},
        )
        del ids
    item_df["date"] = pd.to_datetime(item_df["date"]).dt.date
    # NaN where not known (items tagged before confidences, or by the lexicon's rules alone)
    item_df["confidence"] = pd.to_numeric(item_df["confidence"], errors="coerce").astype(float)
    topic_df["confidence"] = pd.to_numeric(topic_df["confidence"], errors="coerce").astype(float)
    item_df["added_at"] = pd.to_datetime(item_df["added_at"], utc=True)
    tag_df["manual"] = tag_df["manual"].astype(bool)
    for column in ("start", "end"):
        tag_df[column] = tag_df[column].astype("int64")
    # Few distinct values: as categoricals a filter copies small integer codes instead of a pointer per row
    # (a quarter of the time of a broad filter at 100,000 items)
    item_df["tone"] = item_df["tone"].astype("category")
    item_df["lang"] = item_df["lang"].fillna("").astype("category")
    tag_df = tag_df.astype({"actor": "category", "kind": "category"})
    topic_df["topic"] = topic_df["topic"].astype("category")
    relation_df = relation_df.astype({"source": "category", "target": "category"})
    return (instance, int(n), token), index(item_df, tag_df, topic_df, relation_df)


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored, with the tone and lead actor (key) stored for it."""

    item: Item
    tone: str
    lead_key: str | None
    confidence: float | None = None  # p(the tone is right), as stored


def _stored(row) -> StoredItem:
    # the language detected when it was stored stands in for a declared one: a short text is read the same again
    item = Item(
        id=row.id,
        date=row.date,
        text=row.text,
        source=row.source,
        url=row.url,
        origin=row.origin,
        lang=getattr(row, "lang", "") or "",
    )
    return StoredItem(item, row.tone, row.lead_actor, row.confidence)


def stored_item(conn, item_id: str) -> StoredItem | None:
    """One stored item, or None."""
    row = conn.execute(select(items).where(items.c.id == item_id)).one_or_none()
    return None if row is None else _stored(row)


def item_batches(engine: Engine, size: int = BATCH) -> Iterator[list[StoredItem]]:
    """Every stored item, in batches in id order, each batch read in its own short transaction."""
    last = ""
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(items).where(items.c.id > last).order_by(items.c.id).limit(size)).all()
        if not rows:
            return
        yield [_stored(row) for row in rows]
        last = rows[-1].id


def actors_and_topics(conn, item_ids: Sequence[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The actor keys and the topics stored for some items."""
    actors: dict[str, set[str]] = {}
    for item_id, actor in conn.execute(select(tags.c.item_id, tags.c.actor).where(tags.c.item_id.in_(item_ids))):
        actors.setdefault(item_id, set()).add(actor)
    found: dict[str, set[str]] = {}
    for item_id, topic in conn.execute(select(topics.c.item_id, topics.c.topic).where(topics.c.item_id.in_(item_ids))):
        found.setdefault(item_id, set()).add(topic)
    return actors, found


def corrections_of(conn, item_ids: Sequence[str]) -> dict[str, list[Correction]]:
    """Stored corrections of some items, oldest first."""
    out: dict[str, list[Correction]] = {}
    query = select(corrections).where(corrections.c.item_id.in_(item_ids)).order_by(corrections.c.id)
    for row in conn.execute(query):
        out.setdefault(row.item_id, []).append(Correction(row.item_id, row.field, row.value, row.action))
    return out


REVIEWING = ("tone", "review")  # corrections after which an item's tone is an analyst's, not the tagger's
_QUEUE_CHUNK = 500  # ids of a filtered view's review order asked for at once


def _story_of(table=items):
    """An item's story key: the first report's id, or its own while it is not grouped (a story of its own)."""
    return func.coalesce(table.c.story, table.c.id)


def _of_stories(keys: Sequence[str]):
    """The condition that an item is a report of one of these stories (keys as _story_of gives them): the story's
    first report is the one whose id is its key, so two conditions the indexes answer, where coalesce is a scan."""
    return or_(items.c.story.in_(keys), items.c.id.in_(keys))


def story_reports(conn, item_id: str) -> list[str]:
    """The ids of the reports of an item's story, in id order (itself included; itself alone while it is not
    grouped; none for an unknown id)."""
    key = conn.execute(select(_story_of()).where(items.c.id == item_id)).scalar_one_or_none()
    if key is None:
        return []
    query = select(items.c.id).where(_of_stories([key])).order_by(items.c.id)
    return list(conn.execute(query).scalars())


REVIEWED = (*REVIEWING, "topic")  # corrections that a story's other reports take (corrections.review_story)


def reviewer_of(conn, item_id: str) -> str:
    """The account that last reviewed an item (set its tone or topics, or confirmed it); "" if none did."""
    query = (
        select(corrections.c.account)
        .where(corrections.c.item_id == item_id, corrections.c.field.in_(REVIEWED))
        .order_by(corrections.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar_one_or_none() or ""


def unreviewed_reports(conn) -> list[tuple[str, str]]:
    """(report, its story's reviewed report with the smallest id), in report id order, for each report without a
    review of its own (tone, topics or a confirmation) of a story that another report of was reviewed: one that
    joined the story after the review, or one of a story reviewed report by report before reviews went to whole
    stories."""
    marked = select(corrections.c.item_id).where(corrections.c.field.in_(REVIEWED))
    models_of = (
        select(items.c.story, func.min(items.c.id).label("model"))
        .where(items.c.id.in_(marked), items.c.story.is_not(None))
        .group_by(items.c.story)
        .subquery()
    )
    query = (
        select(items.c.id, models_of.c.model)
        .join(models_of, items.c.story == models_of.c.story)
        .where(items.c.id.not_in(marked))
        .order_by(items.c.id)
    )
    return [(row.id, row.model) for row in conn.execute(query)]


def review_queue(engine: Engine, limit: int = 20, among: Sequence[str] | None = None) -> pd.DataFrame:
    """The stories whose tone is least certain, least first, that no analyst has set or confirmed, each by its least
    certain report: id, date, text, url, tone, confidence, lead_actor, topics (a list of (topic, p), likeliest
    first), tags (the actors named, as (start, end, actor, kind), in the order of the text), joined (the actors its
    relation lines join) and reports (how many its story has: a review is of them all, corrections.review_story):
    what a reviewer needs to judge the tags. With
    `among` (item ids, least certain first: aggregate.least_sure_first of a filtered view), only those items."""
    checked = select(corrections.c.item_id).where(corrections.c.field.in_(REVIEWING))
    # a story one report of which was reviewed is reviewed (corrections.review_story): none of its reports is queued,
    # not even one of a story reviewed report by report before reviews went to whole stories
    other = items.alias("reviewed")
    reviewed_stories = select(_story_of(other)).where(other.c.id.in_(checked))
    query = (
        select(items.c.id, _story_of().label("story"), items.c.confidence)
        .where(items.c.confidence.is_not(None), _story_of().not_in(reviewed_stories))
        .order_by(items.c.confidence, items.c.id)
    )
    with engine.connect() as conn:
        chosen: dict[str, tuple] = {}  # story -> (confidence, id) of its least certain report
        if among is None:
            # a page at a time: the reports of a syndicated story come together, each a row the queue skips
            offset = 0
            while len(chosen) < limit:
                page = conn.execute(query.limit(_QUEUE_CHUNK).offset(offset)).all()
                for row in page:
                    chosen.setdefault(row.story, (row.confidence, row.id))
                if len(page) < _QUEUE_CHUNK:
                    break
                offset += _QUEUE_CHUNK
        else:
            # in chunks of the given order: a view of 100,000 items asks for its least certain few hundred
            for start in range(0, len(among), _QUEUE_CHUNK):
                page = conn.execute(query.where(items.c.id.in_(among[start : start + _QUEUE_CHUNK]))).all()
                for row in page:
                    if row.story not in chosen or (row.confidence, row.id) < chosen[row.story]:
                        chosen[row.story] = (row.confidence, row.id)
                if len(chosen) >= limit:
                    break
        picked = sorted(chosen.items(), key=lambda kv: kv[1])[:limit]
        keys = [story for story, _ in picked]
        reports = dict(
            conn.execute(select(_story_of(), func.count()).where(_of_stories(keys)).group_by(_story_of())).all()
        )
        by_id = {
            r.id: r
            for r in conn.execute(
                select(
                    items.c.id,
                    items.c.date,
                    items.c.text,
                    items.c.url,
                    items.c.tone,
                    items.c.confidence,
                    items.c.lead_actor,
                ).where(items.c.id.in_([item_id for _, (_, item_id) in picked]))
            )
        }
        rows = [(by_id[item_id], reports.get(story, 1)) for story, (_, item_id) in picked]
        ids = [r.id for r, _ in rows]
        found: dict[str, list[tuple[str, float | None]]] = {}
        for item_id, topic, p in conn.execute(
            select(topics.c.item_id, topics.c.topic, topics.c.confidence).where(topics.c.item_id.in_(ids))
        ):
            found.setdefault(item_id, []).append((topic, p))
        named: dict[str, list[tuple[int, int, str, str]]] = {}
        for item_id, start, end, actor, kind in conn.execute(
            select(tags.c.item_id, tags.c.start, tags.c.end, tags.c.actor, tags.c.kind).where(tags.c.item_id.in_(ids))
        ):
            named.setdefault(item_id, []).append((start, end, actor, kind))
        joined: dict[str, set[str]] = {}
        for item_id, source, target in conn.execute(
            select(relations.c.item_id, relations.c.source, relations.c.target).where(relations.c.item_id.in_(ids))
        ):
            joined.setdefault(item_id, set()).update((source, target))
    return pd.DataFrame(
        [
            (
                r.id,
                r.date,
                r.text,
                r.url,
                r.tone,
                r.confidence,
                r.lead_actor,
                sorted(found.get(r.id, []), key=lambda tp: -(tp[1] or 0)),
                sorted(named.get(r.id, [])),
                joined.get(r.id, set()),
                n,
            )
            for r, n in rows
        ],
        columns=[
            "id",
            "date",
            "text",
            "url",
            "tone",
            "confidence",
            "lead_actor",
            "topics",
            "tags",
            "joined",
            "reports",
        ],
    )


def reviewed(engine: Engine) -> list[tuple[StoredItem, int, frozenset[str] | None, str | None]]:
    """Every story an analyst corrected or confirmed, as a labelled brief: (item, actors stored for it, its topics if
    an analyst set or confirmed them else None, its tone if an analyst set or confirmed it else None). A story's
    reports are one text re-published, and a review is of them all (corrections.review_story): its first reviewed
    report stands for them, so that a syndicated story teaches the tagger once, as the map counts it once."""
    with engine.connect() as conn:
        touched: dict[str, set[str]] = {}
        for item_id, field in conn.execute(select(corrections.c.item_id, corrections.c.field)):
            touched.setdefault(item_id, set()).add(field)
        out = []
        stories: set[str] = set()
        ids = sorted(touched)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            rows = conn.execute(select(items).where(items.c.id.in_(chunk)).order_by(items.c.id)).all()
            actors, found = actors_and_topics(conn, chunk)
            for row in rows:
                fields = touched[row.id]
                labelled_topics = frozenset(found.get(row.id, set())) if fields & {"topic", "review"} else None
                tone = row.tone if fields & set(REVIEWING) else None
                if (labelled_topics is not None or tone is not None) and (row.story or row.id) not in stories:
                    stories.add(row.story or row.id)
                    out.append((_stored(row), len(actors.get(row.id, ())), labelled_topics, tone))
    return out


def latest_model(engine: Engine) -> tuple[int, str] | None:
    """The newest weights learned with corrections (id, CSV text), or None."""
    with engine.connect() as conn:
        row = conn.execute(select(models.c.id, models.c.weights).order_by(models.c.id.desc()).limit(1)).one_or_none()
    return None if row is None else (row.id, row.weights)


@dataclass(frozen=True)
class Stats:
    """Totals of the store: items, date span, the most frequent actors and pairs."""

    items: int
    stories: int  # items counted once per story (an item not grouped yet counts as its own story)
    first: date | None
    last: date | None
    actors: list[tuple[str, int]]
    pairs: list[tuple[str, str, int]]


def stats(engine: Engine, top: int = 10) -> Stats:
    """Counts computed in the database, so they stay quick on large stores."""
    per_actor = func.count(func.distinct(tags.c.item_id))
    per_pair = func.count(func.distinct(relations.c.item_id))
    with engine.connect() as conn:
        count, story_count, first, last = conn.execute(
            select(
                func.count(),
                func.count(func.distinct(func.coalesce(items.c.story, items.c.id))),
                func.min(items.c.date),
                func.max(items.c.date),
            ).select_from(items)
        ).one()
        actors = conn.execute(
            select(tags.c.actor, per_actor).group_by(tags.c.actor).order_by(per_actor.desc(), tags.c.actor).limit(top)
        ).all()
        pairs = conn.execute(
            select(relations.c.source, relations.c.target, per_pair)
            .group_by(relations.c.source, relations.c.target)
            .order_by(per_pair.desc(), relations.c.source, relations.c.target)
            .limit(top)
        ).all()
    return Stats(count, story_count, first, last, [tuple(r) for r in actors], [tuple(r) for r in pairs])
