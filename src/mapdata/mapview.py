"""Pure builders of the folium map. News text is untrusted: every string reaches HTML through `esc` here."""

from __future__ import annotations

import html
import math
import re
from urllib.parse import urlparse

import folium
import pandas as pd
from geographiclib.geodesic import Geodesic
from geopy.distance import geodesic

from . import aggregate, assets, geocode, gazetteer
from .models import split_key
from .store import Frames

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies
TONE_COLOURS = {"conflict": "#D55E00", "cooperation": "#0072B2", "neutral": "#7F7F7F"}
BORDER_DASH = "8 6"
POPUP_ITEMS = 8
_CODE = re.compile(r"\(([A-Z0-9]{2,12})(, org\.)?\)")


def esc(value: object) -> str:
    """Escape any value for HTML text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_link(url: str) -> str:
    """An <a> for http(s) URLs only, opened safely; anything else (javascript:, data:) is dropped."""
    try:
        scheme = urlparse(url).scheme.lower()
    except ValueError:
        return ""
    if scheme not in ("http", "https"):
        return ""
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">source</a>'


def highlight(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The item text, escaped, with each tagged phrase wrapped in <mark> titled by its actor and kind."""
    out, cursor = [], 0
    for start, end, label in sorted(spans):
        if start < cursor or end > len(text):
            continue
        out.append(esc(text[cursor:start]))
        out.append(f'<mark title="{esc(label)}">{esc(text[start:end])}</mark>')
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def item_html(frames: Frames, limit: int = POPUP_ITEMS) -> str:
    """Newest items of a view as HTML: date, topic chips, text with tagged phrases marked, safe link."""
    items = frames.items.sort_values(["date", "id"], ascending=[False, True])
    total = len(items)
    topics = frames.topics.groupby("item_id")["topic"].apply(sorted).to_dict()
    spans = {}
    for row in frames.tags.itertuples(index=False):
        spans.setdefault(row.item_id, []).append((row.start, row.end, f"{split_key(row.actor)[0]} · {row.kind}"))
    parts = []
    for row in items.head(limit).itertuples(index=False):
        chips = "".join(f'<span class="chip">{esc(t)}</span>' for t in topics.get(row.id, []))
        link = safe_link(row.url or "")
        parts.append(
            f'<div class="item"><b>{esc(row.date)}</b> {chips} <i>{esc(row.tone)}</i><br>'
            f"{highlight(row.text, spans.get(row.id, []))} {link}</div>"
        )
    if total > limit:
        parts.append(f'<div class="more">{total - limit} more below the map</div>')
    style = (
        "<style>.item{margin:0 0 6px 0;font-size:12px}.chip{background:#eee;border-radius:3px;padding:0 3px;"
        "margin-right:2px;font-size:10px}mark{background:#ffe08a}.more{font-style:italic}</style>"
    )
    return style + "".join(parts)


def actor_name(key: str) -> str:
    """'Belarus (BY)' or 'African Union (AU, org.)': the bracket identifies the actor when clicked."""
    code, is_org = split_key(key)
    return f"{gazetteer.load().name_of(key)} ({code}{', org.' if is_org else ''})"


def _items(count: int) -> str:
    return f"{count} item{'s' if count != 1 else ''}"


def actor_label(key: str, count: int) -> str:
    """Tooltip text of an actor marker."""
    return f"{actor_name(key)} · {_items(count)}"


def pair_label(a: str, b: str, count: int) -> str:
    """Tooltip text of a relation line."""
    return f"{actor_name(a)} – {actor_name(b)} · {_items(count)}"


def keys_in(label: str | None) -> list[str]:
    """Actor keys named in a tooltip text returned by a click."""
    return [("org:" + code) if org else code for code, org in _CODE.findall(label or "")]


def css_name(key: str) -> str:
    """A CSS class fragment for an actor key ('org:AU' -> 'org-AU')."""
    return key.replace(":", "-")


