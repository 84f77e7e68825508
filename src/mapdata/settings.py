"""Every setting mapdata reads from the environment, and where its installed files are.

The environment is read here and nowhere else, at each call, so that a test or a benchmark can point a setting
elsewhere for one run. Files that travel with the package (data/, dashboard.py, pages/, static/, .streamlit/) are
found through importlib.resources: the repository's top folder is installed as the package `mapdata.app`, in a
wheel and in an editable install alike.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

#: every environment variable mapdata reads, and what it sets (the README's configuration table lists the same)
VARIABLES = {
    "MAPDATA_DB_URL": "the database, as a SQLAlchemy URL",
    "MAPDATA_DATA_DIR": "a folder of data files (aliases, leaders, lexicon, weights) to use instead of the installed data/",
    "MAPDATA_CACHE_DIR": "where the gazetteer's index and the dashboard's snapshots are kept",
    "MAPDATA_SNAPSHOT_DIR": "where the dashboard's snapshots are kept, if not in the cache folder",
    "MAPDATA_WATCH": "1: the dashboard's process also polls the sources (what `mapdata serve --watch` sets)",
}


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def watch_in_server() -> bool:
    """Does the dashboard's process poll the sources too (MAPDATA_WATCH=1, set by `mapdata serve --watch`)?"""
    return _env("MAPDATA_WATCH") == "1"


def app_dir() -> Path:
    """The installed dashboard: dashboard.py, pages/, static/, .streamlit/ (and data/)."""
    return Path(str(resources.files("mapdata.app")))


def data_dir() -> Path:
    """The data files: MAPDATA_DATA_DIR, else the data/ folder installed with the package."""
    given = _env("MAPDATA_DATA_DIR")
    return Path(given) if given else app_dir() / "data"


def data_file(name: str) -> Path:
    """One file of the data folder."""
    return data_dir() / name


#: the order `mapdata learn` reads the labelled sets in (learning sums over the briefs in this order); others follow
TRAINING_ORDER = ("dev", "dev2", "dev3", "dev4", "holdout", "dev5", "dev6", "dev7", "dev8", "dev9")


def briefs_dir() -> Path:
    """The labelled briefs that the topic and tone weights are learned from (data/briefs)."""
    return data_dir() / "briefs"


def training_sets(english: bool = True) -> list[Path]:
    """The English labelled sets of data/briefs (the first ones in TRAINING_ORDER, then the rest by name), or with
    `english` False those of the other languages, each named for its language ("ru_briefs.jsonl")."""
    found = [p for p in sorted(briefs_dir().glob("*_briefs.jsonl")) if is_english_set(p) == english]
    rank = {f"{name}_briefs.jsonl": i for i, name in enumerate(TRAINING_ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.name, len(rank)), p.name))


def is_english_set(path: Path) -> bool:
    """Whether a labelled set of data/briefs is English: the others are named for their language (ISO 639-1)."""
    prefix = path.name.split("_", 1)[0]
    return not (len(prefix) == 2 and prefix.isalpha())


def cache_dir() -> Path:
    """MAPDATA_CACHE_DIR, else the user's cache folder (~/.cache/mapdata on Linux)."""
    given = _env("MAPDATA_CACHE_DIR")
    return Path(given) if given else Path(platformdirs.user_cache_dir("mapdata", appauthor=False))


def snapshot_dir() -> Path:
    """MAPDATA_SNAPSHOT_DIR, else the cache folder."""
    given = _env("MAPDATA_SNAPSHOT_DIR")
    return Path(given) if given else cache_dir()


def default_database() -> Path:
    """The SQLite file used when MAPDATA_DB_URL is not set: in the user's data folder (~/.local/share/mapdata)."""
    return Path(platformdirs.user_data_dir("mapdata", appauthor=False)) / "mapdata.sqlite"


def database_url() -> str:
    """MAPDATA_DB_URL, else a SQLite file in the user's data folder.

    A relative SQLite path is made absolute, so the URL names the same file whatever the working directory
    (`mapdata serve` runs the dashboard from its installed folder)."""
    url = _env("MAPDATA_DB_URL")
    if not url:
        return f"sqlite:///{default_database()}"
    prefix = "sqlite:///"
    path = url.removeprefix(prefix)
    if url.startswith(prefix) and path and path != ":memory:" and not path.startswith(("/", "file:")):
        return prefix + str(Path(path).resolve())
    return url


def pin_paths() -> None:
    """Make the settings that name files absolute in this process's environment, for a process started from it in
    another folder (`mapdata serve` runs the dashboard from its installed folder)."""
    if _env("MAPDATA_DB_URL"):
        os.environ["MAPDATA_DB_URL"] = database_url()
    for name in ("MAPDATA_DATA_DIR", "MAPDATA_CACHE_DIR", "MAPDATA_SNAPSHOT_DIR"):
        if _env(name):
            os.environ[name] = str(Path(_env(name)).resolve())
