"""Chat drafts: a gig from a chat message that is not certain yet, and the sender's answer.

When a message stays a draft, its reply asks what is missing or in doubt and the draft
is kept here for `DRAFT_LIFETIME`. The same sender's next message on the same channel
that reads as an answer (`draft_answers.answers_question`: short, giving what was
asked; not a new gig of its own) fills in the draft
(`integrations.draft_answers`); once title, date, start and end are certain the gig is
published, as a `PATCH` with `{"status": "open"}` would. A draft that is not completed
in time is cancelled and its sender told (`drop_expired`, run by the dispatcher).
An organisation can still complete or publish the draft itself by `PATCH`; the chat
draft then simply stops waiting (only gigs still in `draft` are answered or dropped).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from pydantic import ValidationError
from sqlalchemy import bindparam, delete, select, update

from app.auth import Principal
from app.db import Row, Tx, reads, writes
from app.errors import AppError
from app.integrations.channels import Channels
from app.integrations.draft_answers import answers_question, apply_answer, from_state, to_state
from app.integrations.inbound import gig_link
from app.integrations.message_parsed import ParsedMessage
from app.integrations.message_reply import compose_reply
from app.integrations.message_vocabulary import Language, format_day, to_local
from app.models import ChatDraft, Gig
from app.schemas.gig import GigUpdate
from app.services import direct_messages, gigs

logger = logging.getLogger("klusmakelaar.chat_drafts")

DRAFT_LIFETIME: Final = timedelta(days=7)

_PENDING = (
    select(ChatDraft, Gig.title, Gig.address, Gig.postcode, Gig.capacity)
    .join(Gig, Gig.id == ChatDraft.gig_id)
    .where(
        ChatDraft.sender == bindparam("sender"),
        ChatDraft.channel == bindparam("channel"),
        ChatDraft.expires_at > bindparam("now"),
        Gig.status == "draft",
    )
    .order_by(ChatDraft.created_at.desc())
    .limit(1)
)
_EXPIRED = (
    select(ChatDraft.gig_id)
    .where(ChatDraft.expires_at <= bindparam("now"))
    .order_by(ChatDraft.expires_at)
    .limit(bindparam("limit"))
)
_DROPPED: Final[dict[Language, str]] = {
    "nl": (
        "Je concept \u201c{title}\u201d van {day} was na 7 dagen nog niet compleet en is "
        "verwijderd. Is de klus nog nodig? Stuur het bericht dan opnieuw, met datum en tijd."
    ),
    "en": (
        "Your draft \u201c{title}\u201d of {day} was still not complete after 7 days and has "
        "been removed. Is the task still needed? Then please send the message again, with "
        "its date and time."
    ),
}


@dataclass(frozen=True, slots=True)
class Answered:
    """What an answer did to a draft: the reply, and whether the gig is now open."""

    gig_id: str
    reply: str
    language: Language
    published: bool


async def keep(
    tx: Tx, *, gig: Row, parsed: ParsedMessage, channel: str, sender: str, now: datetime
) -> None:
    """Remember a new draft gig from ``sender``, to be completed by their answer."""
    await tx.run(
        tx.insert(ChatDraft).values(
            gig_id=gig.id,
            organization_id=gig.organization_id,
            channel=channel,
            sender=sender,
            state=to_state(parsed),
            created_at=now,
            expires_at=now + DRAFT_LIFETIME,
        )
    )


async def pending(tx: Tx, *, channel: str, sender: str, text: str, now: datetime) -> Row | None:
    """The sender's newest draft on this channel that still waits for an answer, when
    ``text`` reads as one; its row locked, so two answers at once take turns and a
    draft that expires meanwhile is not dropped under the answer (`drop_expired`)."""
    draft = await tx.row(_PENDING, sender=sender, channel=channel, now=now)
    if draft is None or not answers_question(draft.state, text, now=now):
        return None
    return await tx.row(_PENDING.with_for_update(of=ChatDraft), sender=sender,
                        channel=channel, now=now)  # fmt: skip


def _reply_view(state: dict[str, object], draft: Row) -> ParsedMessage:
    return from_state(
        state,
        address=draft.address,
        postcode=draft.postcode,
        capacity=draft.capacity,
    )


async def answer(tx: Tx, *, draft: Row, text: str, now: datetime, public_base_url: str) -> Answered:
    """Fill in ``draft`` with the sender's answer; publish the gig when it is certain."""
    state = apply_answer(draft.state, text, now=now)
    before, view = _reply_view(draft.state, draft), _reply_view(state, draft)
    # Only what this answer changed: an organisation's own edits of the draft stay.
    changes: dict[str, object] = {}
    if view.title is not None and view.title != before.title:
        changes["title"] = view.title
    if (
        view.starts_at is not None
        and view.ends_at is not None
        and ((view.starts_at, view.ends_at) != (before.starts_at, before.ends_at))
    ):
        changes.update(starts_at=view.starts_at, ends_at=view.ends_at)
    publish = view.complete
    principal = Principal(role="organization", organization_id=draft.organization_id)
    gig_id = draft.gig_id
    try:
        async with tx.savepoint():
            await gigs.update_gig(
                tx,
                principal=principal,
                gig_id=gig_id,
                gig_in=GigUpdate(**changes, **({"status": "open"} if publish else {})),
                if_match=None,
            )
    except (AppError, ValidationError) as error:  # e.g. a day beyond the bounds on gigs
        logger.info("chat draft %s: answer not applied (%s)", gig_id, error)
        state = {**draft.state}
        view, publish = _reply_view(state, draft), False
    if publish:
        await tx.run(delete(ChatDraft).where(ChatDraft.gig_id == gig_id))
    else:
        await tx.run(update(ChatDraft).where(ChatDraft.gig_id == gig_id).values(state=state))
    current = await tx.one(gigs.GIG, gig_id=gig_id)  # the organisation may have edited it
    reply = compose_reply(
        replace(view, title=current.title) if view.title is not None else view,
        gig_url=gig_link(public_base_url, gig_id),
        status="created" if publish else "draft",
    )
    return Answered(gig_id=gig_id, reply=reply, language=view.language, published=publish)


