"""The seed text format and JSON (JSON Lines, JSON arrays): one record per line or entry."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import orjson

from ..errors import InputError
from ..language import normalise as normalise_language
from ..models import Item
from .base import MAX_ID_CHARS, MAX_SOURCE_CHARS, Read, ReadResult, Rejection, collect, origin
from .dates import parse_date
from .text import check_text, join_title, record_field

_DATE_TOKEN = re.compile(r"^\s*date\s+(\S+)\s*(.*)$", re.DOTALL)
SUMMARY_FIELDS = ("summary", "description", "body", "content")
DATE_COLUMNS = ("date", "published", "pubdate", "pub_date", "published_at", "datetime", "time", "day", "updated")


def read_seed_text(lines: Iterable[str], source: str) -> ReadResult:
    """Parse the seed format: `date YYYY-MM-DD` starts a dated block, each non-empty line is one item."""
    return collect(iter_seed_text(lines, source), source)


def iter_seed_text(lines: Iterable[str], source: str) -> Iterator[Read]:
    """The seed format's items and rejections, one line at a time."""
    day: date | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.lstrip("\ufeff").strip()
        if not line:
            continue
        token = _DATE_TOKEN.match(line)
        if token:
            try:
                day = parse_date(token.group(1))
            except ValueError as err:
                day = None
                yield Rejection(source, number, f"bad date token: {err}")
                continue
            line = token.group(2).strip()
            if not line:
                continue
        try:
            text = check_text(line)
        except ValueError as err:
            yield Rejection(source, number, str(err))
            continue
        yield Item.create(text, day, origin=origin(source, number))


def read_json_lines(lines: Iterable[str], source: str) -> ReadResult:
    """Parse JSON Lines with at least `text` (or `title`/`summary`); `id`, `date`, `url`, `source` optional."""
    return collect(iter_json_lines(lines, source), source)


def iter_json_lines(lines: Iterable[str], source: str, first: int = 1) -> Iterator[Read]:
    """JSON Lines' items and rejections, one line at a time (`first`: the number of the first line given)."""
    for number, raw in enumerate(lines, start=first):
        line = raw.lstrip("\ufeff").strip()
        if not line:
            continue
        try:
            record = _json(line)
        except ValueError as err:
            yield Rejection(source, number, str(err))
            continue
        yield record_item(record, source, number)


@dataclass(frozen=True, slots=True)
class Lines:
    """Consecutive lines of a JSON Lines feed, decoded but not yet parsed. Each line is a record of its own, so a run
    of them can be parsed by whoever tags it: a worker process, rather than the one process that reads the file
    (parsing a record and sending the item it makes to a worker cost that process more than sending the line)."""

    source: str
    first: int  # the number of the first line
    lines: list[str]
    finished: bool = True  # False: a reading error broke these lines off (see base.Unfinished)

    def reads(self) -> list[Read]:
        """The records of these lines: items and rejections, in order."""
        return list(iter_json_lines(self.lines, self.source, self.first))


def read_json_array(text: str, source: str) -> ReadResult:
    """Parse a JSON array of objects, each read like a JSON Lines record; rejections count entries from 1."""
    try:
        records = _json(text)
    except ValueError as err:
        raise InputError(str(err), source, getattr(err.__cause__, "lineno", 1)) from err
    if not isinstance(records, list):
        raise InputError("not a JSON array of objects", source)
    return collect((record_item(record, source, index + 1, "entry") for index, record in enumerate(records)), source)


def _json(text: str) -> object:
    """json.loads with every failure as ValueError("not valid JSON (why)"): syntax, nesting too deep, huge numbers.

    orjson reads a record several times faster; what it refuses (NaN, integers beyond 64 bits, lone surrogates,
    very deep nesting) goes to the standard library, which decides it and says why, as before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg})") from err
    except RecursionError as err:
        raise ValueError("not valid JSON (nested too deeply)") from err
    except ValueError as err:  # an integer of more than 4300 digits
        raise ValueError(f"not valid JSON ({str(err).split(':')[0]})") from err


def record_item(record: object, source: str, number: int, unit: str = "line") -> Read:
    """The item a JSON object (or a CSV row as a dict) makes, or why it cannot make one."""
    if not isinstance(record, dict):
        return Rejection(source, number, "not a JSON object", unit)
    fields: dict[str, object] = {}
    for key, value in record.items():
        fields.setdefault(str(key).strip().lower(), value)
    try:
        text = fields.get("text")
        if not (isinstance(text, str) and text.strip()):
            title = fields.get("title")
            summary = next((v for k in SUMMARY_FIELDS if isinstance(v := fields.get(k), str) and v.strip()), "")
            text = join_title(title if isinstance(title, str) else "", summary)
        text = check_text(text)
        raw_date = next((fields[k] for k in DATE_COLUMNS if fields.get(k) not in (None, "")), None)
        day = parse_date(raw_date)
        given = record_field(fields, "id", limit=MAX_ID_CHARS)
        source_name = record_field(fields, "source", limit=MAX_SOURCE_CHARS)
        url = record_field(fields, "url", "link")
        declared = normalise_language(record_field(fields, "lang", "language"))
    except (ValueError, TypeError) as err:
        return Rejection(source, number, str(err), unit)
    return Item.create(
        text, day, id=given or None, source=source_name, url=url, origin=origin(source, number), lang=declared
    )
