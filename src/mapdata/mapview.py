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

from . import aggregate, basemap, gazetteer, geocode, geometry, settings
from .frames import Frames
from .markup import ITEM_CSS, actor_label, esc, pair_label, snippets
from .models import split_key

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies
TONE_COLOURS = {"conflict": "#D55E00", "cooperation": "#0072B2", "neutral": "#7F7F7F"}
CHOROPLETH = ("#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837")  # ColorBrewer YlGn, colour-blind safe
POPUP_ITEMS = 2  # newest items in a popup; all of them are listed under the map on click
DEFAULT_LINES = 40  # relations drawn by default: the busiest; more become a hairball no one can follow
LINE_CHOICES = {"40": 40, "100": 100, "all": None, "none": 0}  # the map page's choice of how many
DIMMED = 0.1  # opacity of the lines that do not touch the actor the map is focused on
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
        self.default_js = [
            ("leaflet", _static("leaflet/leaflet.js")),
            ("topojson", _static("basemap/topojson-client.min.js")),
            ("mapdata", _static("mapdata/mapdata.js")),
        ]
        self.default_css = [
            ("leaflet_css", _static("leaflet/leaflet.css")),
            ("mapdata_css", _static("mapdata/mapdata.css")),
        ]


def legend_html() -> str:
    """The legend's HTML: sizes, tone colours, shapes and dashes."""
    swatch = "".join(
        f'<span class="sw" style="background:{colour}"></span>{esc(tone)} ' for tone, colour in TONE_COLOURS.items()
    )
    return (  # under the "Legend" button that opens it (mapdata.js), so no heading of its own
        '<svg width="46" height="16"><circle cx="8" cy="8" r="4" fill="#999" stroke="#222"/>'
        '<circle cx="30" cy="8" r="7" fill="#999" stroke="#222"/></svg> country, size = items<br>'
        '<span class="dia"></span> organisation<br>'
        f"{swatch}<br>"
        '<svg width="46" height="10"><line x1="0" y1="5" x2="46" y2="5" stroke="#555" stroke-width="3"/></svg> relation '
        '<svg width="46" height="10"><line x1="0" y1="5" x2="46" y2="5" stroke="#555" stroke-width="3" stroke-dasharray="8 6"/></svg>'
        " shared land border<br>&#x27A4; toward the actor acted on<br>"
        '<svg width="46" height="16"><defs><pattern id="legend-hatch" patternUnits="userSpaceOnUse" width="5" '
        'height="5" patternTransform="rotate(45)"><rect width="5" height="5" fill="#999"/><rect width="2" height="5" '
        'fill="#fff" fill-opacity="0.75"/></pattern></defs><circle cx="8" cy="8" r="6" fill="url(#legend-hatch)" '
        'stroke="#222"/><line x1="22" y1="8" x2="46" y2="8" stroke="#555" stroke-width="3" stroke-dasharray="1 10" '
        'stroke-linecap="round"/></svg> colour uncertain: the tagger is unsure of the tone of most of its items'
    )


@functools.lru_cache(maxsize=1)
def _basemap_options() -> dict:
    """What the browser needs to draw the basemap: the outline files it fetches from the app, the actor key of
    each outline, and the names it may place (every country at its inside point, largest first; capitals)."""
    gaz = gazetteer.load()
    homes = basemap.homes()
    labels = []
    for place in geocode.places().values():
        if not place.is_organisation:
            area = round(basemap.area_km2(homes[place.actor])) if place.actor in homes else 0
            labels.append(
                [place.actor, esc(place.name), round(place.point.latitude, 3), round(place.point.longitude, 3), area]
            )
    capitals = [
        [code, esc(name), round(lat, 3), round(lon, 3)]
        for code, (name, lat, lon) in basemap.capitals().items()
        if code in gaz.country_names
    ]
    return {
        "coarse": {"url": _static("basemap/" + basemap.FILES["coarse"]), "keys": basemap.browser_keys("coarse")},
        # the fine outlines of the states the coarse file lacks, sent with the map: the 1:50m file is fetched
        # only when the map is first zoomed in far enough to draw it
        "small": basemap.borrowed_outlines(),
        "fine": {"url": _static("basemap/" + basemap.FILES["fine"]), "keys": basemap.browser_keys("fine")},
        "extra": _static("basemap/" + basemap.EXTRA),
        "labels": labels,
        "capitals": capitals,
    }


