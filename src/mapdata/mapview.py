"""The folium map of a filtered view: a base map that loads Leaflet and the map's drawing code from the app and
draws the offline basemap, and the data layers (relation lines, actor markers, choropleth, density).

Every layer is one call of a function of static/mapdata/mapdata.js with its options as JSON, the way folium's
own plugins declare their scripts (`default_js`) and pass `this.options` as JSON. Text reaches that JSON only
through `markup.esc`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math

import folium
import pandas as pd
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from . import aggregate, geocode, geometry, settings
from .frames import Frames
from .markup import ITEM_CSS, actor_label, esc, pair_label, snippets

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies
TONE_COLOURS = {"conflict": "#D55E00", "cooperation": "#0072B2", "neutral": "#7F7F7F"}
CHOROPLETH = ("#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837")  # ColorBrewer YlGn, colour-blind safe
POPUP_ITEMS = 2  # newest items in a popup; all of them are listed under the map on click
MAX_LINES = 300  # the busiest relations drawn; more lines are unreadable and slow the browser
PAIR_SEPARATOR = "|"  # a relation's key: its two actor keys joined ('BY|PL')

#: where Streamlit serves the app's static/ folder (server.enableStaticServing); absolute, so it resolves the same
#: from inside the map component's iframe
STATIC_URL = "/app/static"


@functools.cache
def _static(path: str) -> str:
    """The URL of a file of static/, with a digest of its content, so a browser never keeps an older copy."""
    digest = hashlib.sha256((settings.app_dir() / "static" / path).read_bytes()).hexdigest()[:10]
    return f"{STATIC_URL}/{path}?v={digest}"


def _json(value: object) -> str:
    """JSON that is also safe inside an HTML <script> element and a Jinja template's output."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Call(MacroElement):
    """One call of a drawing function of mapdata.js on this element's parent (the map or a layer), with its options
    as JSON. The script goes into the page as it is: branca's own render compiles every script macro's output as a
    Jinja template once more, which is slow for large JSON, and a template engine must never read data."""

    _template = Template(
        "{% macro script(this, kwargs) %}window.mapdata.{{ this.function }}({{ this._parent.get_name() }}, "
        "{{ this.options }});{% endmacro %}"
    )

    def __init__(self, function: str, options: object) -> None:
        super().__init__()
        self._name = "MapdataCall"
        self.function = function
        self.options = _json(options)

    def render(self, **kwargs) -> None:
        """Add this element's script to the figure, verbatim."""
        script = _RawScript()
        script.text = self._template.module.script(self, kwargs)
        self.get_root().script.add_child(script, name=self.get_name())


class _RawScript(Element):
    _template = Template("{{ this.text }}")


class _Assets(JSCSSMixin, MacroElement):
    """Leaflet and the map's drawing code and styles, all served by the app (nothing from the internet)."""

    _template = Template("")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapdataAssets"
        self.default_js = [("leaflet", _static("leaflet/leaflet.js")), ("mapdata", _static("mapdata/mapdata.js"))]
        self.default_css = [
            ("leaflet_css", _static("leaflet/leaflet.css")),
            ("mapdata_css", _static("mapdata/mapdata.css")),
        ]


@functools.lru_cache(maxsize=1)
def _outlines() -> dict:
    """The basemap outlines, coordinates to 0.01 degree (about 1 km, finer than the outlines are)."""

    def rounded(value):
        return round(value, 2) if isinstance(value, float) else [rounded(v) for v in value]

    features = [
        {
            "type": "Feature",
            "properties": {"code": f["properties"]["code"], "name": esc(f["properties"]["name"])},
            "geometry": {"type": f["geometry"]["type"], "coordinates": rounded(f["geometry"]["coordinates"])},
        }
        for f in geocode.outlines_geojson()["features"]
    ]
    return {"type": "FeatureCollection", "features": features}


def legend_html() -> str:
    """The legend's HTML: sizes, tone colours, shapes and dashes."""
    swatch = "".join(
        f'<span class="sw" style="background:{colour}"></span>{esc(tone)} ' for tone, colour in TONE_COLOURS.items()
    )
    return (
        "<b>Legend</b><br>"
        '<svg width="46" height="16"><circle cx="8" cy="8" r="4" fill="#999" stroke="#222"/>'
        '<circle cx="30" cy="8" r="7" fill="#999" stroke="#222"/></svg> country, size = items<br>'
        '<span class="dia"></span> organisation<br>'
        f"{swatch}<br>"
        '<svg width="46" height="10"><line x1="0" y1="5" x2="46" y2="5" stroke="#555" stroke-width="3"/></svg> relation '
        '<svg width="46" height="10"><line x1="0" y1="5" x2="46" y2="5" stroke="#555" stroke-width="3" stroke-dasharray="8 6"/></svg>'
        " shared land border<br>&#x27A4; toward the actor acted on"
    )


