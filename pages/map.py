"""The map: actor markers and relation lines of the filtered items; click one to read its items and to see that
actor's whole network, click the map's background to return to the overview."""

import streamlit as st
from streamlit_folium import st_folium

from mapdata import aggregate, mapview
from mapdata.markup import actor_name, item_html
from pages import live, state

PANEL_ITEMS = 100  # items listed after a click; the Items page has them all
LIST_ITEMS = 100  # newest filtered items listed under the map (a list, not a table: the table widget's code
# takes a second to load in a fresh browser and would hold up the map; the Items page has the table)
# the map takes most of the window's height, whatever the window (st_folium sizes its frame in pixels)
MAP_HEIGHT = "<style>iframe[title='streamlit_folium.st_folium']{height:72vh !important;min-height:420px}</style>"


def focus_from(clicked: dict | None) -> list[str]:
    """The actor keys the map is focused on after this run's report of the map: a click on a marker or a line
    focuses on it; a click on the map's background (the last click moved, the last clicked object did not)
    returns to the overview; anything else (a zoom, a pan) keeps the focus."""
    clicked = clicked or {}
    last = st.session_state.get("map_last_report", {})
    st.session_state["map_last_report"] = {k: clicked.get(k) for k in ("last_clicked", "last_active_drawing")}
    if clicked.get("last_active_drawing") != last.get("last_active_drawing"):
        st.session_state["map_focus"] = mapview.clicked_keys(clicked)
    elif clicked.get("last_clicked") != last.get("last_clicked"):
        st.session_state["map_focus"] = []
    return st.session_state.get("map_focus", [])


view = state.current()
actors, pairs = view.map_rows
st.html(MAP_HEIGHT)
st.title("Who acts on whom")
lines = st.segmented_control(
    "Relation lines",
    list(mapview.LINE_CHOICES),
    default="40",
    key="lines",
    bind="query-params",
    help="The busiest relations are drawn; clicking an actor draws all of its relations.",
)
max_lines = mapview.LINE_CHOICES.get(lines or "40", mapview.DEFAULT_LINES)
drawn = len(pairs) if max_lines is None else min(len(pairs), max_lines)

# st_folium's callback has stored the map's latest report under its key before this run began: the focus it
# asks for is drawn in this very run
keys = focus_from(st.session_state.get("map"))
actor_focus = keys[0] if len(keys) == 1 else None
new_since = live.last_visit()
arrived = view.data.items["added_at"]
seen = arrived.max() if len(arrived) else None
fresh = int((view.filtered.items["added_at"] > new_since).sum()) if new_since is not None else 0
st.caption(
    f"{view.caption()} · {len(actors):,} actors · {len(pairs):,} relations, the {drawn:,} busiest drawn. "
    "Click a marker to see its whole network and read its items, the map's background to return to the overview."
    + (f" {fresh:,} arrived since your last visit: their actors are ringed in red." if fresh else "")
)

# The base map's script is the same on every run (st_folium mutates the object, so it is built afresh), so the
# component is not remounted when filters change: only the data layers are swapped, and the view is kept.
st_folium(
    mapview.base_map(),
    feature_group_to_add=mapview.layers(
        view.filtered, actors, pairs, max_lines=max_lines, focus=actor_focus, new_since=new_since, seen=seen
    ),
    layer_control=mapview.layer_control(),
    key="map",
    height=600,
    use_container_width=True,
    returned_objects=["last_active_drawing", "last_clicked"],
)

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
        "the phrase behind each tag is highlighted, actors named only in passing are marked apart"
    )
    st.html(
        item_html(
            selected,
            limit=PANEL_ITEMS,
            more="more: narrow the filters, or see the Items page",
            box="clicked-items",
            new_since=new_since,
        )
    )
else:
    st.info("Click a marker or a line on the map to read its items here.")

st.subheader("Filtered items")
st.caption(
    f"The newest {min(LIST_ITEMS, len(view.filtered.items)):,} of {len(view.filtered.items):,}, tagged phrases "
    "highlighted; the Items page sorts, searches and downloads them all."
)
st.html(
    item_html(view.filtered, limit=LIST_ITEMS, more="more on the Items page", box="filtered-items", new_since=new_since)
)
