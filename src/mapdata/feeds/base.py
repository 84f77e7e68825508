"""What every reader produces: the items it read and the records it rejected, with where and why."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from ..models import Item

T = TypeVar("T")
MAX_ITEM_CHARS = 20_000
MAX_SOURCE_CHARS = 200  # the store's source column
MAX_ID_CHARS = 64  # the store's id column
SNIFF_BYTES = 64 * 1024  # the head of a file that format detection (and the CSV dialect sniffer) reads


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be used, and why; `unit` says whether `line` counts lines or feed entries."""

    source: str
    line: int | None
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        where = self.source + (f", {self.unit} {self.line}" if self.line is not None else "")
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class ReadResult:
    """Everything read from one feed: the usable items and the rejected records."""

    source: str
    items: list[Item] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


Read = Item | Rejection  # what a streaming reader yields, record by record, in the feed's order


def collect(records: Iterable[Read], source: str) -> ReadResult:
    """A whole feed's items and rejections, from a streaming reader."""
    result = ReadResult(source)
    for record in records:
        if isinstance(record, Item):
            result.items.append(record)
        else:
            result.rejected.append(record)
    return result


class Unfinished(list):
    """The records of a batch that a reading error broke off. Their rejections are reported; their items are not
    stored nor written out: a feed that cannot be read to its end keeps only its whole batches, and a small one
    nothing, until it is fixed and read again (finished tells)."""


def runs(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` values (the last may be shorter). When reading `values` fails part way, what was
    read before the failure comes first, as an Unfinished list, then the error."""
    run: list[T] = []
    try:
        for value in values:
            run.append(value)
            if len(run) == size:
                yield run
                run = []
    except Exception:
        if run:
            yield Unfinished(run)
        raise
    if run:
        yield run


def origin(source: str, number: int) -> str:
    """'file:line' as stored: a file name that is not valid UTF-8 is shown with backslash escapes."""
    return f"{source.encode('utf-8', 'backslashreplace').decode('utf-8')}:{number}"
