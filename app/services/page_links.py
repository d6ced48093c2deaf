"""Links that act without logging in: a sign-up's own page, a confirmation, the form's
CSRF token. Each is an HMAC, so nothing about them is stored.

The keys are derived from the installation's secret (`calendar_tokens.instance_secret`,
made once by migration 0002), one per purpose, so a token made for one use never
passes for another:

- a sign-up's link `/s/{signup_id}?t=<token>`: token = HMAC(signup key, signup id);
  whoever holds it may see and cancel that sign-up, and nothing else;
- a confirmation `/g/{gig_id}/confirm?v=<volunteer>&e=<expiry>&t=<token>`, sent to an
  already registered contact by its own channel: token = HMAC(confirm key, volunteer,
  gig, expiry);
- the sign-up form's CSRF token (`app.web.csrf`): HMAC(form key, the cookie's nonce).

Tokens are 128 bits of the HMAC-SHA256, base64url; comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from app.db import Tx
from app.services.calendar_tokens import instance_secret

#: How long a confirmation link works.
CONFIRM_HOURS: Final = 48
_TOKEN_BYTES: Final = 16


@dataclass(frozen=True, slots=True)
class LinkKeys:
    """The keys of the links, each derived from the instance secret for one purpose."""

    signup: bytes
    confirm: bytes
    form: bytes

    @classmethod
    def derive(cls, secret: bytes) -> LinkKeys:
        """The keys of ``secret`` (the same secret always gives the same keys)."""

        def key(purpose: str) -> bytes:
            return hmac.new(secret, f"klusmakelaar:{purpose}".encode(), hashlib.sha256).digest()

        return cls(signup=key("signup-link"), confirm=key("confirm-link"), form=key("form"))


async def read_keys(tx: Tx) -> LinkKeys:
    """The link keys of this installation (one read of the instance secret)."""
    return LinkKeys.derive(await instance_secret(tx))


def sign(key: bytes, message: str) -> str:
    """The token of ``message`` under ``key``."""
    digest = hmac.digest(key, message.encode(), "sha256")[:_TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signed(key: bytes, message: str, token: str | None) -> bool:
    """Whether ``token`` is the token of ``message`` under ``key`` (constant-time)."""
    if not token or len(token) > 64:
        return False
    return hmac.compare_digest(sign(key, message).encode(), token.encode("utf-8", "replace"))


def signup_token(keys: LinkKeys, signup_id: str) -> str:
    """The token of a sign-up's own page."""
    return sign(keys.signup, f"signup:{signup_id}")


def signup_url(base_url: str, keys: LinkKeys, signup_id: str) -> str:
    """The link to a sign-up's own page (see it, cancel it)."""
    return f"{base_url}/s/{signup_id}?t={signup_token(keys, signup_id)}"


def confirm_message(volunteer_id: str, gig_id: str, expires: int) -> str:
    """What a confirmation token signs."""
    return f"confirm:{volunteer_id}:{gig_id}:{expires}"


def confirm_url(
    base_url: str, keys: LinkKeys, *, volunteer_id: str, gig_id: str, now: datetime
) -> str:
    """A link that signs ``volunteer_id`` up for ``gig_id`` once followed and confirmed
    (valid `CONFIRM_HOURS`)."""
    expires = int(now.timestamp()) + CONFIRM_HOURS * 3600
    token = sign(keys.confirm, confirm_message(volunteer_id, gig_id, expires))
    return f"{base_url}/g/{gig_id}/confirm?v={volunteer_id}&e={expires}&t={token}"
