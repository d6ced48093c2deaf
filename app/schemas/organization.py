"""Organisation request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, Field

from app.schemas.common import (
    LongText,
    Name,
    PatchModel,
    PhoneNumber,
    RequestModel,
    ResponseModel,
    Timestamp,
    WebsiteUrl,
)

OrganizationKind = Literal["volunteer_organization", "broker", "company", "initiative"]
WhatsappNumbers = Annotated[list[PhoneNumber], Field(max_length=20)]


class OrganizationCreate(RequestModel):
    """A new organisation (admin only)."""

    name: Name
    kind: OrganizationKind = "volunteer_organization"
    email: EmailStr | None = None
    phone: PhoneNumber | None = None
    whatsapp_numbers: WhatsappNumbers = Field(default_factory=list)
    website: WebsiteUrl | None = None
    description: LongText | None = None


class OrganizationUpdate(PatchModel):
    """A partial update: only the fields sent change; `null` clears an optional field."""

    not_nullable = frozenset({"name", "kind", "whatsapp_numbers"})

    name: Name | None = None
    kind: OrganizationKind | None = None
    email: EmailStr | None = None
    phone: PhoneNumber | None = None
    whatsapp_numbers: WhatsappNumbers | None = None
    website: WebsiteUrl | None = None
    description: LongText | None = None


class OrganizationRead(ResponseModel):
    """An organisation; `whatsapp_numbers` is null unless the caller is the admin or itself."""

    id: str
    name: str
    kind: OrganizationKind
    email: str | None
    phone: str | None
    whatsapp_numbers: list[str] | None = Field(
        description="E.164 numbers whose chat messages become this organisation's gigs; only "
        "the admin and the organisation itself see them. A number the admin sets is active at "
        "once. A number the organisation's own key sets waits in `whatsapp_numbers_pending` "
        "until that number sends back the 6-digit code it got by WhatsApp (valid 24 hours); "
        "the answer is the same whoever the number belongs to. A `PATCH` of "
        "`whatsapp_numbers` replaces the active and the pending numbers."
    )
    whatsapp_numbers_pending: list[str] | None = Field(
        default=None,
        description="Numbers the organisation's key added that wait for their code (null "
        "for other callers).",
    )
    website: str | None
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp
