"""The UI edge shared by every page: page setup, cached data access, the sidebar filters (widgets -> Filters).

It lives in the package file of pages/ because Streamlit turns every other file there into a page.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from mapdata import store
from mapdata.assets import install_static
from mapdata.filters import Filters
from mapdata.ingest import ensure_sample
from mapdata.models import TOPICS
from mapdata.store import Frames


def setup(title: str) -> None:
    """Page config and the locally served map assets; first call on every page."""
    st.set_page_config(page_title=f"{title} · mapdata", page_icon="🗺️", layout="wide")
    install_static()


@st.cache_resource(show_spinner=False)
def engine(url: str):
    """One engine per database URL per server process; the sample feed is ingested into an empty database."""
    eng = store.open_engine(url)
    ensure_sample(eng)
    return eng


@st.cache_data(ttl=300, show_spinner=False)
def frames(url: str, version: int) -> Frames:
    """All stored items as frames; `version` (the item count) changes when data is added."""
    return store.load_frames(engine(url))


def current_frames() -> Frames:
    """The stored data, from cache when nothing changed."""
    url = store.database_url()
    return frames(url, store.count_items(engine(url)))


def sidebar_filters(data: Frames) -> Filters:
    """Render the sidebar filters (seeded from the URL), keep the URL in step, return the Filters.

    Widget values live in session state under fixed keys, so every page shows the same filters.
    """
    if "filters_seeded" not in st.session_state:
        _seed_widgets(Filters.from_query(st.query_params.to_dict()), data)
        st.session_state["filters_seeded"] = True
    low, high = _span(data)
    bar = st.sidebar
    bar.header("Filters")
    picked = bar.date_input("Date range", key="dates", min_value=low, max_value=high, format="YYYY-MM-DD")
    bar.multiselect("Topics", TOPICS, key="topics", placeholder="All topics", help="Items with any of these topics")
    start, end = (picked + (None, None))[:2] if isinstance(picked, tuple) else (picked, picked)
    chosen = Filters(
        start=start if start and start != low else None,
        end=end if end and end != high else None,
        topics=tuple(st.session_state.get("topics") or ()),
    )
    query = chosen.to_query()
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    return chosen


def _span(data: Frames) -> tuple[date, date]:
    if data.items.empty:
        today = date.today()
        return today, today
    return data.items["date"].min(), data.items["date"].max()


def _seed_widgets(filters: Filters, data: Frames) -> None:
    low, high = _span(data)
    start = min(max(filters.start or low, low), high)
    end = max(min(filters.end or high, high), start)
    st.session_state["dates"] = (start, end)
    st.session_state["topics"] = list(filters.topics)


def shown_caption(view: Frames, data: Frames) -> str:
    """'Showing N of M items'."""
    return f"Showing {len(view.items):,} of {len(data.items):,} items"


