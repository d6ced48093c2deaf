"""The pure adapter functions: sender ids, signatures, payload shapes, plain text."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from app.integrations import waha, whatsapp_cloud
from app.integrations.inbound import (
    InboundMessageIn,
    is_linked_id,
    phone_from_whatsapp_id,
    plain_text,
    same_whatsapp_user,
    timestamp,
)

PHONE = "31612345678"
E164 = f"+{PHONE}"
OTHER = "31687654321"
LID = "123456789012345@lid"
GROUP = "120363025246125888@g.us"


@pytest.mark.parametrize(
    ("whatsapp_id", "expected"),
    [
        ("31612345678", "+31612345678"),
        ("31612345678@c.us", "+31612345678"),
        ("31612345678@s.whatsapp.net", "+31612345678"),
        ("31612345678:12@s.whatsapp.net", "+31612345678"),
        ("4915112345678@c.us", "+4915112345678"),
        ("120363025246125888@g.us", None),
        ("123456789012345@lid", None),
        ("123456789012345:3@lid", None),
        ("31612345678@lid", None),
        ("+31612345678", None),
        ("0612345678", None),
        ("", None),
        (None, None),
        (31612345678, None),
    ],
)
def test_whatsapp_ids_become_e164_or_none(whatsapp_id: object, expected: str | None) -> None:
    assert phone_from_whatsapp_id(whatsapp_id) == expected


def test_plain_text_drops_control_characters_and_surrogates_and_cuts() -> None:
    assert plain_text("a\x00b\x1bc\td\ne\ud800f") == "abc\td\nef"
    assert plain_text("x" * 5000) == "x" * 4096
    assert plain_text(42) is None


def test_timestamps_are_epoch_seconds_within_reason() -> None:
    assert timestamp("1790000000") is not None
    assert timestamp(1790000000) == timestamp("1790000000")
    for value in ("soon", "9" * 30, -5, True, None, 10**20):
        assert timestamp(value) is None


def test_cloud_signatures_are_checked_over_the_raw_bytes() -> None:
    body = b'{"entry": []}'
    good = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert whatsapp_cloud.verify_signature("secret", body, good)
    assert whatsapp_cloud.verify_signature(
        "secret", body, good.upper().replace("SHA256=", "sha256=")
    )
    assert not whatsapp_cloud.verify_signature("secret", body + b"\n", good)
    assert not whatsapp_cloud.verify_signature(None, body, good)
    assert not whatsapp_cloud.verify_signature("secret", body, None)
    assert not whatsapp_cloud.verify_signature("secret", body, "sha1=" + good[7:])
    assert not whatsapp_cloud.verify_signature("secret", body, "sha256=ünïcode")


def test_waha_hmac_is_sha512_only() -> None:
    body = b'{"event": "message"}'
    good = hmac.new(b"key", body, hashlib.sha512).hexdigest()
    assert waha.verify_hmac("key", body, good, "sha512")
    assert waha.verify_hmac("key", body, good, None)
    assert not waha.verify_hmac("key", body, good, "sha256")
    assert not waha.verify_hmac("", body, good, "sha512")


def test_verification_needs_subscribe_and_the_exact_token() -> None:
    assert whatsapp_cloud.verify_subscription("token", "subscribe", "token", "1")
    assert not whatsapp_cloud.verify_subscription("token", "subscribe", "token ", "1")
    assert not whatsapp_cloud.verify_subscription("token", "subscribe", "token", None)
    assert not whatsapp_cloud.verify_subscription(None, "subscribe", "", "1")


def test_the_group_participant_is_the_waha_sender() -> None:
    group = {"from": "1203630@g.us", "participant": "31612345678@c.us"}
    assert waha.sender_id(group) == "31612345678@c.us"
    assert waha.sender_id({"from": "31612345678@c.us", "participant": None}) == "31612345678@c.us"


def test_linked_ids_are_recognised_and_compared_without_device_suffixes() -> None:
    assert is_linked_id(LID)
    assert is_linked_id("123456789012345:7@lid")
    for value in (f"{PHONE}@c.us", GROUP, "abc@lid", "", None, 123456789012345):
        assert not is_linked_id(value)
    assert same_whatsapp_user("123456789012345:7@lid", LID)
    assert same_whatsapp_user(f"{PHONE}:2@s.whatsapp.net", f"{PHONE}@c.us")
    assert not same_whatsapp_user(f"{PHONE}@lid", f"{PHONE}@c.us")
    assert not same_whatsapp_user("999999999999999@lid", LID)
    assert not same_whatsapp_user(None, LID)


def waha_message(
    data: dict[str, Any] | None, *, sender: str = LID, group: str | None = GROUP, **extra: Any
) -> InboundMessageIn:
    """The one message of a WAHA `message` event whose sender is ``sender`` (in ``group``,
    or a direct chat when ``group`` is None) and whose raw engine message is ``data``."""
    payload: dict[str, Any] = {
        "id": "false_msg_1", "timestamp": 1790000000, "from": group or sender,
        "fromMe": False, "to": "31500000000@c.us", "body": "Klus: iets", "hasMedia": False,
        "participant": sender if group else None, **extra,
    }  # fmt: skip
    if data is not None:
        payload["_data"] = data
    [message] = waha.messages_from_event({"event": "message", "payload": payload})
    return message


def noweb_key(**fields: Any) -> dict[str, Any]:
    """A NOWEB (Baileys) raw message of a group message from the linked id ``LID``."""
    return {"key": {"remoteJid": GROUP, "fromMe": False, "id": "3EB0", "participant": LID,
                    **fields}, "pushName": "Anna"}  # fmt: skip


def gows_info(**fields: Any) -> dict[str, Any]:
    """A GOWS (whatsmeow) raw message of a group message from the linked id ``LID``."""
    info = {"Chat": GROUP, "Sender": "123456789012345:7@lid", "IsFromMe": False,
            "IsGroup": True, "AddressingMode": "lid", "ID": "3EB0", **fields}  # fmt: skip
    return {"Info": info, "Message": {"conversation": "Klus: iets"}}


def webjs_data(**fields: Any) -> dict[str, Any]:
    """A WEBJS (whatsapp-web.js rawData) group message from the linked id ``LID``."""
    key = {"fromMe": False, "remote": GROUP, "id": "3EB0", "participant": LID}
    return {"id": key, "from": GROUP, "to": "31500000000@c.us", "author": LID, **fields}


@pytest.mark.parametrize(
    "data",
    [
        noweb_key(participantAlt=f"{PHONE}@s.whatsapp.net"),  # Baileys 7
        noweb_key(participantPn=f"{PHONE}@s.whatsapp.net"),  # Baileys 6.7
        gows_info(SenderAlt=f"{PHONE}:12@s.whatsapp.net"),
        gows_info(SenderAlt=f"{PHONE}@s.whatsapp.net"),
        gows_info(Sender=f"{PHONE}:3@s.whatsapp.net", SenderAlt=LID),
        webjs_data(author=f"{PHONE}@c.us"),
        webjs_data(author={"server": "c.us", "user": PHONE, "_serialized": f"{PHONE}@c.us"}),
        webjs_data(id={"fromMe": False, "remote": GROUP, "participant": f"{PHONE}@c.us"}),
    ],
    ids=[
        "noweb-participantAlt",
        "noweb-participantPn",
        "gows-SenderAlt-device",
        "gows-SenderAlt",
        "gows-Sender",
        "webjs-author",
        "webjs-author-object",
        "webjs-id-participant",
    ],
)
def test_a_linked_id_in_a_group_is_resolved_by_each_engines_phone_field(
    data: dict[str, Any],
) -> None:
    message = waha_message(data)
    assert (message.sender, message.sender_id) == (E164, LID)


def test_a_linked_id_with_a_device_suffix_is_resolved_too() -> None:
    data = gows_info(SenderAlt=f"{PHONE}:12@s.whatsapp.net")
    message = waha_message(data, sender="123456789012345:7@lid")
    assert (message.sender, message.sender_id) == (E164, "123456789012345:7@lid")


@pytest.mark.parametrize(
    "data",
    [
        {"key": {"remoteJid": LID, "fromMe": False, "id": "3EB0",
                 "remoteJidAlt": f"{PHONE}@s.whatsapp.net"}},  # NOWEB, Baileys 7
        {"key": {"remoteJid": LID, "fromMe": False, "id": "3EB0",
                 "senderPn": f"{PHONE}@s.whatsapp.net"}},  # NOWEB, Baileys 6.7
        {"Info": {"Chat": LID, "Sender": LID, "IsFromMe": False, "IsGroup": False,
                  "SenderAlt": f"{PHONE}:2@s.whatsapp.net"}},  # GOWS
        {"id": {"fromMe": False, "remote": LID}, "from": f"{PHONE}@c.us",
         "to": "31500000000@c.us"},  # WEBJS
    ],
    ids=["noweb-remoteJidAlt", "noweb-senderPn", "gows-SenderAlt", "webjs-from"],
)  # fmt: skip
def test_a_linked_id_in_a_direct_chat_is_resolved_too(data: dict[str, Any]) -> None:
    message = waha_message(data, group=None)
    assert (message.sender, message.sender_id) == (E164, LID)


@pytest.mark.parametrize("group", [GROUP, None], ids=["group", "direct"])
@pytest.mark.parametrize(
    "data",
    [None, {}, noweb_key(), gows_info(), webjs_data(), {"key": None, "Info": "x"}],
    ids=["no-data", "empty", "noweb", "gows", "webjs", "odd-shapes"],
)
def test_a_linked_id_without_a_phone_field_stays_unknown(
    data: dict[str, Any] | None, group: str | None
) -> None:
    message = waha_message(data, group=group)
    assert (message.sender, message.sender_id) == (None, LID)


@pytest.mark.parametrize(
    ("data", "extra"),
    [
        # The group's own id, in any field, is never the sender's number.
        (noweb_key(participantAlt=GROUP), {}),
        (webjs_data(author=GROUP), {}),
        (webjs_data(id={"fromMe": False, "remote": GROUP, "participant": GROUP}), {}),
        # In a group, `remoteJidAlt` and `from` are about the group, not the participant.
        (noweb_key(remoteJidAlt=f"{PHONE}@s.whatsapp.net"), {}),
        (webjs_data(**{"from": f"{PHONE}@c.us"}), {}),
        # What belongs to the recipient (us) is never read.
        (gows_info(RecipientAlt=f"{PHONE}@s.whatsapp.net"), {}),
        (webjs_data(to=f"{PHONE}@c.us"), {"to": f"{PHONE}@c.us"}),
        ({}, {"to": f"{PHONE}@c.us", "author": f"{PHONE}@c.us"}),
        # A phone field about another sender, or a message of ours, is not this sender's.
        (noweb_key(participant="999999999999999@lid",
                   participantAlt=f"{PHONE}@s.whatsapp.net"), {}),
        (gows_info(Sender="999999999999999@lid", SenderAlt=f"{PHONE}@s.whatsapp.net"), {}),
        (noweb_key(fromMe=True, participantAlt=f"{PHONE}@s.whatsapp.net"), {}),
        (gows_info(IsFromMe=True, SenderAlt=f"{PHONE}@s.whatsapp.net"), {}),
        # A linked id is never a phone number, and two different numbers are no answer.
        (noweb_key(participantAlt=f"{PHONE}@lid"), {}),
        (noweb_key(participantAlt=f"{PHONE}@s.whatsapp.net")
         | webjs_data(author=f"{OTHER}@c.us"), {}),
    ],
    ids=["noweb-group-id", "webjs-group-id", "webjs-group-id-participant",
         "noweb-group-remoteJidAlt", "webjs-group-from", "gows-RecipientAlt", "webjs-to",
         "payload-to", "noweb-other-participant", "gows-other-sender", "noweb-from-me",
         "gows-from-me", "noweb-lid-alt", "disagreeing-fields"],
)  # fmt: skip
def test_group_ids_recipients_and_other_senders_are_never_taken_as_the_sender(
    data: dict[str, Any], extra: dict[str, Any]
) -> None:
    message = waha_message(data, **extra)
    assert (message.sender, message.sender_id) == (None, LID)


def test_a_phone_sender_id_is_used_as_before_whatever_the_raw_message_says() -> None:
    message = waha_message(noweb_key(participantAlt=f"{OTHER}@s.whatsapp.net"),
                           sender=f"{PHONE}@c.us")  # fmt: skip
    assert (message.sender, message.sender_id) == (E164, f"{PHONE}@c.us")
