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
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, cast
from weakref import WeakKeyDictionary

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    RowMapping,
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

from app.auth import Principal
from app.db import CompiledRead, Database, Row
from app.errors import InvalidCursor
from app.models import Gig, GigSkill
from app.pagination import decode_cursor, encode_cursor
from app.schemas.common import fold_text
from app.services.geo import bounding_box, km_distance
from app.services.gig_json import gig_json
from app.sql_batch import in_ids

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
    # Each row's cache key, the sort column the next page's cursor is made of, and the
    # distance (read by position: `_ROW_ID`, `_KEY`, `_SORT_VALUE`).
    columns: list[Any] = [*_ROW_KEY]
    if shape.sort == "starts_at":
        columns.append(Gig.starts_at)
    elif shape.sort == "-created_at":
        columns.append(Gig.created_at)
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
def _compiled(shape: _Shape, dialect: Dialect) -> CompiledRead:
    return CompiledRead.of(listing_statement(shape), dialect)


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


def _prepared(
    dialect: Dialect,
    *,
    filters: GigFilters,
    principal: Principal,
    sort: GigSort,
    cursor: str | None,
    limit: int,
) -> tuple[str, Any] | None:
    """The list query's SQL and driver parameters, or None when the caller may see nothing."""
    planned = plan_request(filters, principal, sort, cursor, limit, dialect.name)
    if planned is None:
        return None
    shape, values = planned
    listing = _compiled(shape, dialect)
    return listing.sql, listing.parameters(values)


