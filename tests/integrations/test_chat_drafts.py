"""Chat messages that stay a draft, and the sender's answer that completes them, end to
end through the bridge endpoint (and the WAHA webhook for senders whose number is hidden).

Dates are written relative to today in Groningen, so every case holds on any day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.integrations.channels import NO_CHANNELS
from app.integrations.message_vocabulary import MONTHS_NL, WEEKDAYS_NL
from app.models.base import utcnow
from app.services import chat_drafts
from tests.direct import run
from tests.factories import ADMIN, bearer, make_key, make_organization
from tests.integrations.inbound_helpers import BRIDGE_PATH, messages, post_waha, waha_event

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
KNOWN = "+31612345678"
OTHER = "+31687654321"
_ids = count(1)


def today() -> date:
    return datetime.now(AMSTERDAM).date()


def in_words(day: date, weekday: int | None = None) -> str:
    """ "zaterdag 19 december": a day as Dutch chat writes it (``weekday`` to get it wrong)."""
    name = WEEKDAYS_NL[day.weekday() if weekday is None else weekday]
    return f"{name} {day.day} {MONTHS_NL[day.month - 1]}"


def ahead(days: int) -> date:
    return today() + timedelta(days=days)


@pytest.fixture
def bridge(client: TestClient) -> dict[str, str]:
    make_organization(client, whatsapp_numbers=[KNOWN, OTHER])
    return bearer(make_key(client, "integration"))


def relay(client: TestClient, headers: dict[str, str], text: str, sender: str = KNOWN) -> Any:
    body = {"message_id": f"chat-draft-{next(_ids)}", "from": sender, "text": text}
    response = client.post(BRIDGE_PATH, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def gig(client: TestClient, gig_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/gigs/{gig_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def local_start(found: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(found["starts_at"]).astimezone(AMSTERDAM)


def draft_rules() -> list[tuple[str, str, str]]:
    """(rule, message, what the reply must ask) for every rule that keeps a draft."""
    mismatch = ahead(10)
    wrong_weekday = (mismatch.weekday() + 2) % 7
    yesterday = today() - timedelta(days=1)
    return [
        ("vague time", "Klus: Boodschappen doen\nWanneer: morgenmiddag", "In de middag"),
        (
            "weekday does not match",
            f"Klus: Boodschappen doen\nWanneer: {in_words(mismatch, wrong_weekday)} 10:00-12:00",
            "Welke datum bedoel je:",
        ),
        (
            "start in the past",
            f"Klus: Boodschappen doen\nWanneer: {yesterday:%d-%m-%Y} 10:00-12:00",
            "is al voorbij",
        ),
        (
            "two dates",
            f"Klus: Boodschappen doen\nWanneer: {ahead(8):%d-%m-%Y} of {ahead(9):%d-%m-%Y} "
            "10:00-12:00",
            "Welke datum bedoel je:",
        ),
        ("recurring", "Elke maandag 10:00-12:00 koffie schenken in de inloop", "terugkomt"),
        ("no end", "Klus: Boodschappen doen\nWanneer: overmorgen om 10 uur", "Tot hoe laat"),
        ("no date", "Klus: Boodschappen doen\nWanneer: 10:00-12:00", "Op welke datum?"),
        ("no title", f"Wanneer: {ahead(5):%d-%m-%Y} 10:00-12:00", "Wat is de klus?"),
    ]


@pytest.mark.parametrize("rule", [rule for rule, _, _ in draft_rules()])
def test_every_rule_keeps_a_draft_and_asks(
    client: TestClient, bridge: dict[str, str], rule: str
) -> None:
    _, text, question = next(case for case in draft_rules() if case[0] == rule)

    result = relay(client, bridge, text)

    assert result["status"] == "draft"
    assert result["gig"]["status"] == "draft"
    assert question in result["reply"]
    assert "staat nog niet online" in result["reply"]


def test_the_answer_to_which_date_publishes_the_gig(
    client: TestClient, bridge: dict[str, str]
) -> None:
    written = ahead(10)
    saturday = written + timedelta(days=5 - written.weekday())  # the Saturday of that week
    text = (
        f"Wie kan {in_words(written, 5)} van 10:00 tot 13:00 helpen met boodschappen voor "
        "mevrouw in Selwerd? 2 mensen nodig"
    )
    if saturday == written:
        text = text.replace("zaterdag", "zondag")
        saturday = written + timedelta(days=6 - written.weekday())
    first = relay(client, bridge, text)
    assert first["status"] == "draft"
    assert first["gig"]["title"] == "Wie kan helpen met boodschappen voor mevrouw in Selwerd?"
    assert first["gig"]["location"]["area"] == "Selwerd"
    assert first["gig"]["location"]["lat"] is not None

    second = relay(client, bridge, in_words(saturday).split()[0])  # "zaterdag"

    assert second["status"] == "created"
    assert second["gig"]["id"] == first["gig"]["id"]
    assert "De klus staat online" in second["reply"]
    published = gig(client, first["gig"]["id"])
    assert published["status"] == "open"
    assert local_start(published).date() == saturday
    assert (local_start(published).hour, published["capacity"]) == (10, 2)


def test_answers_fill_a_draft_step_by_step(client: TestClient, bridge: dict[str, str]) -> None:
    day = ahead(6)
    first = relay(client, bridge, f"Klus: Kerstpakketten inpakken\nWanneer: {day:%d-%m-%Y}")
    assert "Hoe laat begint en eindigt het?" in first["reply"]

    second = relay(client, bridge, "om 14:00")
    assert second["status"] == "draft"  # the same draft, one step further
    assert second["gig"]["id"] == first["gig"]["id"]
    assert "Tot hoe laat duurt het? Bijvoorbeeld: tot 16:00." in second["reply"]
    assert gig(client, first["gig"]["id"])["status"] == "draft"

    third = relay(client, bridge, "tot 17 uur")
    assert third["status"] == "created"
    published = gig(client, first["gig"]["id"])
    assert published["status"] == "open"
    starts = local_start(published)
    ends = datetime.fromisoformat(published["ends_at"]).astimezone(AMSTERDAM)
    assert (starts.date(), starts.hour, ends.hour) == (day, 14, 17)


def test_a_missing_title_is_answered_with_one(client: TestClient, bridge: dict[str, str]) -> None:
    first = relay(client, bridge, f"Wanneer: {ahead(5):%d-%m-%Y} 10:00-12:00\nAantal: 3")
    assert first["status"] == "draft"

    second = relay(client, bridge, "Tuin winterklaar maken bij De Kroon")

    assert second["status"] == "created"
    published = gig(client, first["gig"]["id"])
    assert (published["title"], published["status"]) == (
        "Tuin winterklaar maken bij De Kroon",
        "open",
    )


def test_a_new_gig_while_a_draft_waits_is_its_own_gig(
    client: TestClient, bridge: dict[str, str]
) -> None:
    draft = relay(client, bridge, "Klus: Boodschappen doen\nWanneer: morgenmiddag")
    new = relay(client, bridge, f"Klus: Sneeuw ruimen\nWanneer: {ahead(4):%d-%m-%Y} 08:00-10:00")

    assert new["status"] == "created"
    assert new["gig"]["id"] != draft["gig"]["id"]
    assert gig(client, draft["gig"]["id"])["status"] == "draft"
    # The draft still waits: a later answer completes it.
    assert relay(client, bridge, "14:00-16:00")["status"] == "created"
    assert gig(client, draft["gig"]["id"])["status"] == "open"


def test_only_the_sender_of_the_draft_can_answer_it(
    client: TestClient, bridge: dict[str, str]
) -> None:
    draft = relay(client, bridge, "Klus: Boodschappen doen\nWanneer: morgenmiddag")

    other = relay(client, bridge, "14:00-16:00", sender=OTHER)

    assert other["status"] == "draft"  # a message of its own, not an answer
    assert other["gig"]["id"] != draft["gig"]["id"]
    assert gig(client, draft["gig"]["id"])["status"] == "draft"


def test_a_draft_published_by_its_organisation_takes_no_more_answers(
    client: TestClient, bridge: dict[str, str]
) -> None:
    draft = relay(client, bridge, "Klus: Boodschappen doen\nWanneer: morgenmiddag")
    published = client.patch(
        f"/api/v1/gigs/{draft['gig']['id']}",
        json={
            "status": "open",
            "starts_at": f"{ahead(3)}T13:00:00+01:00",
            "ends_at": f"{ahead(3)}T15:00:00+01:00",
        },
        headers=ADMIN,
    )
    assert published.status_code == 200, published.text

    later = relay(client, bridge, "14:00-16:00")

    assert later["gig"] is None or later["gig"]["id"] != draft["gig"]["id"]


def test_a_draft_left_for_seven_days_is_dropped_and_its_sender_told(
    client: TestClient, bridge: dict[str, str]
) -> None:
    draft = relay(client, bridge, "Klus: Boodschappen doen\nWanneer: morgenmiddag")
    database = client.app.state.database  # type: ignore[attr-defined]

    early = run(database, chat_drafts.drop_expired(database, now=utcnow() + timedelta(days=6),
                                                   channels=NO_CHANNELS))  # fmt: skip
    dropped = run(database, chat_drafts.drop_expired(database, now=utcnow() + timedelta(days=8),
                                                     channels=NO_CHANNELS))  # fmt: skip
    again = run(database, chat_drafts.drop_expired(database, now=utcnow() + timedelta(days=9),
                                                   channels=NO_CHANNELS))  # fmt: skip

    assert (early, dropped, again) == (0, 1, 0)
    assert gig(client, draft["gig"]["id"])["status"] == "cancelled"
    told = client.get("/api/v1/messages", params={"kind": "reply"}, headers=ADMIN).json()["items"]
    notices = [item for item in told if item["gig_id"] == draft["gig"]["id"]]
    assert len(notices) == 2  # the first reply, and the notice that it was dropped
    # An answer after the drop is a message of its own.
    assert relay(client, bridge, "14:00-16:00")["gig"]["id"] != draft["gig"]["id"]


def test_a_sender_whose_number_is_hidden_is_told_how_to_register(client: TestClient) -> None:
    make_organization(client, whatsapp_numbers=[KNOWN])
    event = waha_event("0", f"Klus: Koken\nWanneer: {ahead(3):%d-%m-%Y} 10:00-12:00",
                       group="120363000000000000@g.us")  # fmt: skip
    event["payload"]["participant"] = "123456789012345@lid"

    assert post_waha(client, event).status_code == 200

    (stored,) = messages(client)
    assert stored["status"] == "unknown_sender"
    assert "privébericht" in stored["reply"]
    assert "private message" in stored["reply"]


def test_an_answer_keeps_what_the_organisation_changed_in_the_draft(
    client: TestClient, bridge: dict[str, str]
) -> None:
    draft = relay(client, bridge, "Klus: Boodschappen voor mevrouw de Vries\nWanneer: morgenmiddag")
    renamed = client.patch(
        f"/api/v1/gigs/{draft['gig']['id']}", json={"title": "Boodschappen doen"}, headers=ADMIN
    )
    assert renamed.status_code == 200, renamed.text

    answer = relay(client, bridge, "14:00-16:00")

    assert answer["status"] == "created"
    published = gig(client, draft["gig"]["id"])
    assert (published["title"], published["status"]) == ("Boodschappen doen", "open")
    assert "de Vries" not in answer["reply"]


def test_an_impossible_year_with_a_draft_waiting_is_still_received(
    client: TestClient, bridge: dict[str, str]
) -> None:
    draft = relay(client, bridge, "Klus: Boodschappen doen\nWanneer: morgenmiddag")

    later = relay(client, bridge, "31-12-9999 23:30")  # 2xx: stored, not a 422

    assert later["gig"] is None or later["gig"]["id"] != draft["gig"]["id"]
    assert gig(client, draft["gig"]["id"])["status"] == "draft"
