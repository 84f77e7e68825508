"""Items over time: per day or week, stacked by topic, and per chosen country; a period narrows every view."""

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from mapdata import aggregate
from mapdata.markup import actor_name
from pages import sidebar, state

view = state.current()
counts, unit = aggregate.timeline(view.filtered)

st.title("Timeline")
if counts.empty:
    st.info("No items in this view.")
    st.stop()
st.caption(
    f"Items per {unit}, stacked by topic (an item with two topics counts in both). "
    "Drag across the chart, or use the slider, to narrow every view to a period."
)
span = timedelta(days=0 if unit == "day" else 6)  # a week is drawn at its Monday


def chart_selected() -> None:
    """The period dragged across the chart narrows every view (a callback: the sidebar is drawn before this page)."""
    picked = (st.session_state["timeline_chart"].get("selection") or {}).get("period") or {}
    if picked.get("period"):
        first, last = (pd.to_datetime(v, unit="ms").date() for v in picked["period"][:2])
        sidebar.narrow_dates(first, last + span, view.data)


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
st.altair_chart(chart, on_select=chart_selected, key="timeline_chart", selection_mode="period", width="stretch")

periods = sorted(pd.to_datetime(counts["period"]).dt.date.unique())
if len(periods) > 1:
    low, high = st.select_slider("Period", options=periods, value=(periods[0], periods[-1]), key="period_slider")
    st.button(
        "Narrow every view to this period",
        key="narrow",
        on_click=sidebar.narrow_dates,
        args=(low, high + span, view.data),
    )

countries = aggregate.actors(view.filtered)
busiest = countries.loc[~countries["is_organisation"].astype(bool), "actor"].tolist()  # most items first
chosen = st.multiselect(
    "Countries to compare",
    sorted(busiest, key=actor_name),
    default=busiest[:3],
    key="timeline_countries",
    format_func=actor_name,
)
per_country = aggregate.country_timeline(view.filtered, chosen, unit)
if not per_country.empty:
    per_country["country"] = per_country["actor"].map(actor_name)
    st.altair_chart(
        alt.Chart(per_country)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=unit.capitalize()),
            y=alt.Y("items:Q", title="Items"),
            color=alt.Color("country:N", title="Country", scale=alt.Scale(scheme="dark2")),
            tooltip=["period:T", "country:N", "items:Q"],
        ),
        width="stretch",
    )