def _execute(
    connection: Connection,
    *,
    filters: GigFilters,
    principal: Principal,
    sort: GigSort,
    cursor: str | None,
    limit: int,
    prefix: str = "",
) -> Sequence[RowMapping]:
    prepared = _prepared(
        connection.dialect,
        filters=filters,
        principal=principal,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    if prepared is None:
        return []
    sql, parameters = prepared
    return connection.exec_driver_sql(prefix + sql, parameters).mappings().all()


def explain(
    connection: Connection, *, filters: GigFilters, sort: GigSort = "starts_at", limit: int = 50
) -> list[str]:
    """The database's query plan for a public list request (for tests and benchmarks)."""
    from app.auth import ANONYMOUS

    prefix = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
    rows = _execute(
        connection,
        filters=filters,
        principal=ANONYMOUS,
        sort=sort,
        cursor=None,
        limit=limit,
        prefix=prefix,
    )
    return [str(list(row.values())[-1]) for row in rows]


async def list_page(
    database: Database,
    *,
    principal: Principal,
    filters: GigFilters,
    sort: GigSort,
    cursor: str | None,
    limit: int,
) -> bytes:
    """One page of gigs as the JSON body of `Page[GigRead]`.

    The list query returns each row's key (id, version, counters), not its content; the
    items come from the process's cache of rendered gigs (`GigFragments`), and only rows
    whose key the cache does not hold are rendered, by the database, in a second query.
    Both run on the event loop (`Database.reads`).
    """
    prepared = _prepared(
        database.engine.dialect,
        filters=filters,
        principal=principal,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    fragments = _fragments_of(database)
    for attempt in range(_LIST_ATTEMPTS):
        rows = [] if prepared is None else await database.reads.fetch_tuples(*prepared)
        page = rows[:limit]
        rendered = fragments.lookup(page)
        missing = [row[_ROW_ID] for row, item in zip(page, rendered, strict=True) if item is None]
        if not missing:
            break
        fresh = await fragments.render(database, missing)
        rendered = [
            item or fresh.get(row[_ROW_ID]) for row, item in zip(page, rendered, strict=True)
        ]
        # A row that changed between the two reads may no longer match the filters (or
        # be gone): read the page again rather than show it. Rare; bounded.
        if all(
            item is not None and item.key == row[_KEY]
            for row, item in zip(page, rendered, strict=True)
        ):
            break
        if attempt == _LIST_ATTEMPTS - 1:
            rendered = [
                item if item is not None and item.key == row[_KEY] else None
                for row, item in zip(page, rendered, strict=True)
            ]
    if filters.near is not None:
        # The distance is the sort value, or follows it.
        at = _SORT_VALUE if sort == "distance" else _SORT_VALUE + 1
        items = ",".join(
            item.with_distance(row[at])
            for row, item in zip(page, rendered, strict=True)
            if item is not None
        )
    else:
        items = ",".join(item.plain for item in rendered if item is not None)
    next_cursor = _next_cursor(rows, sort, limit)
    return f'{{"items":[{items}],"next_cursor":{json.dumps(next_cursor)}}}'.encode()


# What identifies one state of a gig's rendering: every change to a gig goes through the
# ORM, which bumps `version` (SQLAlchemy's version counter); the sign-up counters are in
# the key as well, so an UPDATE of them alone (a repair by hand) cannot leave a stale item.
_ROW_KEY = (Gig.id, Gig.version, Gig.confirmed_people, Gig.waitlist_count)
# The list query's columns by position: the id, the rest of the key, the sort value.
_ROW_ID, _KEY, _SORT_VALUE = 0, slice(1, len(_ROW_KEY)), len(_ROW_KEY)
_DISTANCE_KEY = '"distance_km"'
_LIST_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Fragment:
    """A gig rendered as the JSON of `GigRead`, split where its `distance_km` goes."""

    key: tuple[Any, ...]
    head: str
    tail: str

    @property
    def plain(self) -> str:
        return f"{self.head}null{self.tail}"

    def with_distance(self, distance_km: float | None) -> str:
        value = "null" if distance_km is None else repr(round(float(distance_km), 3))
        return f"{self.head}{value}{self.tail}"

    @classmethod
    def split(cls, key: tuple[Any, ...], rendered: str) -> _Fragment:
        # The key is the last but two of the object (only timestamps follow), so the last
        # occurrence is the key itself: in a title or description it would be escaped.
        at = rendered.rindex(_DISTANCE_KEY)
        value_at = rendered.index("null", at + len(_DISTANCE_KEY))
        return cls(key, rendered[:value_at], rendered[value_at + 4 :])


class GigFragments:
    """Rendered gigs of one database, by id, each valid for exactly one row key.

    A lookup compares the key the list query just read with the cached one, so an item is
    never older than the row it stands for. Bounded: the oldest entries go first.
    """

    def __init__(self, dialect: Dialect, size: int = 20_000) -> None:
        self._size = size
        self._items: dict[str, _Fragment] = {}
        self._lock = threading.Lock()
        # The key's columns as the driver returns them, as in the list query (raw SQL);
        # the ids as one parameter (a JSON array on SQLite, an array on PostgreSQL).
        raw_key = [type_coerce(column, NULLTYPE).label(column.key) for column in _ROW_KEY]
        self._sqlite = dialect.name == "sqlite"
        statement = select(*raw_key, gig_json(dialect.name).label("json")).where(
            in_ids(Gig.id, "ids")
        )
        self._statement = CompiledRead.of(cast(Select[Any], statement), dialect)

    def lookup(self, rows: Sequence[tuple[Any, ...]]) -> list[_Fragment | None]:
        """The cached rendering of each list row (its key first), or None where it is
        missing or stale."""
        found: list[_Fragment | None] = []
        for row in rows:
            item = self._items.get(row[_ROW_ID])
            found.append(item if item is not None and item.key == row[_KEY] else None)
        return found

    async def render(self, database: Database, ids: list[str]) -> dict[str, _Fragment]:
        """Render ``ids`` in the database, keep them, and return them by id."""
        values = {"ids": json.dumps(ids) if self._sqlite else ids}
        rows = await database.reads.fetch(self._statement.sql, self._statement.parameters(values))
        fresh = {row["id"]: _Fragment.split(_key_of(row), row["json"]) for row in rows}
        with self._lock:
            for gig_id, item in fresh.items():
                self._items.pop(gig_id, None)
                self._items[gig_id] = item
            while len(self._items) > self._size:
                del self._items[next(iter(self._items))]
        return fresh


def _key_of(row: Row) -> tuple[Any, ...]:
    return (row["version"], row["confirmed_people"], row["waitlist_count"])


_fragment_caches: WeakKeyDictionary[Database, GigFragments] = WeakKeyDictionary()


def _fragments_of(database: Database) -> GigFragments:
    fragments = _fragment_caches.get(database)
    if fragments is None:
        fragments = _fragment_caches.setdefault(database, GigFragments(database.engine.dialect))
    return fragments


def _as_utc(value: Any) -> Any:
    if isinstance(value, str):  # SQLite hands back the stored text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def _next_cursor(rows: Sequence[tuple[Any, ...]], sort: GigSort, limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    value = last[_SORT_VALUE] if sort == "distance" else _as_utc(last[_SORT_VALUE])
    return encode_cursor([sort, value, last[_ROW_ID]])
