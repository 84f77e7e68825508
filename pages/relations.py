"""Relations: the actor-by-actor matrix, the top pairs with their items, and one actor's ego view."""

import pandas as pd
import streamlit as st

from mapdata import aggregate
from mapdata.mapview import TONE_COLOURS
from mapdata.markup import actor_name, item_html
from pages import state

PAIR_ITEMS = 20  # items listed under each of the top pairs

view = state.current().filtered
st.title("Relations")
if view.relations.empty:
    st.info("No relation lines in this view.")
    st.stop()

st.subheader("Who acts on whom")
top = st.slider("Actors in the matrix", min_value=3, max_value=30, value=12, key="matrix_size")
counts, tones = aggregate.matrix(view, top)
st.caption(
    "Rows act on columns (the lead actor of an item toward each other actor); the number is items, "
    "the colour the dominant tone: " + ", ".join(f"{tone} {colour}" for tone, colour in TONE_COLOURS.items())
)
shown = counts.rename(index=actor_name, columns=actor_name)
tone_cells = tones.rename(index=actor_name, columns=actor_name)


def colour(values: pd.Series) -> list[str]:
    """Cell background by dominant tone; empty cells stay white."""
    column = tone_cells[values.name]
    return [
        f"background-color: {TONE_COLOURS[t]}40" if isinstance(t, str) and n else ""
        for t, n in zip(column, values, strict=True)
    ]


st.dataframe(shown.style.apply(colour, axis=0), width="stretch", key="matrix")

st.subheader("Top pairs")
pairs = aggregate.pairs(view).head(10)
for row in pairs.itertuples(index=False):
    border = " · shared land border" if row.border else ""
    with st.expander(f"{actor_name(row.a)} – {actor_name(row.b)}: {row.items} items, {row.tone}{border}"):
        st.html(
            item_html(
                aggregate.items_of_pair(view, row.a, row.b), limit=PAIR_ITEMS, more="more: click the line on the map"
            )
        )

st.subheader("One actor")
keys = sorted(set(view.relations["source"]) | set(view.relations["target"]), key=actor_name)
default = keys.index(pairs.iloc[0]["a"]) if len(pairs) else 0
focus = st.selectbox("Actor", keys, index=default, format_func=actor_name, key="ego_actor")
acts_on, acted_on = aggregate.ego(view, focus)
left, right = st.columns(2)
for column, title, table in (
    (left, f"{actor_name(focus)} acts on", acts_on),
    (right, f"Acting on {actor_name(focus)}", acted_on),
):
    column.markdown(f"**{title}**")
    column.dataframe(table.assign(actor=table["actor"].map(actor_name)), hide_index=True, width="stretch")
