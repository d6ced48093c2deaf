"""Great-circle distance: SQL (PostgreSQL formula, or SQLite's registered function) agrees."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import literal, select

from app.db import km_distance as python_km_distance
from app.services.geo import km_distance


def test_sql_and_python_distances_agree(app: FastAPI) -> None:
    points = [(53.2194, 6.5665, 53.2107, 6.5733), (53.2194, 6.5665, 52.0907, 5.1214), (0, 0, 0, 0)]
    with app.state.database.engine.connect() as connection:
        for lat1, lon1, lat2, lon2 in points:
            in_sql = connection.execute(
                select(km_distance(literal(lat1), literal(lon1), literal(lat2), literal(lon2)))
            ).scalar_one()
            assert in_sql == pytest.approx(python_km_distance(lat1, lon1, lat2, lon2), abs=1e-6)
