"""The server under parallel load: no deadlock between worker threads and pooled connections."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anyio.to_thread
import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from tests.factories import ADMIN
from tests.live_server import serve


def test_many_parallel_authenticated_requests_with_few_worker_threads(app: FastAPI) -> None:
    async def with_few_threads(scope: Scope, receive: Receive, send: Send) -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 3
        await app(scope, receive, send)

    with serve(with_few_threads) as base, httpx.Client(base_url=base, timeout=20) as client:

        def call(index: int) -> int:
            path = "/api/v1/api-keys" if index % 2 else "/api/v1/organizations?limit=5"
            return client.get(path, headers=ADMIN).status_code

        with ThreadPoolExecutor(max_workers=64) as pool:
            statuses = list(pool.map(call, range(400)))
    assert statuses == [200] * 400
