"""Reading sign-ups: per gig (for its organisation), per volunteer, and hours for a CV."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Association, Gig, Organization, Signup, Volunteer
from app.pagination import decode_cursor, split_page
from app.schemas.signup import GigSignupRead, SignupContact, SignupRead
from app.services.signups import involving_volunteer, member_ids, waitlist_positions


def to_read(session: Session, signups: list[Signup]) -> list[SignupRead]:
    """Response models for sign-ups, with waitlist positions and named members."""
    positions = waitlist_positions(session, signups)
    named = member_ids(session, signups)
    return [
        SignupRead(
            id=signup.id,
            gig_id=signup.gig_id,
            volunteer_id=signup.volunteer_id,
            association_id=signup.association_id,
            size=signup.size,
            member_ids=named.get(signup.id, []),
            status=signup.status,
            waitlist_position=positions.get(signup.id),
            attended=signup.attended,
            hours=signup.hours,
            created_at=signup.created_at,
        )
        for signup in signups
    ]


def list_for_gig(
    *, session: Session, gig: Gig, limit: int, cursor: str | None
) -> tuple[list[GigSignupRead], str | None]:
    """A gig's sign-ups in arrival order, each with whom to contact."""
    query = select(Signup).where(Signup.gig_id == gig.id)
    if cursor is not None:
        (after,) = decode_cursor(cursor, [int])
        query = query.where(Signup.queue_number > after)
    rows = list(session.scalars(query.order_by(Signup.queue_number).limit(limit + 1)))
    page, next_cursor = split_page(rows, limit, lambda signup: [signup.queue_number])
    volunteers = {
        volunteer.id: volunteer
        for volunteer in session.scalars(
            select(Volunteer).where(
                Volunteer.id.in_([s.volunteer_id for s in page if s.volunteer_id])
            )
        )
    }
    associations = {
        association.id: association
        for association in session.scalars(
            select(Association).where(
                Association.id.in_([s.association_id for s in page if s.association_id])
            )
        )
    }
    items = []
    for signup, read in zip(page, to_read(session, page), strict=True):
        contact = None
        if signup.volunteer_id in volunteers:
            volunteer = volunteers[signup.volunteer_id]
            contact = SignupContact(
                name=volunteer.name, email=volunteer.email, phone=volunteer.phone
            )
        elif signup.association_id in associations:
            association = associations[signup.association_id]
            contact = SignupContact(name=association.name, email=association.email, phone=None)
        items.append(GigSignupRead(**read.model_dump(), contact=contact))
    return items, next_cursor


def list_for_volunteer(
    *, session: Session, volunteer_id: str, limit: int, cursor: str | None
) -> tuple[list[SignupRead], str | None]:
    """The sign-ups a volunteer is part of (alone or named in a group), oldest first."""
    query = select(Signup).where(involving_volunteer(volunteer_id))
    if cursor is not None:
        (after,) = decode_cursor(cursor, [str])
        query = query.where(Signup.id > after)
    rows = list(session.scalars(query.order_by(Signup.id).limit(limit + 1)))
    page, next_cursor = split_page(rows, limit, lambda signup: [signup.id])
    return to_read(session, page), next_cursor


def history(*, session: Session, volunteer_id: str) -> list[dict[str, Any]]:
    """Every sign-up of a volunteer with its gig, for the export of personal data."""
    rows = session.execute(
        select(Signup, Gig.title, Gig.starts_at)
        .join(Gig, Gig.id == Signup.gig_id)
        .where(involving_volunteer(volunteer_id))
        .order_by(Signup.id)
    ).all()
    return [
        {
            "signup_id": signup.id,
            "gig_id": signup.gig_id,
            "gig_title": title,
            "gig_starts_at": starts_at.isoformat(),
            "status": signup.status,
            "attended": signup.attended,
            "hours": signup.hours,
            "created_at": signup.created_at.isoformat(),
        }
        for signup, title, starts_at in rows
    ]


def _format_hours(hours: float, lang: str) -> str:
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "nl" else text


def statement(name: str, by_organization: list[dict[str, Any]], total: float, lang: str) -> str:
    """A plain sentence for a CV naming the person, each organisation and the hours."""
    if not by_organization:
        if lang == "en":
            return f"{name} has no volunteering hours recorded yet."
        return f"{name} heeft nog geen vrijwilligersuren geregistreerd."
    if lang == "en":
        parts = [
            f"{_format_hours(row['hours'], 'en')} {'hour' if row['hours'] == 1 else 'hours'} "
            f"with {row['name']}"
            for row in by_organization
        ]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        total_text = _format_hours(total, "en")
        return f"{name} volunteered {total_text} hours through Klusmakelaar Groningen: {listed}."
    parts = [
        f"{_format_hours(row['hours'], 'nl')} uur bij {row['name']}" for row in by_organization
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]
    total_text = _format_hours(total, "nl")
    return (
        f"{name} heeft via Klusmakelaar Groningen {total_text} uur vrijwilligerswerk gedaan: "
        f"{listed}."
    )


def hours(*, session: Session, volunteer_id: str, lang: str) -> dict[str, Any]:
    """Recorded hours of a volunteer: total, per organisation, and the CV statement."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("No such volunteer.")
    rows = session.execute(
        select(Organization.id, Organization.name, func.sum(Signup.hours))
        .join(Gig, Gig.id == Signup.gig_id)
        .join(Organization, Organization.id == Gig.organization_id)
        .where(
            involving_volunteer(volunteer_id), Signup.attended.is_(True), Signup.hours.is_not(None)
        )
        .group_by(Organization.id, Organization.name)
        .order_by(func.sum(Signup.hours).desc(), Organization.name)
    ).all()
    by_organization: list[dict[str, Any]] = [
        {"organization_id": organization_id, "name": name, "hours": round(float(total or 0), 2)}
        for organization_id, name, total in rows
    ]
    total = round(sum(float(row["hours"]) for row in by_organization), 2)
    return {
        "total_hours": total,
        "by_organization": by_organization,
        "statement": statement(volunteer.name, by_organization, total, lang),
    }
