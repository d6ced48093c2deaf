"""The sign-up's steps under changes that land between them (PostgreSQL: reads unlocked)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.auth import Principal
from app.db import RunAgain
from app.errors import ValidationFailed
from app.models import Gig
from app.schemas.signup import SignupCreate
from app.services import signups
from app.sql_batch import _run_step
from tests.factories import make_gig, make_volunteer, organization_with_key

ADMIN = Principal(role="admin", key_id="bootstrap")


def _drive(connection: Any, step: Any, steps: Any) -> None:
    while True:
        step = steps.send(_run_step(connection, step))


def _postgresql(app: FastAPI) -> None:
    if app.state.database.is_sqlite:
        pytest.skip("SQLite holds its write lock from the first read: nothing lands between")


def test_a_gig_changed_between_the_checks_and_the_place_is_checked_again(
    app: FastAPI, client: TestClient
) -> None:
    _postgresql(app)
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=3)
    volunteer, _ = make_volunteer(client)
    database = app.state.database
    signup_in = SignupCreate(volunteer_id=volunteer["id"])
    with database.writer() as session:
        connection = session.connection()
        steps = signups.sign_up_steps(
            "postgresql", gig_id=gig["id"], signup_in=signup_in, principal=ADMIN
        )
        results = _run_step(connection, next(steps))  # checks passed on a one-off gig
        with database.writer() as other, other.begin():  # then the gig becomes a group gig
            other.execute(update(Gig).where(Gig.id == gig["id"]).values(kind="group"))
        step = steps.send(results)  # take the place: nothing matches the checked gig
        with pytest.raises(RunAgain):
            _drive(connection, step, steps)
        session.rollback()
    with database.writer() as session:  # run again, it sees the change
        with pytest.raises(ValidationFailed):
            signups.create(session=session, principal=ADMIN, gig_id=gig["id"], signup_in=signup_in)
    after = client.get(f"/api/v1/gigs/{gig['id']}").json()
    assert (after["spots_left"], after["waitlist_count"]) == (3, 0)


def test_an_unknown_token_locks_nobody(app: FastAPI, client: TestClient) -> None:
    _postgresql(app)
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    volunteer, _ = make_volunteer(client)
    database = app.state.database
    signup_in = SignupCreate(volunteer_id=volunteer["id"])
    settings = app.state.settings
    url = database.url.replace("postgresql+psycopg://", "postgresql://")

    def lockable() -> bool:
        with psycopg.connect(url) as probe:
            try:
                probe.execute(
                    "SELECT 1 FROM volunteers WHERE id = %s FOR UPDATE NOWAIT", [volunteer["id"]]
                )
                return True
            except psycopg.errors.LockNotAvailable:
                return False

    for token, locks in (("kmv_not-a-real-token", False), (None, True)):
        with database.writer() as session:
            connection = session.connection()
            options: dict[str, Any] = (
                {"principal": ADMIN} if token is None else {"settings": settings, "token": token}
            )
            steps = signups.sign_up_steps(
                "postgresql", gig_id=gig["id"], signup_in=signup_in, **options
            )
            _run_step(connection, next(steps))  # token, gig, locks, the people's sign-ups
            assert lockable() is not locks
            session.rollback()
