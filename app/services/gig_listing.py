"""The filtered, keyset-paginated gig list.

Every filter is SQL. `near` is narrowed first by a bounding box on the indexed
(lat, lon) columns, then by the great-circle distance, so gigs are never all loaded.
Keyset pagination per sort: `starts_at` orders by (starts_at, id), `-created_at` by
(created_at DESC, id DESC), `distance` by (distance, id). The cursor carries the sort it
was made for; a cursor from another sort is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.errors import InvalidCursor
from app.models import Gig, GigSkill
from app.pagination import decode_cursor, encode_cursor
from app.schemas.common import fold_text
from app.schemas.gig import GigRead
from app.services.geo import bounding_box, km_distance
from app.services.gigs import to_read

GigSort = Literal["starts_at", "-created_at", "distance"]
DEFAULT_RADIUS_KM = 25.0
_COLUMNS = [column for column in Gig.__table__.columns if column.name != "search_text"]


@dataclass(frozen=True)
class GigFilters:
    """What the caller asked for; every field narrows the list (categories: any of them)."""

    status: str = "open"
    kind: str | None = None
    categories: list[str] = field(default_factory=list)
    area: str | None = None
    organization_id: str | None = None
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    q: str | None = None
    skills: list[str] = field(default_factory=list)
    accessible: bool | None = None
    has_spots: bool | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None


def _visible_scope(
    query: Select[Any], filters: GigFilters, principal: Principal
) -> Select[Any] | None:
    query = query.where(Gig.status == filters.status)
    if filters.status != "draft" or principal.is_admin:
        return query
    if principal.role == "organization":
        return query.where(Gig.organization_id == principal.organization_id)
    return None


def _apply_filters(query: Select[Any], filters: GigFilters) -> Select[Any]:
    if filters.kind is not None:
        query = query.where(Gig.kind == filters.kind)
    if filters.categories:
        query = query.where(Gig.category.in_(filters.categories))
    if filters.area is not None:
        query = query.where(Gig.area == filters.area)
    if filters.organization_id is not None:
        query = query.where(Gig.organization_id == filters.organization_id)
    if filters.starts_after is not None:
        query = query.where(Gig.starts_at >= filters.starts_after)
    if filters.starts_before is not None:
        query = query.where(Gig.starts_at < filters.starts_before)
    for word in fold_text(filters.q or "").split()[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Gig.search_text.like(f"%{escaped}%", escape="\\"))
    for skill in dict.fromkeys(fold_text(skill.strip()) for skill in filters.skills):
        query = query.where(
            exists().where(and_(GigSkill.gig_id == Gig.id, GigSkill.skill == skill))
        )
    if filters.accessible is not None:
        query = query.where(Gig.accessible == filters.accessible)
    if filters.has_spots is True:
        query = query.where(Gig.capacity > Gig.confirmed_people)
    elif filters.has_spots is False:
        query = query.where(Gig.capacity <= Gig.confirmed_people)
    return query


def build_query(
    *, filters: GigFilters, principal: Principal, sort: GigSort, cursor: str | None, limit: int
) -> Select[Any] | None:
    """The SELECT for one page (limit + 1 rows), or None when the caller may see nothing."""
    distance = None
    columns: list[Any] = list(_COLUMNS)
    if filters.near is not None:
        lat, lon = filters.near
        distance = km_distance(Gig.lat, Gig.lon, lat, lon).label("distance_km")
        columns.append(distance)
    query = _visible_scope(select(*columns), filters, principal)
    if query is None:
        return None
    query = _apply_filters(query, filters)
    if filters.near is not None and distance is not None:
        radius = filters.radius_km or DEFAULT_RADIUS_KM
        min_lat, max_lat, min_lon, max_lon = bounding_box(*filters.near, radius)
        query = query.where(
            Gig.lat.between(min_lat, max_lat),
            Gig.lon.between(min_lon, max_lon),
            km_distance(Gig.lat, Gig.lon, *filters.near) <= radius,
        )
    order: list[Any]
    if sort == "starts_at":
        key: tuple[Any, ...] = (Gig.starts_at, Gig.id)
        order = [Gig.starts_at, Gig.id]
        types: list[type] = [datetime, str]
    elif sort == "-created_at":
        key = (Gig.created_at, Gig.id)
        order = [Gig.created_at.desc(), Gig.id.desc()]
        types = [datetime, str]
    else:
        assert filters.near is not None, "sort=distance needs near"
        key = (km_distance(Gig.lat, Gig.lon, *filters.near), Gig.id)
        order = [key[0], Gig.id]
        types = [float, str]
    if cursor is not None:
        values = decode_cursor(cursor, [str, *types])
        if values[0] != sort:
            raise InvalidCursor("This cursor belongs to another sort order.")
        first, tie = key
        after_first, after_tie = values[1:]
        if sort == "-created_at":
            query = query.where(
                or_(first < after_first, and_(first == after_first, tie < after_tie))
            )
        else:
            query = query.where(
                or_(first > after_first, and_(first == after_first, tie > after_tie))
            )
    return query.order_by(*order).limit(limit + 1)


def list_page(
    *,
    session: Session,
    principal: Principal,
    filters: GigFilters,
    sort: GigSort,
    cursor: str | None,
    limit: int,
) -> tuple[list[GigRead], str | None]:
    """One page of gigs and the cursor for the next."""
    query = build_query(filters=filters, principal=principal, sort=sort, cursor=cursor, limit=limit)
    if query is None:
        return [], None
    rows = session.execute(query).mappings().all()
    items = [to_read(row, distance_km=row.get("distance_km")) for row in rows[:limit]]
    if len(rows) <= limit:
        return items, None
    last = rows[limit - 1]
    if sort == "starts_at":
        sort_key: list[Any] = [sort, last["starts_at"], last["id"]]
    elif sort == "-created_at":
        sort_key = [sort, last["created_at"], last["id"]]
    else:
        sort_key = [sort, last["distance_km"], last["id"]]
    return items, encode_cursor(sort_key)
