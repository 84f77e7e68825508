"""Ingest: read feed files, tag their items and store them, reporting what was new, present or rejected."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from . import accounts, settings, store, stories
from .errors import InputError
from .feeds import ReadResult, Rejection, read_source
from .learning import tagger_for
from .models import Item, TaggedItem
from .tagging import Tagger

Progress = Callable[[int, int], None]  # (items done, items in this feed)
NO_DATE = "no date"  # the reason an undated item is rejected when no date is given for it


@dataclass(slots=True)
class IngestResult:
    """Totals of one ingest run and every rejected record."""

    new: int = 0
    present: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people: new, already present, rejected."""
        return f"{self.new} new, {self.present} already present, {len(self.rejected)} rejected"


def _tagged(tagger: Tagger, items: list[Item], progress: Progress | None) -> Iterator[TaggedItem]:
    for start in range(0, len(items), 1000):
        yield from tagger.tag_many(items[start : start + 1000])
        if progress:
            progress(min(start + 1000, len(items)), len(items))


def ingest_result(
    engine: Engine,
    read: ReadResult,
    tagger: Tagger | None = None,
    result: IngestResult | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    undated: date | None = None,
    account: str = "",
) -> IngestResult:
    """Tag and store what one feed yielded, recording the write as `account`'s; items without a date get `undated` when it is given, else they are
    rejected with their file and line (never given today's date behind the user's back)."""
    tagger = tagger or tagger_for(engine)
    result = result or IngestResult()
    result.rejected.extend(read.rejected)
    dated = []
    for item in read.items:
        if item.date is not None:
            dated.append(item)
        elif undated is not None:
            dated.append(item.dated(undated))
        else:
            result.rejected.append(_rejection(read, item, NO_DATE))
    dated = _without_id_conflicts(engine, read, dated, result)
    new, present = store.add_items(engine, _tagged(tagger, dated, progress), dry_run=dry_run)
    result.new += new
    result.present += present
    if new and not dry_run:
        with store.writing(engine) as conn:
            accounts.record(conn, account or accounts.cli_account(), "ingest", f"{read.source}: {new} new", new)
        stories.assign(engine)
    return result


def _rejection(read: ReadResult, item: Item, reason: str) -> Rejection:
    """A rejection of one read item, at the line (or entry) it came from."""
    line = item.origin.rpartition(":")[2]
    return Rejection(read.source, int(line) if line.isdigit() else None, reason)


def _where(item: Item) -> str:
    line = item.origin.rpartition(":")[2]
    return f"line {line}" if line.isdigit() else "an earlier record"


def _without_id_conflicts(engine: Engine, read: ReadResult, items: list[Item], result: IngestResult) -> list[Item]:
    """The items whose id is new, or names the same date and text: an id given twice for different news (in this
    feed or in the store) is rejected, not counted as "already present" and silently dropped."""
    checked = []
    for start in range(0, len(items), store.BATCH):
        chunk = items[start : start + store.BATCH]
        stored = store.stored_texts(engine, [i.id for i in chunk])
        for item in chunk:
            if item.id in stored and stored[item.id] != (item.text, item.date):
                what = "text" if stored[item.id][0] != item.text else "date"
                result.rejected.append(
                    _rejection(read, item, f"id {item.id!r} is already stored with a different {what}")
                )
            else:
                checked.append(item)
    first: dict[str, Item] = {}
    kept = []
    for item in checked:
        seen = first.setdefault(item.id, item)
        if seen is not item and (seen.text, seen.date) != (item.text, item.date):
            what = "text" if seen.text != item.text else "date"
            result.rejected.append(
                _rejection(read, item, f"id {item.id!r} is already used by {_where(seen)} with a different {what}")
            )
        else:
            kept.append(item)  # the same item twice is fine: the store counts it as already present
    return kept


def ingest_paths(
    engine: Engine,
    paths: Iterable[str | Path],
    tagger: Tagger | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    undated: date | None = None,
    account: str = "",
) -> IngestResult:
    """Ingest several files or feed URLs, recording each as `account`'s (the command line's user if empty); one that cannot be read at all is reported as one rejection. Items
    without a date get `undated` when given."""
    result = IngestResult()
    for path in paths:
        try:
            read = read_source(path)
        except InputError as err:
            result.rejected.append(Rejection(err.source, err.line, err.reason))
            continue
        ingest_result(
            engine, read, tagger, result, dry_run=dry_run, progress=progress, undated=undated, account=account
        )
    return result


SAMPLE_FEED = "sample_news_2025-11-01.txt"  # in the data folder: the seed feed, the dashboard's default data


def ensure_sample(engine: Engine, path: Path | None = None) -> IngestResult | None:
    """On an empty database, ingest the embedded sample feed; returns None when there was data already."""
    if store.count_items(engine):
        return None
    return ingest_paths(engine, [path or settings.data_file(SAMPLE_FEED)], account="mapdata")
