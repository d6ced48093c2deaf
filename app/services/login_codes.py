"""A lost token: a 6-digit code sent by the volunteer's own channel, exchanged for a new
token. The code is kept as a hash, for `CODE_LIFETIME` and `MAX_TRIES`; a new request
replaces it; a new token ends the earlier ones. Whether a contact is known is never
told: the request is answered the same either way (the router also evens out the time).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, insert, select, update

from app.auth import VOLUNTEER_TOKEN_PREFIX, generate_token, hash_token
from app.db import Row, Tx, writes
from app.integrations.channels import Channels
from app.models import LoginCode, Volunteer
from app.services import direct_messages, rate_limits

CODE_LIFETIME: Final = timedelta(minutes=15)
MAX_TRIES: Final = 5
#: Codes sent to one contact per `CONTACT_PERIOD` seconds (more: the same answer, no code).
CONTACT_LIMIT: Final = 3
CONTACT_PERIOD: Final = 15 * 60
#: Exchanges tried per volunteer per day, over all their codes.
TRIES_PER_DAY: Final = 12
TRIES_PERIOD: Final = 24 * 3600


def contact_key(email: str | None, phone: str | None) -> str:
    """The rate-limit key of a contact: a hash, not the address itself."""
    contact = (email or "").lower() or phone or ""
    return "login-contact:" + hashlib.sha256(contact.encode()).hexdigest()[:32]


async def _volunteer(tx: Tx, email: str | None, phone: str | None, *, lock: bool) -> Row | None:
    query = select(Volunteer.id, Volunteer.name, Volunteer.email, Volunteer.phone,
                   Volunteer.languages)  # fmt: skip
    query = query.where(Volunteer.email == email.lower() if email else Volunteer.phone == phone)
    return await tx.row(query.with_for_update() if lock else query)


@writes
async def send(
    tx: Tx,
    *,
    email: str | None,
    phone: str | None,
    channels: Channels,
    now: datetime,
) -> None:
    """Send a new code to a known contact (within its limit); nothing for an unknown one."""
    counted = await rate_limits.count(
        tx, key=contact_key(email, phone), period_seconds=CONTACT_PERIOD, now=time.time()
    )
    volunteer = await _volunteer(tx, email, phone, lock=True)
    if volunteer is None or counted > CONTACT_LIMIT:
        return
    code = f"{secrets.randbelow(10**6):06d}"
    await tx.run(delete(LoginCode).where(LoginCode.volunteer_id == volunteer.id))
    await tx.run(
        insert(LoginCode).values(volunteer_id=volunteer.id, code_hash=hash_token(code),
                                 tries=0, expires_at=now + CODE_LIFETIME, created_at=now)
    )  # fmt: skip
    await direct_messages.record_login_code(
        tx, channels=channels, volunteer=volunteer, by_email=email is not None, code=code,
        minutes=int(CODE_LIFETIME.total_seconds() // 60), now=now,
    )  # fmt: skip


@writes
async def exchange(
    tx: Tx, *, email: str | None, phone: str | None, code: str, now: datetime
) -> tuple[str, str] | None:
    """(volunteer id, new token) for the right code; None otherwise (the try is counted,
    and committed: the caller answers 401)."""
    volunteer = await _volunteer(tx, email, phone, lock=True)
    if volunteer is None:
        return None
    # Tries per volunteer per day, whatever the codes: new codes do not buy new guesses.
    tried = await rate_limits.count(
        tx, key=f"login-tries:{volunteer.id}", period_seconds=TRIES_PERIOD, now=time.time()
    )
    if tried > TRIES_PER_DAY:
        return None
    stored = await tx.row(
        select(LoginCode).where(LoginCode.volunteer_id == volunteer.id).with_for_update()
    )
    if stored is None or stored.expires_at <= now or stored.tries >= MAX_TRIES:
        return None
    await tx.run(
        update(LoginCode).where(LoginCode.volunteer_id == volunteer.id)
        .values(tries=LoginCode.tries + 1)
    )  # fmt: skip
    if not hmac.compare_digest(stored.code_hash, hash_token(code)):
        return None
    token = generate_token(VOLUNTEER_TOKEN_PREFIX)
    await tx.run(
        update(Volunteer).where(Volunteer.id == volunteer.id)
        .values(access_token_hash=hash_token(token))
    )  # fmt: skip
    await tx.run(delete(LoginCode).where(LoginCode.volunteer_id == volunteer.id))
    return volunteer.id, token
