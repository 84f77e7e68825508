"""The UI edge shared by every page: page setup, cached data access, the sidebar filters (widgets -> Filters).

It lives in the package file of pages/ because Streamlit turns every other file there into a page.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import date

import pandas as pd
import streamlit as st

from mapdata import aggregate, gazetteer, mapview, snapshot, store
from mapdata.assets import install_static
from mapdata.filters import Filters
from mapdata.ingest import ensure_sample
from mapdata.models import TONES, TOPICS
from mapdata.store import Frames


def setup(title: str) -> None:
    """Page config and the locally served map assets; first call on every page."""
    st.set_page_config(page_title=f"{title} · mapdata", page_icon="🗺️", layout="wide")
    install_static()
    st.session_state["page"] = title


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


@st.cache_resource(show_spinner=False, max_entries=32)
def map_rows(url: str, version: tuple, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The map's actor and pair rows for some filters."""
    return aggregate.view(filtered(url, version, filters), filters.min_items, filters.border_only)


def _data_key() -> tuple[str, tuple]:
    """The database URL and its data version, read once per script run (by `current_frames`)."""
    key = st.session_state.get("data_key")
    if key is None:
        url = store.database_url()
        key = (url, store.data_version(engine(url)))
    return key


def current_frames() -> Frames:
    """The stored data, from cache when nothing changed."""
    url = store.database_url()
    st.session_state["data_key"] = key = (url, store.data_version(engine(url)))
    return frames(*key)


def current_view(filters: Filters) -> Frames:
    """The stored data narrowed by the sidebar's filters, from cache when nothing changed."""
    return filtered(*_data_key(), filters)


