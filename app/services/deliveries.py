"""The webhook queue: events handed out to subscriptions, claimed, and what became of them.

Each step is one transaction, so a crash (or `kill -9`) between two of them loses
nothing: an event not yet handed out is handed out by the next `hand_out`; a delivery
whose claim ran out (`lease_until`) is claimed again; only a 2xx ends a delivery. With
several processes on PostgreSQL, `hand_out` runs in one at a time (the cursor's row,
`SKIP LOCKED`) and each delivery is claimed by one (`FOR UPDATE SKIP LOCKED`), so each
attempt is made once.

Retries: after 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, then daily, each
± 20 % (so that receivers coming back are not hit all at once), until 3 days after the
event: then the delivery is abandoned, and the log says so. A subscription that has not
had a 2xx for 3 days while failing is disabled (`webhook.disabled`, for the admin).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update

from app.db import Query, Row, Tx, in_ids, reads, writes
from app.models import ApiKey, Event, Webhook, WebhookAttempt, WebhookDelivery
from app.models.base import UTCDateTime
from app.services import events

RETRY_DELAYS: Final = (5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)
JITTER: Final = 0.2
GIVE_UP_AFTER: Final = timedelta(days=3)
DISABLE_AFTER: Final = timedelta(days=3)
LEASE: Final = timedelta(seconds=30)  # twice the longest attempt (outbound.TOTAL_TIMEOUT)
HAND_OUT_BATCH: Final = 500
_CURSOR = "webhooks"


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the ``attempt``-th failed attempt (1-based), with jitter."""
    base = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
    return timedelta(seconds=base * (rng or random).uniform(1 - JITTER, 1 + JITTER))


_SUBSCRIBERS = (
    select(Webhook.id, Webhook.event_types, Webhook.owner_role, Webhook.created_at)
    .outerjoin(ApiKey, ApiKey.id == Webhook.owner_key_id)
    .where(Webhook.status == "active", ApiKey.revoked_at.is_(None))
)


def _wants(webhook: Row, event: Row) -> bool:
    if event.audience == "admin" and webhook.owner_role != "admin":
        return False
    if webhook.event_types and event.type not in webhook.event_types:
        return False
    return bool(event.created_at >= webhook.created_at)


_DUE = or_(
    and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= bindparam("now")),
    and_(WebhookDelivery.status == "sending", WebhookDelivery.lease_until < bindparam("now")),
)


@reads
async def waiting(tx: Tx, *, now: datetime) -> tuple[bool, bool]:
    """(events to hand out, deliveries due): looked at without a lock or a write, so an
    idle dispatcher ends no transaction (which would change the data version)."""
    due = await tx.scalar(select(WebhookDelivery.id).where(_DUE).limit(1), now=now)
    if await tx.scalar(_SUBSCRIBERS.with_only_columns(Webhook.id).limit(1)) is None:
        # Nobody to hand out to: the cursor waits (a subscription gets only events from
        # its creation on, so the events it passes over then are none of its).
        return False, due is not None
    return await events.new_since(tx, _CURSOR), due is not None


@writes
async def hand_out(tx: Tx, *, now: datetime) -> int:
    """Give the next events to the subscriptions that want them; how many events (0 also
    when another process is doing it)."""
    position = await events.take_place(tx, _CURSOR)
    if position is None:
        return 0
    batch = await tx.rows(
        select(Event.seq, Event.txid, Event.id, Event.type, Event.audience, Event.created_at)
        .where(events.after(position))
        .order_by(Event.txid, Event.seq)
        .limit(HAND_OUT_BATCH)
    )
    if not batch:
        return 0
    subscribers = await tx.rows(_SUBSCRIBERS)
    rows = [
        {"webhook_id": webhook.id, "event_id": event.id, "status": "pending", "attempts": 0,
         "next_attempt_at": now, "created_at": event.created_at}
        for event in batch
        for webhook in subscribers
        if _wants(webhook, event)
    ]  # fmt: skip
    if rows:
        await tx.run_many(
            tx.insert(WebhookDelivery).on_conflict_do_nothing(
                index_elements=["webhook_id", "event_id"]
            ),
            rows,
        )
    await events.move_place(tx, _CURSOR, batch[-1])
    return len(batch)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery to attempt now: what to send where."""

    delivery_id: int
    attempt: int
    webhook_id: str
    url: str
    secret: str
    event_id: str
    event_created_at: datetime
    body: str
    lease_until: datetime


@writes
async def claim(tx: Tx, *, now: datetime, limit: int) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for this process, until `LEASE` from now."""
    due = await tx.rows(
        select(WebhookDelivery.id, WebhookDelivery.webhook_id, WebhookDelivery.event_id,
               WebhookDelivery.attempts)
        .where(_DUE)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True),
        now=now,
    )  # fmt: skip
    if not due:
        return []
    ids = [row.id for row in due]
    await tx.run(
        update(WebhookDelivery)
        .where(in_ids(WebhookDelivery.id, "ids"))
        .values(status="sending", lease_until=now + LEASE, attempts=WebhookDelivery.attempts + 1),
        ids=ids,
    )
    hooks = {
        row.id: row
        for row in await tx.rows(
            select(Webhook.id, Webhook.url, Webhook.secret, Webhook.status).where(
                in_ids(Webhook.id, "ids")
            ),
            ids=sorted({row.webhook_id for row in due}),
        )
    }
    stored = {
        row.id: row
        for row in await tx.rows(
            select(Event.id, Event.type, Event.created_at, Event.data).where(
                in_ids(Event.id, "ids")
            ),
            ids=sorted({row.event_id for row in due}),
        )
    }
    claimed: list[Claimed] = []
    for row in due:
        hook, event = hooks.get(row.webhook_id), stored.get(row.event_id)
        if hook is None or event is None or hook.status != "active":
            await tx.run(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == row.id)
                .values(status="abandoned", finished_at=now, lease_until=None)
            )
            continue
        claimed.append(
            Claimed(row.id, row.attempts + 1, hook.id, hook.url, hook.secret, event.id,
                    event.created_at, events.item_json(event), now + LEASE)
        )  # fmt: skip
    return claimed


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt came to: the receiver's status (None when none came) or why not."""

    claimed: Claimed
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# The end of an attempt: only while the delivery is still this attempt's (a claim that ran
# out may have been taken over by another attempt, whose outcome is the one that counts).
_FINISH = (
    update(WebhookDelivery)
    .where(
        WebhookDelivery.id == bindparam("delivery_id"),
        WebhookDelivery.status == "sending",
        WebhookDelivery.attempts == bindparam("attempt"),
    )
    .values(
        status=bindparam("new_status"),
        lease_until=None,
        finished_at=bindparam("finished_at", type_=UTCDateTime()),
        next_attempt_at=func.coalesce(
            bindparam("retry_at", type_=UTCDateTime()), WebhookDelivery.next_attempt_at
        ),
    )
)
_WORKS_AGAIN = (
    update(Webhook)
    .where(in_ids(Webhook.id, "ids"), Webhook.failing_since.is_not(None))
    .values(failing_since=None)
)


