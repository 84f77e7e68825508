"""Read news feeds (seed text, JSON Lines, JSON arrays, CSV/TSV, RSS/Atom; files or http(s) URLs) into Items.

Every rejected record is reported with its file (or URL) and its line or entry number, and why.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.parsers.expat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime, parsedate_tz
from html.parser import HTMLParser
from http.client import HTTPException
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from . import __version__
from .errors import InputError
from .models import Item

_DATE_TOKEN = re.compile(r"^\s*date\s+(\S+)\s*(.*)$", re.DOTALL)
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_RFC822_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+(\d+)\b")  # "01 Jan 2025": the year as written
_TEXT_COLUMNS = ("text", "body", "summary", "description", "content", "title")
_SUMMARY_FIELDS = ("summary", "description", "body", "content")
_DATE_COLUMNS = ("date", "published", "pubdate", "pub_date", "published_at", "datetime", "time", "day", "updated")
_DAY_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%a, %d %b %Y", "%Y/%m/%d", "%d.%m.%Y")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_LINE_PARTS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # lines ended by CR, LF or CRLF, nothing else
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ROOT_ELEMENT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_SENTENCE_END = ".!?…"

MAX_ITEM_CHARS = 20_000
MAX_SOURCE_CHARS = 200  # the store's source column
MAX_ID_CHARS = 64  # the store's id column
FETCH_TIMEOUT = 20.0  # seconds for the whole download, not only per socket read
MAX_FETCH_BYTES = 20 * 1024 * 1024
_SNIFF_BYTES = 64 * 1024
_SNIFF_CSV_CHARS = 4 * 1024
_EXTENSIONS = {
    ".txt": "seed",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".xml": "xml",
    ".rss": "xml",
    ".atom": "xml",
}
_CONTENT_TYPES = {
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/rss+xml": "xml",
    "application/atom+xml": "xml",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
}


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


# ---------------------------------------------------------------------------------------------- dates


class _UnknownDateForm(ValueError):
    """The value is not written in any date form parse_date knows (as opposed to an impossible date)."""


def parse_date(value: object, *, today: date | None = None) -> date | None:
    """A UTC calendar date from the forms feeds use (ISO 8601, RFC 822, '1 November 2025'); None if empty.

    Raises ValueError, with the reason, when the value is present but not a date, an impossible date
    (2025-02-30), before 1900, or more than one day after `today` (default: today in UTC).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return _check_range(_parse_day(text), today)


def _parse_day(text: str) -> date:
    shown = repr(text[:40])
    iso = _ISO_DAY.match(text)
    if iso:
        try:
            day = date(*(int(part) for part in iso.groups()))
        except ValueError as err:
            raise ValueError(f"impossible date {shown} ({err})") from None
        if len(text) == 10:
            return day
        try:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise _UnknownDateForm(f"not a date: {shown}") from None
        try:
            return _utc_day(stamp)
        except OverflowError:  # 0001-01-01T00:00+01:00 is a day before the calendar starts
            raise ValueError(f"impossible date {shown} (out of range in UTC)") from None
    parts = parsedate_tz(text)
    if parts is not None:
        written = _RFC822_YEAR.search(text)
        if written and len(written.group(1)) > 2 and int(written.group(1)) != parts[0]:
            # email.utils reads years below 100 as 19xx/20xx, so "01 Jan 0001" would become 2001
            raise ValueError(f"impossible date {shown} (year {written.group(1)})")
        try:
            return _utc_day(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError, OverflowError) as err:
            raise ValueError(f"impossible date {shown} ({err})") from None
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError as err:
            message = str(err)
            if "does not match format" in message or "unconverted data" in message:
                continue
            raise ValueError(f"impossible date {shown} ({message})") from None
    raise _UnknownDateForm(f"not a date: {shown}")


def _check_range(day: date, today: date | None = None) -> date:
    if day.year < 1900:
        raise ValueError(f"date {day.isoformat()} is before 1900")
    latest = (today or datetime.now(timezone.utc).date()) + timedelta(days=1)
    if day > latest:
        raise ValueError(f"date {day.isoformat()} is more than a day in the future")
    return day


def _utc_day(stamp: datetime) -> date:
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc)
    return stamp.date()


# ---------------------------------------------------------------------------------------------- text


def _check_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("no text")
    if len(text) > MAX_ITEM_CHARS:
        raise ValueError(f"text longer than {MAX_ITEM_CHARS} characters")
    return _check_string(text, "text")


