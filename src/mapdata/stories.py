"""Stories: the reports of one event grouped, so that a wire text re-published by three outlets counts once.

A report is reduced to the set of its content words: wire markers ("BREAKING:", "KYIV, Nov 3 (Reuters) -") and
credits ("Reporting by ...") dropped, diacritics folded, function words left out, each word cut to its stem
(Snowball, through PyStemmer), so that "closed"/"closes" and "U.S."/"US" agree. Two reports are one story when
they are dated within `WINDOW_DAYS` of each other, the share of the smaller word set found in the larger
(containment) reaches `SAME_STORY`, so that a report with a sentence dropped, or a bare headline, still joins its
story; and they do not each name a town or a weekday the other does not (Saratov against Bryansk, Tuesday
against Friday: the same template, another event). Candidates are found through MinHash
signatures and locality-sensitive hashing (LSH), both from rensa (a Rust MinHash
library), with one LSH index per day so that a lookup searches only the dates around the report. Each new report
joins the story of its most similar earlier report, else starts its own.

An item's story is the id of the story's first item, stored in `items.story`; an item not grouped yet has NULL
there and is read as a story of its own until `assign` has run (it runs after every ingest and poll).
The parameters were chosen on the `dev` half of `tests/data/stories.jsonl`; see docs/monitoring.md.
"""

from __future__ import annotations

import gc
import multiprocessing
import re
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from datetime import date, timedelta
from itertools import accumulate

import Stemmer
from rensa import RMinHash, RMinHashLSH
from sqlalchemy import Engine, func, select, text

from . import gazetteer, store
from .errors import StoreError
from .tagging.pool import forked_executor
from .textfold import fold

NUM_PERM = 80  # signature length
# 40 LSH bands of 2 rows: a pair of Jaccard J is a candidate with chance 1 - (1 - J^2)^40, 0.998 at J = 0.375 (a
# containment of 0.6 between reports of 15 and 18 words). Loose on purpose: candidates are then checked exactly.
BANDS = 40
SAME_STORY = 0.6  # the containment from which two reports are one story
WINDOW_DAYS = 1  # reports of one event are dated within this many days of each other (same day or the next)
SEED = 20251101

# English function words and reporting verbs: shared by any two reports, they say nothing about the event
STOPWORDS = frozenset(
    """a about after against also an and are as at be been before but by could did do does for from had has have he
    her his i if in into is it its more most new not of on or our over said say says she so than that the their
    them they this those to up was we were which while who will with would""".split()
)
WEEKDAYS = frozenset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_PUNCTUATION = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»‘’‚“”„…–—·•"})
# a flag word, a dateline ("KYIV, Nov 3 (Reuters) -", "(AP) —", "WASHINGTON -"), both optional, at the start
_LEAD = re.compile(
    r"^\s*(?:(?:BREAKING|UPDATE|UPDATED|JUST IN|EXCLUSIVE|FLASH|URGENT)\s*[:\-]\s*)?"
    r"(?:[A-Z][A-Z .'-]{1,40}(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?\s*(?:\([A-Za-z .]{2,20}\)\s*)?[-:]\s+"
    r"|\([A-Za-z .]{2,20}\)\s*[-:]?\s*)?"
)
_CREDITS = re.compile(
    r"\(?(?:Reporting|Writing|Editing|Additional reporting|Compiled) by\b[^\n]*$|This story has been updated\.?"
    r"|More follows\.?",
    re.IGNORECASE | re.MULTILINE,
)
_CREDIT_CUES = (" by ", "more follows", "has been updated")
_INITIALS = [("U.S.", "US"), ("U.K.", "UK"), ("U.N.", "UN"), ("E.U.", "EU")]  # then one word each
_stemmer = Stemmer.Stemmer("english")
_words: dict[str, tuple[str, str | None]] = {}  # word -> `_read_word`: a lookup is several times faster


