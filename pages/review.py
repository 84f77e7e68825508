"""The Data page's review queue: the items whose tone the tagger is least sure of, first, each corrected or
confirmed in a click or two; and, once there are corrections, learning from them and re-tagging with what was
learned (`mapdata learn --with-corrections`, `mapdata retag`)."""

from __future__ import annotations

import streamlit as st

from mapdata import learning, store
from mapdata.corrections import retag, review_story
from mapdata.errors import MapdataError
from mapdata.markup import ITEM_CSS, clip_at, esc, safe_link, tagged_text, who_acts
from mapdata.models import TONES, TOPICS, UNSURE_BELOW

QUEUE = 5  # items shown at once: the next ones move up as these are reviewed
CLIP = 600  # characters of an article a card shows; the rest is one click away, under "The whole text"


def section(engine, editor: str, among: list[str] | None = None) -> None:
    """The review queue and the learn / re-tag buttons, for a signed-in editor (or the local user). `among`: the
    items of the sidebar's filters, least certain first (aggregate.least_sure_first), when any filter is set."""
    st.subheader("Review the least certain tags")
    st.caption(
        "The items whose tone the tagger is least sure of come first (in measurements, the least certain fifth "
        "holds more than twice its share of the wrong tones). Confirm an item as it is, give it the right tone, "
        "or fix its topics: each is kept apart from the automatic tags, survives re-tagging, and teaches the "
        "tagger when you learn from the corrections below."
        + (
            f" Only the {len(among):,} items of the sidebar's filters are queued (every report of a story)."
            if among is not None
            else " The sidebar's filters narrow the queue to the items you follow."
        )
    )
    if message := st.session_state.pop("review_done", None):
        st.success(message)
    queue = store.review_queue(engine, QUEUE, among)
    if queue.empty:
        st.info(
            "Nothing to review: every item's tone was set or confirmed by an analyst"
            + (" (of those the sidebar's filters leave)." if among is not None else ".")
        )
    for row in queue.itertuples():
        _card(engine, editor, row)
    _learn(engine, editor)


def _card(engine, editor: str, row) -> None:
    with st.container(border=True, key=f"review_{row.id}"):
        topic_text = ", ".join(f"{t} ({p:.2f})" if p is not None else t for t, p in row.topics) or "-"
        unsure = " · uncertain" if row.confidence < UNSURE_BELOW else ""
        lead = row.lead_actor if isinstance(row.lead_actor, str) else None
        end = clip_at(row.text, CLIP)
        st.html(
            f'<style>{ITEM_CSS}</style><div style="font-size:13px"><b>{esc(row.date)}</b> · '
            f"{who_acts(lead, [actor for _, _, actor, _ in row.tags], row.joined)} {safe_link(row.url or '')}<br>"
            f"{tagged_text(row.text, row.tags, end)}<br>"
            f'<span style="color:#555">tone: <i>{esc(row.tone)}</i> (p = {row.confidence:.2f}{esc(unsure)}) · '
            f"topics: {esc(topic_text)}"
            + (f" · one of the {row.reports} reports of a story: the review is of them all" if row.reports > 1 else "")
            + "</span></div>"
        )
        if end < len(row.text):
            with st.expander(f"The whole text ({len(row.text):,} characters)"):
                st.html(f'<style>{ITEM_CSS}</style><div style="font-size:13px">{tagged_text(row.text, row.tags)}</div>')
        cols = st.columns([1.2, 1, 1, 1])
        cols[0].button(
            "Right as it is",
            key=f"ok_{row.id}",
            on_click=_store,
            args=(engine, editor, row.id, [("review", "", "confirm")]),
        )
        for col, tone in zip(cols[1:], TONES):
            col.button(
                f"It is {tone}",
                key=f"tone_{tone}_{row.id}",
                disabled=tone == row.tone,
                on_click=_store,
                args=(engine, editor, row.id, [("tone", tone, "set")]),
            )
        current = [t for t, _ in row.topics]
        picked = st.multiselect("Topics", TOPICS, default=current, key=f"topics_{row.id}", max_selections=3)
        changes = [("topic", t, "add") for t in picked if t not in current] + [
            ("topic", t, "remove") for t in current if t not in picked
        ]
        st.button(
            "Save these topics (and confirm the tone)",
            key=f"save_topics_{row.id}",
            disabled=not changes or not picked,
            on_click=_store,
            args=(engine, editor, row.id, [*changes, ("review", "", "confirm")]),
        )


def _store(engine, editor: str, item_id: str, changes: list[tuple[str, str, str]]) -> None:
    """Store the review of one item and its story's other reports (a button's callback: it runs before the rerun,
    so the queue moves on)."""
    try:
        reports = review_story(engine, item_id, changes, learning.tagger_for(engine).tag, account=editor)
    except (ValueError, MapdataError) as err:
        st.session_state["review_done"] = None
        st.error(f"Not stored: {err}")
        return
    st.session_state["review_done"] = (
        "Stored"
        + (f" for the {reports} reports of its story" if reports > 1 else "")
        + ": it survives re-tagging and counts when the tagger learns."
    )


def _learn(engine, editor: str) -> None:
    reviewed = len(store.reviewed(engine))
    latest = store.latest_model(engine)
    st.markdown(
        f"**{reviewed:,} {'story' if reviewed == 1 else 'stories'} corrected or confirmed.** "
        + (
            f"The tagger uses weights learned with corrections (model {latest[0]})."
            if latest
            else "The tagger uses the weights shipped with mapdata."
        )
    )
    left, right = st.columns(2)
    if left.button(
        f"Learn from the {reviewed:,} corrections",
        key="learn_corrections",
        disabled=not reviewed,
        help="Fit the topic and tone weights to the labelled briefs shipped with mapdata plus every corrected or "
        "confirmed item, calibrate them, and keep them in the database for every user (two to three minutes: "
        "it learns from the 14,000 labelled briefs shipped with mapdata too).",
    ):
        with st.spinner("Learning from the labelled briefs and the corrections…"):
            try:
                done = learning.learn_with_corrections(engine, account=editor)
            except MapdataError as err:
                st.error(str(err))
            else:
                st.success(done.summary().replace("run `mapdata retag`", "re-tag"))
    if right.button(
        "Re-tag every item",
        key="retag",
        help="Tag every stored item again with the newest weights; corrections are kept.",
    ):
        with st.spinner("Re-tagging every stored item…"):
            report = retag(engine, learning.tagger_for(engine), account=editor)
        st.success(report.summary())
