"""WhatsApp numbers an organisation posts from: who may add one, and how it becomes active.

A number the admin sets is active at once. A number an organisation key adds waits as a
claim (`WhatsappNumberClaim`): a 6-digit code goes to the number itself by WhatsApp, and
the claim becomes the organisation's active number when that number sends the code back
(`answer`, from the chat intake), within `CODE_LIFETIME` and `MAX_TRIES`. The answer to
the organisation is the same whether the number is free, pending elsewhere or active for
another organisation: nothing tells whose a number is. When the number answers, it moves
to the organisation it answered (the number's owner decides). Without a WhatsApp channel
(no Cloud API or WAHA configured) the code cannot go out, and never goes to bridges (an
integration key would read it): then only the admin can add numbers.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import bindparam, delete, select, update

from app.auth import hash_token
from app.db import Tx
from app.integrations.channels import Channels
from app.models import Organization, OrganizationWhatsappNumber, WhatsappNumberClaim
from app.models.base import utcnow
from app.services import direct_messages

CODE_LIFETIME: Final = timedelta(hours=24)
MAX_TRIES: Final = 5

_PENDING = (
    select(WhatsappNumberClaim.number)
    .where(WhatsappNumberClaim.organization_id == bindparam("organization_id"))
    .order_by(WhatsappNumberClaim.position)
)


async def pending(tx: Tx, organization_id: str) -> list[str]:
    """The organisation's numbers that wait for their code."""
    return list(await tx.scalars(_PENDING, organization_id=organization_id))


async def claim(
    tx: Tx,
    *,
    channels: Channels | None,
    organization_id: str,
    numbers: list[str],
    now: datetime | None = None,
) -> None:
    """Make ``numbers`` (not yet active for the organisation) its pending claims, each with
    a new code sent to the number; other pending claims of the organisation are dropped."""
    now = now or utcnow()
    await tx.run(
        delete(WhatsappNumberClaim).where(
            WhatsappNumberClaim.organization_id == organization_id,
            WhatsappNumberClaim.number.not_in(numbers or [""]),
        )
    )
    if not numbers:
        return
    name = await tx.scalar(select(Organization.name).where(Organization.id == organization_id))
    for position, number in enumerate(numbers):
        code = f"{secrets.randbelow(10**6):06d}"
        values = {"code_hash": hash_token(code), "attempts": 0, "position": position,
                  "expires_at": now + CODE_LIFETIME, "created_at": now}  # fmt: skip
        await tx.run(
            tx.insert(WhatsappNumberClaim)
            .values(organization_id=organization_id, number=number, **values)
            .on_conflict_do_update(index_elements=["organization_id", "number"], set_=values)
        )
        await direct_messages.record_number_code(
            tx, channels=channels, organization_id=organization_id, organization=str(name),
            number=number, code=code, hours=int(CODE_LIFETIME.total_seconds() // 3600), now=now,
        )  # fmt: skip


async def drop(tx: Tx, organization_id: str) -> None:
    """Forget the organisation's pending claims (the admin set its numbers)."""
    await tx.run(
        delete(WhatsappNumberClaim).where(WhatsappNumberClaim.organization_id == organization_id)
    )


async def answer(tx: Tx, *, sender: str, text: str, now: datetime) -> str | None:
    """When ``text`` from ``sender`` is the code of a pending claim of that number: the
    number becomes active for that organisation; its id. Otherwise None (a wrong code
    counts as a try of every pending claim of the number)."""
    said = "".join(text.split())
    if len(said) != 6 or not said.isdigit():
        return None
    claims = await tx.rows(
        select(WhatsappNumberClaim)
        .where(WhatsappNumberClaim.number == sender, WhatsappNumberClaim.expires_at > now,
               WhatsappNumberClaim.attempts < MAX_TRIES)
        .with_for_update()
    )  # fmt: skip
    if not claims:
        return None
    matched = next(
        (row for row in claims if hmac.compare_digest(row.code_hash, hash_token(said))), None
    )
    if matched is None:
        await tx.run(
            update(WhatsappNumberClaim)
            .where(WhatsappNumberClaim.number == sender)
            .values(attempts=WhatsappNumberClaim.attempts + 1)
        )
        return None
    organization_id: str = matched.organization_id
    await tx.run(
        delete(OrganizationWhatsappNumber).where(OrganizationWhatsappNumber.number == sender)
    )
    await tx.run(
        tx.insert(OrganizationWhatsappNumber).values(
            number=sender, organization_id=organization_id, position=matched.position
        )
    )
    await tx.run(delete(WhatsappNumberClaim).where(WhatsappNumberClaim.number == sender))
    await tx.run(
        update(Organization).where(Organization.id == organization_id).values(updated_at=now)
    )
    return organization_id
