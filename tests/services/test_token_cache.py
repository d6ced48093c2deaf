"""`Caches.tokens` (`app.services.token_cache`): a key's principal is kept while nothing
was committed, and never outlives a change of its row, however the row changed."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.auth import Principal, hash_token
from app.models import ApiKey
from app.services.token_cache import KnownTokens
from tests.direct import db_session
from tests.factories import make_gig, organization_with_key


def test_a_key_is_read_once_while_nothing_is_committed(app: FastAPI, client: TestClient) -> None:
    _, own = organization_with_key(client)
    token = own["Authorization"].removeprefix("Bearer ")
    tokens: KnownTokens = app.state.caches.tokens
    assert client.get("/api/v1/gigs?status=draft", headers=own).status_code == 200
    version = client.portal.call(app.state.database.data_version)  # type: ignore[union-attr]
    kept = tokens.get(hash_token(token), version)
    assert kept is not None
    assert kept.role == "organization"
    # Only the digest is kept, never the token.
    assert token not in repr(tokens._known)


def test_a_key_revoked_behind_the_service_s_back_is_refused_at_once(
    app: FastAPI, client: TestClient
) -> None:
    _, own = organization_with_key(client)
    token = own["Authorization"].removeprefix("Bearer ")
    make_gig(client, own)
    for _ in range(3):  # kept now
        assert client.get("/api/v1/gigs?status=draft", headers=own).status_code == 200
    with db_session(app) as session, session.begin():
        session.execute(
            update(ApiKey)
            .where(ApiKey.token_hash == hash_token(token))
            .values(revoked_at=datetime.now(UTC))
        )
    refused = client.get("/api/v1/gigs?status=draft", headers=own)
    assert refused.status_code == 401, refused.text


def test_a_key_revoked_through_the_api_is_refused_on_the_next_request(
    client: TestClient, admin: dict[str, str]
) -> None:
    organization, own = organization_with_key(client)
    assert client.get("/api/v1/reports/impact?from=2026-01-01&to=2026-01-31&group_by=area",
                      headers=own).status_code == 200  # fmt: skip
    keys = client.get("/api/v1/api-keys", headers=admin).json()["items"]
    (key,) = [key for key in keys if key["organization_id"] == organization["id"]]
    revoked = client.delete(f"/api/v1/api-keys/{key['id']}", headers=admin)
    assert revoked.status_code in (200, 204), revoked.text
    answer = client.get(
        "/api/v1/reports/impact?from=2026-01-01&to=2026-01-31&group_by=area", headers=own
    )
    assert answer.status_code == 401


def test_without_a_data_version_nothing_is_kept() -> None:
    tokens = KnownTokens(size=2)
    principal = Principal(role="organization", key_id="key_1", organization_id="org_1")
    tokens.put("a" * 64, None, principal)
    assert tokens.get("a" * 64, None) is None
    tokens.put("a" * 64, "v1", principal)
    assert tokens.get("a" * 64, "v1") == principal
    assert tokens.get("a" * 64, "v2") is None
    tokens.put("b" * 64, "v1", principal)
    tokens.put("c" * 64, "v1", principal)
    assert tokens.get("a" * 64, "v1") is None  # the oldest went first
