"""Reports through HTTP: figures against a hand-computed history, CSV, SVG, access, the cache.

The history (`history`), all in 2026, Europe/Amsterdam (UTC+1 until 29 March, +2 after):

- G5, Humanitas, 15 Feb, 2 h: V1 came (2 h).
- G1, Humanitas, Selwerd, visiting, 1 Mar 00:30 (28 Feb 23:30 UTC), 3 h, capacity 3: V1 came
  (3 h), V2 came (2 h), V3 confirmed without attendance; V6 on the waitlist.
- G2, Humanitas, Selwerd, odd jobs, 20 Mar, 4 h, capacity 10: association X, 5 people with
  V1 and V4 named, came (4 h each: 20 h).
- G6, Humanitas, 25 Mar: cancelled (its sign-up too).
- G3, Present, Paddepoel, 31 Mar 23:30 (21:30 UTC), 2 h, capacity 2: V5 came (1 h), then
  V5 is erased.
- G4, Present, Paddepoel, 1 Apr 00:00 (31 Mar 22:00 UTC), 2 h: V2 came (2 h).

So March (1–31 Mar) holds G1, G2, G3: Humanitas 2 gigs, 13 spots offered, 4 sign-ups,
8 spots filled, 25 hours, 7 volunteers (V1–V4 and 3 unnamed places of the group), of whom
V1 returning (G5 in February) and V2, V4 new; Present 1 gig, 2 spots, 1 sign-up, 1 spot
filled, 1 hour, 1 volunteer (the erased V5's place), neither new nor returning.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.models import Gig, Signup
from tests.direct import db_session
from tests.factories import (
    ADMIN,
    make_association,
    make_gig,
    make_key,
    make_volunteer,
    organization_with_key,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
IMPACT = "/api/v1/reports/impact"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
_days = iter(range(3, 400))


def _soon(**fields: Any) -> dict[str, Any]:
    """Gig fields for a start in the coming weeks, each gig on a day of its own (so sign-ups
    never clash); the gig is moved to its real time afterwards (`_move`)."""
    start = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(
        days=next(_days)
    )
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
            **fields}  # fmt: skip


def _move(app: FastAPI, gig_id: str, local_start: datetime, hours: float) -> None:
    """Put a gig at ``local_start`` (Amsterdam) for ``hours``, as no endpoint would."""
    start = local_start.replace(tzinfo=AMSTERDAM).astimezone(UTC)
    with db_session(app) as session, session.begin():
        session.execute(
            update(Gig)
            .where(Gig.id == gig_id)
            .values(starts_at=start, ends_at=start + timedelta(hours=hours))
        )


def _sign_up(client: TestClient, gig_id: str, headers: dict[str, str], **body: Any) -> str:
    response = client.post(f"/api/v1/gigs/{gig_id}/signups", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _attended(client: TestClient, signup_id: str, org: dict[str, str], hours: float | None) -> None:
    body: dict[str, Any] = (
        {"attended": True} if hours is None else {"attended": True, "hours": hours}
    )
    response = client.post(f"/api/v1/signups/{signup_id}/attendance", json=body, headers=org)
    assert response.status_code == 200, response.text


@dataclass
class History:
    """The ids of the history in the module docstring."""

    humanitas: dict[str, Any]
    humanitas_key: dict[str, str]
    present: dict[str, Any]
    present_key: dict[str, str]
    association: dict[str, Any]
    signups: dict[str, str]


@pytest.fixture
def history(app: FastAPI, client: TestClient) -> History:
    humanitas, humanitas_key = organization_with_key(client, name="Humanitas Groningen")
    present, present_key = organization_with_key(client, name="Present Groningen")
    people = {name: make_volunteer(client) for name in ("V1", "V2", "V3", "V4", "V5", "V6")}
    association, association_key = make_association(client, name="Vindicat")
    for name in ("V1", "V4"):
        volunteer, own = people[name]
        joined = client.post(
            f"/api/v1/associations/{association['id']}/members",
            json={"volunteer_id": volunteer["id"]},
            headers=own,
        )
        assert joined.status_code == 201, joined.text

    def gig(key: dict[str, str], area: str, **fields: Any) -> str:
        location = {"address": f"{area}, Groningen", "area": area}
        return str(make_gig(client, key, location=location, **_soon(**fields))["id"])

    def person(name: str, gig_id: str) -> str:
        volunteer, own = people[name]
        return _sign_up(client, gig_id, own, volunteer_id=volunteer["id"])

    g5 = gig(humanitas_key, "Selwerd", capacity=2)
    g1 = gig(humanitas_key, "Selwerd", category="visiting", capacity=3)
    g2 = gig(humanitas_key, "Selwerd", kind="group", capacity=10, group_size_min=2,
             group_size_max=8)  # fmt: skip
    g6 = gig(humanitas_key, "Selwerd", capacity=4)
    g3 = gig(present_key, "Paddepoel", capacity=2)
    g4 = gig(present_key, "Paddepoel", capacity=2)
    signups = {
        "g5_v1": person("V1", g5),
        "g1_v1": person("V1", g1),
        "g1_v2": person("V2", g1),
        "g1_v3": person("V3", g1),
        "g1_v6": person("V6", g1),  # waitlisted: the gig holds 3
        "g2_x": _sign_up(
            client,
            g2,
            association_key,
            association_id=association["id"],
            size=5,
            member_ids=[people["V1"][0]["id"], people["V4"][0]["id"]],
        ),
        "g6_v4": person("V4", g6),
        "g3_v5": person("V5", g3),
        "g4_v2": person("V2", g4),
    }
    assert client.post(f"/api/v1/gigs/{g6}/cancel", headers=humanitas_key).status_code == 200
    _move(app, g5, datetime(2026, 2, 15, 10), 2)
    _move(app, g1, datetime(2026, 3, 1, 0, 30), 3)
    _move(app, g2, datetime(2026, 3, 20, 14), 4)
    _move(app, g6, datetime(2026, 3, 25, 10), 2)
    _move(app, g3, datetime(2026, 3, 31, 23, 30), 2)
    _move(app, g4, datetime(2026, 4, 1, 0, 0), 2)
    _attended(client, signups["g5_v1"], humanitas_key, None)
    _attended(client, signups["g1_v1"], humanitas_key, None)
    _attended(client, signups["g1_v2"], humanitas_key, 2)
    _attended(client, signups["g2_x"], humanitas_key, 4)
    _attended(client, signups["g3_v5"], present_key, 1)
    _attended(client, signups["g4_v2"], present_key, None)
    volunteer, own = people["V5"]
    assert client.delete(f"/api/v1/volunteers/{volunteer['id']}", headers=own).status_code == 204
    return History(humanitas, humanitas_key, present, present_key, association, signups)


def _report(client: TestClient, group_by: str, headers: dict[str, str] | None = None,
            **period: str) -> list[dict[str, Any]]:  # fmt: skip
    params = {**(period or MARCH), "group_by": group_by}
    response = client.get(IMPACT, params=params, headers=headers or ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["hourly_rate_eur"] == 11.0
    return list(response.json()["items"])


def _figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["gigs"], row["spots_offered"], row["signups"], row["spots_filled"], row["hours"],
            row["estimated_value_eur"], row["volunteers"], row["new_volunteers"],
            row["returning_volunteers"])  # fmt: skip


HUMANITAS_MARCH = (2, 13, 4, 8, 25.0, 275.0, 7, 2, 1)
PRESENT_MARCH = (1, 2, 1, 1, 1.0, 11.0, 1, 0, 0)


def test_march_by_organisation_adds_up_to_the_hand_computed_figures(
    client: TestClient, history: History
) -> None:
    rows = _report(client, "organization")
    assert [(row["key"], row["label"]) for row in rows] == [
        (history.humanitas["id"], "Humanitas Groningen"),
        (history.present["id"], "Present Groningen"),
    ]
    assert [_figures(row) for row in rows] == [HUMANITAS_MARCH, PRESENT_MARCH]


def test_by_area_category_and_association(client: TestClient, history: History) -> None:
    by_area = _report(client, "area")
    assert [(row["key"], _figures(row)) for row in by_area] == [
        ("Paddepoel", PRESENT_MARCH),
        ("Selwerd", HUMANITAS_MARCH),
    ]
    by_category = {row["key"]: row for row in _report(client, "category")}
    # G1 is visiting; G2 (the group) and G3 are odd jobs, the default category.
    assert _figures(by_category["visiting"]) == (1, 3, 3, 3, 5.0, 55.0, 3, 1, 1)
    assert by_category["visiting"]["label"] == "Bezoek"
    assert _figures(by_category["odd_jobs"]) == (2, 12, 2, 6, 21.0, 231.0, 6, 1, 1)
    by_association = _report(client, "association")
    assert [(row["key"], row["label"]) for row in by_association] == [
        (history.association["id"], "Vindicat"),
        (None, "Zonder vereniging (individueel)"),
    ]
    # The group: V1 (returning) and V4 (new) named, 3 unnamed places; no spots of its own.
    assert _figures(by_association[0]) == (1, None, 1, 5, 20.0, 220.0, 5, 1, 1)
    # Individuals: G1's three and the erased V5's place at G3.
    assert _figures(by_association[1]) == (2, None, 4, 4, 6.0, 66.0, 4, 1, 1)


def test_months_count_a_gig_by_its_start_in_amsterdam_and_returning_by_the_month(
    client: TestClient, history: History
) -> None:
    rows = _report(client, "month", **{"from": "2026-02-01", "to": "2026-04-30"})
    assert [(row["key"], row["label"]) for row in rows] == [
        ("2026-02", "februari 2026"), ("2026-03", "maart 2026"), ("2026-04", "april 2026")]  # fmt: skip
    february, march, april = (_figures(row) for row in rows)
    assert february == (1, 2, 1, 1, 2.0, 22.0, 1, 1, 0)
    # G1 (28 Feb 23:30 UTC) and G3 (31 Mar 23:30 Amsterdam) are March's; G4 (1 Apr 00:00) is
    # April's. V1 had taken part in February: returning in March.
    assert march == (3, 15, 5, 9, 26.0, 286.0, 8, 2, 1)
    assert april == (1, 2, 1, 1, 2.0, 22.0, 1, 0, 1)
    english = client.get(IMPACT, params={"from": "2026-02-01", "to": "2026-02-28",
                                         "group_by": "month", "lang": "en"}, headers=ADMIN)  # fmt: skip
    assert english.json()["items"][0]["label"] == "February 2026"


def test_the_period_runs_from_midnight_to_midnight_in_amsterdam(
    client: TestClient, history: History
) -> None:
    # 31 March alone: G3 at 23:30 is in it, G4 at 00:00 on 1 April is not.
    last_day = _report(client, "area", **{"from": "2026-03-31", "to": "2026-03-31"})
    assert [(row["key"], row["gigs"]) for row in last_day] == [("Paddepoel", 1)]
    # 1 March alone: G1 at 00:30 (still 28 February in UTC).
    first_day = _report(client, "area", **{"from": "2026-03-01", "to": "2026-03-01"})
    assert [(row["key"], row["gigs"], row["hours"]) for row in first_day] == [("Selwerd", 1, 5.0)]
    # V1 had taken part before 1 March (G5), V2 had not.
    assert (first_day[0]["new_volunteers"], first_day[0]["returning_volunteers"]) == (1, 1)


def test_an_organisation_key_sees_its_own_rows_only(client: TestClient, history: History) -> None:
    own = _report(client, "organization", history.present_key)
    assert [(row["key"], _figures(row)) for row in own] == [(history.present["id"], PRESENT_MARCH)]
    by_area = _report(client, "area", history.present_key)
    assert [row["key"] for row in by_area] == ["Paddepoel"]
    by_association = _report(client, "association", history.present_key)
    assert [(row["key"], row["signups"]) for row in by_association] == [(None, 1)]
    chart = client.get(f"{IMPACT}.svg", params={**MARCH, "group_by": "area"},
                       headers=history.present_key)  # fmt: skip
    assert b"Paddepoel" in chart.content
    assert b"Selwerd" not in chart.content


def test_who_may_ask(client: TestClient, history: History) -> None:
    params = {**MARCH, "group_by": "area"}
    for path in (IMPACT, f"{IMPACT}.svg"):
        anonymous = client.get(path, params=params)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        assert anonymous.headers["content-type"] == "application/problem+json"
        association_key = make_key(client, "association", association_id=history.association["id"])
        refused = client.get(
            path, params=params, headers={"Authorization": f"Bearer {association_key}"}
        )
        assert (refused.status_code, refused.json()["type"]) == (403, "forbidden")
    _, own = make_volunteer(client)
    assert client.get(IMPACT, params=params, headers=own).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-31", "to": "2026-03-01", "group_by": "area"}, "to"),
        ({"from": "2026-03-01", "to": "2026-03-31", "group_by": "street"}, "group_by"),
        ({"from": "2026-02-30", "to": "2026-03-31", "group_by": "area"}, "from"),
        ({"from": "0001-01-01", "to": "2026-03-31", "group_by": "area"}, "from"),
        ({"from": "2000-01-01", "to": "2026-03-31", "group_by": "month"}, "to"),
        ({"to": "2026-03-31", "group_by": "area"}, "from"),
        ({"from": "2026-03-01", "to": "9999-12-31", "group_by": "area"}, "to"),
        ({"from": "2026-03-01", "to": "2026-03-31", "group_by": "area", "lang": "de"}, "lang"),
    ],
)
def test_bad_parameters_are_422_problems(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    for path in (IMPACT, f"{IMPACT}.svg"):
        response = client.get(path, params=params, headers=ADMIN)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert ["query", field] in [error["loc"] for error in response.json()["errors"]]


def test_csv_holds_the_same_rows_as_json(client: TestClient, history: History) -> None:
    for group_by in ("organization", "association", "month"):
        params = {"from": "2026-02-01", "to": "2026-04-30", "group_by": group_by}
        rows = client.get(IMPACT, params=params, headers=ADMIN).json()["items"]
        response = client.get(IMPACT, params=params, headers={**ADMIN, "Accept": "text/csv"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv; charset=utf-8")
        assert response.headers["content-disposition"] == (
            f'attachment; filename="impact-{group_by}-2026-02-01-2026-04-30.csv"'
        )
        assert "Accept" in response.headers["vary"]
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
        assert lines[0] == list(rows[0])
        assert [dict(zip(lines[0], line, strict=True)) for line in lines[1:]] == [
            {name: "" if value is None else str(value) for name, value in row.items()}
            for row in rows
        ]
    # JSON stays the answer to a client that prefers it, or does not say.
    for accept in ("application/json", "*/*", "text/csv;q=0.5, application/json", "text/html"):
        response = client.get(IMPACT, params={**MARCH, "group_by": "area"},
                              headers={**ADMIN, "Accept": accept})  # fmt: skip
        assert response.headers["content-type"] == "application/json", accept


def test_the_chart_is_an_svg_with_the_group_labels(client: TestClient, history: History) -> None:
    response = client.get(f"{IMPACT}.svg", params={**MARCH, "group_by": "organization"},
                          headers=ADMIN)  # fmt: skip
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    root = ET.fromstring(response.content)  # noqa: S314 (our own answer, not untrusted)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [element.text or "" for element in root.iter()]
    assert any("Humanitas Groningen" in text for text in texts)
    assert any("Present Groningen" in text for text in texts)
    assert any("Uren vrijwilligerswerk per organisatie" in text for text in texts)
    assert any("1 maart 2026 – 31 maart 2026" in text for text in texts)
    # A long axis title is set on two lines.
    assert "Uren (geregistreerde aanwezigheid)" in " ".join(" ".join(texts).split())
    # Nothing runs and nothing is fetched from elsewhere.
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    assert not [
        (element.tag, name)
        for element in root.iter()
        for name, value in element.attrib.items()
        if name.endswith("href") or ("url(" in value and "url(#" not in value)
    ]
    english = client.get(f"{IMPACT}.svg", params={**MARCH, "group_by": "month", "lang": "en"},
                         headers=ADMIN)  # fmt: skip
    english_texts = [element.text or "" for element in ET.fromstring(english.content).iter()]  # noqa: S314
    assert any("Volunteering hours by month" in text for text in english_texts)
    assert any("March 2026" in text for text in english_texts)


def test_a_kept_report_follows_any_write(
    app: FastAPI, client: TestClient, history: History
) -> None:
    reports = app.state.caches.reports
    first = _report(client, "organization")
    made = reports.made
    assert _report(client, "organization") == first
    assert reports.made == made, "the second answer is the kept one"
    # A write that knows nothing about reports: a plain UPDATE on a connection of its own.
    with db_session(app) as session, session.begin():
        session.execute(
            update(Signup).where(Signup.id == history.signups["g3_v5"]).values(hours=1.5)
        )
    changed = _report(client, "organization")
    assert reports.made == made + 1
    assert changed[1]["hours"] == 1.5
    # And one through the API.
    _attended(client, history.signups["g1_v1"], history.humanitas_key, 2.5)
    assert _report(client, "organization")[0]["hours"] == 24.5


PUBLIC = "/api/v1/reports/public"
MAY = {"from": "2026-05-01", "to": "2026-05-31"}


@pytest.fixture
def may(app: FastAPI, client: TestClient) -> None:
    """May 2026: Lewenborg (odd jobs) a group of 15, Vinkhuizen (care) a group of 12,
    Paddepoel (visiting) 10 volunteers, Beijum (odd jobs) 3 volunteers: every cell of 10
    people or more but Beijum's."""
    _, org = organization_with_key(client)
    association, association_key = make_association(client)

    def gig(area: str, category: str, day: int, **fields: Any) -> str:
        location = {"address": f"{area}, Groningen", "area": area}
        return str(make_gig(client, org, location=location, category=category,
                            **_soon(**fields))["id"])  # fmt: skip

    for area, category, day, size, hours in (("Lewenborg", "odd_jobs", 3, 15, 2),
                                             ("Vinkhuizen", "care", 4, 12, 3)):  # fmt: skip
        gig_id = gig(area, category, day, kind="group", capacity=20, group_size_min=2,
                     group_size_max=20)  # fmt: skip
        signup = _sign_up(client, gig_id, association_key, association_id=association["id"],
                          size=size)  # fmt: skip
        _move(app, gig_id, datetime(2026, 5, day, 10), hours)
        _attended(client, signup, org, hours)
    for area, category, day, people, hours in (("Paddepoel", "visiting", 5, 10, 2),
                                               ("Beijum", "odd_jobs", 6, 3, 1)):  # fmt: skip
        gig_id = gig(area, category, day, capacity=people)
        signups = []
        for _ in range(people):
            volunteer, own = make_volunteer(client)
            signups.append(_sign_up(client, gig_id, own, volunteer_id=volunteer["id"]))
        _move(app, gig_id, datetime(2026, 5, day, 10), hours)
        for signup in signups:
            _attended(client, signup, org, hours)


