"""A gig rendered as JSON by the database itself, for lists.

A list page is the hot path of the public API. Building 50 Python objects per request
and serialising them again costs far more than the query, so the database renders
each row as the exact JSON of `GigRead` (same keys, same order, same formats) and the
handler only joins the rows. `tests/routers/test_gig_json.py` holds both renderings
equal field by field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Numeric, Text, case, cast, func, literal_column, null
from sqlalchemy.sql.expression import ColumnClause

from app.models import Gig


def _timestamp(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC.
        return case((column.is_(None), null()), else_=func.replace(column, " ", "T") + "Z")
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')


def _boolean(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return func.json(case((column.is_(True), "true"), else_="false"))
    native: ColumnElement[Any] = column
    return native


def _json_value(column: Any, dialect: str) -> ColumnElement[Any]:
    native: ColumnElement[Any] = column
    return func.json(column) if dialect == "sqlite" else native


def gig_json(dialect: str, distance_km: ColumnElement[float] | None = None) -> ColumnElement[str]:
    """A SQL expression that renders the current `gigs` row as the JSON of `GigRead`."""
    build = func.json_object if dialect == "sqlite" else func.json_build_object
    spots_left = (
        func.max(Gig.capacity - Gig.confirmed_people, 0)
        if dialect == "sqlite"
        else func.greatest(Gig.capacity - Gig.confirmed_people, 0)
    )
    location = build(
        "address", Gig.address,
        "postcode", Gig.postcode,
        "area", Gig.area,
        "lat", Gig.lat,
        "lon", Gig.lon,
        "online", _boolean(Gig.online, dialect),
    )  # fmt: skip
    distance: ColumnElement[Any] | ColumnClause[Any] = literal_column("NULL")
    if distance_km is not None:
        distance = (
            func.round(distance_km, 3)
            if dialect == "sqlite"
            else func.round(cast(distance_km, Numeric), 3)
        )
    row = build(
        "id", Gig.id,
        "organization_id", Gig.organization_id,
        "title", Gig.title,
        "description", Gig.description,
        "category", Gig.category,
        "kind", Gig.kind,
        "starts_at", _timestamp(Gig.starts_at, dialect),
        "ends_at", _timestamp(Gig.ends_at, dialect),
        "signup_deadline", _timestamp(Gig.signup_deadline, dialect),
        "location", location,
        "capacity", Gig.capacity,
        "group_size_min", Gig.group_size_min,
        "group_size_max", Gig.group_size_max,
        "skills", _json_value(Gig.skills, dialect),
        "languages", _json_value(Gig.languages, dialect),
        "accessible", _boolean(Gig.accessible, dialect),
        "guidance_available", _boolean(Gig.guidance_available, dialect),
        "repeatable", _boolean(Gig.repeatable, dialect),
        "requirements", build(
            "min_age", Gig.min_age,
            "vog", _boolean(Gig.requires_vog, dialect),
            "driving_licence", _boolean(Gig.requires_driving_licence, dialect),
        ),
        "series_id", Gig.series_id,
        "status", Gig.status,
        "spots_left", spots_left,
        "waitlist_count", Gig.waitlist_count,
        "source", Gig.source,
        "distance_km", distance,
        "created_at", _timestamp(Gig.created_at, dialect),
        "updated_at", _timestamp(Gig.updated_at, dialect),
    )  # fmt: skip
    # As text: the driver must not parse what is passed through as it is.
    return row if dialect == "sqlite" else cast(row, Text)
