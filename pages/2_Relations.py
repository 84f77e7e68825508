"""Relations: the actor-by-actor matrix, the top pairs with their items, and one actor's ego view."""

import pandas as pd
import streamlit as st

from mapdata import aggregate, mapview
from mapdata.mapview import TONE_COLOURS
from pages import current_frames, current_view, setup, sidebar_filters

setup("Relations")
data = current_frames()
view = current_view(sidebar_filters(data))
st.title("Relations")
if view.relations.empty:
    st.info("No relation lines in this view.")
    st.stop()


def label(key: str) -> str:
    """'Belarus (BY)'."""
    return mapview.actor_name(key)


st.subheader("Who acts on whom")
top = st.slider("Actors in the matrix", min_value=3, max_value=30, value=12, key="matrix_size")
counts, tones = aggregate.matrix(view, top)
st.caption("Rows act on columns (the lead actor of an item toward each other actor); the number is items, "
           "the colour the dominant tone: " + ", ".join(f"{tone} {colour}" for tone, colour in TONE_COLOURS.items()))
shown = counts.rename(index=label, columns=label)
tone_cells = tones.rename(index=label, columns=label)


def colour(_values: pd.Series) -> list[str]:
    """Cell background by dominant tone; empty cells stay white."""
    column = tone_cells[_values.name]
    return [
        f"background-color: {TONE_COLOURS[t]}40" if isinstance(t, str) and n else ""
        for t, n in zip(column, _values)
    ]


st.dataframe(shown.style.apply(colour, axis=0), width="stretch", key="matrix")

st.subheader("Top pairs")
pairs = aggregate.pairs(view).head(10)
for row in pairs.itertuples(index=False):
    border = " · shared land border" if row.border else ""
    with st.expander(f"{label(row.a)} – {label(row.b)}: {row.items} items, {row.tone}{border}"):
        st.html(mapview.item_html(aggregate.items_of_pair(view, row.a, row.b), limit=20))

st.subheader("One actor")
keys = sorted(set(view.relations["source"]) | set(view.relations["target"]), key=label)
default = keys.index(pairs.iloc[0]["a"]) if len(pairs) else 0
focus = st.selectbox("Actor", keys, index=default, format_func=label, key="ego_actor")
acts_on, acted_on = aggregate.ego(view, focus)
left, right = st.columns(2)
for column, title, table in ((left, f"{label(focus)} acts on", acts_on), (right, f"Acting on {label(focus)}", acted_on)):
    column.markdown(f"**{title}**")
    column.dataframe(table.assign(actor=table["actor"].map(label)), hide_index=True, width="stretch")
