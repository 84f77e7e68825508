"""Pure builders of the folium map. News text is untrusted: every string reaches HTML through `esc` here."""

from __future__ import annotations

import functools
import html
import json
import math
import re
from pathlib import Path
from urllib.parse import quote, urlparse

import folium
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template
from geographiclib.geodesic import Geodesic
from geopy.distance import geodesic

from . import aggregate, assets, geocode, gazetteer
from .frames import Frames, indexed
from .models import split_key

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies
TONE_COLOURS = {"conflict": "#D55E00", "cooperation": "#0072B2", "neutral": "#7F7F7F"}
BORDER_DASH = "8 6"
POPUP_ITEMS = 2  # newest items in a popup; all of them are listed under the map on click
_CODE = re.compile(r"\(([A-Z0-9]{2,12})(, org\.)?\)")


# folium puts popup HTML inside a JavaScript template literal (`...`, where ${...} runs and \ escapes) and then
# compiles the result as a Jinja template once more ({{ ... }} and {% ... %} run on the server). These characters
# are written as character references, which HTML shows unchanged and neither JavaScript nor Jinja reads.
_TEMPLATE_SYNTAX = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"})


def esc(value: object) -> str:
    """Escape any value for HTML text or attribute context, including HTML that folium embeds in a JavaScript
    template literal and renders as a Jinja template (so `${...}`, backquotes, backslashes and {{ }} stay text)."""
    return html.escape("" if value is None else str(value), quote=True).translate(_TEMPLATE_SYNTAX)


def safe_link(url: str) -> str:
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
    return f'<a href="{esc(href)}" target="_blank" rel="noopener noreferrer">source</a>'


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


def snippets(frames: Frames, positions) -> dict[int, str]:
    """HTML of some items of a view, by position: date, topic chips, tone, text with tagged phrases marked,
    safe link."""
    frames = indexed(frames)
    positions = np.asarray(list(positions), dtype=np.int64)
    if not len(positions):
        return {}
    tags = frames.tags[np.isin(frames.tags["pos"].to_numpy(), positions)]
    topics = frames.topics[np.isin(frames.topics["pos"].to_numpy(), positions)]
    chips: dict[int, list[str]] = {}
    for pos, topic in sorted(zip(topics["pos"], topics["topic"])):
        chips.setdefault(int(pos), []).append(topic)
    spans: dict[int, list] = {}
    for pos, start, end, actor, kind in zip(tags["pos"], tags["start"], tags["end"], tags["actor"], tags["kind"]):
        spans.setdefault(int(pos), []).append((int(start), int(end), f"{split_key(actor)[0]} · {kind}"))
    out = {}
    rows = frames.items.loc[positions]
    for pos, day, tone, text, url in zip(positions, rows["date"], rows["tone"], rows["text"], rows["url"]):
        pos = int(pos)
        chip_html = "".join(f'<span class="chip">{esc(t)}</span>' for t in chips.get(pos, []))
        out[pos] = (
            f'<div class="item"><b>{esc(day)}</b> {chip_html} <i>{esc(tone)}</i><br>'
            f"{highlight(text, spans.get(pos, []))} {safe_link(url or '')}</div>"
        )
    return out


ITEM_STYLE = (
    "<style>.item{margin:0 0 6px 0;font-size:12px}.chip{background:#eee;border-radius:3px;padding:0 3px;"
    "margin-right:2px;font-size:10px}mark{background:#ffe08a}.more{font-style:italic}</style>"
)


def item_html(frames: Frames, limit: int = POPUP_ITEMS, more: str = "more below the map", box: str = "items") -> str:
    """Newest items of a view as HTML in a `<div class="{box}">`: date, topic chips, text with tagged phrases
    marked, safe link."""
    frames = indexed(frames)
    items = frames.items.sort_values("newest")
    total = len(items)
    shown = items.index.to_numpy()[:limit]
    html = snippets(frames, shown)
    parts = [html[int(p)] for p in shown]
    if total > limit:
        parts.append(f'<div class="more">{total - limit:,} {esc(more)}</div>')
    return f'{ITEM_STYLE}<div class="{esc(box)}">{"".join(parts)}</div>'


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


class _Control(MacroElement):
    """A small piece of map script (legend, full-screen button) whose template holds no user text."""

    def __init__(self, script: str) -> None:
        super().__init__()
        self._name = "MapdataControl"
        self._template = Template("{% macro script(this, kwargs) %}" + script + "{% endmacro %}")


