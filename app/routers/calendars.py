"""Calendar feeds (`/api/v1/calendar/gigs.ics`, `/api/v1/associations/{id}/calendar.ics`)
and an association's suggestions for the next academic year."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Annotated, Any, cast, get_args

from fastapi import APIRouter, Header, Query, Request, Response

from app.auth import AuthenticatedPrincipal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep, caches_of, database_of, settings_of
from app.errors import NotFound
from app.hot_routes import HotRoute
from app.integrations.calendar_feed import (
    CONTENT_TYPE,
    MAX_FEED_EVENTS,
    Language,
    not_modified,
    not_modified_since,
)
from app.models.base import utcnow
from app.pagination import Limit
from app.routers.gig_filters import GigFilterQuery, public_gig_filters, query_parameters
from app.schemas.calendar import GigSuggestion, GigSuggestionList
from app.services import calendar_feeds, calendar_suggestions, gigs
from app.services.feed_cache import KeptFeed
from app.services.gig_list_sql import GigFilters

router = APIRouter(prefix=API_PREFIX, tags=["calendars"])

FEED_MAX_AGE = 300
IfNoneMatch = Annotated[
    str | None, Header(description="The `ETag` of a feed you have; 304 while it is current.")
]
IfModifiedSince = Annotated[
    str | None,
    Header(
        description="The `Last-Modified` of a feed you have; 304 while it is current "
        "(ignored when `If-None-Match` is sent)."
    ),
]
FeedLanguage = Annotated[Language, Query(description="Language of the texts in the feed.")]


class CalendarResponse(Response):
    """An iCalendar body (RFC 5545)."""

    media_type = "text/calendar"


def _feed_responses(extra: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": (
                "The feed (`text/calendar; charset=utf-8`), with a strong `ETag` of its bytes, "
                "`Last-Modified` (when the feed last changed) and `Cache-Control`."
            ),
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        304: {
            "description": (
                "Not modified: `If-None-Match` holds the current `ETag`, or (without it) "
                "`If-Modified-Since` is not before `Last-Modified`; no body."
            )
        },
        **extra,
    }


_FEED_RULES = (
    f"Gigs starting from 7 days ago to a year ahead, at most {MAX_FEED_EVENTS}, earliest "
    "first. Every gig keeps its `UID`; `SEQUENCE` grows when its time or place changes "
    "and when it is cancelled; `DTSTAMP` is its `updated_at`, so an unchanged feed is "
    "byte-identical and keeps its `ETag` and `Last-Modified`."
)


def _answer(request: Request, feed: KeptFeed, cache_control: str) -> Response:
    headers = {
        "ETag": feed.etag,
        "Last-Modified": _http_date(feed.last_modified),
        "Cache-Control": cache_control,
    }
    if_none_match = request.headers.get("if-none-match")
    if_modified_since = request.headers.get("if-modified-since")
    # RFC 9110 §13.2.2: If-Modified-Since counts only without If-None-Match.
    if (
        not_modified(if_none_match, feed.etag)
        if if_none_match is not None
        else not_modified_since(
            if_modified_since,
            feed.last_modified,
            now=utcnow(),
            shared=feed.last_modified_shared,
        )
    ):
        return Response(status_code=304, headers=headers)
    return Response(feed.body, media_type=CONTENT_TYPE, headers=headers)


@lru_cache(maxsize=1024)
def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


@router.get(
    "/calendar/gigs.ics",
    response_class=CalendarResponse,
    responses=_feed_responses({}),
    openapi_extra=query_parameters(GigFilterQuery),
    summary="Subscribe to open gigs (public; the list filters apply)",
    description=(
        f"{_FEED_RULES} The filters are those of `GET /api/v1/gigs` (without `sort`, "
        "`cursor` and `limit`); `status` may be `open` (default), `cancelled` or `completed`. "
        f"Cached by clients and proxies for {FEED_MAX_AGE} s (`Cache-Control: public`)."
    ),
)
async def public_calendar(
    request: Request,
    lang: FeedLanguage = "nl",
    if_none_match: IfNoneMatch = None,
    if_modified_since: IfModifiedSince = None,
) -> Response:
    return await _public_feed(request, lang)


async def _public_feed(request: Request, lang: Language) -> Response:
    db = database_of(request)

    # The filters are read only when the feed is made, not on every poll.
    async def filters() -> GigFilters:
        return await public_gig_filters(request, db)

    feed = await calendar_feeds.public_feed(
        db,
        caches_of(request),
        query_string=request.scope["query_string"],
        filters=filters,
        base_url=settings_of(request).public_base_url,
        now=utcnow(),
        lang=lang,
    )
    return _answer(request, feed, f"public, max-age={FEED_MAX_AGE}")


@router.get(
    "/associations/{association_id}/calendar.ics",
    response_class=CalendarResponse,
    responses=_feed_responses({404: {"description": "Unknown association, or a wrong token."}}),
    summary="An association's secret feed (the token from its `calendar_url`)",
    description=(
        f"{_FEED_RULES} Holds the open group gigs that fit the association, the gigs it signed "
        "up for (the summary says so, and the description gives the group size), and gigs "
        "cancelled in the last 30 days that were in it, as `STATUS:CANCELLED`. A missing, "
        "wrong or rotated token is 404, like an unknown association. "
        f"`Cache-Control: private, max-age={FEED_MAX_AGE}`: the address is a secret."
    ),
)
async def association_calendar(
    request: Request,
    association_id: str,
    token: Annotated[str | None, Query(description="The secret from `calendar_url`.")] = None,
    lang: FeedLanguage = "nl",
    if_none_match: IfNoneMatch = None,
    if_modified_since: IfModifiedSince = None,
) -> Response:
    return await _association_feed(request, lang)


async def _public_feed_hot(request: Request) -> Response:
    return await _public_feed(request, _language(request))


async def _association_feed_hot(request: Request) -> Response:
    return await _association_feed(request, _language(request))


def _language(request: Request) -> Language:
    """`lang` of a request a hot route took (so one it knows), or the default."""
    return cast(Language, request.query_params.get("lang", "nl"))


async def _association_feed(request: Request, lang: Language) -> Response:
    settings = settings_of(request)
    feed = await calendar_feeds.association_feed(
        database_of(request),
        caches_of(request),
        association_id=request.path_params["association_id"],
        token=request.query_params.get("token"),
        base_url=settings.public_base_url,
        now=utcnow(),
        lang=lang,
    )
    return _answer(request, feed, f"private, max-age={FEED_MAX_AGE}")


@router.get(
    "/associations/{association_id}/suggestions",
    summary="Repeatable gigs to plan for an academic year (the association's key, admin)",
    description=(
        "Past group gigs marked `repeatable` that fit the association, each with the "
        "organisation to contact, ranked by preference fit (the matching module's category, "
        "area and size factors). A gig that returned over the years appears once, as its "
        "latest edition. Not paginated: the best `limit` (default 50). `academic_year` is "
        "`YYYY-YYYY` with consecutive years (default: the next academic year; years start "
        "on 1 September); `suggested_starts_at` is the gig's anniversary in that year."
    ),
)
async def association_suggestions(
    association_id: str,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    academic_year: Annotated[
        str | None, Query(max_length=9, description="`YYYY-YYYY`, e.g. `2027-2028`.")
    ] = None,
    limit: Limit = 50,
) -> GigSuggestionList:
    if not principal.acts_for_association(association_id):
        raise NotFound("No such association.")
    now = utcnow()
    year = calendar_suggestions.next_academic_year(now) if academic_year is None else academic_year
    first_year = calendar_suggestions.parse_academic_year(year)
    found = await calendar_suggestions.suggest(
        db, association_id=association_id, first_year=first_year, now=now, limit=limit
    )
    items = [
        GigSuggestion(
            gig=gigs.to_read(suggestion.gig),
            organization=suggestion.organization,
            score=suggestion.score,
            breakdown=suggestion.breakdown,
            suggested_starts_at=suggestion.suggested_starts_at,
            suggested_ends_at=suggestion.suggested_ends_at,
        )
        for suggestion in found
    ]
    return GigSuggestionList(academic_year=year, items=items)


#: The polled feeds, answered ahead of the routes above (`app.hot_routes`); a `lang`
#: they do not know goes on to the routes above, for its 422.
_LANGUAGES = frozenset(get_args(Language))
hot_routes = [
    HotRoute(f"{API_PREFIX}/calendar/gigs.ics", _public_feed_hot, checked={"lang": _LANGUAGES}),
    HotRoute(
        f"{API_PREFIX}/associations/{{association_id}}/calendar.ics",
        _association_feed_hot,
        checked={"lang": _LANGUAGES},
    ),
]
