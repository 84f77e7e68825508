"""The filtered items as a searchable, sortable table with their tags and evidence; CSV, JSON Lines, GeoJSON."""

import json

import streamlit as st

from mapdata import aggregate, export
from mapdata.frames import by_ids
from pages import state

TABLE_ITEMS = 2_000  # rows sent to the browser; the downloads hold every item of the view

current = state.current()
view = current.filtered

st.title("Items")
query = st.text_input("Search the item text", key="item_search", placeholder="e.g. embassy")
if query:
    keep = view.items["text"].str.contains(query, case=False, regex=False)
    view = by_ids(view, view.items.loc[keep, "id"])
table = aggregate.item_table(view, TABLE_ITEMS)
shown = aggregate.newest_first(view, TABLE_ITEMS)
evidence = (
    shown.tags.assign(
        shown=lambda t: (
            t["phrase"].where(t["phrase"] != "", "(added by hand)")
            + " → "
            + t["actor"].str.removeprefix("org:")
            + t["manual"].map({True: " (manual)", False: ""})
        )
    )
    .groupby("item_id")["shown"]
    .agg("; ".join)
)
table.insert(6, "evidence", table["id"].map(evidence).fillna(""))
total = len(view.items)
st.caption(
    (f"The newest {TABLE_ITEMS:,} of {total:,} items in this view" if total > TABLE_ITEMS else f"{total:,} items shown")
    + f" (of {len(current.data.items):,} stored). Click a column header to sort; the downloads hold all {total:,}."
)
st.dataframe(table, hide_index=True, width="stretch", key="items_table")

# the files are made when a button is clicked, not on every rerun (at 100,000 items that takes seconds)
left, middle, right = st.columns(3)
left.download_button(
    "Download CSV",
    lambda: export.to_csv(view).encode("utf-8"),
    file_name="mapdata-items.csv",
    mime="text/csv",
    key="download_csv",
    on_click="ignore",
)
middle.download_button(
    "Download JSON Lines",
    lambda: export.to_jsonl(view).encode("utf-8"),
    file_name="mapdata-items.jsonl",
    mime="application/x-ndjson",
    key="download_jsonl",
    on_click="ignore",
)
right.download_button(
    "Download GeoJSON (map layers)",
    lambda: json.dumps(export.to_geojson(view)).encode("utf-8"),
    file_name="mapdata-map.geojson",
    mime="application/geo+json",
    key="download_geojson",
    on_click="ignore",
)