def clean(text: str) -> str:
    """A report without its wire markers and credits, diacritics folded, "U.S." written "US"."""
    text = fold(text)
    lowered = text.lower()
    if any(cue in lowered for cue in _CREDIT_CUES):  # the credits pattern costs ten times these lookups
        text = _CREDITS.sub("", text)
    text = _LEAD.sub("", text, count=1)
    for dotted, plain in _INITIALS:
        if dotted in text:
            text = text.replace(dotted, plain)
    return text


def read(text: str) -> tuple[frozenset[str], dict[str, str] | None]:
    """A cleaned report's content words, stemmed, and the places and weekdays it names: {word: kind}, the kind
    "place" (a town or region), "capital" or "day" (one capitalised word each; None when there are none)."""
    stems, named = [], None
    for word in text.translate(_PUNCTUATION).split():
        known = _words.get(word)
        if known is None:
            known = _words[word] = _read_word(word)
        if known[0]:
            stems.append(known[0])
        if known[1]:
            if named is None:
                named = {}
            named[word] = known[1]
    return frozenset(stems), named


def _read_word(word: str) -> tuple[str, str | None]:
    """A word's stem ("" for a function word) and, for a capitalised one, what kind of place it names."""
    if len(_words) > 500_000:  # a bound on memory: news vocabularies are far smaller
        _words.clear()
    lower = word.lower()
    stem = "" if lower in STOPWORDS else _stemmer.stemWord(lower)
    kind = None
    if word[0].isupper() and word[1:].islower():
        if word in WEEKDAYS:
            kind = "day"
        else:
            entry = gazetteer.load().entries.get(word)
            if entry is not None and entry.actor and entry.kind in ("place", "capital"):
                kind = entry.kind
    return stem, kind


def other_places(mine: dict[str, str] | None, theirs: dict[str, str] | None) -> bool:
    """True when each report names a place the other does not (Saratov against Bryansk: the same template, another
    event), unless both are capitals, which stand for their governments ("Washington" for "the United States");
    or a weekday the other does not (crossings closed on Tuesday, reopened on Friday)."""
    if not mine or not theirs:
        return False
    only_mine = [kind for place, kind in mine.items() if place not in theirs]
    only_theirs = [kind for place, kind in theirs.items() if place not in mine]
    for a in only_mine:
        for b in only_theirs:
            if (a == b == "day") or ("day" not in (a, b) and "place" in (a, b)):
                return True
    return False


def _signature(stems: frozenset[str]) -> RMinHash:
    minhash = RMinHash(NUM_PERM, SEED)
    minhash.update(list(stems))
    return minhash


