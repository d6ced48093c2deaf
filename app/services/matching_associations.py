"""Loading the associations' matching inputs (group gigs) into the pure profiles of
``app.matching``: members, past engagement, busy times and sign-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.db import Tx
from app.matching import AssociationProfile
from app.models import Association, AssociationMember, Gig, Signup
from app.services.matching_data import ACTIVE_STATUSES, Bookings, collect_bookings, month_bounds


async def association_profiles(tx: Tx, *, now: datetime) -> list[AssociationProfile]:
    """Every association with its members, engagement, busy times and sign-ups."""
    members: dict[str, int] = dict(
        await tx.rows(
            select(AssociationMember.association_id, func.count()).group_by(
                AssociationMember.association_id
            )
        )
    )
    engagement: dict[str, float] = dict(
        await tx.rows(
            select(Signup.association_id, func.sum(Signup.hours * Signup.size))
            .where(
                Signup.association_id.is_not(None),
                Signup.status == "confirmed",
                Signup.attended.is_(True),
                Signup.hours.is_not(None),
            )
            .group_by(Signup.association_id)
        )
    )
    booking_rows = await tx.rows(
        select(Signup.association_id, Signup.gig_id, Signup.status, Gig.starts_at, Gig.ends_at)
        .join(Gig, Gig.id == Signup.gig_id)
        .where(
            Signup.association_id.is_not(None),
            Signup.status.in_(ACTIVE_STATUSES),
            Gig.ends_at > now,
        )
    )
    bookings = collect_bookings(booking_rows, month_bounds(now))
    associations = await tx.rows(
        select(
            Association.id,
            Association.name,
            Association.preferred_categories,
            Association.preferred_areas,
        ).order_by(Association.id)
    )
    profiles = []
    for row in associations:
        booking = bookings.get(row.id) or Bookings()
        profiles.append(
            AssociationProfile(
                id=row.id,
                name=row.name,
                preferred_categories=tuple(row.preferred_categories or ()),
                preferred_areas=tuple(row.preferred_areas or ()),
                member_count=int(members.get(row.id, 0)),
                past_engagement_hours=float(engagement.get(row.id) or 0.0),
                busy=tuple(booking.busy),
                signed_up_gig_ids=frozenset(booking.gig_ids),
            )
        )
    return profiles


async def association_cards(
    tx: Tx, association_ids: Sequence[str], profiles: Sequence[AssociationProfile]
) -> dict[str, dict[str, Any]]:
    """Public facts of proposed associations: id, name, slug and member count."""
    member_counts = {profile.id: profile.member_count for profile in profiles}
    rows = await tx.rows(
        select(Association.id, Association.name, Association.slug).where(
            Association.id.in_(association_ids)
        )
    )
    return {row.id: {**row.as_dict(), "member_count": member_counts.get(row.id, 0)} for row in rows}
