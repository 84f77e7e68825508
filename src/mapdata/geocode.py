"""Where each actor is drawn, offline: countries at a point inside their outline, organisations at their seat."""

from __future__ import annotations

import functools

from geopy import Point
from shapely.geometry import mapping, shape
from shapely.ops import polylabel

from . import gazetteer
from .models import Place, actor_key


@functools.lru_cache(maxsize=1)
def country_shapes() -> dict[str, object]:
    """Shapely geometry of each country outline that countryinfo ships (territories merged into no one)."""
    out = {}
    for code, record in gazetteer.countryinfo_by_code().items():
        collection = record.get("geoJSON") or {}
        features = collection.get("features") or []
        if features and features[0].get("geometry"):
            geom = shape(features[0]["geometry"])
            if not geom.is_valid:
                geom = geom.buffer(0)
            out[code] = geom
    return out


def _inside_point(geom) -> tuple[float, float]:
    """A point well inside the largest part of a (multi)polygon: its pole of inaccessibility."""
    parts = getattr(geom, "geoms", [geom])
    largest = max(parts, key=lambda g: g.area)
    spot = polylabel(largest, tolerance=0.05)
    return spot.y, spot.x


@functools.lru_cache(maxsize=1)
def places() -> dict[str, Place]:
    """A Place for every country and organisation the gazetteer knows, by actor key."""
    gaz = gazetteer.load()
    info = gazetteer.countryinfo_by_code()
    shapes = country_shapes()
    out: dict[str, Place] = {}
    for code, name in gaz.country_names.items():
        if code in shapes:
            lat, lon = _inside_point(shapes[code])
        else:
            record = info.get(code, {})
            latlng = record.get("capital_latlng") or record.get("latlng")
            if not latlng:
                continue
            lat, lon = float(latlng[0]), float(latlng[1])
        out[code] = Place(code, name, Point(lat, lon))
    for code, org in gaz.organisations.items():
        key = actor_key(code, True)
        out[key] = Place(key, org.name, Point(org.lat, org.lon), is_organisation=True)
    return out


def locate(key: str) -> Place | None:
    """The Place of an actor key, or None when it has no known position."""
    return places().get(key)


@functools.lru_cache(maxsize=1)
def outlines_geojson(tolerance: float = 0.05) -> dict:
    """Simplified country outlines as one GeoJSON FeatureCollection, the offline basemap."""
    gaz = gazetteer.load()
    features = []
    for code, geom in sorted(country_shapes().items()):
        if code not in gaz.country_names:
            continue
        simple = geom.simplify(tolerance, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": gaz.country_names[code]},
                "geometry": mapping(simple),
            }
        )
    return {"type": "FeatureCollection", "features": features}
