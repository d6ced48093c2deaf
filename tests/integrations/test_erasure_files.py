"""Erasure leaves no personal value in the database's files (SQLite: the file and its
`-wal`; PostgreSQL: a `pg_dump`), and the export holds every personal datum kept."""

from __future__ import annotations

import base64
import itertools
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from app.config import Settings
from app.main import create_app
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_gig, make_volunteer, organization_with_key
from tests.integrations.inbound_helpers import (
    BRIDGE_PATH,
    cloud_delivery,
    cloud_text,
    post_cloud,
    post_waha,
    waha_event,
)

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
_numbers = itertools.count(28_710_000)


def _wamid(digits: str) -> str:
    """A Cloud API message id as WhatsApp makes them: base64 of bytes that hold the number."""
    raw = b"\x1c\x18\x0b" + digits.encode() + b"\x15\x02\x00\x12\x18\x143A7F2E9C1B"
    return "wamid." + base64.b64encode(raw).decode()


def _database_bytes(settings: Settings) -> bytes:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    dump = shutil.which("pg_dump")
    if dump is None:
        pytest.skip("pg_dump is not installed")
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run([dump, "--data-only", plain], check=True, capture_output=True).stdout


def _where(settings: Settings, needle: str) -> list[str]:
    """Which tables still hold ``needle`` (to say where, when the files do)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return []
    import sqlite3

    with sqlite3.connect(str(url.database)) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return [
            f"{table}: {row}"
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            if needle in repr(row)
        ]


def _leftovers(data: bytes, needles: dict[str, bytes]) -> list[str]:
    return [name for name, needle in needles.items() if needle in data]


def test_an_erased_volunteer_is_found_nowhere_in_the_database_files(settings: Settings) -> None:
    digits = f"316{next(_numbers)}"
    email = f"zeldzaam.{digits}@example.org"
    name = "Fenna Zeldzaamheid"
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        _, org = organization_with_key(client)
        volunteer, own = make_volunteer(client, name=name, phone=f"+{digits}", email=email,
                                        about=f"Bel me op 0{digits[2:]}")  # fmt: skip
        gig = make_gig(client, org)
        signed = client.post(f"/api/v1/gigs/{gig['id']}/signups",
                             json={"volunteer_id": volunteer["id"]}, headers=own)  # fmt: skip
        assert signed.status_code == 201, signed.text
        # Chat messages from the number, over every way in: ids that hold the number.
        waha_id = f"false_{digits}@c.us_3EB0C767D71D"
        assert post_waha(client, waha_event(digits, "Hallo, ik wil helpen", message_id=waha_id)
                         ).status_code == 200  # fmt: skip
        wamid = _wamid(digits)
        delivery = cloud_delivery([{"messages": [cloud_text(digits, "Hoi, nog plek?", wamid)]}])
        assert post_cloud(client, delivery).status_code == 200
        key = client.post("/api/v1/api-keys", json={"name": "bridge", "role": "integration"},
                          headers=ADMIN).json()  # fmt: skip
        bridge = {"Authorization": f"Bearer {key['token']}", "Idempotency-Key": "relay-1"}
        relayed = client.post(BRIDGE_PATH, headers=bridge, json={
            "message_id": f"{digits}-relay", "from": f"+{digits}", "text": "Ik kom zaterdag"})  # fmt: skip
        assert relayed.status_code in (200, 201), relayed.text
        assert client.post("/api/v1/volunteers/login-codes",
                           json={"phone": f"+{digits}"}).status_code == 202  # fmt: skip

        exported = client.get(f"/api/v1/volunteers/{volunteer['id']}/export", headers=own)
        assert exported.status_code == 200
        chats = exported.json()["chat_messages"]
        assert {chat["text"] for chat in chats} >= {"Hallo, ik wil helpen", "Hoi, nog plek?",
                                                    "Ik kom zaterdag"}  # fmt: skip

        needles = {
            "number": digits.encode(),
            "national number": f"0{digits[2:]}".encode(),
            "number in a Cloud API id": wamid[6:30].encode(),
            "e-mail": email.encode(),
            "name": name.encode(),
            "chat text": b"nog plek",
        }
        assert _leftovers(_database_bytes(settings), needles) == list(needles)  # it is there
        erased = client.delete(f"/api/v1/volunteers/{volunteer['id']}", headers=own)
        assert erased.status_code == 204
        assert _leftovers(_database_bytes(settings), needles) == [], _where(settings, digits)
        # The bridge's stored response named the number: it is not replayed any more.
        again = client.post(BRIDGE_PATH, headers=bridge, json={
            "message_id": f"{digits}-relay", "from": f"+{digits}", "text": "Ik kom zaterdag"})  # fmt: skip
        assert again.headers.get("idempotent-replayed") is None
