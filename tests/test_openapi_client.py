"""The OpenAPI document is good enough to generate clients from (API.md, Conventions).

The document itself: camelCase and unique operation ids, every error with its body,
the response headers, security per operation, optional defaults in request bodies; the
headers it declares are the ones really sent; and a TypeScript client generated with
openapi-typescript type-checks under `tsc --strict` (`clients/typescript`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.openapi import BEARER, BEARER_OPTIONAL, InvalidOperationId, install_openapi
from app.openapi_responses import NO_LOCATION, SERVICE_ERRORS, SOMETIMES_LOCATION
from tests.factories import ADMIN, bearer, make_gig, make_organization

CLIENT_DIR = Path(__file__).resolve().parents[1] / "clients" / "typescript"
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
NAMED_HEADERS = ("ETag", "Location", "Retry-After", "Idempotent-Replayed")
#: Operations that need no token at all, and those where a token is optional.
ANONYMOUS = {
    "healthz", "readyz", "metrics", "registerVolunteer", "requestLoginCode", "issueToken",
    "publicCalendar", "associationCalendar", "verifyWhatsappWebhook", "whatsappWebhook",
    "wahaWebhook", "publicReport",
}  # fmt: skip
TOKEN_OPTIONAL = {
    "listGigs", "getGig", "shareGig", "listOrganizations", "getOrganization",
    "listAssociations", "getAssociation", "getGigSeries",
}  # fmt: skip


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    """The app's OpenAPI document."""
    app = create_app(Settings(database_url="sqlite://"))
    yield app.openapi()
    app.state.database.dispose()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_operation_has_a_unique_camel_case_id(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-zA-Z0-9]*", name) for name in ids), ids
    named = {operation["operationId"] for _, _, operation in operations(document)}
    assert {"listGigs", "getGig", "createSignup", "registerVolunteer"} <= named
    assert {"listMessages", "listInboundMessages"} <= named  # two `list_messages` endpoints


def _router_with_list_gigs(path: str) -> APIRouter:
    router = APIRouter()

    @router.get(path)
    async def list_gigs() -> None: ...

    return router


def test_colliding_operation_ids_stop_the_start_up() -> None:
    app = FastAPI()
    app.include_router(_router_with_list_gigs("/gigs"))
    app.include_router(_router_with_list_gigs("/old-gigs"))
    with pytest.raises(InvalidOperationId, match="'listGigs'"):
        install_openapi(app)


def test_every_error_is_declared_with_its_body(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        assert "500" in responses, (method, path)
        assert "431" in responses, (method, path)
        for status, response in responses.items():
            if int(status) < 400:
                continue
            if status == "431":  # answered by the HTTP server, before the app
                assert set(response["content"]) == {"text/plain"}
            elif (path, status) == ("/readyz", "503"):
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Readiness"
                }
            else:
                assert response["content"] == PROBLEM, (method, path, status)


