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
