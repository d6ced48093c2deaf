"""`Idempotency-Key` through crashes and races, on real servers: the effect and the
record of its response commit together, before the response leaves."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.models import Gig, IdempotencyRecord
from app.models.base import utcnow
from tests.app_processes import app_process, organisation_key
from tests.conftest import ADMIN_TOKEN
from tests.direct import db_session
from tests.factories import gig_body
from tests.live_server import serve

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
STORM = 120
BODY = gig_body()  # one start time for the first requests and their retries


def _titles(database_url: str) -> Counter[str]:
    with db_session(database_url) as session:
        return Counter(session.scalars(select(Gig.title)))


def _post(base: str, index: int, headers: dict[str, str]) -> httpx.Response | None:
    try:
        return httpx.post(
            f"{base}/gigs",
            json={**BODY, "title": f"Klus {index}"},
            headers={**headers, "Idempotency-Key": f"key-{index}"},
            timeout=30,
        )
    except httpx.HTTPError:
        return None  # the server died under this request


def test_kill_9_mid_storm_then_the_same_keys_replay_and_create_nothing_twice(
    database_url: str,
) -> None:
    first_answers: dict[int, httpx.Response] = {}
    with app_process(database_url) as first:
        org = organisation_key(first)
        answered = threading.Event()

        def one(index: int) -> None:
            response = _post(first.base, index, org)
            if response is not None:
                first_answers[index] = response
                if len(first_answers) >= STORM // 3:
                    answered.set()

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(one, index) for index in range(STORM)]
            assert answered.wait(timeout=120)
            first.kill()  # requests in flight die in every state, also between effect and response
            for future in futures:
                future.result()
    created_before = {i for i, r in first_answers.items() if r.status_code == 201}
    assert created_before
    assert len(created_before) < STORM
    with app_process(database_url) as second:
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = pool.map(lambda index: _post(second.base, index, org), range(STORM))
            retries = dict(enumerate(answers))
        # A claim whose request died waits out its short claim time: make it old.
        with db_session(database_url) as session, session.begin():
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.status_code.is_(None))
                .values(created_at=utcnow() - timedelta(minutes=5))
            )
        for index, response in list(retries.items()):
            assert response is not None
            assert response.status_code in (201, 409), response.text
            if response.status_code == 409:
                assert response.headers["retry-after"]
                retries[index] = _post(second.base, index, org)
    for index, response in retries.items():
        assert response is not None
        assert response.status_code == 201, response.text
        if index in created_before:
            assert response.headers.get("idempotent-replayed") == "true"
            assert response.json() == first_answers[index].json()
    titles = _titles(database_url)
    assert {title: n for title, n in titles.items() if n > 1} == {}
    assert set(titles) == {f"Klus {index}" for index in range(STORM)}


def test_an_immediate_retry_after_the_201_replays(app: FastAPI, client: TestClient) -> None:
    org = client.post("/api/v1/organizations", json={"name": "Humanitas"}, headers=ADMIN).json()
    key = client.post(
        "/api/v1/api-keys",
        json={"name": "org", "role": "organization", "organization_id": org["id"]},
        headers=ADMIN,
    ).json()
    headers = {"Authorization": f"Bearer {key['token']}"}
    with serve(app) as base, httpx.Client(base_url=f"{base}/api/v1", timeout=30) as http:
        for index in range(30):
            keyed = {**headers, "Idempotency-Key": f"again-{index}"}
            body = gig_body(title=f"Klus {index}")
            created = http.post("/gigs", json=body, headers=keyed)
            again = http.post("/gigs", json=body, headers=keyed)
            assert created.status_code == 201
            assert again.status_code == 201, again.text
            assert again.headers["idempotent-replayed"] == "true"
            assert again.json()["id"] == created.json()["id"]


def test_the_same_json_written_differently_is_the_same_request(client: TestClient) -> None:
    headers = {**ADMIN, "Idempotency-Key": "spaced", "Content-Type": "application/json"}
    first = client.post(
        "/api/v1/organizations", content=b'{"name":"Vinkhuys","kind":"initiative"}',
        headers=headers,
    )  # fmt: skip
    second = client.post(
        "/api/v1/organizations",
        content=b'{ "kind" : "initiative",\n  "name" : "Vinkhuys" }',
        headers=headers,
    )
    assert first.status_code == 201
    assert second.status_code == 201, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    other = client.post("/api/v1/organizations", content=b'{"name": "Beijum"}', headers=headers)
    assert other.status_code == 422