@reads
async def any_expired(tx: Tx, *, now: datetime) -> bool:
    """Whether a chat draft waited longer than `DRAFT_LIFETIME` (a cheap, indexed look)."""
    return bool(await tx.scalars(_EXPIRED, now=now, limit=1))


@writes
async def drop_expired(tx: Tx, *, now: datetime, channels: Channels, limit: int = 100) -> int:
    """Cancel drafts nobody completed in `DRAFT_LIFETIME` and tell their senders.

    The delete is the claim: of processes that look at once, one deletes a draft's row
    and acts on it; the others find it gone (PostgreSQL re-checks the row after the lock).
    """
    expired = list(await tx.scalars(_EXPIRED, now=now, limit=limit))
    if not expired:
        return 0
    claimed = await tx.rows(
        delete(ChatDraft)
        .where(ChatDraft.gig_id.in_(expired), ChatDraft.expires_at <= now)
        .returning(ChatDraft)
    )
    for draft in claimed:
        gig = await tx.row(gigs.GIG, gig_id=draft.gig_id)
        if gig is None or gig.status != "draft":
            continue  # completed or published by its organisation meanwhile
        principal = Principal(role="organization", organization_id=draft.organization_id)
        await gigs.cancel(tx, principal=principal, gig_id=draft.gig_id)
        language: Language = "en" if draft.state.get("language") == "en" else "nl"
        day = format_day(to_local(draft.created_at).date(), language).rsplit(" ", 1)[0]
        await direct_messages.record_reply(
            tx, channels=channels, inbound_id=f"draft-dropped:{draft.gig_id}",
            inbound_channel=draft.channel, sender=draft.sender, language=language,
            reply=_DROPPED[language].format(title=gig.title, day=day),
            organization_id=draft.organization_id, gig_id=draft.gig_id, now=now,
        )  # fmt: skip
    return len(claimed)
