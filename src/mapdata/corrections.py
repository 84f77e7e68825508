"""Manual corrections and re-tagging: a service over the store that runs the tagger and keeps what an analyst
changed by hand. Corrections are stored apart from the automatic tags and applied over them, so a re-tag after
data/ changed keeps every one of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from . import accounts, store
from .errors import StoreError
from .models import Confidence, Correction, Item, Tag, TaggedItem, actor_key, split_key
from .store import REVIEWED

Tagging = Callable[[Item], TaggedItem]


class Tagger(Protocol):
    """What re-tagging needs of a tagger (mapdata.tagging.Tagger): a batch at once."""

    def tag_many(self, items: Sequence[Item]) -> list[TaggedItem]: ...


def apply(tagged: TaggedItem, corrections: Iterable[Correction]) -> TaggedItem:
    """The tagged item as the analyst corrected it; later corrections win over earlier ones."""
    evidence = list(tagged.evidence)
    topics = list(tagged.topics)
    tone = tagged.tone
    # what an analyst set or confirmed is certain; the rest keeps the tagger's probability
    sure = tagged.confidence
    tone_p = sure.tone if sure else None
    topic_p = dict(sure.topics) if sure else {}
    for c in corrections:
        if c.field == "review":
            tone_p = 1.0
            topic_p = dict.fromkeys(topics, 1.0)
        elif c.field == "tone":
            tone, tone_p = c.value, 1.0
        elif c.field == "topic":
            topics = [t for t in topics if t != c.value] + ([c.value] if c.action == "add" else [])
            if c.action == "add":
                topic_p[c.value] = 1.0
        else:
            evidence = [t for t in evidence if t.key != c.value]
            if c.action == "add":
                code, is_org = split_key(c.value)
                evidence.append(Tag(code, "", 0, 0, "organisation" if is_org else "manual", True))
    countries = tuple(sorted({t.actor for t in evidence if not t.is_organisation}))
    organisations = tuple(sorted({t.actor for t in evidence if t.is_organisation}))
    keys = set(countries) | {actor_key(o, True) for o in organisations}
    lead_key = tagged.lead_key if tagged.lead_key in keys else next((t.key for t in evidence), None)
    lead = split_key(lead_key)[0] if lead_key else None
    related = tagged.related
    if related is not None and lead_key == tagged.lead_key:
        # an actor the analyst added is related to the lead (it is named nowhere); one removed is gone
        added = {t.key for t in evidence if t.manual}
        related = tuple(sorted({k for k in related if k in keys} | (added - {lead_key})))
    elif related is not None:
        related = None  # a new lead actor: its relations are not known, join it to every actor
    confidence = None
    if tone_p is not None:
        confidence = Confidence(tone_p, tuple((t, topic_p[t]) for t in dict.fromkeys(topics) if t in topic_p))
    return replace(
        tagged,
        confidence=confidence,
        countries=countries,
        organisations=organisations,
        topics=tuple(dict.fromkeys(topics)),
        tone=tone,
        lead_actor=lead,
        lead_key=lead_key,
        evidence=tuple(evidence),
        related=related,
    )


def add_correction(engine: Engine, correction: Correction, tag: Tagging, account: str) -> TaggedItem:
    """Store a manual correction, made by `account`, and rewrite the item's tags with every correction applied."""

    def run() -> TaggedItem:
        with store.writing(engine) as conn:
            stored = _stored(conn, correction.item_id)
            existing = store.corrections_of(conn, [correction.item_id]).get(correction.item_id, [])
            fixed = _rewrite(conn, stored, existing, [correction], tag(stored.item), account)
            store.bump(conn)
        return fixed

    return _written(run)