def base_map(location: tuple[float, float] = (30.0, 10.0), zoom: int = 2) -> folium.Map:
    """An empty map that loads Leaflet and mapdata.js from the app, draws every country's outline and name as its
    offline basemap, and carries the legend, a full-screen and a fit-to-data button and the density layer's pane."""
    fmap = folium.Map(
        location=location,
        zoom_start=zoom,
        tiles=None,
        max_zoom=12,
        min_zoom=1,
        control_scale=True,
        world_copy_jump=False,
        # no fade: a popup reopened on a rerun's new layers would otherwise overlap its fading old copy
        fade_animation=False,
    )
    fmap.default_js, fmap.default_css = [], []  # folium's own CDN links: Leaflet comes from the app (_Assets)
    _Assets().add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(f"<style>{ITEM_CSS}</style>"))
    _Call("basemap", _basemap_options()).add_to(fmap)
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
    names = {str(k): esc(n) for k, n in zip(countries["actor"], countries["name"], strict=True)}
    _Call("choropleth", {"counts": counts, "fills": fills, "names": names}).add_to(group)
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
    """Marker radius in pixels: the area grows with the items, from 6 px (readable at world zoom) to 30 px for
    the busiest actor of the view."""
    return round(6 + 24 * math.sqrt(min(count, busiest) / max(busiest, 1)), 1)


def _log_share(count: int, busiest: int) -> float:
    """Where a count lies between one item (0) and the busiest pair (1), on a log scale."""
    return math.log1p(min(count, busiest)) / math.log1p(busiest) if busiest > 1 else 1.0


def line_weight(count: int, busiest: int) -> float:
    """Line width in pixels: 1.5 for one item, up to 8 for the busiest pair of the view (log scale)."""
    return round(1.5 + 6.5 * _log_share(count, busiest), 1)


def line_opacity(count: int, busiest: int) -> float:
    """Line opacity: 0.35 for one item, up to 0.9 for the busiest pair of the view (log scale)."""
    return round(0.35 + 0.55 * _log_share(count, busiest), 2)


@functools.lru_cache(maxsize=8192)
def _arc(a: tuple[float, float], b: tuple[float, float]) -> list[float]:
    """A relation line's points, flat (lat, lon, lat, lon, ...) to 0.01 degree; the same pairs recur in every view."""
    return [round(v, 2) for point in geometry.arc(a, b) for v in point]


def _popups(
    frames: Frames, actor_rows: pd.DataFrame, pair_rows: pd.DataFrame, new_since: pd.Timestamp | None = None
) -> tuple[list[str], dict, dict]:
    """Shared item snippets and, per actor and per pair, the indexes of its newest items among them."""
    actor_items, pair_items = aggregate.newest(
        frames, list(actor_rows["actor"]), list(zip(pair_rows["a"], pair_rows["b"], strict=True)), POPUP_ITEMS
    )
    positions = sorted({p for group in (actor_items, pair_items) for ps in group.values() for p in ps})
    found = snippets(frames, positions, new_since)
    slot = {p: i for i, p in enumerate(positions)}
    return (
        [found[p] for p in positions],
        {k: [slot[p] for p in ps] for k, ps in actor_items.items()},
        {k: [slot[p] for p in ps] for k, ps in pair_items.items()},
    )


def _wrapped_spots(actor_rows: pd.DataFrame, fit: list[str]) -> tuple[dict, float]:
    """Where each actor of the view is drawn (actors that share a seat spread apart), its longitude moved by whole
    turns to lie within 180° of the meridian the actors to fit are centred on, so that a view of the Pacific does
    not split; and that meridian."""
    spots = {p.actor: (p.point.latitude, p.point.longitude) for p in geocode.places().values()}
    spots.update(zip(actor_rows["actor"], zip(actor_rows["lat"], actor_rows["lon"], strict=True), strict=True))
    centre = geometry.central_meridian([spots[k][1] for k in fit])
    return {k: (lat, geometry.wrap(lon, centre)) for k, (lat, lon) in spots.items()}, centre


def _evidence_places(frames: Frames, limit: int = 40) -> list[list]:
    """The cities named in the view's evidence (capitals and places), most named first, with their points."""
    tags = frames.tags[frames.tags["kind"].isin(["place", "capital"]).to_numpy()]
    if tags.empty:
        return []
    named = tags.groupby(["phrase", "actor"], observed=True).size().sort_values(ascending=False)
    out = []
    for (phrase, actor), count in named.items():
        point = basemap.city_point(phrase, actor)
        if point:
            out.append([actor, esc(phrase), round(point[0], 3), round(point[1], 3), int(count)])
        if len(out) == limit:
            break
    return out


