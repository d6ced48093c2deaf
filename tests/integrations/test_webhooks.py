"""Webhooks delivered to real HTTP receivers on 127.0.0.1 by the app's own dispatcher:
signed (verified with the `standardwebhooks` package), retried with the same id, not
held up by a slow receiver, and sent only where the address rules allow."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from app.config import Settings
from app.main import create_app
from app.models import Webhook, WebhookDelivery
from app.services import deliveries
from tests.direct import db_session, run
from tests.factories import ADMIN, bearer, make_gig, make_key, organization_with_key
from tests.integrations.receiver import eventually, free_port, receiving

HOOKS = "/api/v1/webhooks"


@pytest.fixture
def delivering_app(settings: Settings) -> Iterator[FastAPI]:
    """The app with its dispatcher running, allowed to call 127.0.0.1 over http."""
    application = create_app(
        settings.model_copy(update={"dispatcher": True, "webhook_allow_insecure": True})
    )
    yield application
    application.state.database.dispose()


@pytest.fixture
def delivering(delivering_app: FastAPI, caplog: pytest.LogCaptureFixture) -> Iterator[TestClient]:
    """A client of `delivering_app` (its lifespan, and so its dispatcher, running); the
    dispatcher must log no error (a failing round shows nowhere else)."""
    with TestClient(delivering_app, raise_server_exceptions=False) as test_client:
        yield test_client
    failures = [
        record.getMessage() + _cause(record)
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)  # type: ignore[arg-type]
        if record.name.startswith("klusmakelaar.dispatcher") and record.levelno >= logging.ERROR
    ]
    assert failures == []


def subscribe(
    client: TestClient, headers: dict[str, str], url: str, events: list[str] | None = None
) -> dict[str, Any]:
    """A new subscription (with its secret)."""
    response = client.post(
        HOOKS, json={"url": url, "events": events or ["gig.created"]}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def attempts(client: TestClient, headers: dict[str, str], hook: dict[str, Any]) -> list[Any]:
    """The subscription's delivery attempts, newest first."""
    response = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_a_delivery_is_signed_as_standard_webhooks_say(delivering: TestClient) -> None:
    integration = bearer(make_key(delivering, "integration"))
    _, org = organization_with_key(delivering)
    with receiving() as receiver:
        hook = subscribe(delivering, integration, receiver.url)
        gig = make_gig(delivering, org)
        (request,) = receiver.wait_for(1)
    payload = Verifier(hook["secret"]).verify(request.body, request.headers)
    (event,) = delivering.get("/api/v1/events", headers=integration).json()["items"]
    assert payload == event
    assert payload["type"] == "gig.created"
    assert payload["data"] == delivering.get(f"/api/v1/gigs/{gig['id']}").json()
    assert request.headers["webhook-id"] == event["id"]
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert request.headers["content-type"] == "application/json"
    other = "whsec_" + base64.b64encode(b"another key of thirty-two bytes!").decode()
    with pytest.raises(WebhookVerificationError):
        Verifier(other).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Verifier(hook["secret"]).verify(request.body + b" ", request.headers)
    eventually(lambda: len(attempts(delivering, integration, hook)) == 1)
    (attempt,) = attempts(delivering, integration, hook)
    assert attempt["event_id"] == event["id"]
    assert attempt["status_code"] == 200
    assert attempt["error"] is None
    assert attempt["duration_ms"] >= 0


def test_a_failed_delivery_is_retried_once_with_the_same_id(delivering: TestClient) -> None:
    _, org = organization_with_key(delivering)
    with receiving(statuses=[500]) as receiver:
        hook = subscribe(delivering, ADMIN, receiver.url)
        make_gig(delivering, org)
        first, second = receiver.wait_for(2, timeout=30)
        time.sleep(1.0)  # nothing more comes: the 200 ended it
        assert len(receiver.received) == 2
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    for request in (first, second):
        Verifier(hook["secret"]).verify(request.body, request.headers)
    eventually(lambda: len(attempts(delivering, ADMIN, hook)) == 2)
    newest, oldest = attempts(delivering, ADMIN, hook)
    assert (oldest["status_code"], newest["status_code"]) == (500, 200)
    assert oldest["error"] == "the receiver answered 500"
    waited = datetime.fromisoformat(newest["attempted_at"]) - datetime.fromisoformat(
        oldest["attempted_at"]
    )
    assert timedelta(seconds=3) <= waited < timedelta(seconds=30)  # back-off, first within 30 s


