"""Volunteers: register, read, update, export and erase for good."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import VOLUNTEER_TOKEN_PREFIX, Principal, generate_token, hash_token
from app.errors import Conflict, NotFound, ValidationFailed
from app.etags import check_if_match, etag_for
from app.models import (
    Association,
    AssociationMember,
    Gig,
    IdempotencyRecord,
    InboundMessage,
    RateLimitCounter,
    Signup,
    Volunteer,
)
from app.models.base import utcnow
from app.schemas.volunteer import VolunteerCreate, VolunteerUpdate
from app.services import signups

ERASER = Principal(role="admin", key_id="erasure")


class VolunteerExists(Conflict):
    type, title = "volunteer-exists", "This e-mail address or phone number is already registered"


def _ensure_contact_free(
    session: Session, *, email: str | None, phone: str | None, except_id: str | None = None
) -> None:
    conditions = []
    if email is not None:
        conditions.append(Volunteer.email == email)
    if phone is not None:
        conditions.append(Volunteer.phone == phone)
    if not conditions:
        return
    query = select(Volunteer.id).where(or_(*conditions))
    if except_id is not None:
        query = query.where(Volunteer.id != except_id)
    if session.execute(query.limit(1)).first() is not None:
        raise VolunteerExists("Sign in with the token you received, or use another contact.")


def register(*, session: Session, volunteer_in: VolunteerCreate) -> tuple[Volunteer, str]:
    """A new volunteer and its access token (shown once; only the hash is kept)."""
    email = volunteer_in.email.lower() if volunteer_in.email else None
    _ensure_contact_free(session, email=email, phone=volunteer_in.phone)
    token = generate_token(VOLUNTEER_TOKEN_PREFIX)
    fields = volunteer_in.model_dump(exclude={"consent", "email"})
    volunteer = Volunteer(**fields, email=email, access_token_hash=hash_token(token))
    session.add(volunteer)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Someone registered the same contact in a parallel request.
        raise VolunteerExists(
            "Sign in with the token you received, or use another contact."
        ) from None
    return volunteer, token


def get(*, session: Session, volunteer_id: str, for_update: bool = False) -> Volunteer:
    """One volunteer, or 404."""
    query = select(Volunteer).where(Volunteer.id == volunteer_id)
    if for_update:
        query = query.with_for_update()
    volunteer = session.scalars(query).one_or_none()
    if volunteer is None:
        raise NotFound("No such volunteer.")
    return volunteer


def update(
    *, session: Session, volunteer_id: str, volunteer_in: VolunteerUpdate, if_match: str | None
) -> Volunteer:
    """Apply a partial update; a volunteer always keeps an e-mail or a phone."""
    volunteer = get(session=session, volunteer_id=volunteer_id, for_update=True)
    check_if_match(if_match, etag_for(volunteer.id, volunteer.version))
    changes: dict[str, Any] = volunteer_in.changes()
    if "email" in changes and changes["email"] is not None:
        changes["email"] = changes["email"].lower()
    if "availability" in changes:
        changes["availability"] = [
            window.model_dump() for window in volunteer_in.availability or []
        ]
    email = changes.get("email", volunteer.email)
    phone = changes.get("phone", volunteer.phone)
    if email is None and phone is None:
        raise ValidationFailed(
            "A volunteer keeps an e-mail address or a phone number.",
            errors=[{"loc": ["body"], "msg": "give an `email` or a `phone`"}],
        )
    lat = changes.get("lat", volunteer.lat)
    lon = changes.get("lon", volunteer.lon)
    if (lat is None) != (lon is None):
        raise ValidationFailed(
            "Coordinates come in pairs.",
            errors=[{"loc": ["body", "lat"], "msg": "give both `lat` and `lon`, or neither"}],
        )
    _ensure_contact_free(
        session,
        email=changes.get("email"),
        phone=changes.get("phone"),
        except_id=volunteer.id,
    )
    for field, value in changes.items():
        setattr(volunteer, field, value)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise VolunteerExists("That contact belongs to another volunteer.") from None
    return volunteer


def memberships(*, session: Session, volunteer_id: str) -> list[dict[str, Any]]:
    """The associations the volunteer is a member of."""
    rows = session.execute(
        select(AssociationMember.association_id, Association.name, AssociationMember.joined_at)
        .join(Association, Association.id == AssociationMember.association_id)
        .where(AssociationMember.volunteer_id == volunteer_id)
        .order_by(AssociationMember.joined_at)
    ).mappings()
    return [dict(row) for row in rows]


def erase(*, session: Session, volunteer_id: str) -> None:
    """Erase the volunteer for good: the row, memberships and stored responses about them.

    Memberships go with the row (ON DELETE CASCADE). Sign-ups of past gigs keep no link
    to the person: their `volunteer_id` is set to NULL by the database, so only counts and
    hours remain. Chat messages from the person's phone number lose sender and text.
    """
    volunteer = get(session=session, volunteer_id=volunteer_id, for_update=True)
    # Sign-ups for gigs still to come are cancelled (their spots go to the waitlist);
    # those of gigs that started stay, anonymous, as counts and hours.
    upcoming = session.scalars(
        select(Signup.id)
        .join(Gig, Gig.id == Signup.gig_id)
        .where(
            Signup.volunteer_id == volunteer.id,
            Signup.status != "cancelled",
            Gig.starts_at > utcnow(),
        )
    ).all()
    for signup_id in upcoming:
        signups.cancel(session=session, principal=ERASER, signup_id=signup_id)
    if volunteer.phone is not None:
        session.execute(
            sql_update(InboundMessage)
            .where(InboundMessage.sender == volunteer.phone)
            .values(sender=None, text=None, reply=None)
        )
        session.execute(
            delete(RateLimitCounter).where(RateLimitCounter.key == f"whatsapp:{volunteer.phone}")
        )
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.subject == volunteer.id))
    session.execute(delete(AssociationMember).where(AssociationMember.volunteer_id == volunteer.id))
    session.delete(volunteer)
    session.flush()