def _public(client: TestClient, group_by: str, **period: str) -> list[dict[str, Any]]:
    response = client.get(PUBLIC, params={**(period or MAY), "group_by": group_by})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


PEOPLE_FIGURES = ("signups", "volunteers", "hours", "estimated_value_eur", "new_volunteers",
                  "returning_volunteers", "spots_filled")  # fmt: skip


def test_public_figures_count_only_cells_of_ten_people_or_more(
    client: TestClient, may: None
) -> None:
    by_area = {row["key"]: row for row in _public(client, "area")}
    beijum = by_area["Beijum"]
    assert beijum["suppressed"] is True
    assert all(beijum[name] is None for name in PEOPLE_FIGURES)
    assert (beijum["gigs"], beijum["spots_offered"]) == (1, 3)
    shown = {key: (row["signups"], row["volunteers"], row["hours"], row["spots_filled"],
                   row["new_volunteers"], row["suppressed"], row["partial"])
             for key, row in by_area.items() if key != "Beijum"}  # fmt: skip
    assert shown == {
        "Lewenborg": (1, 15, 30.0, 15, 0, False, False),
        "Paddepoel": (10, 10, 20.0, 10, 10, False, False),
        "Vinkhuizen": (1, 12, 36.0, 12, 0, False, False),
    }
    by_category = {row["key"]: row for row in _public(client, "category")}
    # Odd jobs are Lewenborg's (shown) and Beijum's (not): only Lewenborg's are counted.
    assert (by_category["odd_jobs"]["hours"], by_category["odd_jobs"]["partial"]) == (30.0, True)
    assert by_category["odd_jobs"]["gigs"] == 2
    (month,) = _public(client, "month")
    assert (month["key"], month["hours"], month["volunteers"], month["partial"]) == (
        "2026-05", 86.0, 37, True)  # fmt: skip


