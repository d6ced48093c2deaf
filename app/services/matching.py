"""Matching use cases: gigs for a volunteer, candidates for a gig, assignment proposals.

The scoring itself is the pure ``app.matching`` package; this module loads its inputs
(``matching_data``), keeps the large volunteer pool warm (``matching_cache``, where the
cache and its invalidation are described) and checks who may ask.

Bounds, so that no request runs unbounded:
- matches for a volunteer score at most ``MAX_GIGS_SCORED`` open gigs, soonest first;
- an assignment proposal without ``gig_ids`` takes at most ``DEFAULT_ASSIGNMENT_GIGS``
  open one-off gigs (soonest first); with ``gig_ids`` at most ``MAX_ASSIGNMENT_GIGS``;
- without ``volunteer_ids`` it considers every volunteer when there are at most
  ``MAX_ASSIGNMENT_VOLUNTEERS``; with more, each gig's best ``PRESELECT_PER_SPOT`` x spots
  (at least ``PRESELECT_MIN``) from the whole pool, the best ``MAX_ASSIGNMENT_VOLUNTEERS``
  of them overall. That preselection scores every gig against the whole pool, so it is
  refused (422) past ``PRESELECT_CELLS`` gig x volunteer pairs: then give ``volunteer_ids``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy import select

from app.auth import Principal
from app.db import Database, Tx, reads
from app.errors import NotFound, ValidationFailed, field_error
from app.matching import (
    MAX_ASSIGNMENT_GIGS,
    MAX_ASSIGNMENT_VOLUNTEERS,
    AssignmentResult,
    AssociationMatch,
    GigProfile,
    ProblemTooLarge,
    VolunteerMatch,
    VolunteerPool,
    assign,
    rank_associations,
    rank_gigs_for_volunteer,
    rank_volunteers,
)
from app.matching.assignment import Strategy
from app.matching.factors import score_volunteers
from app.matching.reasons import Lang
from app.matching.requirements import why_not
from app.matching.scoring import GigMatch, top_k
from app.models import Gig
from app.models.base import utcnow
from app.services import gigs, requirements
from app.services.caches import Caches, PoolCache
from app.services.matching_associations import association_cards, association_profiles
from app.services.matching_data import (
    chunks,
    gig_profiles_of,
    open_gigs_query,
    pool_fingerprint,
    profiles_of,
    volunteer_card,
    volunteer_cards,
    volunteer_profiles,
    volunteer_rows,
)
from app.services.requirements import today

logger = logging.getLogger("klusmakelaar.matching")

MAX_GIGS_SCORED: Final = 2_000
DEFAULT_ASSIGNMENT_GIGS: Final = 200
PRESELECT_PER_SPOT: Final = 5
PRESELECT_MIN: Final = 20
PRESELECT_CELLS: Final = 25_000_000


class AssignmentTooLarge(ValidationFailed):
    type, title = "problem-too-large", "The assignment problem is larger than allowed"


@dataclass(frozen=True, slots=True)
class RankedGig:
    """A gig proposed to a volunteer, with its row for the response."""

    gig: Any
    match: GigMatch


@dataclass(frozen=True, slots=True)
class Candidates:
    """Ranked volunteers (one-off gig) or associations (group gig) with their public facts."""

    kind: str
    volunteers: list[tuple[dict[str, Any], VolunteerMatch]]
    associations: list[tuple[dict[str, Any], AssociationMatch]]


_NOT_OPEN: Final = {
    "nl": "Op deze klus kun je je niet (meer) aanmelden: hij is vol, gesloten, al begonnen "
    "of voor een groep.",
    "en": "This task takes no sign-ups (any more): it is full, closed, started, or for a group.",
}
_MISMATCH: Final = {
    "nl": "Deze klus past niet: hij valt samen met een klus waarvoor je bent aangemeld, je "
    "bent al aangemeld, of hij past niet bij je wensen (toegankelijkheid, begeleiding, taal, "
    "uren per maand).",
    "en": "This task does not fit: it clashes with a task you signed up for, you are signed "
    "up already, or it does not meet your needs (accessibility, guidance, language, hours a "
    "month).",
}


@reads
async def why_not_offered(
    tx: Tx, *, principal: Principal, volunteer_id: str, gig_id: str, lang: Lang
) -> list[str]:
    """Why `matches_for_volunteer` does not offer ``gig_id`` (404 for an unknown gig)."""
    gig = await gigs.visible_row(tx, principal=principal, gig_id=gig_id)
    now = utcnow()
    if await tx.row(open_gigs_query(now).where(Gig.id == gig_id)) is None:
        return [_NOT_OPEN[lang]]
    facts = await requirements.People.load(tx, [volunteer_id])
    unmet = facts.missing(gig, [volunteer_id])
    if unmet:
        return why_not(requirements.of_gig(gig), unmet, lang)
    return [_MISMATCH[lang]]


@reads
async def matches_for_volunteer(
    tx: Tx,
    *,
    principal: Principal,
    volunteer_id: str,
    limit: int,
    lang: Lang,
    gig_id: str | None = None,
) -> list[RankedGig]:
    """Open one-off gigs ranked for a volunteer (self or admin; others get 404); with
    ``gig_id`` that gig alone, when it is offered."""
    if not principal.acts_for_volunteer(volunteer_id):
        raise NotFound("No such volunteer.")
    now = utcnow()
    profiles = await volunteer_profiles(tx, now=now, volunteer_ids=[volunteer_id])
    if not profiles:
        raise NotFound("No such volunteer.")
    volunteer = profiles[0]
    query = open_gigs_query(now).limit(MAX_GIGS_SCORED)
    if gig_id is not None:
        query = query.where(Gig.id == gig_id)
    # Hard needs are cheap to apply in SQL; the pure module checks them again.
    if volunteer.needs_accessible:
        query = query.where(Gig.accessible.is_(True))
    if volunteer.needs_guidance:
        query = query.where(Gig.guidance_available.is_(True))
    rows = {row.id: row for row in await tx.rows(query)}
    gig_profiles = gig_profiles_of(rows.values())
    ranked = await asyncio.to_thread(
        rank_gigs_for_volunteer, volunteer, gig_profiles, now=now, limit=limit, lang=lang
    )
    return [RankedGig(rows[match.gig_id], match) for match in ranked]


async def candidates_for_gig(
    database: Database, caches: Caches, *, principal: Principal, gig_id: str, limit: int, lang: Lang
) -> Candidates:
    """Volunteers or associations ranked for a gig (its organisation or admin; others 404)."""
    now = utcnow()
    async with database.read() as tx:
        gig = await gigs.visible_row(tx, principal=principal, gig_id=gig_id)
        if not principal.acts_for_organization(gig.organization_id):
            raise NotFound("No such gig.")
        profiles = gig_profiles_of([gig])
        if not profiles:
            return Candidates(kind=gig.kind, volunteers=[], associations=[])
        profile = profiles[0]
        if gig.kind == "group":
            associations = await association_profiles(tx, now=now)
            ranked = rank_associations(profile, associations, now=now, limit=limit, lang=lang)
            cards = await association_cards(tx, [m.association_id for m in ranked], associations)
            found = [(cards[m.association_id], m) for m in ranked if m.association_id in cards]
            return Candidates(kind="group", volunteers=[], associations=found)
    pool = await volunteer_pool(database, caches.pool, now=now)
    matches = await asyncio.to_thread(
        rank_volunteers, profile, pool, now=now, limit=limit, lang=lang
    )
    async with database.read() as tx:
        people = await volunteer_cards(tx, [match.volunteer_id for match in matches])
    return Candidates(
        kind="one_off",
        volunteers=[
            (volunteer_card(people[m.volunteer_id], today()), m)
            for m in matches
            if m.volunteer_id in people
        ],
        associations=[],
    )


async def volunteer_pool(
    database: Database, cache: PoolCache[VolunteerPool], *, now: datetime
) -> VolunteerPool:
    """The pool of every volunteer, from the cache while it is right (`caches.pool`)."""
    data_version = await database.data_version()
    pool = cache.current(data_version)
    if pool is not None:
        return pool
    async with database.read() as tx:
        fingerprint = await pool_fingerprint(tx, now)
    pool = cache.matching(fingerprint, data_version)
    if pool is not None:
        return pool

    async def build() -> VolunteerPool:
        started = time.perf_counter()
        async with database.read(long=True) as tx:
            rows, bookings = await volunteer_rows(tx, now=now)
        built = await asyncio.to_thread(_build_pool, rows, bookings)
        logger.info(
            "volunteer pool built: %d volunteers in %.2f s",
            built.size,
            time.perf_counter() - started,
        )
        return built

    return await cache.rebuild(fingerprint, data_version, build)


def _build_pool(rows: Sequence[Any], bookings: Any) -> VolunteerPool:
    """Build the pool with the cyclic GC paused: the build allocates hundreds of
    thousands of objects without making cycles; collections meanwhile would walk the
    whole heap again and again for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return VolunteerPool.from_profiles(profiles_of(rows, bookings))
    finally:
        if was_enabled:
            gc.enable()