_FULLSCREEN = """
(function(map) {
  var Full = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function() {
      var bar = L.DomUtil.create('div', 'leaflet-bar');
      var link = L.DomUtil.create('a', 'mapdata-fullscreen', bar);
      link.href = '#'; link.title = 'Full screen'; link.setAttribute('role', 'button');
      link.setAttribute('aria-label', 'Full screen');
      // an inline icon: a font glyph turns into an empty box where the font lacks it
      link.innerHTML = '<svg width="14" height="14" viewBox="0 0 14 14" style="vertical-align:middle" aria-hidden="true">'
        + '<path d="M1 5V1h4M9 1h4v4M13 9v4H9M5 13H1V9" stroke="#333" stroke-width="2" fill="none"/></svg>';
      L.DomEvent.on(link, 'click', function(e) {
        L.DomEvent.stop(e);
        var box = map.getContainer();
        if (document.fullscreenElement) { document.exitFullscreen(); } else if (box.requestFullscreen) { box.requestFullscreen(); }
      });
      document.addEventListener('fullscreenchange', function() { setTimeout(function() { map.invalidateSize(); }, 200); });
      return bar;
    }
  });
  new Full().addTo(map);
})({{ this._parent.get_name() }});
"""

_LEGEND = """
(function(map) {
  var Legend = L.Control.extend({
    options: {position: 'bottomleft'},
    onAdd: function() {
      var box = L.DomUtil.create('div', 'mapdata-legend');
      box.innerHTML = LEGEND_HTML;
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });
  new Legend().addTo(map);
})({{ this._parent.get_name() }});
"""


