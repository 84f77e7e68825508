"""What the tests share: paths, the labelled data, the CLI and the dashboard as a user runs them, the browser's
request gate, and the store checks. Fixtures live in conftest.py and use these."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
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
