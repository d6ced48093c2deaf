"""The calendar feeds over HTTP: contents, filters, wire rules, ETag/304, SEQUENCE, tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ical.event import EventStatus

from app.config import Settings
from app.main import create_app
from tests.factories import make_association, make_gig, organization_with_key
from tests.integrations.calendar_helpers import (
    PUBLIC_FEED,
    calendar_test_client,
    get_feed,
    parse_both,
    set_gig_times,
    uid,
    uids,
)

NOW = datetime.now(UTC).replace(microsecond=0, second=0, minute=0)


@pytest.fixture
def calendar_app(app: FastAPI) -> FastAPI:
    """The application under test."""
    return app


@pytest.fixture
def calendar_client(calendar_app: FastAPI) -> Iterator[TestClient]:
    """A client for the app with the calendar router."""
    with calendar_test_client(calendar_app) as client:
        yield client


def at(days: float) -> dict[str, Any]:
    """Gig fields for a three-hour gig starting ``days`` from now."""
    start = NOW + timedelta(days=days)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()}


def group(**fields: Any) -> dict[str, Any]:
    """Fields of a group gig for 2 to 5 people, overridable."""
    return {"kind": "group", "capacity": 10, "group_size_min": 2, "group_size_max": 5, **fields}


def feed_path(association: dict[str, Any]) -> str:
    """The path and query of an association's secret feed."""
    url = urlparse(association["calendar_url"])
    return f"{url.path}?{url.query}"


# --- the public feed ------------------------------------------------------------------------


def test_public_feed_holds_open_gigs_parsed_alike_by_both_parsers(
    calendar_client: TestClient,
) -> None:
    _, headers = organization_with_key(calendar_client, name="Buurthuis De Kroon")
    later = make_gig(calendar_client, headers, title="Later; met, tekens", **at(9))
    first = make_gig(calendar_client, headers, **at(2))
    make_gig(calendar_client, headers, title="Concept", status="draft", **at(3))
    cancelled = make_gig(calendar_client, headers, title="Gaat niet door", **at(4))
    calendar_client.post(f"/api/v1/gigs/{cancelled['id']}/cancel", headers=headers)

    response = calendar_client.get(PUBLIC_FEED)
    body = get_feed(calendar_client, PUBLIC_FEED)
    loose, strict = parse_both(body)

    assert uids(body) == [uid(first), uid(later)]
    assert [event.summary for event in strict.events] == [first["title"], later["title"]]
    assert [event.status for event in strict.events] == [EventStatus.CONFIRMED] * 2
    event = loose.events[1]
    assert str(event["URL"]) == f"https://klusmakelaar.test/g/{later['id']}"
    assert "Organisatie: Buurthuis De Kroon" in str(event["DESCRIPTION"])
    assert "Plekken vrij: 4" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Oosterpoort, 9724 AB"
    assert event.categories == ["odd_jobs", "Klussen"]
    assert response.headers["cache-control"] == "public, max-age=300"
    # When the feed was made: no gig in it changed later, and it is not in the future.
    newest = max(datetime.fromisoformat(gig["updated_at"]) for gig in (first, later))
    made = parsedate_to_datetime(response.headers["last-modified"])
    assert newest.replace(microsecond=0) <= made <= datetime.now(UTC)


def test_empty_feed_is_a_valid_calendar_with_last_modified(calendar_client: TestClient) -> None:
    response = calendar_client.get(PUBLIC_FEED)

    assert response.status_code == 200
    assert b"LAST-MODIFIED" not in response.content  # no gig to take it from
    assert parsedate_to_datetime(response.headers["last-modified"]) <= datetime.now(UTC)
    assert parse_both(get_feed(calendar_client, PUBLIC_FEED))[1].events == []


def test_english_feed(calendar_client: TestClient) -> None:
    _, headers = organization_with_key(calendar_client)
    make_gig(calendar_client, headers, **at(2))

    body = get_feed(calendar_client, PUBLIC_FEED, lang="en")

    assert parse_both(body)[1].events[0].categories == ["odd_jobs", "Odd jobs"]
    assert calendar_client.get(PUBLIC_FEED, params={"lang": "de"}).status_code == 422


