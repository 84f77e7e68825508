"""Live updates, drawn by the frame on every page: a fragment looks at the database's data version every few
seconds and, when it has changed (a watcher or another user added items), says how many items arrived and reruns
the app, whose map swaps its data layers and keeps its view, its filters and an open popup. And the analyst's
last visit, from which items count as new."""

from __future__ import annotations

import urllib.parse

import pandas as pd
import streamlit as st

from mapdata import sources, store
from pages import state

LIVE_EVERY = 5  # seconds between two looks at the data version (one small query)
SEEN_COOKIE = "mapdata_seen"  # set by the map (mapdata.js): the arrival time of the newest item it showed


def last_visit() -> pd.Timestamp | None:
    """When this browser last saw the data (the cookie the map sets), as it was when this session began: the
    items stored after it are new to the analyst."""
    session = st.session_state
    if "seen_before" not in session:
        raw = st.context.cookies.get(SEEN_COOKIE)
        try:
            seen = pd.Timestamp(urllib.parse.unquote(raw)) if isinstance(raw, str) and raw else None
        except ValueError:  # a cookie from elsewhere, or edited by hand
            seen = None
        if seen is not None:
            seen = seen.tz_localize("UTC") if seen.tzinfo is None else seen.tz_convert("UTC")
        session["seen_before"] = seen
    return session["seen_before"]


def follow(view: state.View) -> None:
    """Say what arrived since the last run, and keep looking (in the sidebar) while the database has sources.
    Without sources nothing looks: a fragment that reruns on a timer can, under load, swallow a filter change made
    at the same moment (one was lost in one of three CI runs of the twenty-sessions test after the fragment came
    in), a risk worth taking only where data arrives by itself."""
    arrived = st.session_state.pop("live_arrived", None)
    if arrived:
        st.toast(f"{arrived:,} new item{'s' if arrived != 1 else ''}: the map and the counts are updated")
    if not sources.all_sources(state.engine(view.url)):
        return
    with st.sidebar:
        _look(view.url, view.version, len(view.data.items))


@st.fragment(run_every=LIVE_EVERY)
def _look(url: str, version: tuple, count: int) -> None:
    if store.data_version(state.engine(url)) != version:
        st.session_state["live_arrived"] = max(0, store.count_items(state.engine(url)) - count)
        st.rerun()
    st.caption(f"Live: new items show up within {LIVE_EVERY} s of their arrival.")
