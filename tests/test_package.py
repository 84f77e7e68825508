"""mapdata as a package a user installs: a plain `pip install .` and a built wheel, each in a fresh virtualenv,
used from another folder with nothing of the checkout beside it: tag, ingest and serve the seed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from support import MAP, ROOT, SEED, WAIT, AppServer, gate

pytestmark = pytest.mark.browser


def fresh_venv(folder: Path) -> Path:
    """A new virtualenv with pip; returns its bin folder."""
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    return folder / "bin"


def pip(bindir: Path, *args: str) -> None:
    done = subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the checkout's committed and working files (not the checkout itself: a
    build writes into the source folder)."""
    source = tmp_path_factory.mktemp("source") / "mapdata"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache", "var"
        ),
    )
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (found,) = out.glob("mapdata-*.whl")
    return found


def test_the_wheel_carries_the_data_and_the_dashboard(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "mapdata/app/dashboard.py",
        "mapdata/app/pages/map.py",
        "mapdata/app/pages/state.py",
        "mapdata/app/.streamlit/config.toml",
        "mapdata/app/static/leaflet/leaflet.js",
        "mapdata/app/static/mapdata/mapdata.js",
        "mapdata/app/data/organisations.csv",
        "mapdata/app/data/learned_weights.csv",
        "mapdata/app/data/sample_news_2025-11-01.txt",
        "mapdata/migrations/versions/0001_initial.py",
        "mapdata/feeds/records.py",
        "mapdata/store/read.py",
    ):
        assert name in names, name
    assert not [n for n in names if n.startswith(("mapdata/app/tests/", "mapdata/app/bench/"))]


@pytest.mark.parametrize("how", ["pip install .", "pip install the wheel"])
def test_installed_package_tags_ingests_and_serves_from_another_folder(how, wheel, tmp_path, browser):
    bindir = fresh_venv(tmp_path / "venv")
    pip(bindir, str(ROOT) if how == "pip install ." else str(wheel))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    feed = elsewhere / "seed.txt"
    shutil.copy(SEED, feed)
    env = {
        "PATH": f"{bindir}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "MAPDATA_DB_URL": "sqlite:///mine.sqlite",
    }  # relative: to the folder the user is in
    tagged = subprocess.run(
        [str(bindir / "mapdata"), "tag", "seed.txt"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tagged.returncode == 0, tagged.stderr
    assert len(tagged.stdout.splitlines()) == 11
    ingested = subprocess.run(
        [str(bindir / "mapdata"), "ingest", "seed.txt"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ingested.returncode == 0, ingested.stderr
    assert "11 new, 0 already present, 0 rejected" in ingested.stdout
    assert (elsewhere / "mine.sqlite").exists()
    # the dashboard of the installed package, over the database the user named, from their folder
    server = AppServer(tmp_path, "sqlite:///mine.sqlite", env=env, command=[str(bindir / "mapdata")], cwd=elsewhere)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", gate)
    try:
        page = context.new_page()
        page.goto(server.url)
        expect(page.frame_locator(MAP).locator("path.mapdata-actor").first).to_be_attached(timeout=WAIT)
        expect(page.get_by_test_id("stSidebar").get_by_text("Showing 11 of 11 items")).to_be_visible(timeout=WAIT)
    finally:
        context.close()
        server.stop()
    assert "Traceback" not in server.output(), server.output()[-3000:]
