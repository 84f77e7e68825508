"""Data: add news by upload or by pasting text (preview first, then store), and correct an item's tags."""

import re
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from mapdata import accounts, gazetteer
from mapdata.corrections import add_correction, review_story
from mapdata.errors import InputError, MapdataError
from mapdata.feeds import ReadResult, Rejection, read_file, read_seed_text, split_lines
from mapdata.frames import by_ids
from mapdata.ingest import NO_DATE, ingest_result
from mapdata.language import label as language_label
from mapdata.learning import tagger_for
from mapdata.markup import actor_name, item_html
from mapdata.models import TONES, TOPICS, Correction, split_key
from mapdata.store import REVIEWED
from pages import account, review, sources, state

UPLOAD_TYPES = ["txt", "csv", "tsv", "jsonl", "ndjson", "json", "xml", "rss", "atom"]

CHANGES_SHOWN = 50

current = state.current()
data = current.data
editor = account.editor()  # None: this session may only read


def latest_changes() -> None:
    """Who changed what, newest first."""
    st.subheader("Latest changes")
    changes = accounts.latest_changes(state.engine(current.url), CHANGES_SHOWN)
    if not changes:
        st.caption("Nothing recorded yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "when (UTC)": c.at.strftime("%Y-%m-%d %H:%M"),
                    "who": c.account,
                    "what": c.action,
                    "items": c.items,
                    "detail": c.detail,
                }
                for c in changes
            ]
        ),
        hide_index=True,
        width="stretch",
        key="changes",
    )


st.title("Data")
if editor is None:
    st.info(
        "This dashboard is shared on a network: it is read-only until an editor signs in (in the sidebar) "
        "to add news, sources or corrections."
    )
    sources.section(state.engine(current.url), None)
    latest_changes()
    st.stop()
sources.section(state.engine(current.url), editor)
st.subheader("Add news")


def read_upload(name: str, payload: bytes) -> ReadResult:
    """Parse an uploaded or pasted feed; messages name the upload, not the temporary file."""
    safe = Path(name).name or "upload.txt"
    suffix = Path(safe).suffix.lower()  # the format hint; the name itself only labels messages (it may be "..")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("upload" + (suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""))
        path.write_bytes(payload)
        try:
            read = read_file(path)
        except InputError as err:
            read = ReadResult(safe, rejected=[Rejection(safe, err.line, err.reason)])
    read.source = safe
    read.rejected = [Rejection(safe, r.line, r.reason, r.unit) for r in read.rejected]
    read.items = [replace(i, origin=f"{safe}:{i.origin.rpartition(':')[2]}") for i in read.items]
    return read


