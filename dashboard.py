"""The dashboard's map page: actor markers and relation lines of the filtered items; click one to read its items."""

import streamlit as st
from streamlit_folium import st_folium

from mapdata import aggregate, mapview
from pages import current_frames, setup, shown_caption, sidebar_filters

setup("Map")
data = current_frames()
view = sidebar_filters(data).apply(data)
actors = aggregate.actors(view)
pairs = aggregate.pairs(view)

st.title("Who acts on whom")
st.caption(
    f"{shown_caption(view, data)} · {len(actors)} actors · {len(pairs)} relations. "
    "Circles are countries, diamonds organisations; colour is the dominant tone "
    "(orange conflict, blue cooperation, grey neutral); dashed lines join countries that share a land border."
)

# The base map's script is the same on every run (st_folium mutates the object, so it is built afresh),
# so the component is not remounted when filters change: only the data layer is swapped in place.
clicked = st_folium(
    mapview.base_map(),
    feature_group_to_add=mapview.layers(view, actors, pairs),
    key="map",
    height=560,
    returned_objects=["last_object_clicked", "last_object_clicked_tooltip"],
)

codes = mapview.keys_in((clicked or {}).get("last_object_clicked_tooltip"))
if len(codes) == 2:
    selected = aggregate.items_of_pair(view, *codes)
    heading = f"Items between {' and '.join(mapview.actor_name(c) for c in codes)}"
elif len(codes) == 1:
    selected = aggregate.items_of_actor(view, codes[0])
    heading = f"Items involving {mapview.actor_name(codes[0])}"
else:
    selected, heading = None, None

if selected is not None and not selected.items.empty:
    st.subheader(heading)
    st.markdown(mapview.item_html(selected, limit=len(selected.items)), unsafe_allow_html=True)
else:
    st.info("Click a marker or a line on the map to read its items here.")

st.subheader("Filtered items")
st.dataframe(aggregate.item_table(view), hide_index=True, width="stretch", key="items_under_map")
