"""Answers people send back by chat: "ja" / "nee" to a reminder, STOP / START, and
"inchecken <code>" at a gig that is on now, and "uitchecken" after it.

A chat message is an answer when, once lower-cased and stripped of punctuation, it is
one of the words below (optionally followed by a number, "ja 2", that picks one of
several gigs). STOP and START come from anyone; "ja" and "nee" only from a volunteer's
number, and only about a sign-up they were reminded of (a confirmed one, for a gig still
to come). Anything else is not an answer and goes on to be read as a gig.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select, update

from app.db import Row, Tx
from app.integrations.check_in_texts import render_check_in
from app.integrations.inbound import gig_link
from app.integrations.message_texts import GigFacts, language_of, render_answer
from app.integrations.message_vocabulary import Language, format_when
from app.models import Gig, Message, MessageOptOut, Signup, Volunteer
from app.services import check_in, events, signups

CONFIRM: Final = frozenset({"ja", "ik kom", "yes", "ja ik kom", "i am coming", "im coming"})
CANCEL: Final = frozenset({"nee", "kan niet", "no", "ik kan niet", "nee ik kan niet", "cant"})
STOP: Final = "stop"
START: Final = "start"
_NOT_WORDS: Final = re.compile(r"[^\w\s]")
_SPACES: Final = re.compile(r"\s+")
_NUMBERED: Final = re.compile(r"^(?P<word>.*?)\s*(?P<number>\d{1,2})?$")
_REMINDED: Final = ("sent", "delivered", "read")
#: A check-in by chat: "inchecken 123456", "check in 123456" (`services.check_in`).
_CHECK_IN: Final = re.compile(r"^(?:inchecken|check in|checkin) (?P<code>\d{6})$")
_CHECK_OUT: Final = re.compile(r"^(?:uitchecken|check out|checkout)$")


@dataclass(frozen=True, slots=True)
class Answered:
    """What an answer did, and the acknowledgement to send back."""

    outcome: str  # reconfirmed, cancelled, asked, unknown, stopped, started, check_in...
    reply: str
    language: Language
    signup_id: str | None = None
    gig_id: str | None = None


def words(text: str) -> str:
    """The text as it is compared: lower case, no punctuation, single spaces."""
    return _SPACES.sub(" ", _NOT_WORDS.sub(" ", text.casefold())).strip()


async def answer(
    tx: Tx, *, sender: str, text: str, now: datetime, base_url: str
) -> Answered | None:
    """Act on ``text`` from ``sender`` if it is an answer; None when it is not one."""
    said = words(text)
    volunteer = await tx.row(
        select(Volunteer.id, Volunteer.name, Volunteer.languages).where(Volunteer.phone == sender)
    )
    language = language_of(volunteer.languages) if volunteer is not None else "nl"
    if said in (STOP, START):
        if said == STOP:
            await tx.run(tx.insert(MessageOptOut).values(address=sender, created_at=now)
                         .on_conflict_do_nothing(index_elements=["address"]))  # fmt: skip
        else:
            await tx.run(delete(MessageOptOut).where(MessageOptOut.address == sender))
        outcome = "stopped" if said == STOP else "started"
        return Answered(outcome, render_answer(outcome, language), language)
    checking_in = _CHECK_IN.match(said)
    if checking_in is not None:  # "inchecken 123456": on the spot, at a gig that is on now
        if volunteer is None:  # no profile language: that of the words used
            language = "nl" if said.startswith("inchecken") else "en"
            reply = render_check_in("unknown_number", language)
            return Answered("check_in_unknown", reply, language)
        reply, gig_id = await check_in.by_chat(
            tx, volunteer=volunteer, code=checking_in["code"], now=now, language=language
        )
        return Answered("check_in", reply, language, gig_id=gig_id)
    if volunteer is not None and _CHECK_OUT.match(said):
        reply, gig_id = await check_in.out_by_chat(
            tx, volunteer=volunteer, now=now, language=language
        )
        return Answered("check_out", reply, language, gig_id=gig_id)
    match = _NUMBERED.match(said)
    word, number = (match["word"], match["number"]) if match else (said, None)
    if volunteer is None or word not in CONFIRM | CANCEL:
        return None
    reminded = await tx.rows(
        select(Signup.id, Gig.id.label("gig_id"), Gig.title, Gig.starts_at, Gig.ends_at,
               Gig.address, Gig.area, Gig.postcode)
        .join(Gig, Gig.id == Signup.gig_id)
        .where(Signup.volunteer_id == volunteer.id, Signup.status == "confirmed",
               Gig.starts_at > now,
               Signup.id.in_(select(Message.signup_id).where(
                   Message.kind == "reminder", Message.status.in_(_REMINDED))))
        .order_by(Gig.starts_at, Signup.id)
    )  # fmt: skip
    if not reminded:
        return Answered("unknown", render_answer("unknown", language), language)
    if number is not None and 1 <= int(number) <= len(reminded):
        reminded = [reminded[int(number) - 1]]
    if len(reminded) > 1:
        choices = "\n".join(
            f"{index}. {_facts(row, base_url).title} ({_when(row, language)})"
            for index, row in enumerate(reminded, start=1)
        )
        example = f"{word} 1"
        reply = render_answer("asked", language, choices=choices, example=example)
        return Answered("asked", reply, language)
    (chosen,) = reminded
    facts = _facts(chosen, base_url)
    if word in CONFIRM:
        await tx.run(update(Signup).where(Signup.id == chosen.id).values(reconfirmed_at=now))
        await events.signup_events(tx, "signup.reconfirmed", [chosen.id])
        outcome = "reconfirmed"
    else:
        signup, gig = await signups.lock_for_change(tx, chosen.id)
        await signups.cancel_locked(tx, signup, gig)
        outcome = "cancelled"
    reply = render_answer(outcome, language, name=volunteer.name, gig=facts)
    return Answered(outcome, reply, language, chosen.id, chosen.gig_id)


def _facts(row: Row, base_url: str) -> GigFacts:
    return GigFacts(title=row.title, starts_at=row.starts_at, ends_at=row.ends_at,
                    address=row.address, area=row.area, postcode=row.postcode,
                    url=gig_link(base_url, row.gig_id))  # fmt: skip


def _when(row: Row, language: Language) -> str:
    return format_when(row.starts_at, row.ends_at, language)
