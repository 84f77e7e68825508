"""Which format a feed is in (from its name, its HTTP content type, its first bytes) and reading it whole."""

from __future__ import annotations

import io
import itertools
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..errors import InputError
from .base import SNIFF_BYTES, Read, ReadResult, Unfinished, collect, runs
from .fetch import fetch
from .records import Lines, iter_json_lines, iter_seed_text, read_json_array
from .syndication import read_feed
from .tables import TEXT_COLUMNS, iter_csv
from .text import split_lines

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_LINE_PARTS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # lines ended by CR, LF or CRLF, nothing else
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
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
            if names & set(TEXT_COLUMNS):
                return True
    return False


def read_file(path: str | Path) -> ReadResult:
    """Read one feed file of any supported format; unreadable files raise InputError naming the file."""
    return collect(iter_file(path), str(path))


def iter_file(path: str | Path, lines: int = 0) -> Iterator[Read | Lines]:
    """A feed file's items and rejections, one record at a time: the line formats (seed text, JSON Lines,
    CSV/TSV) are read as they stream, so memory does not grow with the file; InputError names the file. With
    `lines`, JSON Lines come unparsed, that many lines at a time (see iter_batches)."""
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as handle:
            yield from _iter_stream(handle, source, path, lines=lines)
    except OSError as err:
        raise InputError(f"cannot read file ({err.strerror or err})", source) from err


_HTML_HEAD = re.compile(rb"\s*(<!--.*?-->\s*)*<(!DOCTYPE\s+html|html)\b", re.IGNORECASE | re.DOTALL)


def read_source(source: str | Path) -> ReadResult:
    """Read a feed from a file path or an http(s) URL; failures raise InputError naming the path or URL."""
    return collect(iter_source(source), str(source))


def iter_source(source: str | Path, lines: int = 0) -> Iterator[Read | Lines]:
    """A feed's items and rejections, from a file path (streamed) or an http(s) URL (fetched whole, bounded);
    failures raise InputError naming the path or URL. With `lines`, JSON Lines come unparsed (see iter_batches)."""
    text = str(source)
    scheme = _URL_SCHEME.match(text)
    if not scheme:
        yield from iter_file(source, lines)
        return
    if scheme.group(1).lower() not in ("http", "https"):
        raise InputError("only http:// and https:// URLs can be read", text)
    body, content_type = fetch(text)
    yield from _iter_fetched(body, text, content_type, lines)


def iter_batches(source: str | Path, size: int) -> Iterator[list[Read] | Lines]:
    """A feed's records in batches of `size`, for tagging on several processes (parse each with `parsed`): a JSON
    Lines feed as its lines, unparsed, since each line parses alone and parsing is better done by the process that
    tags the batch; any other feed as its records, parsed here (a CSV record may span lines, a seed text line
    takes its date from an earlier one)."""
    records = iter_source(source, lines=size)
    for first in records:
        if isinstance(first, Lines):  # a JSON Lines feed yields nothing else
            yield first
            yield from records
        else:
            yield from runs(itertools.chain([first], records), size)
        return


def parsed(batch: list[Read] | Lines) -> list[Read]:
    """The records of a batch that iter_batches gave."""
    return batch.reads() if isinstance(batch, Lines) else batch


def finished(batch: list[Read] | Lines) -> bool:
    """False for the batch a reading error broke off: only its rejections count (see base.Unfinished)."""
    return batch.finished if isinstance(batch, Lines) else not isinstance(batch, Unfinished)


def read_fetched(body: bytes, url: str, content_type: str = "") -> ReadResult:
    """Read a feed fetched from `url`: its format from the URL's file name, the content type and the first
    bytes. An HTML page (a site's front page given instead of its feed) is refused as a whole; the content type
    alone does not decide it, as many servers send their feeds as text/html."""
    return collect(_iter_fetched(body, url, content_type), url)


def _iter_fetched(body: bytes, url: str, content_type: str = "", lines: int = 0) -> Iterator[Read | Lines]:
    if _HTML_HEAD.match(body[:SNIFF_BYTES]):
        raise InputError("an HTML page, not a feed (give the URL of the site's RSS or Atom feed)", url)
    hint = PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(url).path) or "/")
    yield from _iter_stream(io.BytesIO(body), url, Path(hint.name or "feed"), content_type, lines)


def _iter_stream(
    handle: BinaryIO, source: str, name: Path, content_type: str = "", lines: int = 0
) -> Iterator[Read | Lines]:
    """Detect the format from the name, the content type and the first bytes, then read the stream (JSON Lines
    as unparsed Lines of `lines` lines each, when it is given)."""
    head = handle.read(SNIFF_BYTES)
    utf16 = head.startswith(_UTF16_BOMS)
    if b"\x00" in head[:4096] and not utf16:
        if _utf16_without_bom(head[:4096]):  # verdicts on the whole file: no line
            raise InputError("UTF-16 text without a byte-order mark (save the file as UTF-8)", source)
        raise InputError("binary data, not a text feed", source)
    fmt = detect_format(name, head.decode("utf-16" if utf16 else "utf-8", "replace"), content_type)
    handle.seek(0)
    if fmt in ("xml", "json"):
        # read whole: the XML declaration names the encoding (feedparser decodes); an array is one value
        whole = (
            read_feed(handle.read(), source)
            if fmt == "xml"
            else read_json_array(_decode(handle.read(), source), source)
        )
        yield from whole.items
        yield from whole.rejected
        return
    text = _decode(handle.read(), source) if utf16 else None  # rare: no line-by-line decoding for UTF-16
    if fmt == "csv":
        tab = "\t" if name.suffix.lower() == ".tsv" else None
        parts = (
            part
            for line in ([text] if text is not None else _utf8_lines(handle, source))
            for part in _LINE_PARTS.findall(line)
        )
        yield from iter_csv(parts, source, delimiter=tab)
        return
    stream = iter(split_lines(text)) if text is not None else _utf8_lines(handle, source)
    if fmt == "jsonl" and lines:
        first = 1
        for run in runs(stream, lines):
            yield Lines(source, first, run, finished=not isinstance(run, Unfinished))
            first += len(run)
        return
    reader = iter_json_lines if fmt == "jsonl" else iter_seed_text
    yield from reader(stream, source)


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
