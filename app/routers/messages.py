"""`/api/v1/messages`: what the service told people (admin; organisations: their gigs)."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth import OrganizationPrincipal
from app.config import API_PREFIX
from app.dependencies import DatabaseDep
from app.pagination import Cursor, Limit, Page
from app.schemas.message import MessageKind, MessageRead, MessageStatus
from app.services import messages

router = APIRouter(prefix=API_PREFIX, tags=["messages"])


@router.get(
    "/messages",
    summary="Messages sent to people, newest first (admin; an organisation: its own gigs)",
    description=(
        "Confirmations, waitlist places, promotions, changes, cancellations, thanks and "
        "replies to chat messages: made from the event log once each (never two copies), "
        "sent over WhatsApp (Cloud API or WAHA) for a phone number, else e-mail. An "
        "organisation key sees the messages about its gigs and its chat messages."
    ),
)
async def list_messages(
    principal: OrganizationPrincipal,
    db: DatabaseDep,
    volunteer_id: str | None = None,
    status: MessageStatus | None = None,
    kind: MessageKind | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[MessageRead]:
    rows, next_cursor = await messages.list_page(
        db, principal=principal, limit=limit, cursor=cursor,
        volunteer_id=volunteer_id, status=status, kind=kind,
    )  # fmt: skip
    return Page(items=[MessageRead.model_validate(row) for row in rows], next_cursor=next_cursor)
