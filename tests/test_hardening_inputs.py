"""Hardening, part 1: a corpus of bad inputs GENERATED in tmp_path (nothing committed), fed to the ingest.

For every file: `ingest_paths` must not raise; every rejection names the file, the line (or feed entry)
and a reason; exactly the valid records are stored; and a second connection finds the store whole (no
orphan rows, every stored item has exactly the tag/topic/relation rows its tagging gives, counts equal what
the ingest reported). A sample also goes through `python -m mapdata.cli ingest` (no traceback, exit codes
0 ok / 1 rejected / 2 fatal), a million short lines go through the CLI under a time and memory bound, and the
Data page shows rejections (AppTest paste path here; the upload path in test_hardening_browser.py).

The counts are printed (visible without -s):  HARDENING inputs: ...
"""

from __future__ import annotations

import codecs
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from support import ROOT, check_store, count_items, free_port, report

# ------------------------------------------------------------------------------------------- the corpus

SENTENCES = [
    "Chile and Peru signed a fisheries agreement in Lima",
    "Poland closed two border crossings with Belarus",
    "Japan and South Korea held talks in Busan on trade",
    "Kenya accused Ethiopia of moving troops to the border",
    "Brazil and Argentina agreed to cooperate on energy",
    "France condemned Russia over a cyber attack",
]
_serial = iter(range(1, 10**6))


def good(extra: str = "") -> str:
    """A valid, unique news sentence (so that no two cases store the same item)."""
    n = next(_serial)
    return f"{SENTENCES[n % len(SENTENCES)]}{extra} (ref {n})."


def seed(*lines: str, day: str = "2025-11-01") -> str:
    return "\n".join([f"date {day}", *lines]) + "\n"


def jl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def rec(text_value: object = None, day: object = "2025-11-01", **extra) -> dict:
    out = {"date": day, "text": good() if text_value is None else text_value}
    out.update(extra)
    return out


def rss(*items: str, head: str = '<?xml version="1.0" encoding="UTF-8"?>\n') -> str:
    return head + '<rss version="2.0"><channel><title>Wire</title>' + "".join(items) + "</channel></rss>\n"


def rss_item(
    title: str | None = None, day: str = "Mon, 03 Nov 2025 10:00:00 GMT", link: str = "https://n.example/1"
) -> str:
    title = good() if title is None else title
    return f"<item><title>{title}</title><link>{link}</link><pubDate>{day}</pubDate></item>"


@dataclass
class Case:
    """One generated bad input and what the ingest must make of it."""

    name: str
    filename: str
    data: bytes | None  # None: `make` writes the file
    valid: int  # items that must be stored
    rejected: int | None = None  # exact number of rejections, when known
    min_rejected: int = 0
    present: int = 0
    lines: list[int] | None = None  # the lines (or entries) the rejections must name, in order
    file_level: bool = False  # a verdict on the whole file (binary, UTF-16 without BOM, not a feed): no line needed
    reason: str = ""  # a regular expression every rejection reason must match
    make: object = None
    cli: bool = False  # also run through `python -m mapdata.cli ingest`


def _u(text_value: str) -> bytes:
    return text_value.encode("utf-8")


