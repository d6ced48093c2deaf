"""Secret calendar tokens of associations, derived instead of stored.

token = HMAC-SHA256(instance secret, "<association id>:<calendar_token_version>").
The instance secret is made once by a migration; rotating a token bumps the version,
so the old token stops matching. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Association, InstanceSecret

_secrets: dict[str, bytes] = {}


def _instance_secret(session: Session) -> bytes:
    cache_key = str(session.get_bind().engine.url)
    secret = _secrets.get(cache_key)
    if secret is None:
        value = session.scalar(
            select(InstanceSecret.value).where(InstanceSecret.name == "calendar")
        )
        if value is None:
            raise RuntimeError("the instance secret is missing: run the migrations")
        secret = _secrets[cache_key] = bytes.fromhex(value)
    return secret


def calendar_token(session: Session, association: Association) -> str:
    """The association's current calendar token."""
    message = f"{association.id}:{association.calendar_token_version}".encode()
    digest = hmac.new(_instance_secret(session), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_matches(session: Session, association: Association, token: str) -> bool:
    """Whether ``token`` is the association's current calendar token."""
    return hmac.compare_digest(calendar_token(session, association).encode(), token.encode())
