"""Attestations: an organisation saw a volunteer's VOG or driving licence."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from app.schemas.common import RequestModel, ResponseModel, Timestamp

AttestationKind = Literal["vog", "driving_licence"]


class AttestationCreate(RequestModel):
    """ "We have seen it": what, and until when it is valid. Never the document itself."""

    kind: AttestationKind = Field(
        description="`vog` (certificate of conduct) or `driving_licence`."
    )
    valid_until: date = Field(description="Its last valid day (YYYY-MM-DD); not in the past.")
    seen_on: date | None = Field(
        default=None, description="When it was seen (YYYY-MM-DD); left out: today. Not later."
    )


class AttestationRead(ResponseModel):
    """A recorded attestation, and who recorded it."""

    id: str
    volunteer_id: str
    kind: AttestationKind
    valid_until: date
    seen_on: date
    organization_id: str | None = Field(description="Who recorded it; null: the admin.")
    created_at: Timestamp
