"""Check-in on the spot: a short code per gig that changes every few minutes, check-in
with it, and check-out that records attendance with the hours in between.

The code works like TOTP (RFC 6238): HMAC of the time window's number under the gig's
own key, truncated to `CODE_DIGITS` digits. The gig's key is derived from the
installation's secret for this purpose and the gig's id, so nothing is stored and a
code of one gig never opens another. The code of the window before is accepted too, so
a code read just before it changes still works.
"""

from __future__ import annotations

import hmac
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

import segno
from sqlalchemy import bindparam, select, update

from app.auth import Principal
from app.db import Row, Tx, reads, writes
from app.errors import Conflict, NotFound, ValidationFailed
from app.integrations.check_in_texts import render_check_in
from app.integrations.inbound import gig_link
from app.integrations.message_vocabulary import Language
from app.models import Gig, Signup, Volunteer
from app.models.base import utcnow
from app.schemas.signup import SignupRead
from app.services import gigs, signup_reads, signups, volunteers
from app.services.calendar_tokens import instance_secret

WINDOW: Final = timedelta(minutes=5)
CODE_DIGITS: Final = 6
#: Check-in opens this long before the start, and closes at the end.
EARLY: Final = timedelta(minutes=30)
_PURPOSE: Final = b"klusmakelaar:check-in"


class CheckInClosed(Conflict):
    type, title = (
        "check-in-closed",
        "Check-in is open from 30 minutes before the start until the end",
    )


class InvalidCheckInCode(ValidationFailed):
    type, title = "invalid-check-in-code", "The check-in code is wrong or has expired"


class NotCheckedIn(Conflict):
    type, title = "not-checked-in", "Check in before checking out"


class AlreadyCheckedOut(Conflict):
    type, title = "already-checked-out", "The sign-up's attendance is already recorded"


@dataclass(frozen=True, slots=True)
class CheckInCode:
    """What the owner shows at the location."""

    code: str
    url: str
    qr_svg: str
    expires_at: datetime


def gig_key(secret: bytes, gig_id: str) -> bytes:
    """The gig's own key for its codes."""
    purpose_key = hmac.digest(secret, _PURPOSE, "sha256")
    return hmac.digest(purpose_key, gig_id.encode(), "sha256")


def _window(moment: datetime) -> int:
    return int(moment.timestamp() // WINDOW.total_seconds())


def code_at(key: bytes, window: int) -> str:
    """The code of time window ``window`` (dynamic truncation as in RFC 4226)."""
    digest = hmac.digest(key, window.to_bytes(8, "big"), "sha256")
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def code_matches(key: bytes, code: str, now: datetime) -> bool:
    """Whether ``code`` is the code of this window or the one before (constant-time)."""
    current = _window(now)
    given = code.strip().encode("utf-8", "replace")
    matches = [hmac.compare_digest(code_at(key, w).encode(), given) for w in (current, current - 1)]
    return any(matches)


def check_in_open(gig: Row, now: datetime) -> bool:
    """Whether ``now`` is within the gig's check-in time."""
    return bool(gig.starts_at - EARLY <= now < gig.ends_at)


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as a standalone SVG document."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=4, xmldecl=False, title="Check-in", svgclass=None, lineclass=None
    )
    return out.getvalue().decode()


@reads
async def code_for(tx: Tx, *, principal: Principal, gig_id: str, base_url: str) -> CheckInCode:
    """The gig's current code, its check-in URL and QR code (the owner, the admin)."""
    gig = await gigs.visible_row(tx, principal=principal, gig_id=gig_id)
    if not principal.acts_for_organization(gig.organization_id):
        raise NotFound("No such gig.")
    now = utcnow()
    window = _window(now)
    url = f"{gig_link(base_url, gig.id)}?checkin=1"
    return CheckInCode(
        code=code_at(gig_key(await instance_secret(tx), gig.id), window),
        url=url,
        qr_svg=qr_svg(url),
        expires_at=datetime.fromtimestamp((window + 1) * WINDOW.total_seconds(), UTC),
    )