def arc(a: tuple[float, float], b: tuple[float, float], steps: int = 24) -> list[tuple[float, float]]:
    """Points along the great circle from a to b (geodesic on WGS84)."""
    length = geodesic(a, b).meters
    if length < 1:
        return [a, b]
    line = Geodesic.WGS84.InverseLine(a[0], a[1], b[0], b[1])
    points = []
    for i in range(steps + 1):
        pos = line.Position(line.s13 * i / steps)
        points.append((pos["lat2"], pos["lon2"]))
    # keep the line continuous across the antimeridian
    for i in range(1, len(points)):
        lat, lon = points[i]
        while lon - points[i - 1][1] > 180:
            lon -= 360
        while lon - points[i - 1][1] < -180:
            lon += 360
        points[i] = (lat, lon)
    return points


def base_map(location: tuple[float, float] = (35.0, 20.0), zoom: int = 3) -> folium.Map:
    """An empty map that loads Leaflet from the app and draws the country outlines as its offline basemap."""
    fmap = folium.Map(location=location, zoom_start=zoom, tiles=None, max_zoom=12, min_zoom=1, control_scale=True)
    fmap.default_js = assets.LEAFLET_JS
    fmap.default_css = assets.LEAFLET_CSS
    folium.GeoJson(
        geocode.outlines_geojson(),
        name="Countries",
        style_function=lambda _f: {"fillColor": "#f2efe9", "color": "#9a9a9a", "weight": 0.6, "fillOpacity": 1.0},
        control=False,
        interactive=False,
    ).add_to(fmap)
    fmap.get_root().header.add_child(folium.Element("<style>.leaflet-container{background:#cfe3ef}</style>"))
    return fmap


def layers(frames: Frames, actor_rows: pd.DataFrame | None = None, pair_rows: pd.DataFrame | None = None) -> folium.FeatureGroup:
    """The data layer of a filtered view: a marker per actor, a great-circle line per actor pair."""
    actor_rows = aggregate.actors(frames) if actor_rows is None else actor_rows
    pair_rows = aggregate.pairs(frames) if pair_rows is None else pair_rows
    group = folium.FeatureGroup(name="Actors and relations")
    places = geocode.places()
    for row in pair_rows.itertuples(index=False):
        pa, pb = places[row.a].point, places[row.b].point
        popup = f"<b>{esc(pair_label(row.a, row.b, row.items))}</b><br>" + item_html(aggregate.items_of_pair(frames, row.a, row.b))
        folium.PolyLine(
            arc((pa.latitude, pa.longitude), (pb.latitude, pb.longitude)),
            color=TONE_COLOURS[row.tone],
            weight=2 + 2 * math.log2(1 + row.items),
            opacity=0.8,
            dash_array=BORDER_DASH if row.border else None,
            class_name=f"mapdata-pair pair-{css_name(row.a)}-{css_name(row.b)}",
            tooltip=folium.Tooltip(esc(pair_label(row.a, row.b, row.items)), sticky=True),
            popup=folium.Popup(popup, max_width=420),
        ).add_to(group)
    for row in actor_rows.itertuples(index=False):
        label = esc(actor_label(row.actor, row.items))
        popup = folium.Popup(f"<b>{label}</b><br>" + item_html(aggregate.items_of_actor(frames, row.actor)), max_width=420)
        radius = 6 + 4 * math.sqrt(row.items)
        colour = TONE_COLOURS[row.tone]
        if row.is_organisation:
            size = int(radius * 1.6)
            icon = folium.DivIcon(
                html=f'<div class="org-marker" style="width:{size}px;height:{size}px;background:{colour};'
                f'border:2px solid #222;opacity:.85;transform:rotate(45deg)"></div>',
                icon_size=(size, size),
                icon_anchor=(size // 2, size // 2),
                class_name=f"mapdata-org actor-{css_name(row.actor)}",
            )
            folium.Marker((row.lat, row.lon), icon=icon, tooltip=folium.Tooltip(label), popup=popup).add_to(group)
        else:
            folium.CircleMarker(
                (row.lat, row.lon),
                radius=radius,
                color="#222222",
                weight=1.5,
                fill=True,
                fill_color=colour,
                fill_opacity=0.85,
                class_name=f"mapdata-actor actor-{css_name(row.actor)}",
                tooltip=folium.Tooltip(label),
                popup=popup,
            ).add_to(group)
    return group


def build_map(frames: Frames) -> folium.Map:
    """A standalone map of a filtered view (the dashboard passes `layers` to st_folium separately instead)."""
    fmap = base_map()
    layers(frames).add_to(fmap)
    return fmap
