"""API key request and response models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.schemas.common import Name, RequestModel, ResponseModel, Timestamp

KeyRole = Literal["admin", "organization", "association", "integration"]


class ApiKeyCreate(RequestModel):
    """A new key; `organization` and `association` keys name the one they are bound to."""

    name: Name
    role: KeyRole
    organization_id: str | None = None
    association_id: str | None = None


class ApiKeyRead(ResponseModel):
    """A key as listed: never the token."""

    id: str
    name: str
    role: KeyRole
    organization_id: str | None
    association_id: str | None = None
    token_prefix: str = Field(description="The first characters of the token, to recognise it.")
    created_at: Timestamp
    revoked_at: Timestamp | None


class ApiKeyCreated(ApiKeyRead):
    """A key just created: the token is shown this once; only its hash is stored."""

    token: str | None = Field(
        description="The bearer token; null when an Idempotency-Key replays this response."
    )
