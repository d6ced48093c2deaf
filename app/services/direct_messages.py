"""Messages made directly, not from the event log: the reply to a chat message, a login
code, a number's confirmation code, and a link to confirm a sign-up from a gig's page.

Each is made in the transaction of what asked for it (`message_rows.make`) and sent by
the dispatcher like every other message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import Row, Tx
from app.integrations.channels import Channels
from app.integrations.message_texts import (
    GigFacts,
    language_of,
    render_login_code,
    render_number_code,
    render_signup_link,
)
from app.models import Message
from app.models.base import new_id
from app.services import rate_limits
from app.services.message_rows import Plan, make

#: Links to confirm a sign-up that one person may be sent in a day, whatever the gigs.
SIGNUP_LINKS_PER_DAY: Final = 3


async def record_reply(
    tx: Tx,
    *,
    channels: Channels,
    inbound_id: str,
    inbound_channel: str,
    sender: str,
    language: str,
    reply: str,
    organization_id: str | None,
    gig_id: str | None,
    now: datetime,
    kind: str = "reply",
) -> None:
    """The reply to a chat message (``kind`` "ack" for an answer to a reminder, STOP or
    START), made with the message's handling: sent by the channel it came in on (the
    bridge's is in its answer already)."""
    channel = channels.for_chat(inbound_channel)
    status = "sent" if channel == "bridge" else "queued"
    await make(
        tx,
        [Plan(key=f"reply:{inbound_id}", kind=kind, channel=channel, recipient=sender,
               volunteer_id=None, association_id=None, organization_id=organization_id,
               gig_id=gig_id, signup_id=None, language=language, subject=None, body=reply,
               status=status)],
        now=now,
    )  # fmt: skip


async def record_login_code(
    tx: Tx,
    *,
    channels: Channels,
    volunteer: Row,
    by_email: bool,
    code: str,
    minutes: int,
    now: datetime,
) -> None:
    """A login code, by the channel of the contact it was asked for (sent at once; its
    text is blanked once it has gone)."""
    phone, email = (None, volunteer.email) if by_email else (volunteer.phone, None)
    channel, recipient = channels.for_person(phone, email)
    language = language_of(volunteer.languages)
    text = render_login_code(language, code=code, minutes=minutes)
    # Never handed to bridges (an integration key would read the code): without a channel
    # for the contact, the request is recorded as failed, without its text.
    unsendable = channel == "none"
    await make(
        tx,
        [Plan(key=f"login_code:{new_id('code')}", kind="login_code", channel=channel,
               recipient=recipient, volunteer_id=volunteer.id, association_id=None,
               organization_id=None, gig_id=None, signup_id=None, language=language,
               subject=None if unsendable else text.subject,
               body="" if unsendable else text.body,
               status="failed" if unsendable else "queued")],
        now=now,
    )  # fmt: skip


async def record_number_code(
    tx: Tx,
    *,
    channels: Channels | None,
    organization_id: str,
    organization: str,
    number: str,
    code: str,
    hours: int,
    now: datetime,
) -> None:
    """The code that asks ``number`` to confirm it posts for the organisation (Dutch, then
    English: nothing tells which the number's owner reads). Like a login code it never goes
    to bridges: without a WhatsApp channel it is recorded as failed, without its text."""
    channel, recipient = channels.for_person(number, None) if channels else ("none", number)
    unsendable = channel == "none"
    dutch, english = (
        render_number_code(language, organization=organization, code=code, hours=hours)
        for language in ("nl", "en")
    )
    await make(
        tx,
        [Plan(key=f"number_code:{new_id('code')}", kind="number_code", channel=channel,
               recipient=recipient, volunteer_id=None, association_id=None,
               organization_id=organization_id, gig_id=None, signup_id=None, language="nl",
               subject=None if unsendable else dutch.subject,
               body="" if unsendable else f"{dutch.body}\n\n{english.body}",
               status="failed" if unsendable else "queued")],
        now=now,
    )  # fmt: skip


async def record_signup_link(
    tx: Tx,
    *,
    channels: Channels,
    volunteer: Row,
    by_email: bool,
    gig: GigFacts,
    gig_id: str,
    organization_id: str,
    url: str,
    hours: int,
    now: datetime,
) -> Literal["queued", "unsendable", "already_sent"]:
    """A link to confirm a sign-up that was asked for on a gig's page with a registered
    contact, sent to that contact only.

    Whoever fills in the form need not be the contact's owner, so the form must not be a
    way to flood someone: at most one a day per person and gig (its key), and at most
    `SIGNUP_LINKS_PER_DAY` a day per person; past either, nothing more is made
    (`already_sent`). `unsendable`: no channel reaches the contact, or the person chose
    no messages (recorded as failed, without its text).
    """
    key = f"signup_link:{volunteer.id}:{gig_id}:{now.date().isoformat()}"
    made_before = await tx.scalar(select(Message.status).where(Message.key == key))
    if made_before is not None:
        return "unsendable" if made_before in ("failed", "suppressed") else "already_sent"
    phone, email = (None, volunteer.email) if by_email else (volunteer.phone, None)
    channel, recipient = channels.for_person(phone, email)
    if (volunteer.notifications or {}).get("channel") == "none":
        channel = "none"
    # Like a login code, never handed to bridges: whoever reads it could sign the person up.
    unsendable = channel == "none"
    counted = await rate_limits.count(tx, key=f"signup-link:{volunteer.id}",
                                      period_seconds=86_400, now=now.timestamp())  # fmt: skip
    if counted > SIGNUP_LINKS_PER_DAY:
        return "unsendable" if unsendable else "already_sent"
    language = language_of(volunteer.languages)
    text = render_signup_link(language, name=volunteer.name, gig=gig, url=url, hours=hours)
    try:
        async with tx.savepoint():  # the same form sent twice at once: one message
            made = await make(
                tx,
                [Plan(key=key, kind="signup_link", channel=channel, recipient=recipient,
                      volunteer_id=volunteer.id, association_id=None,
                      organization_id=organization_id, gig_id=gig_id, signup_id=None,
                      language=language, subject=None if unsendable else text.subject,
                      body="" if unsendable else text.body,
                      status="failed" if unsendable else "queued")],
                now=now,
            )  # fmt: skip
    except IntegrityError:
        made = 0
    if not made:
        return "already_sent"
    return "unsendable" if unsendable else "queued"
