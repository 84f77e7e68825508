"""What the tests share: paths, the labelled data, the CLI and the dashboard as a user runs them, the browser's
request gate, and the store checks. Fixtures live in conftest.py and use these."""

from __future__ import annotations

import hashlib
import html
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"  # the labelled sets (see data/README.md there)
SEED = ROOT / "data" / "sample_news_2025-11-01.txt"  # the seed feed, the dashboard's default data
SEED_GOLD = DATA / "seed_briefs.jsonl"  # the seed's briefs, labelled by this project
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAP = 'iframe[title="streamlit_folium.st_folium"]'  # the map component's frame
LOOPBACK = ("127.0.0.1", "127.0.0.2", "localhost")  # the hosts a browser test may reach
WAIT = 60_000  # milliseconds: a maximum, never a sleep (Streamlit reruns are slow on 2 busy cores)


def mapdata(
    *args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run the `mapdata` command in a subprocess, as a user would (`input` is what it reads on stdin)."""
    return subprocess.run(
        [sys.executable, "-m", "mapdata.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        input=input,
    )


def report(capsys, line: str) -> None:
    """Print one result line past pytest's capture (the hardening tests' summary lines)."""
    with capsys.disabled():
        print(f"\nHARDENING {line}")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """The dashboard as the README starts it (`mapdata serve`: Streamlit, caches warmed at start) in a subprocess
    with its own database, polled until healthy; `plain=True` runs `streamlit run dashboard.py` instead, and
    `command` another `mapdata` (an installed one)."""

    def __init__(
        self,
        workdir: Path,
        db_url: str,
        plain: bool = False,
        env: dict | None = None,
        command: list[str] | None = None,
        cwd: Path = ROOT,
        address: str = "127.0.0.1",
    ) -> None:
        self.port = free_port()
        self.address = address
        self.url = f"http://{address}:{self.port}"
        self.db_url = db_url
        self.log_path = workdir / "streamlit.log"
        env = {**os.environ, "MAPDATA_DB_URL": db_url, **(env or {})}
        self.log = self.log_path.open("w")
        mapdata_command = command or [sys.executable, "-m", "mapdata.cli"]
        command = (
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "dashboard.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                address,
            ]
            if plain
            else [*mapdata_command, "serve", "--headless", "--port", str(self.port), "--address", address]
        )
        self.proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    healthy = answer.read().decode().strip() == "ok"
            except OSError:
                healthy = False
            # ours, not another server that took the port between free_port() and our bind (ours then exits)
            if healthy and f"{address}:{self.port}" in self.output() and self.proc.poll() is None:
                return
            time.sleep(0.2)  # a poll interval
        self.stop()
        raise RuntimeError(f"streamlit did not answer within 60 s:\n{self.output()}")

    def output(self) -> str:
        """What the server printed so far (all of it once stopped)."""
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the server and close its log."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def gate(route, blocked: list[str] | None = None) -> None:
    """Let requests to this machine (LOOPBACK, and data:, blob:, about:) through, abort every other (noted in
    `blocked`)."""
    url = route.request.url
    host = url.split("/")[2].split(":")[0] if "://" in url else ""
    if url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK:
        route.continue_()
    else:
        if blocked is not None:
            blocked.append(url)
        route.abort()


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (the newest version), or None."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def count_items(url: str) -> int:
    """Items in the store, read through a connection of its own."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM items"))
    finally:
        engine.dispose()


def check_store(url: str) -> list[str]:
    """Problems a second, independent connection finds in a store: orphan rows, and items whose tag, topic or
    relation rows, tone or lead actor differ from what tagging their stored text gives (a half-stored item)."""
    from mapdata.models import Item
    from mapdata.tagging import default_tagger

    problems: list[str] = []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for table in ("tags", "topics", "relations", "corrections"):
                orphans = conn.scalar(
                    text(
                        f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "
                        "(SELECT 1 FROM items i WHERE i.id = t.item_id)"
                    )
                )
                if orphans:
                    problems.append(f"{orphans} {table} rows without their item")
            manual = {r[0] for r in conn.execute(text("SELECT DISTINCT item_id FROM corrections"))}
            tags: dict[str, set] = {}
            for r in conn.execute(text('SELECT item_id, actor, kind, phrase, start, "end" FROM tags')):
                tags.setdefault(r[0], set()).add(tuple(r[1:]))
            topics: dict[str, set] = {}
            for r in conn.execute(text("SELECT item_id, topic FROM topics")):
                topics.setdefault(r[0], set()).add(r[1])
            relations: dict[str, set] = {}
            for r in conn.execute(text("SELECT item_id, source, target FROM relations")):
                relations.setdefault(r[0], set()).add((r[1], r[2]))
            rows = conn.execute(text("SELECT id, date, text, source, url, origin, tone, lead_actor FROM items")).all()
    finally:
        engine.dispose()
    tagger = default_tagger()
    for row in rows:
        if row.id in manual:
            continue
        day = row.date if isinstance(row.date, date) else date.fromisoformat(str(row.date))
        tagged = tagger.tag(Item(row.id, day, row.text, row.source, row.url, row.origin))
        want_tags = {(t.key, t.kind, t.text, t.start, t.end) for t in tagged.evidence}
        if tags.get(row.id, set()) != want_tags:
            problems.append(f"item {row.id}: tags {sorted(tags.get(row.id, set()))} != {sorted(want_tags)}")
        if topics.get(row.id, set()) != set(tagged.topics):
            problems.append(f"item {row.id}: topics {topics.get(row.id)} != {tagged.topics}")
        if relations.get(row.id, set()) != set(tagged.relations()):
            problems.append(f"item {row.id}: relations differ")
        if (row.tone, row.lead_actor) != (tagged.tone, tagged.lead_key):
            problems.append(
                f"item {row.id}: tone/lead {(row.tone, row.lead_actor)} != {(tagged.tone, tagged.lead_key)}"
            )
    return problems


