"""The sidebar's filters, drawn once per run by the frame (dashboard.py) for whichever page is shown.

Every filter is bound to the URL by Streamlit itself (`bind="query-params"`, the widget's key is the parameter:
`?topics=border&topics=military&countries=Poland+(PL)&dates=2025-11-01&dates=2025-11-05`), so a view can be bookmarked, shared and reloaded,
and the widgets keep their values across pages because the frame draws them on every page. Nothing writes a
widget's state during a script run: only the reset button's callback does, before the run it triggers. (Seeding
the widgets from the URL by hand, as the app once did, let a session's first run overwrite a choice the browser
had already made.)
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from mapdata import gazetteer
from mapdata.filters import Filters
from mapdata.frames import Frames
from mapdata.language import label as language_label
from mapdata.models import ORG_PREFIX, TONES, TOPICS

BOUND = "query-params"
MAX_MIN_ITEMS = 100_000


def draw(data: Frames) -> None:
    """Draw the filter widgets in the sidebar (the frame does, once per run, for every page)."""
    low, high = span(data)
    countries, organisations = _actor_options(data)
    bar = st.sidebar
    bar.header("Filters")
    bar.date_input(
        "Date range", value=(low, high), min_value=low, max_value=high, key="dates", format="YYYY-MM-DD", bind=BOUND
    )
    bar.multiselect(
        "Topics", TOPICS, key="topics", placeholder="All topics", bind=BOUND, help="Items with any of these topics"
    )
    bar.multiselect(
        "Countries",
        countries,
        key="countries",
        format_func=_country_label,
        placeholder="All countries",
        bind=BOUND,
        help="Items involving any of these countries",
    )
    bar.multiselect(
        "Organisations", organisations, key="orgs", format_func=_org_label, placeholder="All organisations", bind=BOUND
    )
    bar.multiselect("Tone", TONES, key="tone", placeholder="Any tone", bind=BOUND)
    bar.multiselect(
        "Language",
        _language_options(data),
        key="lang",
        format_func=language_label,
        placeholder="Any language",
        bind=BOUND,
        help="The language each item is written in, as detected (or as its feed declares, for a text too short to tell)",
    )
    bar.slider(
        "Tone confidence at least",
        min_value=0.0,
        max_value=1.0,
        value=0.0,
        step=0.05,
        key="sure",
        bind=BOUND,
        help="The tagger's calibrated probability that an item's tone is right (1.0: an analyst set or confirmed it). "
        "Raise it to see only the items whose colour on the map you can trust.",
    )
    bar.text_input("Search the text", key="q", placeholder="e.g. embassy", bind=BOUND)
    bar.checkbox(
        "Border relations only",
        key="border",
        bind=BOUND,
        help="Items with a relation line between two countries that share a land border",
    )
    bar.number_input(
        "Minimum items per actor", key="min", min_value=1, max_value=MAX_MIN_ITEMS, value=1, step=1, bind=BOUND
    )
    bar.toggle(
        "Count every report",
        key="reports",
        bind=BOUND,
        help="By default the reports of one story (the same news from several outlets) count once, on the map, "
        "the timeline and the relations; switch this on to count every report.",
    )


def filters(data: Frames) -> Filters:
    """The filters the widgets hold (their defaults before they are first drawn): the one reading of them that the
    frame and every page share."""
    low, high = span(data)
    state = st.session_state
    picked = state.get("dates") or (low, high)
    start, end = (*picked, None, None)[:2] if isinstance(picked, (tuple, list)) else (picked, picked)
    return Filters(
        start=start if start and start != low else None,
        end=end if end and end != high else None,
        topics=tuple(state.get("topics") or ()),
        countries=tuple(state.get("countries") or ()),
        organisations=tuple(state.get("orgs") or ()),
        tones=tuple(state.get("tone") or ()),
        search=(state.get("q") or "").strip(),
        border_only=bool(state.get("border")),
        min_items=int(state.get("min") or 1),
        every_report=bool(state.get("reports")),
        min_confidence=float(state.get("sure") or 0.0),
        languages=tuple(state.get("lang") or ()),
    )


def footer(caption: str, active: bool, data: Frames) -> None:
    """The count of items shown and the reset button (enabled when a filter is set), under the filters."""
    st.sidebar.caption(caption)
    st.sidebar.button("Reset filters", key="reset", on_click=reset, args=span(data), disabled=not active)


def reset(low: date, high: date) -> None:
    """Every filter back to its default (a callback: it runs before the rerun the button triggers)."""
    state = st.session_state
    state["dates"] = (low, high)
    for key in ("topics", "countries", "orgs", "tone", "lang"):
        state[key] = []
    state["q"] = ""
    state["border"] = False
    state["min"] = 1
    state["reports"] = False
    state["sure"] = 0.0


def narrow_dates(first: date, last: date, data: Frames) -> None:
    """Narrow every view to a period (a callback of the timeline's chart and slider)."""
    low, high = span(data)
    start, end = max(first, low), min(last, high)
    if start <= end:
        st.session_state["dates"] = (start, end)


def span(data: Frames) -> tuple[date, date]:
    """The first and last day of the stored items (today when there are none)."""
    if data.items.empty:
        today = date.today()
        return today, today
    return data.items["date"].min(), data.items["date"].max()


def _name(key: str) -> str:
    return gazetteer.load().name_of(key)


def _country_label(code: str) -> str:
    return f"{_name(code)} ({code})"


def _org_label(code: str) -> str:
    return f"{_name(ORG_PREFIX + code)} ({code})"


def _actor_options(data: Frames) -> tuple[list[str], list[str]]:
    """Country codes and organisation acronyms present in the data, by display name."""
    keys = set(data.keys.actors)
    countries = sorted((k for k in keys if not k.startswith(ORG_PREFIX)), key=_name)
    organisations = sorted(k.removeprefix(ORG_PREFIX) for k in keys if k.startswith(ORG_PREFIX))
    return countries, organisations


def _language_options(data: Frames) -> list[str]:
    """The languages of the stored items, commonest first."""
    if "lang" not in data.items:
        return []
    counts = data.items["lang"].astype(object).fillna("").value_counts()
    return [str(code) for code in counts.index]