def big_line(path: Path, prefix: str, body_char: str, suffix: str, size: int = 10 * 1024 * 1024) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(prefix)
        handle.write(body_char * size)
        handle.write(suffix)


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>
<pubDate>Mon, 03 Nov 2025 10:00:00 GMT</pubDate></item></channel></rss>
"""
QUADRATIC = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + "x" * 50_000 + '">]>\n<rss version="2.0"><channel>'
    "<item><title>" + "&a;" * 5_000 + "</title><pubDate>Mon, 03 Nov 2025 10:00:00 GMT</pubDate></item></channel></rss>"
)
PARAMETER_BOMB = '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % p "<!ENTITY b \'bomb\'>"> %p;]>\n' + rss(
    rss_item(), head=""
)

SCRIPTS = {
    "arabic": "أعلنت مصر والأردن اتفاقا جديدا للتعاون في الطاقة",
    "hebrew": "ישראל וקפריסין חתמו על הסכם גז טבעי",
    "chinese": "中国和越南在河内举行边境贸易会谈",
    "cyrillic": "Россия и Казахстан подписали соглашение о границе",
    "devanagari": "भारत और नेपाल ने सीमा व्यापार पर बातचीत की",
    "greek": "Η Ελλάδα και η Κύπρος υπέγραψαν συμφωνία ενέργειας",
    "thai": "ไทยและกัมพูชาเปิดจุดผ่านแดนอีกครั้ง",
    "japanese": "日本と韓国が釜山で通商協議を行った",
    "korean": "한국과 일본이 부산에서 무역 회담을 열었다",
    "georgian": "საქართველო და სომხეთი ხელს აწერენ შეთანხმებას",
    "armenian": "Հայաստանը և Վրաստանը ստորագրեցին համաձայնագիր",
    "ethiopic": "ኢትዮጵያ እና ኬንያ የድንበር ንግድ ተወያዩ",
    "tamil": "இந்தியா மற்றும் இலங்கை மீன்பிடி ஒப்பந்தம்",
}


def build_cases() -> list[Case]:
    rnd = random.Random(20251101)
    cases: list[Case] = []

    def add(name: str, filename: str, data: bytes | str | None, valid: int, **kw) -> None:
        cases.append(Case(name, filename, _u(data) if isinstance(data, str) else data, valid, **kw))

    # --- empty, whitespace, BOMs
    for ext, rejected in ((".txt", 0), (".csv", 1), (".jsonl", 0), (".json", 0), (".xml", 1), ("", 0)):
        add(
            f"empty{ext or '-noext'}",
            f"empty{ext}",
            b"",
            0,
            rejected=rejected,
            cli=ext in (".csv", ".xml"),
            file_level=ext == ".xml",
        )
    for ext, rejected in ((".txt", 0), (".csv", 1), (".jsonl", 0), (".json", 0), (".xml", 1), ("", 0)):
        add(
            f"whitespace{ext or '-noext'}",
            f"blank{ext}",
            " \t\n\r\n   \n\t\t\n",
            0,
            rejected=rejected,
            file_level=ext == ".xml",
        )
    add("nbsp-and-ideographic-space-lines", "spaces.txt", seed("\u00a0\u3000", "\u2003"), 0, rejected=0)
    add("bom-only", "bom.txt", codecs.BOM_UTF8, 0, rejected=0)
    add("bom-seed", "bom-seed.txt", codecs.BOM_UTF8 + _u(seed(good(), good())), 2, rejected=0)
    add("bom-csv", "bom.csv", codecs.BOM_UTF8 + _u(f"date,text\n2025-11-01,{good()}\n"), 1, rejected=0)
    add("bom-jsonl", "bom.jsonl", codecs.BOM_UTF8 + _u(jl(rec(), rec())), 2, rejected=0)
    add("bom-json-array", "bom.json", codecs.BOM_UTF8 + _u(json.dumps([rec()])), 1, rejected=0)
    add("bom-rss", "bom.xml", codecs.BOM_UTF8 + _u(rss(rss_item())), 1, rejected=0)
    add("bom-in-middle-of-line", "midbom.txt", seed(f"\ufeff{good()}"), 1, rejected=0)

    # --- UTF-16 with and without a byte-order mark
    for enc, label in (("utf-16", "le-bom"), ("utf-16-be", "be-bom")):
        bom = b"" if enc == "utf-16" else codecs.BOM_UTF16_BE
        add(
            f"utf16-{label}-seed",
            f"u16{label}.txt",
            bom + seed(good(), good()).encode(enc),
            2,
            rejected=0,
            cli=label == "le-bom",
        )
        add(
            f"utf16-{label}-csv",
            f"u16{label}.csv",
            bom + f"date,text\n2025-11-01,{good()}\n".encode(enc),
            1,
            rejected=0,
        )
        add(f"utf16-{label}-jsonl", f"u16{label}.jsonl", bom + jl(rec()).encode(enc), 1, rejected=0)
    add(
        "utf16-bom-xml",
        "u16.xml",
        rss(rss_item(), head='<?xml version="1.0" encoding="UTF-16"?>\n').encode("utf-16"),
        1,
        rejected=0,
    )
    add("utf16-bom-odd-length", "u16odd.txt", seed(good()).encode("utf-16") + b"\x00", 0, rejected=1, lines=[3])
    add(
        "utf16-bom-lone-surrogate",
        "u16sur.txt",
        codecs.BOM_UTF16_LE + seed("x").encode("utf-16-le") + b"\x00\xd8\x41\x00",
        0,
        rejected=1,
    )
    for ext in (".txt", ".csv", ".jsonl", ""):
        body = (
            seed(good()) if ext in (".txt", "") else f"date,text\n2025-11-01,{good()}\n" if ext == ".csv" else jl(rec())
        )
        add(
            f"utf16-no-bom{ext or '-noext'}",
            f"u16nobom{ext}",
            body.encode("utf-16-le"),
            0,
            rejected=1,
            file_level=True,
            reason="UTF-16",
            cli=ext == ".csv",
        )
    add(
        "utf16-be-no-bom",
        "u16benobom.txt",
        seed(good()).encode("utf-16-be"),
        0,
        rejected=1,
        file_level=True,
        reason="UTF-16",
    )

    # --- Latin-1, Windows-1252 and other non-UTF-8 bytes
    latin = "São Paulo: Brasil e Portugal assinaram um acordo de cooperação"
    add("latin1-seed", "latin1.txt", seed(latin).encode("latin-1"), 0, rejected=1, lines=[2], reason="UTF-8", cli=True)
    add(
        "latin1-csv",
        "latin1.csv",
        f"date,text\n2025-11-01,{latin}\n".encode("latin-1"),
        0,
        rejected=1,
        lines=[2],
        reason="UTF-8",
    )
    add("latin1-jsonl", "latin1.jsonl", jl(rec(latin)).encode("latin-1"), 0, rejected=1, lines=[1], reason="UTF-8")
    add(
        "latin1-json",
        "latin1.json",
        json.dumps([rec(latin)], ensure_ascii=False).encode("latin-1"),
        0,
        rejected=1,
        lines=[1],
        reason="UTF-8",
    )
    add(
        "latin1-xml-declared",
        "latin1.xml",
        rss(rss_item(latin + " (ref x1)"), head='<?xml version="1.0" encoding="ISO-8859-1"?>\n').encode("latin-1"),
        1,
        rejected=0,
    )
    add(
        "cp1252-smart-quotes",
        "cp1252.txt",
        seed(f"\u201cPoland\u201d closed the border {good()}").encode("cp1252"),
        0,
        rejected=1,
        lines=[2],
    )
    add(
        "latin1-deep-in-file",
        "latin1deep.txt",
        _u(seed(*[good() for _ in range(30)])) + "Ça va\n".encode("latin-1"),
        0,
        rejected=1,
        lines=[32],
        reason="UTF-8",
    )
    add("overlong-utf8", "overlong.txt", b"date 2025-11-01\nPoland \xc0\xaf closed\n", 0, rejected=1, lines=[2])
    add(
        "encoded-surrogate-utf8", "cesu.txt", b"date 2025-11-01\nPoland \xed\xa0\x80 closed\n", 0, rejected=1, lines=[2]
    )
    add("truncated-utf8-at-eof", "trunc.txt", _u(seed(good())) + b"\xe2\x82", 0, rejected=1, lines=[3])

    # --- binary data and NUL bytes
    for ext in (".txt", ".csv", ".jsonl", ".json", ".xml", ""):
        add(
            f"random-bytes{ext or '-noext'}",
            f"random{ext}",
            bytes(rnd.randrange(256) for _ in range(20_000)),
            0,
            rejected=1,
            file_level=True,
            reason="binary|UTF-8|UTF-16|JSON|XML|well-formed",
            cli=ext == ".xml",
        )
    add(
        "high-bytes-no-nul",
        "high.txt",
        bytes(rnd.randrange(128, 256) for _ in range(5000)),
        0,
        rejected=1,
        lines=[1],
        reason="UTF-8",
    )
    add(
        "png-as-csv",
        "image.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
        0,
        rejected=1,
        file_level=True,
        reason="binary",
    )
    add(
        "gzip-as-jsonl",
        "feed.jsonl",
        b"\x1f\x8b\x08\x00" + bytes(rnd.randrange(256) for _ in range(3000)),
        0,
        rejected=1,
        file_level=True,
        reason="binary|UTF-8|JSON",
    )
    add("zip-as-xml", "feed.zip.xml", b"PK\x03\x04" + bytes(100), 0, rejected=1, file_level=True, reason="binary")
    add("elf-no-ext", "program", b"\x7fELF\x02\x01\x01" + bytes(64), 0, rejected=1, file_level=True, reason="binary")
    add(
        "nul-early",
        "nul.txt",
        _u(seed(good())) + b"\x00\x00" + _u(good()),
        0,
        rejected=1,
        file_level=True,
        reason="binary",
    )
    pad = [good() for _ in range(100)]  # past the 4 KB in which a NUL means binary data
    add(
        "nul-late-seed",
        "nullate.txt",
        _u(seed(*pad)) + b"Poland\x00closed\n" + _u(good() + "\n"),
        101,
        rejected=1,
        lines=[102],
        reason="NUL",
    )
    add(
        "nul-late-csv",
        "nullate.csv",
        _u("date,text\n" + "".join(f"2025-11-01,{good()}\n" for _ in range(80))) + b"2025-11-01,Chile\x00Peru\n",
        80,
        rejected=1,
        lines=[82],
        reason="NUL",
    )
    add(
        "nul-escaped-in-json-text",
        "nul.jsonl",
        jl(rec("Chile\u0000Peru"), rec()),
        1,
        rejected=1,
        lines=[1],
        reason="NUL",
    )
    add(
        "nul-in-json-source-and-url",
        "nulsrc.jsonl",
        jl(rec(source="Wire\u0000"), rec(url="https://x.example/\u0000"), rec(id="a\u0000b"), rec()),
        1,
        rejected=3,
        lines=[1, 2, 3],
        reason="NUL",
        cli=True,
    )

    # --- 10 MB on one line (a million short lines: test_a_million_short_lines_stream_through_the_cli)
    ten = 10 * 1024 * 1024
    add(
        "10mb-line-seed",
        "ten.txt",
        None,
        1,
        rejected=1,
        lines=[2],
        reason="longer than",
        make=lambda p: big_line(p, "date 2025-11-01\n", "x", f"\n{good()}\n"),
    )
    add(
        "10mb-line-noext",
        "ten",
        None,
        0,
        rejected=1,
        lines=[1],
        make=lambda p: big_line(p, "", "Poland ", "\n", ten // 7),
    )
    add(
        "10mb-line-csv",
        "ten.csv",
        None,
        1,
        rejected=1,
        lines=[2],
        make=lambda p: big_line(p, "date,text\n2025-11-01,", "x", f"\n2025-11-01,{good()}\n"),
    )
    add(
        "10mb-header-csv", "tenhead.csv", None, 0, rejected=1, lines=[1], make=lambda p: big_line(p, "date,", "t", "\n")
    )
    add(
        "10mb-quotes-csv",
        "tenquote.csv",
        None,
        0,
        min_rejected=1,
        make=lambda p: big_line(p, "date,text\n2025-11-01,", ',"', "\n", ten // 2),
    )
    add(
        "10mb-line-jsonl",
        "ten.jsonl",
        None,
        1,
        rejected=1,
        lines=[1],
        reason="longer than",
        make=lambda p: big_line(p, '{"date": "2025-11-01", "text": "', "x", f'"}}\n{json.dumps(rec())}\n'),
    )
    add(
        "10mb-json-array",
        "ten.json",
        None,
        0,
        rejected=1,
        lines=[1],
        make=lambda p: big_line(p, '[{"date": "2025-11-01", "text": "', "y", '"}]'),
    )
    add(
        "10mb-line-xml",
        "ten.xml",
        None,
        1,
        rejected=1,
        lines=[1],
        make=lambda p: big_line(
            p,
            '<rss version="2.0"><channel><item><title>',
            "z",
            f"</title><pubDate>Mon, 03 Nov 2025 10:00:00 GMT</pubDate></item>{rss_item()}</channel></rss>",
        ),
    )

    # --- malformed CSV
    g1, g2, g3 = good(), good(), good()
    add(
        "csv-unbalanced-quote-middle",
        "unbal.csv",
        f'date,text\n2025-11-01,"{g1}\n2025-11-01,{g2}\n2025-11-01,{g3}\n',
        2,
        rejected=1,
        lines=[2],
        reason="quote",
        cli=True,
    )
    add(
        "csv-unclosed-quote-on-last-line-alone",
        "unbal-last.csv",
        f'date,text\n2025-11-01,{good()}\n2025-11-01,"{good()}\n',
        2,
        rejected=0,
    )  # it swallowed nothing but its own line end: read as written
    add(
        "csv-unclosed-quote-swallows-the-rest",
        "unbal-rest.csv",
        "date,text\n"
        + f'2025-11-01,"{good()}\n'
        + "".join(f"2025-11-01,{good()}\n" for _ in range(5))
        + f'2025-11-01,"{good()}\n',
        6,
        rejected=1,
        lines=[2],
        reason="quote",
    )
    add(
        "csv-unbalanced-quote-in-header",
        "unbal-head.csv",
        f'date,"text\n2025-11-01,{good()}\n',
        0,
        min_rejected=1,
        lines=[1],
    )
    add(
        "csv-quoted-newline-valid",
        "multiline.csv",
        f'date,text\n2025-11-01,"{good()}\nsecond line"\n2025-11-01,{good()}\n',
        2,
        rejected=0,
    )
    add("csv-stray-quote-mid-field", "stray.csv", f'date,text\n2025-11-01,He said "no {good()}\n', 1, rejected=0)
    add(
        "csv-ragged-more-fields",
        "ragged.csv",
        f"date,text\n2025-11-01,{good()},extra,more\n2025-11-01,{good()}\n",
        1,
        rejected=1,
        lines=[2],
        reason="more fields",
    )
    add(
        "csv-missing-columns",
        "missing.csv",
        f"date,text,source\n2025-11-01\n{good()}\n2025-11-01,{good()}\n",
        1,
        rejected=2,
        lines=[2, 3],
    )
    add("csv-header-only", "header.csv", "date,text\n", 0, rejected=0)
    add(
        "csv-no-text-column",
        "notext.csv",
        "date,headline_id\n2025-11-01,4\n",
        0,
        rejected=1,
        lines=[1],
        reason="no text column",
    )
    add(
        "csv-no-date-column", "nodate.csv", f"text\n{good()}\n{good()}\n", 0, rejected=2, lines=[2, 3], reason="no date"
    )
    add(
        "csv-empty-text-cells",
        "emptycells.csv",
        f'date,text\n2025-11-01,\n2025-11-01,""\n2025-11-01,"   "\n2025-11-01,{good()}\n',
        1,
        rejected=3,
        lines=[2, 3, 4],
        reason="no text",
    )
    add("csv-semicolon-pipe-tab", "semi.csv", f"date;text\n2025-11-01;{good()}\n", 1, rejected=0)
    add("csv-pipe", "pipe.csv", f"date|text\n2025-11-01|{good()}\n", 1, rejected=0)
    add("tsv-with-commas", "tabs.tsv", f"date\ttext\n2025-11-01\t{good(', with commas, inside')}\n", 1, rejected=0)
    add("csv-cr-only-and-crlf", "eol.csv", f"date,text\r2025-11-01,{good()}\r\n2025-11-01,{good()}\r", 2, rejected=0)
    add(
        "csv-blank-lines-between",
        "blanks.csv",
        f"date,text\n\n2025-11-01,{good()}\n\n\n2025-11-01,{good()}\n",
        2,
        rejected=0,
    )
    add(
        "csv-duplicate-and-empty-header-names",
        "dupcols.csv",
        f"date,text,text,,\n2025-11-01,{good()},{good()},,\n",
        1,
        rejected=0,
    )
    add(
        "csv-field-over-128k",
        "hugefield.csv",
        "date,text\n2025-11-01," + "w" * 140_000 + f"\n2025-11-01,{good()}\n",
        1,
        rejected=1,
        lines=[2],
    )
    add(
        "csv-formula-injection",
        "formula.csv",
        f'date,text\n2025-11-01,"=HYPERLINK(""http://x"",""{good()}"")"\n',
        1,
        rejected=0,
    )
    add(
        "csv-bad-dates",
        "baddates.csv",
        cli=True,
        data="date,text\n2025-13-45,a\n2025-02-30,b\n2999-01-01,c\n1850-06-01,d\n0000-00-00,e\nyesterday,f\n",
        valid=0,
        rejected=6,
        lines=[2, 3, 4, 5, 6, 7],
    )

    # --- malformed JSON Lines and JSON
    add(
        "jsonl-truncated-and-trailing-comma",
        "broken.jsonl",
        jl(
            rec(),
            '{"date": "2025-11-01", "text": "cut',
            '{"date": "2025-11-01", "text": "x",}',
            "{'text': 'single'}",
            rec(),
        ),
        2,
        rejected=3,
        lines=[2, 3, 4],
        reason="JSON",
        cli=True,
    )
    add(
        "jsonl-non-objects",
        "nonobj.jsonl",
        jl("[1, 2]", '"a string"', "42", "null", "true", rec()),
        1,
        rejected=5,
        lines=[1, 2, 3, 4, 5],
        reason="not a JSON object",
    )
    add(
        "jsonl-wrong-types",
        "types.jsonl",
        jl(
            rec(42),
            rec(["a"]),
            rec({"a": 1}),
            {"date": "2025-11-01", "text": None},
            rec(day={"y": 2025}),
            rec(day=[2025, 11, 1]),
            rec(day=True),
            rec(),
        ),
        1,
        rejected=7,
        lines=[1, 2, 3, 4, 5, 6, 7],
    )
    add(
        "jsonl-bad-ids",
        "ids.jsonl",
        jl(rec(id="i" * 65), rec(id=["x"]), rec(id={"a": 1}), rec(id=12345), rec(id="ok-id")),
        2,
        rejected=3,
        lines=[1, 2, 3],
        reason="id",
    )
    add(
        "jsonl-long-source-and-url-types",
        "srcs.jsonl",
        jl(rec(source="s" * 500), rec(source=["x"]), rec(url={"u": 1}), rec(url=5)),
        2,
        rejected=2,
        lines=[2, 3],
    )
    add(
        "jsonl-lone-surrogates",
        "surrogate.jsonl",
        jl(
            '{"date": "2025-11-01", "text": "Poland \\ud800 closed the border"}',
            '{"date": "2025-11-01", "text": "Chile", "source": "\\udfff"}',
            rec(),
            '{"date": "2025-11-01", "text": "ok \\ud83d\\ude00 (ref sp)"}',
        ),
        2,
        rejected=2,
        lines=[1, 2],
        reason="Unicode|surrogate",
        cli=True,
    )
    add("jsonl-deep-nesting", "deep.jsonl", jl("[" * 100_000, '{"a":' * 50_000, rec()), 1, rejected=2, lines=[1, 2])
    add(
        "jsonl-huge-integer",
        "bigint.jsonl",
        jl('{"date": "2025-11-01", "text": "x", "id": ' + "9" * 5000 + "}", rec()),
        1,
        rejected=1,
        lines=[1],
    )
    add(
        "jsonl-nan-infinity",
        "nan.jsonl",
        jl('{"date": NaN, "text": "Chile"}', '{"date": Infinity, "text": "Chile"}', rec()),
        1,
        rejected=2,
        lines=[1, 2],
    )
    add(
        "jsonl-duplicate-keys",
        "dupkeys.jsonl",
        jl('{"text": "' + good() + '", "text": "", "date": "2025-11-01"}', rec()),
        1,
        rejected=1,
        lines=[1],
    )
    add(
        "json-array-of-non-objects",
        "nonobj.json",
        json.dumps([1, "two", None, [3], True, rec()]),
        1,
        rejected=5,
        lines=[1, 2, 3, 4, 5],
        reason="not a JSON object",
    )
    add(
        "json-object-not-array",
        "object.json",
        '{"items": [' + json.dumps(rec()) + "]}",
        0,
        rejected=1,
        lines=[1],
        reason="no text",
    )
    add("json-scalar", "scalar.json", "42", 0, rejected=1, lines=[1])
    add(
        "json-array-truncated",
        "trunc.json",
        "[" + json.dumps(rec()) + ",\n" + json.dumps(rec())[:20],
        0,
        rejected=1,
        lines=[2],
        reason="JSON",
    )
    add(
        "json-array-trailing-garbage",
        "garbage.json",
        json.dumps([rec()]) + "\n]]] trailing",
        0,
        rejected=1,
        lines=[2],
        reason="JSON",
    )
    add("json-array-deep", "deep.json", "[" * 100_000 + "]" * 100_000, 0, rejected=1, lines=[1])
    add("json-empty-array", "emptyarr.json", "[]", 0, rejected=0)

    # --- malformed and hostile XML
    add("xml-unclosed-tags", "unclosed.xml", rss(rss_item())[:-30], 0, rejected=1, lines=[2], reason="well-formed")
    add(
        "xml-mismatched-tags",
        "mismatch.xml",
        '<rss version="2.0"><channel><item><title>a</item></channel></rss>',
        0,
        rejected=1,
        lines=[1],
        reason="well-formed",
    )
    add("xml-garbage-after-root", "after.xml", rss(rss_item()) + "<rss/>", 0, rejected=1, lines=[3])
    add(
        "xml-not-a-feed-svg",
        "image.svg.xml",
        '<svg xmlns="http://www.w3.org/2000/svg"><text>Chile</text></svg>',
        0,
        rejected=1,
        file_level=True,
        reason="not an RSS or Atom feed",
    )
    add(
        "xml-not-a-feed-sitemap",
        "sitemap.xml",
        '<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x</loc></url></urlset>',
        0,
        rejected=1,
        file_level=True,
        reason="not an RSS or Atom feed",
    )
    add(
        "html-page-as-xml",
        "page.xml",
        "<!DOCTYPE html><html><body><p>Chile and Peru</p><br></body></html>",
        0,
        rejected=1,
        lines=[1],
    )
    add("xml-billion-laughs", "bomb.xml", BOMB, 0, rejected=1, lines=[2], reason="ENTITY", cli=True)
    add(
        "xml-billion-laughs-utf16",
        "bomb16.xml",
        BOMB.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"),
        0,
        rejected=1,
        lines=[2],
        reason="ENTITY",
    )
    add("xml-quadratic-blowup", "quadratic.xml", QUADRATIC, 0, rejected=1, lines=[2], reason="ENTITY")
    add("xml-parameter-entity", "param.xml", PARAMETER_BOMB, 0, rejected=1, lines=[2], reason="ENTITY")
    add(
        "xml-unknown-encoding",
        "klingon.xml",
        rss(rss_item(), head='<?xml version="1.0" encoding="klingon"?>\n'),
        1,
        rejected=0,
    )
    add(
        "xml-deep-nesting",
        "deepx.xml",
        '<rss version="2.0"><channel>' + "<item><title>" * 20_000,
        0,
        rejected=1,
        lines=[1],
    )
    add("xml-undefined-entity", "undef.xml", rss(rss_item("Chile &nbsp; Peru &bogus;")), 0, rejected=1, lines=[2])
    add(
        "rss-items-without-date-or-text",
        "nodate.xml",
        rss(
            "<item><title>" + good() + "</title></item>",
            "<item><pubDate>Mon, 03 Nov 2025 10:00:00 GMT</pubDate></item>",
            rss_item(),
        ),
        1,
        rejected=2,
        lines=[1, 2],
    )
    add(
        "rss-bad-dates",
        "baddates.xml",
        rss(
            rss_item(day="Mon, 45 Nov 2025 10:00:00 GMT"),
            rss_item(day="Fri, 01 Jan 2999 00:00:00 GMT"),
            rss_item(day="Mon, 01 Jan 0001 00:00:00 +0100"),
            rss_item(day="not a date at all"),
            rss_item(day="2025-13-45"),
        ),
        0,
        rejected=5,
        lines=[1, 2, 3, 4, 5],
    )
    add(
        "atom-bad-and-good",
        "feed.atom",
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        f"<entry><title>{good()}</title><updated>2025-11-01T10:00:00Z</updated></entry>"
        f"<entry><title>{good()}</title><updated>2025-11-01T99:00:00Z</updated></entry>"
        "<entry><title></title><updated>2025-11-01T10:00:00Z</updated></entry></feed>",
        1,
        rejected=2,
        lines=[2, 3],
    )
    add(
        "rss-script-in-cdata",
        "cdata.xml",
        rss(
            f"<item><title><![CDATA[{good()} <script>window.__pwned=1</script>]]></title>"
            "<pubDate>Mon, 03 Nov 2025 10:00:00 GMT</pubDate></item>"
        ),
        1,
        rejected=0,
    )

    # --- dates
    add(
        "seed-impossible-dates",
        "dates.txt",
        "date 2025-13-45 A.\ndate 2025-02-30\nNo date now.\ndate 2025-11-31 B.\ndate 2025-00-10 C.\n",
        0,
        rejected=5,
        lines=[1, 2, 3, 4, 5],
        cli=True,
    )
    add(
        "seed-far-future-and-past",
        "fardates.txt",
        "date 2999-01-01 A.\ndate 9999-12-31 B.\ndate 1899-12-31 C.\ndate 0001-01-01 D.\ndate 1000-01-01 E.\n",
        0,
        rejected=5,
        lines=[1, 2, 3, 4, 5],
        reason="future|before 1900",
    )
    add(
        "jsonl-extreme-timestamps",
        "stamps.jsonl",
        jl(
            rec(day="0001-01-01T00:00:00+01:00"),
            rec(day="9999-12-31T23:59:59-01:00"),
            rec(day="10000-01-01"),
            rec(day="2025-11-01T24:00:00"),
            rec(day="Mon, 01 Jan 0001 00:00:00 +0100"),
            rec(day=1_700_000_000),
            rec(day="-2025-11-01"),
            rec(day="2025-11-01T10:00:00+99:00"),
            rec(),
        ),
        1,
        rejected=8,
        lines=[1, 2, 3, 4, 5, 6, 7, 8],
    )
    add(
        "jsonl-date-forms-valid",
        "forms.jsonl",
        jl(
            rec(day="Sat, 01 Nov 2025 23:30:00 -0200"),
            rec(day="1 November 2025"),
            rec(day="2025-11-01T10:00:00Z"),
            rec(day="November 1, 2025"),
            rec(day="2025/11/01"),
        ),
        5,
        rejected=0,
    )

    # --- missing text, duplicates, long items
    add("seed-dates-without-text", "notext.txt", "date 2025-11-01\n\n   \ndate 2025-11-02\n", 0, rejected=0)
    add(
        "seed-lines-before-any-date",
        "undated.txt",
        f"{good()}\n{good()}\ndate 2025-11-01\n{good()}\n",
        1,
        rejected=2,
        lines=[1, 2],
        reason="no date",
    )
    dup_a, dup_b = good(), good()
    add(
        "jsonl-duplicate-ids-different-text",
        "dupids.jsonl",
        jl(rec(dup_a, id="wire-7"), rec(dup_b, id="wire-7"), rec(id="wire-8"), rec(id="wire-8-b")),
        3,
        rejected=1,
        lines=[2],
        reason="id",
        cli=True,
    )
    same = good()
    add(
        "jsonl-duplicate-same-text",
        "dupsame.jsonl",
        jl(rec(same), rec(same), rec(same, id="s-1"), rec(same, id="s-1")),
        2,
        rejected=0,
        present=2,
    )
    add(
        "csv-duplicate-ids-different-text",
        "dupids.csv",
        f"id,date,text\nc-1,2025-11-01,{good()}\nc-1,2025-11-01,{good()}\n",
        1,
        rejected=1,
        lines=[3],
        reason="id",
    )
    add(
        "json-array-duplicate-ids",
        "dupids.json",
        json.dumps([rec(id="j-1"), rec(id="j-1"), rec(id="j-2")]),
        2,
        rejected=1,
        lines=[2],
        reason="id",
    )
    add(
        "id-already-stored-with-other-text",
        "restored.jsonl",
        jl(rec(id="wire-7"), rec(dup_a, id="wire-7")),
        0,
        rejected=1,
        present=1,
        lines=[1],
        reason="id",
    )
    long_ok = "Chile and Peru signed an agreement. " + "a" * (20_000 - 36 - 10) + " (ref l1)."
    add("item-exactly-at-limit", "limit.jsonl", jl(rec(long_ok[:20_000])), 1, rejected=0)
    add(
        "items-over-limit",
        "overlimit.txt",
        seed("x" * 20_001, "Poland " * 5_000, good()),
        1,
        rejected=2,
        lines=[2, 3],
        reason="longer than",
    )
    add("xml-entry-over-limit", "longentry.xml", rss(rss_item("y" * 30_000), rss_item()), 1, rejected=1, lines=[1])

    # --- control characters, bidi, emoji, scripts
    controls = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\n\r")
    add(
        "seed-control-characters",
        "controls.txt",
        seed(f"Poland{controls}closed {good()}", f"\x7f\x1b[31mred\x1b[0m {good()}", f"C1 \x85 \x9b controls {good()}"),
        3,
        rejected=0,
    )
    add(
        "jsonl-control-characters",
        "controls.jsonl",
        jl(rec(f"Chile\u0007\u0008\u001b Peru {good()}"), rec(f"tab\tvt\u000bff\u000c {good()}")),
        2,
        rejected=0,
    )
    add("csv-control-characters", "controls.csv", f'date,text\n2025-11-01,"bell\x07 esc\x1b {good()}"\n', 1, rejected=0)
    add(
        "line-and-paragraph-separators",
        "seps.txt",
        seed(f"Chile\u2028and\u2029Peru {good()}", f"Next\u0085Line {good()}"),
        2,
        rejected=0,
    )
    add(
        "right-to-left",
        "rtl.txt",
        seed(
            f"{SCRIPTS['arabic']} (ref r1)",
            f"{SCRIPTS['hebrew']} (ref r2)",
            "Poland \u202egninrow\u202c closed \u2067the border\u2069 (ref r3)",
            "\u200f\u200e\u061c mixed marks Chile (ref r4)",
        ),
        4,
        rejected=0,
        cli=True,
    )
    add(
        "emoji",
        "emoji.jsonl",
        jl(
            rec(f"🇵🇱 Poland 🤝 🇨🇱 Chile 👩🏽‍💻🏳️‍🌈 {good()}"),
            rec(f"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 {good()}"),
            rec("🙂" * 5000 + " (ref e3)"),
        ),
        3,
        rejected=0,
    )
    add(
        "many-scripts-seed",
        "scripts.txt",
        seed(*[f"{t} (ref s-{k})" for k, t in SCRIPTS.items()]),
        len(SCRIPTS),
        rejected=0,
    )
    add(
        "many-scripts-csv",
        "scripts.csv",
        "date,text\n" + "".join(f"2025-11-02,{t} (ref c-{k})\n" for k, t in SCRIPTS.items()),
        len(SCRIPTS),
        rejected=0,
    )
    add(
        "many-scripts-rss",
        "scripts.xml",
        rss(*[rss_item(f"{t} (ref x-{k})") for k, t in SCRIPTS.items()]),
        len(SCRIPTS),
        rejected=0,
    )
    add(
        "combining-and-zero-width",
        "combining.txt",
        seed(
            "Sa\u0303o Tome\u0301 (ref z1)",
            "São Tomé (ref z1)",
            "Po\u200bland\u200d closed\ufeff (ref z2)",
            "Z̸̢̛a̴l̶g̷o̸ text (ref z3)",
        ),
        3,
        rejected=0,
        present=1,
    )
    add(
        "unicode-digit-dates",
        "digits.txt",
        "date ٢٠٢٥-١١-٠١ Arabic-Indic digits (ref d1).\ndate ２０２５-１３-０１ bad month.\n",
        1,
        rejected=1,
        lines=[2],
    )
    add(
        "noncharacters-and-private-use",
        "private.jsonl",
        jl(rec(f"\uffff\ufffe\U0010ffff\ue000 {good()}")),
        1,
        rejected=0,
    )

    # --- hostile text (stored as text; part 2 proves it never runs)
    add(
        "hostile-text-all-formats",
        "hostile.jsonl",
        jl(
            rec(
                f"<script>window.__pwned=1</script> {good()}",
                url="javascript:window.__pwned=1",
                source="<img src=x onerror=alert(1)>",
            ),
            rec(
                f"`${{window.__pwned=1}}` {{{{7*7}}}} {{% raw %}} {good()}",
                url="data:text/html,<script>alert(1)</script>",
            ),
        ),
        2,
        rejected=0,
    )

    # --- paths that are not files
    add(
        "nonexistent-file",
        "missing/nothing.txt",
        None,
        0,
        rejected=1,
        file_level=True,
        reason="cannot read",
        make=lambda p: None,
    )
    add("directory", "adir.txt", None, 0, rejected=1, file_level=True, reason="cannot read", make=lambda p: p.mkdir())
    return cases


CASES = build_cases()


# ------------------------------------------------------------------------------------------- checks


def rejection_problems(case: Case, path: Path, rejected: list) -> list[str]:
    """What is wrong with the rejections of one case: counts, file, line, reason."""
    out = []
    if case.rejected is not None and len(rejected) != case.rejected:
        out.append(f"{len(rejected)} rejections, expected {case.rejected}: {[str(r) for r in rejected][:6]}")
    if len(rejected) < case.min_rejected:
        out.append(f"{len(rejected)} rejections, expected at least {case.min_rejected}")
    for r in rejected:
        shown = str(r)
        if r.source != str(path) or path.name not in shown:
            out.append(f"rejection does not name the file: {shown[:200]}")
        if not (r.reason or "").strip():
            out.append(f"rejection without a reason: {shown[:200]}")
        if case.reason and not re.search(case.reason, r.reason, re.IGNORECASE):
            out.append(f"reason {r.reason!r} does not match {case.reason!r}")
        if r.line is None and not case.file_level:
            out.append(f"rejection without a line or entry: {shown[:200]}")
        if "Traceback" in shown:
            out.append(f"traceback in a rejection: {shown[:200]}")
    if case.lines is not None and sorted(r.line for r in rejected) != case.lines:
        out.append(f"rejections name lines {[r.line for r in rejected]}, expected {case.lines}")
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[Case, Path]]:
    """Every case written to its own folder (file names repeat across formats)."""
    root = tmp_path_factory.mktemp("bad-inputs")
    out = []
    for number, case in enumerate(CASES):
        folder = root / f"{number:03d}"
        folder.mkdir()
        path = folder / case.filename
        if case.make is not None:
            case.make(path)
        else:
            path.write_bytes(case.data)
        out.append((case, path))
    return out


def test_corpus_is_large_and_covers_the_issue():
    names = " ".join(c.name for c in CASES)
    assert len(CASES) >= 100, len(CASES)
    for word in (
        "empty",
        "whitespace",
        "bom",
        "utf16-le-bom",
        "utf16-no-bom",
        "latin1",
        "random-bytes",
        "nul",
        "10mb",
        "unbalanced-quote",
        "ragged",
        "missing-columns",
        "jsonl-truncated",
        "json-array-of-non-objects",
        "xml-unclosed",
        "not-a-feed",
        "billion-laughs",
        "impossible-dates",
        "far-future",
        "dates-without-text",
        "duplicate-ids",
        "over-limit",
        "control-characters",
        "right-to-left",
        "emoji",
        "many-scripts",
    ):
        assert word in names, word
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.slow
def test_every_bad_input_is_reported_and_nothing_is_lost_or_half_stored(corpus, any_db_url, capsys):
    """On SQLite and on PostgreSQL (which refuses NUL characters and over-long ids or sources that SQLite keeps)."""
    from mapdata import store
    from mapdata.ingest import ingest_paths

    url = any_db_url
    engine = store.open_engine(url)
    crashes, lost, problems, rejected_total, well_named, reported_new = 0, 0, [], 0, 0, 0
    started = time.monotonic()
    try:
        for case, path in corpus:
            before = count_items(url)
            try:
                result = ingest_paths(engine, [path])
            except BaseException as err:
                crashes += 1
                problems.append(f"{case.name}: CRASH {type(err).__name__}: {str(err)[:200]}")
                continue
            stored = count_items(url) - before  # through a connection of its own
            reported_new += result.new
            rejected_total += len(result.rejected)
            well_named += sum(
                1
                for r in result.rejected
                if r.source == str(path) and r.reason.strip() and (r.line is not None or case.file_level)
            )
            lost += max(0, case.valid - stored)
            if stored != result.new:
                problems.append(f"{case.name}: the ingest reported {result.new} new but {stored} were stored")
            if (result.new, result.present) != (case.valid, case.present):
                problems.append(f"{case.name}: {result.summary()}, expected {case.valid} new, {case.present} present")
            problems += [f"{case.name}: {p}" for p in rejection_problems(case, path, result.rejected)]
    finally:
        engine.dispose()
    problems += [f"store: {p}" for p in check_store(url)]
    total = count_items(url)
    if total != reported_new:
        problems.append(f"store holds {total} items, the ingests reported {reported_new} new")
    report(
        capsys,
        f"inputs {url.split(':')[0]}: {len(corpus)} bad input files ingested, {crashes} crashes, {lost} valid rows lost, "
        f"{rejected_total} rejections ({well_named} name file, line/entry or whole-file verdict, and reason), "
        f"{total} items stored, {len(problems)} problems ({time.monotonic() - started:.1f} s)",
    )
    assert not problems, "\n".join(problems)


def cli_ingest(url: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mapdata.cli", "ingest", *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MAPDATA_DB_URL": url},
    )


@pytest.mark.slow
def test_a_sample_through_the_cli_exit_codes_and_no_traceback(corpus, tmp_path, capsys):
    """The sample in one `mapdata ingest` run (exit 1), a clean file (exit 0), one bad file alone (exit 1), and a
    database that cannot be opened (exit 2): never a traceback; every rejection line names its file, line and reason."""
    sample = [(c, p) for c, p in corpus if c.cli]
    assert len(sample) >= 15 and all(c.rejected is not None for c, _ in sample)
    clean = tmp_path / "clean.txt"
    clean.write_text(seed(good(), good()), encoding="utf-8")
    urls = [f"sqlite:///{tmp_path / f'cli{n}.sqlite'}" for n in range(3)]
    bad_case, bad_path = next((c, p) for c, p in sample if c.name == "latin1-seed")
    fatal_url = f"sqlite:///{clean}/not-a-folder/x.sqlite"
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(
            pool.map(
                lambda args: cli_ingest(*args),
                [(urls[0], *[p for _, p in sample]), (urls[1], clean), (urls[2], bad_path), (fatal_url, clean)],
            )
        )
    problems = []
    for run in runs:
        if "Traceback" in run.stdout + run.stderr:
            problems.append(f"traceback:\n{run.stderr[-3000:]}")
    everything, alone_clean, alone_bad, fatal = runs
    expected = [
        (everything, urls[0], sample, 1),
        (alone_clean, urls[1], [(Case("clean", "", b"", 2, rejected=0), clean)], 0),
        (alone_bad, urls[2], [(bad_case, bad_path)], 1),
    ]
    for run, url, cases, code in expected:
        new = sum(c.valid for c, _ in cases)
        present = sum(c.present for c, _ in cases)
        rejected = sum(c.rejected for c, _ in cases)
        if run.returncode != code:
            problems.append(f"exit {run.returncode}, expected {code}: {run.stderr[-500:]}")
        if run.stdout != f"{new} new, {present} already present, {rejected} rejected\n":
            problems.append(f"summary {run.stdout!r}, expected {new} new, {present} present, {rejected} rejected")
        if count_items(url) != new:
            problems.append(f"{count_items(url)} items stored, expected {new}")
        notes = ("map snapshot ready", "hint: ")
        lines = [line for line in run.stderr.splitlines() if not line.startswith(notes)]
        if len(lines) != rejected:
            problems.append(f"{len(lines)} lines on stderr, expected {rejected} rejections: {lines[:5]}")
        for case, path in cases:
            named = [line for line in lines if re.match(rf"rejected: {re.escape(str(path))}[,:] ", line)]
            if len(named) != case.rejected:
                problems.append(f"{case.name}: {len(named)} rejection lines, expected {case.rejected}")
            where = r"(, (line|entry) \d+)?" if case.file_level else r", (line|entry) \d+"
            if any(not re.match(rf"rejected: {re.escape(str(path))}{where}: \S", line) for line in named):
                problems.append(f"{case.name}: a rejection without line/entry or reason: {named[:3]}")
    if fatal.returncode != 2 or fatal.stdout or not re.fullmatch(r"error: cannot open database .+\n", fatal.stderr):
        problems.append(f"fatal: exit {fatal.returncode}: {fatal.stdout!r} {fatal.stderr[-800:]!r}")
    codes = [r.returncode for r in runs]
    report(
        capsys,
        f"cli: {len(runs)} runs of `python -m mapdata.cli ingest` over {len(sample) + 2} files "
        f"({len(sample)} bad), exit codes {codes} (expected [1, 0, 1, 2]), tracebacks: "
        f"{sum('traceback' in p for p in problems)}",
    )
    assert not problems, "\n".join(problems)


# The program's own peak memory: its VmHWM and its reaped workers'. Not the rusage that wait4 gives for it: Linux
# counts there the memory of the process it was started from (pytest's, which grows as the suite runs: 722-1123
# MB for an ingest whose own peak is 370 MB), since exec keeps the high-water mark of the address space it replaces.
MILLION = """
import re, resource, sys, time
from mapdata import store
from mapdata.ingest import ingest_paths
started = time.monotonic()
result = ingest_paths(store.open_engine(sys.argv[2]), [sys.argv[1]])
lines = sum(1 for r in result.rejected if r.source == sys.argv[1] and r.line and r.reason)
took = time.monotonic() - started
with open("/proc/self/status", encoding="ascii") as status:
    own = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(result.summary(), lines, f"{took:.1f}", max(own, workers))
