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

Time: without `starts_after` the list starts at the clock (`plan_request`, ``now``), so
a plain list never shows a gig that has started; such an answer is kept only until the
first gig its query read starts (`Made.valid_until`: the list cache's rule, in
`app.services.caches`).

The SQL of each request is `app.services.gig_list_sql`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
)

from app.auth import ANONYMOUS, Principal
from app.db import Database, Row, Tx
from app.db.statements import prepare
from app.models.base import utcnow
from app.pagination import encode_cursor
from app.services.caches import Caches, RenderedGig, RenderedGigs
from app.services.gig_list_sql import (
    DISTINCT_AREAS,
    GigFilters,
    GigSort,
    plan_request,
    spelled,
    statement,
    with_area_spellings,
)


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

    From the list cache while nothing was committed since it was made and, for a list that
    starts at the clock, none of its gigs has started (`caches.lists`); only then are the
    query parameters read (``parse``, which raises 422 for bad ones).
    """
    version = await caches.lists.version(database)
    body = caches.lists.get(query_string, version)
    if body is not None:
        return body
    request = parse()
    async with database.read() as tx:
        made = await _page(tx, caches.gigs, principal=principal, request=request)
    # A list of drafts depends on who asks; every other list is the same for everyone.
    caches.lists.put(
        query_string,
        version,
        made.body,
        shared=request.filters.status != "draft",
        valid_until=made.valid_until,
    )
    return made.body


@dataclass(frozen=True, slots=True)
class Made:
    """A page's body, and until when the clock leaves it right (None: for ever)."""

    body: bytes
    valid_until: datetime | None


async def _page(
    tx: Tx, rendered: RenderedGigs, *, principal: Principal, request: ListRequest
) -> Made:
    """A page made by its queries.

    The list query returns each row's key (id, version, counters), not its content; the
    items come from the cache of rendered gigs, and only rows whose key it does not hold
    are rendered, by the database, in a second query.

    A list without `starts_after` holds the gigs not started now (`plan_request`). It stays
    right until the earliest start among the rows its query read: before then no row
    leaves (the others start later, and rows past those read never reach the page or
    its cursor), and none can join, as the bound only rises.
    """
    sort, limit = request.sort, request.limit
    clock_bound = request.filters.starts_after is None
    filters = await with_area_spellings(tx, request.filters)
    planned = plan_request(
        filters, principal, sort, request.cursor, limit, tx.dialect.name, now=utcnow()
    )
    items: list[RenderedGig | None] = []
    rows: list[Row] = []
    page: list[Row] = []
    for attempt in range(_LIST_ATTEMPTS):
        rows = [] if planned is None else await tx.rows(statement(planned[0]), planned[1])
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
    body = f'{{"items":[{joined}],"next_cursor":{json.dumps(next_cursor)}}}'.encode()
    return Made(body, _first_start(rows, sort) if clock_bound else None)


def _key(row: Row) -> tuple[Any, ...]:
    return (row.version, row.confirmed_people, row.waitlist_count)


_LIST_ATTEMPTS = 3


def explain(
    connection: Connection, *, filters: GigFilters, sort: GigSort = "starts_at", limit: int = 50
) -> list[str]:
    """The database's query plan for a public list request (for tests and benchmarks; a
    synchronous connection of `app.db.connections.migration_engine`)."""
    if filters.area is not None and filters.area_spellings is None:
        filters = spelled(filters, connection.execute(DISTINCT_AREAS).scalars().all())
    dialect = connection.dialect.name
    planned = plan_request(filters, ANONYMOUS, sort, None, limit, dialect, now=utcnow())
    assert planned is not None
    plan, parameters = prepare(statement(planned[0]), connection.dialect, planned[1])
    prefix = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
    rows = connection.exec_driver_sql(prefix + plan.sql, parameters).all()
    return [str(row[-1]) for row in rows]


def _as_utc(value: Any) -> Any:
    if isinstance(value, str):  # SQLite hands back the stored text
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def _first_start(rows: Sequence[Row], sort: GigSort) -> datetime | None:
    """The earliest `starts_at` among ``rows`` (None for none): the first row's when sorted
    by it. Compared as the driver gives them (SQLite's text sorts as the time does)."""
    if not rows:
        return None
    first = rows[0].sort_value if sort == "starts_at" else min(row.starts_value for row in rows)
    start: datetime = _as_utc(first)
    return start


def _next_cursor(rows: Sequence[Row], sort: GigSort, limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    if sort == "distance":
        value = last.distance_km
    else:
        value = _as_utc(last.sort_value)
    return encode_cursor([sort, value, last.id])
