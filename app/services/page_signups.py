"""Signing up from a gig's public page, and a sign-up's own page, without logging in.

- A new person: registered and signed up in one transaction (`sign_up_newcomer`).
- A contact that is already registered: never signed up by whoever filled in the form.
  The contact is sent a link to confirm (`send_confirmation`), and following it signs
  the person up (`confirm`).
- A sign-up's own page, reached by its signed link (`page_links.signup_url`): see it,
  cancel it (`cancel`), or have one's data erased (`volunteers.erase`).

The rules are those of the API's use cases (`volunteers.register`, `signups.sign_up`,
`signups.cancel`), called with the principal the link or the form stands for.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam, delete, select

from app.auth import Principal
from app.db import Database, Row, Tx, reads, writes
from app.errors import NotFound
from app.integrations.channels import Channels
from app.integrations.inbound import gig_link
from app.integrations.message_texts import GigFacts
from app.models import Association, Gig, Organization, Signup, Volunteer
from app.schemas.signup import SignupCreate, SignupRead
from app.schemas.volunteer import VolunteerCreate
from app.services import direct_messages, signups, volunteers, waitlist
from app.services.page_links import CONFIRM_HOURS, LinkKeys, confirm_url

_VOLUNTEER = select(Volunteer.id).where(Volunteer.id == bindparam("volunteer_id"))
_GIG = select(Gig.id, Gig.organization_id, Gig.title, Gig.starts_at, Gig.ends_at,
              Gig.address, Gig.area, Gig.postcode, Gig.status).where(
    Gig.id == bindparam("gig_id"))  # fmt: skip
SIGNUP_PAGE = (
    select(
        Signup.id, Signup.gig_id, Signup.volunteer_id, Signup.association_id, Signup.size,
        Signup.status, Signup.attended, Signup.queue_number,
        Gig.title, Gig.starts_at, Gig.ends_at, Gig.address, Gig.postcode, Gig.area,
        Gig.online, Gig.status.label("gig_status"), Gig.waitlist_count,
        Volunteer.name.label("volunteer_name"), Association.name.label("association_name"),
        Organization.name.label("organization_name"),
    )
    .join(Gig, Gig.id == Signup.gig_id)
    .join(Organization, Organization.id == Gig.organization_id)
    .outerjoin(Volunteer, Volunteer.id == Signup.volunteer_id)
    .outerjoin(Association, Association.id == Signup.association_id)
    .where(Signup.id == bindparam("signup_id"))
)  # fmt: skip


def _as_volunteer(volunteer_id: str) -> Principal:
    return Principal(role="volunteer", volunteer_id=volunteer_id)


@writes
async def sign_up_newcomer(
    tx: Tx, *, volunteer_id: str, volunteer_in: VolunteerCreate, gig_id: str
) -> SignupRead:
    """Register a new person (as ``volunteer_id``) and sign them up for the gig, in one
    transaction: nobody is registered for a sign-up that failed its checks.

    ``volunteer_id`` is chosen by the caller, so a run again (`RunAgain`, after the
    sign-up's commit found the gig changed) finds the person it registered.
    """
    if await tx.scalar(_VOLUNTEER, volunteer_id=volunteer_id) is None:
        await volunteers.register(tx, volunteer_in=volunteer_in, volunteer_id=volunteer_id)
    return await signups.sign_up(
        tx,
        principal=_as_volunteer(volunteer_id),
        gig_id=gig_id,
        signup_in=SignupCreate(volunteer_id=volunteer_id),
    )


@writes
async def drop_newcomer(tx: Tx, *, volunteer_id: str) -> None:
    """Undo `sign_up_newcomer`'s registration when its sign-up failed after all.

    On PostgreSQL a sign-up sends its place with the COMMIT, and learns only then that
    the gig closed or changed: the person was registered in that commit. A newcomer
    without any sign-up is removed again, so a failed sign-up leaves nobody behind.
    """
    has_signups = select(Signup.id).where(Signup.volunteer_id == volunteer_id).exists()
    await tx.run(delete(Volunteer).where(Volunteer.id == volunteer_id, ~has_signups))


@reads
async def registered(tx: Tx, *, email: str | None, phone: str | None) -> Row | None:
    """The volunteer with this e-mail address or phone number, if any."""
    contact = volunteers.has_contact(email.lower() if email is not None else None, phone)
    if contact is None:
        return None
    return await tx.row(
        select(Volunteer.id, Volunteer.name, Volunteer.email, Volunteer.phone,
               Volunteer.languages, Volunteer.notifications).where(contact).limit(1)
    )  # fmt: skip


@writes
async def send_confirmation(
    tx: Tx,
    *,
    channels: Channels,
    keys: LinkKeys,
    base_url: str,
    volunteer: Row,
    by_email: bool,
    gig_id: str,
    now: datetime,
) -> Literal["queued", "unsendable", "already_sent"]:
    """Send ``volunteer`` a link that signs them up for the gig once they confirm, by the
    contact given on the form (`direct_messages.record_signup_link`)."""
    gig = await tx.row(_GIG, gig_id=gig_id)
    if gig is None:
        raise NotFound("No such gig.")
    url = confirm_url(base_url, keys, volunteer_id=volunteer.id, gig_id=gig_id, now=now)
    facts = GigFacts(title=gig.title, starts_at=gig.starts_at, ends_at=gig.ends_at,
                     address=gig.address, area=gig.area, postcode=gig.postcode,
                     url=gig_link(base_url, gig.id))  # fmt: skip
    return await direct_messages.record_signup_link(
        tx, channels=channels, volunteer=volunteer, by_email=by_email, gig=facts,
        gig_id=gig.id, organization_id=gig.organization_id, url=url, hours=CONFIRM_HOURS,
        now=now,
    )  # fmt: skip


@writes
async def confirm(tx: Tx, *, volunteer_id: str, gig_id: str) -> SignupRead:
    """Sign up the volunteer whose confirmation link was followed (the checks of
    `signups.sign_up`; 404 when the person was erased since)."""
    return await signups.sign_up(
        tx,
        principal=_as_volunteer(volunteer_id),
        gig_id=gig_id,
        signup_in=SignupCreate(volunteer_id=volunteer_id),
    )


@dataclass(frozen=True, slots=True)
class SignupPage:
    """A sign-up as its own page shows it: with its gig, and its place on the waitlist."""

    signup: Row
    waitlist_position: int | None


@reads
async def signup_page(tx: Tx, *, signup_id: str) -> SignupPage:
    """A sign-up's own page (404 when unknown)."""
    row = await tx.row(SIGNUP_PAGE, signup_id=signup_id)
    if row is None:
        raise NotFound("No such sign-up.")
    positions = await waitlist.positions(tx, [row])
    return SignupPage(signup=row, waitlist_position=positions.get(row.id))


_CONTACT = select(Volunteer.email, Volunteer.phone).where(Volunteer.id == bindparam("volunteer_id"))


async def erase_by_contact(
    database: Database, *, signup_id: str, email: str | None, phone: str | None
) -> bool:
    """Erase the person of a sign-up (`volunteers.erase`) if ``email`` or ``phone`` is the
    contact they registered with; whether they were (404 for an unknown sign-up)."""
    async with database.read() as tx:
        page = await signup_page(tx, signup_id=signup_id)
        volunteer_id = page.signup.volunteer_id
        person = await tx.row(_CONTACT, volunteer_id=volunteer_id) if volunteer_id else None
    if person is None or volunteer_id is None:
        return False
    matches = (email is not None and person.email is not None
               and hmac.compare_digest(email.lower(), person.email.lower())) or (
        phone is not None and person.phone is not None
        and hmac.compare_digest(phone, person.phone))  # fmt: skip
    if matches:
        await volunteers.erase(database, volunteer_id=volunteer_id)
    return bool(matches)


def signer(row: Row) -> Principal:
    """Who a sign-up's link stands for: its volunteer, or its group (404 when the person
    was erased: the sign-up is nobody's any more)."""
    if row.volunteer_id is not None:
        return _as_volunteer(row.volunteer_id)
    if row.association_id is not None:
        return Principal(role="association", association_id=row.association_id)
    raise NotFound("No such sign-up.")


@writes
async def cancel(tx: Tx, *, signup_id: str) -> SignupRead:
    """Cancel the sign-up whose link was followed, as its signer."""
    page = await signup_page(tx, signup_id=signup_id)
    return await signups.cancel(tx, principal=signer(page.signup), signup_id=signup_id)
