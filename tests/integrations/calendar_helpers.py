"""Helpers for the calendar endpoint tests: the router, two parsers, the wire rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import icalendar
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ical.calendar import Calendar as StrictCalendar
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import update

from app.models import Gig
from tests.direct import db_session

PUBLIC_FEED = "/api/v1/calendar/gigs.ics"
HOST = "klusmakelaar.test"  # the host of the test settings' public_base_url


@contextmanager
def calendar_test_client(app: FastAPI) -> Iterator[TestClient]:
    """A client for the app."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def parse_both(body: bytes) -> tuple[icalendar.Calendar, StrictCalendar]:
    """The feed read by `icalendar` and by the strict `ical` parser."""
    loose = icalendar.Calendar.from_ical(body)
    strict = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    assert [str(event["UID"]) for event in loose.events] == [e.uid for e in strict.events]
    return loose, strict


def check_wire_rules(body: bytes) -> None:
    """CRLF line ends, lines of at most 75 octets, and a VTIMEZONE for every TZID."""
    assert body.endswith(b"END:VCALENDAR\r\n")
    without_crlf = body.replace(b"\r\n", b"")
    assert b"\n" not in without_crlf
    assert b"\r" not in without_crlf
    assert max(len(line) for line in body.split(b"\r\n")) <= 75
    used = set(re.findall(rb";TZID=([^:;]+)[:;]", body))
    defined = set(re.findall(rb"\r\nTZID:([^\r]+)\r\n", body))
    assert used <= defined


def get_feed(client: TestClient, path: str, **params: Any) -> bytes:
    """A feed's body, after checking the answer's headers and wire rules."""
    # httpx drops a query string already in ``path`` when ``params`` is given, even empty.
    response = client.get(path, params=params) if params else client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["etag"].startswith('"')
    check_wire_rules(response.content)
    return response.content


def uids(body: bytes) -> list[str]:
    """The UIDs of a feed, in order (checked with both parsers)."""
    return [str(event["UID"]) for event in parse_both(body)[0].events]


def uid(gig: dict[str, Any]) -> str:
    """The UID a gig has in every feed."""
    return f"{gig['id']}@{HOST}"


def set_gig_times(app: FastAPI, gig_id: str, **times: datetime) -> None:
    """Set timestamps the API does not let callers set (e.g. when a gig was cancelled)."""
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == gig_id).values(**times))
