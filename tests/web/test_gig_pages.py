"""A gig's public page (`/g/{id}`): what it shows, in which language, its caching, and the
states in which nobody can sign up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.models import Gig, Volunteer
from app.web.language import preferred
from app.web.texts import TEXTS
from tests.direct import db_session
from tests.factories import (
    ADMIN,
    make_association,
    make_gig,
    make_volunteer,
    organization_with_key,
)
from tests.web.helpers import parse, text_of

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")  # fmt: skip
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip


def next_saturday_ten() -> datetime:
    """10:00 in Amsterdam on the first Saturday at least three days from now."""
    day = datetime.now(AMSTERDAM).date() + timedelta(days=3)
    day += timedelta(days=(5 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=AMSTERDAM)


def _gig_at(client: TestClient, headers: dict[str, str], start: datetime, **fields: Any) -> Any:
    return make_gig(client, headers, starts_at=start.isoformat(),
                    ends_at=(start + timedelta(hours=3)).isoformat(), **fields)  # fmt: skip


def test_the_page_shows_the_gig_in_dutch_with_link_preview_tags(client: TestClient) -> None:
    _, org = organization_with_key(client, name="Buurthuis De Kroon")
    # A Saturday, 10:00–13:00 in Amsterdam (sent in UTC: the page shows local time).
    start = next_saturday_ten()
    said = f"zaterdag {start.day} {MONTHS_NL[start.month - 1]}, 10:00–13:00"
    start = start.astimezone(UTC)
    gig = _gig_at(client, org, start, title="Koffie schenken", capacity=4,
                  description="Koffie en thee.\nEen praatje met de buurt.",
                  accessible=True)  # fmt: skip
    page = client.get(f"/g/{gig['id']}")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-language"] == "nl"
    html = parse(page.text)
    assert html.html_lang == "nl"
    text = text_of(page.text)
    assert "Koffie schenken" in text
    assert "Een klus van Buurthuis De Kroon" in text
    assert said in text
    assert "Nog 4 plekken vrij (van de 4)" in text
    assert "Zonder drempels te bereiken" in text
    assert "Een praatje met de buurt." in text
    assert html.meta["og:title"] == "Koffie schenken"
    assert html.meta["og:description"].startswith(f"{said} · ")
    assert html.meta["og:url"] == f"https://klusmakelaar.test/g/{gig['id']}"
    assert html.meta["og:type"] == "website"
    assert html.meta["og:locale"] == "nl_NL"
    assert html.meta["twitter:card"] == "summary"
    # Every field has its label; the form posts to the page itself.
    assert set(html.labels) == {"name", "contact", "consent"}
    assert html.forms == [f"/g/{gig['id']}#signup-title"]
    # Nothing from elsewhere: the stylesheet is ours, and no script at all.
    assert "<script" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    css = client.get(html_stylesheet(page.text))
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]


def html_stylesheet(page: str) -> str:
    start = page.index('rel="stylesheet" href="') + len('rel="stylesheet" href="')
    return page[start : page.index('"', start)]


def test_english_by_query_or_by_the_browsers_preference(client: TestClient) -> None:
    _, org = organization_with_key(client)
    start = next_saturday_ten()
    gig = _gig_at(client, org, start, title="Soup kitchen")
    by_query = client.get(f"/g/{gig['id']}?lang=en")
    assert parse(by_query.text).html_lang == "en"
    assert f"Saturday {start.day} {MONTHS_EN[start.month - 1]}, 10:00–13:00" in text_of(
        by_query.text
    )
    assert "4 spots left (of 4)" in text_of(by_query.text)
    assert parse(by_query.text).meta["og:locale"] == "en_GB"
    by_header = client.get(f"/g/{gig['id']}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert by_header.headers["content-language"] == "en"
    dutch_first = client.get(f"/g/{gig['id']}", headers={"Accept-Language": "nl,en;q=0.8"})
    assert dutch_first.headers["content-language"] == "nl"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "nl"),
        ("", "nl"),
        ("de-DE,de;q=0.9", "nl"),
        ("en", "en"),
        ("de, en;q=0.5", "en"),
        ("en;q=0.4, nl;q=0.6", "nl"),
        ("en-US, nl", "en"),
        ("nl-BE, en", "nl"),
        ("en;q=0, nl;q=0.1", "nl"),
        ("en;q=abc", "nl"),
        ("*", "nl"),
    ],
)
def test_accept_language(header: str | None, language: str) -> None:
    assert preferred(header) == language


def test_both_languages_have_the_same_words() -> None:
    assert set(TEXTS["nl"]) == set(TEXTS["en"])
    for key in TEXTS["nl"]:
        assert TEXTS["nl"][key].count("{") == TEXTS["en"][key].count("{"), key


def test_the_etag_changes_when_the_gig_changes_and_a_304_answers_the_same(
    client: TestClient,
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=3)
    first = client.get(f"/g/{gig['id']}")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    assert "Accept-Language" in first.headers["vary"]
    again = client.get(f"/g/{gig['id']}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    volunteer, own = make_volunteer(client)
    signed = client.post(f"/api/v1/gigs/{gig['id']}/signups", json={"volunteer_id": volunteer["id"]},
                         headers=own)  # fmt: skip
    assert signed.status_code == 201
    changed = client.get(f"/g/{gig['id']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "Nog 2 plekken vrij (van de 3)" in text_of(changed.text)
    renamed = client.patch(f"/api/v1/gigs/{gig['id']}", json={"title": "Nieuwe titel"},
                           headers=org)  # fmt: skip
    assert renamed.status_code == 200
    assert "Nieuwe titel" in client.get(f"/g/{gig['id']}").text
    head = client.head(f"/g/{gig['id']}")
    assert head.status_code == 200
    assert head.content == b""


def test_a_draft_or_an_unknown_gig_is_404_as_a_page(client: TestClient) -> None:
    _, org = organization_with_key(client)
    draft = make_gig(client, org, status="draft")
    for path in (f"/g/{draft['id']}", "/g/gig_nope", f"/g/{draft['id']}?lang=en"):
        page = client.get(path)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "<form" not in page.text
    assert "Deze pagina bestaat niet (meer)" in client.get("/g/gig_nope").text
    assert "This page does not exist (any more)" in client.get("/g/gig_nope?lang=en").text


def test_a_cancelled_gig_says_so_and_points_to_open_gigs_nearby(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, title="Gaat niet door")
    near = make_gig(client, org, title="Vlakbij en open",
                    location={"area": "Oosterpoort", "lat": 53.211, "lon": 6.574})  # fmt: skip
    far = make_gig(client, org, title="Ver weg",
                   location={"area": "Haren", "lat": 53.17, "lon": 6.60})  # fmt: skip
    make_gig(client, org, title="Nog een concept", status="draft")
    assert client.post(f"/api/v1/gigs/{gig['id']}/cancel", headers=org).status_code == 200
    page = client.get(f"/g/{gig['id']}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Deze klus gaat helaas niet door." in text
    assert "<form" not in page.text
    assert "Misschien past een van deze klussen bij je" in text
    assert text.index("Vlakbij en open") < text.index("Ver weg")
    assert f'href="/g/{near["id"]}"' in page.text
    assert f'href="/g/{far["id"]}"' in page.text
    assert "Nog een concept" not in text
    assert parse(page.text).meta["og:description"].endswith("Deze klus gaat helaas niet door.")


@pytest.mark.parametrize(
    ("starts_hours", "ends_hours", "said"),
    [(-1, 2, "Deze klus is al begonnen"), (-5, -2, "Deze klus is al voorbij")],
)
def test_a_started_or_past_gig_takes_no_sign_ups(
    client: TestClient, app: Any, starts_hours: int, ends_hours: int, said: str
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    page = client.get(f"/g/{gig['id']}")
    now = datetime.now(UTC)
    with db_session(app) as session, session.begin():
        session.execute(update(Gig).where(Gig.id == gig["id"]).values(
            starts_at=now + timedelta(hours=starts_hours),
            ends_at=now + timedelta(hours=ends_hours)))  # fmt: skip
    later = client.get(f"/g/{gig['id']}")
    assert said in text_of(later.text)
    assert "<form" not in later.text
    assert "Er staan nu geen andere klussen open" in text_of(later.text)
    # A form opened before the start, sent after it: refused, nothing made.
    sent = client.post(f"/g/{gig['id']}", data={
        "csrf": parse(page.text).inputs["csrf"]["value"], "name": "Laat", "contact": "laat@example.org",
        "consent": "yes"})  # fmt: skip
    assert sent.status_code == 409
    assert said in text_of(sent.text)
    assert client.get(f"/api/v1/gigs/{gig['id']}/signups", headers=ADMIN).json()["items"] == []
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(Volunteer)) == 0


def test_a_group_gig_explains_how_a_group_signs_up(client: TestClient) -> None:
    _, org = organization_with_key(client)
    make_association(client)
    gig = make_gig(client, org, kind="group", capacity=20, group_size_min=5, group_size_max=20)
    page = client.get(f"/g/{gig['id']}")
    assert "Dit is een klus voor een groep" in text_of(page.text)
    assert "<form" not in page.text


def test_a_full_gig_offers_the_waitlist(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=1)
    volunteer, own = make_volunteer(client)
    client.post(f"/api/v1/gigs/{gig['id']}/signups", json={"volunteer_id": volunteer["id"]},
                headers=own)  # fmt: skip
    text = text_of(client.get(f"/g/{gig['id']}").text)
    assert "Vol: je kunt op de wachtlijst" in text
    assert "Zet me op de wachtlijst" in text
    assert "Op de wachtlijst" in text


def test_the_privacy_text_says_what_how_long_and_how_to_be_forgotten(client: TestClient) -> None:
    for lang, words in (("nl", ("Wat", "Hoe lang", "Vergeten worden")),
                        ("en", ("What", "How long", "Being forgotten"))):  # fmt: skip
        page = client.get(f"/privacy?lang={lang}")
        assert page.status_code == 200
        assert parse(page.text).html_lang == lang
        for word in words:
            assert f"<h2>{word}</h2>" in page.text


def test_the_share_link_is_the_page_and_the_api_keeps_its_location(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    share = client.get(f"/api/v1/gigs/{gig['id']}/share").json()
    assert share["url"] == f"https://klusmakelaar.test/g/{gig['id']}"
    assert share["url"] in share["text"]
    # The JSON API keeps its own Location.
    created = client.post("/api/v1/gigs", json={**_body(gig)}, headers=org)
    assert created.headers["location"].startswith("/api/v1/gigs/")


def _body(gig: dict[str, Any]) -> dict[str, Any]:
    return {name: gig[name] for name in ("title", "category", "kind", "starts_at", "ends_at",
                                         "capacity")}  # fmt: skip
