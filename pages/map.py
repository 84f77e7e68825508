"""The map: actor markers and relation lines of the filtered items; click one to read its items."""

import streamlit as st
from streamlit_folium import st_folium

from mapdata import aggregate, mapview
from mapdata.markup import actor_name, item_html
from pages import state

PANEL_ITEMS = 100  # items listed after a click; the Items page has them all
LIST_ITEMS = 100  # newest filtered items listed under the map (a list, not a table: the table widget's code
# takes a second to load in a fresh browser and would hold up the map; the Items page has the table)

view = state.current()
actors, pairs = view.map_rows
drawn = min(len(pairs), mapview.MAX_LINES)

st.title("Who acts on whom")
st.caption(
    f"{view.caption()} · {len(actors):,} actors · {len(pairs):,} relations"
    + (
        f" (the {drawn:,} busiest drawn; raise *Minimum items per actor* or narrow the filters to see others)"
        if drawn < len(pairs)
        else ""
    )
    + ". Click a marker or a line to read its items. Layers (top right) add a choropleth and a density view."
)

# The base map's script is the same on every run (st_folium mutates the object, so it is built afresh), so the
# component is not remounted when filters change: only the data layers are swapped, and the view is kept.
clicked = st_folium(
    mapview.base_map(),
    feature_group_to_add=mapview.layers(view.filtered, actors, pairs),
    layer_control=mapview.layer_control(),
    key="map",
    height=600,
    use_container_width=True,
    returned_objects=["last_active_drawing"],
)

keys = mapview.clicked_keys(clicked)
if len(keys) == 2:
    selected = aggregate.items_of_pair(view.filtered, *keys)
    heading = f"Items between {' and '.join(actor_name(k) for k in keys)}"
elif len(keys) == 1:
    selected = aggregate.items_of_actor(view.filtered, keys[0])
    heading = f"Items involving {actor_name(keys[0])}"
else:
    selected, heading = None, None

if selected is not None and not selected.items.empty:
    total = len(selected.items)
    st.subheader(heading)
    st.caption(
        f"{total:,} items, newest first{f' (the newest {PANEL_ITEMS} here)' if total > PANEL_ITEMS else ''}; "
        "the phrase behind each tag is highlighted"
    )
    st.html(
        item_html(
            selected, limit=PANEL_ITEMS, more="more: narrow the filters, or see the Items page", box="clicked-items"
        )
    )
else:
    st.info("Click a marker or a line on the map to read its items here.")

st.subheader("Filtered items")
st.caption(
    f"The newest {min(LIST_ITEMS, len(view.filtered.items)):,} of {len(view.filtered.items):,}, tagged phrases "
    "highlighted; the Items page sorts, searches and downloads them all."
)
st.html(item_html(view.filtered, limit=LIST_ITEMS, more="more on the Items page", box="filtered-items"))
