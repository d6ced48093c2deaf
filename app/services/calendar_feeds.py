"""Calendar feeds: which gigs a feed holds, turned into `FeedEvent`s and rendered once.

Both feeds hold gigs starting within `feed_window(now)` (7 days ago to a year ahead),
at most `MAX_FEED_EVENTS` of them, the earliest first (`starts_at`, then id).

- The public feed (`public_feed`) holds the gigs the public list would show for the
  same filters: the list's own SQL (`gig_listing`) with the window added to
  `starts_after`/`starts_before`, so a filter can never mean something else here.
- An association's feed (`association_feed`) holds open group gigs that fit it
  (`association_fit`), the gigs it signed up for (non-cancelled sign-ups; marked
  `signed_up`, with the people in them), and gigs cancelled in the last 30 days that
  were in it: they fit, or its sign-up was cancelled together with the gig. A gig
  cannot change after it is cancelled, so its `updated_at` is when it was cancelled.

Each event links to the gig in the API (`{public_base_url}/api/v1/gigs/{id}`): the one
address that is always there. Its UID is the gig id at the host of `public_base_url`.

Rendering costs about 0.7 ms per event, so rendered feeds are kept (`caches.feeds`,
see `app.services.caches`), under two keys:

- the exact key: a SHA-256 of everything the events are built from (the feed's name,
  base URL and language, the association's sign-ups, every selected row with all the
  columns an event uses). A changed gig, spot count or organisation name is a new key
  and a new render; an unchanged feed costs the query and a hash (~20 ms per 1,000 gigs).
- the quick key (`_quick_key`): the request (filters, or the association's profile), the
  window's minute, and the database's data version. Until the next commit anywhere, a
  request (a 200 or a 304) costs one look-up of the data version.

The window moves with the clock in whole minutes (`_window_step`). Rendering runs in a
worker thread, so a large feed never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlparse

from sqlalchemy import Select, and_, bindparam, false, or_, select

from app.auth import ANONYMOUS
from app.config import API_PREFIX
from app.db import Database, Row, Tx
from app.errors import NotFound
from app.integrations.calendar_feed import (
    MAX_FEED_EVENTS,
    FeedEvent,
    Language,
    feed_etag,
    feed_window,
    last_modified,
    render_feed,
)
from app.models import Association, Gig, Organization, Signup
from app.services.association_fit import fits_association
from app.services.caches import Caches, FeedCache
from app.services.calendar_tokens import instance_secret, token_matches

# The list's planner and statement builder, reused so that the feed's filters are the
# list's filters to the letter (see the module docstring of `gig_listing`).
from app.services.gig_listing import GigFilters, listing_statement, plan_request

logger = logging.getLogger("klusmakelaar.calendars")

#: How often calendar clients are asked to refresh (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH_MINUTES: Final = 60
#: How long a cancelled gig stays in an association's feed, as STATUS:CANCELLED.
CANCELLED_SHOWN_FOR: Final = timedelta(days=30)
#: Cancelling a gig cancels its sign-ups in the same transaction, a moment before the
#: gig's own `updated_at` is set: a sign-up cancelled this close to it went with the gig.
CANCELLED_WITH_GIG: Final = timedelta(minutes=1)

_PUBLIC_NAMES: Final[Mapping[Language, str]] = {
    "nl": "Klussen in Groningen – Klusmakelaar",
    "en": "Volunteer gigs in Groningen – Klusmakelaar",
}
_EVENT_COLUMNS: Final = (
    Gig.id,
    Gig.title,
    Gig.description,
    Organization.name.label("organization_name"),
    Gig.starts_at,
    Gig.ends_at,
    Gig.updated_at,
    Gig.address,
    Gig.area,
    Gig.postcode,
    Gig.lat,
    Gig.lon,
    Gig.category,
    Gig.capacity,
    Gig.confirmed_people,
    Gig.sequence,
    Gig.status,
)


@dataclass(frozen=True, slots=True)
class RenderedFeed:
    """A feed's bytes with what the HTTP answer needs: the ETag and Last-Modified."""

    body: bytes
    etag: str
    last_modified: datetime | None
    events: int


