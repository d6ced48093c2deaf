"""Parallel redeliveries through a real server: one message, one gig, on every database."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import bearer, make_key, make_organization
from tests.integrations.inbound_helpers import (
    BRIDGE_PATH,
    COMPLETE_NL,
    WHATSAPP_PATH,
    cloud_delivery,
    cloud_signature,
    cloud_text,
    gigs_of,
    messages,
)
from tests.live_server import serve

PARALLEL = 8


def _in_parallel(
    base: str, path: str, body: bytes, headers: dict[str, str]
) -> list[httpx.Response]:
    barrier = threading.Barrier(PARALLEL)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=30) as http:
            barrier.wait()
            return http.post(path, content=body, headers=headers)

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(post, range(PARALLEL)))


def test_parallel_webhook_redeliveries_make_one_gig(app: FastAPI, client: TestClient) -> None:
    organization = make_organization(client, whatsapp_numbers=["+31612345678"])
    delivery = cloud_delivery([{"messages": [cloud_text("31612345678", COMPLETE_NL, "wamid.p")]}])
    body = json.dumps(delivery).encode()
    headers = {"X-Hub-Signature-256": cloud_signature(body), "Content-Type": "application/json"}
    with serve(app) as base:
        responses = _in_parallel(base, WHATSAPP_PATH, body, headers)
    assert [response.status_code for response in responses] == [200] * PARALLEL
    assert sum(response.json()["duplicates"] for response in responses) == PARALLEL - 1
    assert len(gigs_of(client, organization["id"])) == 1
    assert len(messages(client)) == 1


def test_parallel_bridge_repeats_are_one_201_and_the_rest_200(
    app: FastAPI, client: TestClient
) -> None:
    organization = make_organization(client, whatsapp_numbers=["+31612345678"])
    token = make_key(client, "integration")
    body = json.dumps({"message_id": "bridge-p", "from": "+31612345678", "text": COMPLETE_NL})
    headers = {**bearer(token), "Content-Type": "application/json"}
    with serve(app) as base:
        responses = _in_parallel(base, BRIDGE_PATH, body.encode(), headers)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (PARALLEL - 1) + [201]
    assert len({response.json()["gig"]["id"] for response in responses}) == 1
    assert len(gigs_of(client, organization["id"])) == 1
