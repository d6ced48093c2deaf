"""Student association request and response models."""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from app.schemas.common import (
    Area,
    Category,
    Name,
    PatchModel,
    RequestModel,
    ResponseModel,
    Timestamp,
)

Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80
    ),
]
Categories = Annotated[list[Category], Field(max_length=12)]
Areas = Annotated[list[Area], Field(max_length=50)]


class AssociationCreate(RequestModel):
    """A new association (admin); `slug` is derived from `name` when left out."""

    name: Name
    slug: Slug | None = None
    contractus: bool = False
    email: EmailStr | None = None
    preferred_categories: Categories = Field(default_factory=list)
    preferred_areas: Areas = Field(default_factory=list)


class AssociationUpdate(PatchModel):
    """A partial update."""

    not_nullable = frozenset(
        {"name", "slug", "contractus", "preferred_categories", "preferred_areas"}
    )

    name: Name | None = None
    slug: Slug | None = None
    contractus: bool | None = None
    email: EmailStr | None = None
    preferred_categories: Categories | None = None
    preferred_areas: Areas | None = None


class AssociationRead(ResponseModel):
    """An association; `calendar_url` only for the association itself and the admin."""

    id: str
    slug: str
    name: str
    contractus: bool
    email: str | None
    member_count: int = Field(description="Registered members (read-only).")
    preferred_categories: list[str]
    preferred_areas: list[str]
    calendar_url: str | None = Field(
        description="Secret feed address; null unless the caller is the association or the admin."
    )
    created_at: Timestamp
    updated_at: Timestamp


class MemberAdd(RequestModel):
    """Join an association, with the volunteer's own token (or as the admin)."""

    volunteer_id: str


class MemberRead(ResponseModel):
    """A member as the association sees it: name and since when, nothing more."""

    volunteer_id: str
    name: str
    joined_at: Timestamp