_SIGNUP = select(Signup).where(Signup.id == bindparam("signup_id"))
_CHECK_IN = (
    update(Signup).where(Signup.id == bindparam("signup_id")).values(checked_in_at=bindparam("at"))
)


async def _own_confirmed(tx: Tx, principal: Principal, signup_id: str) -> tuple[Row, Row]:
    signup, gig = await signups.lock_for_change(tx, signup_id)
    if not signups.is_signer(principal, signup):
        raise NotFound("No such sign-up.")
    if signup.status != "confirmed":
        raise signups.SignupNotConfirmed(f"The sign-up is {signup.status}.")
    return signup, gig


async def check_in_locked(tx: Tx, signup: Row, gig: Row, code: str, now: datetime) -> SignupRead:
    """Check ``signup`` (confirmed, its gig locked) in with ``code``: 409 outside the
    check-in time or after attendance was recorded, 422 for a wrong code. Checking in
    again changes nothing."""
    if signup.attended is not None:
        raise AlreadyCheckedOut("Attendance is already recorded for this sign-up.")
    if not check_in_open(gig, now):
        raise CheckInClosed("Check in from 30 minutes before the start until the end.")
    if not code_matches(gig_key(await instance_secret(tx), gig.id), code, now):
        raise InvalidCheckInCode(
            "Ask the organisation for the code that is shown now.",
            errors=[{"loc": ["body", "code"], "msg": "not this gig's current code"}],
        )
    if signup.checked_in_at is None:
        await tx.run(_CHECK_IN, signup_id=signup.id, at=now)
    fresh = await tx.one(_SIGNUP, signup_id=signup.id)
    return (await signup_reads.to_read(tx, [fresh]))[0]


@writes
async def check_in(tx: Tx, *, principal: Principal, signup_id: str, code: str) -> SignupRead:
    """Check in with the code the organisation shows (the signer, the admin)."""
    signup, gig = await _own_confirmed(tx, principal, signup_id)
    return await check_in_locked(tx, signup, gig, code, utcnow())


_ON_NOW = (
    select(Signup.id, Gig.id.label("gig_id"), Gig.title, Gig.starts_at, Gig.ends_at)
    .join(Gig, Gig.id == Signup.gig_id)
    .where(
        Signup.volunteer_id == bindparam("volunteer_id"),
        Signup.status == "confirmed",
        Gig.status == "open",
        Gig.starts_at <= bindparam("opens_by"),
        Gig.ends_at > bindparam("now"),
    )
    .order_by(Gig.starts_at, Signup.id)
)


async def by_chat(
    tx: Tx, *, volunteer: Row, code: str, now: datetime, language: Language
) -> tuple[str, str | None]:
    """Check a volunteer in by chat (`inchecken <code>`) for the gig of theirs that is on
    now, or starts within `EARLY`, whose code it is: the reply, and the gig's id."""
    on_now = await tx.rows(_ON_NOW, volunteer_id=volunteer.id, opens_by=now + EARLY, now=now)
    if not on_now:
        return render_check_in("no_gig_now", language), None
    secret = await instance_secret(tx)
    found = next((row for row in on_now if code_matches(gig_key(secret, row.gig_id), code, now)),
                 None)  # fmt: skip
    if found is None:
        return render_check_in("wrong_code", language), None
    facts = {"name": volunteer.name, "title": found.title, "when": (found.starts_at, found.ends_at)}
    signup, gig = await signups.lock_for_change(tx, found.id)
    if signup.attended is not None:
        return render_check_in("recorded", language, **facts), gig.id
    if signup.status != "confirmed":  # cancelled meanwhile
        return render_check_in("no_gig_now", language), None
    await check_in_locked(tx, signup, gig, code, now)
    return render_check_in("checked_in", language, **facts), gig.id


#: What a check-in on the gig's page came to (`by_page`).
PageOutcome = Literal["checked_in", "recorded", "closed", "wrong_code", "not_found"]


