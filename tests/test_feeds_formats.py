"""Every feed format the readers accept, written as real-looking files, plus feeds served from 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from mapdata.errors import InputError
from mapdata.feeds import Rejection, detect_format, fetch, parse_date, read_file, read_source
from support import free_port

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Baltic Wire &amp; Partners</title>
    <link>https://news.example.org/</link>
    <description>Regional news</description>
    <item>
      <title>Poland closes border crossings with Belarus</title>
      <link>https://news.example.org/2025/11/01/border</link>
      <description>&lt;p&gt;Warsaw said the &lt;b&gt;two&lt;/b&gt; crossings stay shut &amp;amp; trucks wait.&lt;/p&gt;</description>
      <pubDate>Sat, 01 Nov 2025 23:30:00 -0200</pubDate>
      <guid isPermaLink="false">wire-1</guid>
    </item>
    <item>
      <title>Estonia summons Russian envoy</title>
      <link>https://news.example.org/2025/11/01/envoy</link>
      <description>Tallinn protested an airspace violation.</description>
    </item>
    <item>
      <title>Lithuania and Latvia sign energy pact</title>
      <link>https://news.example.org/2025/11/02/energy</link>
      <description><![CDATA[<div>Vilnius and Riga agreed&nbsp;to link grids.<script>alert(1)</script></div>]]></description>
      <dc:date>2025-11-02T08:00:00Z</dc:date>
    </item>
  </channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Africa &lt;em&gt;Desk&lt;/em&gt;</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2025-11-03T12:00:00Z</updated>
  <entry>
    <title>Kenya and Ethiopia discuss border trade</title>
    <link rel="alternate" href="https://africa.example.org/kenya-ethiopia"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <published>2025-11-01T23:30:00-02:00</published>
    <updated>2025-11-03T09:00:00Z</updated>
    <summary type="html">&lt;p&gt;Ministers met in &lt;a href="https://x.example"&gt;Nairobi&lt;/a&gt; on Monday.&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Sudan <b>ceasefire</b> talks resume</div></title>
    <link href="https://africa.example.org/sudan"/>
    <id>urn:uuid:2</id>
    <updated>2025-11-03T10:15:00+01:00</updated>
    <content type="html">&lt;p&gt;Envoys gathered in Jeddah.&lt;/p&gt;&lt;p&gt;The AU joined.&lt;/p&gt;</content>
  </entry>
</feed>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
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
<rss version="2.0"><channel><title>Laughs</title>
<item><title>&lol9;</title><pubDate>Sat, 01 Nov 2025 10:00:00 GMT</pubDate></item>
</channel></rss>
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ RSS and Atom


def test_rss_items_become_items_and_the_undated_one_is_rejected(tmp_path):
    feed = write(tmp_path / "wire.rss", RSS)
    result = read_file(feed)
    assert [(i.date, i.text) for i in result.items] == [
        (
            date(2025, 11, 2),
            "Poland closes border crossings with Belarus. Warsaw said the two crossings stay shut & trucks wait.",
        ),
        (date(2025, 11, 2), "Lithuania and Latvia sign energy pact. Vilnius and Riga agreed to link grids."),
    ]
    first = result.items[0]
    assert first.source == "Baltic Wire & Partners"
    assert first.url == "https://news.example.org/2025/11/01/border"
    assert first.origin == f"{feed}:1"
    assert result.rejected == [Rejection(str(feed), 2, "no date", unit="entry")]
    assert str(result.rejected[0]) == f"{feed}, entry 2: no date"


def test_atom_entries_use_published_else_updated_in_utc(tmp_path):
    result = read_file(write(tmp_path / "africa.atom", ATOM))
    assert result.rejected == []
    kenya, sudan = result.items
    assert kenya.date == date(2025, 11, 2)  # published 23:30 at UTC-2, not the later <updated>
    assert kenya.text == "Kenya and Ethiopia discuss border trade. Ministers met in Nairobi on Monday."
    assert kenya.url == "https://africa.example.org/kenya-ethiopia"
    assert kenya.source == "Africa Desk"
    assert sudan.date == date(2025, 11, 3)
    assert sudan.text == "Sudan ceasefire talks resume. Envoys gathered in Jeddah. The AU joined."


def test_html_in_summaries_is_reduced_to_text(tmp_path):
    feed = write(
        tmp_path / "html.xml",
        """<rss version="2.0"><channel><title>T</title>
        <item><title>Talks &amp;amp; tariffs</title><pubDate>2025-11-01</pubDate>
        <description>&lt;div class="lead"&gt;&lt;img src="https://t.example/pixel.gif"/&gt;Japan&amp;#8217;s envoy&lt;br/&gt;met
        &lt;a href="https://x.example/kr"&gt;South&amp;nbsp;Korea&lt;/a&gt;&lt;style&gt;p{color:red}&lt;/style&gt;
        &lt;script&gt;document.write("x")&lt;/script&gt; in Seoul.&lt;/div&gt;</description></item>
        <item><title>Chile &lt;i&gt;and&lt;/i&gt; Peru</title><pubDate>2025-11-01</pubDate>
        <description>Chile and Peru met.</description></item>
        </channel></rss>""",
    )
    result = read_file(feed)
    assert result.rejected == []
    assert [i.text for i in result.items] == [
        "Talks & tariffs. Japan\u2019s envoy met South Korea in Seoul.",
        "Chile and Peru met.",  # the summary repeats the title: kept once
    ]
    assert all("<" not in i.text and "alert" not in i.text for i in result.items)


def test_rss_1_0_and_a_declared_legacy_encoding(tmp_path):
    feed = tmp_path / "rdf.xml"
    feed.write_bytes(
        '<?xml version="1.0" encoding="windows-1252"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        '<channel rdf:about="https://br.example/"><title>Not\u00edcias</title></channel>\n'
        '<item rdf:about="https://br.example/1"><title>S\u00e3o Paulo hosts \u201cBRICS\u201d talks</title>'
        "<link>https://br.example/1</link><dc:date>2025-11-01T12:00:00-03:00</dc:date></item>\n"
        "</rdf:RDF>\n".encode("cp1252")
    )
    (item,) = read_file(feed).items
    assert item.text == "S\u00e3o Paulo hosts \u201cBRICS\u201d talks"
    assert (item.date, item.source) == (date(2025, 11, 1), "Not\u00edcias")


def test_bad_entry_dates_are_rejected_with_their_entry(tmp_path):
    feed = write(
        tmp_path / "dates.xml",
        """<rss version="2.0"><channel><title>T</title>
        <item><title>Impossible day.</title><pubDate>Mon, 31 Feb 2025 10:00:00 GMT</pubDate></item>
        <item><title>From the future.</title><pubDate>Fri, 01 Jan 2100 10:00:00 GMT</pubDate></item>
        <item><title>Before 1900.</title><pubDate>Mon, 01 Jan 1866 10:00:00 GMT</pubDate></item>
        <item><title>Fine.</title><pubDate>01 Nov 2025 10:00 +0100</pubDate></item>
        <item><pubDate>01 Nov 2025 10:00 +0100</pubDate></item>
        </channel></rss>""",
    )
    result = read_file(feed)
    assert [i.text for i in result.items] == ["Fine."]
    reasons = {r.line: r.reason for r in result.rejected}
    assert set(reasons) == {1, 2, 3, 5} and {r.unit for r in result.rejected} == {"entry"}
    assert "impossible date" in reasons[1]
    assert "in the future" in reasons[2]
    assert "before 1900" in reasons[3]
    assert reasons[5] == "no text"


def test_malformed_xml_is_rejected_naming_file_and_line(tmp_path):
    feed = write(
        tmp_path / "broken.xml", '<rss version="2.0">\n<channel>\n<item><title>x</title>\n</channel>\n</rss>\n'
    )
    with pytest.raises(InputError, match=r"broken\.xml, line 4: not a well-formed XML feed \(mismatched tag\)"):
        read_file(feed)


def test_xml_that_is_not_a_feed_is_rejected(tmp_path):
    feed = write(tmp_path / "config.xml", '<?xml version="1.0"?>\n<settings><item>1</item></settings>\n')
    with pytest.raises(InputError, match=r"config\.xml: not an RSS or Atom feed \(root element <settings>\)"):
        read_file(feed)
    with pytest.raises(InputError, match=r"empty\.xml: not an RSS or Atom feed"):
        read_file(write(tmp_path / "empty.xml", ""))


def test_entity_declarations_are_refused_before_parsing(tmp_path):
    feed = write(tmp_path / "bomb.xml", BILLION_LAUGHS)
    with pytest.raises(InputError, match=r"bomb\.xml, line 2: XML DOCTYPE declares entities"):
        read_file(feed)
    harmless = '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY org "OSCE">]>\n<rss version="2.0"><channel/></rss>'
    with pytest.raises(InputError, match="declares entities"):
        read_file(write(tmp_path / "small.xml", harmless))
    utf16 = tmp_path / "wide.xml"
    utf16.write_bytes(BILLION_LAUGHS.replace('"1.0"?>', '"1.0" encoding="UTF-16"?>', 1).encode("utf-16"))
    with pytest.raises(InputError, match="declares entities"):
        read_file(utf16)
    plain_doctype = '<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "rss.dtd">\n<rss version="2.0"><channel><title>D</title></channel></rss>'
    assert read_file(write(tmp_path / "dtd.xml", plain_doctype)).rejected == []


BOMB_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (384 * 2**20, 384 * 2**20))
import feedparser, io
from mapdata.errors import InputError
from mapdata.feeds import read_file
path = sys.argv[1]
try:
    read_file(path)
except InputError as err:
    print("read_file:", err.reason)
# and feedparser alone, without mapdata's check: its own entity stripping and expat's limits must hold
start = time.monotonic()
parsed = feedparser.parse(io.BytesIO(open(path, "rb").read()))
print("feedparser:", sum(len(e.get("title", "")) for e in parsed.entries), round(time.monotonic() - start, 1))
"""