def review_story(
    engine: Engine, item_id: str, changes: Sequence[tuple[str, str, str]], tag: Tagging, account: str
) -> int:
    """An analyst's review of an item, (field, value, action) changes as a Correction takes them, applied to it and
    to every other report of its story, in one transaction; how many reports it changed. The reports of a story
    are one text re-published: they take the reviewed report's tone (when the review set or confirmed it) and
    topics (when it changed or confirmed them), so that a story is reviewed once, and the map, which counts a story
    by its first report, shows the review whichever report was reviewed. Actors stay each report's own."""
    new = [Correction(item_id, *change) for change in changes]  # a bad change is refused before anything is written

    def run() -> int:
        with store.writing(engine) as conn:
            stored = _stored(conn, item_id)
            existing = store.corrections_of(conn, [item_id]).get(item_id, [])
            tagged = tag(stored.item)
            fixed = apply(tagged, [*existing, *new])
            reports = store.story_reports(conn, item_id)
            # every report in id order, the reviewed one among them: one order for every writer, so that two reviews
            # of one story at once (or a review and a poll's inherit_reviews) wait for each other, never deadlock
            for report in reports:
                if report == item_id:
                    _rewrite(conn, stored, existing, new, tagged, account)
                else:
                    _follow(conn, report, fixed, new, tag, account)
            if len(reports) > 1:
                what = f"the review of item {item_id} on its story's other reports"
                accounts.record(conn, account, "correction", what, len(reports) - 1)
            store.bump(conn)
        return len(reports)

    return _written(run)


def inherit_reviews(engine: Engine, tag: Tagging) -> int:
    """Give each report of a reviewed story that has no review of its own the story's review, as review_story gives
    it, from the story's reviewed report with the smallest id, in the name of the analyst who made that review; how
    many reports. Run after grouping new items into stories: a feed's copies of a reviewed story then neither come
    back to the review queue nor show the tagger's guess where the analyst's stands. (In a store reviewed report by
    report, before a review went to the whole story, the first run gives the stories' other reports their review.)"""
    with engine.connect() as conn:  # most ingests have none: no write lock for them
        if not store.unreviewed_reports(conn):
            return 0

    def run() -> int:
        with store.writing(engine) as conn:
            pending = store.unreviewed_reports(conn)
            models: dict[str, tuple[TaggedItem, list[Correction], str]] = {}
            given: Counter[str] = Counter()
            for other, model in pending:  # in id order, as review_story writes
                if model not in models:
                    reviewed = [c for c in store.corrections_of(conn, [model]).get(model, []) if c.field in REVIEWED]
                    models[model] = (_current(conn, model, tag), reviewed, store.reviewer_of(conn, model))
                fixed, reviewed, reviewer = models[model]
                _follow(conn, other, fixed, reviewed, tag, reviewer)
                given[model] += 1
            for model, count in given.items():
                what = f"the review of item {model} given to {count} later reports of its story"
                accounts.record(conn, models[model][2], "correction", what, count)
            if pending:
                store.bump(conn)
        return len(pending)

    return _written(run)


def _follow(conn, other: str, fixed: TaggedItem, review: Sequence[Correction], tag: Tagging, account: str) -> None:
    """Give another report of a story the review of one (`fixed`: its tags as reviewed; `review`: the corrections
    of that review): its tone when the review set or confirmed it; its topics when the review changed or confirmed
    them (the review's own topic changes, then what else makes the two alike, so that the report is marked as
    reviewed even when its topics were alike already); its confirmation."""
    stored = _stored(conn, other)
    existing = store.corrections_of(conn, [other]).get(other, [])
    tagged = tag(stored.item)
    fields = {c.field for c in review}
    same: list[Correction] = []
    if fields & {"tone", "review"}:
        same.append(Correction(other, "tone", fixed.tone, "set"))
    if fields & {"topic", "review"}:
        same += [Correction(other, "topic", c.value, c.action) for c in review if c.field == "topic"]
        topics = apply(tagged, [*existing, *same]).topics
        same += [Correction(other, "topic", t, "add") for t in fixed.topics if t not in topics]
        same += [Correction(other, "topic", t, "remove") for t in topics if t not in fixed.topics]
    if "review" in fields:
        same.append(Correction(other, "review", "", "confirm"))
    if same:
        _rewrite(conn, stored, existing, same, tagged, account, record=False)


