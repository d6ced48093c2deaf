"""Matching: `/volunteers/{id}/matches`, `/gigs/{id}/candidates`, `/matching/assignments`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query

from app.auth import AdminPrincipal, AuthenticatedPrincipal
from app.config import API_PREFIX
from app.dependencies import CachesDep, DatabaseDep
from app.matching.reasons import Lang
from app.pagination import Limit
from app.schemas.matching import (
    AssignmentProposal,
    AssignmentRead,
    AssignmentRequest,
    AssociationCandidateRead,
    CandidateList,
    GigMatchList,
    GigMatchRead,
    VolunteerCandidateRead,
)
from app.services import gigs, matching

router = APIRouter(prefix=API_PREFIX, tags=["matching"])
LangQuery = Annotated[
    Literal["nl", "en"] | None,
    Query(description="Language of `reasons`; else `Accept-Language`, else Dutch."),
]


async def preferred_lang(
    lang: LangQuery = None,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> Lang:
    """`?lang=` first, then the best of nl/en in `Accept-Language` (by q-value), else nl."""
    if lang is not None:
        return lang
    best: tuple[float, Lang] = (0.0, "nl")
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("nl", "en"):
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > best[0]:
            best = (quality, "en" if primary == "en" else "nl")
    return best[1]


PreferredLang = Annotated[Lang, Depends(preferred_lang)]
GigIdQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        description="Only this gig: ranked when it is offered, else `not_offered` says why.",
    ),
]


@router.get(
    "/volunteers/{volunteer_id}/matches",
    tags=["volunteers"],
    summary="Open gigs ranked for a volunteer (self, admin)",
    description=(
        "Only gigs one can still sign up for (open, one-off, in the future, not full, before "
        "the deadline); hard mismatches (time clash, already signed up, accessibility or "
        "guidance needs not met, no common language, past `max_hours_per_month`, a "
        "requirement not met) are left out; ask with `gig_id` to learn why one gig is not "
        f"offered. At most the {matching.MAX_GIGS_SCORED:,} soonest open gigs are scored."
    ),
)
async def volunteer_matches(
    volunteer_id: str,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    lang: PreferredLang,
    limit: Limit = 20,
    gig_id: GigIdQuery = None,
) -> GigMatchList:
    ranked = await matching.matches_for_volunteer(
        db, principal=principal, volunteer_id=volunteer_id, limit=limit, lang=lang, gig_id=gig_id
    )
    not_offered = None
    if gig_id is not None and not ranked:
        not_offered = await matching.why_not_offered(
            db, principal=principal, volunteer_id=volunteer_id, gig_id=gig_id, lang=lang
        )
    return GigMatchList(
        items=[
            GigMatchRead(
                gig=gigs.to_read(item.gig),
                score=item.match.score,
                breakdown=dict(item.match.breakdown),
                reasons=item.match.reasons,
            )
            for item in ranked
        ],
        not_offered=not_offered,
    )


@router.get(
    "/gigs/{gig_id}/candidates",
    tags=["gigs"],
    summary="Volunteers (one-off gig) or associations (group gig) ranked for a gig (owner, admin)",
    description=(
        "Hard mismatches are left out, never ranked low. A gig that can no longer take "
        "sign-ups (full, closed, past) has no candidates. Volunteers are shown without "
        "contact data."
    ),
)
async def gig_candidates(
    gig_id: str,
    principal: AuthenticatedPrincipal,
    db: DatabaseDep,
    caches: CachesDep,
    lang: PreferredLang,
    limit: Limit = 20,
) -> CandidateList:
    found = await matching.candidates_for_gig(
        db, caches, principal=principal, gig_id=gig_id, limit=limit, lang=lang
    )
    if found.kind == "group":
        return CandidateList(
            gig_id=gig_id,
            kind="group",
            items=[
                AssociationCandidateRead.model_validate(
                    {"association": card, "score": m.score, "breakdown": dict(m.breakdown),
                     "reasons": m.reasons}
                )
                for card, m in found.associations
            ],
        )  # fmt: skip
    return CandidateList(
        gig_id=gig_id,
        kind="one_off",
        items=[
            VolunteerCandidateRead.model_validate(
                {"volunteer": card, "score": m.score, "breakdown": dict(m.breakdown),
                 "reasons": m.reasons}
            )
            for card, m in found.volunteers
        ],
    )  # fmt: skip


@router.post(
    "/matching/assignments",
    status_code=200,
    summary="Propose volunteers for many one-off gigs at once (admin); nothing is booked",
    description=(
        "A proposal, not a booking: answered 200 and nothing is stored. Each volunteer is "
        "placed at most once per proposal, so nobody lands in two overlapping gigs. More than "
        "the limits (2,000 gigs, 10,000 volunteers, or a problem too large to solve in "
        "bounded time) is a 422."
    ),
)
async def propose_assignments(
    body: AssignmentRequest, principal: AdminPrincipal, db: DatabaseDep, caches: CachesDep
) -> AssignmentProposal:
    result = await matching.propose_assignments(
        db,
        caches,
        gig_ids=body.gig_ids,
        volunteer_ids=body.volunteer_ids,
        strategy=body.strategy,
    )
    return AssignmentProposal(
        assignments=[
            AssignmentRead(gig_id=a.gig_id, volunteer_id=a.volunteer_id, score=a.score)
            for a in result.assignments
        ],
        total_score=result.total_score,
        unfilled=result.unfilled,
    )
