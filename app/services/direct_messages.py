"""Messages made directly, not from the event log: the reply to a chat message, a login
code, a number's confirmation code, and a link to confirm a sign-up from a gig's page.

Each is made in the transaction of what asked for it (`message_rows.make`) and sent by
the dispatcher like every other message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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
from app.models.base import new_id
from app.services.message_rows import Plan, make


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
    contact, sent to that contact only. At most one a day per person and gig (its key),
    so the form cannot be used to flood someone: `already_sent` then. `unsendable`: no
    channel reaches the contact (recorded as failed, without its text)."""
    phone, email = (None, volunteer.email) if by_email else (volunteer.phone, None)
    channel, recipient = channels.for_person(phone, email)
    language = language_of(volunteer.languages)
    text = render_signup_link(language, name=volunteer.name, gig=gig, url=url, hours=hours)
    # Like a login code, never handed to bridges: whoever reads it could sign the person up.
    unsendable = channel == "none"
    key = f"signup_link:{volunteer.id}:{gig_id}:{now.date().isoformat()}"
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