class Grouper:
    """An index of reports already grouped, to which new reports are added one at a time in time order. Each day's
    reports are kept apart (an LSH index and their word sets), so that days out of reach can be dropped."""

    def __init__(self) -> None:
        # per day: its LSH index, and each report's stems (shared strings), size, places and story, by position
        self._days: dict[int, tuple[RMinHashLSH, list[frozenset[str]], list[int], list, list[str]]] = {}

    def add(self, item_id: str, text: str, day: date, story: str | None = None) -> str:
        """Add a report (with its story when it is known already, e.g. a stored one); returns its story."""
        return self.add_many([item_id], [text], [day], [story])[0]

    def add_many(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        days: Sequence[date],
        stories: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Add several reports in the given (time) order, with their stories where known; returns their stories."""
        collecting = gc.isenabled()
        gc.disable()  # the cycle collector would walk the growing index over and over, a fifth of the time
        try:
            reports = [read(clean(t)) for t in texts]
            # one at a time: rensa's batch call (from_token_sets) runs on a Rust thread pool, which a forked process
            # inherits without its threads and then waits for forever (assign forks); it saved 16 ms in 50,000
            minhashes = [_signature(stems) for stems, _ in reports]
            known = stories if stories is not None else [None] * len(reports)
            return [
                self._add(i, m, stems, named, d.toordinal(), s)
                for i, m, (stems, named), d, s in zip(ids, minhashes, reports, days, known, strict=True)
            ]
        finally:
            if collecting:
                gc.enable()

    def forget_before(self, day: date) -> None:
        """Drop the reports dated before `day`: no report of `day` or later can join their stories any more."""
        for ordinal in [d for d in self._days if d < day.toordinal()]:
            del self._days[ordinal]

    def _add(
        self, item_id: str, minhash: RMinHash, mine: frozenset[str], named: dict | None, day: int, story: str | None
    ) -> str:
        if story is None and mine:
            # the rule: the share of the smaller report's words found in the other (containment) reaches
            # SAME_STORY; computed exactly, the MinHash estimate only finds the candidates. Containment is never
            # below Jaccard and, unlike it, keeps a bare headline or a shortened report close to the full text.
            story, best, size = item_id, SAME_STORY, len(mine)
            for near in range(day - WINDOW_DAYS, day + WINDOW_DAYS + 1):
                found = self._days.get(near)
                if found is None:
                    continue
                index, words, sizes, places, stories = found
                for other in index.query(minhash):
                    small = sizes[other] if sizes[other] < size else size
                    common = len(mine & words[other])
                    if common >= best * small and not other_places(named, places[other]):
                        story, best = stories[other], common / small
        elif story is None:
            story = item_id
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = (RMinHashLSH(SAME_STORY / 2, NUM_PERM, BANDS), [], [], [], [])
        index, words, sizes, places, stories = found
        index.insert(len(words), minhash)
        words.append(mine)
        sizes.append(len(mine))
        places.append(named)
        stories.append(story)
        return story


def group(ids: Sequence[str], texts: Sequence[str], days: Sequence[date]) -> list[str]:
    """The story of each report, the reports taken in the given (time) order."""
    return Grouper().add_many(ids, texts, days)


#: from this many items to group, `assign` may take its later days to a second process (the command line's ingest)
PARALLEL_FROM = 20_000

Rows = list  # a day's stored items (id, text, date, story), in the order they were added
# what a forked process groups (set by assign before it forks, so the fork shares it for free): the engine, the
# later days, and the stored items of the days just before them, as this process read them
_FORKED: tuple[Engine, list[date], dict[date, Rows]] | None = None


def assign(engine: Engine, workers: int = 1) -> int:
    """Group the stored items that have no story yet with each other and with the stored items of nearby dates;
    returns how many were grouped. Day by day, holding only the days within reach (memory does not grow with the
    store). One transaction, so an interrupted run leaves them all to the next one; on PostgreSQL a lock keeps two
    watchers from grouping at once (each would not see the other's items).

    With `workers` above 1 (the command line: forking a process that runs threads, as the dashboard's server does,
    is unsafe) and at least PARALLEL_FROM items to group, the later half of the days is grouped on a forked process
    at the same time as the earlier half here, with the same stories as one process gives. A report joins only
    reports of the days around it, and of the later days only those grouped before this run, so the second process
    needs of the first half only the reports of the WINDOW_DAYS days before its own: it reads them as this process
    did before forking, each ungrouped one standing for its own story, and the stories they get here are then put in
    where it named them."""
    items = store.items
    grouped = 0
    with store.writing(engine) as conn, store.page_cache(conn):
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(734220)"))
        counts = conn.execute(
            select(items.c.date, func.count())
            .where(items.c.story.is_(None))
            .group_by(items.c.date)
            .order_by(items.c.date)
        ).all()
        days, later = _halves(counts) if workers > 1 and _forkable(engine) else ([d for d, _ in counts], [])
        if not later:
            for _, pairs in _grouped(conn, days):
                store.set_stories(conn, pairs)
                grouped += len(pairs)
        else:
            # read before the fork: on PostgreSQL another writer may add items to these days meanwhile, and the
            # second process must not name a report that this one does not group
            before = {d: _day_rows(conn, d) for d in (later[0] - timedelta(days=k) for k in range(WINDOW_DAYS, 0, -1))}
            stand_ins = {r.id for rows in before.values() for r in rows if r.story is None}
            given: dict[str, str] = {}  # the stories the stand-ins get here
            global _FORKED
            _FORKED = engine, later, before
            try:
                # an executor, not a Pool: a worker that dies (killed, out of memory) raises here instead of leaving
                # this transaction, and its write lock, waiting for ever
                with forked_executor(1) as pool:
                    second = pool.submit(_group_later)
                    for _, pairs in _grouped(conn, days):
                        store.set_stories(conn, pairs)
                        grouped += len(pairs)
                        given.update((i, s) for i, s in pairs if i in stand_ins)
                    try:
                        rest = second.result()
                    except BrokenProcessPool as err:
                        raise StoreError(
                            "grouping the stories failed: its second process ended before it was done (killed, or "
                            "out of memory?); the items are stored and the next ingest or poll groups them"
                        ) from err
            finally:
                _FORKED = None
            # a stand-in this process did not group (added to a day it had nothing to group on) starts its story
            rest += [(i, i) for i in stand_ins - given.keys()]
            store.set_stories(conn, [(i, given.get(s, s)) for i, s in rest])
            grouped += len(rest)
        if grouped:
            store.bump(conn)
    return grouped


def _halves(counts: Sequence[tuple[date, int]]) -> tuple[list[date], list[date]]:
    """The days with items to group (and how many each) cut where half the items are behind, when there are at
    least PARALLEL_FROM and two days; else all the days and none."""
    total, days = sum(n for _, n in counts), [d for d, _ in counts]
    if total < PARALLEL_FROM or len(days) < 2:
        return days, []
    cut = next(k for k, behind in enumerate(accumulate(n for _, n in counts)) if behind >= total / 2)
    return days[: cut + 1], days[cut + 1 :]


def _forkable(engine: Engine) -> bool:
    """Whether a forked process can open the same database: not an in-memory SQLite one, and fork is there."""
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def _group_later() -> list[tuple[str, str]]:
    """In the forked process: the stories of the later days' items (see assign)."""
    assert _FORKED is not None
    engine, days, before = _FORKED
    engine.dispose(close=False)  # the parent's pooled connections are its own: this process opens its own
    with engine.connect() as conn:
        return [pair for _, day_pairs in _grouped(conn, days, before) for pair in day_pairs]


def _day_rows(conn, day: date) -> Rows:
    items = store.items
    return conn.execute(
        select(items.c.id, items.c.text, items.c.date, items.c.story)
        .where(items.c.date == day)
        .order_by(items.c.added_at, items.c.id)
    ).all()


def _grouped(
    conn, days: Sequence[date], before: dict[date, Rows] | None = None
) -> Iterator[tuple[date, list[tuple[str, str]]]]:
    """Each of `days` in turn (in date order) with the (item id, story) pairs of its ungrouped items. `before`: the
    stored items of the days just before the first, read by the caller, whose ungrouped reports stand for their own
    stories (the earlier half of a split grouping gives them theirs)."""
    grouper = Grouper()
    rows_of: dict[date, Rows] = {}  # the days within reach: every stored item, in the order it was added

    def add_day(near: date, rows: Rows) -> None:
        # its grouped items go in first, as the grouping saw them
        rows_of[near] = rows
        done = [r for r in rows if r.story is not None]
        grouper.add_many([r.id for r in done], [r.text for r in done], [r.date for r in done], [r.story for r in done])

    for near, rows in sorted((before or {}).items()):
        add_day(near, rows)
        waiting = [r for r in rows if r.story is None]
        # then its ungrouped ones, as the one-process grouping adds them when it groups that day
        grouper.add_many(
            [r.id for r in waiting], [r.text for r in waiting], [r.date for r in waiting], [r.id for r in waiting]
        )
    for day in days:
        for near in (day + timedelta(days=k) for k in range(-WINDOW_DAYS, WINDOW_DAYS + 1)):
            if near not in rows_of:
                add_day(near, _day_rows(conn, near))  # one read per day, by the date index
        pending = [r for r in rows_of[day] if r.story is None]
        found = grouper.add_many([r.id for r in pending], [r.text for r in pending], [r.date for r in pending])
        yield day, [(r.id, s) for r, s in zip(pending, found, strict=True)]
        horizon = day - timedelta(days=WINDOW_DAYS)
        grouper.forget_before(horizon)
        for old in [d for d in rows_of if d < horizon]:
            del rows_of[old]
