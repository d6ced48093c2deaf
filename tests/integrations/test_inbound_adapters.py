"""The pure adapter functions: sender ids, signatures, payload shapes, plain text."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from app.integrations import waha, whatsapp_cloud
from app.integrations.inbound import phone_from_whatsapp_id, plain_text, timestamp


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
