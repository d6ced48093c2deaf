"""Secret calendar tokens of associations, derived instead of stored.

token = HMAC-SHA256(instance secret, "<association id>:<calendar_token_version>").
The instance secret is made once by a migration; rotating a token bumps the version,
so the old token stops matching. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from sqlalchemy import select

from app.db import Tx
from app.models import InstanceSecret

_SECRET = select(InstanceSecret.value).where(InstanceSecret.name == "calendar")


async def instance_secret(tx: Tx) -> bytes:
    """The installation's secret that calendar tokens are derived from."""
    value = await tx.scalar(_SECRET)
    if value is None:
        raise RuntimeError("the instance secret is missing: run the migrations")
    return bytes.fromhex(value)


def calendar_token(secret: bytes, association: Any) -> str:
    """The association's current calendar token (its row has `id` and
    `calendar_token_version`)."""
    message = f"{association.id}:{association.calendar_token_version}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_matches(secret: bytes, association: Any, token: str) -> bool:
    """Whether ``token`` is the association's current calendar token."""
    return hmac.compare_digest(calendar_token(secret, association).encode(), token.encode())
