"""Stories: the reports of one event grouped, so that a wire text re-published by three outlets counts once.

Two items are reports of one story when their texts share most of their word 3-grams (shingles) and their dates
lie within `WINDOW_DAYS` of each other. The shingle sets are compared through MinHash signatures and found
through locality-sensitive hashing (LSH), both from rensa (a Rust MinHash library): each new item is looked up
among the items of nearby dates and joins the story of the most similar one, else starts its own. "Most
similar" takes the larger of the Jaccard similarity and the containment of the shorter text in the longer, so
that a report with a sentence dropped, or a headline joined in front, still joins its story.

An item's story is the id of the story's first item, stored in `items.story`; an item not grouped yet has NULL
there and is read as a story of its own until `assign` has run (it runs after every ingest and poll).
The thresholds were chosen on the `dev` half of `tests/data/stories.jsonl`; see docs/monitoring.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from rensa import RMinHash, RMinHashLSH
from sqlalchemy import Engine, and_, bindparam, select, text, update

from . import store

NUM_PERM = 64  # signature length: an estimate of Jaccard within about ±0.06, at a few microseconds per item
BANDS = 16  # LSH bands of 4 rows: pairs of Jaccard 0.3 are found 3 times in 4, of 0.5 all but 1 in 3,000
LSH_THRESHOLD = 0.3
SAME_STORY = 0.5  # the similarity (max of Jaccard and containment) from which two reports are one story
WINDOW_DAYS = 3  # reports of one event are dated within this many days of each other
SEED = 20251101

# punctuation becomes a space, so "Minsk." and "Minsk" are one word; letters in every script are kept
_PUNCTUATION = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»‘’‚“”„…–—·•"})


def shingles(text: str) -> list[str]:
    """The word 3-grams of a text, lower-cased and without punctuation (its words when it has fewer than 3)."""
    words = text.lower().translate(_PUNCTUATION).split()
    return [" ".join(g) for g in zip(words, words[1:], words[2:], strict=False)] or words


class Grouper:
    """An index of reports already grouped, to which new reports are added one at a time in time order."""

    def __init__(self) -> None:
        self._lsh = RMinHashLSH(LSH_THRESHOLD, NUM_PERM, BANDS)
        self._hashes: list[RMinHash] = []
        self._sizes: list[int] = []
        self._days: list[int] = []
        self._stories: list[str] = []

    def add(self, item_id: str, text: str, day: date, story: str | None = None) -> str:
        """Add a report (with its story when it is known already, e.g. a stored one); returns its story."""
        tokens = shingles(text)
        (minhash,) = RMinHash.from_token_sets([tokens], num_perm=NUM_PERM, seed=SEED)
        return self._add(item_id, minhash, len(set(tokens)), day.toordinal(), story)

    def add_many(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        days: Sequence[date],
        stories: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Add several reports in the given (time) order, with their stories where known; returns their stories.
        The signatures are made in one call, which is most of the saving over `add` at 100,000 items."""
        token_sets = [shingles(t) for t in texts]
        minhashes = RMinHash.from_token_sets(token_sets, num_perm=NUM_PERM, seed=SEED)
        known = stories if stories is not None else [None] * len(token_sets)
        return [
            self._add(i, m, len(set(tokens)), d.toordinal(), s)
            for i, m, tokens, d, s in zip(ids, minhashes, token_sets, days, known, strict=True)
        ]

    def _add(self, item_id: str, minhash: RMinHash, size: int, day: int, story: str | None) -> str:
        if story is None:
            story, best = item_id, SAME_STORY
            for other in self._lsh.query(minhash):
                if abs(self._days[other] - day) > WINDOW_DAYS:
                    continue
                score = _similarity(minhash.jaccard(self._hashes[other]), size, self._sizes[other])
                if score >= best:
                    story, best = self._stories[other], score
        self._lsh.insert(len(self._hashes), minhash)
        self._hashes.append(minhash)
        self._sizes.append(size)
        self._days.append(day)
        self._stories.append(story)
        return story


def _similarity(jaccard: float, size_a: int, size_b: int) -> float:
    """The larger of the Jaccard similarity and the containment of the smaller shingle set in the larger, the
    latter derived from the former and the two sizes: |A∩B| = J(|A|+|B|)/(1+J)."""
    if not size_a or not size_b:
        return 0.0
    common = jaccard * (size_a + size_b) / (1 + jaccard)
    return max(jaccard, min(1.0, common / min(size_a, size_b)))


def group(ids: Sequence[str], texts: Sequence[str], days: Sequence[date]) -> list[str]:
    """The story of each report, the reports taken in the given (time) order."""
    return Grouper().add_many(ids, texts, days)


def assign(engine: Engine) -> int:
    """Group the stored items that have no story yet with each other and with the stored items of nearby dates;
    returns how many were grouped. One transaction, so an interrupted run leaves them all to the next one; on
    PostgreSQL a lock keeps two watchers from grouping at once (each would not see the other's items)."""
    items = store.items
    with store.writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(734220)"))
        pending = conn.execute(
            select(items.c.id, items.c.text, items.c.date)
            .where(items.c.story.is_(None))
            .order_by(items.c.date, items.c.added_at, items.c.id)
        ).all()
        if not pending:
            return 0
        first, last = pending[0].date, max(r.date for r in pending)
        window = conn.execute(
            select(items.c.id, items.c.text, items.c.date, items.c.story)
            .where(
                and_(
                    items.c.story.is_not(None),
                    items.c.date >= first - timedelta(days=WINDOW_DAYS),
                    items.c.date <= last + timedelta(days=WINDOW_DAYS),
                )
            )
            .order_by(items.c.date, items.c.added_at, items.c.id)
        ).all()
        grouper = Grouper()
        grouper.add_many(
            [r.id for r in window], [r.text for r in window], [r.date for r in window], [r.story for r in window]
        )
        stories = grouper.add_many([r.id for r in pending], [r.text for r in pending], [r.date for r in pending])
        statement = update(items).where(items.c.id == bindparam("item")).values(story=bindparam("grouped"))
        conn.execute(statement, [{"item": r.id, "grouped": s} for r, s in zip(pending, stories, strict=True)])
        store.bump(conn)
    return len(pending)