def _check_string(value: str, what: str) -> str:
    """`value` if a database can store it: no NUL character, no lone UTF-16 surrogate (JSON "\\ud800")."""
    if "\x00" in value:
        raise ValueError(f"{what} contains NUL bytes")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"{what} is not valid Unicode (a lone surrogate {value[err.start]!r})") from None
    return value


def _field(fields: dict[str, object], *names: str, limit: int | None = None) -> str:
    """An optional text field of a record (the first of `names` given: a string or a number), checked like the
    text; ValueError if unusable. An id longer than `limit` is refused, a longer source name is cut."""
    value = next((fields[n] for n in names if fields.get(n) not in (None, "")), "")
    what = names[0]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{what} is not a string ({type(value).__name__})")
    value = _check_string(str(value).strip(), what)
    if limit is not None and len(value) > limit:
        if what == "id":
            raise ValueError(f"id longer than {limit} characters")
        value = value[:limit]  # as feed titles are
    return value


def _join_title(title: str, summary: str) -> str:
    """'title. summary'; only one of them when the other is empty or the summary repeats the title."""
    title, summary = title.strip(), summary.strip()
    if not title or not summary:
        return title or summary
    head, body = " ".join(title.split()).rstrip(_SENTENCE_END), " ".join(summary.split())
    if body.startswith(head) and not body[len(head) : len(head) + 1].isalnum():
        return summary
    return title + (" " if title[-1] in _SENTENCE_END else ". ") + summary


