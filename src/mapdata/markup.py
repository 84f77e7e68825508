"""HTML of items and actors, for the map's popups and the pages' panels. News text is untrusted: every string
reaches HTML through `esc`, here and nowhere else."""

from __future__ import annotations

import html
from collections.abc import Iterable
from urllib.parse import quote, urlparse

import numpy as np
import pandas as pd

from . import gazetteer, language
from .frames import Frames
from .models import UNSURE_BELOW, split_key

# folium puts popup HTML inside a JavaScript template literal (`...`, where ${...} runs and \ escapes) and then
# compiles the result as a Jinja template once more ({{ ... }} and {% ... %} run on the server). These characters
# are written as character references, which HTML shows unchanged and neither JavaScript nor Jinja reads.
_TEMPLATE_SYNTAX = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"})

#: how an item is shown, on a page (st.html) and in a map popup alike
ITEM_CSS = (
    ".item{margin:0 0 6px 0;font-size:12px}.chip{background:#eee;border-radius:3px;padding:0 3px;"
    "margin-right:2px;font-size:10px}mark{background:#ffe08a}mark.mentioned{background:#e8e8e8}"
    ".mentioned-list{color:#666;font-size:11px}.more{font-style:italic}.reports{color:#444;font-size:11px}"
    ".new{background:#d7191c;color:#fff;border-radius:3px;padding:0 3px;font-size:10px;margin-right:3px}"
    ".chip.unsure{background:repeating-linear-gradient(45deg,#eee,#eee 3px,#fff 3px,#fff 6px);border:1px dashed #999}"
    ".unsure-tone{border-bottom:1px dashed #b35806;color:#b35806;cursor:help}"
    ".lang{font:11px monospace;background:#eef;border-radius:3px;padding:0 3px;color:#335}"
)


NEW_MARK = '<span class="new" title="arrived since your last visit">new</span> '


def esc(value: object) -> str:
    """Escape any value for HTML text or attribute context, including HTML that folium embeds in a JavaScript
    template literal and renders as a Jinja template (so `${...}`, backquotes, backslashes and {{ }} stay text)."""
    return html.escape("" if value is None else str(value), quote=True).translate(_TEMPLATE_SYNTAX)


def safe_link(url: str, label: str = "source") -> str:
    """An <a> for http(s) URLs only, opened safely; anything else (javascript:, data:) is dropped."""
    url = url.strip()
    try:
        scheme = urlparse(url).scheme.lower()
    except ValueError:
        return ""
    if scheme not in ("http", "https"):
        return ""
    # characters a URL may not hold raw (quotes, <, >, backquotes, braces, spaces) are percent-encoded, as a
    # browser would send them; HTML sanitizers drop an href that holds them raw
    href = quote(url, safe="/?:@&=+$,-_.!~*#[]%;")
    return f'<a href="{esc(href)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'


def _span_label(actor: str, kind: str) -> str:
    """What a marked phrase says on hover: 'BY · capital', 'UN · organisation'."""
    return f"{split_key(actor)[0]} · {kind}"