def test_errors_follow_from_the_route(document: dict[str, Any]) -> None:
    paths = document["paths"]
    signup = paths["/api/v1/gigs/{gig_id}/signups"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422", "503"} <= set(signup)
    assert "gig-full" in signup["409"]["description"]
    update = paths["/api/v1/gigs/{gig_id}"]["patch"]["responses"]
    assert "412" in update  # If-Match
    register = paths["/api/v1/volunteers"]["post"]["responses"]
    assert register["429"]["headers"]["Retry-After"]["required"] is True
    assert "volunteer-exists" in register["409"]["description"]
    assert set(paths["/healthz"]["get"]["responses"]) == {"200", "431", "500"}
    assert "404" in paths["/api/v1/associations/{association_id}/calendar.ics"]["get"]["responses"]


def test_what_the_routes_do_not_show_is_listed_by_existing_ids(document: dict[str, Any]) -> None:
    ids = {operation["operationId"] for _, _, operation in operations(document)}
    assert set(SERVICE_ERRORS) | NO_LOCATION | set(SOMETIMES_LOCATION) <= ids


def test_retry_after_and_www_authenticate_are_declared(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            if status == "401":
                assert headers["WWW-Authenticate"]["required"] is True, (method, path)
            if status == "429" or (status == "503" and path != "/readyz"):
                assert headers["Retry-After"]["required"] is True, (method, path, status)


def test_created_responses_declare_location(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        created = operation["responses"].get("201")
        if created is None:
            continue
        declared = "Location" in created.get("headers", {})
        assert declared is (operation["operationId"] not in NO_LOCATION), (method, path)


def test_security_says_who_may_call(document: dict[str, Any]) -> None:
    assert document["security"] == BEARER
    for method, path, operation in operations(document):
        name = operation["operationId"]
        expected = (
            [] if name in ANONYMOUS else BEARER_OPTIONAL if name in TOKEN_OPTIONAL else BEARER
        )
        assert operation["security"] == expected, (method, path)


def _component(document: dict[str, Any], ref: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def test_defaults_are_optional_in_requests_and_responses_are_complete(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert "waitlist" not in schemas["SignupCreate"].get("required", [])
    assert not {"needs_guidance", "needs_accessible"} & set(schemas["VolunteerCreate"]["required"])
    assert "Default: `true`" in schemas["SignupCreate"]["properties"]["waitlist"]["description"]
    for _method, path, operation in operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body and "$ref" in body["schema"]:
            properties = _component(document, body["schema"]["$ref"])["properties"]
            # A component's `default` reads as "always present" to generators.
            assert not [name for name, field in properties.items() if "default" in field], path
        success = operation["responses"].get("200") or operation["responses"].get("201") or {}
        schema = success.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            model = _component(document, schema["$ref"])
            assert set(model.get("required", [])) == set(model.get("properties", {})), path
    assert "distance_km" in schemas["GigRead"]["required"]


def _assert_declared(document: dict[str, Any], path: str, response: httpx.Response) -> None:
    """The status is declared; its required headers are sent; the named ones sent are declared."""
    method = response.request.method.lower()
    declared = document["paths"][path][method]["responses"].get(str(response.status_code))
    assert declared is not None, (method, path, response.status_code, response.text)
    headers = declared.get("headers", {})
    for name, header in headers.items():
        if header["required"]:
            assert name in response.headers, (method, path, response.status_code, name)
    for name in NAMED_HEADERS:
        if name in response.headers:
            assert name in headers, (method, path, response.status_code, name)


def test_declared_headers_are_the_ones_sent(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    organization = make_organization(client)
    gig = make_gig(client, ADMIN, organization_id=organization["id"])
    gig_path, signups_path = "/api/v1/gigs/{gig_id}", "/api/v1/gigs/{gig_id}/signups"
    _assert_declared(document, gig_path, client.get(f"/api/v1/gigs/{gig['id']}"))
    _assert_declared(document, gig_path, client.get("/api/v1/gigs/nope"))
    _assert_declared(document, "/api/v1/gigs", client.get("/api/v1/gigs?near=53.2,6.5"))

    key = {"Idempotency-Key": "registration-1"}
    body = {"name": "Sanne", "email": "sanne@example.org", "consent": True}
    registered = client.post("/api/v1/volunteers", json=body, headers=key)
    _assert_declared(document, "/api/v1/volunteers", registered)
    replayed = client.post("/api/v1/volunteers", json=body, headers=key)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    _assert_declared(document, "/api/v1/volunteers", replayed)
    taken = client.post("/api/v1/volunteers", json=body)
    assert taken.status_code == 409
    _assert_declared(document, "/api/v1/volunteers", taken)

    volunteer = bearer(registered.json()["access_token"])
    signup = {"volunteer_id": registered.json()["id"]}
    url = f"/api/v1/gigs/{gig['id']}/signups"
    _assert_declared(document, signups_path, client.post(url, json=signup, headers=volunteer))
    again = client.post(url, json=signup, headers=volunteer)
    assert again.json()["type"] == "already-signed-up"
    _assert_declared(document, signups_path, again)
    _assert_declared(document, signups_path, client.post(url, json=signup))
    _assert_declared(document, signups_path, client.post(url, json=signup, headers=bearer("x")))
    _assert_declared(document, "/readyz", client.get("/readyz"))


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=CLIENT_DIR, capture_output=True, text=True, timeout=300, check=False
    )


def test_a_generated_typescript_client_type_checks(document: dict[str, Any]) -> None:
    """openapi-typescript, then `tsc --strict` on `client.ts` (about 6 s)."""
    npx = shutil.which("npx")
    assert npx is not None, (
        "Node.js is needed: install it, then `npm ci --prefix clients/typescript`"
    )
    assert (CLIENT_DIR / "node_modules" / ".bin" / "tsc").exists(), (
        "The TypeScript tools are not installed: run `npm ci --prefix clients/typescript` "
        "(`make test` does it)"
    )
    (CLIENT_DIR / "openapi.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
    generated = _run(
        [npx, "--no-install", "openapi-typescript", "openapi.json", "-o", "schema.d.ts"]
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    checked = _run([npx, "--no-install", "tsc", "--strict", "--noEmit"])
    assert checked.returncode == 0, "tsc --strict failed:\n" + checked.stdout + checked.stderr
