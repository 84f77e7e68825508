"""End-to-end benchmark on generated feeds: tagging, ingest, filter + aggregation, map, dashboard in a browser.

    python bench/run.py --items 1000,10000,100000 [--rounds 5] [--pg] [--skip-browser]

Prints one markdown table on stdout (a column per N, the target, met or not), progress on stderr.
PostgreSQL is measured when MAPDATA_DB_URL names a PostgreSQL server (a fresh database is created on it for
each N and dropped afterwards) or with --pg (a throwaway cluster on a free port of 127.0.0.1, stopped at the
end). The browser part drives Debian's Chromium (/usr/bin/chromium) through Playwright with every request
that leaves 127.0.0.1 aborted. Every wait has a timeout and every server is stopped in a finally block.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
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
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
MB = 1_000_000

# JavaScript run in the dashboard page; the component iframe is same-origin, so its document is readable.
_JS_MAP_DOC = f"""() => {{
  const frame = document.querySelector('{MAP_IFRAME}');
  return frame && frame.contentDocument;
}}"""
JS_HAS_MARKERS = f"""() => {{
  const doc = ({_JS_MAP_DOC})();
  return !!(doc && doc.querySelector('path.mapdata-actor'));
}}"""
JS_MARK_OLD = f"""() => {{
  const doc = ({_JS_MAP_DOC})();
  const paths = doc ? doc.querySelectorAll('path.mapdata-actor') : [];
  paths.forEach(p => p.setAttribute('data-bench-old', '1'));
  return paths.length;
}}"""
JS_CAPTION = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const found = (main.innerText || '').match(/Showing [\\d,]+ of [\\d,]+ (?:items|stories)/);
  return found ? found[0] : null;
}"""
JS_UPDATED = f"""([before, oldCount]) => {{
  const caption = ({JS_CAPTION})();
  if (!caption || caption === before) return false;
  const doc = ({_JS_MAP_DOC})();
  if (!doc) return false;
  const paths = Array.from(doc.querySelectorAll('path.mapdata-actor'));
  if (!paths.length) return false;
  return paths.length !== oldCount || paths.every(p => !p.hasAttribute('data-bench-old'));
}}"""

# One step of the map's time control: the milliseconds from moving its period slider to the second frame after
# (the markers resized and the lines of that period shown), for a few periods in turn; null without the control.
JS_TIME_STEPS = f"""async () => {{
  const doc = ({_JS_MAP_DOC})();
  const range = doc && doc.querySelector('.mapdata-period');
  if (!range || !(+range.max > 0)) return null;
  const w = doc.defaultView, out = [];
  for (let k = 0; k < 5; k++) {{
    const t0 = w.performance.now();
    range.value = String(Math.floor(+range.max * (k + 1) / 6));
    range.dispatchEvent(new w.Event('input'));
    await new Promise(done => w.requestAnimationFrame(() => w.requestAnimationFrame(done)));
    out.push(w.performance.now() - t0);
  }}
  return out;
}}"""

# Several different filter changes for the query + aggregation step (the first is the one the brief names).
FILTERS = {
    "topic military": dict(topics=("military",)),
    "topics border+sanctions": dict(topics=("border", "sanctions")),
    "tone conflict": dict(tones=("conflict",)),
    "country RU": dict(countries=("RU",)),
    "spring 2025": dict(start=date(2025, 3, 1), end=date(2025, 5, 31)),
    "search 'talks'": dict(search="talks"),
    "none (all items)": dict(),
}


class StepTimeout(Exception):
    """A measured step ran past its time limit."""


