"""Exports that are safe to open: no cell of a CSV the project writes starts a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mapdata import export
from mapdata.ingest import ingest_paths
from mapdata.store import load_frames
from support import mapdata

HOSTILE = [
    '=HYPERLINK("http://127.0.0.1:9/?"&A1,"Poland") Poland closed the border with Belarus.',
    '+cmd|" /C calc"!A0 Russia and Belarus held joint drills near Brest.',
    "@SUM(1+1)*cmd|' /C calc'!A0 Lithuania recalled its ambassador from Minsk.",
    "-2+3+cmd|' /C calc'!A0 Estonia expelled a Russian diplomat.",
    "\tTab first: Latvia closed a crossing.",
]
STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Poland", "Poland"),
        ("", ""),
        ("-0.25", "-0.25"),
        ("2025-11-01", "2025-11-01"),
    ],
)
def test_a_cell_that_would_start_a_formula_is_made_text(value, safe):
    assert export.safe_cell(value) == safe


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_export_runs_no_formula_and_keeps_every_text(engine, tmp_path):
    feed = tmp_path / "hostile.jsonl"
    feed.write_text(
        "".join(
            json.dumps({"date": "2025-11-01", "text": t, "source": "=evil()", "url": "-x"}) + "\n" for t in HOSTILE
        ),
        encoding="utf-8",
    )
    ingest_paths(engine, [feed])
    rows = rows_of(export.to_csv(load_frames(engine)))
    assert len(rows) == 1 + len(HOSTILE)
    assert not [c for r in rows[1:] for c in r if c.startswith(STARTS)]
    texts = {r[rows[0].index("text")] for r in rows[1:]}
    stored = [" ".join(t.split()) for t in HOSTILE]  # as stored: whitespace collapsed, so the tab is gone
    assert texts == {"'" + t if t.startswith(STARTS) else t for t in stored}  # each text whole, after one quote
    assert {r[rows[0].index("source")] for r in rows[1:]} == {"'=evil()"}


def test_the_cli_export_is_safe_too(tmp_path):
    feed = tmp_path / "hostile.jsonl"
    feed.write_text("".join(json.dumps({"date": "2025-11-01", "text": t}) + "\n" for t in HOSTILE), encoding="utf-8")
    env = {"MAPDATA_DB_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    assert mapdata("ingest", "--no-snapshot", str(feed), env=env).returncode == 0
    out = mapdata("export", "--format", "csv", env=env)
    rows = rows_of(out.stdout)
    assert len(rows) == 1 + len(HOSTILE) and not [c for r in rows[1:] for c in r if c.startswith(STARTS)]