def test_a_receiver_that_was_down_gets_the_event_once_it_is_back(delivering: TestClient) -> None:
    _, org = organization_with_key(delivering)
    port = free_port()
    hook = subscribe(delivering, ADMIN, f"http://127.0.0.1:{port}/hooks")
    gig = make_gig(delivering, org)
    eventually(lambda: len(attempts(delivering, ADMIN, hook)) >= 1)
    (failed,) = attempts(delivering, ADMIN, hook)[-1:]
    assert failed["status_code"] is None
    assert "Connect" in failed["error"]
    with receiving(port) as receiver:
        (request,) = receiver.wait_for(1, timeout=30)
    assert json.loads(request.body)["data"]["id"] == gig["id"]
    assert request.headers["webhook-id"] == failed["event_id"]


def test_a_slow_receiver_holds_up_no_one_else(delivering: TestClient) -> None:
    _, org = organization_with_key(delivering)
    with receiving(delay=6.0) as slow, receiving() as fast:
        subscribe(delivering, ADMIN, slow.url)
        subscribe(delivering, ADMIN, fast.url)
        for index in range(3):
            make_gig(delivering, org, title=f"Klus {index}")
        started = time.monotonic()
        fast.wait_for(3, timeout=10)
        assert time.monotonic() - started < 4.0
        slow.wait_for(1, timeout=5)
        assert slow.answered == 0  # still busy with its first: the others did not wait


def test_drafts_go_to_the_admins_subscriptions_only(delivering: TestClient) -> None:
    integration = bearer(make_key(delivering, "integration"))
    _, org = organization_with_key(delivering)
    with receiving() as for_admin, receiving() as for_integration:
        subscribe(delivering, ADMIN, for_admin.url)
        subscribe(delivering, integration, for_integration.url)
        draft = make_gig(delivering, org, status="draft")
        for_admin.wait_for(1)
        published = delivering.patch(
            f"/api/v1/gigs/{draft['id']}", json={"status": "open"}, headers=org
        )
        assert published.status_code == 200
        admin_got = for_admin.wait_for(2)
        (integration_got,) = for_integration.wait_for(1)
        time.sleep(0.5)
        assert len(for_integration.received) == 1
    assert [json.loads(r.body)["data"]["status"] for r in admin_got] == ["draft", "open"]
    assert json.loads(integration_got.body)["data"] == published.json()


def test_only_the_chosen_types_are_sent(delivering: TestClient) -> None:
    _, org = organization_with_key(delivering)
    with receiving() as receiver:
        subscribe(delivering, ADMIN, receiver.url, events=["gig.cancelled"])
        kept = make_gig(delivering, org, title="Blijft")
        cancelled = make_gig(delivering, org, title="Gaat niet door")
        delivering.patch(f"/api/v1/gigs/{kept['id']}", json={"title": "Nieuw"}, headers=org)
        response = delivering.post(f"/api/v1/gigs/{cancelled['id']}/cancel", headers=org)
        assert response.status_code == 200, response.text
        (request,) = receiver.wait_for(1)
        time.sleep(0.5)
        assert len(receiver.received) == 1
    body = json.loads(request.body)
    assert (body["type"], body["data"]["id"]) == ("gig.cancelled", cancelled["id"])


def test_a_subscription_is_its_keys_own(delivering: TestClient) -> None:
    mine = bearer(make_key(delivering, "integration"))
    theirs = bearer(make_key(delivering, "integration"))
    _, org = organization_with_key(delivering)
    with receiving() as receiver:
        hook = subscribe(delivering, mine, receiver.url)
        path = f"{HOOKS}/{hook['id']}"
        assert "secret" not in delivering.get(path, headers=mine).json()
        for method, url in (("GET", path), ("DELETE", path), ("GET", f"{path}/deliveries")):
            response = delivering.request(method, url, headers=theirs)
            assert response.status_code == 404, (method, url)
            assert response.headers["content-type"] == "application/problem+json"
        assert delivering.get(HOOKS, headers=theirs).json()["items"] == []
        assert [h["id"] for h in delivering.get(HOOKS, headers=ADMIN).json()["items"]] == [
            hook["id"]
        ]
        assert delivering.get(path, headers=ADMIN).json()["url"] == receiver.url
        assert delivering.post(HOOKS, json={"url": receiver.url, "events": ["gig.created"]},
                               headers=org).status_code == 403  # fmt: skip
        assert delivering.delete(path, headers=mine).status_code == 204
        assert delivering.get(path, headers=mine).status_code == 404
        make_gig(delivering, org)
        time.sleep(1.5)  # more than a poll: it would have come by now
        assert receiver.received == []