def literal(text: str) -> str:
    """Text (an uploaded file's name) shown as itself in Markdown: no links, emphasis, math or HTML."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=])", r"\\\1", text)


def rejection_table(rejected: list[Rejection]) -> pd.DataFrame:
    """Where and why, one row per rejected record."""
    return pd.DataFrame(
        [{"where": r.source + (f", {r.unit} {r.line}" if r.line else ""), "why": r.reason} for r in rejected]
    )


def preview(read: ReadResult, key: str, undated_day: date | None = None) -> None:
    """What would be added (tagged) and what was rejected and why; a button stores the items. Items that carry no
    date take `undated_day` when one is given, else they are rejected."""
    if undated_day is not None:
        read = ReadResult(read.source, [i if i.date else i.dated(undated_day) for i in read.items], read.rejected)
    dated = [i for i in read.items if i.date is not None]
    undated = [
        Rejection(read.source, int(i.origin.rpartition(":")[2] or 0) or None, NO_DATE)
        for i in read.items
        if i.date is None
    ]
    rejected = read.rejected + undated
    st.markdown(f"**{len(dated):,} items to add, {len(rejected):,} rejected** from {literal(read.source)}")
    if dated:
        rows = []
        for tagged in tagger_for(state.engine(current.url)).tag_many(dated[:200]):
            rows.append(
                {
                    "date": tagged.item.date,
                    "language": language_label(tagged.lang),
                    "countries": ", ".join(tagged.countries),
                    "organisations": ", ".join(tagged.organisations),
                    "topics": ", ".join(tagged.topics),
                    "tone": tagged.tone,
                    "tone p": tagged.confidence.tone if tagged.confidence else None,
                    "text": tagged.item.text,
                }
            )
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"{key}_preview")
        if len(dated) > 200:
            st.caption(f"the first 200 of {len(dated):,} are shown")
    if rejected:
        shown = "  \n".join(
            literal(f"{r.source}" + (f", {r.unit} {r.line}" if r.line else "") + f": {r.reason}") for r in rejected[:5]
        )
        more = f"  \n… and {len(rejected) - 5:,} more in the table below" if len(rejected) > 5 else ""
        st.warning(shown + more, icon="⚠️")
        st.dataframe(rejection_table(rejected), hide_index=True, width="stretch", key=f"{key}_rejected")
    if dated and st.button(f"Add {len(dated):,} items", key=f"{key}_add", type="primary"):
        bar = st.progress(0.0, text="tagging and storing…")
        result = ingest_result(
            state.engine(current.url),
            ReadResult(read.source, dated, []),
            progress=lambda done, total: bar.progress(done / total, text=f"{done:,} of {total:,} items"),
            account=editor,
        )
        bar.progress(1.0, text="done")
        st.success(
            f"{result.new:,} new, {result.present:,} already present, {len(rejected) + len(result.rejected):,} rejected"
        )
        if result.rejected:  # found only when storing: an id already stored for other news
            st.dataframe(
                rejection_table(result.rejected), hide_index=True, width="stretch", key=f"{key}_store_rejected"
            )


upload_tab, paste_tab = st.tabs(["Upload a file", "Paste text"])
with upload_tab:
    upload = st.file_uploader(
        "Seed text, CSV/TSV, JSON Lines, JSON array, RSS or Atom", type=UPLOAD_TYPES, key="upload"
    )
    undated_day = st.date_input(
        "Date of the items that carry none",
        value=None,
        key="upload_date",
        format="YYYY-MM-DD",
        help="Without one, items with no date are rejected with their file and line.",
    )
    if upload is not None:
        preview(read_upload(upload.name, upload.getvalue()), "upload", undated_day)
with paste_tab:
    day = st.date_input("Date of lines without a `date YYYY-MM-DD` line", value=date.today(), key="paste_date")
    pasted = st.text_area(
        "One item per line",
        key="paste_text",
        height=160,
        placeholder="date 2025-11-01\nPoland closed its border with Belarus.",
    )
    if pasted.strip():  # pasted text is the seed format: read it as text, line by line (no file sniffing)
        preview(read_seed_text(split_lines(f"date {day.isoformat()}\n{pasted}"), "pasted.txt"), "paste")

# with filters that narrow the items, the queue holds those they leave, every report of a story
review.section(
    state.engine(current.url),
    editor,
    state.review_order(current.url, current.version, current.filters) if current.filters.active else None,
)

st.subheader("Correct an item's tags")
if data.items.empty:
    st.info("No items stored yet.")
    st.stop()
gaz = gazetteer.load()
needle = st.text_input("Find the item", key="correct_search", placeholder="words from its text")
items = data.items
if needle:
    items = items[items["text"].str.contains(needle, case=False, regex=False)]
if items.empty:
    st.info("No item matches.")
    st.stop()
items = items.sort_values("newest").head(200)  # newest first
options = items["id"].tolist()
texts = dict(zip(items["id"], items["date"].astype(str) + " · " + items["text"].str.slice(0, 90)))
item_id = st.selectbox("Item", options, format_func=texts.get, key="correct_item")
row = data.items[data.items["id"] == item_id].iloc[0]
tags = data.tags[data.tags["item_id"] == item_id]
topics = sorted(data.topics.loc[data.topics["item_id"] == item_id, "topic"])
st.html(item_html(by_ids(data, [item_id]), limit=1, more=""))
keys = sorted(set(tags["actor"]))
manual = set(tags.loc[tags["manual"].astype(bool), "actor"])
st.caption(
    "Tags: "
    + ", ".join(actor_name(k) + (" (manual)" if k in manual else "") for k in keys)
    + f" · topics: {', '.join(topics) or '-'} · tone: {row['tone']}"
)


def correct(field: str, value: str, action: str) -> None:
    """Store one correction and report it: a tone or a topic for every report of the item's story (as the review
    queue does: the map counts a story by its first report), an actor for this report."""
    engine = state.engine(current.url)
    reports = 1
    try:
        tag = tagger_for(engine).tag  # the database's newest weights: a model stored unreadable is reported too
        if field in REVIEWED:  # what a story's reports share (an actor stays each report's own)
            reports = review_story(engine, item_id, [(field, value, action)], tag, account=editor)
        else:
            add_correction(engine, Correction(item_id, field, value, action), tag, account=editor)
    except (ValueError, MapdataError) as err:
        st.error(f"Not stored: {err}")
        return
    where = f" for the {reports} reports of its story" if reports > 1 else ""
    st.session_state["correction_done"] = (
        f"{action} {field} {split_key(value)[0]}: stored{where}; it survives re-tagging"
    )


left, right = st.columns(2)
countries = sorted(gaz.country_names, key=gaz.name_of)
with left:
    add_country = st.selectbox(
        "Add a country",
        countries,
        index=None,
        key="add_country",
        format_func=lambda c: f"{gaz.name_of(c)} ({c})",
        placeholder="choose…",
    )
    st.button(
        "Add country",
        key="do_add_country",
        disabled=add_country is None,
        on_click=correct,
        args=("actor", add_country or "", "add"),
    )
    add_org = st.selectbox(
        "Add an organisation", sorted(gaz.organisations), index=None, key="add_org", placeholder="choose…"
    )
    st.button(
        "Add organisation",
        key="do_add_org",
        disabled=add_org is None,
        on_click=correct,
        args=("actor", f"org:{add_org}", "add"),
    )
    add_topic = st.selectbox(
        "Add a topic", [t for t in TOPICS if t not in topics], index=None, key="add_topic", placeholder="choose…"
    )
    st.button(
        "Add topic",
        key="do_add_topic",
        disabled=add_topic is None,
        on_click=correct,
        args=("topic", add_topic or "", "add"),
    )
with right:
    drop_actor = st.selectbox(
        "Remove an actor", keys, index=None, key="drop_actor", format_func=actor_name, placeholder="choose…"
    )
    st.button(
        "Remove actor",
        key="do_drop_actor",
        disabled=drop_actor is None,
        on_click=correct,
        args=("actor", drop_actor or "", "remove"),
    )
    drop_topic = st.selectbox("Remove a topic", topics, index=None, key="drop_topic", placeholder="choose…")
    st.button(
        "Remove topic",
        key="do_drop_topic",
        disabled=drop_topic is None,
        on_click=correct,
        args=("topic", drop_topic or "", "remove"),
    )
    tone = st.selectbox("Set the tone", TONES, index=TONES.index(row["tone"]), key="set_tone")
    st.button("Set tone", key="do_set_tone", disabled=tone == row["tone"], on_click=correct, args=("tone", tone, "set"))
if st.session_state.get("correction_done"):
    st.success(st.session_state.pop("correction_done"))

latest_changes()