def test_no_difference_of_public_figures_reveals_a_small_cell(
    client: TestClient, may: None
) -> None:
    """Beijum's 3 people worked 3 hours: no subtraction of published figures gives it."""
    areas = {row["key"]: row for row in _public(client, "area")}
    categories = {row["key"]: row for row in _public(client, "category")}
    (month,) = _public(client, "month")
    by_month_over_two = _public(client, "area", **{"from": "2026-04-01", "to": "2026-05-31"})
    shown_area_hours = sum(row["hours"] or 0 for row in areas.values())
    # The month's total less the areas shown: nothing is left (the old attack: Beijum).
    assert month["hours"] - shown_area_hours == 0
    # A category less an area in it: nothing of Beijum's.
    assert categories["odd_jobs"]["hours"] - areas["Lewenborg"]["hours"] == 0
    assert sum(row["hours"] or 0 for row in categories.values()) == month["hours"]
    # A longer period less May: April's cells (none), not a part of May's.
    assert {row["key"]: row["hours"] for row in by_month_over_two} == {
        key: row["hours"] for key, row in areas.items()
    }
    published = [month["hours"], *(row["hours"] for row in [*areas.values(), *categories.values()])]
    assert 3.0 not in {abs(a - b) for a in published if a for b in published if b is not None}


