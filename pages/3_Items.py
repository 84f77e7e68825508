"""The filtered items as a searchable, sortable table with a CSV download."""

import streamlit as st

from mapdata import aggregate
from pages import current_frames, setup, sidebar_filters

setup("Items")
data = current_frames()
view = sidebar_filters(data).apply(data)
table = aggregate.item_table(view)

st.title("Items")
query = st.text_input("Search the item text", key="item_search", placeholder="e.g. embassy")
if query:
    table = table[table["text"].str.contains(query, case=False, regex=False)]
st.caption(f"{len(table):,} items shown (of {len(data.items):,} stored)")
st.dataframe(table, hide_index=True, width="stretch", key="items_table")
st.download_button(
    "Download CSV",
    table.to_csv(index=False).encode("utf-8"),
    file_name="mapdata-items.csv",
    mime="text/csv",
    key="download_csv",
)
