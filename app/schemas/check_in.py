"""Check-in request and response models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.schemas.common import RequestModel, ResponseModel, Timestamp


class CheckInCodeRead(ResponseModel):
    """What the gig's organisation shows at the location (on a screen or printed)."""

    code: str = Field(description="6 digits; a new one every 5 minutes (the last one still works).")
    url: str = Field(description="The gig's public page in check-in mode.")
    qr_svg: str = Field(description="A QR code of `url`, as an SVG document.")
    expires_at: Timestamp = Field(
        description="When the next code is shown; this one is accepted 5 minutes longer."
    )


class CheckInRequest(RequestModel):
    """The code shown at the location."""

    code: Annotated[str, Field(min_length=1, max_length=12, examples=["492039"])]