async def _assignment_gigs(tx: Tx, gig_ids: Sequence[str] | None, now: datetime) -> list[Any]:
    if gig_ids is None:
        return list(await tx.rows(open_gigs_query(now).limit(DEFAULT_ASSIGNMENT_GIGS)))
    unique = list(dict.fromkeys(gig_ids))
    rows: dict[str, Any] = {}
    for part in chunks(unique):
        query = select(Gig.__table__).where(Gig.id.in_(part))
        rows.update((row.id, row) for row in await tx.rows(query))
    unknown = [gig_id for gig_id in unique if gig_id not in rows]
    if unknown:
        raise field_error(["body", "gig_ids"], f"unknown gigs: {unknown[:10]}")
    groups = [gig_id for gig_id in unique if rows[gig_id].kind != "one_off"]
    if groups:
        raise field_error(
            ["body", "gig_ids"],
            f"group gigs are matched to associations (see /gigs/{{id}}/candidates): {groups[:10]}",
        )
    return [rows[gig_id] for gig_id in unique]


def _too_large(gig_profiles: Sequence[GigProfile], pool: VolunteerPool) -> None:
    if len(gig_profiles) * pool.size > PRESELECT_CELLS:
        raise AssignmentTooLarge(
            "Too many gigs to preselect from every volunteer: give `volunteer_ids`.",
            errors=[{"loc": ["body", "volunteer_ids"], "msg": "required for this many gigs"}],
        )


