"""The gig list's query parameters as one dependency, for every endpoint that filters gigs.

The parameters, their limits and their error messages are those of `GET /api/v1/gigs`
(`routers/gigs.py`), so a filter means the same on the list and on the calendar feed.
`sort`, `cursor` and `limit` are the list's own and stay out of here.
"""

# No `from __future__ import annotations`: the dependency below is made in a closure, and
# FastAPI must evaluate its annotations (the status pattern) where it is defined.
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Query
from pydantic import AwareDatetime

from app.errors import field_error
from app.schemas.common import Category
from app.schemas.gig import GigKind
from app.services.gig_listing import GigFilters

PUBLIC_STATUSES = "^(open|cancelled|completed)$"
ALL_STATUSES = "^(draft|open|cancelled|completed)$"


def parse_near(near: str | None) -> tuple[float, float] | None:
    """`near=<lat>,<lon>` as a point, or a 422 naming the parameter."""
    if near is None:
        return None
    try:
        lat_text, lon_text = near.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise field_error(["query", "near"], "use `<lat>,<lon>`, e.g. `53.2194,6.5665`") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise field_error(["query", "near"], "latitude or longitude out of range")
    return lat, lon


def gig_filters_dependency(*, allow_draft: bool) -> Callable[..., Coroutine[Any, Any, GigFilters]]:
    """A dependency that reads the list filters; drafts only where ``allow_draft``."""
    status_pattern = ALL_STATUSES if allow_draft else PUBLIC_STATUSES

    async def gig_filters(
        status: Annotated[str, Query(pattern=status_pattern)] = "open",
        kind: GigKind | None = None,
        category: Annotated[list[Category] | None, Query(max_length=12)] = None,
        area: Annotated[str | None, Query(max_length=100)] = None,
        organization_id: Annotated[str | None, Query(max_length=40)] = None,
        starts_after: AwareDatetime | None = None,
        starts_before: AwareDatetime | None = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        skill: Annotated[list[str] | None, Query(max_length=10)] = None,
        accessible: bool | None = None,
        has_spots: bool | None = None,
        near: Annotated[str | None, Query(description="`<lat>,<lon>`", max_length=60)] = None,
        radius_km: Annotated[float | None, Query(gt=0, le=500)] = None,
    ) -> GigFilters:
        """The filters of one request (no I/O: runs on the event loop, not in a thread)."""
        point = parse_near(near)
        if radius_km is not None and point is None:
            raise field_error(["query", "radius_km"], "`radius_km` needs `near`")
        return GigFilters(
            status=status,
            kind=kind,
            categories=list(category or []),
            area=area,
            organization_id=organization_id,
            starts_after=starts_after,
            starts_before=starts_before,
            q=q,
            skills=[value[:60] for value in skill or []],
            accessible=accessible,
            has_spots=has_spots,
            near=point,
            radius_km=radius_km,
        )

    return gig_filters


public_gig_filters = gig_filters_dependency(allow_draft=False)