class _PlainText(HTMLParser):
    """Collects the text of an HTML fragment: no tags, entities unescaped, blocks separated by spaces."""

    _SKIP = frozenset({"script", "style", "template"})
    _BREAKS = frozenset(
        {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "footer", "h1",
         "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "td", "th", "tr",
         "ul"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The plain text of an HTML fragment: tags dropped, entities unescaped, whitespace collapsed."""
    parser = _PlainText()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.parts).split())


# ---------------------------------------------------------------------------------------------- readers


def read_seed_text(lines: Iterable[str], source: str) -> ReadResult:
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
        result.items.append(Item.create(text, day, origin=_origin(source, number)))
    return result


def read_json_lines(lines: Iterable[str], source: str) -> ReadResult:
    """Parse JSON Lines with at least `text` (or `title`/`summary`); `id`, `date`, `url`, `source` optional."""
    result = ReadResult(source)
    for number, raw in enumerate(lines, start=1):
        line = raw.lstrip("\ufeff").strip()
        if not line:
            continue
        try:
            record = _json(line)
        except ValueError as err:
            result.rejected.append(Rejection(source, number, str(err)))
            continue
        _add_record(result, record, number)
    return result


def read_json_array(text: str, source: str) -> ReadResult:
    """Parse a JSON array of objects, each read like a JSON Lines record; rejections count entries from 1."""
    result = ReadResult(source)
    try:
        records = _json(text)
    except ValueError as err:
        raise InputError(str(err), source, getattr(err.__cause__, "lineno", 1)) from err
    if not isinstance(records, list):
        raise InputError("not a JSON array of objects", source)
    for index, record in enumerate(records):
        _add_record(result, record, index + 1, unit="entry")
    return result


def _json(text: str) -> object:
    """json.loads with every failure as ValueError("not valid JSON (why)"): syntax, nesting too deep, huge numbers."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg})") from err
    except RecursionError as err:
        raise ValueError("not valid JSON (nested too deeply)") from err
    except ValueError as err:  # an integer of more than 4300 digits
        raise ValueError(f"not valid JSON ({str(err).split(':')[0]})") from err


def read_csv(handle: Iterable[str], source: str, *, delimiter: str | None = None) -> ReadResult:
    """Parse CSV or TSV (delimiter sniffed unless given) with a text column and, usually, a date column.

    `handle` is a text file opened with newline="" or any iterable of lines that keep their line ends.
    """
    result = ReadResult(source)
    lines = iter(handle)
    sample: list[str] = []
    size = 0
    for line in lines:
        sample.append(line)
        size += len(line)
        if size >= _SNIFF_BYTES:
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
        result.rejected.append(Rejection(source, 1, f"unreadable header row ({err})"))
        return result
    if not fieldnames:
        result.rejected.append(Rejection(source, 1, "no header row"))
        return result
    columns = {name.strip().lower().lstrip("\ufeff"): name for name in fieldnames if name}
    if not any(c in columns for c in _TEXT_COLUMNS):
        result.rejected.append(Rejection(source, 1, f"no text column (looked for {', '.join(_TEXT_COLUMNS)})"))
        return result
    while True:
        numbered.taken = []
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:  # e.g. a field over the csv module's size limit; the reader goes on after it
            number = numbered.first()
            again = numbered.read_again()
            result.rejected.append(Rejection(source, number, f"bad CSV row ({err}){again}"))
            continue
        number = numbered.first()
        broken = _broken_quotes(numbered.taken, dialect, quoting) if len(numbered.taken) > 1 else None
        if broken:
            last = numbered.taken[-1][0]
            again = numbered.read_again()
            result.rejected.append(Rejection(source, number, f"unbalanced quotes: the quoted field opened here {broken} {last}{again}"))
            continue
        if None in row:
            result.rejected.append(Rejection(source, number, "more fields than the header has"))
            continue
        _add_record(result, {key: row.get(original) for key, original in columns.items()}, number)
    return result


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

    def __iter__(self) -> "_NumberedLines":
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
        return next((n for n, line in self.taken if line.strip("\r\n")), self.taken[0][0] if self.taken else self.number)

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


def read_feed(raw: bytes, source: str) -> ReadResult:
    """Parse an RSS (0.9x, 1.0, 2.0) or Atom document with feedparser; entries without a date are rejected.

    The bytes are parsed as given: nothing is fetched. A document that declares XML entities, is not
    well-formed, or is not a feed raises InputError naming the file.
    """
    import feedparser  # imported here: the other formats do not need it

    _refuse_entity_declarations(raw, source)
    parsed = feedparser.parse(io.BytesIO(raw), sanitize_html=True, resolve_relative_uris=False)
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(problem, feedparser.CharacterEncodingOverride):
        found = problem.getMessage() if hasattr(problem, "getMessage") else str(problem) or type(problem).__name__
        where = problem.getLineNumber() if hasattr(problem, "getLineNumber") else 1
        reason, line = _xml_error(raw) or (found, where)
        raise InputError(f"not a well-formed XML feed ({reason})", source, line)
    if not parsed.get("version"):
        head = raw[:_SNIFF_BYTES].replace(b"\x00", b"").decode("utf-8", "replace")  # UTF-16 documents too
        root = _ROOT_ELEMENT.search(head, head.rfind("?>") + 2 if "?>" in head else 0)
        found = f"root element <{root.group(1)}>" if root else "no root element"
        raise InputError(f"not an RSS or Atom feed ({found})", source)  # a verdict on the whole file: no line
    result = ReadResult(source)
    feed_title = _detail_text(parsed.feed, "title")[:MAX_SOURCE_CHARS]
    for number, entry in enumerate(parsed.entries, start=1):
        try:
            text = _check_text(_join_title(_detail_text(entry, "title"), _detail_text(entry, "summary")))
            day = _entry_date(entry)
        except ValueError as err:
            result.rejected.append(Rejection(source, number, str(err), unit="entry"))
            continue
        result.items.append(
            Item.create(text, day, source=feed_title, url=str(entry.get("link") or ""), origin=_origin(source, number))
        )
    return result


def _refuse_entity_declarations(raw: bytes, source: str) -> None:
    """Entity declarations can expand without bound ("billion laughs"); feeds never need them."""
    probe = raw.replace(b"\x00", b"") if b"\x00" in raw else raw  # UTF-16/32 documents too
    doctype = _DOCTYPE.search(probe)
    if doctype and _ENTITY_DECLARATION.search(probe, doctype.end()):
        line = probe[: doctype.start()].count(b"\n") + 1
        raise InputError("XML DOCTYPE declares entities (<!ENTITY>), which are refused", source, line)


def _xml_error(raw: bytes) -> tuple[str, int] | None:
    """Why and where expat finds the document not well-formed, in the file's own line numbers.

    feedparser adds an XML declaration and drops the DOCTYPE before parsing, so its line numbers can be off.
    Entity declarations were refused before this is called.
    """
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse(raw, True)
    except xml.parsers.expat.ExpatError as err:
        if err.code == xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_UNKNOWN_ENCODING]:
            return None
        return xml.parsers.expat.ErrorString(err.code), err.lineno
    except ValueError:  # an encoding expat cannot read (Shift_JIS, GBK...): feedparser's own message is used
        return None
    return None