def _outcome(attempt: Attempt) -> tuple[str, dict[str, object]]:
    """(outcome, values for `_FINISH`) of an attempt."""
    now = attempt.attempted_at
    ids = {"delivery_id": attempt.claimed.delivery_id, "attempt": attempt.claimed.attempt}
    if attempt.ok:
        return "delivered", {**ids, "new_status": "delivered", "finished_at": now, "retry_at": None}
    if now - attempt.claimed.event_created_at >= GIVE_UP_AFTER:
        return "abandoned", {**ids, "new_status": "abandoned", "finished_at": now,
                             "retry_at": None}  # fmt: skip
    retry_at = now + retry_delay(attempt.claimed.attempt)
    return "pending", {**ids, "new_status": "pending", "finished_at": None, "retry_at": retry_at}


@writes
async def record_attempts(tx: Tx, *, attempts: Sequence[Attempt]) -> list[str]:
    """What each attempt came to, in one transaction: `delivered`, `pending` (to retry),
    `abandoned` (given up), or `stale` (its claim had run out and another attempt took
    the delivery over: it is not counted)."""
    decided = [_outcome(attempt) for attempt in attempts]
    changed = await tx.counts(*(Query(_FINISH, values) for _, values in decided))
    outcomes = [
        outcome if count else "stale" for (outcome, _), count in zip(decided, changed, strict=True)
    ]
    kept = [
        (attempt, outcome)
        for attempt, outcome in zip(attempts, outcomes, strict=True)
        if outcome != "stale"
    ]
    await tx.run_many(
        insert(WebhookAttempt),
        [
            {"webhook_id": attempt.claimed.webhook_id, "event_id": attempt.claimed.event_id,
             "attempted_at": attempt.attempted_at, "status_code": attempt.status_code,
             "error": _error(attempt, outcome), "duration_ms": attempt.duration_ms}
            for attempt, outcome in kept
        ],
    )  # fmt: skip
    working = sorted({attempt.claimed.webhook_id for attempt, _ in kept if attempt.ok})
    if working:
        tx.defer(_WORKS_AGAIN, ids=working)
    failing = sorted({attempt.claimed.webhook_id for attempt, _ in kept if not attempt.ok})
    for webhook_id in failing:
        last = max(a.attempted_at for a, _ in kept if a.claimed.webhook_id == webhook_id)
        await _note_failure(tx, webhook_id, last)
    return outcomes


def _error(attempt: Attempt, outcome: str) -> str | None:
    error = attempt.error
    if outcome == "abandoned":
        error = f"{error}; gave up after {GIVE_UP_AFTER.days} days of attempts"
    return error[:500] if error else None


async def _note_failure(tx: Tx, webhook_id: str, now: datetime) -> None:
    """Remember since when a subscription fails; disable it when that is too long."""
    await tx.run(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.failing_since.is_(None))
        .values(failing_since=now)
    )
    hook = await tx.one(
        select(Webhook.id, Webhook.url, Webhook.failing_since, Webhook.status).where(
            Webhook.id == webhook_id
        )
    )
    if hook.status != "active" or now - hook.failing_since < DISABLE_AFTER:
        return
    reason = f"no 2xx answer for {DISABLE_AFTER.days} days"
    await tx.run(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(status="disabled", disabled_at=now, disabled_reason=reason)
    )
    await tx.run(
        update(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status == "pending")
        .values(status="abandoned", finished_at=now)
    )
    events.record(tx, "webhook.disabled", events.disabled(hook.id, hook.url, reason),
                  audience="admin")  # fmt: skip


@writes
async def purge(tx: Tx, *, now: datetime, keep: timedelta) -> None:
    """Forget events, finished deliveries and attempts older than ``keep``."""
    cutoff = now - keep
    await tx.run(delete(Event).where(Event.created_at < cutoff))
    await tx.run(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(("delivered", "abandoned")),
            WebhookDelivery.created_at < cutoff,
        )
    )
    await tx.run(delete(WebhookAttempt).where(WebhookAttempt.attempted_at < cutoff))


async def queue_depth(tx: Tx) -> int:
    """Deliveries waiting or in flight."""
    return int(
        await tx.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.status.in_(("pending", "sending")))
        )
    )
