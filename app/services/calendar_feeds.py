"""Calendar feeds: which gigs a feed holds, turned into `FeedEvent`s and rendered once.

Both feeds hold gigs starting within `feed_window(now)` (7 days ago to a year ahead),
at most `MAX_FEED_EVENTS` of them, the earliest first (`starts_at`, then id).

- The public feed (`public_feed`) holds the gigs the public list would show for the
  same filters: the list's own SQL (`gig_list_sql`) with the window added to
  `starts_after`/`starts_before`, so a filter can never mean something else here.
- An association's feed (`association_feed`) holds open group gigs that fit it
  (`association_fit`), the gigs it signed up for (non-cancelled sign-ups; marked
  `signed_up`, with the people in them), and gigs cancelled in the last 30 days that
  were in it: they fit, or its sign-up was cancelled together with the gig. A gig
  cannot change after it is cancelled, so its `updated_at` is when it was cancelled.

Each event links to the gig at `gig_link` (`app.integrations.inbound`), the one address
replies and share texts use too; its UID is the gig id at the host of
`public_base_url`. A cancelled gig's `SEQUENCE` is one more than its stored one (RFC
5545 §3.8.7.4: cancelling is a significant change), which stays so: a cancelled gig
does not change again.

Feeds are kept (`caches.feeds`, `FeedCache`, where the validity rule is written) by
what the request asks for: the public feed by its raw query string (the filters are
read only when the feed is made: a poll never parses them), an association's by its
id and language. While nothing was committed and the window's minute is the same, a
poll costs one data-version check (and for an association, a hash of the token).
Otherwise the feed is made once however many ask: the rows are read and hashed, and
rendered only when the hash changed. Rendering runs in a worker thread.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any, Final
from urllib.parse import urlparse

from sqlalchemy import Select, and_, bindparam, false, or_, select

from app.auth import ANONYMOUS
from app.db import Database, Row, Tx
from app.errors import NotFound
from app.integrations.calendar_feed import (
    MAX_FEED_EVENTS,
    FeedEvent,
    Language,
    feed_window,
    render_feed,
)
from app.integrations.inbound import gig_link
from app.models import Association, Gig, Organization, Signup
from app.services.association_fit import fits_association
from app.services.caches import MAX_KEY_BYTES, Caches
from app.services.calendar_tokens import (
    calendar_token,
    digest_matches,
    instance_secret,
    token_digest,
    token_matches,
)
from app.services.feed_cache import FeedContent, KeptFeed

# The list's planner and statement builder, reused so that the feed's filters are the
# list's filters to the letter (see the module docstring of `gig_list_sql`).
from app.services.gig_list_sql import GigFilters, listing_statement, plan_request

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


async def public_feed(
    database: Database,
    caches: Caches,
    *,
    query_string: bytes,
    filters: Callable[[], Awaitable[GigFilters]],
    base_url: str,
    now: datetime,
    lang: Language = "nl",
) -> KeptFeed:
    """The public feed: the gigs the public list shows for the filters, within the window.

    ``query_string`` (raw) identifies the request; ``filters`` reads it (422 for bad
    filters), only when the feed is made.
    """
    window = _window_step(now)
    key = ("public", query_string, lang, base_url)
    cacheable = len(query_string) <= MAX_KEY_BYTES
    version = await _data_version(database) if cacheable else None
    kept = caches.feeds.get(key, version, window)
    if kept is not None:
        return kept

    async def content() -> FeedContent:
        rows = await _public_rows(database, await filters(), window)
        return _content(_PUBLIC_NAMES[lang], rows, signed_up={}, base_url=base_url, lang=lang)

    return await caches.feeds.make(key, version, window, content)


async def _public_rows(database: Database, filters: GigFilters, now: datetime) -> Sequence[Row]:
    """The rows of the public feed: the list's query for ``filters`` within the window."""
    start, end = feed_window(now)
    after = max(filters.starts_after or start, start)
    before = min(filters.starts_before or end, end)
    windowed = replace(filters, starts_after=after, starts_before=before)
    async with database.read() as tx:
        planned = plan_request(
            windowed, ANONYMOUS, "starts_at", None, MAX_FEED_EVENTS, tx.dialect.name
        )
        if planned is None or after >= before:
            return []
        shape, values = planned
        return await tx.rows(_public_statement(shape), {**values, "limit": MAX_FEED_EVENTS})


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
) -> KeptFeed:
    """An association's feed: fitting open group gigs, its sign-ups, recent cancellations.

    404 for an unknown id or a wrong token alike, so a token cannot be probed against a
    known id. A kept feed holds its token's digest (`calendar_tokens.digest_matches`);
    before a feed is made, the token is checked against the database, so a wrong one
    never costs a render.
    """
    window = _window_step(now)
    key = ("association", association_id, lang, base_url)
    version = await _data_version(database)
    kept = caches.feeds.get(key, version, window)
    if kept is None:
        async with database.read() as tx:
            association = await tx.row(_ASSOCIATION, association_id=association_id)
            if association is None or not token:
                raise _no_such_calendar()
            if not token_matches(await instance_secret(tx), association, token):
                raise _no_such_calendar()

        async def content() -> FeedContent:
            return await _association_content(
                database, association_id, window=window, base_url=base_url, lang=lang
            )

        kept = await caches.feeds.make(key, version, window, content)
    if not digest_matches(kept.credential, token):
        raise _no_such_calendar()
    return kept


