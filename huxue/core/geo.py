"""Distances and offsets on the ground, for gates, homes and phones' positions (WGS-84 degrees)."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8  # mean radius
METRES_PER_DEGREE_LAT = 111_195.0  # π·R/180


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point this many metres north and east of (lat, lng); exact enough over a few km."""
    dlat = north_m / METRES_PER_DEGREE_LAT
    dlng = east_m / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return lat + dlat, lng + dlng
