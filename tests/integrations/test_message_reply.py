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


def test_created_english_mentions_the_defaulted_end() -> None:
    message = parsed("Task: Walk the dogs\nWhen: tomorrow at 10:00\nPeople: 1")

    reply = compose_reply(message, gig_url=URL, status="created")

    assert "When: Thursday 3 June 2027, 10:00\u201312:00" in reply
    assert "End time not found, I assumed 2 hours." in reply
    assert "People: 1 volunteer\n" in reply
    assert reply.endswith(URL)


def test_created_dutch_mentions_the_defaulted_end() -> None:
    reply = compose_reply(
        parsed("Klus: Koken\nWanneer: morgen om 17 uur"), gig_url=URL, status="created"
    )

    assert "Eindtijd niet gevonden, ik heb 2 uur aangenomen." in reply


def test_the_postcode_is_added_to_a_place_without_it() -> None:
    message = parsed(
        "Klus: Koken\nWaar: Buurthuis De Kroon\nWanneer: morgen 17:00\nPostcode: 9724ab"
    )

    reply = compose_reply(message, gig_url=URL, status="created")

    assert message.address == "Buurthuis De Kroon"
    assert "Waar: Buurthuis De Kroon, 9724 AB\n" in reply


def test_a_wrong_weekday_is_pointed_out() -> None:
    message = parsed("Klus: Koken\nWanneer: zaterdag 14 juni 10:00-12:00")

    reply = compose_reply(message, gig_url=URL, status="created")

    assert "Let op: 14 juni 2027 is een maandag." in reply


def test_draft_dutch_says_what_is_missing_with_an_example() -> None:
    message = parsed("Klus: Zwerfvuil prikken\nWaar: Selwerd")

    reply = compose_reply(message, gig_url=URL, status="draft")

    assert "ik mis nog: de datum (zoals 14 juni of 14-06-2027) en de tijd" in reply
    assert "Klus: Zwerfvuil prikken\nWanneer: 14 juni 10:00-13:00" in reply
    assert "Waar: Selwerd" in reply
    assert f"Concept: {URL}" in reply
    assert "staat online" not in reply


def test_draft_english_without_title_uses_a_sample_title() -> None:
    message = parsed("When: tomorrow 10:00-12:00\nPeople: 3")

    reply = compose_reply(message, gig_url=None, status="draft")

    assert "I still need: the task (a title on the first line or after Task:)." in reply
    assert "When: Thursday 3 June 2027, 10:00\u201312:00" in reply
    assert "Task: Fix up the garden of community centre De Kroon" in reply
    assert "http" not in reply


def test_draft_lists_three_missing_things_with_commas_and_a_conjunction() -> None:
    reply = compose_reply(parsed(""), gig_url=None, status="draft", lang="en")

    assert "need: the task (a title on the first line or after Task:), the date" in reply
    assert "14-06-2027) and the time (like 10:00-13:00)." in reply


def test_draft_of_a_complete_message_has_no_example() -> None:
    message = parsed("Klus: Koken\nWanneer: morgen 17:00-19:00")

    reply = compose_reply(message, gig_url=URL, status="draft")

    assert reply.startswith("Dank je! Ik heb je bericht als concept bewaard.")
    assert "bijvoorbeeld" not in reply


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
