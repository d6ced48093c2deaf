"""Great-circle distance: SQL (PostgreSQL formula, or SQLite's registered function) agrees."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import literal, select

from app.db import Tx
from app.services.geo import km_distance, python_km_distance
from tests.direct import run


def test_sql_and_python_distances_agree(app: FastAPI) -> None:
    points = [(53.2194, 6.5665, 53.2107, 6.5733), (53.2194, 6.5665, 52.0907, 5.1214), (0, 0, 0, 0)]
    database = app.state.database

    async def in_sql(tx: Tx, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        distance = km_distance(literal(lat1), literal(lon1), literal(lat2), literal(lon2))
        return float(await tx.scalar(select(distance)))

    async def each() -> list[float]:
        async with database.read() as tx:
            return [await in_sql(tx, *point) for point in points]

    for point, distance in zip(points, run(database, each()), strict=True):
        assert distance == pytest.approx(python_km_distance(*point), abs=1e-6)
