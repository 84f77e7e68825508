"""Read news feeds (seed text, JSON Lines, JSON arrays, CSV/TSV, RSS/Atom; files or http(s) URLs) into Items.

Every rejected record is reported with its file (or URL) and its line or entry number, and why. One module per
job: `base` (what a reader returns), `dates`, `text` (field checks), one module per family of formats
(`records` for the seed format and JSON, `tables` for CSV/TSV, `syndication` for RSS/Atom), `detect` (which
format a file is, and reading it whole) and `fetch` (http(s), bounded in time and size).
"""

from .base import MAX_ID_CHARS, MAX_ITEM_CHARS, MAX_SOURCE_CHARS, Read, ReadResult, Rejection, collect
from .dates import parse_date
from .detect import (
    detect_format,
    finished,
    iter_batches,
    iter_file,
    iter_source,
    parsed,
    read_fetched,
    read_file,
    read_source,
)
from .fetch import FETCH_TIMEOUT, MAX_FETCH_BYTES, Fetched, fetch, fetch_if_changed
from .records import (
    Lines,
    iter_json_lines,
    iter_seed_text,
    read_json_array,
    read_json_lines,
    read_seed_text,
    record_item,
)
from .syndication import read_feed
from .tables import iter_csv, read_csv
from .text import html_to_text, split_lines

__all__ = [
    "FETCH_TIMEOUT",
    "MAX_FETCH_BYTES",
    "MAX_ID_CHARS",
    "MAX_ITEM_CHARS",
    "MAX_SOURCE_CHARS",
    "Fetched",
    "Lines",
    "Read",
    "ReadResult",
    "Rejection",
    "collect",
    "detect_format",
    "fetch",
    "fetch_if_changed",
    "finished",
    "html_to_text",
    "iter_batches",
    "iter_csv",
    "iter_file",
    "iter_json_lines",
    "iter_seed_text",
    "iter_source",
    "parse_date",
    "parsed",
    "read_csv",
    "read_feed",
    "read_fetched",
    "read_file",
    "read_json_array",
    "read_json_lines",
    "read_seed_text",
    "read_source",
    "record_item",
    "split_lines",
]
