"""RSS and Atom documents, parsed with feedparser; nothing they link to is fetched."""

from __future__ import annotations

import html
import io
import re
import xml.parsers.expat
from datetime import date

from ..errors import InputError
from ..language import normalise as normalise_language
from ..models import Item
from .base import MAX_SOURCE_CHARS, SNIFF_BYTES, ReadResult, Rejection, origin
from .dates import ISO_DAY, UnknownDateForm, check_range, parse_date
from .text import check_text, html_to_text, join_title

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ROOT_ELEMENT = re.compile(r"<([A-Za-z_][\w.:-]*)")


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
        head = raw[:SNIFF_BYTES].replace(b"\x00", b"").decode("utf-8", "replace")  # UTF-16 documents too
        root = _ROOT_ELEMENT.search(head, head.rfind("?>") + 2 if "?>" in head else 0)
        found = f"root element <{root.group(1)}>" if root else "no root element"
        raise InputError(f"not an RSS or Atom feed ({found})", source)  # a verdict on the whole file: no line
    result = ReadResult(source)
    feed_title = _detail_text(parsed.feed, "title")[:MAX_SOURCE_CHARS]
    feed_language = normalise_language(parsed.feed.get("language"))  # RSS <language>, Atom xml:lang
    for number, entry in enumerate(parsed.entries, start=1):
        try:
            text = check_text(join_title(_detail_text(entry, "title"), _detail_text(entry, "summary")))
            day = _entry_date(entry)
        except ValueError as err:
            result.rejected.append(Rejection(source, number, str(err), unit="entry"))
            continue
        declared = normalise_language((entry.get("title_detail") or {}).get("language")) or feed_language
        result.items.append(
            Item.create(
                text,
                day,
                source=feed_title,
                url=str(entry.get("link") or ""),
                origin=origin(source, number),
                lang=declared,
            )
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
        except UnknownDateForm:
            stamp = entry.get(f"{key}_parsed")  # feedparser knows more forms; its struct is in UTC
            if not stamp:
                raise
            day = check_range(date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday))
            written = ISO_DAY.match(str(raw).strip())
            if written and abs((day - date(*(int(part) for part in written.groups()))).days) > 1:
                # feedparser rolls impossible times over ("2025-11-01T99:00Z" becomes 5 November): refuse them
                raise ValueError(f"impossible date {str(raw)[:40]!r}") from None
        if day is not None:
            return day
    raise ValueError("no date")
