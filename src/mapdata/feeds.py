"""Read news feeds (seed text, JSON Lines, CSV/TSV) into Items, reporting every rejected record with file and line."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

from .errors import InputError
from .models import Item

_DATE_TOKEN = re.compile(r"^\s*date\s+(\S+)\s*(.*)$", re.DOTALL)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
_TEXT_COLUMNS = ("text", "body", "summary", "description", "content", "title")
_DATE_COLUMNS = ("date", "published", "pubdate", "published_at", "datetime", "time", "day")
MAX_ITEM_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be used, and why."""

    source: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.source + (f", line {self.line}" if self.line is not None else "")
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class ReadResult:
    """Everything read from one feed: the usable items and the rejected records."""

    source: str
    items: list[Item] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def parse_date(value: object) -> date | None:
    """A UTC calendar date from the forms feeds use (ISO 8601, RFC 822, '1 November 2025'); None if empty.

    Raises ValueError when the value is present but not a real date.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if _ISO_DAY.match(text):
        if len(text) == 10:
            return date.fromisoformat(text)
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return _utc_day(stamp)
    try:
        return _utc_day(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%Y/%m/%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text[:40]!r}")


def _utc_day(stamp: datetime) -> date:
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc)
    return stamp.date()


def _check_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("no text")
    if "\x00" in text:
        raise ValueError("text contains NUL bytes")
    if len(text) > MAX_ITEM_CHARS:
        raise ValueError(f"text longer than {MAX_ITEM_CHARS} characters")
    return text


def read_seed_text(lines: Iterator[str], source: str) -> ReadResult:
    """Parse the seed format: `date YYYY-MM-DD` starts a dated block, each non-empty line is one item."""
    result = ReadResult(source)
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
                result.rejected.append(Rejection(source, number, f"bad date token: {err}"))
                continue
            line = token.group(2).strip()
            if not line:
                continue
        try:
            text = _check_text(line)
        except ValueError as err:
            result.rejected.append(Rejection(source, number, str(err)))
            continue
        result.items.append(Item.create(text, day, origin=f"{source}:{number}"))
    return result


def read_json_lines(lines: Iterator[str], source: str) -> ReadResult:
    """Parse JSON Lines with at least `text`; `id`, `date`, `url`, `source` optional."""
    result = ReadResult(source)
    for number, raw in enumerate(lines, start=1):
        line = raw.lstrip("\ufeff").strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            result.rejected.append(Rejection(source, number, f"not valid JSON ({err.msg})"))
            continue
        _add_record(result, record, number)
    return result


def read_csv(handle: io.TextIOBase, source: str) -> ReadResult:
    """Parse CSV or TSV (delimiter sniffed) with a text column and, usually, a date column."""
    result = ReadResult(source)
    sample = handle.read(64 * 1024)
    handle.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    reader = csv.DictReader(handle, dialect=dialect)
    if not reader.fieldnames:
        result.rejected.append(Rejection(source, 1, "no header row"))
        return result
    columns = {name.strip().lower().lstrip("\ufeff"): name for name in reader.fieldnames if name}
    if not any(c in columns for c in _TEXT_COLUMNS):
        result.rejected.append(Rejection(source, 1, f"no text column (looked for {', '.join(_TEXT_COLUMNS)})"))
        return result
    for row in reader:
        number = reader.line_num
        record = {key: row.get(original) for key, original in columns.items()}
        if None in row:
            result.rejected.append(Rejection(source, number, "more fields than the header has"))
            continue
        _add_record(result, record, number)
    return result


def _add_record(result: ReadResult, record: object, number: int) -> None:
    if not isinstance(record, dict):
        result.rejected.append(Rejection(result.source, number, "not a JSON object"))
        return
    try:
        text = record.get("text")
        if not (isinstance(text, str) and text.strip()):
            parts = [record.get(k) for k in ("title", "summary", "body", "description", "content")]
            text = ". ".join(p.strip().rstrip(".") for p in parts if isinstance(p, str) and p.strip())
        text = _check_text(text)
        raw_date = next((record[k] for k in _DATE_COLUMNS if record.get(k) not in (None, "")), None)
        day = parse_date(raw_date)
    except (ValueError, TypeError) as err:
        result.rejected.append(Rejection(result.source, number, str(err)))
        return
    given = record.get("id")
    result.items.append(
        Item.create(
            text,
            day,
            id=str(given) if given not in (None, "") else None,
            source=str(record.get("source") or ""),
            url=str(record.get("url") or record.get("link") or ""),
            origin=f"{result.source}:{number}",
        )
    )


def detect_format(path: Path, head: str) -> str:
    """'jsonl', 'csv' or 'seed', from the file name and its first characters."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if head.lstrip("\ufeff \t\r\n").startswith("{"):
        return "jsonl"
    return "seed"


def read_file(path: str | Path) -> ReadResult:
    """Read one feed file of any supported format; unreadable files raise InputError naming the file."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read file ({err.strerror})", source) from err
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("binary data, not a text feed", source)
    text = _decode(raw, source)
    fmt = detect_format(path, text[:200])
    if fmt == "csv":
        return read_csv(io.StringIO(text, newline=""), source)
    reader = read_json_lines if fmt == "jsonl" else read_seed_text
    return reader(iter(split_lines(text)), source)


def split_lines(text: str) -> list[str]:
    """Lines split on newlines only: news text may hold U+2028 or U+0085, which str.splitlines() breaks on."""
    return [line.rstrip("\r") for line in text.split("\n")]


def _decode(raw: bytes, source: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError("not UTF-8 text (save the file as UTF-8)", source, line) from err
