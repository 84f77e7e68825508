"""The filtered items as a searchable, sortable table with their tags and evidence; CSV, JSON Lines, GeoJSON."""

import json

import streamlit as st

from mapdata import aggregate, export
from pages import current_frames, current_view, setup, sidebar_filters

setup("Items")
data = current_frames()
view = current_view(sidebar_filters(data))

st.title("Items")
query = st.text_input("Search the item text", key="item_search", placeholder="e.g. embassy")
if query:
    keep = view.items["text"].str.contains(query, case=False, regex=False)
    view = aggregate.subset(view, view.items.loc[keep, "id"])
table = aggregate.item_table(view)
evidence = view.tags.assign(
    shown=lambda t: t["phrase"].where(t["phrase"] != "", "(added by hand)")
    + " → " + t["actor"].str.removeprefix("org:") + t["manual"].map({True: " (manual)", False: ""})
).groupby("item_id")["shown"].apply("; ".join)
table.insert(6, "evidence", table["id"].map(evidence).fillna(""))
st.caption(f"{len(table):,} items shown (of {len(data.items):,} stored). Click a column header to sort.")
st.dataframe(table, hide_index=True, width="stretch", key="items_table")

left, middle, right = st.columns(3)
left.download_button("Download CSV", export.to_csv(view).encode("utf-8"), file_name="mapdata-items.csv",
                     mime="text/csv", key="download_csv")
middle.download_button("Download JSON Lines", export.to_jsonl(view).encode("utf-8"), file_name="mapdata-items.jsonl",
                       mime="application/x-ndjson", key="download_jsonl")
right.download_button("Download GeoJSON (map layers)", json.dumps(export.to_geojson(view)).encode("utf-8"),
                      file_name="mapdata-map.geojson", mime="application/geo+json", key="download_geojson")
