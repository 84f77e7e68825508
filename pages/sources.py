"""The Data page's sources section: the feeds the watcher polls, as `mapdata sources list` shows them, and for an
editor the forms that add one, pause, resume or remove it, or fetch it now."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapdata import sources, watch
from mapdata.errors import MapdataError


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def table(rows: list[sources.Source]) -> pd.DataFrame:
    """The sources as a table: the columns of `mapdata sources list`."""
    return pd.DataFrame(
        [
            {
                "name": s.name,
                "url": s.url,
                "every": sources.format_every(s.every),
                "paused": s.paused,
                "last attempt (UTC)": _when(s.last_attempt),
                "last success (UTC)": _when(s.last_success),
                "last error": s.last_error,
                "items added": s.items_added,
                "next due (UTC)": "" if s.paused else _when(s.next_due),
            }
            for s in rows
        ],
        columns=[
            "name",
            "url",
            "every",
            "paused",
            "last attempt (UTC)",
            "last success (UTC)",
            "last error",
            "items added",
            "next due (UTC)",
        ],
    )


def section(engine, editor: str | None) -> None:
    """Draw the section; only an editor (see pages/account.py) gets the controls."""
    st.subheader("Sources")
    rows = sources.all_sources(engine)
    running = watch.running_here()
    st.caption(
        "Feeds polled on a schedule by `mapdata watch` (or `mapdata serve --watch`, "
        + ("running in this server" if running else "not running in this server")
        + "); their new items are tagged, stored and grouped into stories."
    )
    if rows:
        st.dataframe(table(rows), hide_index=True, width="stretch", key="sources_table")
    else:
        st.caption("No sources yet.")
    if editor is None:
        return
    done = st.session_state.pop("source_done", None)
    if done:
        st.success(done)
    with st.form("add_source", clear_on_submit=True):
        left, middle, right = st.columns([3, 1, 1])
        url = left.text_input("Feed URL", placeholder="https://example.org/news/rss.xml", key="source_url")
        name = middle.text_input("Name (optional)", key="source_name")
        every = right.text_input("Every", value="15m", help="15m, 1h, 90s, 2d", key="source_every")
        if st.form_submit_button("Add source"):
            try:
                added = sources.add(engine, url, name, sources.parse_every(every), account=editor)
            except MapdataError as err:
                st.error(str(err))
            else:
                st.session_state["source_done"] = (
                    f"Added {added.name}: polled every {sources.format_every(added.every)}."
                )
                st.rerun()
    if not rows:
        return
    chosen = st.selectbox("Source", [s.name for s in rows], key="source_chosen")
    source = next(s for s in rows if s.name == chosen)
    fetch_now, toggle, remove = st.columns(3)
    try:
        if fetch_now.button("Fetch now", key="source_fetch"):
            st.session_state["source_done"] = _fetch_now(engine, source.name, running)
            st.rerun()
        if toggle.button("Resume" if source.paused else "Pause", key="source_pause"):
            sources.set_paused(engine, source.name, not source.paused, account=editor)
            st.session_state["source_done"] = f"{'Resumed' if source.paused else 'Paused'} {source.name}."
            st.rerun()
        if remove.button("Remove", key="source_remove"):
            sources.remove(engine, source.name, account=editor)
            st.session_state["source_done"] = f"Removed {source.name}; the items it added stay."
            st.rerun()
    except MapdataError as err:
        st.error(str(err))


def _fetch_now(engine, name: str, running: bool) -> str:
    """Poll a source at once: the server's own watcher is asked to (it looks every few seconds); without one, it
    is polled here."""
    if running:
        sources.make_due(engine, name)
        return f"{name} is due now: the watcher polls it within a few seconds."
    try:
        with watch.Watcher(engine) as watcher, st.spinner(f"Fetching {name}…"):
            poll = watcher.poll_source(name)
    except watch.WatchError as err:  # a `mapdata watch` process holds this SQLite database: let it poll
        sources.make_due(engine, name)
        return f"{name} is due now ({err})."
    return poll.line() if poll else f"{name} was being polled elsewhere, or is paused."