async def public_feed(
    database: Database,
    caches: Caches,
    *,
    filters: GigFilters,
    base_url: str,
    now: datetime,
    lang: Language = "nl",
) -> RenderedFeed:
    """The public feed: the gigs the public list shows for ``filters``, within the window."""
    now = _window_step(now)
    quick_key = await _quick_key(database, "public", filters, now, base_url, lang)
    cached = caches.feeds.get(quick_key) if quick_key is not None else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    start, end = feed_window(now)
    after = max(filters.starts_after or start, start)
    before = min(filters.starts_before or end, end)
    windowed = replace(filters, starts_after=after, starts_before=before)
    rows: Sequence[Row] = []
    async with database.read() as tx:
        planned = plan_request(
            windowed, ANONYMOUS, "starts_at", None, MAX_FEED_EVENTS, tx.dialect.name
        )
        if planned is not None and after < before:
            shape, values = planned
            rows = await tx.rows(_public_statement(shape), {**values, "limit": MAX_FEED_EVENTS})
    feed = await _render(
        caches.feeds, _PUBLIC_NAMES[lang], rows, signed_up={}, base_url=base_url, lang=lang
    )
    return feed if quick_key is None else caches.feeds.put(quick_key, feed)


@lru_cache(maxsize=256)
def _public_statement(shape: Any) -> Select[*tuple[Any, ...]]:
    """The list's statement for ``shape``, selecting what a feed event needs."""
    query: Select[*tuple[Any, ...]] = (
        listing_statement(shape)
        .with_only_columns(*_EVENT_COLUMNS)
        .join_from(Gig, Organization, Gig.organization_id == Organization.id)
    )
    return query


_ASSOCIATION = select(Association).where(Association.id == bindparam("association_id"))


async def association_feed(
    database: Database,
    caches: Caches,
    *,
    association_id: str,
    token: str | None,
    base_url: str,
    now: datetime,
    lang: Language = "nl",
) -> RenderedFeed:
    """An association's feed: fitting open group gigs, its sign-ups, recent cancellations.

    404 for an unknown id or a wrong token alike, so a token cannot be probed against a
    known id.
    """
    now = _window_step(now)
    async with database.read() as tx:
        association = await tx.row(_ASSOCIATION, association_id=association_id)
        if (
            association is None
            or not token
            or not token_matches(await instance_secret(tx), association, token)
        ):
            raise NotFound("No such calendar: check the address, the token may have been renewed.")
    profile = (association.id, association.version)
    quick_key = await _quick_key(database, "association", profile, now, base_url, lang)
    cached = caches.feeds.get(quick_key) if quick_key is not None else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    start, end = feed_window(now)
    cancelled_since = now - CANCELLED_SHOWN_FOR
    async with database.read() as tx:
        signed_up = await _signed_up_people(
            tx,
            association_id=association.id,
            start=start,
            end=end,
            cancelled_since=cancelled_since,
        )
        fitting_group_gig = and_(Gig.kind == "group", fits_association(association))
        shown = or_(
            and_(fitting_group_gig, Gig.status == "open"),
            and_(fitting_group_gig, Gig.status == "cancelled", Gig.updated_at >= cancelled_since),
            Gig.id.in_(sorted(signed_up)) if signed_up else false(),
        )
        query = (
            select(*_EVENT_COLUMNS)
            .join_from(Gig, Organization, Gig.organization_id == Organization.id)
            .where(Gig.starts_at >= start, Gig.starts_at < end, Gig.status != "draft", shown)
            .order_by(Gig.starts_at, Gig.id)
            .limit(MAX_FEED_EVENTS)
        )
        rows = await tx.rows(query)
    name = f"{association.name} – Klusmakelaar"
    feed = await _render(
        caches.feeds, name, rows, signed_up=signed_up, base_url=base_url, lang=lang
    )
    return feed if quick_key is None else caches.feeds.put(quick_key, feed)


