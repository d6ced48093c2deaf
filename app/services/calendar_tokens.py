"""Secret calendar tokens of associations, derived instead of stored.

token = HMAC-SHA256(instance secret, "<association id>:<calendar_token_version>").
The instance secret is made once by a migration; rotating a token bumps the version,
so the old token stops matching. Comparisons are constant-time.

A feed kept in memory (`feed_cache.FeedCache`) holds the SHA-256 of its token
(`token_digest`), so a poll checks the token without the database: one hash of what
the caller sent and a constant-time comparison of two 32-byte digests
(`digest_matches`), whatever the token's length.
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


def token_digest(token: str) -> bytes:
    """The SHA-256 of a calendar token, as a kept feed holds it."""
    return hashlib.sha256(token.encode()).digest()


def digest_matches(digest: bytes | None, token: str | None) -> bool:
    """Whether ``token`` is the one whose `token_digest` is ``digest`` (constant-time)."""
    if digest is None or not token:
        return False
    return hmac.compare_digest(digest, token_digest(token))