def _detail_text(record: dict, key: str) -> str:
    """A feedparser text construct as plain text: HTML stripped when it is HTML, entities unescaped."""
    value = record.get(key)
    if not isinstance(value, str):
        return ""
    kind = (record.get(f"{key}_detail") or {}).get("type", "text/html")
    return html_to_text(value) if "html" in kind else " ".join(html.unescape(value).split())


def _entry_date(entry: dict) -> date:
    """The UTC day an entry was published (or else updated); ValueError when it has none or a bad one."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not raw:
            continue
        try:
            day = parse_date(raw)
        except _UnknownDateForm:
            stamp = entry.get(f"{key}_parsed")  # feedparser knows more forms; its struct is in UTC
            if not stamp:
                raise
            day = _check_range(date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday))
            written = _ISO_DAY.match(str(raw).strip())
            if written and abs((day - date(*(int(part) for part in written.groups()))).days) > 1:
                # feedparser rolls impossible times over ("2025-11-01T99:00Z" becomes 5 November): refuse them
                raise ValueError(f"impossible date {str(raw)[:40]!r}") from None
        if day is not None:
            return day
    raise ValueError("no date")


def _add_record(result: ReadResult, record: object, number: int, unit: str = "line") -> None:
    if not isinstance(record, dict):
        result.rejected.append(Rejection(result.source, number, "not a JSON object", unit))
        return
    fields: dict[str, object] = {}
    for key, value in record.items():
        fields.setdefault(str(key).strip().lower(), value)
    try:
        text = fields.get("text")
        if not (isinstance(text, str) and text.strip()):
            title = fields.get("title")
            summary = next((v for k in _SUMMARY_FIELDS if isinstance(v := fields.get(k), str) and v.strip()), "")
            text = _join_title(title if isinstance(title, str) else "", summary)
        text = _check_text(text)
        raw_date = next((fields[k] for k in _DATE_COLUMNS if fields.get(k) not in (None, "")), None)
        day = parse_date(raw_date)
        given = _field(fields, "id", limit=MAX_ID_CHARS)
        source = _field(fields, "source", limit=MAX_SOURCE_CHARS)
        url = _field(fields, "url", "link")
    except (ValueError, TypeError) as err:
        result.rejected.append(Rejection(result.source, number, str(err), unit))
        return
    result.items.append(
        Item.create(text, day, id=given or None, source=source, url=url, origin=_origin(result.source, number))
    )


def _origin(source: str, number: int) -> str:
    """'file:line' as stored: a file name that is not valid UTF-8 is shown with backslash escapes."""
    return f"{source.encode('utf-8', 'backslashreplace').decode('utf-8')}:{number}"


# ---------------------------------------------------------------------------------------------- formats


def detect_format(path: Path, head: str, content_type: str = "") -> str:
    """'seed', 'jsonl', 'json' (an array), 'csv' or 'xml': from the extension, else the content type, else the text.

    `head` is the first characters of the text; `content_type` the HTTP media type, when there is one.
    """
    suffix = path.suffix.lower()
    start = head.lstrip("\ufeff \t\r\n")
    if suffix == ".json":
        return "json" if start.startswith("[") else "jsonl"
    if suffix == ".txt" and start.startswith("{"):
        return "jsonl"  # JSON Lines saved as .txt (read this way before extensions were told apart)
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if start.startswith("<"):
        return "xml"
    if start.startswith("["):
        return "json"
    if start.startswith("{"):
        return "jsonl"
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _CONTENT_TYPES:
        return _CONTENT_TYPES[media]
    if media == "application/json":
        return "jsonl"
    return "csv" if _looks_like_csv_header(start.split("\n", 1)[0]) else "seed"


def _looks_like_csv_header(line: str) -> bool:
    for delimiter in ("\t", ",", ";", "|"):
        if delimiter in line:
            names = {name.strip().strip("\"'").lower() for name in line.split(delimiter)}
            if names & set(_TEXT_COLUMNS):
                return True
    return False


def read_file(path: str | Path) -> ReadResult:
    """Read one feed file of any supported format; unreadable files raise InputError naming the file."""
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as handle:
            return _read_stream(handle, source, path)
    except OSError as err:
        raise InputError(f"cannot read file ({err.strerror or err})", source) from err


def read_source(source: str | Path) -> ReadResult:
    """Read a feed from a file path or an http(s) URL; failures raise InputError naming the path or URL."""
    text = str(source)
    scheme = _URL_SCHEME.match(text)
    if not scheme:
        return read_file(source)
    if scheme.group(1).lower() not in ("http", "https"):
        raise InputError("only http:// and https:// URLs can be read", text)
    body, content_type = fetch(text)
    hint = PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(text).path) or "/")
    return _read_stream(io.BytesIO(body), text, Path(hint.name or "feed"), content_type)


def _read_stream(handle: BinaryIO, source: str, name: Path, content_type: str = "") -> ReadResult:
    """Detect the format from the name, the content type and the first bytes, then read the whole stream."""
    head = handle.read(_SNIFF_BYTES)
    utf16 = head.startswith(_UTF16_BOMS)
    if b"\x00" in head[:4096] and not utf16:
        if _utf16_without_bom(head[:4096]):  # verdicts on the whole file: no line
            raise InputError("UTF-16 text without a byte-order mark (save the file as UTF-8)", source)
        raise InputError("binary data, not a text feed", source)
    fmt = detect_format(name, head.decode("utf-16" if utf16 else "utf-8", "replace"), content_type)
    handle.seek(0)
    if fmt == "xml":
        return read_feed(handle.read(), source)  # the XML declaration names the encoding: feedparser decodes
    if fmt == "json":
        return read_json_array(_decode(handle.read(), source), source)
    text = _decode(handle.read(), source) if utf16 else None  # rare: no line-by-line decoding for UTF-16
    if fmt == "csv":
        tab = "\t" if name.suffix.lower() == ".tsv" else None
        lines = (part for line in ([text] if text is not None else _utf8_lines(handle, source))
                 for part in _LINE_PARTS.findall(line))
        return read_csv(lines, source, delimiter=tab)
    reader = read_json_lines if fmt == "jsonl" else read_seed_text
    return reader(split_lines(text) if text is not None else _utf8_lines(handle, source), source)


def _utf16_without_bom(head: bytes) -> bool:
    """Mostly ASCII text in UTF-16 with no BOM: nearly every other byte is NUL, the others are not."""
    if len(head) < 8:
        return False
    even, odd = head[0::2], head[1::2]
    for nuls, text in ((odd, even), (even, odd)):
        if nuls.count(0) >= 0.9 * len(nuls) and text.count(0) <= 0.1 * len(text):
            return True
    return False


def _utf8_lines(handle: BinaryIO, source: str) -> Iterator[str]:
    """Lines of a UTF-8 stream, read one at a time, split on LF only, ends kept; bad bytes name the line."""
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError("not UTF-8 text (save the file as UTF-8)", source, number) from err
        yield line.removeprefix("\ufeff") if number == 1 else line


def split_lines(text: str) -> list[str]:
    """Lines split on newlines only: news text may hold U+2028 or U+0085, which str.splitlines() breaks on."""
    return [line.rstrip("\r") for line in text.split("\n")]


def _decode(raw: bytes, source: str) -> str:
    if raw.startswith(_UTF16_BOMS):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as err:
            line = raw[: err.start - err.start % 2].decode("utf-16", "replace").count("\n") + 1
            raise InputError("not valid UTF-16 text", source, line) from err
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError("not UTF-8 text (save the file as UTF-8)", source, line) from err


# ---------------------------------------------------------------------------------------------- fetching


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) URLs only (urllib alone would also follow one to ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to a URL that is not http(s)", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_FETCH_BYTES) -> tuple[bytes, str]:
    """The body and Content-Type of an http(s) URL, within `timeout` seconds and `max_bytes`; else InputError."""
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": f"mapdata/{__version__} (feed reader)",
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, application/json;q=0.9, "
            "text/csv;q=0.8, text/plain;q=0.7, */*;q=0.5",
        },
    )
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise InputError(f"cannot fetch: the answer is larger than {max_bytes} bytes", url)
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise InputError(f"cannot fetch: the answer is larger than {max_bytes} bytes", url)
                if time.monotonic() > deadline:
                    raise InputError(f"cannot fetch: no complete answer within {timeout:g} s", url)
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("Content-Type", "")
    except InputError:
        raise
    except urllib.error.HTTPError as err:
        raise InputError(f"cannot fetch: HTTP {err.code} {err.reason}", url) from err
    except urllib.error.URLError as err:
        reason = "timed out" if isinstance(err.reason, TimeoutError) else str(err.reason)
        raise InputError(f"cannot fetch ({reason})", url) from err
    except TimeoutError as err:
        raise InputError(f"cannot fetch: no answer within {timeout:g} s", url) from err
    except (OSError, HTTPException, ValueError) as err:
        raise InputError(f"cannot fetch ({err or type(err).__name__})", url) from err