def test_the_secret_is_shown_once_and_a_given_one_is_used(delivering: TestClient) -> None:
    url = "http://127.0.0.1:9/hooks"
    generated = subscribe(delivering, ADMIN, url)
    assert generated["secret"].startswith("whsec_")
    assert len(base64.b64decode(generated["secret"].removeprefix("whsec_"))) == 32
    assert "secret" not in delivering.get(f"{HOOKS}/{generated['id']}", headers=ADMIN).json()
    chosen = "whsec_" + base64.b64encode(bytes(range(24))).decode()
    assert subscribe(delivering, ADMIN, url)["secret"] != generated["secret"]
    body = {"url": url, "events": ["gig.created"], "secret": chosen}
    replayed = {**ADMIN, "Idempotency-Key": "webhook-1"}
    first = delivering.post(HOOKS, json=body, headers=replayed)
    assert first.status_code == 201
    assert first.json()["secret"] == chosen
    again = delivering.post(HOOKS, json=body, headers=replayed)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["secret"] is None  # a replay never shows it again
    for bad in ("not-whsec", "whsec_***", "whsec_" + base64.b64encode(b"short").decode()):
        refused = delivering.post(HOOKS, json={**body, "secret": bad}, headers=ADMIN)
        assert refused.status_code == 422, bad
    for bad_body in ({"url": url, "events": []}, {"url": url, "events": ["gig.nonsense"]},
                     {"url": url}, {"events": ["gig.created"]}):  # fmt: skip
        assert delivering.post(HOOKS, json=bad_body, headers=ADMIN).status_code == 422


FORBIDDEN = [  # (URL, why)
    ("http://93.184.216.34/hooks", "must start with https"),
    ("ftp://93.184.216.34/hooks", "URL scheme should be"),
    ("https://user:password@93.184.216.34/hooks", "user name or password"),
    ("https://localhost/hooks", "localhost resolves to 127.0.0.1, a loopback address"),
    ("https://127.0.0.1/hooks", "loopback"),
    ("https://0x7f000001/hooks", "loopback"),
    ("https://10.1.2.3/hooks", "private"),
    ("https://172.16.0.1/hooks", "private"),
    ("https://192.168.1.10/hooks", "private"),
    ("https://100.64.0.1/hooks", "shared"),  # carrier-grade NAT
    ("https://169.254.169.254/latest/meta-data", "metadata"),
    ("https://100.100.100.200/hooks", "metadata"),  # Alibaba's
    ("https://224.0.0.1/hooks", "multicast"),
    ("https://0.0.0.0/hooks", "unspecified"),
    ("https://[::1]/hooks", "loopback"),
    ("https://[::]/hooks", "unspecified"),
    ("https://[fe80::1]/hooks", "link-local"),
    ("https://[fc00::1]/hooks", "private"),
    ("https://[ff02::1]/hooks", "multicast"),
    ("https://[::ffff:127.0.0.1]/hooks", "loopback address (inside an IPv6"),  # IPv4-mapped
    ("https://[::ffff:169.254.169.254]/hooks", "metadata address (inside an IPv6"),
    ("https://[64:ff9b::a01:203]/hooks", "private address (inside an IPv6"),  # NAT64
    ("https://[2002:c0a8:10a::]/hooks", "private address (inside an IPv6"),  # 6to4
    ("https://does-not-exist.invalid/hooks", "cannot be resolved"),
]