def choose(page, label: str, option: str, timeout: float = WAIT) -> None:
    """Choose one option of a sidebar multiselect as a keyboard user does (type it, Enter), and wait until the
    browser shows it chosen. Clicking the option instead can miss under load: the option list is virtualised and
    re-rendered while the pointer moves, and a click that lands between two renders selects nothing (measured:
    2 of 3 runs of 20 sessions on a loaded 2-core machine lost a click on the list's lowest visible option)."""
    from playwright.sync_api import expect

    sidebar = page.get_by_test_id("stSidebar")
    box = sidebar.get_by_role("combobox", name=label)
    box.fill(option, timeout=timeout)
    expect(page.get_by_role("option", name=option, exact=True)).to_be_visible(timeout=timeout)
    box.press("Enter")
    page.keyboard.press("Escape")
    expect(sidebar.get_by_role("button", name=f"Remove {option}", exact=True)).to_be_visible(timeout=timeout)


def rss(entries: list[tuple[str, str]], title: str = "Test wire") -> bytes:
    """An RSS 2.0 document of (date YYYY-MM-DD, text) entries, each with a link of its own."""
    from email.utils import format_datetime

    body = "".join(
        f"<item><title></title><description>{html.escape(text)}</description>"
        f"<link>https://news.example/{n}</link><guid>e{n}</guid>"
        f"<pubDate>{format_datetime(datetime(*map(int, day.split('-')), 9, 0, tzinfo=UTC))}</pubDate></item>"
        for n, (day, text) in enumerate(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'.encode()


class FeedServer:
    """Feeds on 127.0.0.1 that tests change between polls: `feeds[name]` (entries of `rss`) is served at
    /name.xml with an ETag and honours If-None-Match; `behaviour[name]` makes one fail instead ("500", "hang":
    no answer until the server stops, "html", "huge": a body larger than any feed may be, "malformed", "bomb":
    entity expansion, "slow": the answer after `delay` seconds). Every request is logged with its conditional
    headers, and the most requests one feed had in flight at once is kept (`most_at_once`)."""

    def __init__(self, delay: float = 1.0) -> None:
        self.feeds: dict[str, list[tuple[str, str]]] = {}
        self.behaviour: dict[str, str] = {}
        self.requests: list[tuple[str, str | None, str | None]] = []
        self.most_at_once: dict[str, int] = {}
        self.delay = delay
        self.stopping = threading.Event()
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                name = self.path.strip("/").split(".")[0]
                with outer._lock:
                    outer.requests.append(
                        (name, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"))
                    )
                    outer._in_flight[name] = outer._in_flight.get(name, 0) + 1
                    outer.most_at_once[name] = max(outer.most_at_once.get(name, 0), outer._in_flight[name])
                try:
                    outer._answer(self, name)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with outer._lock:
                        outer._in_flight[name] -= 1

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"{self.base}/{name}.xml"

    def _answer(self, handler: BaseHTTPRequestHandler, name: str) -> None:
        how = self.behaviour.get(name, "")
        if how == "hang":
            self.stopping.wait()
            return
        if how == "500":
            handler.send_response(500)
            handler.end_headers()
            return
        if how == "slow":
            self.stopping.wait(self.delay)
        body = {
            "html": b"<!DOCTYPE html><html><head><title>News</title></head><body>Front page</body></html>",
            "malformed": b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>cut',
            "bomb": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b'<rss version="2.0"><channel><item><description>&lol2;</description></item></channel></rss>',
        }.get(how)
        if how == "huge":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml")
            handler.end_headers()
            chunk = b"<!-- filler -->" * 4096
            for _ in range(50 * 1024 * 1024 // len(chunk)):  # 50 MB, no Content-Length: it must be counted
                handler.wfile.write(chunk)
            return
        if body is None:
            body = rss(self.feeds.get(name, []))
        tag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if handler.headers.get("If-None-Match") == tag:
            handler.send_response(304)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("ETag", tag)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