"""


@pytest.mark.slow
def test_a_million_short_lines(tmp_path, capsys):
    """A million short JSON Lines, all but 10 bad: no crash, bounded memory, the 10 stored, 999,990 reported (the
    time it takes is reported, and measured in bench/, not asserted)."""
    feed = tmp_path / "million.jsonl"
    bad = ["{}\n", "{}\n", "{}\n", "[]\n", "x\n", '{"text": ""}\n', '{"date": "2025-13-45", "text": "a"}\n', "{}\n"]
    with feed.open("w", encoding="utf-8") as handle:
        for i in range(1_000_000):
            if i % 100_000 == 50_000:
                handle.write(json.dumps(rec(f"Chile and Peru met again (million {i}).")) + "\n")
            else:
                handle.write(bad[i % len(bad)])
    url = f"sqlite:///{tmp_path / 'million.sqlite'}"
    proc = subprocess.Popen(
        [sys.executable, "-c", MILLION, str(feed), url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = proc.stdout.read()
    proc.stdout.close()
    assert proc.wait() == 0, out
    summary, named, took, peak_kb = out.rsplit(" ", 3)
    peak_mb = int(peak_kb) / 1024
    report(capsys, f"million: 1,000,000 short lines -> {summary} {named} {took} s, peak memory {peak_mb:.0f} MB")
    assert summary == "10 new, 0 already present, 999990 rejected"
    assert int(named) == 999_990  # every rejection names the file, its line and a reason
    assert count_items(url) == 10
    assert peak_mb < 1000, peak_mb  # a list of a million rejections, not the file held several times over


def test_xml_external_entities_are_never_fetched(tmp_path):
    """An RSS file whose DOCTYPE points at an external DTD and entity on 127.0.0.1: nothing is requested."""
    from mapdata import store
    from mapdata.ingest import ingest_paths

    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY ext "pwned">')

        def log_message(self, *args):
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        feed = tmp_path / "xxe.xml"
        feed.write_text(
            f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "http://127.0.0.1:{port}/evil.dtd">\n'
            + rss(rss_item("Chile and Peru met (ref xxe).")).split("\n", 1)[1],
            encoding="utf-8",
        )
        engine = store.open_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
        result = ingest_paths(engine, [feed])
        engine.dispose()
    finally:
        server.shutdown()
    assert hits == []
    assert (result.new, len(result.rejected)) == (1, 0)


@pytest.mark.parametrize("name", ["bomb", "bomb-utf16", "quadratic", "parameter"])
def test_xml_bombs_are_refused_without_expanding(tmp_path, name):
    import tracemalloc

    from mapdata.errors import InputError
    from mapdata.feeds import read_file

    body = {
        "bomb": BOMB.encode(),
        "quadratic": QUADRATIC.encode(),
        "parameter": PARAMETER_BOMB.encode(),
        "bomb-utf16": BOMB.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"),
    }[name]
    feed = tmp_path / f"{name}.xml"
    feed.write_bytes(body)
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=r"line 2: XML DOCTYPE declares entities"):
            read_file(feed)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(body) + 2_000_000, peak  # expanded, the bomb is 3 GB and the quadratic one 250 MB


def test_upload_size_cap_is_configured():
    """Streamlit refuses uploads above server.maxUploadSize (MB) before the app sees them; the app reads whole files."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    cap = config["server"]["maxUploadSize"]
    assert isinstance(cap, int) and 1 <= cap <= 50, cap  # Streamlit's default is 200 MB
    documented = re.search(r"upload(?:s capped at| cap) (\d+) MB", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert documented and int(documented.group(1)) == cap


# ------------------------------------------------------------------------------------------- the Data page

PASTES = [
    (
        "impossible and far dates",
        "Chile and Peru met (p1).\ndate 2025-13-45 Broken.\ndate 2999-01-01 Future.\ndate 1850-01-01 Past.",
        1,
        ["line 3", "line 4", "line 5"],
    ),
    ("control characters", "Chile\x07and\x1b[31m Peru met (p2).\nPoland\x00closed.", 1, ["line 3"]),
    ("too long", "x" * 20_001 + "\nChile and Peru met (p3).", 1, ["line 2"]),
    (
        "scripts, rtl, emoji",
        "\n".join(f"{t} (p4-{k})" for k, t in SCRIPTS.items()) + "\n🇵🇱 Poland 🤝 \u202eRLO (p4)",
        len(SCRIPTS) + 1,
        [],
    ),
    ("hostile", "<script>window.__pwned=1</script> Chile (p5)\n`${window.__pwned=1}` {{7*7}} {% x %} Peru (p5)", 2, []),
    ("json and csv pasted as text", '{"text": "Chile", "date": "2025-13-45"}\ndate,text\n"unbalanced', 3, []),
    ("a date line alone", "date 2025-11-03", 0, []),
]


@pytest.fixture
def data_page(db_url, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MAPDATA_DB_URL", db_url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


def test_data_page_paste_shows_rejections_never_a_traceback(data_page, db_url, capsys):
    at = data_page
    shown = 0
    for label, pasted, valid, where in PASTES:
        at.text_area(key="paste_text").input(pasted).run()
        assert not at.exception, (label, at.exception)
        assert not at.error, (label, [e.value for e in at.error])
        summary = [m.value for m in at.markdown if "items to add" in m.value]
        assert summary and summary[0].startswith(f"**{valid:,} items to add"), (label, summary)
        rejected = [d.value for d in at.dataframe if list(d.value.columns) == ["where", "why"]]
        got = [] if not rejected else list(rejected[0]["where"])
        assert all(w.startswith("pasted.txt, line ") for w in got), (label, got)
        assert all(f"pasted.txt, {w}" in got for w in where), (label, got, where)
        if rejected:
            assert all(reason.strip() and "Traceback" not in reason for reason in rejected[0]["why"])
        shown += 1
        if valid:
            before = count_items(db_url)
            at.button(key="paste_add").click().run()
            assert not at.exception, (label, at.exception)
            done = [re.match(r"(\d+) new, (\d+) already present", s.value) for s in at.success]
            assert done and done[0], (label, [s.value for s in at.success])
            assert count_items(db_url) - before == int(done[0].group(1)), label
    assert check_store(db_url) == []
    report(capsys, f"data page (AppTest): {shown} pasted bad inputs shown with their rejections, 0 exceptions")