def _no_such_calendar() -> NotFound:
    return NotFound("No such calendar: check the address, the token may have been renewed.")


async def _association_content(
    database: Database, association_id: str, *, window: datetime, base_url: str, lang: Language
) -> FeedContent:
    """What the association's feed is made of, with the digest of its current token."""
    start, end = feed_window(window)
    cancelled_since = window - CANCELLED_SHOWN_FOR
    async with database.read() as tx:
        association = await tx.row(_ASSOCIATION, association_id=association_id)
        if association is None:
            raise _no_such_calendar()
        credential = token_digest(calendar_token(await instance_secret(tx), association))
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
    made = _content(name, rows, signed_up=signed_up, base_url=base_url, lang=lang)
    return replace(made, credential=credential)


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
        url=gig_link(base_url, row.id),
        category=row.category,
        spots_left=max(row.capacity - row.confirmed_people, 0),
        # Cancelling is a significant change (RFC 5545 §3.8.7.4): clients drop the event.
        sequence=(row.sequence + 1) if row.status == "cancelled" else row.sequence,
        status=row.status,
        signed_up=row.id in signed_up,
        signup_size=signed_up.get(row.id),
    )


def _window_step(now: datetime) -> datetime:
    """``now`` to the whole minute: the window moves in steps, so a kept feed lasts a minute."""
    return now.replace(second=0, microsecond=0)


async def _data_version(database: Database) -> str | None:
    """The data version now; None (nothing is kept) when it cannot be read."""
    try:
        return await database.data_version()
    except Exception:  # the feed is made as if there were no cache
        logger.warning("calendar feeds: no data version", exc_info=True)
        return None


def _content(
    name: str,
    rows: Sequence[Row],
    *,
    signed_up: Mapping[str, int],
    base_url: str,
    lang: Language,
) -> FeedContent:
    """The feed's content: a hash of everything its text is made from, and its render."""
    # repr() of str, int, float, bool and aware datetimes is exact and deterministic.
    values = [tuple(row) for row in rows]
    fingerprint = (name, base_url, lang, FEED_REFRESH_MINUTES, sorted(signed_up.items()), values)
    key = hashlib.sha256(repr(fingerprint).encode()).digest()
    render = partial(_render, name, rows, signed_up=signed_up, base_url=base_url, lang=lang)
    return FeedContent(key=key, render=render)


def _render(
    name: str, rows: Sequence[Row], *, signed_up: Mapping[str, int], base_url: str, lang: Language
) -> tuple[bytes, int]:
    """The feed's bytes and its number of events."""
    events = _events(rows, base_url=base_url, signed_up=signed_up)
    host = urlparse(base_url).hostname or "klusmakelaar"
    body = render_feed(
        name=name, events=events, host=host, refresh_minutes=FEED_REFRESH_MINUTES, lang=lang
    )
    return body, len(events)
