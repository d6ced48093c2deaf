"""Messages to people, sent by the app's own dispatcher to local fakes of the WhatsApp
Cloud API, WAHA and an SMTP server: each kind once, to the right person, in their
language, with the gig's link; retried after a 500 or a timeout and still sent once."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.config import Settings
from app.main import create_app
from app.models import Event, Gig, Message
from tests.direct import db_session
from tests.factories import (
    ADMIN,
    bearer,
    make_association,
    make_gig,
    make_key,
    make_volunteer,
    organization_with_key,
)
from tests.integrations.fake_providers import FakeProvider, mailbox, providing
from tests.integrations.inbound_helpers import (
    cloud_delivery,
    cloud_text,
    post_cloud,
    post_waha,
    waha_event,
)
from tests.integrations.inbound_helpers import messages as inbound_messages
from tests.integrations.receiver import eventually

_numbers = itertools.count(10_000_000)
Talking = Callable[..., Any]


def phone() -> str:
    """A Dutch mobile number nobody else in the test has."""
    return f"06{next(_numbers)}"


def text_of(attempt: Any) -> str:
    """The text of a Cloud API request (text, interactive or template) or a WAHA one."""
    body = attempt.body
    if body.get("type") == "template":
        return str(body["template"]["components"][0]["parameters"][0]["text"])
    if body.get("type") == "interactive":
        return str(body["interactive"]["body"]["text"])
    text = body["text"]
    return str(text["body"] if isinstance(text, dict) else text)


@pytest.fixture
def talking(settings: Settings, caplog: pytest.LogCaptureFixture) -> Iterator[Callable[..., Any]]:
    """``with talking(**settings) as client``: the app with its dispatcher running and
    those channel settings (no reminders or quiet hours unless given); the
    dispatcher must log no error."""
    apps = []

    @contextmanager
    def start(**changes: Any) -> Iterator[TestClient]:
        application = create_app(
            settings.model_copy(
                update={
                    "dispatcher": True,
                    "provider_timeout_seconds": 1.0,
                    "reminder_hours": "",
                    # Tests run at any hour: no quiet hours unless a test sets them.
                    "quiet_hours": "",
                    **changes,
                }
            )
        )
        apps.append(application)
        with TestClient(application, raise_server_exceptions=False) as client:
            yield client

    yield start
    for application in apps:
        application.state.database.dispose()
    failures = [
        record.getMessage() + _cause(record)
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)  # type: ignore[arg-type]
        if record.name.startswith("klusmakelaar.dispatcher") and record.levelno >= logging.ERROR
    ]
    assert failures == []


def cloud(provider: FakeProvider) -> dict[str, Any]:
    return {
        "whatsapp_api_url": provider.url,
        "whatsapp_phone_number_id": "1234567890",
        "whatsapp_access_token": "test-cloud-token",
    }


def sign_up(client: TestClient, gig: dict[str, Any], headers: dict[str, str], **body: Any) -> Any:
    response = client.post(f"/api/v1/gigs/{gig['id']}/signups", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def listed(client: TestClient, headers: dict[str, str] = ADMIN, **filters: Any) -> list[Any]:
    response = client.get("/api/v1/messages", params=filters, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def wait_for_status(client: TestClient, count: int, status: str, **filters: Any) -> list[Any]:
    eventually(lambda: len(listed(client, status=status, **filters)) >= count)
    return listed(client, status=status, **filters)


def test_a_sign_up_is_confirmed_over_the_cloud_api_in_dutch(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org, title="Boodschappen doen")
        number = phone()
        volunteer, own = make_volunteer(client, name="Anna", phone=number, email=None)
        signup = sign_up(client, gig, own, volunteer_id=volunteer["id"])
        (sent,) = provider.wait_for(1)
        assert sent.path == "/1234567890/messages"
        assert sent.headers["authorization"] == "Bearer test-cloud-token"
        assert sent.body["to"] == "31" + number[1:]
        # Anna never wrote to us: outside WhatsApp's 24-hour window, the kind's template.
        assert sent.body["type"] == "template"
        assert sent.body["template"]["name"] == "klusmakelaar_signup_confirmed"
        assert sent.body["template"]["language"] == {"code": "nl"}
        text = text_of(sent)
        assert "\n" not in text  # a template parameter has no line breaks
        assert text.startswith("Dank je wel, Anna!")
        assert "*Boodschappen doen*" in text
        # The link is the sign-up's own page, where it can be seen and cancelled.
        assert f"https://klusmakelaar.test/s/{signup['id']}?t=" in text
        (message,) = wait_for_status(client, 1, "sent")
        assert message["kind"] == "signup_confirmed"
        assert message["channel"] == "whatsapp"
        assert message["signup_id"] == signup["id"]
        assert message["gig_id"] == gig["id"]
        assert sent.headers["idempotency-key"] == message["id"]
        assert sent.body["biz_opaque_callback_data"] == message["id"]
        assert message["sent_at"] is not None
        assert message["error"] is None


def test_english_speakers_get_english_and_the_waitlist_place(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org, capacity=1, title="Soup kitchen")
        first, first_own = make_volunteer(client, name="Bram", phone=phone())
        second, second_own = make_volunteer(
            client, name="Chloe", phone=phone(), languages=["en", "nl"]
        )
        sign_up(client, gig, first_own, volunteer_id=first["id"])
        waiting = sign_up(client, gig, second_own, volunteer_id=second["id"], waitlist=True)
        assert waiting["status"] == "waitlisted"
        sent = provider.wait_for(2)
        by_name = {text_of(a).split(",")[1].split("!")[0].strip(): a for a in sent}
        english = text_of(by_name["Chloe"])
        assert english.startswith("Thank you, Chloe!")
        assert "waiting list (place 1)" in english
        assert text_of(by_name["Bram"]).startswith("Dank je wel, Bram!")


def test_a_freed_place_goes_to_the_next_who_is_told(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org, capacity=1)
        first, first_own = make_volunteer(client, phone=phone())
        second, second_own = make_volunteer(client, phone=phone())
        taken = sign_up(client, gig, first_own, volunteer_id=first["id"])
        sign_up(client, gig, second_own, volunteer_id=second["id"], waitlist=True)
        provider.wait_for(2)
        cancelled = client.post(f"/api/v1/signups/{taken['id']}/cancel", headers=first_own)
        assert cancelled.status_code == 200, cancelled.text
        sent = provider.wait_for(3)
        promoted = sent[2].body
        assert promoted["to"] == "31" + second["phone"].removeprefix("+31")
        assert text_of(sent[2]).startswith("Dank je wel voor je geduld")
        wait_for_status(client, 3, "sent")
        kinds = sorted(m["kind"] for m in listed(client))
        # The one who cancelled is not told about their own cancellation.
        assert kinds == ["promoted", "signup_confirmed", "signup_waitlisted"]


def test_a_new_time_is_told_a_new_title_is_not_and_a_cancellation_is(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org, capacity=1)
        first, first_own = make_volunteer(client, phone=phone())
        second, second_own = make_volunteer(client, phone=phone())
        sign_up(client, gig, first_own, volunteer_id=first["id"])
        sign_up(client, gig, second_own, volunteer_id=second["id"], waitlist=True)
        provider.wait_for(2)
        retitled = client.patch(
            f"/api/v1/gigs/{gig['id']}", json={"title": "Nieuwe naam"}, headers=org
        )
        assert retitled.status_code == 200
        later = datetime.fromisoformat(gig["starts_at"]) + timedelta(hours=2)
        moved = client.patch(
            f"/api/v1/gigs/{gig['id']}",
            json={
                "starts_at": later.isoformat(),
                "ends_at": (later + timedelta(hours=3)).isoformat(),
            },
            headers=org,
        )
        assert moved.status_code == 200, moved.text
        changed = provider.wait_for(4)[2:]
        assert {a.body["to"] for a in changed} == {
            "31" + v["phone"].removeprefix("+31") for v in (first, second)
        }
        new_time = f"{later.astimezone(ZoneInfo('Europe/Amsterdam')):%H:%M}"
        assert all("is gewijzigd" in text_of(a) for a in changed)
        assert all(new_time in text_of(a) for a in changed)
        # About a sign-up: its own page (to cancel); the news that it is off: the gig's page.
        assert all("https://klusmakelaar.test/s/sgn_" in text_of(a) for a in changed)
        cancelled = client.post(f"/api/v1/gigs/{gig['id']}/cancel", headers=org)
        assert cancelled.status_code == 200
        told = provider.wait_for(6)[4:]
        assert all("Helaas gaat *Nieuwe naam*" in text_of(a) for a in told)
        assert all(f"https://klusmakelaar.test/g/{gig['id']}" in text_of(a) for a in told)
        assert not any("/s/" in text_of(a) for a in told)
        wait_for_status(client, 6, "sent")
        kinds = sorted(m["kind"] for m in listed(client))
        assert kinds.count("gig_changed") == 2  # the title change told nobody
        assert kinds.count("gig_cancelled") == 2


def test_thanks_after_attendance_with_the_hours(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org, title="Koffie schenken")
        volunteer, own = make_volunteer(client, phone=phone())
        signup = sign_up(client, gig, own, volunteer_id=volunteer["id"])
        provider.wait_for(1)
        with db_session(client.app) as session, session.begin():  # type: ignore[arg-type]
            session.execute(
                update(Gig)
                .where(Gig.id == gig["id"])
                .values(starts_at=datetime.now(UTC) - timedelta(hours=3))
            )
        recorded = client.post(
            f"/api/v1/signups/{signup['id']}/attendance",
            json={"attended": True, "hours": 2.5},
            headers=org,
        )
        assert recorded.status_code == 200, recorded.text
        thanks = text_of(provider.wait_for(2)[1])
        assert thanks.startswith("Dank je wel")
        assert "2,5 uur" in thanks
        assert "*Koffie schenken*" in thanks


def test_waha_sends_to_the_numbers_chat_with_its_key(talking: Talking) -> None:
    with (
        providing() as provider,
        talking(waha_url=provider.url, waha_api_key="waha-key", waha_session="klus") as client,
    ):
        _, org = organization_with_key(client)
        gig = make_gig(client, org)
        number = phone()
        volunteer, own = make_volunteer(client, phone=number)
        sign_up(client, gig, own, volunteer_id=volunteer["id"])
        (sent,) = provider.wait_for(1)
        assert sent.path == "/api/sendText"
        assert sent.headers["x-api-key"] == "waha-key"
        assert sent.body["session"] == "klus"
        assert sent.body["chatId"] == f"31{number[1:]}@c.us"
        (message,) = wait_for_status(client, 1, "sent")
        assert message["channel"] == "waha"


def test_e_mail_for_those_without_a_phone_and_for_groups(talking: Talking) -> None:
    with (
        mailbox() as box,
        talking(
            smtp_url=f"smtp://127.0.0.1:{box.port}",
            mail_from="Klusmakelaar <noreply@klusmakelaar.test>",
        ) as client,
    ):
        _, org = organization_with_key(client)
        gig = make_gig(client, org, title="Tuin <wieden> & meer")
        volunteer, own = make_volunteer(client, name="Dirk", email="dirk@example.org")
        sign_up(client, gig, own, volunteer_id=volunteer["id"])
        group_gig = make_gig(client, org, kind="group", capacity=10, group_size_max=6)
        association, key = make_association(client, email="bestuur@vereniging.example.org")
        sign_up(client, group_gig, key, association_id=association["id"], size=4)
        mails = box.wait_for(2)
        by_to = {mail["To"]: mail for mail in mails}
        mail = by_to["dirk@example.org"]
        assert mail["Subject"] == "Je bent aangemeld: Tuin <wieden> & meer"
        assert mail["From"] == "Klusmakelaar <noreply@klusmakelaar.test>"
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert text.startswith("Dank je wel, Dirk!")
        assert "*" not in text
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert '<html lang="nl">' in html
        assert "<strong>Tuin &lt;wieden&gt; &amp; meer</strong>" in html
        assert '<a href="https://klusmakelaar.test/s/sgn_' in html
        sent = wait_for_status(client, 2, "sent")
        assert mail["Message-ID"] in {f"<{m['id']}@klusmakelaar.test>" for m in sent}
        group_mail = by_to["bestuur@vereniging.example.org"]
        assert association["name"] in group_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_500_is_retried_and_the_message_sent_once(talking: Talking) -> None:
    with providing(plan=["500"]) as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        eventually(lambda: len(provider.texts()) == 1, timeout=30)
        (message,) = wait_for_status(client, 1, "sent")
        assert [a.headers["idempotency-key"] for a in provider.attempts] == [message["id"]] * 2


def test_a_timed_out_call_is_retried_with_the_same_key_and_sent_once(talking: Talking) -> None:
    with providing(plan=["slow"], slow=2.0) as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        (message,) = wait_for_status(client, 1, "sent")  # after the retry, ~10 s later
        assert len(provider.attempts) == 2
        assert {a.headers["idempotency-key"] for a in provider.attempts} == {message["id"]}
        assert len(provider.texts()) == 1  # the provider recognised the retry
        assert message["error"] is None


def test_a_refusal_is_not_retried(talking: Talking) -> None:
    # A 4xx from the provider (the Cloud API's "invalid recipient" and the like).
    with providing(plan=["400"]) as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        (message,) = wait_for_status(client, 1, "failed")
        assert "answered 400" in message["error"]
        assert len(provider.attempts) == 1
        assert provider.texts() == []


def test_without_a_channel_the_message_is_handed_to_bridges(talking: Talking) -> None:
    with talking() as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org)
        number = phone()
        volunteer, own = make_volunteer(client, name="Eva", phone=number)
        sign_up(client, gig, own, volunteer_id=volunteer["id"])
        (message,) = wait_for_status(client, 1, "not_sent")
        assert message["channel"] == "none"
        integration = bearer(make_key(client, "integration"))
        found = client.get(
            "/api/v1/events", params={"type": "message.outgoing"}, headers=integration
        ).json()["items"]
        (event,) = found
        assert event["data"]["id"] == message["id"]
        assert event["data"]["to"] == "+31" + number[1:]
        assert event["data"]["text"].startswith("Dank je wel, Eva!")
        assert event["data"]["kind"] == "signup_confirmed"


def test_a_chat_message_is_answered_on_its_channel(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        number = phone()
        organization_with_key(client, whatsapp_numbers=[number])
        sender = "31" + number[1:]
        text = "Wie helpt zaterdag 10:00-12:00 met de tuin? 2 mensen"
        received = post_cloud(client, cloud_delivery([{"messages": [cloud_text(sender, text)]}]))
        assert received.status_code == 200, received.text
        (reply,) = provider.wait_for(1)
        assert reply.body["to"] == sender
        (inbound,) = inbound_messages(client)
        assert text_of(reply) == inbound["reply"]
        (message,) = wait_for_status(client, 1, "sent", kind="reply")
        assert message["channel"] == "whatsapp"


def test_the_bridges_reply_is_in_its_answer_and_an_event(talking: Talking) -> None:
    with talking() as client:
        number = phone()
        organization_with_key(client, whatsapp_numbers=[number])
        integration = bearer(make_key(client, "integration"))
        answered = client.post(
            "/api/v1/integrations/bridge/messages",
            json={
                "message_id": "bridge-1",
                "from": number,
                "text": "Wie helpt zaterdag 10:00-12:00 met de tuin?",
            },
            headers=integration,
        )
        assert answered.status_code in (200, 201), answered.text
        (message,) = listed(client, kind="reply")
        assert (message["channel"], message["status"]) == ("bridge", "sent")
        (event,) = client.get(
            "/api/v1/events", params={"type": "message.outgoing"}, headers=integration
        ).json()["items"]
        assert event["data"]["text"] == answered.json()["reply"]


def test_who_may_read_the_messages(talking: Talking) -> None:
    with talking() as client:
        _, org = organization_with_key(client)
        _, other = organization_with_key(client)
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        wait_for_status(client, 1, "not_sent")
        assert len(listed(client, org)) == 1
        assert listed(client, other) == []
        assert listed(client, kind="thanks") == []
        assert len(listed(client, volunteer_id=volunteer["id"])) == 1
        assert client.get("/api/v1/messages", headers=own).status_code == 403
        assert client.get("/api/v1/messages").status_code == 401
        bad = client.get("/api/v1/messages", params={"status": "lost"}, headers=ADMIN)
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"


def test_erasure_leaves_only_counts(talking: Talking) -> None:
    with talking() as client:
        _, org = organization_with_key(client)
        number = phone()
        volunteer, own = make_volunteer(client, name="Fenna Uniek", phone=number)
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        wait_for_status(client, 1, "not_sent")
        erased = client.delete(f"/api/v1/volunteers/{volunteer['id']}", headers=own)
        assert erased.status_code == 204
        with db_session(client.app) as session:  # type: ignore[arg-type]
            (message,) = session.scalars(select(Message)).all()
            assert (message.recipient, message.body, message.volunteer_id) == (None, None, None)
            data = [e.data for e in session.scalars(select(Event)).all()]
        assert not any("Fenna" in d or number[1:] in d for d in data)
        assert listed(client, kind="signup_confirmed")[0]["status"] == "not_sent"


def test_no_message_is_made_twice_when_two_apps_hand_out(talking: Talking) -> None:
    with talking() as first, talking() as second:
        _, org = organization_with_key(first)
        gig = make_gig(first, org, capacity=50)
        for _ in range(20):
            volunteer, own = make_volunteer(first, phone=phone())
            sign_up(first, gig, own, volunteer_id=volunteer["id"])
        wait_for_status(second, 20, "not_sent")
        with db_session(first.app) as session:  # type: ignore[arg-type]
            keys = session.scalars(select(Message.key)).all()
        assert len(keys) == 20 == len(set(keys))


def _cause(record: logging.LogRecord) -> str:
    """The exception a log record carries, its last line (what went wrong)."""
    if not record.exc_info:
        return ""
    return ": " + str(record.exc_info[1])[:300]


def hours_before(gig: dict[str, Any], seconds_from_now: float) -> float:
    """The `REMINDER_HOURS` value whose moment for ``gig`` is that many seconds away."""
    start = datetime.fromisoformat(gig["starts_at"])
    return (start - datetime.now(UTC)).total_seconds() / 3600 - seconds_from_now / 3600


def reminders_sent(provider: FakeProvider) -> list[Any]:
    return [a for a in provider.texts() if "herinnering" in text_of(a).lower()]


def test_one_reminder_at_its_moment(talking: Talking, settings: Settings) -> None:
    with providing() as provider:
        with talking() as setup:
            _, org = organization_with_key(setup)
            gig = make_gig(setup, org, title="Voedselbank")
            volunteer, own = make_volunteer(setup, name="Gijs", phone=phone())
        soon = hours_before(gig, 3)
        with talking(**cloud(provider), reminder_hours=f"{soon:.6f},1") as client:
            sign_up(client, gig, own, volunteer_id=volunteer["id"])
            provider.wait_for(1)  # the confirmation, at once
            assert reminders_sent(provider) == []
            eventually(lambda: len(reminders_sent(provider)) == 1, timeout=15)
            (reminder,) = reminders_sent(provider)
            text = text_of(reminder)
            assert text.startswith("Dank je wel dat je komt helpen, Gijs!")
            assert "*Voedselbank*" in text
            wait_for_status(client, 1, "sent", kind="reminder")
            # The hour-before moment is days away: it waits.
            assert len(listed(client, kind="reminder", status="queued")) == 1


def test_a_moved_gig_moves_its_reminder_and_a_cancelled_sign_up_has_none(
    talking: Talking,
) -> None:
    with providing() as provider, talking(**cloud(provider)) as setup:
        _, org = organization_with_key(setup)
        moved = make_gig(setup, org)
        dropped = make_gig(setup, org)
        volunteer, own = make_volunteer(setup, phone=phone())
        other, other_own = make_volunteer(setup, phone=phone())
    soon = hours_before(moved, 4)
    with (
        providing() as provider,
        talking(**cloud(provider), reminder_hours=f"{soon:.6f}") as client,
    ):
        sign_up(client, moved, own, volunteer_id=volunteer["id"])
        cancelled = sign_up(client, dropped, other_own, volunteer_id=other["id"])
        provider.wait_for(2)
        wait_for_status(client, 2, "queued", kind="reminder")
        later = datetime.fromisoformat(moved["starts_at"]) + timedelta(days=1)
        answer = client.patch(
            f"/api/v1/gigs/{moved['id']}",
            json={
                "starts_at": later.isoformat(),
                "ends_at": (later + timedelta(hours=3)).isoformat(),
            },
            headers=org,
        )
        assert answer.status_code == 200, answer.text
        gone = client.post(f"/api/v1/signups/{cancelled['id']}/cancel", headers=other_own)
        assert gone.status_code == 200
        provider.wait_for(3)  # the change is told

        time.sleep(6)  # past the first moment
        assert reminders_sent(provider) == []
        with db_session(client.app) as session:  # type: ignore[arg-type]
            rows = session.execute(
                select(Message.signup_id, Message.next_attempt_at, Message.status).where(
                    Message.kind == "reminder"
                )
            ).all()
        (waiting,) = rows  # the cancelled sign-up's reminder is gone
        assert waiting.status == "queued"
        expected = later - timedelta(hours=soon)
        assert abs((waiting.next_attempt_at - expected).total_seconds()) < 1


def test_a_restart_before_the_moment_still_sends_one_reminder(talking: Talking) -> None:
    with providing() as provider:
        with talking() as setup:
            _, org = organization_with_key(setup)
            gig = make_gig(setup, org)
            volunteer, own = make_volunteer(setup, phone=phone())
        soon = hours_before(gig, 4)
        with talking(**cloud(provider), reminder_hours=f"{soon:.6f}") as first:
            sign_up(first, gig, own, volunteer_id=volunteer["id"])
            wait_for_status(first, 1, "queued", kind="reminder")
        # Stopped before the moment; two processes afterwards.
        with (
            talking(**cloud(provider), reminder_hours=f"{soon:.6f}") as again,
            talking(**cloud(provider), reminder_hours=f"{soon:.6f}"),
        ):
            wait_for_status(again, 1, "sent", kind="reminder")

            time.sleep(2)
        assert len(reminders_sent(provider)) == 1
        assert len([a for a in provider.attempts if "herinnering" in text_of(a).lower()]) == 1


def test_a_sign_up_after_the_moments_gets_one_reminder_at_once(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider), reminder_hours="720,500") as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org)  # a week ahead: both moments have passed
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, gig, own, volunteer_id=volunteer["id"])
        eventually(lambda: len(reminders_sent(provider)) == 1)

        time.sleep(1.5)
        assert len(reminders_sent(provider)) == 1
        assert [m["kind"] for m in listed(client, kind="reminder")] == ["reminder"]


def test_reminders_go_to_confirmed_sign_ups_only(talking: Talking) -> None:
    with talking(reminder_hours="720") as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org, capacity=1)
        first, first_own = make_volunteer(client, phone=phone())
        second, second_own = make_volunteer(client, phone=phone())
        sign_up(client, gig, first_own, volunteer_id=first["id"])
        sign_up(client, gig, second_own, volunteer_id=second["id"], waitlist=True)
        wait_for_status(client, 3, "not_sent")
        reminders = listed(client, kind="reminder")
        assert len(reminders) == 1
        with db_session(client.app) as session:  # type: ignore[arg-type]
            (owner,) = session.scalars(
                select(Message.volunteer_id).where(Message.kind == "reminder")
            )
        assert owner == first["id"]


def reminded(
    client: TestClient, provider: FakeProvider, org: dict[str, str], **gig_fields: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any]]:
    """A gig, a volunteer signed up for it and reminded (the moment has passed)."""
    gig = make_gig(client, org, **gig_fields)
    volunteer, own = make_volunteer(client, name="Hanna", phone=phone())
    signup = sign_up(client, gig, own, volunteer_id=volunteer["id"])
    wait_for_status(client, 1, "sent", kind="reminder", volunteer_id=volunteer["id"])
    return gig, volunteer, own, signup


def from_number(volunteer: dict[str, Any]) -> str:
    return "31" + volunteer["phone"].removeprefix("+31")


def test_kan_niet_cancels_and_the_next_is_promoted_and_told(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider), reminder_hours="720") as client:
        _, org = organization_with_key(client)
        gig, volunteer, own, signup = reminded(client, provider, org, capacity=1)
        waiting, waiting_own = make_volunteer(client, phone=phone())
        sign_up(client, gig, waiting_own, volunteer_id=waiting["id"], waitlist=True)
        said = post_cloud(client, cloud_delivery([{"messages": [
            cloud_text(from_number(volunteer), "Kan niet!")]}]))  # fmt: skip
        assert said.status_code == 200, said.text
        eventually(lambda: client.get(f"/api/v1/signups/{signup['id']}", headers=own)
                   .json()["status"] == "cancelled")  # fmt: skip
        eventually(lambda: any(a.body["to"] == from_number(waiting)
                               and "plek vrijgekomen" in text_of(a)
                               for a in provider.texts()))  # fmt: skip
        # The acknowledgement and the promotion go out in either order: wait for both.
        eventually(lambda: any(a.body["to"] == from_number(volunteer)
                               and text_of(a).startswith("Dank je wel dat je het laat weten, Hanna.")
                               for a in provider.texts()))  # fmt: skip
        (inbound,) = inbound_messages(client)
        assert inbound["status"] == "answered"
        (_message,) = wait_for_status(client, 1, "sent", kind="ack")


def test_ja_reconfirms_with_an_event(talking: Talking) -> None:
    with providing() as provider, talking(waha_url=provider.url, reminder_hours="720") as client:
        _, org = organization_with_key(client)
        _gig, volunteer, own, signup = reminded(client, provider, org)
        said = post_waha(client, waha_event(from_number(volunteer), "Ja, ik kom"))
        assert said.status_code == 200, said.text
        eventually(lambda: client.get(f"/api/v1/signups/{signup['id']}", headers=own)
                   .json()["reconfirmed_at"] is not None)  # fmt: skip
        integration = bearer(make_key(client, "integration"))
        events = client.get("/api/v1/events", params={"type": "signup.reconfirmed"},
                            headers=integration).json()["items"]  # fmt: skip
        assert [event["data"]["id"] for event in events] == [signup["id"]]
        assert events[0]["data"]["reconfirmed_at"] is not None
        eventually(lambda: any(text_of(a).startswith("Dank je wel, Hanna! Fijn")
                               for a in provider.texts()))  # fmt: skip


def test_an_answer_about_two_gigs_asks_which_and_a_number_picks(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider), reminder_hours="720") as client:
        _, org = organization_with_key(client)
        first = make_gig(client, org, title="Eerste klus")
        later = datetime.fromisoformat(first["starts_at"]) + timedelta(days=1)
        second = make_gig(client, org, title="Tweede klus", starts_at=later.isoformat(),
                          ends_at=(later + timedelta(hours=2)).isoformat())  # fmt: skip
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, first, own, volunteer_id=volunteer["id"])
        two = sign_up(client, second, own, volunteer_id=volunteer["id"])
        wait_for_status(client, 2, "sent", kind="reminder")
        post_cloud(
            client, cloud_delivery([{"messages": [cloud_text(from_number(volunteer), "ja")]}])
        )
        eventually(lambda: any("Over welke klus gaat het?" in text_of(a)
                               for a in provider.texts()))  # fmt: skip
        asked = next(a for a in provider.texts() if "Over welke" in text_of(a))
        assert "1. Eerste klus" in text_of(asked)
        assert "2. Tweede klus" in text_of(asked)
        post_cloud(
            client, cloud_delivery([{"messages": [cloud_text(from_number(volunteer), "ja 2")]}])
        )
        eventually(lambda: client.get(f"/api/v1/signups/{two['id']}", headers=own)
                   .json()["reconfirmed_at"] is not None)  # fmt: skip


def test_stop_silences_everything_but_its_acknowledgement_and_start_resumes(
    talking: Talking,
) -> None:
    with providing() as provider, talking(**cloud(provider), reminder_hours="720") as client:
        _, org = organization_with_key(client)
        volunteer, own = make_volunteer(client, name="Ilse", phone=phone())
        post_cloud(
            client, cloud_delivery([{"messages": [cloud_text(from_number(volunteer), "STOP")]}])
        )
        eventually(lambda: len(provider.texts()) == 1)
        assert "geen berichten meer" in text_of(provider.texts()[0])
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        wait_for_status(client, 2, "suppressed")  # the confirmation and the reminder
        time.sleep(1.5)
        assert len(provider.texts()) == 1
        post_cloud(
            client, cloud_delivery([{"messages": [cloud_text(from_number(volunteer), "start")]}])
        )
        eventually(lambda: len(provider.texts()) == 2)
        later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
        other_day = make_gig(
            client,
            org,
            starts_at=later.isoformat(),
            ends_at=(later + timedelta(hours=2)).isoformat(),
        )
        sign_up(client, other_day, own, volunteer_id=volunteer["id"])
        eventually(lambda: len(provider.texts()) == 4)  # confirmation and reminder again


def test_not_an_answer_is_read_as_a_gig_and_unknown_answers_are_told(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        volunteer, _ = make_volunteer(client, phone=phone())
        post_cloud(
            client, cloud_delivery([{"messages": [cloud_text(from_number(volunteer), "nee")]}])
        )
        eventually(lambda: len(provider.texts()) == 1)
        assert "geen herinnering" in text_of(provider.texts()[0])
        (inbound,) = inbound_messages(client)
        assert inbound["status"] == "answered"


def code_in(text: str) -> str:
    """The 6 digits of a login-code message."""
    import re

    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def test_a_login_code_answers_alike_for_known_and_unknown_and_works_once(
    talking: Talking,
) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        number = phone()
        volunteer, old = make_volunteer(client, phone=number, languages=["en"])
        started = time.monotonic()
        known = client.post("/api/v1/volunteers/login-codes", json={"phone": number})
        known_took = time.monotonic() - started
        started = time.monotonic()
        unknown = client.post("/api/v1/volunteers/login-codes", json={"phone": phone()})
        unknown_took = time.monotonic() - started
        assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
        assert known.status_code == 202
        assert abs(known_took - unknown_took) < 0.2
        (sent,) = provider.wait_for(1)  # the unknown number got nothing
        assert sent.body["to"] == "31" + number[1:]
        assert text_of(sent).startswith("Thank you for coming back! Your code is")
        code = code_in(text_of(sent))
        issued = client.post("/api/v1/volunteers/tokens", json={"phone": number, "code": code})
        assert issued.status_code == 201, issued.text
        assert issued.json()["volunteer_id"] == volunteer["id"]
        new = bearer(issued.json()["access_token"])
        assert client.get("/api/v1/volunteers/me", headers=new).status_code == 200
        assert client.get("/api/v1/volunteers/me", headers=old).status_code == 401
        again = client.post("/api/v1/volunteers/tokens", json={"phone": number, "code": code})
        assert again.status_code == 401
        assert again.headers["content-type"] == "application/problem+json"
        (message,) = wait_for_status(client, 1, "sent", kind="login_code")
        with db_session(client.app) as session:  # type: ignore[arg-type]
            stored = session.get(Message, message["id"])
            assert stored is not None
            assert (stored.body, stored.subject) == (None, None)  # not kept once gone


def test_the_sixth_try_fails_even_with_the_right_code(talking: Talking) -> None:
    with (
        mailbox() as box,
        talking(
            smtp_url=f"smtp://127.0.0.1:{box.port}", mail_from="noreply@klusmakelaar.example.org"
        ) as client,
    ):
        _volunteer, _ = make_volunteer(client, email="kwijt@example.org")
        asked = client.post("/api/v1/volunteers/login-codes", json={"email": "Kwijt@example.org"})
        assert asked.status_code == 202
        (mail,) = box.wait_for(1)
        code = code_in(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(5):
            tried = client.post(
                "/api/v1/volunteers/tokens", json={"email": "kwijt@example.org", "code": wrong}
            )
            assert tried.status_code == 401
        right = client.post(
            "/api/v1/volunteers/tokens", json={"email": "kwijt@example.org", "code": code}
        )
        assert right.status_code == 401


def test_login_code_requests_are_checked_and_limited(talking: Talking) -> None:
    with talking() as client:
        both = client.post(
            "/api/v1/volunteers/login-codes", json={"email": "a@example.org", "phone": "0612345678"}
        )
        assert both.status_code == 422
        assert client.post("/api/v1/volunteers/login-codes", json={}).status_code == 422
        short = client.post("/api/v1/volunteers/tokens", json={"phone": "0612345678", "code": "12"})
        assert short.status_code == 422
        answers = [
            client.post(
                "/api/v1/volunteers/login-codes", json={"email": f"n{i}@example.org"}
            ).status_code
            for i in range(8)
        ]
        assert set(answers) == {202}  # 10 requests from this address, the refused ones too
        limited = client.post("/api/v1/volunteers/login-codes", json={"email": "x@example.org"})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0


def test_provider_status_updates_move_a_message_forward_only(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider)) as client:
        _, org = organization_with_key(client)
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        (message,) = wait_for_status(client, 1, "sent")
        wamid = provider.sent[message["id"]][0]

        def status(state: str) -> None:
            update = {"id": wamid, "status": state, "timestamp": str(int(time.time())),
                      "recipient_id": from_number(volunteer)}  # fmt: skip
            answer = post_cloud(client, cloud_delivery([{"statuses": [update]}]))
            assert answer.status_code == 200, answer.text

        status("delivered")
        assert listed(client)[0]["status"] == "delivered"
        status("read")
        status("delivered")  # late: changes nothing
        assert listed(client)[0]["status"] == "read"


def test_waha_acks_update_the_status(talking: Talking) -> None:
    with providing() as provider, talking(waha_url=provider.url) as client:
        _, org = organization_with_key(client)
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        (message,) = wait_for_status(client, 1, "sent")
        provider_id = provider.sent[message["id"]][0]
        ack = {"id": "evt_ack_1", "event": "message.ack", "session": "default",
               "payload": {"id": provider_id, "ack": 3, "ackName": "READ",
                           "timestamp": int(time.time())}}  # fmt: skip
        assert post_waha(client, ack).status_code == 200
        assert listed(client)[0]["status"] == "read"


def test_quiet_hours_hold_what_can_wait(talking: Talking) -> None:
    local = datetime.now(ZoneInfo("Europe/Amsterdam"))
    start, end = local - timedelta(minutes=30), local + timedelta(hours=2)
    window = f"{start:%H:%M}-{end:%H:%M}"
    with providing() as provider, talking(**cloud(provider), quiet_hours=window) as client:
        number = phone()
        _, org = organization_with_key(client, whatsapp_numbers=[number])
        volunteer, own = make_volunteer(client, phone=phone())
        sign_up(client, make_gig(client, org), own, volunteer_id=volunteer["id"])
        soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
        early = make_gig(client, org, starts_at=soon.isoformat(),
                         ends_at=(soon + timedelta(hours=1)).isoformat())  # fmt: skip
        early_one, early_own = make_volunteer(client, phone=phone())
        sign_up(client, early, early_own, volunteer_id=early_one["id"])
        post_cloud(client, cloud_delivery([{"messages": [cloud_text("31" + number[1:], "Hallo")]}]))
        # The reply, and the message about a gig before the quiet hours end, go at once.
        eventually(lambda: len(provider.texts()) == 2)
        time.sleep(1.5)
        assert {a.body["to"] for a in provider.texts()} == {
            "31" + number[1:],
            from_number(early_one),
        }
        (held,) = listed(client, status="queued")
        with db_session(client.app) as session:  # type: ignore[arg-type]
            stored = session.get(Message, held["id"])
            assert stored is not None
        local_end = stored.next_attempt_at.astimezone(ZoneInfo("Europe/Amsterdam"))
        assert f"{local_end:%H:%M}" == f"{end:%H:%M}"


def test_the_volunteers_choice_of_channel_and_reminders(talking: Talking) -> None:
    with (
        providing() as provider,
        mailbox() as box,
        talking(**cloud(provider), smtp_url=f"smtp://127.0.0.1:{box.port}",
                mail_from="noreply@klusmakelaar.example.org", reminder_hours="720") as client,
    ):  # fmt: skip
        _, org = organization_with_key(client)
        by_mail, by_mail_own = make_volunteer(
            client, phone=phone(), email="post@example.org",
            notifications={"channel": "email", "reminders": False},
        )  # fmt: skip
        assert by_mail["notifications"] == {"channel": "email", "reminders": False}
        silent, silent_own = make_volunteer(client, phone=phone(),
                                            notifications={"channel": "none"})  # fmt: skip
        assert silent["notifications"] == {"channel": "none", "reminders": True}
        default, _ = make_volunteer(client, phone=phone())
        assert default["notifications"] == {"channel": "whatsapp", "reminders": True}
        sign_up(client, make_gig(client, org), by_mail_own, volunteer_id=by_mail["id"])
        sign_up(client, make_gig(client, org), silent_own, volunteer_id=silent["id"])
        (mail,) = box.wait_for(1)
        assert mail["To"] == "post@example.org"
        time.sleep(1.5)
        assert provider.texts() == []  # no WhatsApp, no reminder, nothing for the silent one
        assert [m["kind"] for m in listed(client)] == ["signup_confirmed"]
        no_phone = client.patch(f"/api/v1/volunteers/{by_mail['id']}", headers=by_mail_own,
                                json={"notifications": {"channel": "whatsapp"}, "phone": None})  # fmt: skip
        assert no_phone.status_code == 422
        assert no_phone.json()["errors"][0]["loc"] == ["body", "notifications", "channel"]


def test_reminders_have_buttons_in_the_window_and_a_template_outside_it(talking: Talking) -> None:
    with providing() as provider, talking(**cloud(provider), reminder_hours="720") as client:
        _, org = organization_with_key(client)
        wrote, wrote_own = make_volunteer(client, phone=phone())
        quiet, quiet_own = make_volunteer(client, phone=phone(), languages=["en"])
        # One of them wrote to us today (a hello that is not an answer).
        post_cloud(client, cloud_delivery([{"messages": [cloud_text(from_number(wrote), "hoi")]}]))
        gig = make_gig(client, org)
        signup = sign_up(client, gig, wrote_own, volunteer_id=wrote["id"])
        sign_up(client, gig, quiet_own, volunteer_id=quiet["id"])
        wait_for_status(client, 2, "sent", kind="reminder")
        to = {a.body["to"]: a.body for a in provider.texts() if "eminder" in text_of(a)
              or "herinnering" in text_of(a)}  # fmt: skip
        buttons = to[from_number(wrote)]["interactive"]["action"]["buttons"]
        assert [(b["reply"]["id"], b["reply"]["title"]) for b in buttons] == [
            ("ja", "Ik kom"), ("nee", "Kan niet")]  # fmt: skip
        template = to[from_number(quiet)]["template"]
        assert template["name"] == "klusmakelaar_reminder"
        assert template["language"] == {"code": "en"}
        payloads = [c["parameters"][0]["payload"] for c in template["components"][1:]]
        assert payloads == ["yes", "no"]
        # A tap on "Kan niet" comes back as a button reply carrying "nee".
        tap = {"from": from_number(wrote), "id": "wamid.tap.1", "type": "interactive",
               "timestamp": str(int(time.time())),
               "interactive": {"type": "button_reply",
                               "button_reply": {"id": "nee", "title": "Kan niet"}}}  # fmt: skip
        assert post_cloud(client, cloud_delivery([{"messages": [tap]}])).status_code == 200
        eventually(lambda: client.get(f"/api/v1/signups/{signup['id']}", headers=wrote_own)
                   .json()["status"] == "cancelled")  # fmt: skip


def test_a_login_code_is_never_handed_to_bridges(talking: Talking) -> None:
    with talking() as client:  # no channel at all
        number = phone()
        make_volunteer(client, phone=number)
        assert (
            client.post("/api/v1/volunteers/login-codes", json={"phone": number}).status_code == 202
        )
        (message,) = listed(client, kind="login_code")
        assert (message["status"], message["error"]) == ("failed", "no channel for this contact")
        integration = bearer(make_key(client, "integration"))
        time.sleep(1.5)
        found = client.get("/api/v1/events", params={"type": "message.outgoing"},
                           headers=integration).json()["items"]  # fmt: skip
        assert found == []
        with db_session(client.app) as session:  # type: ignore[arg-type]
            stored = session.get(Message, message["id"])
            assert stored is not None
            assert not stored.body


def test_a_queued_reminder_follows_the_volunteers_later_choice_and_number(
    talking: Talking,
) -> None:
    with providing() as provider:
        with talking() as setup:
            _, org = organization_with_key(setup)
            first_gig, second_gig = make_gig(setup, org), make_gig(setup, org, capacity=9)
            moved, moved_own = make_volunteer(setup, phone=phone())
            opted, opted_own = make_volunteer(setup, phone=phone())
        soon = hours_before(first_gig, 4)
        with talking(**cloud(provider), reminder_hours=f"{soon:.6f}") as client:
            sign_up(client, first_gig, moved_own, volunteer_id=moved["id"])
            sign_up(client, second_gig, opted_own, volunteer_id=opted["id"])
            wait_for_status(client, 2, "queued", kind="reminder")
            new_number = phone()
            changed = client.patch(f"/api/v1/volunteers/{moved['id']}", headers=moved_own,
                                   json={"phone": new_number})  # fmt: skip
            assert changed.status_code == 200, changed.text
            off = client.patch(f"/api/v1/volunteers/{opted['id']}", headers=opted_own,
                               json={"notifications": {"channel": "whatsapp", "reminders": False}})  # fmt: skip
            assert off.status_code == 200, off.text
            eventually(lambda: len(reminders_sent(provider)) == 1, timeout=15)
            (reminder,) = reminders_sent(provider)
            assert reminder.body["to"] == "31" + new_number[1:]
            (suppressed,) = listed(client, kind="reminder", status="suppressed")
            assert suppressed["error"] == "the volunteer chose not to get it"


def test_a_title_with_a_line_break_still_makes_one_subject(talking: Talking) -> None:
    with mailbox() as box, talking(smtp_url=f"smtp://127.0.0.1:{box.port}",
                                   mail_from="noreply@klusmakelaar.example.org") as client:  # fmt: skip
        _, org = organization_with_key(client)
        gig = make_gig(client, org, title="Eerste regel\nTweede regel")
        volunteer, own = make_volunteer(client, email="regels@example.org")
        sign_up(client, gig, own, volunteer_id=volunteer["id"])
        (mail,) = box.wait_for(1)
        assert "\n" not in mail["Subject"]
        wait_for_status(client, 1, "sent")