def _stored(conn, item_id: str) -> store.StoredItem:
    """A stored item, read before anything is written: an unknown item is an error of its own, not the database's."""
    stored = store.stored_item(conn, item_id)
    if stored is None:
        raise StoreError(f"no item with id {item_id!r}")
    return stored


def _current(conn, item_id: str, tag: Tagging) -> TaggedItem:
    """A stored item's tags as they stand: the tagger's, with its corrections applied."""
    return apply(tag(_stored(conn, item_id).item), store.corrections_of(conn, [item_id]).get(item_id, []))


def _rewrite(
    conn,
    stored: store.StoredItem,
    existing: Sequence[Correction],
    new: Sequence[Correction],
    tagged: TaggedItem,
    account: str,
    record: bool = True,
) -> TaggedItem:
    """Store an item's new corrections (each in the account's changes, with `record`) and rewrite its tags: the
    tagger's (`tagged`) with its `existing` corrections and the new ones applied, in the order they are stored."""
    for correction in new:
        store.record_correction(conn, correction, account)
        if record:
            accounts.record(
                conn,
                account,
                "correction",
                f"{correction.action} {correction.field} {correction.value} on item {correction.item_id}",
                1,
            )
    fixed = apply(tagged, [*existing, *new])
    store.replace_tags(conn, fixed)
    return fixed


T = TypeVar("T")


def _written(run: Callable[[], T]) -> T:
    """`run()`, again while it fails only because another writer changed the same items at the same time (a duplicate
    key, a deadlock); if it still fails, a StoreError that says so."""
    try:
        return store.retried(run, attempts=5)
    except DBAPIError as err:
        if not store.retryable(err):
            raise
        raise StoreError("other changes to the same items kept coming at the same time: try again") from err


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
        lines = [
            f"{self.items} items re-tagged, {self.changed} changed "
            f"({self.topics_changed} topics, {self.tone_changed} tone)"
        ]
        if self.added:
            lines.append("gained: " + ", ".join(f"{k} +{n}" for k, n in self.added.most_common(15)))
        if self.removed:
            lines.append("lost: " + ", ".join(f"{k} -{n}" for k, n in self.removed.most_common(15)))
        return "\n".join(lines)


def retag(engine: Engine, tagger: Tagger | Tagging, account: str) -> RetagReport:
    """Re-tag every stored item (after the gazetteer, the lexicon or the weights changed), keeping manual corrections;
    `tagger` is a Tagger (a batch at once) or a function of one item.

    One transaction per batch: an interrupted run leaves every item either old or new, and running it
    again finishes the job. An item whose tags are unchanged but whose confidence moved (new weights) is
    rewritten too, without counting as changed.
    """
    report = RetagReport()
    many = getattr(tagger, "tag_many", None) or (lambda items: [tagger(item) for item in items])
    for batch in store.item_batches(engine):
        ids = [s.item.id for s in batch]
        fresh = many([s.item for s in batch])  # tagged before the transaction: writers wait only for the writes
        with store.writing(engine) as conn:
            changed = False
            old_actors, old_topics = store.actors_and_topics(conn, ids)
            fixes = store.corrections_of(conn, ids)
            for stored, tagged in zip(batch, fresh):
                item_id = stored.item.id
                report.items += 1
                new = apply(tagged, fixes.get(item_id, []))
                before, after = old_actors.get(item_id, set()), {t.key for t in new.evidence}
                topics_differ = old_topics.get(item_id, set()) != set(new.topics)
                same_tags = (
                    before == after
                    and not topics_differ
                    and stored.tone == new.tone
                    and stored.lead_key == new.lead_key
                )
                if same_tags and stored.confidence == (new.confidence.tone if new.confidence else None):
                    continue
                if not same_tags:
                    report.changed += 1
                    report.topics_changed += topics_differ
                    report.tone_changed += stored.tone != new.tone
                    report.added.update(after - before)
                    report.removed.update(before - after)
                store.replace_tags(conn, new)
                changed = True
            if changed:
                store.bump(conn)  # once, last: a correction waiting on an item of this batch never holds it
    with store.writing(engine) as conn:
        accounts.record(conn, account, "retag", report.summary().splitlines()[0], report.changed)
    return report