@writes
async def by_page(
    tx: Tx, *, gig_id: str, email: str | None, phone: str | None, code: str, now: datetime
) -> PageOutcome:
    """Check in on the gig's public page (`/g/{id}?checkin=1`, the link of the QR code)
    with the contact a volunteer signed up with and the code shown on the spot.

    The code is checked before the contact, so that without the code nothing is told
    about who signed up. One-person sign-ups only, as by chat.
    """
    gig = await tx.row(_GIG, gig_id=gig_id)
    if gig is None or gig.status != "open" or not check_in_open(gig, now):
        return "closed"
    if not code_matches(gig_key(await instance_secret(tx), gig_id), code, now):
        return "wrong_code"
    contact = volunteers.has_contact(email.lower() if email is not None else None, phone)
    if contact is None:
        return "not_found"
    found = await tx.row(_SIGNUP_OF_CONTACT.where(contact), gig_id=gig_id)
    if found is None:
        return "not_found"
    signup, locked = await signups.lock_for_change(tx, found.id)
    if signup.status != "confirmed":  # cancelled meanwhile
        return "not_found"
    if locked.status != "open":  # cancelled or completed meanwhile
        return "closed"
    if signup.attended is not None:
        return "recorded"
    try:
        await check_in_locked(tx, signup, locked, code, now)
    except CheckInClosed:  # the gig's time changed meanwhile
        return "closed"
    return "checked_in"


_GIG = select(Gig.id, Gig.status, Gig.starts_at, Gig.ends_at).where(Gig.id == bindparam("gig_id"))
_SIGNUP_OF_CONTACT = (
    select(Signup.id)
    .join(Volunteer, Volunteer.id == Signup.volunteer_id)
    .where(Signup.gig_id == bindparam("gig_id"), Signup.status == "confirmed")
    .order_by(Signup.id)
    .limit(1)
)


def hours_between(gig: Row, checked_in_at: datetime, now: datetime) -> float:
    """Hours from check-in to check-out, to the nearest quarter (at least one quarter),
    at most what attendance may record (`signups.max_hours`)."""
    quarters = max(round((now - checked_in_at).total_seconds() / 900), 1)
    return min(quarters / 4, signups.max_hours(gig))


@writes
async def check_out(tx: Tx, *, principal: Principal, signup_id: str) -> SignupRead:
    """Check out: attendance is recorded with the hours since check-in (the signer, the
    admin); the organisation may still correct it."""
    signup, gig = await _own_confirmed(tx, principal, signup_id)
    return await check_out_locked(tx, signup, gig, utcnow())


async def check_out_locked(tx: Tx, signup: Row, gig: Row, now: datetime) -> SignupRead:
    """Check ``signup`` (confirmed, its gig locked) out: its attendance and hours."""
    if signup.checked_in_at is None:
        raise NotCheckedIn("Check in with the gig's code first.")
    if signup.attended is not None:
        raise AlreadyCheckedOut("Attendance is already recorded for this sign-up.")
    hours = hours_between(gig, signup.checked_in_at, now)
    return await signups.attended(tx, signup.id, came=True, hours=hours, checked_out_at=now)


_CHECKED_IN = (
    select(Signup.id, Gig.title)
    .join(Gig, Gig.id == Signup.gig_id)
    .where(
        Signup.volunteer_id == bindparam("volunteer_id"),
        Signup.status == "confirmed",
        Signup.checked_in_at.is_not(None),
        Signup.attended.is_(None),
    )
    .order_by(Signup.checked_in_at.desc())
    .limit(1)
)


async def out_by_chat(
    tx: Tx, *, volunteer: Row, now: datetime, language: Language
) -> tuple[str, str | None]:
    """Check a volunteer out by chat (`uitchecken`) of the gig they last checked in for:
    the reply, and the gig's id."""
    found = await tx.row(_CHECKED_IN, volunteer_id=volunteer.id)
    if found is None:
        return render_check_in("not_checked_in", language), None
    signup, gig = await signups.lock_for_change(tx, found.id)
    if signup.attended is not None or signup.status != "confirmed":  # changed meanwhile
        return render_check_in("not_checked_in", language), None
    read = await check_out_locked(tx, signup, gig, now)
    reply = render_check_in(
        "checked_out", language, name=volunteer.name, title=found.title, hours=read.hours or 0
    )
    return reply, gig.id