def log(message: str) -> None:
    """Progress on stderr, with the wall-clock time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_module(name: str):
    """Import one of the sibling bench scripts (tagging.py, generate.py) under a private module name."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise StepTimeout in the main thread when the block runs longer than `seconds` (SIGALRM)."""

    def expire(_signum, _frame):
        raise StepTimeout(f"{what} took more than {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    """The 1-minute load average (other users of this shared machine show here)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def machine_facts() -> str:
    """CPU model, cores, memory, Python version and date, on one line."""
    cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace") if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
        platform.processor() or "?",
    )
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    memory = f"{int(total.group(1)) / 1024**2:.1f} GiB RAM" if total else "RAM ?"
    return (
        f"CPU {model}, {os.cpu_count()} cores, {memory}, Python {platform.python_version()} "
        f"({platform.machine()}, {sys.platform}), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def median_seconds(run: Callable[[], object], rounds: int, budget: float = 15.0) -> float:
    """Median wall time of up to `rounds` calls of `run`; stops early once `budget` seconds are spent."""
    times: list[float] = []
    while len(times) < rounds and sum(times) < budget:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ------------------------------------------------------------------------------------------------ tagging


def tagging_rates(texts: list[str], rounds: int, cap: int) -> dict:
    """Items/s of mapdata's actor tagger on all texts, and of mapdata, geotext and flashgeotext interleaved
    on the same first `cap` texts (bench/tagging.py's tools and median timing)."""
    tagging = bench_module("tagging")
    from mapdata.tagging import default_tagger

    actors = default_tagger().actors
    tools: dict[str, Callable] = {"mapdata": actors.tag}  # countries and organisations
    errors = {}
    for name, make in (("geotext", tagging.geotext_tool), ("flashgeotext", tagging.flashgeotext_tool)):
        try:
            tools[name] = make()
        except Exception as err:  # a missing bench extra must not stop the other measurements
            errors[name] = f"{type(err).__name__}: {err}"
    capped = texts[:cap]
    same = tagging.throughputs(tools, capped, rounds)
    full = (
        same["mapdata"]
        if len(capped) == len(texts)
        else tagging.throughputs({"mapdata": actors.tag}, texts, rounds)["mapdata"]
    )
    return {"mapdata": full, "same": same, "compared_on": len(capped), "errors": errors}


# ------------------------------------------------------------------------------------------------ ingest


def write_jsonl(records: list[dict], path: Path) -> Path:
    """The records as JSON Lines."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def ingest_seconds(url: str, jsonl: Path) -> tuple[float, str]:
    """Seconds to read, tag and store a JSON Lines file into the (migrated, empty) database at `url`."""
    from mapdata import feeds, ingest, store

    engine = store.open_engine(url)
    try:
        start = time.perf_counter()
        with jsonl.open(encoding="utf-8") as handle:
            result = ingest.ingest_result(engine, feeds.read_json_lines(handle, str(jsonl)))
        return time.perf_counter() - start, result.summary()
    finally:
        engine.dispose()


def load_frames_seconds(url: str):
    """Seconds of one store.load_frames over the whole database, and the frames."""
    from mapdata import store

    engine = store.open_engine(url)
    try:
        start = time.perf_counter()
        frames = store.load_frames(engine)
        return time.perf_counter() - start, frames
    finally:
        engine.dispose()


def ingest_runs(rounds: int) -> int:
    """Fresh-database ingest repetitions behind the median: up to 3 (100,000 items take half a minute each)."""
    return max(1, min(rounds, 3))


# ------------------------------------------------------------------------------------------------ PostgreSQL


def _postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL server binaries folder."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


@contextlib.contextmanager
def pg_cluster(timeout: float = 60) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free port of 127.0.0.1 (as in tests/conftest.py); yields its URL."""
    import pwd

    bindir = _postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    root = Path(tempfile.mkdtemp(prefix="mapdata-bench-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    started = False
    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        done = subprocess.run(
            [
                *run_as,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            capture_output=True,
            text=True,
            timeout=timeout + 10,
        )
        started = True
        if done.returncode:
            log_text = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {done.stdout}{done.stderr}{log_text}")
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        wait_for_pg(url, timeout)
        yield url
    finally:
        if started:
            subprocess.run(
                [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)


def wait_for_pg(url: str, timeout: float) -> None:
    """Poll the server until it accepts a connection."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 2})
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()


def _admin(server_url: str):
    """An autocommit engine on the server's own database (CREATE/DROP DATABASE cannot run in a transaction)."""
    from sqlalchemy import create_engine

    return create_engine(server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})


def create_pg_database(server_url: str, name: str) -> str:
    """A new empty database on the server; returns its URL."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    engine = _admin(server_url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))  # name is ours: [a-z0-9_]
    finally:
        engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(server_url: str, name: str) -> None:
    """Drop a database made by create_pg_database (ignores failures: the cluster may be going away)."""
    from sqlalchemy import text

    engine = _admin(server_url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception as err:
        log(f"could not drop PostgreSQL database {name}: {err}")
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------------ query + aggregation


def filtered_aggregates(frames, filters):
    """One filter change as the map page does it: apply the filters, then the actor and pair aggregates."""
    from mapdata import aggregate

    view = filters.apply(frames)
    actor_rows = aggregate.actors(view, filters.min_items)
    pair_rows = aggregate.pairs(view, set(actor_rows["actor"]), filters.border_only)
    return view, actor_rows, pair_rows


def aggregation_times(frames, rounds: int) -> dict[str, float]:
    """Median seconds of apply + actors + pairs for each filter in FILTERS."""
    from mapdata.filters import Filters

    filtered_aggregates(frames, Filters(**FILTERS["topic military"]))  # warm-up: gazetteer, places, caches
    return {
        name: median_seconds(functools.partial(filtered_aggregates, frames, Filters(**kw)), rounds)
        for name, kw in FILTERS.items()
    }


# ------------------------------------------------------------------------------------------------ maps


def our_map(view) -> tuple[float, float, int]:
    """Seconds to build mapview.build_map(view) from its aggregates (timed apart, above), seconds to render its
    HTML, and the HTML size in bytes."""
    from mapdata import aggregate, mapview

    actor_rows, pair_rows = aggregate.view(view)
    start = time.perf_counter()
    fmap = mapview.build_map(view, actor_rows, pair_rows)
    built = time.perf_counter()
    page = fmap.get_root().render()
    return built - start, time.perf_counter() - built, len(page.encode("utf-8"))


def naive_map(view, cap: int) -> tuple[float, float, int, int, int]:
    """The map everyone writes first, from the same view: a Marker with a Popup (the item's text, escaped)
    per item at its lead actor (else its first placeable actor), a PolyLine per relation row; at most `cap`
    items. Returns build seconds, render seconds, HTML bytes, markers and lines drawn."""
    import folium

    from mapdata import geocode
    from mapdata.markup import esc

    start = time.perf_counter()
    items = view.items.head(cap)
    ids = set(items["id"])
    first_actor = view.tags[view.tags["item_id"].isin(ids)].groupby("item_id")["actor"].apply(list).to_dict()
    relations = view.relations[view.relations["item_id"].isin(ids)]
    fmap = folium.Map(location=(35.0, 20.0), zoom_start=3, tiles=None, max_zoom=12)
    markers = lines = 0
    for row in items.itertuples(index=False):
        keys = ([row.lead_actor] if isinstance(row.lead_actor, str) else []) + first_actor.get(row.id, [])
        place = next((p for p in map(geocode.locate, keys) if p is not None), None)
        if place is None:
            continue
        folium.Marker(
            (place.point.latitude, place.point.longitude), popup=folium.Popup(esc(row.text), max_width=300)
        ).add_to(fmap)
        markers += 1
    for row in relations.itertuples(index=False):
        a, b = geocode.locate(row.source), geocode.locate(row.target)
        if a is None or b is None:
            continue
        folium.PolyLine(
            [(a.point.latitude, a.point.longitude), (b.point.latitude, b.point.longitude)], weight=2
        ).add_to(fmap)
        lines += 1
    built = time.perf_counter()
    page = fmap.get_root().render()
    return built - start, time.perf_counter() - built, len(page.encode("utf-8")), markers, lines


def map_runs(first_seconds: float, rounds: int) -> int:
    """How many builds to take the median of: up to 3, one when a build takes longer than 20 s."""
    return 1 if first_seconds > 20 else max(1, min(rounds, 3))


def measure_map(build: Callable[[], tuple], rounds: int, limit: float, what: str) -> dict:
    """Median of build/render seconds over a few builds (the rest of the tuple from the last one)."""
    runs = []
    with time_limit(limit, what):
        runs.append(build())
    for _ in range(map_runs(runs[0][0] + runs[0][1], rounds) - 1):
        with time_limit(limit, what):
            runs.append(build())
    last = runs[-1]
    return {
        "build": statistics.median(r[0] for r in runs),
        "render": statistics.median(r[1] for r in runs),
        "bytes": last[2],
        "extra": last[3:],
        "runs": len(runs),
    }


# ------------------------------------------------------------------------------------------------ dashboard


class Dashboard:
    """`mapdata serve` (Streamlit with the caches warmed at start, as the README starts it) on a free port of
    127.0.0.1 over a given database."""

    def __init__(self, db_url: str, workdir: Path, timeout: float = 120) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"streamlit-{self.port}.log"
        self.log = self.log_path.open("w")
        env = {**os.environ, "MAPDATA_DB_URL": db_url, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mapdata.cli",
                "serve",
                "--headless",
                "--port",
                str(self.port),
                "--address",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, timeout: float) -> None:
        """Poll /_stcore/health until it answers ok; fail with the server's output when it dies or stalls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                    if answer.read().decode().strip() == "ok":
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"streamlit did not answer within {timeout:.0f} s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        """What the server printed so far."""
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def peak_rss(self) -> int | None:
        """Peak resident memory of the server process in bytes (VmHWM), None when unreadable."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) * 1024 if found else None

    def stop(self) -> None:
        """Stop the server (terminate, then kill) and close its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.log.close()


def offline_context(browser):
    """A browser context whose every request that leaves 127.0.0.1 is aborted."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})

    def gate(route):
        url = route.request.url
        host = url.split("/")[2].split(":")[0] if "://" in url else ""
        if url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", gate)
    return context


def first_map_seconds(page, url: str, timeout_ms: float) -> float:
    """Seconds from page.goto to the first actor marker attached in the map iframe."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    page.wait_for_function(JS_HAS_MARKERS, polling=50, timeout=timeout_ms)
    return time.perf_counter() - start


def filter_change_seconds(page, topic: str, timeout_ms: float) -> tuple[float, str, str]:
    """Seconds from picking a topic in the sidebar until the caption changed and the markers were replaced
    (or their count changed); returns the seconds and the captions before and after."""
    page.wait_for_function(f"() => !!({JS_CAPTION})()", polling=50, timeout=timeout_ms)
    before = page.evaluate(JS_CAPTION)
    old_count = page.evaluate(JS_MARK_OLD)
    # typed and chosen with Enter, as a keyboard user does: a click on an option of the virtualised list can
    # land between two of its renders under load and choose nothing
    box = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Topics")
    box.fill(topic, timeout=timeout_ms)
    page.get_by_role("option", name=topic, exact=True).wait_for(timeout=timeout_ms)
    start = time.perf_counter()
    box.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function(JS_UPDATED, arg=[before, old_count], polling=50, timeout=timeout_ms)
    seconds = time.perf_counter() - start
    return seconds, before, page.evaluate(JS_CAPTION)


def browser_rounds(browser, server: Dashboard, rounds: int, timeout: float) -> dict:
    """Load the map and change a filter `rounds` times (fewer when slow), each in a fresh offline page."""
    out: dict = {"loads": [], "changes": [], "notes": [], "steps": []}
    timeout_ms = timeout * 1000
    for _ in range(rounds):
        context = offline_context(browser)
        try:
            page = context.new_page()
            page.set_default_timeout(timeout_ms)
            try:
                out["loads"].append(first_map_seconds(page, server.url, timeout_ms))
            except Exception as err:
                out["notes"].append(f"first map: no markers within {timeout:.0f} s ({type(err).__name__})")
                break
            try:
                seconds, before, after = filter_change_seconds(page, "military", timeout_ms)
            except Exception as err:
                out["notes"].append(f"filter change: no update within {timeout:.0f} s ({type(err).__name__})")
                break
            out["changes"].append(seconds)
            out["captions"] = (before, after)
            steps = page.evaluate(JS_TIME_STEPS)
            if steps:
                out["steps"].extend(ms / 1000 for ms in steps)
        finally:
            context.close()
        if out["loads"][-1] + out["changes"][-1] > 60:
            break  # slow enough that one more round adds minutes and little information
    return out


def browser_measurements(db_url: str, workdir: Path, rounds: int, timeout: float, attempts: int = 2) -> dict:
    """Start the dashboard on `db_url`, measure `browser_rounds`, read the server's peak memory; the server
    is always stopped. A server that dies meanwhile (another process may stop it) is restarted once."""
    from playwright.sync_api import sync_playwright

    notes: list[str] = []
    for attempt in range(attempts):
        server = Dashboard(db_url, workdir)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
                try:
                    out = browser_rounds(browser, server, rounds, timeout)
                finally:
                    browser.close()
            out["peak_rss"] = server.peak_rss()
            died = server.proc.poll()
        finally:
            server.stop()
        errors = [line for line in server.output().splitlines() if "Error" in line or "Traceback" in line]
        if errors:
            notes.append("server log: " + errors[-1][:200])
        if died is None:
            out["notes"] = notes + out["notes"]
            return out
        notes.append(f"streamlit stopped by someone else during attempt {attempt + 1} (exit {died}); restarted")
        log(notes[-1])
    out["notes"] = notes + out["notes"]
    out["peak_rss"] = None
    return out


def restart_seconds(db_url: str, workdir: Path, timeout: float) -> float:
    """Seconds to the first markers from a freshly started server whose frames snapshot is already on disk
    (written by the first server in the background: waited for here, by polling)."""
    from playwright.sync_api import sync_playwright

    from mapdata import snapshot, store

    engine = store.open_engine(db_url)
    try:
        path = snapshot.path_for(db_url, store.data_version(engine))
    finally:
        engine.dispose()
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no snapshot at {path} within {timeout:.0f} s")
        time.sleep(0.2)
    server = Dashboard(db_url, workdir)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
            try:
                context = offline_context(browser)
                page = context.new_page()
                return first_map_seconds(page, server.url, timeout * 1000)
            finally:
                browser.close()
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------------ one N


@dataclass
class Result:
    """Everything measured for one N (missing keys: not measured; `errors` says why)."""

    n: int
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def guarded(result: Result, key: str, run: Callable[[], object]) -> object | None:
    """Run one measurement; on failure record the error under `key` and return None instead of stopping."""
    try:
        return run()
    except Exception as err:
        log(f"N={result.n:,}: {key} failed: {type(err).__name__}: {err}")
        first = str(err).splitlines()[0][:150] if str(err) else ""
        result.errors[key] = f"{type(err).__name__}: {first}"
        return None


def measure_n(n: int, args, workdir: Path, pg_server: str | None) -> Result:
    """All measurements for N generated items."""
    from mapdata.filters import Filters

    generate = bench_module("generate")
    result = Result(n)
    folder = Path(tempfile.mkdtemp(prefix=f"n{n}-", dir=workdir))
    log(f"N={n:,}: generating items")
    records = generate.items(n)
    texts = [r["text"] for r in records]
    jsonl = write_jsonl(records, folder / "feed.jsonl")

    log(f"N={n:,}: tagging throughput")
    store_value(result, "tagging", guarded(result, "tagging", lambda: tagging_rates(texts, args.rounds, args.ref_cap)))

    log(f"N={n:,}: ingest into SQLite")
    sqlite_url = None
    times = []
    for k in range(ingest_runs(args.rounds)):
        url = f"sqlite:///{folder / f'ingest-{k}.sqlite'}"
        outcome = guarded(result, "ingest_sqlite", functools.partial(ingest_seconds, url, jsonl))
        if outcome is None:
            break
        times.append(outcome[0])
        result.values["ingest_summary"] = outcome[1]
        sqlite_url = url
    if times:
        result.values["ingest_sqlite"] = (statistics.median(times), len(times))

    if pg_server:
        log(f"N={n:,}: ingest into PostgreSQL")
        name = f"mapdata_bench_{os.getpid()}_{n}"
        try:
            pg_url = guarded(result, "ingest_pg", lambda: create_pg_database(pg_server, name))
            outcome = pg_url and guarded(result, "ingest_pg", lambda: ingest_seconds(pg_url, jsonl))
            if outcome:
                result.values["ingest_pg"] = (outcome[0], 1)
                loaded = guarded(result, "load_pg", lambda: load_frames_seconds(pg_url))
                store_value(result, "load_pg", loaded and loaded[0])
        finally:
            drop_pg_database(pg_server, name)

    if sqlite_url is None:
        return result
    log(f"N={n:,}: load_frames + filter + aggregation")
    loaded = guarded(result, "load_sqlite", lambda: load_frames_seconds(sqlite_url))
    if loaded:
        result.values["load_sqlite"] = loaded[0]
        frames = loaded[1]
        store_value(result, "aggregate", guarded(result, "aggregate", lambda: aggregation_times(frames, args.rounds)))
        view = Filters(**FILTERS["topic military"]).apply(frames)
        result.values["view_items"] = len(view.items)
        log(f"N={n:,}: our map ({len(view.items):,} items in the military view)")
        # warm-up, as the dashboard's start does: the first map of a process reads the basemap and the place tables
        guarded(result, "our_map", lambda: our_map(view))
        store_value(
            result,
            "our_map",
            guarded(
                result, "our_map", lambda: measure_map(lambda: our_map(view), args.rounds, args.step_timeout, "our map")
            ),
        )
        log(f"N={n:,}: naive map")
        store_value(
            result,
            "naive_map",
            guarded(
                result,
                "naive_map",
                lambda: measure_map(
                    lambda: naive_map(view, args.naive_cap), args.rounds, args.step_timeout, "naive map"
                ),
            ),
        )
        del frames, view, loaded

    if not args.skip_browser:
        log(f"N={n:,}: dashboard in Chromium")
        store_value(
            result,
            "browser",
            guarded(
                result,
                "browser",
                lambda: browser_measurements(sqlite_url, folder, max(1, min(args.rounds, 3)), args.browser_timeout),
            ),
        )
        log(f"N={n:,}: dashboard restarted on its snapshot")
        store_value(
            result,
            "restart",
            guarded(result, "restart", lambda: restart_seconds(sqlite_url, folder, args.browser_timeout)),
        )
    return result


def store_value(result: Result, key: str, value: object | None) -> None:
    """Keep a measured value (None: the measurement failed and its error is recorded)."""
    if value is not None:
        result.values[key] = value


# ------------------------------------------------------------------------------------------------ table


@dataclass
class Row:
    """One line of the table: a label, a cell per N, the target and whether each N meets it."""

    label: str
    cells: dict[int, str]
    target: str = ""
    met: dict[int, bool | None] = field(default_factory=dict)


def _s(seconds: float) -> str:
    """Seconds for people: ms below one second."""
    return f"{seconds * 1000:,.0f} ms" if seconds < 1 else f"{seconds:,.1f} s"


def _size(n_bytes: int) -> str:
    """Bytes as MB (10^6) or kB."""
    return f"{n_bytes / MB:,.1f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1000:,.0f} kB"


def _cell(result: Result, key: str, render: Callable[[object], str]) -> str:
    """A rendered value, or why it is missing."""
    if key in result.values:
        return render(result.values[key])
    if key in result.errors:
        return f"failed ({result.errors[key]})"
    return "n/a"


def build_rows(results: list[Result], args) -> list[Row]:
    """The table's rows from the measurements."""
    rows: list[Row] = []

    def row(label, key, render, target="", check=None):
        cells = {r.n: _cell(r, key, render) for r in results}
        met = {r.n: (check(r.values[key], r.n) if check and key in r.values else None) for r in results}
        rows.append(Row(label, cells, target, met))

    row(
        "tagging, mapdata actors.tag (items/s, all N items)",
        "tagging",
        lambda t: f"{t['mapdata']:,.0f}",
        ">= 50,000 items/s",
        lambda t, n: t["mapdata"] >= 50_000,
    )
    for tool in ("geotext", "flashgeotext"):

        def ref(t, tool=tool):
            if tool not in t["same"]:
                return f"n/a ({t['errors'].get(tool, 'not installed')})"
            ratio = t["same"]["mapdata"] / t["same"][tool]
            return (
                f"{t['same'][tool]:,.0f} (mapdata {ratio:,.1f}x faster; same {t['compared_on']:,} items, "
                f"mapdata {t['same']['mapdata']:,.0f} there)"
            )

        row(f"tagging, {tool} (items/s, interleaved, first <= {args.ref_cap:,} items)", "tagging", ref)
    row(
        "ingest into SQLite (read + tag + store, fresh file)",
        "ingest_sqlite",
        lambda v: f"{_s(v[0])} ({_runs(v[1])})",
        "<= 30 s at 100,000",
        lambda v, n: (v[0] <= 30) if n == 100_000 else None,
    )
    row("ingest into PostgreSQL (fresh database)", "ingest_pg", lambda v: f"{_s(v[0])} (1 run)")
    row("store.load_frames, SQLite (once)", "load_sqlite", _s)
    row("store.load_frames, PostgreSQL (once)", "load_pg", _s)
    if not (args.pg or pg_server_url()):
        for pg_row in (rows[-3], rows[-1]):
            pg_row.cells = {n: "not measured (no --pg, MAPDATA_DB_URL not PostgreSQL)" for n in pg_row.cells}
    row(
        "filter change -> apply + actors + pairs (median over filters)",
        "aggregate",
        lambda t: (
            f"{_s(statistics.median(t.values()))} over {len(t)} filters (max {_s(max(t.values()))}: "
            f"{max(t, key=t.get)}; military {_s(t['topic military'])}; each the median of <= {args.rounds} runs)"
        ),
        "<= 100 ms",
        lambda t, n: statistics.median(t.values()) <= 0.1,
    )
    row("items in the military view (map input)", "view_items", lambda v: f"{v:,}")
    row(
        "our map: build_map + render (median)",
        "our_map",
        lambda m: (
            f"{_s(m['build'] + m['render'])} (build {_s(m['build'])} + render {_s(m['render'])}; {_runs(m['runs'])})"
        ),
        "<= 300 ms",
        lambda m, n: m["build"] + m["render"] <= 0.3,
    )
    row("our map: HTML size", "our_map", lambda m: _size(m["bytes"]), "<= 1 MB", lambda m, n: m["bytes"] <= MB)

    def naive(m, r):
        markers, lines = m["extra"]
        view_items = r.values.get("view_items", 0)
        capped = (
            f"CAPPED at {args.naive_cap:,} of {view_items:,} items, not extrapolated; "
            if view_items > args.naive_cap
            else ""
        )
        return f"{_s(m['build'] + m['render'])}, {_size(m['bytes'])} ({capped}{markers:,} markers, {lines:,} lines; {_runs(m['runs'])})"

    rows.append(
        Row(
            "naive map: Marker+Popup per item, PolyLine per relation (time, HTML)",
            {
                r.n: (naive(r.values["naive_map"], r) if "naive_map" in r.values else _cell(r, "naive_map", str))
                for r in results
            },
        )
    )

    def ratio(r):
        if "naive_map" not in r.values or "our_map" not in r.values:
            return "n/a"
        o, m = r.values["our_map"], r.values["naive_map"]
        t = (m["build"] + m["render"]) / (o["build"] + o["render"])
        return f"naive/ours: time {t:,.2f}x, HTML {m['bytes'] / o['bytes']:,.2f}x" + (
            " (naive capped)" if r.values.get("view_items", 0) > args.naive_cap else ""
        )

    rows.append(Row("naive vs our map", {r.n: ratio(r) for r in results}))
    if not args.skip_browser:

        def loads(pick):
            def render(b):
                values = pick(b["loads"])
                return (
                    f"{_s(statistics.median(values))} ({_runs(len(values))})"
                    if values
                    else "; ".join(b["notes"]) or "n/a"
                )

            return render

        def load_check(pick):
            def check(b, n):
                values = pick(b["loads"])
                return statistics.median(values) <= 4 if values else False

            return check

        row(
            "browser: goto -> first markers, cold server (1st load)",
            "browser",
            loads(lambda v: v[:1]),
            "<= 4 s",
            load_check(lambda v: v[:1]),
        )
        row(
            "browser: goto -> first markers, restarted server (frames snapshot on disk, 1 run)",
            "restart",
            _s,
            "<= 4 s",
            lambda v, n: v <= 4,
        )

        def later(b):
            if len(b["loads"]) == 1:
                return "only 1 load (a round took > 60 s)"
            return loads(lambda v: v[1:])(b)

        row(
            "browser: goto -> first markers, later loads (median)",
            "browser",
            later,
            "<= 4 s",
            lambda b, n: (statistics.median(b["loads"][1:]) <= 4) if b["loads"][1:] else None,
        )

        def change(b):
            if not b["changes"]:
                return "; ".join(b["notes"]) or "n/a"
            before, after = b.get("captions", ("?", "?"))
            return f"{_s(statistics.median(b['changes']))} ({_runs(len(b['changes']))}; '{before}' -> '{after}')"

        row(
            "browser: pick topic 'military' -> caption + markers updated (median)",
            "browser",
            change,
            "<= 1.5 s",
            lambda b, n: statistics.median(b["changes"]) <= 1.5 if b["changes"] else False,
        )

        row(
            "browser: one step of the map's time control (median)",
            "browser",
            lambda b: (
                f"{_s(statistics.median(b['steps']))} (median of {len(b['steps'])} steps)" if b.get("steps") else "n/a"
            ),
            "<= 300 ms",
            lambda b, n: statistics.median(b["steps"]) <= 0.3 if b.get("steps") else None,
        )

        def rss(b):
            if not b.get("peak_rss"):
                return "n/a"
            unfinished = "" if b["changes"] else " (page still unfinished when stopped)"
            return _size(b["peak_rss"]) + unfinished

        row(
            "dashboard peak RSS (VmHWM of streamlit)",
            "browser",
            rss,
            "<= 1 GB (1,000 MB)",
            lambda b, n: b["peak_rss"] <= 1000 * MB if b.get("peak_rss") and b["changes"] else None,
        )
        rows.append(
            Row(
                "browser notes",
                {
                    r.n: "; ".join(r.values["browser"]["notes"]) or "-" if "browser" in r.values else "-"
                    for r in results
                },
            )
        )
    return rows


def _runs(k: int) -> str:
    """'1 run' or 'median of k'."""
    return "1 run" if k == 1 else f"median of {k}"


def markdown(rows: list[Row], ns: list[int]) -> str:
    """The rows as one markdown table."""
    header = ["measure"] + [f"N = {n:,}" for n in ns] + ["target", "met?"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        status = ""
        if row.target:
            marks = [f"{n:,}: " + ("met" if row.met.get(n) else "NOT met") for n in ns if row.met.get(n) is not None]
            status = ", ".join(marks) or "not measured"
        cells = [row.label] + [row.cells.get(n, "") for n in ns] + [row.target, status]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ main


def parse_items(value: str) -> list[int]:
    """'1000,10000,100_000' -> [1000, 10000, 100000]."""
    ns = [int(part.replace("_", "").strip()) for part in value.split(",") if part.strip()]
    if not ns or min(ns) < 1:
        raise argparse.ArgumentTypeError("--items takes positive integers separated by commas")
    return ns


def pg_server_url() -> str | None:
    """MAPDATA_DB_URL when it names a PostgreSQL server, else None."""
    url = os.environ.get("MAPDATA_DB_URL", "")
    return url if url.startswith("postgresql") else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--items", type=parse_items, default=parse_items("1000,10000"), help="item counts N, comma-separated"
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed repetitions behind each median")
    parser.add_argument("--skip-browser", action="store_true", help="leave out the dashboard in Chromium")
    parser.add_argument("--pg", action="store_true", help="start a throwaway PostgreSQL cluster and ingest into it too")
    parser.add_argument("--ref-cap", type=int, default=20_000, help="items per round for geotext and flashgeotext")
    parser.add_argument("--naive-cap", type=int, default=20_000, help="most items drawn on the naive map")
    parser.add_argument("--step-timeout", type=float, default=900, help="seconds allowed for one map build")
    parser.add_argument("--browser-timeout", type=float, default=600, help="seconds allowed for each browser wait")
    parser.add_argument(
        "--write", type=Path, metavar="FILE", help="also write the results as the benchmarks page (docs/benchmarks.md)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    load_before = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="mapdata-bench-"))
    # the dashboards' snapshots of the generated databases stay in the bench's folder, out of the user's cache
    os.environ["MAPDATA_SNAPSHOT_DIR"] = str(workdir / "snapshots")
    results: list[Result] = []
    try:
        with contextlib.ExitStack() as stack:
            pg = pg_server_url()
            if args.pg and not pg:
                log("starting a throwaway PostgreSQL cluster")
                try:
                    pg = stack.enter_context(pg_cluster())
                except Exception as err:
                    log(f"PostgreSQL not measured: {err}")
                    pg = None
            for n in args.items:
                try:
                    results.append(measure_n(n, args, workdir, pg))
                except Exception as err:  # generation or file writing failed: report it, go on with the next N
                    log(f"N={n:,} failed: {type(err).__name__}: {err}")
                    results.append(Result(n, errors={"tagging": f"{type(err).__name__}: {err}"}))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    took = time.perf_counter() - started
    ns = [r.n for r in results]
    facts = (
        f"**mapdata benchmark** · {machine_facts()} · generated items (bench/generate.py, seed 1) · "
        f"rounds {args.rounds} · load average {load_before} at start, {load_average()} at end · whole run {took / 60:.1f} min"
    )
    table = markdown(build_rows(results, args), ns)
    print(facts)
    print()
    print(table)
    if args.write:
        command = "python bench/run.py " + " ".join(sys.argv[1:])
        args.write.write_text(PAGE.format(command=command, facts=facts, table=table), encoding="utf-8")
        log(f"written to {args.write}")
    log(f"done in {took:.0f} s")
    return 0


PAGE = """# Benchmarks

This page is written by `bench/run.py --write docs/benchmarks.md`; every figure on it comes from the run it
names. Run it again after a change that could move one, on a machine doing nothing else: the figures move with
the machine's load (a shared 2-core VM here), so compare runs made the same hour.

    {command}

What is measured, for each number of items N (generated from the gazetteer and the lexicon by
`bench/generate.py`, so every item names real actors):
- tagging speed of mapdata's actor tagger, against geotext and flashgeotext on the same items in the same run;
- ingest (read, tag, store) into a fresh SQLite file and a fresh PostgreSQL database;
- reading the store back as frames, a filter change (apply the filters, count actors and pairs), and building
  the map, against a naive folium map with a marker and a popup per item;
- in Debian's Chromium driven by Playwright, with every request off 127.0.0.1 aborted: the time from opening
  the dashboard (`mapdata serve`) to its first markers, on a cold server, after a restart and on later loads,
  and from choosing a topic to the caption and markers following it; the dashboard's peak memory.

{facts}

{table}

Targets are the project's; "met" says whether this run met them. Speed is never asserted in the tests: it is
measured here, as whole programs, against a baseline in the same run.
"""


if __name__ == "__main__":
    raise SystemExit(main())
