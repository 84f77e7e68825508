"""Pure builders of the folium map. News text is untrusted: every string reaches HTML through `esc` here."""

from __future__ import annotations

import html
import json
import math
import re
from urllib.parse import urlparse

import folium
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template
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
      link.href = '#'; link.title = 'Full screen'; link.setAttribute('role', 'button'); link.innerHTML = '&#x26F6;';
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
.mapdata-arrow{font-size:16px;line-height:16px;text-shadow:0 0 2px #fff}
</style>"""


def base_map(location: tuple[float, float] = (35.0, 20.0), zoom: int = 3) -> folium.Map:
    """An empty map that loads Leaflet from the app, draws the country outlines as its offline basemap, and
    carries the legend, a full-screen button and the pane the density layer blurs."""
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
    folium.map.CustomPane("heat", z_index=390, pointer_events=False).add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(_STYLE))
    _Control(_FULLSCREEN).add_to(fmap)
    _Control(_LEGEND.replace("LEGEND_HTML", json.dumps(legend_html()))).add_to(fmap)
    return fmap


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Screen bearing (degrees clockwise from north) from a to b in Web Mercator."""
    def y(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(max(min(lat, 85), -85)) / 2)))

    return math.degrees(math.atan2(b[1] - a[1], y(b[0]) - y(a[0])))


class _StartHidden(MacroElement):
    """Takes its layer off the map once drawn: st_folium adds every layer it is given, but the choropleth and
    the density layer should start unticked in the layer control (which follows the change)."""

    _template = Template(
        "{% macro script(this, kwargs) %}setTimeout(function() { "
        "{{ this._parent._parent.get_name() }}.removeLayer({{ this._parent.get_name() }}); }, 0);{% endmacro %}"
    )


CHOROPLETH = ("#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837")  # ColorBrewer YlGn, colour-blind safe


def choropleth(actor_rows: pd.DataFrame) -> folium.FeatureGroup:
    """Country outlines filled by the number of items in the view (six quantile classes)."""
    group = folium.FeatureGroup(name="Items per country (choropleth)", show=False)
    _StartHidden().add_to(group)
    countries = actor_rows[~actor_rows["is_organisation"].astype(bool)]
    if countries.empty:
        return group
    counts = dict(zip(countries["actor"], countries["items"]))
    edges = sorted(set(pd.Series(list(counts.values())).quantile([i / 6 for i in range(1, 6)]).round().astype(int)))
    features = []
    for feature in geocode.outlines_geojson()["features"]:
        code = feature["properties"]["code"]
        if code in counts:
            klass = sum(counts[code] > e for e in edges)
            props = {"name": esc(feature["properties"]["name"]), "items": int(counts[code]),
                     "fill": CHOROPLETH[min(klass, len(CHOROPLETH) - 1)]}
            features.append({"type": "Feature", "properties": props, "geometry": feature["geometry"]})
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555", "weight": 0.5, "fillOpacity": 0.8},
        tooltip=folium.GeoJsonTooltip(fields=["name", "items"], aliases=["", "items"]),
    ).add_to(group)
    return group


def density(actor_rows: pd.DataFrame) -> folium.FeatureGroup:
    """A heat layer: soft discs at each actor, larger and warmer with more items, blurred by their pane."""
    group = folium.FeatureGroup(name="Density (heat)", show=False)
    _StartHidden().add_to(group)
    if actor_rows.empty:
        return group
    top = max(int(actor_rows["items"].max()), 1)
    for row in actor_rows.itertuples(index=False):
        share = row.items / top
        colour = "#fde725" if share > 0.66 else "#f98e09" if share > 0.33 else "#bc3754"
        folium.CircleMarker(
            (row.lat, row.lon), radius=8 + 30 * math.sqrt(share), stroke=False, fill=True, fill_color=colour,
            fill_opacity=0.6, pane="heat", interactive=False,
        ).add_to(group)
    return group


def layers(frames: Frames, actor_rows: pd.DataFrame | None = None, pair_rows: pd.DataFrame | None = None) -> list[folium.FeatureGroup]:
    """The data layers of a filtered view: relation lines, actor markers, choropleth, density."""
    if actor_rows is None or pair_rows is None:
        actor_rows, pair_rows = aggregate.view(frames)
    lines = folium.FeatureGroup(name="Relations")
    markers = folium.FeatureGroup(name="Actors")
    spots = {p.actor: (p.point.latitude, p.point.longitude) for p in geocode.places().values()}
    spots.update(zip(actor_rows["actor"], zip(actor_rows["lat"], actor_rows["lon"])))  # where the markers are drawn
    for row in pair_rows.itertuples(index=False):
        start, end = (row.a, row.b) if row.lead == row.a else (row.b, row.a)
        label = esc(pair_label(row.a, row.b, row.items))
        popup = f"<b>{label}</b><br>" + item_html(aggregate.items_of_pair(frames, row.a, row.b))
        colour = TONE_COLOURS[row.tone]
        points = arc(spots[start], spots[end])
        folium.PolyLine(
            points,
            color=colour,
            weight=2 + 2 * math.log2(1 + row.items),
            opacity=0.8,
            dash_array=BORDER_DASH if row.border else None,
            class_name=f"mapdata-pair pair-{css_name(row.a)}-{css_name(row.b)}",
            tooltip=folium.Tooltip(label, sticky=True),
            popup=folium.Popup(popup, max_width=420, max_height=280),
        ).add_to(lines)
        i = int(len(points) * 0.75)
        angle = _bearing(points[i - 1], points[i]) - 90  # the glyph points east
        folium.Marker(
            points[i],
            icon=folium.DivIcon(
                html=f'<div class="mapdata-arrow" style="color:{colour};transform:rotate({angle:.0f}deg)">&#x27A4;</div>',
                icon_size=(16, 16), icon_anchor=(8, 8), class_name="mapdata-arrow-icon",
            ),
            interactive=False,
        ).add_to(lines)
    for row in actor_rows.itertuples(index=False):
        label = esc(actor_label(row.actor, row.items))
        popup = folium.Popup(
            f"<b>{label}</b><br>" + item_html(aggregate.items_of_actor(frames, row.actor)), max_width=420, max_height=280
        )
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
            folium.Marker((row.lat, row.lon), icon=icon, tooltip=folium.Tooltip(label), popup=popup).add_to(markers)
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
            ).add_to(markers)
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
