"""Cached access to the stored data, shared by every page and session: caching sits here, at the UI edge.

One engine per database, the stored items as frames once per data version (read-only, shared by all sessions),
and the views and map rows of the filters that sessions chose. `warm` fills what a first visit needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import cached_property

import pandas as pd
import streamlit as st

from mapdata import aggregate, mapview, settings, snapshot, store
from mapdata.filters import Filters
from mapdata.frames import Frames
from mapdata.ingest import ensure_sample
from pages import sidebar


@st.cache_resource(show_spinner=False)
def engine(url: str):
    """One engine per database URL per server process; the sample feed is ingested into an empty database."""
    eng = store.open_engine(url)
    ensure_sample(eng)
    return eng


@st.cache_resource(show_spinner="Loading the stored items…", max_entries=2)
def frames(url: str, version: tuple) -> Frames:
    """All stored items as frames, shared read-only by every session (no copy per rerun); `version` changes
    whenever items, tags or corrections change."""
    return snapshot.load(engine(url), url, background=True)


@st.cache_resource(show_spinner=False, max_entries=32)
def filtered(url: str, version: tuple, filters: Filters) -> Frames:
    """The stored items narrowed by some filters, shared by the sessions that chose the same filters."""
    return filters.apply(frames(url, version))


@st.cache_resource(show_spinner=False, max_entries=8)
def review_order(url: str, version: tuple, filters: Filters) -> list[str] | None:
    """The items the filters leave, every report of a story, least certain first (the review queue's order), or
    None when the filters leave every item."""
    data = frames(url, version)
    view = replace(filters, every_report=True).apply(data)
    return aggregate.least_sure_first(view) if len(view.items) < len(data.items) else None


@st.cache_resource(show_spinner=False, max_entries=32)
def map_rows(url: str, version: tuple, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The map's actor and pair rows for some filters."""
    return aggregate.view(filtered(url, version, filters), filters.min_items, filters.border_only)


@dataclass(frozen=True)
class View:
    """What every page shows: the stored data, the sidebar's filters, and the data they leave."""

    url: str
    version: tuple
    filters: Filters

    @property
    def data(self) -> Frames:
        """Every stored item."""
        return frames(self.url, self.version)

    @cached_property
    def filtered(self) -> Frames:
        """The stored items that pass the filters."""
        return filtered(self.url, self.version, self.filters)

    @cached_property
    def map_rows(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The map's actor and pair rows for the filters."""
        return map_rows(self.url, self.version, self.filters)

    def caption(self) -> str:
        """'Showing N of M items', or of M stories when some stories have several reports and they count once."""
        data = self.data
        if self.filters.every_report or data.story_count == len(data.items):
            return f"Showing {len(self.filtered.items):,} of {len(data.items):,} items"
        return (
            f"Showing {len(self.filtered.items):,} of {data.story_count:,} stories "
            f"({len(data.items):,} reports; a story's reports count once)"
        )


def stored() -> tuple[str, tuple]:
    """The database's URL and its data version now."""
    url = settings.database_url()
    return url, store.data_version(engine(url))


def current() -> View:
    """The stored data now and the filters the sidebar holds: what the frame and the page of a run both show
    (a page reads it itself, so it never depends on what another script of the run left behind)."""
    url, version = stored()
    return View(url, version, sidebar.filters(frames(url, version)))


def warm(url: str | None = None) -> float:
    """Fill the caches a first visit needs (the stored frames, the unfiltered view, its map rows, the basemap and
    the lookups behind the map's layers) and return the seconds it took."""
    start = time.perf_counter()
    url = url or settings.database_url()
    key = (url, store.data_version(engine(url)))
    frames(*key)
    view = filtered(*key, Filters())
    actors, pairs = map_rows(*key, Filters())
    mapview.base_map()  # the basemap's outlines, names and capitals, read once per process
    mapview.layers(view, actors, pairs)
    return time.perf_counter() - start
