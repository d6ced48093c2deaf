"""The filtered, keyset-paginated gig list: the hot path of the public API.

Every filter is SQL. `near` is narrowed first by a bounding box on the indexed
(lat, lon) columns, then by the great-circle distance, so gigs are never all loaded.
Keyset pagination per sort: `starts_at` orders by (starts_at, id), `-created_at` by
(created_at DESC, id DESC), `distance` by (distance, id). The cursor carries the sort it
was made for; a cursor from another sort is refused.

Speed: the database renders each row as JSON (`gig_json`), and the SQL text of each
*shape* of request (which filters are present, how many categories, words and skills,
which sort, whether there is a cursor) is compiled once and reused with new bound
values. Building and compiling the statement per request would cost several times
more than running it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.types import NULLTYPE

from app.auth import ANONYMOUS, Principal
from app.db import Database, Row, Tx
from app.db.statements import prepare
from app.errors import InvalidCursor
from app.models import Gig, GigSkill
from app.pagination import decode_cursor, encode_cursor
from app.schemas.common import fold_text
from app.services.caches import ROW_KEY, Caches, RenderedGig, RenderedGigs
from app.services.geo import bounding_box, km_distance

GigSort = Literal["starts_at", "-created_at", "distance"]
DEFAULT_RADIUS_KM = 25.0
MAX_WORDS = 10


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


@dataclass(frozen=True)
class _Shape:
    """What decides the SQL text of a list request (not the values)."""

    dialect: str
    sort: GigSort
    own_drafts_only: bool
    kind: bool
    categories: int
    area: bool
    organization: bool
    after: bool
    before: bool
    words: int
    skills: int
    accessible: bool
    has_spots: bool | None
    near: bool
    cursor: bool


def listing_statement(shape: _Shape) -> Select[Any]:
    """The SELECT for ``shape``, with a named bound parameter for every value."""
    distance = (
        km_distance(Gig.lat, Gig.lon, bindparam("near_lat"), bindparam("near_lon"))
        if shape.near
        else None
    )
    # Each row's key in the cache of rendered gigs, the sort column the next page's
    # cursor is made of, and the distance.
    columns: list[Any] = [*ROW_KEY]
    # The sort value as the driver gives it (converted for the last row only, `_as_utc`):
    # converting each row's timestamp costs more than the rest of the page.
    if shape.sort == "starts_at":
        columns.append(type_coerce(Gig.starts_at, NULLTYPE).label("sort_value"))
    elif shape.sort == "-created_at":
        columns.append(type_coerce(Gig.created_at, NULLTYPE).label("sort_value"))
    if distance is not None:
        columns.append(distance.label("distance_km"))
    query = select(*columns).where(Gig.status == bindparam("status"))
    if shape.own_drafts_only:
        query = query.where(Gig.organization_id == bindparam("own_organization_id"))
    if shape.kind:
        query = query.where(Gig.kind == bindparam("kind"))
    if shape.categories:
        query = query.where(
            Gig.category.in_([bindparam(f"category_{i}") for i in range(shape.categories)])
        )
    if shape.area:
        query = query.where(Gig.area == bindparam("area"))
    if shape.organization:
        query = query.where(Gig.organization_id == bindparam("organization_id"))
    if shape.after:
        query = query.where(Gig.starts_at >= bindparam("starts_after"))
    if shape.before:
        query = query.where(Gig.starts_at < bindparam("starts_before"))
    for index in range(shape.words):
        query = query.where(Gig.search_text.like(bindparam(f"word_{index}"), escape="\\"))
    for index in range(shape.skills):
        query = query.where(
            exists().where(
                and_(GigSkill.gig_id == Gig.id, GigSkill.skill == bindparam(f"skill_{index}"))
            )
        )
    if shape.accessible:
        query = query.where(Gig.accessible == bindparam("accessible"))
    if shape.has_spots is True:
        query = query.where(Gig.capacity > Gig.confirmed_people)
    elif shape.has_spots is False:
        query = query.where(Gig.capacity <= Gig.confirmed_people)
    if distance is not None:
        in_box: ColumnElement[bool]
        if shape.dialect == "postgresql":  # the GiST index `ix_gigs_location`
            corner = func.point(bindparam("min_lon"), bindparam("min_lat"))
            other_corner = func.point(bindparam("max_lon"), bindparam("max_lat"))
            in_box = func.point(Gig.lon, Gig.lat).op("<@")(func.box(corner, other_corner))
        else:
            in_box = and_(
                Gig.lat.between(bindparam("min_lat"), bindparam("max_lat")),
                Gig.lon.between(bindparam("min_lon"), bindparam("max_lon")),
            )
        query = query.where(in_box, distance <= bindparam("radius_km"))
    first: Any
    order: list[Any]
    if shape.sort == "starts_at":
        first, tie, order = Gig.starts_at, Gig.id, [Gig.starts_at, Gig.id]
    elif shape.sort == "-created_at":
        first, tie, order = Gig.created_at, Gig.id, [Gig.created_at.desc(), Gig.id.desc()]
    else:
        assert distance is not None, "sort=distance needs near"
        first, tie, order = distance, Gig.id, [distance, Gig.id]
    if shape.cursor:
        after_first: Any = bindparam("cursor_first")
        after_tie: Any = bindparam("cursor_tie")
        if shape.sort == "-created_at":
            query = query.where(
                or_(first < after_first, and_(first == after_first, tie < after_tie))
            )
        else:
            query = query.where(
                or_(first > after_first, and_(first == after_first, tie > after_tie))
            )
    return query.order_by(*order).limit(bindparam("limit"))


@lru_cache(maxsize=1024)
def _statement(shape: _Shape) -> Select[Any]:
    """The statement of a shape, built once (and so compiled once: the same object)."""
    return listing_statement(shape)


def plan_request(
    filters: GigFilters,
    principal: Principal,
    sort: GigSort,
    cursor: str | None,
    limit: int,
    dialect: str,
) -> tuple[_Shape, dict[str, Any]] | None:
    """The shape of the request and its values, or None when the caller may see nothing."""
    own_drafts_only = False
    values: dict[str, Any] = {"status": filters.status, "limit": limit + 1}
    if filters.status == "draft" and not principal.is_admin:
        if principal.role != "organization":
            return None
        own_drafts_only = True
        values["own_organization_id"] = principal.organization_id
    values.update({f"category_{i}": category for i, category in enumerate(filters.categories)})
    words = fold_text(filters.q or "").split()[:MAX_WORDS]
    for index, word in enumerate(words):
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        values[f"word_{index}"] = f"%{escaped}%"
    skills = list(dict.fromkeys(fold_text(skill.strip()) for skill in filters.skills))
    values.update({f"skill_{i}": skill for i, skill in enumerate(skills)})
    for name in ("kind", "area", "organization_id", "starts_after", "starts_before", "accessible"):
        if getattr(filters, name) is not None:
            values[name] = getattr(filters, name)
    if filters.near is not None:
        radius = filters.radius_km or DEFAULT_RADIUS_KM
        min_lat, max_lat, min_lon, max_lon = bounding_box(*filters.near, radius)
        values.update(
            near_lat=filters.near[0], near_lon=filters.near[1], radius_km=radius,
            min_lat=min_lat, max_lat=max_lat, min_lon=min_lon, max_lon=max_lon,
        )  # fmt: skip
    if cursor is not None:
        kind: type = float if sort == "distance" else datetime
        decoded = decode_cursor(cursor, [str, kind, str])
        if decoded[0] != sort:
            raise InvalidCursor("This cursor belongs to another sort order.")
        values["cursor_first"], values["cursor_tie"] = decoded[1], decoded[2]
    shape = _Shape(
        dialect=dialect, sort=sort, own_drafts_only=own_drafts_only, kind=filters.kind is not None,
        categories=len(filters.categories), area=filters.area is not None,
        organization=filters.organization_id is not None, after=filters.starts_after is not None,
        before=filters.starts_before is not None, words=len(words), skills=len(skills),
        accessible=filters.accessible is not None, has_spots=filters.has_spots,
        near=filters.near is not None, cursor=cursor is not None,
    )  # fmt: skip
    return shape, values


@dataclass(frozen=True)
class ListRequest:
    """One `GET /gigs`: the filters, the order and the page asked for."""

    filters: GigFilters
    sort: GigSort = "starts_at"
    cursor: str | None = None
    limit: int = 50


async def list_json(
    database: Database,
    caches: Caches,
    *,
    principal: Principal,
    query_string: bytes,
    parse: Callable[[], ListRequest],
) -> bytes:
    """One page of gigs as the JSON body of `Page[GigRead]`.

    From the list cache while nothing was committed since it was made (`caches.lists`);
    only then are the query parameters read (``parse``, which raises 422 for bad ones).
    """
    version = await caches.lists.version(database)
    body = caches.lists.get(query_string, version)
    if body is not None:
        return body
    request = parse()
    async with database.read() as tx:
        body = await _page(tx, caches.gigs, principal=principal, request=request)
    # A list of drafts depends on who asks; every other list is the same for everyone.
    caches.lists.put(query_string, version, body, shared=request.filters.status != "draft")
    return body


async def _page(
    tx: Tx, rendered: RenderedGigs, *, principal: Principal, request: ListRequest
) -> bytes:
    """A page made by its queries.

    The list query returns each row's key (id, version, counters), not its content; the
    items come from the cache of rendered gigs, and only rows whose key it does not hold
    are rendered, by the database, in a second query.
    """
    sort, limit = request.sort, request.limit
    planned = plan_request(request.filters, principal, sort, request.cursor, limit, tx.dialect.name)
    items: list[RenderedGig | None] = []
    rows: list[Row] = []
    page: list[Row] = []
    for attempt in range(_LIST_ATTEMPTS):
        rows = [] if planned is None else await tx.rows(_statement(planned[0]), planned[1])
        page = rows[:limit]
        items = rendered.lookup(page)
        missing = [row.id for row, item in zip(page, items, strict=True) if item is None]
        if not missing:
            break
        fresh = await rendered.render(tx, missing)
        items = [item or fresh.get(row.id) for row, item in zip(page, items, strict=True)]
        # A row that changed between the two reads may no longer match the filters (or be
        # gone): read the page again rather than show it. Rare; bounded.
        if all(
            item is not None and item.key == _key(row)
            for row, item in zip(page, items, strict=True)
        ):
            break
        if attempt == _LIST_ATTEMPTS - 1:
            items = [
                item if item is not None and item.key == _key(row) else None
                for row, item in zip(page, items, strict=True)
            ]
    if request.filters.near is not None:
        joined = ",".join(
            item.with_distance(row.distance_km)
            for row, item in zip(page, items, strict=True)
            if item is not None
        )
    else:
        joined = ",".join(item.plain for item in items if item is not None)
    next_cursor = _next_cursor(rows, sort, limit)
    return f'{{"items":[{joined}],"next_cursor":{json.dumps(next_cursor)}}}'.encode()


def _key(row: Row) -> tuple[Any, ...]:
    return (row.version, row.confirmed_people, row.waitlist_count)


_LIST_ATTEMPTS = 3


def explain(
    connection: Connection, *, filters: GigFilters, sort: GigSort = "starts_at", limit: int = 50
) -> list[str]:
    """The database's query plan for a public list request (for tests and benchmarks; a
    synchronous connection of `app.db.connections.migration_engine`)."""
    planned = plan_request(filters, ANONYMOUS, sort, None, limit, connection.dialect.name)
    assert planned is not None
    plan, parameters = prepare(_statement(planned[0]), connection.dialect, planned[1])
    prefix = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
    rows = connection.exec_driver_sql(prefix + plan.sql, parameters).all()
    return [str(row[-1]) for row in rows]


def _as_utc(value: Any) -> Any:
    if isinstance(value, str):  # SQLite hands back the stored text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def _next_cursor(rows: Sequence[Row], sort: GigSort, limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    if sort == "distance":
        value = last.distance_km
    else:
        value = _as_utc(last.sort_value)
    return encode_cursor([sort, value, last.id])