def layers(
    frames: Frames,
    actor_rows: pd.DataFrame | None = None,
    pair_rows: pd.DataFrame | None = None,
    max_lines: int | None = DEFAULT_LINES,
    focus: str | None = None,
    new_since: pd.Timestamp | None = None,
    seen: pd.Timestamp | None = None,
) -> list[folium.FeatureGroup]:
    """The data layers of a filtered view: relation lines, actor markers, choropleth, density, and the counts the
    time control steps through. The `max_lines` busiest relations are drawn (all when None); with a `focus`
    actor, every relation of that actor is drawn too, and the rest of the map is dimmed. Each popup holds the
    newest items; the rest come under the map on click. Actors with items that arrived after `new_since` (the
    analyst's last visit) are ringed and those items marked new; `seen` (the newest arrival in the data) is
    what the browser keeps as the start of its next visit's "new"."""
    if actor_rows is None or pair_rows is None:
        actor_rows, pair_rows = aggregate.view(frames)
    shown = pair_rows if max_lines is None else pair_rows.head(max_lines)
    if focus is not None and focus in set(actor_rows["actor"]):
        mine = (pair_rows["a"] == focus) | (pair_rows["b"] == focus)
        shown = pd.concat([shown, pair_rows[mine]]).drop_duplicates(["a", "b"])
    else:
        focus = None
    neighbours = set(shown.loc[(shown["a"] == focus) | (shown["b"] == focus), ["a", "b"]].to_numpy().ravel())
    items, actor_items, pair_items = _popups(frames, actor_rows, shown, new_since)
    fit = aggregate.fit_actors(frames, actor_rows)
    spots, _ = _wrapped_spots(actor_rows, fit)
    busiest_line = int(pair_rows["items"].max()) if len(pair_rows) else 1
    busiest_actor = int(actor_rows["items"].max()) if len(actor_rows) else 1
    line_rows = []
    for a, b, count, tone, border, lead, unsure in zip(
        shown["a"],
        shown["b"],
        shown["items"],
        shown["tone"],
        shown["border"],
        shown["lead"],
        shown["unsure"],
        strict=True,
    ):
        start, end = (a, b) if lead == a else (b, a)
        doubtful = aggregate.colour_unsure(unsure, count)
        label = esc(pair_label(a, b, count, unsure if doubtful else 0))
        popup = pair_items.get((a, b), [])
        dimmed = focus is not None and focus not in (a, b)
        line_rows.append(
            [
                pair_key(a, b),
                _arc(spots[start], spots[end]),
                TONE_COLOURS[tone],
                line_weight(count, busiest_line),
                DIMMED if dimmed else line_opacity(count, busiest_line),
                bool(border),
                label,
                [label, popup, int(count) - len(popup)],
                doubtful,
            ]
        )
    actor_list = []
    for key, name, count, tone, is_org, unsure in zip(
        actor_rows["actor"],
        actor_rows["name"],
        actor_rows["items"],
        actor_rows["tone"],
        actor_rows["is_organisation"],
        actor_rows["unsure"],
        strict=True,
    ):
        doubtful = aggregate.colour_unsure(unsure, count)
        label = esc(actor_label(key, count, unsure if doubtful else 0))
        popup = actor_items.get(key, [])
        lat, lon = spots[key]
        dimmed = focus is not None and key != focus and key not in neighbours
        short = esc(split_key(key)[0] if is_org else name)
        actor_list.append(
            [
                key,
                round(float(lat), 4),
                round(float(lon), 4),
                marker_radius(count, busiest_actor),
                TONE_COLOURS[tone],
                bool(is_org),
                label,
                [label, popup, int(count) - len(popup)],
                int(count),
                dimmed,
                short,
                doubtful,
            ]
        )
    lines = folium.FeatureGroup(name="Relations")
    _Call("snippets", {"items": items}).add_to(lines)  # first: the popups of both layers refer to these
    _Call("lines", {"rows": line_rows}).add_to(lines)
    markers = folium.FeatureGroup(name="Actors")
    fit_points = [[round(spots[k][0], 3), round(spots[k][1], 3)] for k in fit]
    options = {"rows": actor_list, "fit": fit_points, "places": _evidence_places(frames)}
    if new_since is not None:
        options["fresh"] = aggregate.actors_with_items_after(frames, new_since)
    if seen is not None:
        options["seen"] = seen.isoformat()
    _Call("actors", options).add_to(markers)
    _Call("timeline", _time_steps(frames, actor_rows, shown)).add_to(markers)
    return [lines, markers, choropleth(actor_rows), density(actor_rows)]


def _time_steps(frames: Frames, actor_rows: pd.DataFrame, pair_rows: pd.DataFrame) -> dict:
    """The items of each drawn actor and line in each period of the view, for the map's time control."""
    unit = aggregate.period_unit(frames)
    steps = aggregate.per_period(
        frames, list(actor_rows["actor"]), list(zip(pair_rows["a"], pair_rows["b"], strict=True)), unit
    )
    return {
        "unit": unit,
        "periods": steps["periods"],
        "actors": steps["actors"],
        "lines": {pair_key(a, b): counts for (a, b), counts in steps["pairs"].items()},
    }


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
    """The control that toggles the data layers, folded into a small button until it is hovered or touched."""
    return folium.LayerControl(collapsed=True, position="topright")


def build_map(
    frames: Frames, actor_rows: pd.DataFrame | None = None, pair_rows: pd.DataFrame | None = None
) -> folium.Map:
    """A standalone map of a filtered view (the dashboard passes `layers` to st_folium separately instead)."""
    fmap = base_map()
    for group in layers(frames, actor_rows, pair_rows):
        group.add_to(fmap)
    layer_control().add_to(fmap)
    return fmap
