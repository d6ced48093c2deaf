"""FeedCache: makes of one feed under a stream of commits do not queue up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from app.services.feed_cache import FeedCache, FeedContent

WINDOW = datetime(2027, 1, 1, tzinfo=UTC)


def test_requests_at_ever_newer_versions_share_the_waiting_make() -> None:
    """Twenty requests, each after another commit (a new data version), while one make
    runs: they join the one make that waits to start, instead of queuing twenty."""
    made = 0

    async def content() -> FeedContent:
        nonlocal made
        made += 1
        await asyncio.sleep(0.05)
        return FeedContent(b"rows", lambda: (b"BEGIN:VCALENDAR", 0))

    async def scenario() -> tuple[list[bytes], float]:
        cache = FeedCache()
        loop = asyncio.get_running_loop()
        started = loop.time()
        requests = [cache.make("feed", f"v{index}", WINDOW, content) for index in range(20)]
        kept = await asyncio.wait_for(asyncio.gather(*requests), 5)
        return [feed.body for feed in kept], loop.time() - started

    bodies, seconds = asyncio.run(scenario())

    assert bodies == [b"BEGIN:VCALENDAR"] * 20
    assert made == 2  # the running make and the one that waited for it
    assert seconds < 0.5  # 20 makes one after another took 1 s


def test_a_new_minute_starts_its_own_make() -> None:
    windows: list[datetime] = []

    async def scenario() -> None:
        cache = FeedCache()

        def content_for(window: datetime):  # type: ignore[no-untyped-def]
            async def content() -> FeedContent:
                windows.append(window)
                await asyncio.sleep(0.02)
                return FeedContent(window.isoformat().encode(), lambda: (b"x", 0))

            return content

        later = WINDOW.replace(minute=1)
        await asyncio.gather(
            cache.make("feed", "v1", WINDOW, content_for(WINDOW)),
            cache.make("feed", "v2", WINDOW, content_for(WINDOW)),
            cache.make("feed", "v3", later, content_for(later)),
        )

    asyncio.run(scenario())

    assert windows.count(WINDOW.replace(minute=1)) == 1
