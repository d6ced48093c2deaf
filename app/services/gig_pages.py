"""What a gig's public page (`/g/{id}`) shows: the gig, its organisation, where it stands
for someone who wants to come, and, when it is closed, other open gigs nearby.

Read through `caches.gig_pages` (valid while the data version is the one read before the
rows were read: nothing was committed since), so a link shared in a large WhatsApp group
costs one data-version check per visit. Where the gig stands also depends on the clock
(`state`), so that is worked out at every visit, never kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import bindparam, or_, select

from app.db import Database, Row
from app.errors import NotFound
from app.models import Gig, Organization
from app.services.caches import Caches
from app.services.geo import python_km_distance
from app.services.page_links import LinkKeys, read_keys

logger = logging.getLogger(__name__)

#: How many other gigs a closed gig's page points to.
NEARBY_COUNT: Final = 3
#: Read this many of the soonest open gigs to pick the nearest from.
_NEARBY_POOL: Final = 60

State = Literal["open", "full", "group", "closed", "started", "past", "cancelled"]

GIG_PAGE = (
    select(
        Gig.id, Gig.organization_id, Gig.title, Gig.description, Gig.category, Gig.kind,
        Gig.starts_at, Gig.ends_at, Gig.signup_deadline, Gig.address, Gig.postcode,
        Gig.area, Gig.lat, Gig.lon, Gig.online, Gig.capacity, Gig.confirmed_people,
        Gig.waitlist_count, Gig.status, Gig.accessible, Gig.guidance_available,
        Gig.group_size_min, Gig.group_size_max, Gig.version,
        Organization.name.label("organization_name"),
        Organization.website.label("organization_website"),
    )
    .join(Organization, Organization.id == Gig.organization_id)
    .where(Gig.id == bindparam("gig_id"))
)  # fmt: skip

#: Gigs a person who followed the link could sign up for on their page: open, one-off,
#: with a spot, not started and not past their deadline.
_OPEN_SOON = (
    select(Gig.id, Gig.title, Gig.starts_at, Gig.ends_at, Gig.signup_deadline, Gig.area,
           Gig.lat, Gig.lon)
    .where(Gig.status == "open", Gig.kind == "one_off", Gig.starts_at > bindparam("now"),
           Gig.confirmed_people < Gig.capacity, Gig.id != bindparam("gig_id"),
           or_(Gig.signup_deadline.is_(None), Gig.signup_deadline > bindparam("now")))
    .order_by(Gig.starts_at, Gig.id)
    .limit(_NEARBY_POOL)
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class GigPage:
    """A gig's page as read at one data version (`nearby` only once a visit needed it),
    and its HTML as made for visits so far (`app.web.pages`), valid as long as the rows."""

    data_version: str | None
    gig: Row
    nearby: tuple[Row, ...] | None = None
    rendered: dict[tuple[Any, ...], str] = field(default_factory=dict, compare=False)


def state(gig: Row, now: datetime) -> State:
    """Where the gig stands for someone who would like to come, at ``now``."""
    if gig.status == "cancelled":
        return "cancelled"
    if gig.status == "completed" or gig.ends_at <= now:
        return "past"
    if gig.starts_at <= now:
        return "started"
    if gig.signup_deadline is not None and gig.signup_deadline <= now:
        return "closed"
    if gig.kind == "group":
        return "group"
    return "full" if spots_left(gig) <= 0 else "open"


def spots_left(gig: Row) -> int:
    """The people the gig still takes."""
    return max(int(gig.capacity) - int(gig.confirmed_people), 0)


async def read_page(database: Database, caches: Caches, *, gig_id: str, now: datetime) -> GigPage:
    """The page of a gig that is not a draft (404 for a draft or an unknown id), with the
    open gigs nearby when it is closed."""
    try:
        version = await database.data_version()
    except Exception:  # read as if there were no cache
        logger.warning("gig pages: no data version", exc_info=True)
        version = None
    page = caches.gig_pages.get(gig_id, version)
    if page is None:
        async with database.read() as tx:
            gig = await tx.row(GIG_PAGE, gig_id=gig_id)
        if gig is None:
            raise NotFound("No such gig.")
        page = GigPage(data_version=version, gig=gig)
        if version is not None:
            caches.gig_pages.put(gig_id, page)
    if page.gig.status == "draft":
        raise NotFound("No such gig.")
    if page.nearby is None and state(page.gig, now) not in ("open", "full", "group"):
        async with database.read() as tx:
            soon = await tx.rows(_OPEN_SOON, gig_id=gig_id, now=now)
        page = replace(page, nearby=tuple(soon))
        if version is not None:
            caches.gig_pages.put(gig_id, page)
    return page


def nearby(page: GigPage, now: datetime) -> list[Row]:
    """Up to `NEARBY_COUNT` open gigs that have not started, nearest first (by distance
    when both places are known, else the same area first), then soonest."""
    gig = page.gig
    coming = [row for row in page.nearby or () if row.starts_at > now
              and (row.signup_deadline is None or row.signup_deadline > now)]  # fmt: skip

    def distance(row: Row) -> tuple[float, datetime]:
        if None not in (gig.lat, gig.lon, row.lat, row.lon):
            return python_km_distance(gig.lat, gig.lon, row.lat, row.lon), row.starts_at
        same_area = bool(gig.area and row.area and gig.area.casefold() == row.area.casefold())
        return (0.0 if same_area else 1e6), row.starts_at

    return sorted(coming, key=distance)[:NEARBY_COUNT]


async def link_keys(database: Database, caches: Caches) -> LinkKeys:
    """The keys of links and forms (`page_links`), read once per process."""
    keys: LinkKeys | None = caches.gig_pages.keys
    if keys is None:
        async with database.read() as tx:
            keys = await read_keys(tx)
        caches.gig_pages.keys = keys
    return keys
