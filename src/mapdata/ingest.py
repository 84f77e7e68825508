"""Ingest: read feed files, tag their items and store them, reporting what was new, present or rejected."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path

from sqlalchemy import Engine

from . import accounts, corrections, settings, store, stories
from .errors import InputError, WorkerError
from .feeds import Lines, Read, ReadResult, Rejection, finished, iter_batches, parsed
from .learning import tagger_for
from .models import Item
from .tagging import Tagger, pool

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


# the tagger that forked workers use (set by ingest_batches before it starts them: a fork shares it for free)
_WORKER_TAGGER: Tagger | None = None


def _tag_in_worker(
    batch: list[Read] | Lines, source: str, undated: date | None
) -> tuple[list[store.Rows], list[Rejection]]:
    """A batch that feeds.iter_batches gave, parsed and tagged: the rows its items store (plain tuples: sent back
    from a worker several times faster) and its rejections, an item without a date among them unless `undated`
    gives it one."""
    assert _WORKER_TAGGER is not None
    items, rejected = [], []
    whole = finished(batch)
    for record in parsed(batch):
        if isinstance(record, Rejection):
            rejected.append(record)
        elif record.date is None and undated is None:
            rejected.append(_rejection(source, record, NO_DATE))
        elif whole:  # a batch a reading error broke off is stored once the feed is fixed and read again
            items.append(record if record.date is not None else record.dated(undated))
    return [store.rows_of(t) for t in _WORKER_TAGGER.tag_many(items)] if items else [], rejected


def indexes_deferred(engine: Engine, dry_run: bool) -> contextlib.AbstractContextManager:
    """A load's deferral of the store's indexes (store.deferred_indexes: into an empty store, built once the rows are
    in), or nothing for a dry run, which stores nothing (it then yields None)."""
    return contextlib.nullcontext() if dry_run else store.deferred_indexes(engine)


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
    """Tag and store what one feed yielded, recording the write as `account`'s; items without a date get `undated`
    when it is given, else they are rejected with their file and line (never given today's date behind the user's
    back). Into an empty store, the indexes are built once the items are in (store.deferred_indexes)."""
    with indexes_deferred(engine, dry_run):
        return ingest_batches(
            engine,
            pool.batches(chain(read.rejected, read.items), store.BATCH),
            read.source,
            tagger,
            result,
            dry_run=dry_run,
            progress=progress,
            undated=undated,
            account=account,
            total=len(read.items) + len(read.rejected),
        )


def ingest_batches(
    engine: Engine,
    batches: Iterable[list[Read] | Lines],
    source: str,
    tagger: Tagger | None = None,
    result: IngestResult | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    undated: date | None = None,
    account: str = "",
    workers: int = 1,
    total: int = 0,
) -> IngestResult:
    """Tag and store the batches of one feed (feeds.iter_batches): memory does not grow with the feed. Batches are
    parsed and tagged on `workers` forked processes (the command line's choice; the dashboard's server tags in its
    own process) while this one stores the batches before, in order, one transaction each; `total` is the number
    of items when known (for `progress`)."""
    global _WORKER_TAGGER
    tagger = tagger or tagger_for(engine)
    result = result or IngestResult()
    added = result.new
    # a dry run stores nothing: the ids it has seen, with their text, date and origin
    earlier: dict[str, tuple[str, date | None, str]] = {}
    done = 0
    work = functools.partial(_tag_in_worker, source=source, undated=undated)
    _WORKER_TAGGER = tagger
    try:
        for tagged, rejected in pool.map_batches(work, batches, workers):
            result.rejected.extend(rejected)
            kept = _without_id_conflicts(engine, source, tagged, result, earlier if dry_run else None)
            new, present = store.add_rows(engine, kept, dry_run=dry_run)
            result.new += new
            result.present += present
            done += len(tagged) + len(rejected)  # a rejected item is done too: the bar still reaches its end
            if progress:
                progress(done, max(total, done))
    except (InputError, WorkerError) as err:
        # the file broke off, or a worker died: the batches stored before it are the account's and are grouped into
        # stories, as those of a whole file are (the error is the caller's to report, and stays the one raised: a
        # failure to settle is told with it, and the next ingest groups what this one could not)
        try:
            _settle(engine, result.new - added, source, account, dry_run, tagger, workers)
        except Exception as settling:  # whatever it was, the file's own error must reach the user
            note = f" (and the items stored before it could not be recorded and grouped into stories: {settling})"
            if isinstance(err, InputError):
                err.reason += note
            else:
                err.args = (f"{err}{note}",)
        raise
    finally:
        _WORKER_TAGGER = None
    _settle(engine, result.new - added, source, account, dry_run, tagger, workers)
    return result


def _settle(
    engine: Engine, new: int, source: str, account: str, dry_run: bool, tagger: Tagger, workers: int = 1
) -> None:
    """After storing `new` items of a source: record them as the account's change, group them into stories (on up
    to two processes when `workers` allows), and give those that joined a reviewed story its review."""
    if new and not dry_run:
        with store.writing(engine) as conn:
            accounts.record(conn, account or accounts.cli_account(), "ingest", f"{source}: {new} new", new)
        stories.assign(engine, workers)
        corrections.inherit_reviews(engine, tagger.tag)


def _rejection(source: str, item: Item, reason: str) -> Rejection:
    """A rejection of one read item, at the line (or entry) it came from."""
    line = item.origin.rpartition(":")[2]
    return Rejection(source, int(line) if line.isdigit() else None, reason)


def _where(origin: str) -> str:
    line = origin.rpartition(":")[2]
    return f"line {line}" if line.isdigit() else "an earlier record"


def _without_id_conflicts(
    engine: Engine,
    source: str,
    tagged: list[store.Rows],
    result: IngestResult,
    earlier: dict[str, tuple[str, date | None, str]] | None,
) -> list[store.Rows]:
    """The tagged items whose id is new, or names the same date and text: an id given twice for different news (in
    this feed or in the store) is rejected, not counted as "already present" and silently dropped. Earlier batches
    of this feed are in the store already; `earlier` holds them for a dry run, which stores nothing."""
    stored = store.stored_texts(engine, [t[0][0] for t in tagged])
    first: dict[str, tuple[str, date | None, str]] = {}
    kept = []
    for t in tagged:
        item_id, day, text, _, _, origin = t[0][:6]  # the item row: id, date, text, source, url, origin, ...
        seen = first.get(item_id) or (earlier.get(item_id) if earlier is not None else None) or stored.get(item_id)
        if seen is not None and (seen[0], seen[1]) != (text, day):
            what = "text" if seen[0] != text else "date"
            by = (
                f"is already used by {_where(seen[2])} with a different {what}"
                if seen[2].rpartition(":")[0] == origin.rpartition(":")[0]
                else f"is already stored with a different {what}"
            )
            line = origin.rpartition(":")[2]
            result.rejected.append(Rejection(source, int(line) if line.isdigit() else None, f"id {item_id!r} {by}"))
            continue
        first.setdefault(item_id, (text, day, origin))
        kept.append(t)  # the same item twice is fine: the store counts it as already present
    if earlier is not None:
        earlier.update(first)
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
    workers: int = 1,
) -> IngestResult:
    """Ingest several files or feed URLs, recording each as `account`'s (the command line's user if empty); a file
    is read as it streams. One that cannot be read at all is reported as one rejection; one that breaks off (bytes
    that are not UTF-8 at line 50,000) keeps the whole batches stored before, reports every record rejected before
    the error, and says so. A worker process that dies stops the run with a WorkerError that says what was stored
    (grouped into stories as a whole file's items are). Items without a date get `undated` when given."""
    result = IngestResult()
    # into an empty store, the indexes are built once the files are in (store.deferred_indexes)
    with indexes_deferred(engine, dry_run):
        for path in paths:
            before = result.new
            try:
                ingest_batches(
                    engine,
                    iter_batches(path, store.BATCH),
                    str(path),
                    tagger,
                    result,
                    dry_run=dry_run,
                    progress=progress,
                    undated=undated,
                    account=account,
                    workers=workers,
                )
            except InputError as err:
                kept = result.new - before
                note = f" ({kept:,} items before it were stored; fix the file and ingest it again)" if kept else ""
                result.rejected.append(Rejection(err.source, err.line, err.reason + note))
            except WorkerError as err:  # not the file's fault, and likely to happen again at once: the run stops here
                kept = result.new - before
                raise WorkerError(
                    f"{path}: {err}; {kept:,} new items of it were stored before, ingest it again to add the rest"
                ) from err
    return result


SAMPLE_FEED = "sample_news_2025-11-01.txt"  # in the data folder: the seed feed, the dashboard's default data


def ensure_sample(engine: Engine, path: Path | None = None) -> IngestResult | None:
    """On an empty database, ingest the embedded sample feed; returns None when there was data already."""
    if store.count_items(engine):
        return None
    return ingest_paths(engine, [path or settings.data_file(SAMPLE_FEED)], account="mapdata")
