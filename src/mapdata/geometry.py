"""Distances and great-circle arcs between map points, on geopy.distance: the one place for both.

Points are (latitude, longitude) in degrees. Distances are great-circle kilometres (geopy's `great_circle`, a
sphere of the Earth's mean radius: what a line on the map stands for, and fast enough for every actor pair of a
data set); arcs follow the WGS84 geodesic (geographiclib, which geopy is built on).
"""

from __future__ import annotations

from geographiclib.geodesic import Geodesic
from geopy.distance import great_circle

Point = tuple[float, float]


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance between two points in kilometres."""
    return great_circle(a, b).km


def arc(a: Point, b: Point, steps: int = 24) -> list[Point]:
    """`steps` + 1 points along the geodesic from a to b. Longitudes stay continuous: a line that crosses the
    antimeridian goes on beyond ±180° rather than jumping to the other side of the map."""
    line = Geodesic.WGS84.InverseLine(a[0], a[1], b[0], b[1])
    if line.s13 < 1:  # the same place: a line of no length
        return [a, b]
    points = []
    for i in range(steps + 1):
        pos = line.Position(line.s13 * i / steps)
        points.append((pos["lat2"], pos["lon2"]))
    for i in range(1, len(points)):
        lat, lon = points[i]
        while lon - points[i - 1][1] > 180:
            lon -= 360
        while lon - points[i - 1][1] < -180:
            lon += 360
        points[i] = (lat, lon)
    return points


def split_at_antimeridian(points: list[Point]) -> list[list[Point]]:
    """A continuous line (longitudes may run past ±180°, as `arc` makes them) cut where it crosses the antimeridian,
    as parts whose longitudes all lie within [-180°, 180°] (RFC 7946, section 3.1.9); each cut point is on the
    antimeridian itself, at the latitude where the line crosses it."""
    parts: list[list[Point]] = [[]]
    shift = 0.0
    for i, (lat, lon) in enumerate(points):
        if i:
            prev_lat, prev_lon = points[i - 1]
            for edge in (180.0, -180.0, 540.0, -540.0):  # the meridians ±180° (and their next turns) it may cross
                if (prev_lon - edge) * (lon - edge) < 0:
                    at = (edge - prev_lon) / (lon - prev_lon)
                    crossing = prev_lat + at * (lat - prev_lat)
                    parts[-1].append((crossing, edge - shift))
                    shift += 360.0 if edge > prev_lon else -360.0
                    parts.append([(crossing, edge - shift)])
        parts[-1].append((lat, lon - shift))
    return [part for part in parts if len(part) > 1]


def central_meridian(lons: list[float]) -> float:
    """The meridian a view of these longitudes is best centred on: the middle of the narrowest span that holds
    them all, which for points around the Pacific lies across the antimeridian (0 when there are none)."""
    if not lons:
        return 0.0
    ordered = sorted(((lon + 180.0) % 360.0) - 180.0 for lon in lons)
    # the widest gap between neighbours, the way round included, is what the view leaves out
    gaps = [(ordered[(i + 1) % len(ordered)] - ordered[i]) % 360.0 for i in range(len(ordered))]
    widest = max(range(len(gaps)), key=gaps.__getitem__)
    if len(ordered) == 1:
        return ordered[0]
    start, span = ordered[(widest + 1) % len(ordered)], 360.0 - gaps[widest]
    return ((start + span / 2 + 180.0) % 360.0) - 180.0


def wrap(lon: float, centre: float) -> float:
    """A longitude moved by whole turns to lie within 180° of `centre`."""
    return lon + 360.0 * round((centre - lon) / 360.0)
