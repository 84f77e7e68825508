"""Where each actor is drawn, offline: a country at a point well inside its own outline (Natural Earth's, from
the basemap), an organisation at its seat."""

from __future__ import annotations

import functools

from geopy import Point

from . import basemap, gazetteer
from .models import Place, actor_key


@functools.lru_cache(maxsize=1)
def places() -> dict[str, Place]:
    """A Place for every country and organisation the gazetteer knows, by actor key."""
    gaz = gazetteer.load()
    homes = basemap.homes()
    info = gazetteer.countryinfo_by_code()
    out: dict[str, Place] = {}
    for code, name in gaz.country_names.items():
        if code in homes:
            lat, lon = basemap.inside_point(homes[code])
        else:  # a country Natural Earth draws no outline for: its capital
            latlng = (info.get(code) or {}).get("capital_latlng") or (info.get(code) or {}).get("latlng")
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
