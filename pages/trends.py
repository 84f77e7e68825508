"""Trends: the actors, pairs and topics whose count of stories in the latest day or week is unusually high against
their own history, each with its counts as a small chart; choosing one narrows every view to it."""

import pandas as pd
import streamlit as st

from mapdata import aggregate, trends
from mapdata.markup import actor_name
from mapdata.models import TOPICS, split_key
from pages import state

KINDS = {"actor": "Actor", "pair": "Pair", "topic": "Topic"}


def label(kind: str, key: str) -> str:
    """What a series is, for people: 'Poland (PL)', 'Belarus (BY) – Poland (PL)', 'military'."""
    if kind == "actor":
        return actor_name(key)
    if kind == "pair":
        return " – ".join(actor_name(k) for k in key.split("|"))
    return key


def narrow(table: pd.DataFrame) -> None:
    """Set the sidebar's filters to the chosen row's actor, pair or topic and its latest period (a callback of
    the table's selection: it runs before the rerun, when widgets may still be set)."""
    rows = st.session_state["trend_table"].selection.rows
    if not rows:
        return
    row = table.iloc[rows[0]]
    session = st.session_state
    for name in ("topics", "countries", "orgs"):
        session[name] = []
    if row["kind"] == "topic":
        session["topics"] = [row["key"]] if row["key"] in TOPICS else []
    else:
        for key in row["key"].split("|"):
            code, is_org = split_key(key)
            session["orgs" if is_org else "countries"].append(code)
    session["dates"] = (row["from"], row["to"])
    session["trend_go"] = True


view = state.current()
if st.session_state.pop("trend_go", False):
    st.switch_page("pages/map.py")

st.title("Trends")
period = st.segmented_control("Period", list(trends.FREQS), default="week", key="trend_period") or "week"
test = trends.TrendTest()
unit = "stories" if not view.filters.every_report else "items"
st.caption(
    f"Each actor, pair and topic: its {unit} in the latest {period} against its own previous {test.history} "
    f"{period}s. The test: a negative binomial fitted to that history, allowing for the bursts news comes in; a row "
    f"is flagged when the latest {period} holds at least {test.min_count} {unit} and the chance of so many is below "
    f"{test.alpha:g} divided by the number of rows tested. On generated tables in which nothing rose, 95 to 100% "
    "flag nothing. Choose a row to see it on the map."
)
events = aggregate.trend_events(view.filtered)
if events.empty:
    st.info("No items in this view.")
    st.stop()
counts = trends.period_counts(events, period, history=test.history)
ranked = trends.rank(counts, test)
flagged = ranked[ranked["flagged"]]
latest_start = counts.columns[-1]
latest_end = min(latest_start + pd.Timedelta(days=0 if period == "day" else 6), events["date"].max())
st.subheader(
    f"{len(flagged):,} unusual in the {period} of {latest_start:%Y-%m-%d}"
    + (f" to {latest_end:%Y-%m-%d}" if period == "week" else "")
)
shown = (flagged if len(flagged) else ranked).head(50)
if ranked.attrs["history"] < test.min_history:
    first = events["date"].min()
    st.warning(
        f"Too little history to tell what is unusual: {ranked.attrs['history']} of the previous {test.history} "
        f"{period}s hold any item (the view's items begin on {first:%Y-%m-%d}), and the test needs "
        f"{test.min_history}. The busiest series of the latest {period} are listed, none flagged."
    )
elif not len(flagged):
    st.caption(f"Nothing rose beyond the test's bar; the {len(shown)} closest are listed.")
table = pd.DataFrame(
    {
        "kind": shown["kind"].to_numpy(),
        "key": shown["key"].to_numpy(),
        "what": [label(k, v) for k, v in zip(shown["kind"], shown["key"], strict=True)],
        "type": [KINDS.get(k, k) for k in shown["kind"]],
        "latest": shown["latest"].to_numpy(),
        "expected": shown["expected"].round(1).to_numpy(),
        "ratio": shown["ratio"].round(1).to_numpy(),
        "p": shown["p_value"].to_numpy(),
        "counts": list(shown["history"]),
        "from": latest_start.date(),
        "to": latest_end.date(),
    }
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    key="trend_table",
    on_select=lambda: narrow(table),
    selection_mode="single-row",
    column_order=["what", "type", "latest", "expected", "ratio", "p", "counts"],
    column_config={
        "what": st.column_config.TextColumn("Actor, pair or topic"),
        "latest": st.column_config.NumberColumn(f"Latest {period}", help=f"{unit} in the latest {period}"),
        "expected": st.column_config.NumberColumn("Usual", help=f"mean of the previous {test.history} {period}s"),
        "ratio": st.column_config.NumberColumn("× usual"),
        "p": st.column_config.NumberColumn("p", format="%.1e", help="chance of so many under its history's model"),
        "counts": st.column_config.BarChartColumn(f"Per {period}, oldest to latest", y_min=0),
    },
)