def base_map(location: tuple[float, float] = (35.0, 20.0), zoom: int = 3) -> folium.Map:
    """An empty map that loads Leaflet and mapdata.js from the app, draws the country outlines as its offline
    basemap, and carries the legend, a full-screen button and the pane the density layer blurs."""
    fmap = folium.Map(location=location, zoom_start=zoom, tiles=None, max_zoom=12, min_zoom=1, control_scale=True)
    fmap.default_js, fmap.default_css = [], []  # folium's own CDN links: Leaflet comes from the app (_Assets)
    _Assets().add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(f"<style>{ITEM_CSS}</style>"))
    _Call("basemap", {"outlines": _outlines()}).add_to(fmap)
    folium.map.CustomPane("heat", z_index=390, pointer_events=False).add_to(fmap)
    _Call("fullscreen", {}).add_to(fmap)
    _Call("legend", {"html": legend_html()}).add_to(fmap)
    return fmap


def choropleth(actor_rows: pd.DataFrame) -> folium.FeatureGroup:
    """Country outlines filled by the number of items in the view (six quantile classes)."""
    group = folium.FeatureGroup(name="Items per country (choropleth)", show=False)
    _Call("startHidden", {}).add_to(group)
    countries = actor_rows[~actor_rows["is_organisation"].astype(bool)]
    counts = {str(k): int(v) for k, v in zip(countries["actor"], countries["items"], strict=True)}
    fills = {}
    if counts:
        edges = sorted(set(pd.Series(list(counts.values())).quantile([i / 6 for i in range(1, 6)]).round().astype(int)))
        fills = {code: CHOROPLETH[min(sum(n > e for e in edges), len(CHOROPLETH) - 1)] for code, n in counts.items()}
    _Call("choropleth", {"counts": counts, "fills": fills}).add_to(group)
    return group


def density(actor_rows: pd.DataFrame) -> folium.FeatureGroup:
    """A heat layer: soft discs at each actor, larger and warmer with more items, blurred by their pane."""
    group = folium.FeatureGroup(name="Density (heat)", show=False)
    _Call("startHidden", {}).add_to(group)
    rows = []
    if not actor_rows.empty:
        top = max(int(actor_rows["items"].max()), 1)
        for lat, lon, items in zip(actor_rows["lat"], actor_rows["lon"], actor_rows["items"], strict=True):
            share = items / top
            colour = "#fde725" if share > 0.66 else "#f98e09" if share > 0.33 else "#bc3754"
            rows.append([round(float(lat), 4), round(float(lon), 4), round(8 + 30 * math.sqrt(share), 1), colour])
    _Call("density", {"rows": rows}).add_to(group)
    return group


def marker_radius(count: int, busiest: int) -> float:
    """Marker radius in pixels: area grows with the items, up to 30 px for the busiest actor of the view."""
    return round(5 + 25 * math.sqrt(min(count, busiest) / max(busiest, 1)), 1)


def line_weight(count: int, busiest: int) -> float:
    """Line width in pixels: 1.5 for one item, up to 10 for the busiest pair of the view."""
    return round(1.5 + 8.5 * math.log1p(min(count, busiest)) / math.log1p(max(busiest, 1)), 1) if busiest > 1 else 2.5


@functools.lru_cache(maxsize=8192)
def _arc(a: tuple[float, float], b: tuple[float, float]) -> list[float]:
    """A relation line's points, flat (lat, lon, lat, lon, ...) to 0.01 degree; the same pairs recur in every view."""
    return [round(v, 2) for point in geometry.arc(a, b) for v in point]


def _popups(frames: Frames, actor_rows: pd.DataFrame, pair_rows: pd.DataFrame) -> tuple[list[str], dict, dict]:
    """Shared item snippets and, per actor and per pair, the indexes of its newest items among them."""
    actor_items, pair_items = aggregate.newest(
        frames, list(actor_rows["actor"]), list(zip(pair_rows["a"], pair_rows["b"], strict=True)), POPUP_ITEMS
    )
    positions = sorted({p for group in (actor_items, pair_items) for ps in group.values() for p in ps})
    found = snippets(frames, positions)
    slot = {p: i for i, p in enumerate(positions)}
    return (
        [found[p] for p in positions],
        {k: [slot[p] for p in ps] for k, ps in actor_items.items()},
        {k: [slot[p] for p in ps] for k, ps in pair_items.items()},
    )


