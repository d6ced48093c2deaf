"""The feeds' validators over HTTP: If-Modified-Since, polls that render nothing, SEQUENCE
of a cancelled gig, and the token of a kept association feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.integrations.calendar_feed import not_modified_since
from app.integrations.inbound import gig_link
from tests.factories import make_association, make_gig, make_organization, organization_with_key
from tests.integrations.calendar_helpers import PUBLIC_FEED, get_feed, parse_both, uid

NOW = datetime.now(UTC).replace(microsecond=0, second=0, minute=0)


def at(days: float) -> dict[str, Any]:
    """Gig fields for a three-hour gig starting ``days`` from now."""
    start = NOW + timedelta(days=days)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()}


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def test_if_modified_since_answers_304_until_the_feed_changes(
    app: FastAPI, client: TestClient
) -> None:
    _, headers = organization_with_key(client)
    gig = make_gig(client, headers, **at(2))
    first = client.get(PUBLIC_FEED)
    modified = first.headers["last-modified"]
    renders = app.state.caches.feeds.renders

    def poll(**extra: str) -> Any:
        return client.get(PUBLIC_FEED, headers=extra)

    same = poll(**{"If-Modified-Since": modified})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == first.headers["etag"]
    assert same.headers["last-modified"] == modified
    assert app.state.caches.feeds.renders == renders
    earlier = http_date(parsedate_to_datetime(modified) - timedelta(seconds=1))
    assert poll(**{"If-Modified-Since": earlier}).status_code == 200
    assert poll(**{"If-Modified-Since": "not a date"}).status_code == 200
    in_the_future = http_date(datetime.now(UTC) + timedelta(days=1))
    assert poll(**{"If-Modified-Since": in_the_future}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 §13.2.2).
    assert poll(**{"If-None-Match": '"other"', "If-Modified-Since": modified}).status_code == 200

    renamed = client.patch(f"/api/v1/gigs/{gig['id']}", json={"title": "Nieuw"}, headers=headers)
    assert renamed.status_code == 200
    changed = poll(**{"If-Modified-Since": modified})
    assert changed.status_code == 200
    assert b"SUMMARY:Nieuw" in changed.content
    assert parsedate_to_datetime(changed.headers["last-modified"]) >= parsedate_to_datetime(
        modified
    )
    assert poll(**{"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_a_gig_leaving_the_feed_is_a_change_for_if_modified_since(client: TestClient) -> None:
    # The newest `updated_at` in the feed does not move when a gig leaves it.
    _, headers = organization_with_key(client)
    make_gig(client, headers, **at(2))
    leaving = make_gig(client, headers, **at(3))
    first = client.get(PUBLIC_FEED)
    assert client.post(f"/api/v1/gigs/{leaving['id']}/cancel", headers=headers).status_code == 200

    after = client.get(PUBLIC_FEED, headers={"If-Modified-Since": first.headers["last-modified"]})

    assert after.status_code == 200
    assert uid(leaving).encode() not in after.content


def test_polls_render_nothing_while_the_feed_is_unchanged(app: FastAPI, client: TestClient) -> None:
    _, headers = organization_with_key(client)
    make_gig(client, headers, **at(2))
    feeds = app.state.caches.feeds
    first = client.get(PUBLIC_FEED)
    renders = feeds.renders

    for _ in range(3):
        polled = client.get(PUBLIC_FEED, headers={"If-None-Match": first.headers["etag"]})
        assert polled.status_code == 304
    make_organization(client)  # a commit that changes nothing in the feed
    polled = client.get(PUBLIC_FEED, headers={"If-None-Match": first.headers["etag"]})
    again = client.get(PUBLIC_FEED)

    assert polled.status_code == 304
    assert again.content == first.content
    assert again.headers["last-modified"] == first.headers["last-modified"]
    assert feeds.renders == renders


def test_cancelling_a_gig_raises_its_sequence(client: TestClient) -> None:
    _, headers = organization_with_key(client)
    association, _ = make_association(client)
    group = {"kind": "group", "capacity": 10, "group_size_min": 2, "group_size_max": 5}
    kept = make_gig(client, headers, title="Blijft", **group, **at(1))
    moved = make_gig(client, headers, title="Verzet", **group, **at(2))
    path = f"/api/v1/gigs/{moved['id']}"
    assert client.patch(path, json=at(2.5), headers=headers).status_code == 200
    url = urlparse(association["calendar_url"])
    feed = f"{url.path}?{url.query}"

    def sequences() -> dict[str, int]:
        loose, strict = parse_both(get_feed(client, feed))
        assert [event["SEQUENCE"] for event in loose.events] == [e.sequence for e in strict.events]
        return {str(event["UID"]): int(str(event["SEQUENCE"])) for event in loose.events}

    assert sequences() == {uid(kept): 0, uid(moved): 1}
    for gig in (kept, moved):
        cancelled = client.post(f"/api/v1/gigs/{gig['id']}/cancel", headers=headers)
        assert cancelled.status_code == 200
    assert sequences() == {uid(kept): 1, uid(moved): 2}
    public = parse_both(get_feed(client, PUBLIC_FEED, status="cancelled"))[0]
    assert {str(event["UID"]): int(str(event["SEQUENCE"])) for event in public.events} == {
        uid(kept): 1,
        uid(moved): 2,
    }


def test_event_links_are_the_gig_link_of_replies_and_share_texts(client: TestClient) -> None:
    _, headers = organization_with_key(client)
    gig = make_gig(client, headers, **at(2))

    loose, _ = parse_both(get_feed(client, PUBLIC_FEED))

    link = gig_link("https://klusmakelaar.test", gig["id"])
    assert str(loose.events[0]["URL"]) == link
    assert link in str(loose.events[0]["DESCRIPTION"])


def test_a_kept_association_feed_still_checks_the_token(client: TestClient) -> None:
    association, association_headers = make_association(client)
    url = urlparse(association["calendar_url"])
    token = parse_qs(url.query)["token"][0]
    assert client.get(url.path, params={"token": token}).status_code == 200  # now kept

    for wrong in (None, "", "wrong", token + "x", token[:-1]):
        params = {} if wrong is None else {"token": wrong}
        assert client.get(url.path, params=params).status_code == 404
    assert client.get(url.path, params={"token": token}).status_code == 200
    rotated = client.post(
        f"/api/v1/associations/{association['id']}/calendar-token", headers=association_headers
    )
    assert rotated.status_code == 200
    assert client.get(url.path, params={"token": token}).status_code == 404


LAST_MODIFIED = datetime(2027, 3, 4, 5, 6, 7, tzinfo=UTC)
NOW_ = datetime(2027, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("if_modified_since", "shared", "expected"),
    [
        (None, False, False),
        (http_date(LAST_MODIFIED), False, True),
        (http_date(LAST_MODIFIED + timedelta(seconds=1)), False, True),
        (http_date(LAST_MODIFIED - timedelta(seconds=1)), False, False),
        ("Thu, 04 Mar 2027 05:06:07 -0000", False, True),
        (http_date(LAST_MODIFIED), True, False),  # another version had this second too
        (http_date(LAST_MODIFIED + timedelta(seconds=1)), True, True),
        (http_date(NOW_ + timedelta(seconds=1)), False, False),  # in the future: ignored
        ("yesterday", False, False),
        ("", False, False),
    ],
)
def test_not_modified_since(if_modified_since: str | None, shared: bool, expected: bool) -> None:
    assert not_modified_since(if_modified_since, LAST_MODIFIED, now=NOW_, shared=shared) is expected
