"""The dispatcher: hands events out to webhook subscriptions and delivers them, signed;
turns events into messages to people and sends them (`services.messages`).

It runs in every app process (started by the lifespan; `KLUSMAKELAAR_DISPATCHER=false`
leaves it to `klusmakelaar dispatch`, a process of its own). Processes on one database
share the work (`services.deliveries`): adding app containers adds delivery capacity,
and each attempt is made once. A commit that recorded events wakes it at once; other
processes' events are found by polling every `POLL_SECONDS`.

Each delivery is a POST of the event object (`{"id", "type", "created_at", "data"}`)
signed as Standard Webhooks say (`webhook-id` = the event id on every attempt,
`webhook-timestamp`, `webhook-signature`), through `integrations.outbound` (its rules
on addresses, timeouts and answer size). Up to `MAX_IN_FLIGHT` run at once, so a slow
receiver holds up only its own deliveries. Messages go the same way: up to
`MAX_MESSAGES_IN_FLIGHT` provider calls at once, through `integrations.channels`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Final

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from standardwebhooks import Webhook as Signer

from app.db import Database
from app.integrations import outbound
from app.integrations.channels import NO_CHANNELS, Channels, Outgoing, SendFailed
from app.integrations.message_vocabulary import Language
from app.integrations.quiet_hours import Window
from app.models.base import utcnow
from app.services import chat_drafts, deliveries, gig_series, message_sending, messages
from app.services.deliveries import Claimed
from app.services.message_sending import ClaimedMessage

logger = logging.getLogger("klusmakelaar.dispatcher")

POLL_SECONDS: Final = 1.0
ROUND_GAP: Final = 0.05
MAX_IN_FLIGHT: Final = 32
# Provider calls at once: with 50 ms answers, 64 sent 10,000 reminders in 33 s, 32 in
# 49 s (bench/bench_reminders.py). The Cloud API's own limit is 80 messages/s per number
# unless Meta raises it: its 429s are retried.
MAX_MESSAGES_IN_FLIGHT: Final = 64
MAINTAIN_EVERY: Final = 5.0
PURGE_EVERY: Final = 600.0
#: Gig series are kept 13 weeks ahead: checked at start and then every hour.
EXTEND_SERIES_EVERY: Final = 3600.0
USER_AGENT: Final = "Klusmakelaar-Webhooks/1"


class DispatchMetrics:
    """What the dispatcher counts, in the app's registry (`/metrics`)."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.events = Counter(
            "klusmakelaar_events_total", "Events written, by type.", ["type"], registry=registry
        )
        self.deliveries = Counter(
            "klusmakelaar_webhook_deliveries_total",
            "Webhook delivery attempts, by outcome (delivered, failed, abandoned, refused).",
            ["outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "klusmakelaar_webhook_delivery_latency_seconds",
            "From an event's commit to its receiver's 2xx.",
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600),
        )
        self.queue = Gauge(
            "klusmakelaar_webhook_queue_depth",
            "Webhook deliveries waiting or in flight.",
            registry=registry,
        )
        self.messages = Counter(
            "klusmakelaar_messages_total",
            "Attempts to send a message to a person, by channel and outcome "
            "(sent, retried, failed).",
            ["channel", "outcome"],
            registry=registry,
        )

    def written(self, event_types: Sequence[str]) -> None:
        """Count the events of a committed transaction."""
        for event_type in event_types:
            self.events.labels(event_type).inc()