def _preselect(gig_profiles: Sequence[GigProfile], pool: VolunteerPool, now: datetime) -> list[str]:
    """The ids of the most promising volunteers of a pool too large to assign from."""
    best = np.full(pool.size, -np.inf)
    for gig in gig_profiles:
        scores = score_volunteers(gig, pool, now).scores
        rows = top_k(scores, max(PRESELECT_MIN, PRESELECT_PER_SPOT * gig.spots_left))
        best[rows] = np.maximum(best[rows], scores[rows])
    chosen = top_k(best, MAX_ASSIGNMENT_VOLUNTEERS)
    return [pool.ids[row] for row in sorted(chosen.tolist())]


async def _assignment_pool(
    database: Database,
    caches: Caches,
    volunteer_ids: Sequence[str] | None,
    gig_profiles: Sequence[GigProfile],
    now: datetime,
) -> VolunteerPool:
    if volunteer_ids is None:
        pool = await volunteer_pool(database, caches.pool, now=now)
        if pool.size <= MAX_ASSIGNMENT_VOLUNTEERS:
            return pool
        _too_large(gig_profiles, pool)
        ids = await asyncio.to_thread(_preselect, gig_profiles, pool, now)
        async with database.read() as tx:
            profiles = await volunteer_profiles(tx, now=now, volunteer_ids=ids)
        return VolunteerPool.from_profiles(profiles)
    unique = list(dict.fromkeys(volunteer_ids))
    async with database.read() as tx:
        profiles = await volunteer_profiles(tx, now=now, volunteer_ids=unique)
    known = {profile.id for profile in profiles}
    unknown = [volunteer_id for volunteer_id in unique if volunteer_id not in known]
    if unknown:
        raise field_error(["body", "volunteer_ids"], f"unknown volunteers: {unknown[:10]}")
    return VolunteerPool.from_profiles(profiles)


async def propose_assignments(
    database: Database,
    caches: Caches,
    *,
    gig_ids: Sequence[str] | None,
    volunteer_ids: Sequence[str] | None,
    strategy: Strategy,
) -> AssignmentResult:
    """A proposal of volunteers for open one-off gigs; nothing is booked."""
    if gig_ids is not None and len(set(gig_ids)) > MAX_ASSIGNMENT_GIGS:
        raise field_error(["body", "gig_ids"], f"at most {MAX_ASSIGNMENT_GIGS} gigs")
    now = utcnow()
    async with database.read() as tx:
        rows = await _assignment_gigs(tx, gig_ids, now)
    gig_profiles = gig_profiles_of(rows)
    pool = await _assignment_pool(database, caches, volunteer_ids, gig_profiles, now)
    try:
        return await asyncio.to_thread(assign, gig_profiles, pool, strategy=strategy, now=now)
    except ProblemTooLarge as exc:
        raise AssignmentTooLarge(str(exc), errors=[{"loc": ["body"], "msg": str(exc)}]) from None
