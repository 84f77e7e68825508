"""The feed readers on the real seed file and on broken input."""

from __future__ import annotations

from datetime import date

import pytest

from mapdata.errors import InputError
from mapdata.feeds import parse_date, read_file
from mapdata.models import item_id
from support import SEED


def test_seed_file_gives_eleven_dated_items():
    result = read_file(SEED)
    assert result.rejected == []
    assert len(result.items) == 11
    assert {i.date for i in result.items} == {date(2025, 11, 1)}
    assert result.items[0].text.startswith("The European Union has condemned Belarus")
    assert result.items[-1].text.endswith("hybrid warfare.")


def test_ids_are_stable_and_ignore_whitespace():
    a, b = read_file(SEED), read_file(SEED)
    assert [i.id for i in a.items] == [i.id for i in b.items]
    assert item_id(date(2025, 1, 1), "  Poland  closes\tborder ") == item_id(date(2025, 1, 1), "Poland closes border")
    assert item_id(date(2025, 1, 1), "x") != item_id(date(2025, 1, 2), "x")


def test_seed_blocks_leading_spaces_and_bad_dates(tmp_path):
    feed = tmp_path / "feed.txt"
    feed.write_text(
        "   date 2025-03-01\n  First item.\n\nSecond item.\ndate 2025-13-45 Lost item.\ndate 2025-03-02 Third item.\n",
        encoding="utf-8",
    )
    result = read_file(feed)
    assert [(i.text, i.date) for i in result.items] == [
        ("First item.", date(2025, 3, 1)),
        ("Second item.", date(2025, 3, 1)),
        ("Third item.", date(2025, 3, 2)),
    ]
    assert len(result.rejected) == 1
    assert result.rejected[0].line == 5 and "bad date" in result.rejected[0].reason
    assert str(result.rejected[0]).startswith(f"{feed}, line 5")


def test_json_lines_keeps_ids_and_reports_bad_lines(tmp_path):
    feed = tmp_path / "gold.jsonl"
    feed.write_text(
        '{"id": "a1", "date": null, "text": "Belarus and Poland.", "countries": ["BY", "PL"]}\n'
        "{not json\n"
        '{"id": "a2", "date": "2025-02-30", "text": "x"}\n'
        '{"id": "a3", "text": ""}\n'
        "[1, 2]\n",
        encoding="utf-8",
    )
    result = read_file(feed)
    assert [(i.id, i.date) for i in result.items] == [("a1", None)]
    assert [r.line for r in result.rejected] == [2, 3, 4, 5]
    assert "not valid JSON" in result.rejected[0].reason
    assert "no text" in result.rejected[2].reason


def test_csv_with_common_column_names(tmp_path):
    feed = tmp_path / "news.csv"
    feed.write_text(
        'published,title,summary,link\n"Sat, 01 Nov 2025 10:00:00 +0000",Poland closes border,"Trains stop.",https://example.org/a\n',
        encoding="utf-8",
    )
    result = read_file(feed)
    assert result.rejected == []
    (item,) = result.items
    assert item.date == date(2025, 11, 1)
    assert item.text == "Poland closes border. Trains stop."  # "title. summary", the summary's own full stop kept
    assert item.url == "https://example.org/a"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-11-01", date(2025, 11, 1)),
        ("2025-11-01T23:30:00-02:00", date(2025, 11, 2)),
        ("Sat, 01 Nov 2025 10:00:00 GMT", date(2025, 11, 1)),
        ("1 November 2025", date(2025, 11, 1)),
        ("", None),
    ],
)
def test_dates_in_feed_forms(raw, expected):
    assert parse_date(raw) == expected


def test_impossible_date_is_an_error():
    with pytest.raises(ValueError):
        parse_date("2025-13-45")


def test_unreadable_files_name_the_file(tmp_path):
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(InputError, match=r"blob\.txt: binary data"):
        read_file(binary)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("date 2025-01-01\nS\xe3o Paulo".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin.txt, line 2: not UTF-8"):
        read_file(latin)
    with pytest.raises(InputError, match="cannot read"):
        read_file(tmp_path / "missing.txt")


def test_unicode_line_separators_inside_items_do_not_split_them(tmp_path):
    feed = tmp_path / "odd.jsonl"
    feed.write_text('{"id": "x", "date": "2025-01-01", "text": "Chile\u2028and Peru\x85met."}\n', encoding="utf-8")
    result = read_file(feed)
    assert result.rejected == [] and len(result.items) == 1