def test_billion_laughs_neither_blows_up_memory_nor_hangs(tmp_path):
    feed = write(tmp_path / "laughs.rss", BILLION_LAUGHS)
    tracemalloc.start()
    with pytest.raises(InputError):
        read_file(feed)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2 * 2**20  # refused before anything is expanded
    # in a child with 384 MB of address space (a billion laughs needs gigabytes) and a time limit
    out = subprocess.run([sys.executable, "-c", BOMB_CHILD, str(feed)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "read_file: XML DOCTYPE declares entities (<!ENTITY>), which are refused"
    title_chars = int(lines[1].split()[1])
    assert title_chars < 1000  # the entity was not expanded


# ------------------------------------------------------------------------------------------ JSON


def test_json_array_accepts_good_entries_and_reports_bad_ones(tmp_path):
    feed = write(
        tmp_path / "export.json",
        """[
  {"id": "n1", "Date": "2025-11-01T09:00:00Z", "Title": "India and Pakistan reopen talks", "Summary": "Officials met in Doha.", "URL": "https://s.example/1"},
  "just a string",
  {"date": "2025-11-01", "text": "   "},
  {"pubDate": "Sat, 01 Nov 2025 10:00:00 GMT", "title": "Chile and Peru sign a fisheries deal", "link": "https://s.example/4", "source": "Andes Daily"},
  {"published": "2025-02-30", "text": "Bad day."},
  {"text": "Undated items are kept for tagging; ingest rejects them."}
]
""",
    )
    result = read_file(feed)
    assert [(i.date, i.text, i.url, i.source) for i in result.items] == [
        (date(2025, 11, 1), "India and Pakistan reopen talks. Officials met in Doha.", "https://s.example/1", ""),
        (date(2025, 11, 1), "Chile and Peru sign a fisheries deal", "https://s.example/4", "Andes Daily"),
        (None, "Undated items are kept for tagging; ingest rejects them.", "", ""),
    ]
    assert result.items[0].id == "n1" and result.items[2].origin == f"{feed}:6"
    assert [(r.line, r.unit) for r in result.rejected] == [(2, "entry"), (3, "entry"), (5, "entry")]
    assert str(result.rejected[0]) == f"{feed}, entry 2: not a JSON object"
    assert result.rejected[1].reason == "no text"
    assert "impossible date" in result.rejected[2].reason


def test_broken_json_array_names_file_and_line(tmp_path):
    feed = write(tmp_path / "cut.json", '[\n {"text": "a", "date": "2025-11-01"},\n {"text": "b",\n')
    with pytest.raises(InputError, match=r"cut\.json, line 4: not valid JSON"):
        read_file(feed)


def test_json_file_with_one_object_per_line_is_json_lines(tmp_path):
    feed = write(tmp_path / "lines.json", '{"date": "2025-11-01", "text": "Chile and Peru met."}\n{oops\n')
    result = read_file(feed)
    assert [i.text for i in result.items] == ["Chile and Peru met."]
    assert [(r.line, r.unit) for r in result.rejected] == [(2, "line")]


# ------------------------------------------------------------------------------------------ CSV and TSV


def test_csv_with_pubdate_title_description_link(tmp_path):
    feed = write(
        tmp_path / "export.csv",
        "pubDate,title,description,link\n"
        '"Sat, 01 Nov 2025 22:30:00 -0300",Brazil and Argentina hold talks,"Ministers met in Buenos Aires, again.",https://c.example/1\n'
        "2025-11-01,Mexico closes a crossing,,https://c.example/2\n"
        "2025-11-31,Bad date,Nothing,https://c.example/3\n",
    )
    result = read_file(feed)
    assert [(i.date, i.text, i.url) for i in result.items] == [
        (
            date(2025, 11, 2),
            "Brazil and Argentina hold talks. Ministers met in Buenos Aires, again.",
            "https://c.example/1",
        ),
        (date(2025, 11, 1), "Mexico closes a crossing", "https://c.example/2"),
    ]
    assert [(r.line, r.unit) for r in result.rejected] == [(4, "line")]
    assert "impossible date" in result.rejected[0].reason


def test_tsv_with_capitalised_headers_and_commas_in_text(tmp_path):
    feed = write(
        tmp_path / "export.tsv",
        "ID\tTime\tTitle\tSummary\tSource\n"
        "t1\t2025-11-01T10:00:00Z\tVietnam, Laos and Cambodia meet\tLeaders met in Hanoi, Vietnam.\tMekong Post\n"
        "t2\t01 November 2025\tThailand reopens border\tTrade resumes.\tMekong Post\n",
    )
    result = read_file(feed)
    assert result.rejected == []
    assert [(i.id, i.date, i.text, i.source) for i in result.items] == [
        ("t1", date(2025, 11, 1), "Vietnam, Laos and Cambodia meet. Leaders met in Hanoi, Vietnam.", "Mekong Post"),
        ("t2", date(2025, 11, 1), "Thailand reopens border. Trade resumes.", "Mekong Post"),
    ]


@pytest.mark.parametrize("date_column", ["date", "Published", "PUBDATE", "time"])
@pytest.mark.parametrize("text_column", ["Text", "TITLE", "summary", "Body", "description", "CONTENT"])
def test_csv_columns_are_found_whatever_their_case(tmp_path, date_column, text_column):
    feed = write(tmp_path / "cols.csv", f"{date_column};{text_column}\n2025-11-01;Chile and Peru met.\n")
    (item,) = read_file(feed).items
    assert (item.date, item.text) == (date(2025, 11, 1), "Chile and Peru met.")


def test_csv_quoted_newlines_old_mac_line_ends_and_a_separator_inside_text(tmp_path):
    feed = tmp_path / "mac.csv"
    feed.write_bytes(
        'date,text\r2025-11-01,"Chile\rand Peru met."\r2025-11-02,"Bolivia\u2028joined."\r'.encode("utf-8")
    )
    result = read_file(feed)
    assert result.rejected == []
    assert [(i.date, i.text) for i in result.items] == [
        (date(2025, 11, 1), "Chile and Peru met."),
        (date(2025, 11, 2), "Bolivia joined."),
    ]


def test_utf8_errors_deep_in_a_file_name_the_line(tmp_path):
    feed = tmp_path / "long.csv"
    feed.write_bytes(b"date,text\n" + b"2025-11-01,Chile and Peru met.\n" * 5000 + b"2025-11-01,S\xe3o Paulo\n")
    with pytest.raises(InputError, match=r"long\.csv, line 5002: not UTF-8"):
        read_file(feed)


# ------------------------------------------------------------------------------------------ detection


@pytest.mark.parametrize(
    ("name", "head", "content_type", "expected"),
    [
        ("feed.txt", "date 2025-11-01\nChile.", "", "seed"),
        ("feed.txt", '{"text": "x"}', "", "jsonl"),
        ("feed.jsonl", "[1, 2]", "", "jsonl"),
        ("feed.ndjson", '{"text": "x"}', "", "jsonl"),
        ("feed.json", ' \n[{"text": "x"}]', "", "json"),
        ("feed.json", '{"text": "x"}', "", "jsonl"),
        ("feed.csv", "a;b", "", "csv"),
        ("feed.TSV", "a\tb", "", "csv"),
        ("feed.xml", "junk", "", "xml"),
        ("feed.rss", "", "", "xml"),
        ("feed.atom", "", "", "xml"),
        ("feed", "\ufeff<?xml version='1.0'?><rss/>", "", "xml"),
        ("rss.php", "<rss version='2.0'>", "text/html", "xml"),
        ("feed", '[{"text": "x"}]', "", "json"),
        ("feed", '{"text": "x"}', "", "jsonl"),
        ("export", "Date\tHeadline\tDescription\n", "", "csv"),
        ("export", "when,what\n", "text/csv; charset=utf-8", "csv"),
        ("feed.dat", "date 2025-11-01\nChile, Peru and Bolivia met.", "", "seed"),
    ],
)
def test_detect_format_by_extension_then_content(name, head, content_type, expected):
    assert detect_format(Path(name), head, content_type) == expected


def test_files_without_a_telling_extension_are_sniffed(tmp_path):
    assert len(read_file(write(tmp_path / "wire", RSS)).items) == 2
    assert len(read_file(write(tmp_path / "atom.feed", ATOM)).items) == 2
    assert read_file(write(tmp_path / "dump", '[{"date": "2025-11-01", "text": "Chile."}]')).items[0].text == "Chile."
    assert read_file(write(tmp_path / "table.dat", "Date|Title\n2025-11-01|Chile.\n")).items[0].text == "Chile."


# ------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("2025-02-30", "impossible date"),
        ("2025-13-01T10:00:00Z", "impossible date"),
        ("Mon, 31 Feb 2025 10:00:00 GMT", "impossible date"),
        ("30 February 2025", "impossible date"),
        ("1899-12-31", "before 1900"),
        ("2025-11-04", "more than a day in the future"),
        ("yesterday", "not a date"),
    ],
)
def test_dates_that_cannot_be_right_say_why(raw, why):
    with pytest.raises(ValueError, match=why):
        parse_date(raw, today=date(2025, 11, 2))