def test_the_feed_reaches_from_a_week_ago_to_a_year_ahead(calendar_client: TestClient) -> None:
    _, headers = organization_with_key(calendar_client)
    make_gig(calendar_client, headers, title="Te lang geleden", **at(-8))
    recent = make_gig(calendar_client, headers, title="Net geweest", **at(-6))
    soon = make_gig(calendar_client, headers, title="Binnen een jaar", **at(360))
    make_gig(calendar_client, headers, title="Te ver weg", **at(370))

    assert uids(get_feed(calendar_client, PUBLIC_FEED)) == [uid(recent), uid(soon)]
    # A filter can narrow the window, never widen it.
    wide = {"starts_after": (NOW - timedelta(days=30)).isoformat()}
    assert uids(get_feed(calendar_client, PUBLIC_FEED, **wide)) == [uid(recent), uid(soon)]
    narrow = {"starts_after": (NOW - timedelta(days=1)).isoformat()}
    assert uids(get_feed(calendar_client, PUBLIC_FEED, **narrow)) == [uid(soon)]


def test_public_feed_applies_the_list_filters(calendar_client: TestClient) -> None:
    _, headers = organization_with_key(calendar_client)
    other_organization, other_headers = organization_with_key(calendar_client)
    tuin = make_gig(calendar_client, headers, **at(1), skills=["Tuinieren"], accessible=True)
    far = make_gig(
        calendar_client,
        headers,
        title="Koffie schenken in Selwerd",
        category="care",
        location={"area": "Selwerd", "lat": 53.2400, "lon": 6.5500},
        **at(2),
    )
    groups = make_gig(calendar_client, other_headers, title="Verhuizen", **group(), **at(3))
    full = make_gig(calendar_client, headers, title="Vol", capacity=1, **at(4))
    volunteer = calendar_client.post(
        "/api/v1/volunteers", json={"name": "Sam", "consent": True, "email": "sam@example.org"}
    ).json()
    signup = calendar_client.post(
        f"/api/v1/gigs/{full['id']}/signups",
        json={"volunteer_id": volunteer["id"]},
        headers={"Authorization": f"Bearer {volunteer['access_token']}"},
    )
    assert signup.status_code == 201, signup.text
    gone = make_gig(calendar_client, headers, title="Afgelast", **at(5))
    calendar_client.post(f"/api/v1/gigs/{gone['id']}/cancel", headers=headers)

    def feed(**params: Any) -> list[str]:
        return uids(get_feed(calendar_client, PUBLIC_FEED, **params))

    assert feed() == [uid(tuin), uid(far), uid(groups), uid(full)]
    assert feed(category="care") == [uid(far)]
    assert feed(category=["care", "odd_jobs"]) == [uid(tuin), uid(far), uid(groups), uid(full)]
    assert feed(area="Selwerd") == [uid(far)]
    assert feed(kind="group") == [uid(groups)]
    assert feed(organization_id=other_organization["id"]) == [uid(groups)]
    assert feed(q="KOFFIE selwerd") == [uid(far)]
    assert feed(skill="tuinieren") == [uid(tuin)]
    assert feed(accessible="true") == [uid(tuin)]
    assert feed(has_spots="false") == [uid(full)]
    assert feed(near="53.2400,6.5500", radius_km=1) == [uid(far)]
    assert feed(starts_before=(NOW + timedelta(days=2, hours=1)).isoformat()) == [
        uid(tuin),
        uid(far),
    ]
    cancelled = get_feed(calendar_client, PUBLIC_FEED, status="cancelled")
    assert uids(cancelled) == [uid(gone)]
    assert parse_both(cancelled)[1].events[0].status == EventStatus.CANCELLED


@pytest.mark.parametrize(
    "params",
    [
        {"status": "draft"},
        {"near": "53.2"},
        {"near": "91,6"},
        {"radius_km": "5"},
        {"starts_after": "2027-01-01T10:00:00"},
        {"category": "gardening"},
    ],
)
def test_bad_filters_are_422_problems(calendar_client: TestClient, params: dict[str, str]) -> None:
    response = calendar_client.get(PUBLIC_FEED, params=params)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


# --- determinism, ETag and SEQUENCE -------------------------------------------------------


