"""Places on a gig: a sign-up waits for the gig's lock; a bad token waits for nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from app.models import Gig
from app.services import places
from tests.direct import db_session
from tests.factories import bearer, make_gig, make_volunteer, organization_with_key


@contextmanager
def gig_locked(app: FastAPI, gig_id: str) -> Iterator[None]:
    """The gig's row locked by another connection (SQLite: the database's write lock)."""
    with db_session(app) as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            # The session's BEGIN IMMEDIATE holds the write lock; a read makes it start.
            session.execute(text("SELECT 1"))
        else:
            session.execute(select(Gig.id).where(Gig.id == gig_id).with_for_update())
        yield


def test_a_sign_up_waits_for_the_gigs_lock_and_then_counts(
    app: FastAPI, client: TestClient
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=1)
    volunteer, headers = make_volunteer(client)
    answers: list[Any] = []

    def sign_up() -> None:
        answers.append(
            client.post(
                f"/api/v1/gigs/{gig['id']}/signups",
                json={"volunteer_id": volunteer["id"]},
                headers=headers,
            )
        )

    with gig_locked(app, gig["id"]):
        waiting = threading.Thread(target=sign_up)
        waiting.start()
        time.sleep(0.5)
        assert answers == []  # held up by the lock
    waiting.join(timeout=30)
    assert answers[0].status_code == 201, answers[0].text
    assert client.get(f"/api/v1/gigs/{gig['id']}").json()["spots_left"] == 0


def test_an_unknown_token_waits_for_no_lock(app: FastAPI, client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    volunteer, _ = make_volunteer(client)
    with gig_locked(app, gig["id"]):
        started = time.monotonic()
        refused = client.post(
            f"/api/v1/gigs/{gig['id']}/signups",
            json={"volunteer_id": volunteer["id"]},
            headers=bearer("kmv_not-a-real-token"),
        )
        assert refused.status_code == 401
        assert time.monotonic() - started < 2


def test_a_gig_changed_between_the_checks_and_the_place_runs_again(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL reads the gig without a lock before the checks: a change that lands
    before its place is taken makes the sign-up run again, and see it."""
    if app.state.database.is_sqlite:
        pytest.skip("SQLite holds its write lock from the first read: nothing lands between")
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=3)
    volunteer, headers = make_volunteer(client)
    original = places.take_place
    changes = [update(Gig).where(Gig.id == gig["id"]).values(kind="group")]

    def change_first(*args: Any, **kwargs: Any) -> Any:
        if changes:  # only on the first attempt, after its checks
            with db_session(app) as session, session.begin():
                session.execute(changes.pop())
        return original(*args, **kwargs)

    monkeypatch.setattr(places, "take_place", change_first)
    refused = client.post(
        f"/api/v1/gigs/{gig['id']}/signups", json={"volunteer_id": volunteer["id"]}, headers=headers
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "kind-mismatch"
    after = client.get(f"/api/v1/gigs/{gig['id']}").json()
    assert (after["spots_left"], after["waitlist_count"]) == (3, 0)