def legend_html() -> str:
    """The legend's HTML: sizes, tone colours, shapes and dashes."""
    swatch = "".join(
        f'<span class="sw" style="background:{colour}"></span>{esc(tone)} '
        for tone, colour in TONE_COLOURS.items()
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


_STYLE = """<style>
.leaflet-container{background:#cfe3ef}
.mapdata-legend{background:rgba(255,255,255,.92);padding:6px 8px;font:12px/1.5 sans-serif;border-radius:4px;
  box-shadow:0 1px 4px rgba(0,0,0,.3)}
.mapdata-legend .sw{display:inline-block;width:10px;height:10px;margin:0 3px 0 6px;border:1px solid #222}
.mapdata-legend .dia{display:inline-block;width:9px;height:9px;background:#999;border:1px solid #222;
  transform:rotate(45deg);margin:0 6px 0 3px}
.mapdata-fullscreen{font-size:18px;line-height:30px;text-align:center}
.leaflet-heat-pane{filter:blur(14px);opacity:.75}
.leaflet-popup-content .item{margin:0 0 6px 0;font-size:12px}
.leaflet-popup-content .chip{background:#eee;border-radius:3px;padding:0 3px;margin-right:2px;font-size:10px}
.leaflet-popup-content mark{background:#ffe08a}.leaflet-popup-content .more{font-style:italic}
.mapdata-arrow{font-size:16px;line-height:16px;text-shadow:0 0 2px #fff}
</style>"""


SCRIPT = (Path(__file__).with_name("mapdata.js")).read_text(encoding="utf-8")


def _json(value: object) -> str:
    """JSON that is also safe inside an HTML <script> element and a Jinja template's output."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Verbatim(MacroElement):
    """A MacroElement whose rendered script goes into the page as it is. branca's own render compiles the
    output of every script macro as a Jinja template once more: slow for large JSON, and a template engine
    must never read data."""

    def render(self, **kwargs) -> None:
        """Add this element's script to the figure, verbatim."""
        script = _RawScript()
        script.text = self._template.module.script(self, kwargs)
        self.get_root().script.add_child(script, name=self.get_name())


class _RawScript(Element):
    _template = Template("{{ this.text }}")


class _Data(_Verbatim):
    """One data layer: a call of the drawing code in mapdata.js with its rows as JSON (a variable, never
    template source, so nothing in it is read by Jinja)."""

    _template = Template(
        "{% macro script(this, kwargs) %}window.mapdata.{{ this.kind }}({{ this._parent.get_name() }}, "
        "{{ this.payload }});{% endmacro %}"
    )

    def __init__(self, kind: str, payload: object) -> None:
        super().__init__()
        self._name = "MapdataLayer"
        self.kind = kind
        self.payload = _json(payload)


@functools.lru_cache(maxsize=1)
def _outlines_json() -> str:
    """The basemap outlines as JSON, coordinates to 0.01 degree (about 1 km, finer than the outlines are)."""

    def rounded(value):
        return round(value, 2) if isinstance(value, float) else [rounded(v) for v in value]

    features = [
        {"type": "Feature", "properties": {"code": f["properties"]["code"], "name": esc(f["properties"]["name"])},
         "geometry": {"type": f["geometry"]["type"], "coordinates": rounded(f["geometry"]["coordinates"])}}
        for f in geocode.outlines_geojson()["features"]
    ]
    return _json({"type": "FeatureCollection", "features": features})


class _Basemap(_Verbatim):
    """The drawing code, and the country outlines drawn with it as the offline basemap."""

    _template = Template(
        "{% macro script(this, kwargs) %}{{ this.code }}\n"
        "window.mapdata.basemap({{ this._parent.get_name() }}, {{ this.outlines }});{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapdataBasemap"
        self.code = SCRIPT
        self.outlines = _outlines_json()


def base_map(location: tuple[float, float] = (35.0, 20.0), zoom: int = 3) -> folium.Map:
    """An empty map that loads Leaflet from the app, draws the country outlines as its offline basemap, and
    carries the legend, a full-screen button and the pane the density layer blurs."""
    fmap = folium.Map(location=location, zoom_start=zoom, tiles=None, max_zoom=12, min_zoom=1, control_scale=True)
    fmap.default_js = assets.LEAFLET_JS
    fmap.default_css = assets.LEAFLET_CSS
    _Basemap().add_to(fmap)
    folium.map.CustomPane("heat", z_index=390, pointer_events=False).add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(_STYLE))
    _Control(_FULLSCREEN).add_to(fmap)
    _Control(_LEGEND.replace("LEGEND_HTML", json.dumps(legend_html()))).add_to(fmap)
    return fmap


class _StartHidden(MacroElement):
    """Takes its layer off the map once drawn: st_folium adds every layer it is given, but the choropleth and
    the density layer should start unticked in the layer control (which follows the change)."""

    _template = Template(
        "{% macro script(this, kwargs) %}setTimeout(function() { "
        "{{ this._parent._parent.get_name() }}.removeLayer({{ this._parent.get_name() }}); }, 0);{% endmacro %}"
    )


CHOROPLETH = ("#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837")  # ColorBrewer YlGn, colour-blind safe
MAX_LINES = 300  # the busiest relations drawn; more lines are unreadable and slow the browser


def choropleth(actor_rows: pd.DataFrame) -> folium.FeatureGroup:
    """Country outlines filled by the number of items in the view (six quantile classes)."""
    group = folium.FeatureGroup(name="Items per country (choropleth)", show=False)
    _StartHidden().add_to(group)
    countries = actor_rows[~actor_rows["is_organisation"].astype(bool)]
    counts = {str(k): int(v) for k, v in zip(countries["actor"], countries["items"])}
    fills = {}
    if counts:
        edges = sorted(set(pd.Series(list(counts.values())).quantile([i / 6 for i in range(1, 6)]).round().astype(int)))
        fills = {code: CHOROPLETH[min(sum(n > e for e in edges), len(CHOROPLETH) - 1)] for code, n in counts.items()}
    _Data("choropleth", {"counts": counts, "fills": fills}).add_to(group)
    return group


def density(actor_rows: pd.DataFrame) -> folium.FeatureGroup:
    """A heat layer: soft discs at each actor, larger and warmer with more items, blurred by their pane."""
    group = folium.FeatureGroup(name="Density (heat)", show=False)
    _StartHidden().add_to(group)
    rows = []
    if not actor_rows.empty:
        top = max(int(actor_rows["items"].max()), 1)
        for lat, lon, items in zip(actor_rows["lat"], actor_rows["lon"], actor_rows["items"]):
            share = items / top
            colour = "#fde725" if share > 0.66 else "#f98e09" if share > 0.33 else "#bc3754"
            rows.append([round(float(lat), 4), round(float(lon), 4), round(8 + 30 * math.sqrt(share), 1), colour])
    _Data("density", {"rows": rows}).add_to(group)
    return group


def marker_radius(count: int, busiest: int) -> float:
    """Marker radius in pixels: area grows with the items, up to 30 px for the busiest actor of the view."""
    return round(5 + 25 * math.sqrt(min(count, busiest) / max(busiest, 1)), 1)


def line_weight(count: int, busiest: int) -> float:
    """Line width in pixels: 1.5 for one item, up to 10 for the busiest pair of the view."""
    return round(1.5 + 8.5 * math.log1p(min(count, busiest)) / math.log1p(max(busiest, 1)), 1) if busiest > 1 else 2.5


def _popups(frames: Frames, actor_rows: pd.DataFrame, pair_rows: pd.DataFrame) -> tuple[list[str], dict, dict]:
    """Shared item snippets and, per actor and per pair, the indexes of its newest items among them."""
    actor_items, pair_items = aggregate.newest(
        frames, list(actor_rows["actor"]), list(zip(pair_rows["a"], pair_rows["b"])), POPUP_ITEMS
    )
    positions = sorted({p for group in (actor_items, pair_items) for ps in group.values() for p in ps})
    html = snippets(frames, positions)
    slot = {p: i for i, p in enumerate(positions)}
    return (
        [html[p] for p in positions],
        {k: [slot[p] for p in ps] for k, ps in actor_items.items()},
        {k: [slot[p] for p in ps] for k, ps in pair_items.items()},
    )


def layers(frames: Frames, actor_rows: pd.DataFrame | None = None, pair_rows: pd.DataFrame | None = None,
           max_lines: int = MAX_LINES) -> list[folium.FeatureGroup]:
    """The data layers of a filtered view: relation lines (the `max_lines` busiest), actor markers,
    choropleth, density; each popup holds the newest items, the rest come under the map on click."""
    if actor_rows is None or pair_rows is None:
        actor_rows, pair_rows = aggregate.view(frames)
    pair_rows = pair_rows.head(max_lines)
    items, actor_items, pair_items = _popups(frames, actor_rows, pair_rows)
    spots = {p.actor: (p.point.latitude, p.point.longitude) for p in geocode.places().values()}
    spots.update(zip(actor_rows["actor"], zip(actor_rows["lat"], actor_rows["lon"])))  # where the markers are drawn
    busiest_line = int(pair_rows["items"].max()) if len(pair_rows) else 1
    busiest_actor = int(actor_rows["items"].max()) if len(actor_rows) else 1
    line_rows = []
    for a, b, count, tone, border, lead in zip(pair_rows["a"], pair_rows["b"], pair_rows["items"], pair_rows["tone"],
                                               pair_rows["border"], pair_rows["lead"]):
        start, end = (a, b) if lead == a else (b, a)
        label = esc(pair_label(a, b, count))
        shown = pair_items.get((a, b), [])
        line_rows.append([
            *(round(float(v), 4) for v in spots[start]), *(round(float(v), 4) for v in spots[end]),
            TONE_COLOURS[tone], line_weight(count, busiest_line), bool(border),
            f"mapdata-pair pair-{css_name(a)}-{css_name(b)}", label, [label, shown, int(count) - len(shown)],
        ])
    actor_list = []
    for key, count, tone, is_org, lat, lon in zip(actor_rows["actor"], actor_rows["items"], actor_rows["tone"],
                                                  actor_rows["is_organisation"], actor_rows["lat"], actor_rows["lon"]):
        label = esc(actor_label(key, count))
        shown = actor_items.get(key, [])
        kind = "mapdata-org" if is_org else "mapdata-actor"
        actor_list.append([
            round(float(lat), 4), round(float(lon), 4), marker_radius(count, busiest_actor), TONE_COLOURS[tone],
            bool(is_org), f"{kind} actor-{css_name(key)}", label, [label, shown, int(count) - len(shown)],
        ])
    lines = folium.FeatureGroup(name="Relations")
    _Data("snippets", items).add_to(lines)  # first: the popups of both layers refer to these
    _Data("lines", {"rows": line_rows}).add_to(lines)
    markers = folium.FeatureGroup(name="Actors")
    _Data("actors", {"rows": actor_list}).add_to(markers)
    groups = [lines, markers, choropleth(actor_rows), density(actor_rows)]
    return [_stable_ids(group, f"l{i}x") for i, group in enumerate(groups)]


def _stable_ids(group: folium.FeatureGroup, prefix: str) -> folium.FeatureGroup:
    """Give every element of a layer an id that depends only on its place in the layer, not on a random
    uuid: the same view then renders the same script, so st_folium keeps the layer (and an open popup)
    across reruns instead of redrawing it."""
    count = 0

    def visit(element) -> None:
        nonlocal count
        element._id = f"{prefix}{count:05x}"
        count += 1
        kids = getattr(element, "_children", None)
        if kids:
            for child in kids.values():
                visit(child)
            # templates name children by their key in this dict, which still holds the old name
            element._children = type(kids)((child.get_name(), child) for child in kids.values())
        for part in ("header", "html", "script"):
            child = getattr(element, part, None)
            if child is not None and hasattr(child, "_children"):
                visit(child)

    visit(group)
    return group


def layer_control() -> folium.LayerControl:
    """The control that toggles the data layers."""
    return folium.LayerControl(collapsed=False, position="topright")


def build_map(frames: Frames, actor_rows: pd.DataFrame | None = None, pair_rows: pd.DataFrame | None = None) -> folium.Map:
    """A standalone map of a filtered view (the dashboard passes `layers` to st_folium separately instead)."""
    fmap = base_map()
    for group in layers(frames, actor_rows, pair_rows):
        group.add_to(fmap)
    layer_control().add_to(fmap)
    return fmap
