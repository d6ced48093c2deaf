"""The demo data set: what it holds, that it is deterministic, and that it never overwrites."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.models import Association, Gig, Organization, Volunteer
from app.services.demo_data import STARTED_GIG, load_demo_data
from tests.direct import db_session, run
from tests.factories import ADMIN, make_organization

NOW = datetime(2027, 5, 3, 8, 0, tzinfo=UTC)


def _snapshot(app: FastAPI) -> list[tuple[object, ...]]:
    with db_session(app) as session:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    Gig.title, Gig.category, Gig.kind, Gig.starts_at, Gig.lat, Gig.lon, Gig.area
                ).order_by(Gig.starts_at, Gig.title)
            )
        ]


def test_demo_data_has_the_policy_actors(app: FastAPI, client: TestClient) -> None:
    assert run(app.state.database, load_demo_data(app.state.database, now=NOW))
    with db_session(app) as session:
        names = set(session.scalars(select(Organization.name)))
        associations = session.scalars(select(Association)).all()
        gig_count = session.scalar(select(func.count()).select_from(Gig))
        categories = set(session.scalars(select(Gig.category)))
        kinds = set(session.scalars(select(Gig.kind)))
        volunteer_count = session.scalar(select(func.count()).select_from(Volunteer))
    assert {
        "Link050",
        "Humanitas Groningen",
        "Present Groningen",
        "WIJ Groningen",
        "WerkPro",
    } <= names
    assert len(associations) == 8
    assert all(association.contractus for association in associations)
    assert gig_count == 41  # 40 in the coming weeks and the one that is on now
    assert len(categories) == 12
    assert kinds == {"one_off", "group"}
    assert volunteer_count == 30
    listed = client.get("/api/v1/gigs?limit=200").json()["items"]
    assert len(listed) == 41  # NOW is ahead of the real clock: none has started yet
    assert all(item["location"]["lat"] is not None for item in listed)


def test_demo_data_has_a_gig_that_is_on_now_with_a_volunteer_to_record(
    app: FastAPI, client: TestClient
) -> None:
    """The README's attendance example works on a fresh `make run`."""
    assert run(app.state.database, load_demo_data(app.state.database))
    with db_session(app) as session:
        gig = session.scalars(select(Gig).where(Gig.title == STARTED_GIG)).one()
    assert gig.starts_at < datetime.now(UTC) < gig.ends_at
    signups = client.get(f"/api/v1/gigs/{gig.id}/signups", headers=ADMIN).json()["items"]
    assert [signup["status"] for signup in signups] == ["confirmed"]

    recorded = client.post(
        f"/api/v1/signups/{signups[0]['id']}/attendance",
        json={"attended": True, "hours": 1.5},
        headers=ADMIN,
    )

    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["attended"] is True
    organizations = client.get("/api/v1/organizations?limit=50", headers=ADMIN).json()["items"]
    numbers = {item["name"]: item["whatsapp_numbers"] for item in organizations}
    assert numbers["Humanitas Groningen"] == ["+31612340001"]


def test_demo_data_is_deterministic(app: FastAPI, tmp_path_factory: object) -> None:
    assert run(app.state.database, load_demo_data(app.state.database, now=NOW))
    first = _snapshot(app)
    from app.config import Settings
    from app.main import create_app
    from app.migrate import upgrade_to_head

    other_url = app.state.settings.database_url
    if other_url.startswith("sqlite"):
        path = other_url.removeprefix("sqlite:///") + ".second.db"
        upgrade_to_head(f"sqlite:///{path}")
        second_app = create_app(Settings(database_url=f"sqlite:///{path}"))
        assert run(second_app.state.database, load_demo_data(second_app.state.database, now=NOW))
        assert _snapshot(second_app) == first
        second_app.state.database.dispose()


def test_demo_data_never_touches_a_non_empty_database(app: FastAPI, client: TestClient) -> None:
    make_organization(client, name="Eigen organisatie")
    assert not run(app.state.database, load_demo_data(app.state.database, now=NOW))
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(Gig)) == 0
        assert session.scalar(select(func.count()).select_from(Volunteer)) == 0
