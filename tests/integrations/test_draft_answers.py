"""draft_answers: which messages answer a chat draft's question, and what they fill in.

"now" is Wednesday 2 December 2026, 15:00 in Groningen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.integrations.draft_answers import answers_question, apply_answer, from_state, to_state
from app.integrations.message_parser import parse_message

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
NO_END = "Klus: Boodschappen\nWanneer: 3 december om 10 uur"
NO_TIME = "Klus: Boodschappen\nWanneer: 7 december"
VAGUE = "Klus: Boodschappen doen\nWanneer: morgenmiddag"
NO_TITLE = "Wanneer: 5-12-2026 10:00-12:00\nAantal: 3"
WHICH = "Wie kan zaterdag 14 december van 10:00 tot 13:00 helpen met boodschappen?"
NO_DATE = "Klus: Boodschappen\nWanneer: 10:00-13:00"


def state_of(text: str) -> dict[str, Any]:
    return to_state(parse_message(text, now=NOW))


def answered(message: str, answer: str) -> dict[str, Any] | None:
    """The draft's state after ``answer``, or None when it is no answer."""
    state = state_of(message)
    if not answers_question(state, answer, now=NOW):
        return None
    return apply_answer(state, answer, now=NOW)


@pytest.mark.parametrize(
    ("message", "answer", "day", "start", "end"),
    [
        (WHICH, "zaterdag", "2026-12-19", "10:00", "13:00"),
        (WHICH, "de 19e", "2026-12-19", "10:00", "13:00"),
        (WHICH, "14", "2026-12-14", "10:00", "13:00"),  # a day number, not 14:00
        (WHICH, "maandag 14 december", "2026-12-14", "10:00", "13:00"),
        (NO_END, "tot 12 uur", "2026-12-03", "10:00", "12:00"),
        (NO_END, "12:00", "2026-12-03", "10:00", "12:00"),
        (VAGUE, "14:00-16:00", "2026-12-03", "14:00", "16:00"),
        (VAGUE, "van 2 tot 4", "2026-12-03", "14:00", "16:00"),
        (NO_DATE, "19-12", "2026-12-19", "10:00", "13:00"),  # a date, not 19:00-12:00
        ("Elke maandag 10-12u koffie schenken", "7 dec", "2026-12-07", "10:00", "12:00"),
    ],
)
def test_an_answer_completes_the_draft(
    message: str, answer: str, day: str, start: str, end: str
) -> None:
    state = answered(message, answer)

    assert state is not None
    assert (state["day"], state["start"], state["end"]) == (day, start, end)
    assert state["missing"] == []
    assert state["doubts"] == []
    assert from_state(state).complete


def test_answers_fill_in_step_by_step_without_losing_what_was_given() -> None:
    state = state_of(NO_TIME)
    for answer in ("tot 16:00", "om 14:00"):
        assert answers_question(state, answer, now=NOW)
        state = apply_answer(state, answer, now=NOW)

    assert (state["start"], state["end"], state["missing"]) == ("14:00", "16:00", [])


@pytest.mark.parametrize(
    ("message", "answer"),
    [
        (NO_END, "duurt 2 uur"),  # a duration, not an end at 02:00
        (NO_END, "half 12"),  # 11:30 in Dutch: asked again rather than guessed
        (NO_END, "Top, we zijn met 3 man"),  # words of its own: a message, not an answer
        (VAGUE, "Sneeuw ruimen bij de kerk 8:00-10:00"),  # a new task
        (VAGUE, "Klus: Boodschappen 2\nWanneer: morgenmiddag"),  # keyed: a new gig
        (VAGUE, "31-12-9999 23:30"),  # no crash, no answer
        (WHICH, "ja"),  # says nothing about the day
    ],
)
def test_what_is_no_answer_changes_nothing(message: str, answer: str) -> None:
    assert answered(message, answer) is None


@pytest.mark.parametrize("answer", ["Oké", "Dank je!", "Sorry verkeerde chat", "Weet ik nog niet"])
def test_fillers_never_become_the_title(answer: str) -> None:
    state = answered(NO_TITLE, answer)

    assert state is not None  # read, but it fills nothing in
    assert state["title"] is None
    assert state["missing"] == ["title"]


def test_a_title_answer_is_taken() -> None:
    state = answered(NO_TITLE, "Tuin winterklaar maken bij De Kroon")

    assert state is not None
    assert state["title"] == "Tuin winterklaar maken bij De Kroon"
    assert from_state(state).complete


def test_an_end_before_the_start_is_asked_again() -> None:
    state = answered(NO_END, "tot 9 uur")

    assert state is not None
    assert state["end"] is None
    assert state["missing"] == ["end"]


def test_a_past_or_far_day_is_not_taken() -> None:
    assert answered(NO_DATE, "1 december") is None  # yesterday
    assert answered(NO_DATE, "14-12-2031") is None  # beyond two years