class Dispatcher:
    """The loop of one process (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        *,
        allow_insecure: bool,
        retention: timedelta,
        metrics: DispatchMetrics,
        channels: Channels = NO_CHANNELS,
        public_base_url: str = "http://127.0.0.1:8000",
        reminder_hours: Sequence[float] = (),
        quiet_hours: Window | None = None,
    ) -> None:
        self._reminder_hours = tuple(reminder_hours)
        self._quiet_hours = quiet_hours
        self._database = database
        self._channels = channels
        self._public_base_url = public_base_url
        self._sending: set[asyncio.Task[None]] = set()
        #: Messages attempted and not yet recorded.
        self._sent: list[message_sending.Sent] = []
        self._provider_client: httpx.AsyncClient | None = None
        self._allow_insecure = allow_insecure
        self._retention = retention
        self.metrics = metrics
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._in_flight: set[asyncio.Task[None]] = set()
        #: Attempts made and not yet recorded (and whether the rules refused them).
        self._finished: list[tuple[deliveries.Attempt, bool]] = []
        self._client: httpx.AsyncClient | None = None
        self._last_maintenance = 0.0
        self._last_purge = 0.0
        self._last_series_extension: float | None = None

    def wake(self, event_types: Sequence[str] = ()) -> None:
        """A transaction recorded events: look for work now (a commit listener)."""
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Work until `stop`: hand out, claim, deliver, record; then wait for a wake-up or
        a poll (and at least `ROUND_GAP` between rounds, so that a busy moment's events
        go out in batches rather than one round each)."""
        self._wake = asyncio.Event()
        self._client = outbound.client()
        self._provider_client = httpx.AsyncClient(
            timeout=httpx.Timeout(self._channels.timeout, connect=outbound.CONNECT_TIMEOUT),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
        )
        try:
            while not self._stopping:
                started = time.monotonic()
                self._wake.clear()
                try:
                    await self.work_once()
                except Exception:  # the database may be down for a moment: try again
                    logger.exception("dispatcher: a round failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                await asyncio.sleep(max(0.0, started + ROUND_GAP - time.monotonic()))
        finally:
            busy = self._in_flight | self._sending
            if busy:
                await asyncio.wait(busy, timeout=outbound.TOTAL_TIMEOUT)
            with contextlib.suppress(Exception):
                await self._record()
            with contextlib.suppress(Exception):
                await self._record_messages()
            await self._client.aclose()
            await self._provider_client.aclose()

    async def work_once(self) -> int:
        """One round: finished attempts recorded, new events handed out, due deliveries
        started; how many started."""
        await self._record()
        new, due = await deliveries.waiting(self._database, now=utcnow())
        if new:
            while await deliveries.hand_out(self._database, now=utcnow()):
                pass
            due = True  # perhaps: the events just handed out
        room = MAX_IN_FLIGHT - len(self._in_flight)
        claimed = []
        if due and room:
            claimed = await deliveries.claim(self._database, now=utcnow(), limit=room)
        for item in claimed:
            task = asyncio.get_running_loop().create_task(self._deliver(item))
            self._in_flight.add(task)
            task.add_done_callback(self._delivered)
        started = len(claimed) + await self._messages_once()
        await self._maintain()
        return started

    async def _messages_once(self) -> int:
        """Messages: attempts recorded, new events turned into messages, due ones sent."""
        await self._record_messages()
        new, due = await message_sending.waiting(self._database, now=utcnow())
        if new:
            while await messages.hand_out(
                self._database, now=utcnow(), channels=self._channels,
                public_base_url=self._public_base_url, reminder_hours=self._reminder_hours,
                quiet=self._quiet_hours,
            ):  # fmt: skip
                pass
            due = True
        room = MAX_MESSAGES_IN_FLIGHT - len(self._sending)
        if not (due and room):
            return 0
        claimed = await message_sending.claim(self._database, now=utcnow(), limit=room)
        for item in claimed:
            task = asyncio.get_running_loop().create_task(self._send(item))
            self._sending.add(task)
            task.add_done_callback(self._message_done)
        return len(claimed)

    async def _record_messages(self) -> None:
        """Write down what the finished sends came to (as `_record` for deliveries)."""
        finished, self._sent = self._sent, []
        if not finished:
            return
        try:
            outcomes = await message_sending.record_sends(self._database, results=finished)
        except Exception:
            now = utcnow()
            self._sent = [sent for sent in finished if sent.claimed.lease_until > now] + self._sent
            raise
        for sent, outcome in zip(finished, outcomes, strict=True):
            if outcome != "stale":
                kind = {"queued": "retried"}.get(outcome, outcome)
                self.metrics.messages.labels(sent.claimed.channel, kind).inc()

    def _message_done(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if self._wake is not None:
            self._wake.set()

    async def _send(self, item: ClaimedMessage) -> None:
        assert self._provider_client is not None
        attempted_at = utcnow()
        channel = self._channels.by_name(item.channel)
        language: Language = "en" if item.language == "en" else "nl"
        outgoing = Outgoing(item.id, item.recipient, language, item.subject, item.body,
                            item.kind, item.in_window)  # fmt: skip
        provider_id: str | None = None
        error: str | None = None
        retry = True
        if channel is None:
            error, retry = f"the {item.channel} channel is not configured", False
        else:
            try:
                provider_id = await channel.send(self._provider_client, outgoing) or None
            except SendFailed as failure:
                error, retry = str(failure), failure.retry
            except (TimeoutError, httpx.TimeoutException):
                # The provider may have taken it: the retry carries the same key.
                error = f"no answer within {self._channels.timeout:g} s"
            except (httpx.HTTPError, OSError) as failure:
                error = f"{type(failure).__name__}: {failure}"[:300]
            except Exception as failure:  # a message that cannot be built: not retried
                logger.warning("message %s could not be sent: %r", item.id, failure)
                error, retry = f"could not be sent: {type(failure).__name__}", False
        self._sent.append(message_sending.Sent(item, attempted_at, provider_id, error, retry))

    async def _record(self) -> None:
        """Write down what the finished attempts came to, all in one transaction. Should it
        fail, they are tried again next round while their claims last (after that, the
        deliveries are attempted again: at least once)."""
        finished, self._finished = self._finished, []
        if not finished:
            return
        try:
            outcomes = await deliveries.record_attempts(
                self._database, attempts=[attempt for attempt, _ in finished]
            )
        except Exception:
            now = utcnow()
            kept = [item for item in finished if item[0].claimed.lease_until > now]
            self._finished = kept + self._finished
            raise
        for (_, refused), outcome in zip(finished, outcomes, strict=True):
            if outcome == "stale":
                continue
            kind = {"pending": "failed"}.get(outcome, outcome)
            self.metrics.deliveries.labels("refused" if refused else kind).inc()

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if self._wake is not None:
            self._wake.set()  # room for the next

    async def stop(self) -> None:
        """Finish the deliveries in flight and end `run`."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()

    async def _deliver(self, item: Claimed) -> None:
        assert self._client is not None
        attempted_at = utcnow()
        status_code: int | None = None
        error: str | None = None
        started = time.perf_counter()
        body = item.body.encode()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": item.event_id,
            "webhook-timestamp": str(int(attempted_at.timestamp())),
            "webhook-signature": Signer(item.secret).sign(
                msg_id=item.event_id, timestamp=attempted_at, data=item.body
            ),
        }
        refused = False
        try:
            answer = await outbound.post(
                self._client, item.url, content=body, headers=headers,
                allow_insecure=self._allow_insecure,
            )  # fmt: skip
            status_code = answer.status_code
            if not 200 <= status_code < 300:
                error = f"the receiver answered {status_code}"
        except outbound.NotAllowed as reason:
            refused = True
            error = f"not sent: {reason}"
        except TimeoutError:
            error = f"no answer within {outbound.TOTAL_TIMEOUT:g} s"
        except (httpx.HTTPError, OSError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:300]
        duration_ms = round((time.perf_counter() - started) * 1000)
        attempt = deliveries.Attempt(item, attempted_at, status_code, error, duration_ms)
        if attempt.ok:
            self.metrics.latency.observe((utcnow() - item.event_created_at).total_seconds())
        self._finished.append((attempt, refused))

    async def _maintain(self) -> None:
        now = time.monotonic()
        if now - self._last_maintenance < MAINTAIN_EVERY:
            return
        self._last_maintenance = now
        async with self._database.read() as tx:
            self.metrics.queue.set(await deliveries.queue_depth(tx))
        try:
            if await chat_drafts.any_expired(self._database, now=utcnow()):
                await chat_drafts.drop_expired(
                    self._database, now=utcnow(), channels=self._channels
                )
        except Exception:  # the purge below and the next round still run
            logger.exception("dropping expired chat drafts failed")
        if self._last_series_extension is None or (
            now - self._last_series_extension >= EXTEND_SERIES_EVERY
        ):
            self._last_series_extension = now
            try:  # idempotent, also when other processes run it at the same time
                await gig_series.extend_all(self._database, now=utcnow())
            except Exception:
                logger.exception("extending gig series failed")
        if now - self._last_purge >= PURGE_EVERY:
            self._last_purge = now
            await deliveries.purge(self._database, now=utcnow(), keep=self._retention)
