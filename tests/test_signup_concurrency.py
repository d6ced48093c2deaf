"""Parallel sign-ups against a real server and a real database (SQLite file or PostgreSQL).

Each request is a separate HTTP call on its own connection, handled by the server's
worker threads with their own database connections: the same race as in production.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.models import Gig, Signup
from tests.direct import db_session
from tests.factories import ADMIN, make_gig, make_volunteer, organization_with_key
from tests.live_server import serve


def _check_invariants(app: FastAPI, gig_id: str) -> tuple[int, list[int]]:
    """Confirmed people never exceed capacity; waitlist positions are exactly 1..n."""
    with db_session(app) as session:
        gig = session.get(Gig, gig_id)
        assert gig is not None
        confirmed = session.scalar(
            select(func.coalesce(func.sum(Signup.size), 0)).where(
                Signup.gig_id == gig_id, Signup.status == "confirmed"
            )
        )
        waitlisted = session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.gig_id == gig_id, Signup.status == "waitlisted")
        )
        assert confirmed == gig.confirmed_people <= gig.capacity
        assert waitlisted == gig.waitlist_count
    return int(confirmed or 0), [int(waitlisted or 0)]


def test_parallel_sign_ups_never_overbook(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    capacity, people = 7, 40
    gig = make_gig(client, org, capacity=capacity)
    volunteers = [make_volunteer(client) for _ in range(people)]
    with serve(app) as base, httpx.Client(base_url=base, timeout=60) as http:

        def sign_up(entry: tuple[dict[str, Any], dict[str, str]]) -> httpx.Response:
            volunteer, headers = entry
            return http.post(
                f"/api/v1/gigs/{gig['id']}/signups",
                json={"volunteer_id": volunteer["id"]},
                headers=headers,
            )

        with ThreadPoolExecutor(max_workers=people) as pool:
            responses = list(pool.map(sign_up, volunteers))
        assert [r.status_code for r in responses] == [201] * people, [
            r.text for r in responses if r.status_code != 201
        ]
        statuses = [r.json()["status"] for r in responses]
        assert statuses.count("confirmed") == capacity
        listed = http.get(f"/api/v1/gigs/{gig['id']}/signups?limit=200", headers=ADMIN).json()[
            "items"
        ]
    positions = sorted(
        item["waitlist_position"] for item in listed if item["status"] == "waitlisted"
    )
    assert positions == list(range(1, people - capacity + 1))
    confirmed, _ = _check_invariants(app, gig["id"])
    assert confirmed == capacity


def test_cancellations_racing_sign_ups_and_capacity_changes(
    app: FastAPI, client: TestClient
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=5)
    early = [make_volunteer(client) for _ in range(10)]
    late = [make_volunteer(client) for _ in range(20)]
    first = [
        client.post(
            f"/api/v1/gigs/{gig['id']}/signups", json={"volunteer_id": v["id"]}, headers=h
        ).json()
        for v, h in early
    ]
    rng = random.Random(4)
    with serve(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        jobs: list[tuple[str, Any]] = [("signup", entry) for entry in late]
        jobs += [
            ("cancel", (signup, headers))
            for signup, (_, headers) in zip(first[:8], early[:8], strict=True)
        ]
        jobs += [("capacity", size) for size in (7, 9, 4, 12, 6)]
        rng.shuffle(jobs)

        def run(job: tuple[str, Any]) -> httpx.Response:
            kind, payload = job
            if kind == "signup":
                volunteer, headers = payload
                return http.post(
                    f"/api/v1/gigs/{gig['id']}/signups",
                    json={"volunteer_id": volunteer["id"]},
                    headers=headers,
                )
            if kind == "cancel":
                signup, headers = payload
                return http.post(f"/api/v1/signups/{signup['id']}/cancel", headers=headers)
            return http.patch(f"/api/v1/gigs/{gig['id']}", json={"capacity": payload}, headers=org)

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            responses = list(pool.map(run, jobs))
        listed = http.get(f"/api/v1/gigs/{gig['id']}/signups?limit=200", headers=ADMIN).json()[
            "items"
        ]
    assert all(r.status_code < 500 for r in responses), [
        r.text for r in responses if r.status_code >= 500
    ]
    for (kind, _), response in zip(jobs, responses, strict=True):
        expected = {"signup": {201}, "cancel": {200}, "capacity": {200, 409}}[kind]
        assert response.status_code in expected, (kind, response.text)
    positions = sorted(
        item["waitlist_position"] for item in listed if item["status"] == "waitlisted"
    )
    assert positions == list(range(1, len(positions) + 1))
    _check_invariants(app, gig["id"])
    with db_session(app) as session:
        gig_row = session.get(Gig, gig["id"])
        assert gig_row is not None
        # Nobody waits while a waiting one-person sign-up would fit.
        assert gig_row.waitlist_count == 0 or gig_row.confirmed_people == gig_row.capacity