def test_unchanged_feed_is_byte_identical_and_answers_304(
    calendar_app: FastAPI, calendar_client: TestClient
) -> None:
    _, headers = organization_with_key(calendar_client)
    gig = make_gig(calendar_client, headers, title="Koffie schenken " * 7, **at(2))
    make_gig(calendar_client, headers, **at(3))

    feeds = calendar_app.state.caches.feeds
    first, second = calendar_client.get(PUBLIC_FEED), calendar_client.get(PUBLIC_FEED)
    feeds.clear()
    rendered_again = calendar_client.get(PUBLIC_FEED)

    assert first.content == second.content == rendered_again.content
    assert uids(first.content) == uids(second.content)
    etag = first.headers["etag"]
    assert second.headers["etag"] == etag
    assert second.headers["last-modified"] == first.headers["last-modified"]
    renders = feeds.renders
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = calendar_client.get(PUBLIC_FEED, headers={"If-None-Match": if_none_match})
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == "public, max-age=300"
        assert cached.headers["last-modified"] == rendered_again.headers["last-modified"]
    assert feeds.renders == renders  # a 304 renders nothing

    renamed = calendar_client.patch(
        f"/api/v1/gigs/{gig['id']}", json={"title": "Thee schenken"}, headers=headers
    )
    assert renamed.status_code == 200
    changed = calendar_client.get(PUBLIC_FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_a_sign_up_changes_the_feed_without_a_stale_cache(
    calendar_app: FastAPI, calendar_client: TestClient
) -> None:
    _, headers = organization_with_key(calendar_client)
    gig = make_gig(calendar_client, headers, **group(), **at(2))
    association, association_headers = make_association(calendar_client)
    feeds = calendar_app.state.caches.feeds
    feeds.clear()
    renders = feeds.renders

    before = get_feed(calendar_client, PUBLIC_FEED)
    assert get_feed(calendar_client, PUBLIC_FEED) == before
    assert feeds.renders == renders + 1  # the second answer came from the cache
    signup = calendar_client.post(
        f"/api/v1/gigs/{gig['id']}/signups",
        json={"association_id": association["id"], "size": 3},
        headers=association_headers,
    )
    assert signup.status_code == 201, signup.text
    after = get_feed(calendar_client, PUBLIC_FEED)

    assert feeds.renders == renders + 2
    assert "Plekken vrij: 10" in str(parse_both(before)[0].events[0]["DESCRIPTION"])
    assert "Plekken vrij: 7" in str(parse_both(after)[0].events[0]["DESCRIPTION"])


def test_sequence_grows_only_when_time_or_place_changes(calendar_client: TestClient) -> None:
    _, headers = organization_with_key(calendar_client)
    gig = make_gig(calendar_client, headers, **at(2))
    path = f"/api/v1/gigs/{gig['id']}"

    def event() -> Any:
        body = get_feed(calendar_client, PUBLIC_FEED)
        loose, strict = parse_both(body)
        assert loose.events[0]["SEQUENCE"] == strict.events[0].sequence
        assert str(loose.events[0]["UID"]) == uid(gig)
        return strict.events[0]

    assert event().sequence == 0
    moved = calendar_client.patch(path, json=at(3), headers=headers)
    assert moved.status_code == 200, moved.text
    assert event().sequence == 1
    assert event().dtstart == datetime.fromisoformat(at(3)["starts_at"])
    relocated = calendar_client.patch(
        path, json={"location": {"address": "Herestraat 1", "area": "Centrum"}}, headers=headers
    )
    assert relocated.status_code == 200
    assert event().sequence == 2
    assert event().location == "Herestraat 1, Centrum"
    renamed = calendar_client.patch(path, json={"title": "Andere titel"}, headers=headers)
    assert renamed.status_code == 200
    latest = event()
    assert latest.sequence == 2
    updated_at = datetime.fromisoformat(renamed.json()["updated_at"]).replace(microsecond=0)
    assert latest.dtstamp == updated_at
    assert latest.last_modified == updated_at


# --- an association's feed ----------------------------------------------------------------


def test_association_feed_holds_fitting_signed_up_and_recently_cancelled_gigs(
    calendar_app: FastAPI, calendar_client: TestClient
) -> None:
    _, headers = organization_with_key(calendar_client, name="Buurthuis De Kroon")
    association, association_headers = make_association(
        calendar_client, preferred_categories=["odd_jobs"], preferred_areas=["oosterpoort"]
    )

    def post(title: str, days: float, **fields: Any) -> dict[str, Any]:
        return make_gig(calendar_client, headers, title=title, **group(**fields), **at(days))

    def sign_up(gig: dict[str, Any], size: int = 3) -> str:
        response = calendar_client.post(
            f"/api/v1/gigs/{gig['id']}/signups",
            json={"association_id": association["id"], "size": size},
            headers=association_headers,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def cancel(gig: dict[str, Any]) -> None:
        response = calendar_client.post(f"/api/v1/gigs/{gig['id']}/cancel", headers=headers)
        assert response.status_code == 200

    selwerd = {"location": {"area": "Selwerd"}}
    fitting = post("Past precies", 1)
    post("Andere soort", 2, category="care")
    post("Andere wijk", 3, **selwerd)
    make_gig(calendar_client, headers, title="Alleen voor één", **at(4))  # one-off
    signed_up = post("Aangemeld", 5, category="care", **selwerd)
    sign_up(signed_up)
    cancelled_fitting = post("Afgelast, past", 6)
    cancel(cancelled_fitting)
    cancelled_signed_up = post("Afgelast, aangemeld", 7, category="care", **selwerd)
    sign_up(cancelled_signed_up, size=4)
    cancel(cancelled_signed_up)
    long_cancelled = post("Lang geleden afgelast", 8)
    cancel(long_cancelled)
    set_gig_times(calendar_app, long_cancelled["id"], updated_at=NOW - timedelta(days=31))
    withdrawn = post("Afgemeld", 9, category="care", **selwerd)
    withdrawal = calendar_client.post(
        f"/api/v1/signups/{sign_up(withdrawn)}/cancel", headers=association_headers
    )
    assert withdrawal.status_code == 200

    response = calendar_client.get(feed_path(association))
    body = get_feed(calendar_client, feed_path(association))
    loose, strict = parse_both(body)

    assert response.headers["cache-control"] == "private, max-age=300"
    assert uids(body) == [
        uid(fitting),
        uid(signed_up),
        uid(cancelled_fitting),
        uid(cancelled_signed_up),
    ]
    assert [event.summary for event in strict.events] == [
        "Past precies",
        "✔ Aangemeld: Aangemeld",
        "Geannuleerd: Afgelast, past",
        "Geannuleerd: Afgelast, aangemeld",
    ]
    assert [event.status for event in strict.events] == [
        EventStatus.CONFIRMED,
        EventStatus.CONFIRMED,
        EventStatus.CANCELLED,
        EventStatus.CANCELLED,
    ]
    assert "Jullie aanmelding: 3 personen" in str(loose.events[1]["DESCRIPTION"])
    assert "Jullie aanmelding: 4 personen" in str(loose.events[3]["DESCRIPTION"])
    assert str(loose.events[1]["TRANSP"]) == "OPAQUE"
    assert association["name"] in str(loose["X-WR-CALNAME"])
    assert body == get_feed(calendar_client, feed_path(association))


def test_association_without_preferences_sees_every_open_group_gig(
    calendar_client: TestClient,
) -> None:
    _, headers = organization_with_key(calendar_client)
    association, _ = make_association(calendar_client)
    no_area = make_gig(calendar_client, headers, **group(location={"online": True}), **at(1))
    care = make_gig(calendar_client, headers, **group(category="care"), **at(2))
    make_gig(calendar_client, headers, **at(3))

    assert uids(get_feed(calendar_client, feed_path(association))) == [uid(no_area), uid(care)]


def test_a_wrong_missing_or_rotated_token_is_404(calendar_client: TestClient) -> None:
    association, association_headers = make_association(calendar_client)
    other, _ = make_association(calendar_client)
    path = f"/api/v1/associations/{association['id']}/calendar.ics"
    old_token = parse_qs(urlparse(association["calendar_url"]).query)["token"][0]

    assert calendar_client.get(path, params={"token": old_token}).status_code == 200
    for params in ({}, {"token": ""}, {"token": "wrong"}, {"token": old_token + "x"}):
        response = calendar_client.get(path, params=params)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "not-found"
    other_path = f"/api/v1/associations/{other['id']}/calendar.ics"
    assert calendar_client.get(other_path, params={"token": old_token}).status_code == 404
    unknown = "/api/v1/associations/asc_unknown/calendar.ics"
    assert calendar_client.get(unknown, params={"token": old_token}).status_code == 404

    rotated = calendar_client.post(
        f"/api/v1/associations/{association['id']}/calendar-token", headers=association_headers
    )
    assert rotated.status_code == 200
    assert calendar_client.get(path, params={"token": old_token}).status_code == 404
    assert calendar_client.get(feed_path(rotated.json())).status_code == 200


def test_openapi_documents_the_calendar_responses(settings: Settings) -> None:
    application = create_app(settings)
    with TestClient(application, raise_server_exceptions=False) as client:
        paths = client.get("/openapi.json").json()["paths"]
    application.state.database.dispose()

    for path in (PUBLIC_FEED, "/api/v1/associations/{association_id}/calendar.ics"):
        responses = paths[path]["get"]["responses"]
        assert responses["200"]["content"]["text/calendar"]["schema"] == {"type": "string"}
        assert "304" in responses
    suggestions = paths["/api/v1/associations/{association_id}/suggestions"]["get"]
    assert "application/json" in suggestions["responses"]["200"]["content"]
