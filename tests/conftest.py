"""Shared fixtures: the real seed file, a real SQLite file, and a real Streamlit server on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = ROOT / "data" / "sample_news_2025-11-01.txt"
SEED_GOLD = SHARED / "eval" / "seed_gold.jsonl"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session", autouse=True)
def own_snapshot_folder(tmp_path_factory: pytest.TempPathFactory):
    """Snapshots of test databases go to a folder of this run (servers started by tests inherit it), never into
    the user's cache, where they would push out the snapshots of real databases."""
    before = os.environ.get("MAPDATA_SNAPSHOT_DIR")
    os.environ["MAPDATA_SNAPSHOT_DIR"] = str(tmp_path_factory.mktemp("snapshots"))
    yield
    if before is None:
        os.environ.pop("MAPDATA_SNAPSHOT_DIR", None)
    else:
        os.environ["MAPDATA_SNAPSHOT_DIR"] = before


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A SQLAlchemy URL to a fresh SQLite file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'mapdata.sqlite'}"


@pytest.fixture
def engine(db_url: str):
    """An engine on a fresh SQLite file, tables created."""
    from mapdata import store

    eng = store.open_engine(db_url)
    yield eng
    eng.dispose()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """The dashboard as the README starts it (`mapdata serve`: Streamlit, caches warmed at start) in a subprocess
    with its own database, polled until healthy; `plain=True` runs `streamlit run dashboard.py` instead."""

    def __init__(self, workdir: Path, db_url: str, plain: bool = False, env: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = db_url
        self.log_path = workdir / "streamlit.log"
        env = {**os.environ, "MAPDATA_DB_URL": db_url, **(env or {})}
        self.log = self.log_path.open("w")
        command = (
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1"]
            if plain else
            [sys.executable, "-m", "mapdata.cli", "serve", "--headless", "--port", str(self.port), "--address", "127.0.0.1"]
        )
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
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
            if healthy and f"127.0.0.1:{self.port}" in self.output() and self.proc.poll() is None:
                return
            time.sleep(0.2)  # a poll interval
        self.stop()
        raise RuntimeError(f"streamlit did not answer within 60 s:\n{self.output()}")

    def output(self) -> str:
        """What the server printed so far."""
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


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory):
    """The dashboard served on a free port over a fresh database (the sample feed is ingested on first start)."""
    workdir = tmp_path_factory.mktemp("app")
    server = AppServer(workdir, f"sqlite:///{workdir / 'app.sqlite'}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; missing in CI is a failure, never a skip."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must install it")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


def gate(route, blocked: list[str] | None = None) -> None:
    """Let requests to 127.0.0.1 (and data:, blob:, about:) through, abort every other (noted in `blocked`)."""
    url = route.request.url
    host = url.split("/")[2].split(":")[0] if "://" in url else ""
    if url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        if blocked is not None:
            blocked.append(url)
        route.abort()


@pytest.fixture
def page(browser):
    """A fresh page whose every request that leaves 127.0.0.1 is aborted; console errors are collected."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []
    context.route("**/*", lambda route: gate(route, blocked))
    pg = context.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.blocked = blocked  # type: ignore[attr-defined]
    pg.on("console", lambda msg: msg.type == "error" and pg.console_errors.append(msg.text))
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    yield pg
    context.close()


def _postgres_bin() -> Path | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster on a free port of 127.0.0.1 (Debian's server binaries), polled until
    it answers; or the server at MAPDATA_TEST_PG_URL. Missing in CI is a failure, never a skip."""
    given = os.environ.get("MAPDATA_TEST_PG_URL")
    if given:
        yield given.rstrip("/") + "/"
        return
    bindir = _postgres_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing in CI: .ci/run must install postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    import pwd
    import tempfile

    import psycopg

    root = Path(tempfile.mkdtemp(prefix="mapdata-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    started = subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
                             capture_output=True, text=True)
    if started.returncode:
        raise RuntimeError(f"PostgreSQL did not start: {started.stdout}{started.stderr}{(root / 'log').read_text()}")
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


_databases = iter(range(1, 10**6))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, tmp_path: Path) -> str:
    """A fresh database on SQLite (a file in tmp_path) and on PostgreSQL (a new database on the test server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mapdata.sqlite'}"
    import psycopg

    server = request.getfixturevalue("pg_server")
    name = f"mapdata_test_{os.getpid()}_{next(_databases)}"
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain + "postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server + name


@pytest.fixture
def any_engine(any_db_url: str):
    """An engine on a fresh SQLite or PostgreSQL database, migrated."""
    from mapdata import store

    eng = store.open_engine(any_db_url)
    yield eng
    eng.dispose()