def highlight(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The item text, escaped, with each tagged phrase wrapped in <mark> titled by its actor and kind."""
    out, cursor = [], 0
    for start, end, label in sorted(spans):
        if start < cursor or end > len(text):
            continue
        out.append(esc(text[cursor:start]))
        style = ' class="mentioned"' if label.endswith(" · mentioned") else ""
        out.append(f'<mark{style} title="{esc(label)}">{esc(text[start:end])}</mark>')
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def snippets(frames: Frames, positions: Iterable[int], new_since: pd.Timestamp | None = None) -> dict[int, str]:
    """HTML of some items of a view, by position: date, topic chips, tone, text with tagged phrases marked,
    safe link, the other reports of its story. An actor that the item names but joins to no relation line (an
    article's country named in passing) is marked apart and listed as mentioned. Items stored after `new_since`
    are marked new."""
    positions = np.asarray(list(positions), dtype=np.int64)
    if not len(positions):
        return {}
    tags = frames.tags[np.isin(frames.tags["pos"].to_numpy(), positions)]
    topics = frames.topics[np.isin(frames.topics["pos"].to_numpy(), positions)]
    relations = frames.relations[np.isin(frames.relations["pos"].to_numpy(), positions)]
    chips: dict[int, list[tuple[str, float]]] = {}
    topic_p = topics["confidence"] if "confidence" in topics else [np.nan] * len(topics)
    for pos, topic, p in sorted(zip(topics["pos"], topics["topic"], topic_p, strict=True), key=lambda r: (r[0], r[1])):
        chips.setdefault(int(pos), []).append((topic, p))
    joined: dict[int, set[str]] = {}
    for pos, source, target in zip(relations["pos"], relations["source"], relations["target"], strict=True):
        joined.setdefault(int(pos), set()).update((source, target))
    rows = frames.items.loc[positions]
    lead = dict(zip(positions.tolist(), rows["lead_actor"], strict=True))
    spans: dict[int, list] = {}
    mentioned: dict[int, dict[str, None]] = {}
    for pos, start, end, actor, kind in zip(
        tags["pos"], tags["start"], tags["end"], tags["actor"], tags["kind"], strict=True
    ):
        pos = int(pos)
        passing = actor != lead[pos] and actor not in joined.get(pos, ())
        if passing:
            mentioned.setdefault(pos, {})[actor] = None
        label = _span_label(actor, kind) + (" · mentioned" if passing else "")
        spans.setdefault(pos, []).append((int(start), int(end), label))
    out = {}
    several = rows["links"].to_numpy() if "links" in rows else [None] * len(rows)
    fresh = (
        (rows["added_at"] > new_since).to_numpy()
        if new_since is not None and "added_at" in rows
        else np.zeros(len(rows), dtype=bool)
    )
    sure = rows["confidence"].to_numpy(dtype=float) if "confidence" in rows else np.full(len(rows), np.nan)
    langs = rows["lang"].astype(object).fillna("").to_numpy() if "lang" in rows else [""] * len(rows)
    for pos, day, tone, text, url, links, is_new, tone_p, lang in zip(
        positions, rows["date"], rows["tone"], rows["text"], rows["url"], several, fresh, sure, langs, strict=True
    ):
        pos = int(pos)
        chip_html = "".join(_chip(t, p) for t, p in chips.get(pos, []))
        passing = mentioned.get(pos)
        aside = (
            '<br><span class="mentioned-list">Mentioned, no line: '
            + esc(", ".join(gazetteer.load().name_of(k) for k in passing))
            + "</span>"
            if passing
            else ""
        )
        out[pos] = (
            f'<div class="item">{NEW_MARK if is_new else ""}<b>{esc(day)}</b> {chip_html} {_tone(tone, tone_p)}'
            f"{_language(lang)}<br>"
            f'<span lang="{esc(lang)}">{highlight(text, spans.get(pos, []))}</span> {safe_link(url or "")}{aside}'
            f"{_reports(links)}</div>"
        )
    return out


def _language(lang: str) -> str:
    """The item's language after its tone, for any but English (what most of a desk's news is in)."""
    if not lang or lang == "en":
        return ""
    return f' <span class="lang" title="{esc(language.name(lang))}">{esc(lang)}</span>'


def _chip(topic: str, p: float) -> str:
    """A topic chip, hatched when the tagger is unsure of it (its probability shown on hover)."""
    if p == p and p < UNSURE_BELOW:  # p == p: not NaN (a confidence is known)
        return f'<span class="chip unsure" title="uncertain topic: p = {p:.2f}">{esc(topic)}</span>'
    return f'<span class="chip">{esc(topic)}</span>'


def _tone(tone: str, p: float) -> str:
    """The tone in italics, marked with a '?' when the tagger is unsure of it (its probability shown on hover)."""
    if p == p and p < UNSURE_BELOW:
        return f'<i class="unsure-tone" title="uncertain tone: p = {p:.2f}; check it">{esc(tone)}?</i>'
    return f"<i>{esc(tone)}</i>"


def _reports(links: tuple | None) -> str:
    """'3 sources: Reuters · AP · BBC', each linked: the reports of the item's story (when it has several)."""
    if not links:
        return ""
    named = [safe_link(url or "", source or "report") or esc(source or "(no link)") for source, url in links]
    return f'<br><span class="reports">{len(links)} sources: {" · ".join(named)}</span>'


def item_html(frames: Frames, limit: int, more: str, box: str = "items", new_since: pd.Timestamp | None = None) -> str:
    """The newest `limit` items of a view as HTML in a `<div class="{box}">` (with their style), then how many
    more there are; those stored after `new_since` are marked new."""
    items = frames.items.sort_values("newest")
    total = len(items)
    shown = items.index.to_numpy()[:limit]
    found = snippets(frames, shown, new_since)
    parts = [found[int(p)] for p in shown]
    if total > limit:
        parts.append(f'<div class="more">{total - limit:,} {esc(more)}</div>')
    return f'<style>{ITEM_CSS}</style><div class="{esc(box)}">{"".join(parts)}</div>'


def clip_at(text: str, limit: int) -> int:
    """Where a card cuts a long text: after the last sentence end (else at the last space) before `limit`
    characters; the text's length when it is within `limit`."""
    if len(text) <= limit:
        return len(text)
    head = text[:limit]
    cut = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
    if cut > limit // 2:
        return cut + 1
    cut = head.rfind(" ")
    return cut if cut > limit // 2 else limit


def tagged_text(text: str, tags: Iterable[tuple[int, int, str, str]], end: int | None = None) -> str:
    """A text, escaped, each actor's phrase marked (tags: (start, end, actor key, kind), as stored); with `end`,
    only the text before it (see clip_at), marked " …" when that is not all."""
    head = text if end is None else text[:end]
    marked = highlight(head, [(s, e, _span_label(actor, kind)) for s, e, actor, kind in tags])
    return marked + (" …" if len(head) < len(text) else "")


def who_acts(lead: str | None, actors: Iterable[str], joined: Iterable[str] | None = None) -> str:
    """'Belarus (BY) → Poland (PL), European Union (EU, org.)', escaped: the lead actor, then the other actors an
    item names, in the order given; with `joined` (the actors its relation lines join), those it names in passing
    after '· also named:'. 'no actor named' when there is none."""
    rest = [key for key in dict.fromkeys(actors) if key != lead]
    linked = set(joined) if joined is not None and lead is not None else set(rest)
    others = [esc(actor_name(key)) for key in rest if key in linked]
    passing = [esc(actor_name(key)) for key in rest if key not in linked]
    aside = f" · also named: {', '.join(passing)}" if passing else ""
    if lead is None:
        return (", ".join(others) or "no actor named") + aside
    return f"<b>{esc(actor_name(lead))}</b>" + (f" → {', '.join(others)}" if others else "") + aside


def actor_name(key: str) -> str:
    """'Belarus (BY)' or 'African Union (AU, org.)'."""
    code, is_org = split_key(key)
    return f"{gazetteer.load().name_of(key)} ({code}{', org.' if is_org else ''})"


def count_of(count: int) -> str:
    """'1 item', '12 items'."""
    return f"{count:,} item{'s' if count != 1 else ''}"


def _unsure_note(unsure: int, count: int) -> str:
    return f" · tone uncertain for {unsure:,} of {count:,}" if unsure else ""


def actor_label(key: str, count: int, unsure: int = 0) -> str:
    """Tooltip text of an actor marker (`unsure`: of its items, those whose tone is uncertain, when the map marks
    its colour so)."""
    return f"{actor_name(key)} · {count_of(count)}{_unsure_note(unsure, count)}"


def pair_label(a: str, b: str, count: int, unsure: int = 0) -> str:
    """Tooltip text of a relation line (`unsure`: as actor_label)."""
    return f"{actor_name(a)} – {actor_name(b)} · {count_of(count)}{_unsure_note(unsure, count)}"
