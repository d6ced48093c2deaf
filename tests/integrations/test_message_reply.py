"""compose_reply: confirmations and draft explanations in the sender's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.integrations.message_parser import ParsedMessage, compose_reply, parse_message

NOW = datetime(2027, 6, 2, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
URL = "https://klusmakelaar.example/gigs/g_123"


def parsed(text: str) -> ParsedMessage:
    return parse_message(text, now=NOW)


def test_created_dutch_confirms_what_was_understood() -> None:
    message = parsed(
        "Klus: Tuin opknappen\nWanneer: zaterdag 5 juni 10:00-13:00\n"
        "Waar: Oosterpoort, 9724 AB\nAantal: 4"
    )

    reply = compose_reply(message, gig_url=URL, status="created")

    assert reply.startswith("Dank je! De klus staat online: Tuin opknappen")
    assert "Wanneer: zaterdag 5 juni 2027, 10:00\u201313:00" in reply
    assert "Waar: Oosterpoort, 9724 AB" in reply
    assert "Aantal: 4 vrijwilligers" in reply
    assert URL in reply
    assert "2 uur aangenomen" not in reply


def test_a_missing_end_is_asked_in_english() -> None:
    message = parsed("Task: Walk the dogs\nWhen: tomorrow at 10:00\nPeople: 1")

    reply = compose_reply(message, gig_url=URL, status="draft")

    assert not message.complete
    assert "Until what time? For example: until 12:00." in reply
    assert "When: Thursday 3 June 2027, 10:00\n" in reply  # no end is claimed
    assert "People: 1 volunteer\n" in reply


def test_a_missing_end_is_asked_in_dutch() -> None:
    reply = compose_reply(
        parsed("Klus: Koken\nWanneer: morgen om 17 uur"), gig_url=URL, status="draft"
    )

    assert "Tot hoe laat duurt het? Bijvoorbeeld: tot 19:00." in reply
    assert reply.startswith("Dank je! Ik heb je bericht als concept bewaard; het staat nog niet")


def test_the_postcode_is_added_to_a_place_without_it() -> None:
    message = parsed(
        "Klus: Koken\nWaar: Buurthuis De Kroon\nWanneer: morgen 17:00\nPostcode: 9724ab"
    )

    reply = compose_reply(message, gig_url=URL, status="created")

    assert message.address == "Buurthuis De Kroon"
    assert "Waar: Buurthuis De Kroon, 9724 AB\n" in reply


def test_a_wrong_weekday_asks_which_of_the_two_days() -> None:
    message = parsed("Klus: Koken\nWanneer: zaterdag 14 juni 10:00-12:00")

    reply = compose_reply(message, gig_url=URL, status="draft")

    # 14 June 2027 is a Monday; the Saturday of that week is the 19th.
    assert "Welke datum bedoel je: maandag 14 of zaterdag 19 juni?" in reply
    assert "Wanneer:" not in reply  # the day is in doubt: only the time is repeated
    assert "Tijd: 10:00\u201312:00" in reply


def test_a_missing_date_and_time_are_asked_with_examples() -> None:
    message = parsed("Klus: Zwerfvuil prikken\nWaar: Selwerd")

    reply = compose_reply(message, gig_url=URL, status="draft")

    assert "Op welke datum? Bijvoorbeeld: zaterdag 19 december." in reply
    assert "Hoe laat begint en eindigt het? Bijvoorbeeld: 10:00-12:00." in reply
    assert "Klus: Zwerfvuil prikken\n" in reply
    assert "Waar: Selwerd" in reply
    assert "Stuur je antwoord hier in de chat, dan zet ik de klus online." in reply
    assert f"Concept: {URL}" in reply
    assert "staat online" not in reply


def test_a_missing_title_is_asked_in_english() -> None:
    message = parsed("When: tomorrow 10:00-12:00\nPeople: 3")

    reply = compose_reply(message, gig_url=None, status="draft")

    assert "What is the task? Send a short title" in reply
    assert "When: Thursday 3 June 2027, 10:00\u201312:00" in reply
    assert "http" not in reply


def test_an_empty_message_asks_title_date_and_time_in_that_order() -> None:
    reply = compose_reply(parsed(""), gig_url=None, status="draft", lang="en")

    title, day, clock = (reply.index(text) for text in ("What is", "On which", "What time"))
    assert title < day < clock


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Klus: Koken\nWanneer: 1 juni 10:00-12:00", "Dinsdag 1 juni is al voorbij."),
        (
            "Klus: Koken\nWanneer: vandaag 07:00-08:00",
            "Die tijd is al voorbij (woensdag 2 juni 2027, 07:00).",
        ),
        ("Elke maandag 10:00-12:00 koken", "(\u201cElke maandag\u201d). Voor welke datum"),
        ("Klus: Koken\nWanneer: 7 of 8 juni 10:00-12:00", "maandag 7 of dinsdag 8 juni?"),
        ("Klus: Koken\nWanneer: morgenmiddag", "In de middag, van hoe laat tot hoe laat?"),
        ("Task: Cook\nWhen: every Monday 10:00-12:00", "Which date is it for this time?"),
        ("Task: Cook\nWhen: 7 or 8 June 10:00-12:00", "Monday 7 or Tuesday 8 June?"),
    ],
)
def test_each_doubt_is_asked_in_the_senders_language(text: str, question: str) -> None:
    message = parsed(text)

    reply = compose_reply(message, gig_url=URL, status="draft")

    assert not message.complete
    assert question in reply


def test_a_draft_with_nothing_to_ask_asks_nothing() -> None:
    message = parsed("Klus: Koken\nWanneer: morgen 17:00-19:00")

    reply = compose_reply(message, gig_url=URL, status="draft")

    assert reply.startswith("Dank je! Ik heb je bericht als concept bewaard")
    assert "?" not in reply


@pytest.mark.parametrize(("lang", "greeting"), [("en", "Thank you!"), ("nl", "Dank je!")])
def test_lang_overrides_the_detected_language(lang: str, greeting: str) -> None:
    message = parsed("Klus: Koken\nWanneer: morgen 17:00-19:00")
    english = parsed("Task: Cooking\nWhen: tomorrow 17:00-19:00")

    for source in (message, english):
        assert compose_reply(source, gig_url=URL, status="created", lang=lang).startswith(greeting)


def test_unknown_lang_falls_back_to_the_message_language() -> None:
    english = parsed("Task: Cooking\nWhen: tomorrow 17:00-19:00")

    assert compose_reply(english, gig_url=URL, status="created", lang="de").startswith("Thank")


def test_reply_is_plain_text() -> None:
    message = parsed("🌻 *Klus:* _Bloembakken vullen_\nWanneer: morgen 10:00-12:00")

    reply = compose_reply(message, gig_url=URL, status="created")

    assert "*" not in reply
    assert "<" not in reply
    assert "🌻" not in reply


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        compose_reply(parsed(""), gig_url=None, status="open")  # type: ignore[arg-type]