def test_a_month_that_is_not_over_shows_no_people(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, **_soon(capacity=12))
    for _ in range(10):
        volunteer, own = make_volunteer(client)
        _sign_up(client, gig["id"], own, volunteer_id=volunteer["id"])
    start = datetime.fromisoformat(gig["starts_at"].replace("Z", "+00:00")).astimezone(AMSTERDAM)
    first = start.date().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    (row,) = _public(client, "area", **{"from": first.isoformat(), "to": last.isoformat()})
    assert (row["gigs"], row["spots_offered"], row["suppressed"], row["volunteers"]) == (
        1, 12, True, None)  # fmt: skip


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"from": "2026-05-02", "to": "2026-05-31", "group_by": "area"}, [["query", "from"]]),
        ({"from": "2026-05-01", "to": "2026-05-30", "group_by": "month"}, [["query", "to"]]),
        ({"from": "2026-05-01", "to": "2026-05-31", "group_by": "organization"},
         [["query", "group_by"]]),
        ({"from": "2026-06-01", "to": "2026-05-31", "group_by": "area"}, [["query", "to"]]),
    ],
)  # fmt: skip
def test_public_periods_are_whole_months(
    client: TestClient, params: dict[str, str], fields: list[list[str]]
) -> None:
    response = client.get(PUBLIC, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == fields