def test_dates_up_to_a_day_ahead_are_accepted():
    assert parse_date("2025-11-03", today=date(2025, 11, 2)) == date(2025, 11, 3)
    assert parse_date("Sat, 01 Nov 2025", today=date(2025, 11, 2)) == date(2025, 11, 1)
    tomorrow = date.today() + timedelta(days=1)
    assert parse_date(tomorrow.isoformat()) == tomorrow


# ------------------------------------------------------------------------------------------ URLs


class _Routes(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes, float]]] = {}
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        status, content_type, body, delay = self.routes.get(self.path, (404, "text/plain", b"not here", 0.0))
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def feed_server(monkeypatch):
    """An http.server on 127.0.0.1, a free port, in a thread; tests fill `routes` and read `seen`."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    handler = type("Handler", (_Routes,), {"routes": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    server.routes = handler.routes  # type: ignore[attr-defined]
    server.seen = handler.seen  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_feed_urls_are_fetched_and_read_by_content(feed_server):
    base = feed_server.base
    feed_server.routes.update(
        {
            "/news": (200, "text/html; charset=utf-8", RSS.encode("utf-8"), 0.0),
            "/export": (200, "text/csv", b"Title,When,Summary\nChile,2025-11-01,Peru met.\n", 0.0),
            "/table": (200, "text/csv", b"Headline,When\nChile,2025-11-01\n", 0.0),
            "/api/items.json": (200, "application/json", b'[{"date": "2025-11-01", "text": "Chile."}]', 0.0),
            "/seed": (200, "text/plain", b"date 2025-11-01\nChile and Peru met.\n", 0.0),
        }
    )
    rss = read_source(f"{base}/news")
    assert rss.source == f"{base}/news" and len(rss.items) == 2
    assert str(rss.rejected[0]) == f"{base}/news, entry 2: no date"
    assert rss.items[0].origin == f"{base}/news:1"
    assert read_source(f"{base}/export").items[0].text == "Chile. Peru met."
    assert "no text column" in read_source(f"{base}/table").rejected[0].reason  # read as CSV: its content type
    assert read_source(f"{base}/api/items.json").items[0].text == "Chile."
    assert read_source(f"{base}/seed").items[0].date == date(2025, 11, 1)


def test_url_failures_name_the_url(feed_server, tmp_path):
    base = feed_server.base
    feed_server.routes.update(
        {
            "/big": (200, "application/rss+xml", b"<rss>" + b" " * 5000 + b"</rss>", 0.0),
            "/slow": (200, "application/rss+xml", RSS.encode(), 3.0),
        }
    )
    with pytest.raises(InputError, match=rf"^{base}/missing: cannot fetch: HTTP 404"):
        read_source(f"{base}/missing")
    with pytest.raises(InputError, match=rf"^{base}/big: cannot fetch: the answer is larger than 1000 bytes"):
        fetch(f"{base}/big", max_bytes=1000)
    with pytest.raises(InputError, match=rf"^{base}/slow: cannot fetch"):
        fetch(f"{base}/slow", timeout=0.5)
    closed = f"http://127.0.0.1:{free_port()}/feed"  # nobody listens there
    with pytest.raises(InputError, match=rf"^{closed}: cannot fetch \(.*refused"):
        read_source(closed)
    with pytest.raises(InputError, match="only http:// and https://"):
        read_source("ftp://127.0.0.1/feed.xml")
    assert read_source(str(write(tmp_path / "local.txt", "date 2025-11-01\nChile.\n"))).items[0].text == "Chile."


def test_parsing_a_feed_fetches_nothing_it_names(feed_server, tmp_path):
    base = feed_server.base
    feed = write(
        tmp_path / "links.xml",
        f"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "{base}/rss.dtd">
<rss version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude"><channel><title>L</title>
<image><url>{base}/logo.png</url></image>
<item><title>Chile and Peru met.</title><pubDate>2025-11-01</pubDate>
<enclosure url="{base}/audio.mp3" type="audio/mpeg" length="1"/>
<description>&lt;img src="{base}/pixel.gif"&gt;In Lima.</description>
<xi:include href="{base}/more.xml"/></item>
</channel></rss>""",
    )
    result = read_file(feed)
    assert [i.text for i in result.items] == ["Chile and Peru met. In Lima."]
    assert feed_server.seen == []


def test_bomb_served_over_http_is_refused(feed_server):
    feed_server.routes["/laughs"] = (200, "application/rss+xml", BILLION_LAUGHS.encode(), 0.0)
    with pytest.raises(InputError, match=r"/laughs, line 2: XML DOCTYPE declares entities"):
        read_source(f"{feed_server.base}/laughs")


def test_module_is_documented_and_typed():
    import inspect

    import mapdata.feeds as feeds

    for name, obj in vars(feeds).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != feeds.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
        if inspect.isfunction(obj):
            hints = obj.__annotations__
            assert "return" in hints, name
            assert set(inspect.signature(obj).parameters) <= set(hints), name
