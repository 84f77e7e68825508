"""Checks and clean-up of the text fields of a record: length, NUL bytes, lone surrogates, HTML, titles."""

from __future__ import annotations

from html.parser import HTMLParser

from .base import MAX_ITEM_CHARS

_SENTENCE_END = ".!?…"


def check_text(text: object) -> str:
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


def record_field(fields: dict[str, object], *names: str, limit: int | None = None) -> str:
    """An optional text field of a record (the first of `names` given: a string or a number), checked like the
    text; ValueError if unusable. An id longer than `limit` is refused, a longer source name is cut."""
    value: object = ""
    for name in names:
        found = fields.get(name)
        if found is not None and found != "":
            value = found
            break
    else:
        return ""  # most records give few of the optional fields
    what = names[0]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{what} is not a string ({type(value).__name__})")
    value = _check_string(str(value).strip(), what)
    if limit is not None and len(value) > limit:
        if what == "id":
            raise ValueError(f"id longer than {limit} characters")
        value = value[:limit]  # as feed titles are
    return value


def join_title(title: str, summary: str) -> str:
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
        {
            "address",
            "article",
            "aside",
            "blockquote",
            "br",
            "dd",
            "div",
            "dl",
            "dt",
            "figcaption",
            "footer",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "header",
            "hr",
            "li",
            "ol",
            "p",
            "pre",
            "section",
            "table",
            "td",
            "th",
            "tr",
            "ul",
        }
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


def split_lines(text: str) -> list[str]:
    """Lines split on newlines only: news text may hold U+2028 or U+0085, which str.splitlines() breaks on."""
    return [line.rstrip("\r") for line in text.split("\n")]
