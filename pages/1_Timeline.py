"""Items over time: per day or week, stacked by topic, and per chosen country; a period narrows every view."""

import altair as alt
import pandas as pd
import streamlit as st

from mapdata import aggregate, gazetteer
from pages import current_frames, current_view, narrow_dates, setup, sidebar_filters

setup("Timeline")
data = current_frames()
view = current_view(sidebar_filters(data))
counts, unit = aggregate.timeline(view)

st.title("Timeline")
if counts.empty:
    st.info("No items in this view.")
    st.stop()
st.caption(f"Items per {unit}, stacked by topic (an item with two topics counts in both). "
           "Drag across the chart, or use the slider, to narrow every view to a period.")
brush = alt.selection_interval(encodings=["x"], name="period")
chart = (
    alt.Chart(counts)
    .mark_bar()
    .encode(
        x=alt.X("period:T", title=unit.capitalize()),
        y=alt.Y("sum(items):Q", title="Items"),
        color=alt.Color("topic:N", title="Topic", scale=alt.Scale(scheme="tableau10")),
        tooltip=["period:T", "topic:N", "items:Q"],
    )
    .add_params(brush)
)
event = st.altair_chart(chart, on_select="rerun", key="timeline_chart", selection_mode="period", width="stretch")
picked = (event or {}).get("selection", {}).get("period", {}) if isinstance(event, dict) or hasattr(event, "get") else {}
if picked and picked.get("period"):
    first, last = (pd.to_datetime(v, unit="ms").date() for v in picked["period"][:2])
    narrow_dates(first, last)

periods = sorted(pd.to_datetime(counts["period"]).dt.date.unique())
if len(periods) > 1:
    low, high = st.select_slider("Period", options=periods, value=(periods[0], periods[-1]), key="period_slider")
    if st.button("Narrow every view to this period", key="narrow"):
        narrow_dates(low, high if unit == "day" else high + pd.Timedelta(days=6).to_pytimedelta())

gaz = gazetteer.load()
countries = aggregate.actors(view)
busiest = countries.loc[~countries["is_organisation"].astype(bool), "actor"].tolist()  # most items first
present = sorted(busiest, key=gaz.name_of)
chosen = st.multiselect("Countries to compare", present, default=busiest[:3], key="timeline_countries",
                        format_func=lambda c: f"{gaz.name_of(c)} ({c})")
per_country = aggregate.country_timeline(view, chosen, unit)
if not per_country.empty:
    per_country["country"] = per_country["actor"].map(lambda c: f"{gaz.name_of(c)} ({c})")
    st.altair_chart(
        alt.Chart(per_country).mark_line(point=True).encode(
            x=alt.X("period:T", title=unit.capitalize()), y=alt.Y("items:Q", title="Items"),
            color=alt.Color("country:N", title="Country", scale=alt.Scale(scheme="dark2")),
            tooltip=["period:T", "country:N", "items:Q"],
        ),
        width="stretch",
    )