async def _signed_up_people(
    tx: Tx,
    *,
    association_id: str,
    start: datetime,
    end: datetime,
    cancelled_since: datetime,
) -> dict[str, int]:
    """People per gig in the association's sign-ups that belong in its feed.

    Active sign-ups count; so do sign-ups that were cancelled together with their gig
    in the last 30 days (the feed then shows the gig as cancelled, with the group size).
    """
    rows = await tx.rows(
        select(
            Signup.gig_id,
            Signup.status,
            Signup.size,
            Signup.cancelled_at,
            Gig.status.label("gig_status"),
            Gig.updated_at.label("gig_updated_at"),
        )
        .join(Gig, Gig.id == Signup.gig_id)
        .where(Signup.association_id == association_id, Gig.starts_at >= start, Gig.starts_at < end)
    )
    people: dict[str, int] = {}
    for row in rows:
        if row.gig_status == "cancelled":
            went_with_gig = (
                row.cancelled_at is not None
                and row.cancelled_at >= row.gig_updated_at - CANCELLED_WITH_GIG
            )
            if not (went_with_gig and row.gig_updated_at >= cancelled_since):
                continue
        elif row.status == "cancelled":
            continue
        people[row.gig_id] = people.get(row.gig_id, 0) + row.size
    return people


def gig_url(base_url: str, gig_id: str) -> str:
    """The address an event links to: the gig in the public API."""
    return f"{base_url}{API_PREFIX}/gigs/{gig_id}"


def _events(rows: Iterable[Row], *, base_url: str, signed_up: Mapping[str, int]) -> list[FeedEvent]:
    """The rows as feed events; a row no feed can hold is left out, so one old row with
    impossible times (from before gig dates were bounded) does not break the feed."""
    events = []
    for row in rows:
        try:
            events.append(_event(row, base_url=base_url, signed_up=signed_up))
        except ValueError as error:
            logger.warning("gig %s left out of a calendar feed: %s", row.id, error)
    return events


def _event(row: Row, *, base_url: str, signed_up: Mapping[str, int]) -> FeedEvent:
    return FeedEvent(
        gig_id=row.id,
        title=row.title,
        description=row.description,
        organization_name=row.organization_name,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        updated_at=row.updated_at,
        address=row.address,
        area=row.area,
        postcode=row.postcode,
        lat=row.lat,
        lon=row.lon,
        url=gig_url(base_url, row.id),
        category=row.category,
        spots_left=max(row.capacity - row.confirmed_people, 0),
        sequence=row.sequence,
        status=row.status,
        signed_up=row.id in signed_up,
        signup_size=signed_up.get(row.id),
    )


def _window_step(now: datetime) -> datetime:
    """``now`` to the whole minute: the window moves in steps, so a quick key lasts a minute."""
    return now.replace(second=0, microsecond=0)


async def _quick_key(
    database: Database, kind: str, query: object, now: datetime, base_url: str, lang: Language
) -> bytes | None:
    """A key valid until the next commit: the same request, minute and data version give
    the same feed, without selecting the gigs (None without a data version)."""
    version = await database.data_version()
    if version is None:
        return None
    fingerprint = ("quick", kind, query, now, base_url, lang, version)
    return hashlib.sha256(repr(fingerprint).encode()).digest()


async def _render(
    feeds: FeedCache,
    name: str,
    rows: Sequence[Row],
    *,
    signed_up: Mapping[str, int],
    base_url: str,
    lang: Language,
) -> RenderedFeed:
    """The rendered feed, from the cache when the same input was rendered before."""
    # Everything the events are built from: repr() of str, int, float, bool and aware
    # datetimes is exact and deterministic.
    values = [tuple(row) for row in rows]
    fingerprint = (name, base_url, lang, FEED_REFRESH_MINUTES, sorted(signed_up.items()), values)
    key = hashlib.sha256(repr(fingerprint).encode()).digest()
    cached = feeds.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    feed = await asyncio.to_thread(
        _make_feed, name, rows, signed_up=signed_up, base_url=base_url, lang=lang
    )
    return feeds.put(key, feed)  # type: ignore[no-any-return]


def _make_feed(
    name: str, rows: Sequence[Row], *, signed_up: Mapping[str, int], base_url: str, lang: Language
) -> RenderedFeed:
    events = _events(rows, base_url=base_url, signed_up=signed_up)
    host = urlparse(base_url).hostname or "klusmakelaar"
    body = render_feed(
        name=name, events=events, host=host, refresh_minutes=FEED_REFRESH_MINUTES, lang=lang
    )
    return RenderedFeed(
        body=body, etag=feed_etag(body), last_modified=last_modified(events), events=len(events)
    )
