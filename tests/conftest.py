"""Fixtures: a real SQLite file, a real PostgreSQL server, the dashboard served on a free port, Debian's Chromium.

In CI (CI set) a missing browser or database fails the test instead of skipping it. The helpers these fixtures
use are in support.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from support import CHROMIUM, CHROMIUM_ARGS, AppServer, gate, postgres_bin


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test starts a dashboard and Chromium: it belongs to the slow tier too."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def own_cache_folders(tmp_path_factory: pytest.TempPathFactory):
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
def no_hang():
    """A test of forked processes that would wait for ever fails instead: SIGALRM interrupts the wait (for a dead
    worker's batch, or a second process that hangs)."""

    def stuck(*_):
        raise TimeoutError("still waiting after 120 s: a forked process's work was waited for")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


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


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster on a free port of 127.0.0.1 (Debian's server binaries), polled until
    it answers; or the server at MAPDATA_TEST_PG_URL. Missing in CI is a failure, never a skip."""
    given = os.environ.get("MAPDATA_TEST_PG_URL")
    if given:
        yield given.rstrip("/") + "/"
        return
    bindir = postgres_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing in CI: .ci/run must install postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    import pwd

    import psycopg

    from support import free_port

    root = Path(tempfile.mkdtemp(prefix="mapdata-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    started = subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
        capture_output=True,
        text=True,
    )
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
            time.sleep(0.2)  # a poll interval
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


_databases = iter(range(1, 10**6))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, tmp_path: Path) -> str:
    """A fresh database on SQLite (a file in tmp_path) and on PostgreSQL (a new database on the test server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mapdata.sqlite'}"
    return request.getfixturevalue("pg_db_url")


@pytest.fixture
def pg_db_url(pg_server: str) -> str:
    """A fresh database on the test PostgreSQL server."""
    import psycopg

    server = pg_server
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
