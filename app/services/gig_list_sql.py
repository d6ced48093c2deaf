"""What SQL a gig list request is: its filters (`GigFilters`), the *shape* that decides
the statement's text (`ListShape`), the statement of each shape (built and compiled
once), and the bound values of a request (`plan_request`). The list itself (its cache,
pages and cursors) is `app.services.gig_listing`; the calendar feed runs the same SQL
with its window added.

`area` is matched case- and accent-insensitively by the rule of `q` (`fold_text`), and
still through the area index: the stored spellings of the asked area are read first
(`with_area_spellings`, a walk over the distinct values of `ix_gigs_area_status`), and
the list then looks up exactly those. (An indexed column of folded areas would make this
one look-up, but needs a migration.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlalchemy.types import NULLTYPE

from app.auth import Principal
from app.db import Tx, reads
from app.errors import InvalidCursor
from app.models import Gig, GigSkill
from app.pagination import decode_cursor
from app.schemas.common import fold_text
from app.services.caches import ROW_KEY
from app.services.geo import bounding_box, km_distance

GigSort = Literal["starts_at", "-created_at", "distance"]
DEFAULT_RADIUS_KM = 25.0
MAX_WORDS = 10
#: A gig has started once the clock reaches its `starts_at` (sign-up closes then:
#: `signups._check_open`). `starts_after` includes its bound, so "not started at now" is
#: `starts_after = now + 1 µs`: both databases keep microseconds, nothing finer.
_JUST_AFTER = timedelta(microseconds=1)


@dataclass(frozen=True)
class GigFilters:
    """What the caller asked for; every field narrows the list (categories: any of them)."""

    status: str = "open"
    kind: str | None = None
    categories: list[str] = field(default_factory=list)
    area: str | None = None
    #: The stored spellings of `area` (`with_area_spellings`), read before planning.
    area_spellings: tuple[str, ...] | None = None
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
class ListShape:
    """What decides the SQL text of a list request (not the values)."""

    dialect: str
    sort: GigSort
    own_drafts_only: bool
    kind: bool
    categories: int
    areas: int
    organization: bool
    after: bool
    before: bool
    words: int
    skills: int
    accessible: bool
    has_spots: bool | None
    near: bool
    cursor: bool


def listing_statement(shape: ListShape) -> Select[Any]:
    """The SELECT for ``shape``, with a named bound parameter for every value."""
    distance = (
        km_distance(Gig.lat, Gig.lon, bindparam("near_lat"), bindparam("near_lon"))
        if shape.near
        else None
    )
    # Each row's key in the cache of rendered gigs, the sort column the next page's
    # cursor is made of, the start (how long the answer stays right: `_first_start`;
    # the sort value when sorted by it), and the distance.
    columns: list[Any] = [*ROW_KEY]
    # The sort value as the driver gives it (converted for the last row only, `_as_utc`):
    # converting each row's timestamp costs more than the rest of the page.
    if shape.sort == "starts_at":
        columns.append(type_coerce(Gig.starts_at, NULLTYPE).label("sort_value"))
    else:
        columns.append(type_coerce(Gig.starts_at, NULLTYPE).label("starts_value"))
    if shape.sort == "-created_at":
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
    if shape.areas:
        query = query.where(Gig.area.in_([bindparam(f"area_{i}") for i in range(shape.areas)]))
    if shape.organization:
        query = query.where(Gig.organization_id == bindparam("organization_id"))
    starts_at: Any = Gig.starts_at
    if shape.dialect == "sqlite" and (shape.sort != "starts_at" or shape.near):
        # Every list has a start bound (now, by default). SQLite without statistics would
        # search the start index by it, then sort all those rows: every future gig, for a
        # list by `-created_at` (its own index gives the order) or a small circle (the
        # box's index finds those few). SQLite's unary `+` keeps the value and makes the
        # bound a check only; by start, it stays a search.
        column = Gig.__table__.c.starts_at
        starts_at = UnaryExpression(column, operator=custom_op("+"), type_=column.type)
    if shape.after:
        query = query.where(starts_at >= bindparam("starts_after"))
    if shape.before:
        query = query.where(starts_at < bindparam("starts_before"))
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
def statement(shape: ListShape) -> Select[Any]:
    """The statement of a shape, built once (and so compiled once: the same object)."""
    return listing_statement(shape)


def plan_request(
    filters: GigFilters,
    principal: Principal,
    sort: GigSort,
    cursor: str | None,
    limit: int,
    dialect: str,
    *,
    now: datetime | None = None,
) -> tuple[ListShape, dict[str, Any]] | None:
    """The shape of the request and its values, or None when nothing can be listed (drafts
    the caller may not see, an area no gig has). An `area` comes with its spellings.

    With ``now`` (the list), no `starts_after` means the gigs not started at ``now``: the
    contract's default. Without it (the calendar feed, which sets its own window), none.
    """
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
    areas: tuple[str, ...] = ()
    if filters.area is not None:
        if filters.area_spellings is None:
            raise ValueError("`area` is matched by its stored spellings: `with_area_spellings`")
        if not filters.area_spellings:
            return None
        areas = filters.area_spellings
        values.update({f"area_{i}": area for i, area in enumerate(areas)})
    for name in ("kind", "organization_id", "starts_after", "starts_before", "accessible"):
        if getattr(filters, name) is not None:
            values[name] = getattr(filters, name)
    if filters.starts_after is None and now is not None:
        values["starts_after"] = now + _JUST_AFTER
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
    shape = ListShape(
        dialect=dialect, sort=sort, own_drafts_only=own_drafts_only, kind=filters.kind is not None,
        categories=len(filters.categories), areas=len(areas),
        organization=filters.organization_id is not None, after="starts_after" in values,
        before=filters.starts_before is not None, words=len(words), skills=len(skills),
        accessible=filters.accessible is not None, has_spots=filters.has_spots,
        near=filters.near is not None, cursor=cursor is not None,
    )  # fmt: skip
    return shape, values


def area_key(area: str) -> str:
    """What `area` is compared by: trimmed, lower case, accents folded (as `q`)."""
    return fold_text(area.strip())


def _distinct_areas() -> Select[Any]:
    """Every distinct stored area, one index step each (a loose scan of the index on
    `area`): the cost grows with the number of areas, not of gigs."""
    walk = select(func.min(Gig.area).label("area")).cte("areas", recursive=True)
    following = select(Gig.area).where(Gig.area > walk.c.area).order_by(Gig.area).limit(1)
    walk = walk.union_all(
        select(following.scalar_subquery().label("area")).where(walk.c.area.is_not(None))
    )
    return select(walk.c.area).where(walk.c.area.is_not(None))


DISTINCT_AREAS = _distinct_areas()


def spelled(filters: GigFilters, stored: Sequence[str]) -> GigFilters:
    """``filters`` with the spellings among ``stored`` of its `area`."""
    wanted = area_key(filters.area or "")
    spellings = tuple(area for area in stored if area_key(area) == wanted)
    return replace(filters, area_spellings=spellings)


@reads
async def with_area_spellings(tx: Tx, filters: GigFilters) -> GigFilters:
    """``filters`` with the stored spellings of its `area` (those with the same
    `area_key`), which the list looks up in the area index; unchanged without `area`."""
    if filters.area is None or filters.area_spellings is not None:
        return filters
    return spelled(filters, await tx.scalars(DISTINCT_AREAS))
