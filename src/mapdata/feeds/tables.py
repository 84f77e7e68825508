"""CSV and TSV: a header row with a text column (and usually a date column), one record per row."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from itertools import chain

from .base import SNIFF_BYTES, Read, ReadResult, Rejection, collect
from .records import record_item

TEXT_COLUMNS = ("text", "body", "summary", "description", "content", "title")
_SNIFF_CSV_CHARS = 4 * 1024


def read_csv(handle: Iterable[str], source: str, *, delimiter: str | None = None) -> ReadResult:
    """Parse CSV or TSV (delimiter sniffed unless given) with a text column and, usually, a date column.

    `handle` is a text file opened with newline="" or any iterable of lines that keep their line ends.
    """
    return collect(iter_csv(handle, source, delimiter=delimiter), source)


def iter_csv(handle: Iterable[str], source: str, *, delimiter: str | None = None) -> Iterator[Read]:
    """CSV's or TSV's items and rejections, one record at a time (see read_csv)."""
    lines = iter(handle)
    sample: list[str] = []
    size = 0
    for line in lines:
        sample.append(line)
        size += len(line)
        if size >= SNIFF_BYTES:
            break
    head = "".join(sample)
    if delimiter and delimiter in head.split("\n", 1)[0]:
        dialect: type[csv.Dialect] | csv.Dialect = csv.excel_tab if delimiter == "\t" else csv.excel
    else:
        try:  # on a few KB only: the Sniffer's quote regex takes quadratic time (64 KB of ',"' took 40 s)
            dialect = csv.Sniffer().sniff(head[:_SNIFF_CSV_CHARS], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel_tab if head.count("\t") > head.count(",") else csv.excel
    # RFC 4180: "" in a quoted field is a quote. The Sniffer says doublequote=False whenever its sample has none,
    # and then a later "" is misread and a quote that closes a field too early is never seen as an error
    quoting = {} if dialect.escapechar else {"doublequote": True}
    numbered = _NumberedLines(chain(sample, lines))
    reader = csv.DictReader(numbered, dialect=dialect, **quoting)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as err:
        yield Rejection(source, 1, f"unreadable header row ({err})")
        return
    if not fieldnames:
        yield Rejection(source, 1, "no header row")
        return
    columns = {name.strip().lower().lstrip("\ufeff"): name for name in fieldnames if name}
    if not any(c in columns for c in TEXT_COLUMNS):
        yield Rejection(source, 1, f"no text column (looked for {', '.join(TEXT_COLUMNS)})")
        return
    while True:
        numbered.taken = []
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:  # e.g. a field over the csv module's size limit; the reader goes on after it
            number = numbered.first()
            again = numbered.read_again()
            yield Rejection(source, number, f"bad CSV row ({err}){again}")
            continue
        number = numbered.first()
        broken = _broken_quotes(numbered.taken, dialect, quoting) if len(numbered.taken) > 1 else None
        if broken:
            last = numbered.taken[-1][0]
            again = numbered.read_again()
            yield Rejection(source, number, f"unbalanced quotes: the quoted field opened here {broken} {last}{again}")
            continue
        if None in row:
            yield Rejection(source, number, "more fields than the header has")
            continue
        yield record_item({key: row.get(original) for key, original in columns.items()}, source, number)


class _NumberedLines:
    """The lines a csv reader takes, numbered, with the lines of the current record kept so that the lines a
    broken record swallowed (an unclosed quote runs to the end of the file) can be read again as rows."""

    REREAD_BUDGET = 20_000  # lines read twice per file at most: crafted files cannot make this quadratic

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._again: list[tuple[int, str]] = []  # reversed: pop() gives the next one
        self._budget = self.REREAD_BUDGET
        self.number = 0
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _NumberedLines:
        return self

    def __next__(self) -> str:
        if self._again:
            number, line = self._again.pop()
        else:
            line = next(self._lines)
            self.number += 1
            number = self.number
        self.taken.append((number, line))
        return line

    def first(self) -> int:
        """The line the current record starts on (blank lines before it are skipped)."""
        return next(
            (n for n, line in self.taken if line.strip("\r\n")), self.taken[0][0] if self.taken else self.number
        )

    def read_again(self) -> str:
        """Queue the lines after the first of the current (broken) record to be read again; says which."""
        lines = [(n, line) for n, line in self.taken if line.strip("\r\n")][1:]
        if not lines:
            return ""
        if len(lines) > self._budget:
            return f"; lines {lines[0][0]}-{lines[-1][0]} were swallowed by it"
        self._budget -= len(lines)
        self._again.extend(reversed(lines))
        return f"; lines {lines[0][0]}-{lines[-1][0]} were read again as rows"


def _broken_quotes(taken: list[tuple[int, str]], dialect: type[csv.Dialect] | csv.Dialect, quoting: dict) -> str | None:
    """Why a record of several lines is not well quoted, or None: a quote left open swallows the lines after it
    up to the next quote character or the end of the file. (Records of one line are read leniently.)"""
    try:
        for _ in csv.reader([line for _, line in taken], dialect, strict=True, **quoting):
            pass
    except csv.Error as err:
        return "runs to the end, line" if "unexpected end of data" in str(err) else "is closed mid-field on line"
    return None
