"""Great-circle distance, in SQL (SQLite and PostgreSQL) and in Python, and the bounding box
that narrows a `near` search before it."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = 111.32


def python_km_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The same haversine distance as `km_distance`, computed in Python."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class km_distance(GenericFunction[float]):
    """`km_distance(lat1, lon1, lat2, lon2)`: haversine distance in kilometres."""

    type = Float()
    inherit_cache = True


@compiles(km_distance)
def _km_distance_sql(element: km_distance, compiler: SQLCompiler, **kw: Any) -> str:
    # Haversine in plain SQL math (SQLite: its math functions, `app.db.connections`), so the
    # database computes it in C for every row inside the bounding box.
    lat1, lon1, lat2, lon2 = (compiler.process(arg, **kw) for arg in element.clauses)
    smaller = "min" if compiler.dialect.name == "sqlite" else "least"
    h = (
        f"power(sin(radians(({lat2}) - ({lat1})) / 2), 2) + cos(radians({lat1})) * "
        f"cos(radians({lat2})) * power(sin(radians(({lon2}) - ({lon1})) / 2), 2)"
    )
    return f"(2 * {EARTH_RADIUS_KM} * asin({smaller}(1.0, sqrt({h}))))"


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) that contains every point within the radius."""
    delta_lat = radius_km / KM_PER_DEGREE_LATITUDE
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    delta_lon = min(radius_km / (KM_PER_DEGREE_LATITUDE * cos_lat), 180.0)
    return lat - delta_lat, lat + delta_lat, lon - delta_lon, lon + delta_lon