def current_map_rows(filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The map's actor and pair rows for the sidebar's filters, from cache when nothing changed."""
    return map_rows(*_data_key(), filters)


def sidebar_filters(data: Frames) -> Filters:
    """Render the sidebar filters (seeded from the URL), keep the URL in step, return the Filters.

    Widget values live in session state under fixed keys, so every page shows the same filters.
    """
    low, high = _span(data)
    st.session_state["date_bounds"] = (low, high)
    if "filters_seeded" not in st.session_state:
        _seed_widgets(Filters.from_query(st.query_params.to_dict()), low, high)
        st.session_state["filters_seeded"] = True
    elif st.session_state.get("filters_page") != st.session_state.get("page") and "view_filters" in st.session_state:
        # Streamlit drops the state of widgets that the previous page drew: carry the filters over
        _seed_widgets(st.session_state["view_filters"], low, high)
    st.session_state["filters_page"] = st.session_state.get("page")
    countries, organisations = _actor_options(data)
    state = st.session_state
    # a bookmarked URL may name actors this database does not hold: keep only what can be chosen
    state["countries"] = [c for c in state.get("countries") or [] if c in countries]
    state["organisations"] = [o for o in state.get("organisations") or [] if o in organisations]
    bar = st.sidebar
    bar.header("Filters")
    picked = bar.date_input("Date range", key="dates", min_value=low, max_value=high, format="YYYY-MM-DD")
    bar.multiselect("Topics", TOPICS, key="topics", placeholder="All topics", help="Items with any of these topics")
    bar.multiselect("Countries", countries, key="countries", format_func=lambda c: f"{_name(c)} ({c})",
                    placeholder="All countries", help="Items involving any of these countries")
    bar.multiselect("Organisations", organisations, key="organisations", placeholder="All organisations",
                    format_func=lambda c: f"{_name('org:' + c)} ({c})")
    bar.multiselect("Tone", TONES, key="tones", placeholder="Any tone")
    bar.text_input("Search the text", key="search", placeholder="e.g. embassy")
    bar.checkbox("Border relations only", key="border_only",
                 help="Items with a relation line between two countries that share a land border")
    bar.number_input("Minimum items per actor", key="min_items", min_value=1, max_value=100_000, step=1)
    start, end = (tuple(picked) + (None, None))[:2] if isinstance(picked, (tuple, list)) else (picked, picked)
    chosen = Filters(
        start=start if start and start != low else None,
        end=end if end and end != high else None,
        topics=tuple(state.get("topics") or ()),
        countries=tuple(state.get("countries") or ()),
        organisations=tuple(state.get("organisations") or ()),
        tones=tuple(state.get("tones") or ()),
        search=(state.get("search") or "").strip(),
        border_only=bool(state.get("border_only")),
        min_items=int(state.get("min_items") or 1),
    )
    bar.caption(shown_caption(current_view(chosen), data))
    bar.button("Reset filters", key="reset", on_click=_reset, args=(low, high), disabled=not chosen.active)
    query = chosen.to_query()
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state["view_filters"] = chosen
    return chosen


def narrow_dates(first: date, last: date) -> None:
    """Narrow every view to a period (from the timeline) and rerun."""
    low, high = st.session_state.get("date_bounds", (first, last))
    start, end = max(first, low), min(last, high)
    if start <= end and tuple(st.session_state.get("dates", ())) != (start, end):
        st.session_state["dates"] = (start, end)
        st.rerun()


def _reset(low: date, high: date) -> None:
    _seed_widgets(Filters(), low, high)


def _name(key: str) -> str:
    return gazetteer.load().name_of(key)


def _actor_options(data: Frames) -> tuple[list[str], list[str]]:
    """Country codes and organisation acronyms present in the data, by display name."""
    keys = set(data.keys.actors) if data.keys is not None else set(data.tags["actor"])
    countries = sorted((k for k in keys if not k.startswith("org:")), key=_name)
    organisations = sorted(k.removeprefix("org:") for k in keys if k.startswith("org:"))
    return countries, organisations


def _span(data: Frames) -> tuple[date, date]:
    if data.items.empty:
        today = date.today()
        return today, today
    return data.items["date"].min(), data.items["date"].max()


def _seed_widgets(filters: Filters, low: date, high: date) -> None:
    start = min(max(filters.start or low, low), high)
    end = max(min(filters.end or high, high), start)
    state = st.session_state
    state["dates"] = (start, end)
    state["topics"] = list(filters.topics)
    state["countries"] = list(filters.countries)
    state["organisations"] = list(filters.organisations)
    state["tones"] = list(filters.tones)
    state["search"] = filters.search
    state["border_only"] = filters.border_only
    state["min_items"] = filters.min_items


def shown_caption(view: Frames, data: Frames) -> str:
    """'Showing N of M items'."""
    return f"Showing {len(view.items):,} of {len(data.items):,} items"




def warm(url: str | None = None) -> float:
    """Fill the caches a first visit needs (the stored frames, the unfiltered view, its map rows and the lookups
    behind the map's layers) and return the seconds it took."""
    start = time.perf_counter()
    url = url or store.database_url()
    key = (url, store.data_version(engine(url)))
    frames(*key)
    view = filtered(*key, Filters())
    actors, pairs = map_rows(*key, Filters())
    mapview.layers(view, actors, pairs)
    return time.perf_counter() - start


def _warm_in_background() -> None:
    # Streamlit warns that this thread has no script run; here that is the point (a filter, since Streamlit
    # resets its loggers' levels when it reads its config)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    try:
        print(f"mapdata: caches warm in {warm():.1f} s", file=sys.stderr, flush=True)
    except Exception as err:  # the first visit then loads the data itself and shows what is wrong
        print(f"mapdata: warming the caches failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)


def serve(streamlit_args: list[str]) -> int:
    """Run `streamlit run dashboard.py` in this process while a background thread warms the caches, so that
    the first visitor of a fresh server finds the data loaded (a plain `streamlit run` loads it on that visit)."""
    from streamlit.web import cli

    threading.Thread(target=_warm_in_background, name="mapdata-warm", daemon=True).start()
    try:
        cli.main(args=["run", "dashboard.py", *streamlit_args], prog_name="streamlit")
    except SystemExit as done:
        return int(done.code or 0)
    return 0