@pytest.mark.parametrize(("url", "why"), FORBIDDEN)
def test_an_address_the_rules_forbid_is_refused(client: TestClient, url: str, why: str) -> None:
    response = client.post(HOOKS, json={"url": url, "events": ["gig.created"]}, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["loc"] == ["body", "url"]
    assert why in error["msg"], error["msg"]
    assert client.get(HOOKS, headers=ADMIN).json()["items"] == []


def test_a_public_address_is_accepted(client: TestClient) -> None:
    for url in ("https://93.184.216.34/hooks", "https://[2606:2800:220:1::1]:8443/hooks"):
        response = client.post(HOOKS, json={"url": url, "events": ["gig.created"]}, headers=ADMIN)
        assert response.status_code == 201, response.text


def test_the_address_is_checked_again_at_each_delivery(settings: Settings) -> None:
    """A name that resolved to a public address when it was given and to 127.0.0.1 now
    (as in DNS rebinding): the delivery is refused and says why."""
    app = create_app(settings.model_copy(update={"dispatcher": True}))
    try:
        with TestClient(app, raise_server_exceptions=False) as client, receiving() as receiver:
            _, org = organization_with_key(client)
            hook = subscribe(client, ADMIN, "https://93.184.216.34/hooks")
            port = receiver.url.split(":")[2].split("/")[0]
            with db_session(app) as session, session.begin():
                session.execute(
                    update(Webhook)
                    .where(Webhook.id == hook["id"])
                    .values(url=f"https://localhost:{port}/hooks")
                )
            make_gig(client, org)
            eventually(lambda: len(attempts(client, ADMIN, hook)) == 1)
            (attempt,) = attempts(client, ADMIN, hook)
            assert attempt["status_code"] is None
            assert "not sent" in attempt["error"]
            assert "loopback" in attempt["error"]
            assert receiver.received == []
            metrics = client.get("/metrics").text
            assert 'klusmakelaar_webhook_deliveries_total{outcome="refused"} 1.0' in metrics
    finally:
        app.state.database.dispose()


def test_metrics_count_events_deliveries_latency_and_the_queue(delivering: TestClient) -> None:
    _, org = organization_with_key(delivering)
    with receiving() as receiver:
        subscribe(delivering, ADMIN, receiver.url)
        make_gig(delivering, org)
        make_gig(delivering, org)
        receiver.wait_for(2)

    def metric(name: str) -> float:
        for line in delivering.get("/metrics").text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return 0.0

    eventually(lambda: metric('klusmakelaar_webhook_deliveries_total{outcome="delivered"}') == 2)
    assert metric('klusmakelaar_events_total{type="gig.created"}') == 2
    assert metric("klusmakelaar_webhook_delivery_latency_seconds_count") == 2
    assert "klusmakelaar_webhook_queue_depth" in delivering.get("/metrics").text


def test_retries_back_off_with_jitter_and_the_first_comes_within_30_seconds() -> None:
    import random

    rng = random.Random(7)
    first = [deliveries.retry_delay(1, rng) for _ in range(200)]
    assert all(timedelta(seconds=4) <= delay <= timedelta(seconds=6) for delay in first)
    assert len(set(first)) > 150  # jitter: receivers coming back are not hit at once
    bases = [deliveries.retry_delay(n, random.Random(0)) for n in range(1, 12)]
    assert bases == sorted(bases)
    assert bases[-1] <= timedelta(days=1, hours=5)


def test_a_delivery_is_given_up_after_three_days_and_a_failing_hook_disabled(
    app: FastAPI, client: TestClient
) -> None:
    """The dispatcher's steps called one by one at chosen moments (the app's own dispatcher
    is off): the third day's failure ends the delivery, and a subscription failing for
    three days is disabled and said so to the admin."""
    integration = bearer(make_key(client, "integration"))
    _, org = organization_with_key(client)
    hook = subscribe(client, integration, "https://93.184.216.34/hooks")
    make_gig(client, org)
    make_gig(client, org)
    database = app.state.database
    now = datetime.now(UTC)
    while run(database, deliveries.hand_out(database, now=now)):
        pass
    first, second = run(database, deliveries.claim(database, now=now, limit=10))
    later = first.event_created_at + deliveries.GIVE_UP_AFTER + timedelta(seconds=1)
    gave_up = deliveries.Attempt(first, later, 503, "the receiver answered 503", 5)
    assert run(database, deliveries.record_attempts(database, attempts=[gave_up])) == ["abandoned"]
    # Recorded once: the same attempt again is stale.
    assert run(database, deliveries.record_attempts(database, attempts=[gave_up])) == ["stale"]
    with db_session(app) as session:
        status = session.scalar(
            select(WebhookDelivery.status).where(WebhookDelivery.event_id == first.event_id)
        )
        assert status == "abandoned"
        since = session.scalar(select(Webhook.failing_since).where(Webhook.id == hook["id"]))
        assert since is not None
    newest = attempts(client, integration, hook)[0]
    assert "gave up after 3 days" in newest["error"]
    assert client.get(f"{HOOKS}/{hook['id']}", headers=integration).json()["status"] == "active"

    with db_session(app) as session, session.begin():
        session.execute(
            update(Webhook)
            .where(Webhook.id == hook["id"])
            .values(failing_since=now - deliveries.DISABLE_AFTER)
        )
    failed = deliveries.Attempt(second, now, None, "ConnectError", 5)
    assert run(database, deliveries.record_attempts(database, attempts=[failed])) == ["pending"]
    read = client.get(f"{HOOKS}/{hook['id']}", headers=integration).json()
    assert read["status"] == "disabled"
    assert read["disabled_reason"] == "no 2xx answer for 3 days"
    with db_session(app) as session:
        statuses = session.scalars(
            select(WebhookDelivery.status).where(WebhookDelivery.webhook_id == hook["id"])
        ).all()
    assert sorted(statuses) == ["abandoned", "abandoned"]
    said = client.get("/api/v1/events", params={"type": "webhook.disabled"}, headers=ADMIN)
    (event,) = said.json()["items"]
    assert event["data"]["id"] == hook["id"]
    hidden = client.get("/api/v1/events", params={"type": "webhook.disabled"}, headers=integration)
    assert hidden.json()["items"] == []
    assert run(database, deliveries.claim(database, now=now + timedelta(days=1), limit=10)) == []


def _cause(record: logging.LogRecord) -> str:
    """The exception a log record carries, its last line (what went wrong)."""
    if not record.exc_info:
        return ""
    return ": " + str(record.exc_info[1])[:300]
