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

Rendering costs about 0.7 ms per event, so rendered feeds are kept in-process (up to
`CACHE_ENTRIES`, least recently used dropped; each worker process has its own), under
two keys:

- the exact key: a SHA-256 of everything the events are built from (the feed's name,
  base URL and language, the association's sign-ups, every selected row with all the
  columns an event uses). A changed gig, spot count or organisation name is a new key
  and a new render; an unchanged feed costs the query and a hash (~20 ms per 1,000 gigs).
- the quick key (`_quick_key`): the request (filters, or the association's profile), the
  window's minute, and the counts and newest `updated_at` of gigs and organisations.
  Within a minute and without writes, a request (a 200 or a 304) costs two aggregate
  look-ups. This relies on every write to a gig or an organisation setting its
  `updated_at` (the services do; `DTSTAMP` needs it anyway). A direct SQL edit that does
  not is seen within a minute, when the quick key moves on and the exact key decides.

The window moves with the clock in whole minutes (`_window_step`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlparse

from sqlalchemy import Row, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from app.auth import ANONYMOUS
from app.config import API_PREFIX
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
from app.services.calendar_tokens import token_matches

# The list's planner and statement builder, reused so that the feed's filters are the
# list's filters to the letter (see the module docstring of `gig_listing`).
from app.services.gig_listing import GigFilters, listing_statement, plan_request

#: How often calendar clients are asked to refresh (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH_MINUTES: Final = 60
#: How long a cancelled gig stays in an association's feed, as STATUS:CANCELLED.
CANCELLED_SHOWN_FOR: Final = timedelta(days=30)
#: Cancelling a gig cancels its sign-ups in the same transaction, a moment before the
#: gig's own `updated_at` is set: a sign-up cancelled this close to it went with the gig.
CANCELLED_WITH_GIG: Final = timedelta(minutes=1)
#: Rendered feeds kept in memory (each at most a few hundred KiB).
CACHE_ENTRIES: Final = 64

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


def public_feed(
    *, session: Session, filters: GigFilters, base_url: str, now: datetime, lang: Language = "nl"
) -> RenderedFeed:
    """The public feed: the gigs the public list shows for ``filters``, within the window."""
    now = _window_step(now)
    quick_key = _quick_key(session, "public", filters, now, base_url, lang)
    cached = _cached(quick_key)
    if cached is not None:
        return cached
    start, end = feed_window(now)
    after = max(filters.starts_after or start, start)
    before = min(filters.starts_before or end, end)
    windowed = replace(filters, starts_after=after, starts_before=before)
    dialect = session.get_bind().dialect.name
    planned = plan_request(windowed, ANONYMOUS, "starts_at", None, MAX_FEED_EVENTS, dialect)
    rows: Sequence[Row[*tuple[Any, ...]]] = []
    if planned is not None and after < before:
        shape, values = planned
        query = _public_statement(shape)
        parameters = {**values, "limit": MAX_FEED_EVENTS}
        rows = session.connection().execute(query, parameters).all()
    feed = _render(_PUBLIC_NAMES[lang], rows, signed_up={}, base_url=base_url, lang=lang)
    return _store(quick_key, feed)


@lru_cache(maxsize=256)
def _public_statement(shape: Any) -> Select[*tuple[Any, ...]]:
    """The list's statement for ``shape``, selecting what a feed event needs."""
    query: Select[*tuple[Any, ...]] = (
        listing_statement(shape)
        .with_only_columns(*_EVENT_COLUMNS)
        .join_from(Gig, Organization, Gig.organization_id == Organization.id)
    )
    return query


def get_association_for_feed(
    *, session: Session, association_id: str, token: str | None
) -> Association:
    """The association whose feed ``token`` opens; 404 for an unknown id or a wrong token."""
    association = session.get(Association, association_id)
    if association is None or not token or not token_matches(session, association, token):
        # The same answer for both, so a token cannot be probed against a known id.
        raise NotFound("No such calendar: check the address, the token may have been renewed.")
    return association


def association_feed(
    *,
    session: Session,
    association: Association,
    base_url: str,
    now: datetime,
    lang: Language = "nl",
) -> RenderedFeed:
    """An association's feed: fitting open group gigs, its sign-ups, recent cancellations."""
    now = _window_step(now)
    profile = (association.id, association.name, association.preferred_categories,
               association.preferred_areas, association.updated_at)  # fmt: skip
    quick_key = _quick_key(session, "association", profile, now, base_url, lang)
    cached = _cached(quick_key)
    if cached is not None:
        return cached
    start, end = feed_window(now)
    cancelled_since = now - CANCELLED_SHOWN_FOR
    signed_up = _signed_up_people(
        session,
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
    rows: Sequence[Row[*tuple[Any, ...]]] = session.connection().execute(query).all()
    name = f"{association.name} – Klusmakelaar"
    feed = _render(name, rows, signed_up=signed_up, base_url=base_url, lang=lang)
    return _store(quick_key, feed)


def _signed_up_people(
    session: Session,
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
    rows = session.execute(
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


def _events(
    rows: Iterable[Row[*tuple[Any, ...]]], *, base_url: str, signed_up: Mapping[str, int]
) -> list[FeedEvent]:
    return [
        FeedEvent(
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
        for row in rows
    ]


_rendered: OrderedDict[bytes, RenderedFeed] = OrderedDict()
_rendered_lock = threading.Lock()


def _window_step(now: datetime) -> datetime:
    """``now`` to the whole minute: the window moves in steps, so a quick key lasts a minute."""
    return now.replace(second=0, microsecond=0)


def _quick_key(
    session: Session, kind: str, query: object, now: datetime, base_url: str, lang: Language
) -> bytes:
    """A key that two aggregate look-ups decide, valid while no gig or organisation changes.

    Every change to a gig (its fields, its spots, its sign-ups, its status) sets its
    `updated_at` to now, and one to an organisation sets the organisation's; rows added
    or deleted change the counts. So the same counts and newest `updated_at`s, the same
    query and the same minute give the same feed, without selecting the gigs.
    """
    version = (
        session.connection()
        .execute(
            select(
                select(func.count()).select_from(Gig).scalar_subquery(),
                select(func.max(Gig.updated_at)).scalar_subquery(),
                select(func.count()).select_from(Organization).scalar_subquery(),
                select(func.max(Organization.updated_at)).scalar_subquery(),
            )
        )
        .one()
    )
    fingerprint = ("quick", kind, query, now, base_url, lang, tuple(version))
    return hashlib.sha256(repr(fingerprint).encode()).digest()


def _cached(key: bytes) -> RenderedFeed | None:
    with _rendered_lock:
        cached = _rendered.get(key)
        if cached is not None:
            _rendered.move_to_end(key)
        return cached


def _store(key: bytes, feed: RenderedFeed) -> RenderedFeed:
    with _rendered_lock:
        _rendered[key] = feed
        while len(_rendered) > CACHE_ENTRIES:
            _rendered.popitem(last=False)
    return feed


def _render(
    name: str,
    rows: Sequence[Row[*tuple[Any, ...]]],
    *,
    signed_up: Mapping[str, int],
    base_url: str,
    lang: Language,
) -> RenderedFeed:
    """The rendered feed, from the in-process cache when the same input was rendered."""
    # Everything the events are built from: repr() of str, int, float, bool and aware
    # datetimes is exact and deterministic (a Row's own repr() truncates long values).
    values = [tuple(row) for row in rows]
    fingerprint = (name, base_url, lang, FEED_REFRESH_MINUTES, sorted(signed_up.items()), values)
    key = hashlib.sha256(repr(fingerprint).encode()).digest()
    cached = _cached(key)
    if cached is not None:
        return cached
    events = _events(rows, base_url=base_url, signed_up=signed_up)
    host = urlparse(base_url).hostname or "klusmakelaar"
    body = render_feed(
        name=name, events=events, host=host, refresh_minutes=FEED_REFRESH_MINUTES, lang=lang
    )
    feed = RenderedFeed(
        body=body, etag=feed_etag(body), last_modified=last_modified(events), events=len(events)
    )
    return _store(key, feed)


def clear_cache() -> None:
    """Forget every rendered feed (for benchmarks that time the render itself)."""
    with _rendered_lock:
        _rendered.clear()