def layers(
    frames: Frames,
    actor_rows: pd.DataFrame | None = None,
    pair_rows: pd.DataFrame | None = None,
    max_lines: int = MAX_LINES,
) -> list[folium.FeatureGroup]:
    """The data layers of a filtered view: relation lines (the `max_lines` busiest), actor markers,
    choropleth, density; each popup holds the newest items, the rest come under the map on click."""
    if actor_rows is None or pair_rows is None:
        actor_rows, pair_rows = aggregate.view(frames)
    pair_rows = pair_rows.head(max_lines)
    items, actor_items, pair_items = _popups(frames, actor_rows, pair_rows)
    spots = {p.actor: (p.point.latitude, p.point.longitude) for p in geocode.places().values()}
    # where the markers are drawn (actors that share a seat are spread apart)
    spots.update(zip(actor_rows["actor"], zip(actor_rows["lat"], actor_rows["lon"], strict=True), strict=True))
    busiest_line = int(pair_rows["items"].max()) if len(pair_rows) else 1
    busiest_actor = int(actor_rows["items"].max()) if len(actor_rows) else 1
    line_rows = []
    for a, b, count, tone, border, lead in zip(
        pair_rows["a"],
        pair_rows["b"],
        pair_rows["items"],
        pair_rows["tone"],
        pair_rows["border"],
        pair_rows["lead"],
        strict=True,
    ):
        start, end = (a, b) if lead == a else (b, a)
        label = esc(pair_label(a, b, count))
        shown = pair_items.get((a, b), [])
        line_rows.append(
            [
                pair_key(a, b),
                _arc(spots[start], spots[end]),
                TONE_COLOURS[tone],
                line_weight(count, busiest_line),
                bool(border),
                label,
                [label, shown, int(count) - len(shown)],
            ]
        )
    actor_list = []
    for key, count, tone, is_org, lat, lon in zip(
        actor_rows["actor"],
        actor_rows["items"],
        actor_rows["tone"],
        actor_rows["is_organisation"],
        actor_rows["lat"],
        actor_rows["lon"],
        strict=True,
    ):
        label = esc(actor_label(key, count))
        shown = actor_items.get(key, [])
        actor_list.append(
            [
                key,
                round(float(lat), 4),
                round(float(lon), 4),
                marker_radius(count, busiest_actor),
                TONE_COLOURS[tone],
                bool(is_org),
                label,
                [label, shown, int(count) - len(shown)],
            ]
        )
    lines = folium.FeatureGroup(name="Relations")
    _Call("snippets", {"items": items}).add_to(lines)  # first: the popups of both layers refer to these
    _Call("lines", {"rows": line_rows}).add_to(lines)
    markers = folium.FeatureGroup(name="Actors")
    _Call("actors", {"rows": actor_list}).add_to(markers)
    return [lines, markers, choropleth(actor_rows), density(actor_rows)]


def pair_key(a: str, b: str) -> str:
    """A relation's key, the two actor keys in order ('BY|PL')."""
    return f"{min(a, b)}{PAIR_SEPARATOR}{max(a, b)}"


def clicked_keys(clicked: dict | None) -> list[str]:
    """The actor keys of what was clicked on the map: one for a marker, two for a relation line, none else.

    streamlit-folium reports the clicked layer as a GeoJSON feature (`last_active_drawing`); mapdata.js gives each
    marker and line a feature whose `key` property is its key."""
    feature = (clicked or {}).get("last_active_drawing") or {}
    key = (feature.get("properties") or {}).get("key") if isinstance(feature, dict) else None
    if not isinstance(key, str) or not key:
        return []
    return key.split(PAIR_SEPARATOR)


def layer_control() -> folium.LayerControl:
    """The control that toggles the data layers."""
    return folium.LayerControl(collapsed=False, position="topright")


def build_map(
    frames: Frames, actor_rows: pd.DataFrame | None = None, pair_rows: pd.DataFrame | None = None
) -> folium.Map:
    """A standalone map of a filtered view (the dashboard passes `layers` to st_folium separately instead)."""
    fmap = base_map()
    for group in layers(frames, actor_rows, pair_rows):
        group.add_to(fmap)
    layer_control().add_to(fmap)
    return fmap
