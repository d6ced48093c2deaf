"""Health, readiness, metrics, OpenAPI and the offline docs."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_organization


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", admin_token=ADMIN_TOKEN)
    )
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "not migrated"


def test_metrics_use_route_templates_not_raw_paths(client: TestClient) -> None:
    organization = make_organization(client)
    client.get(f"/api/v1/organizations/{organization['id']}")
    text = client.get("/metrics").text
    assert 'route="/api/v1/organizations/{organization_id}"' in text
    assert organization["id"] not in text
    assert "klusmakelaar_http_request_duration_seconds_bucket" in text


def test_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    asset = client.get("/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.content) > 100_000


def test_openapi_documents_problems_and_idempotency(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    create = schema["paths"]["/api/v1/organizations"]["post"]
    assert any(parameter["name"] == "Idempotency-Key" for parameter in create["parameters"])
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert "Problem" in schema["components"]["schemas"]


def test_openapi_security_says_which_operations_need_a_token(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    optional = [{}, {"bearer": []}]
    assert paths["/api/v1/gigs"]["get"]["security"] == optional  # public, drafts with a key
    assert paths["/api/v1/gigs/{gig_id}"]["get"]["security"] == optional
    assert paths["/api/v1/gigs"]["post"]["security"] == [{"bearer": []}]
    assert paths["/api/v1/api-keys"]["get"]["security"] == [{"bearer": []}]
    assert paths["/api/v1/volunteers"]["post"]["security"] == []  # anonymous registration
    assert paths["/healthz"]["get"]["security"] == []


def test_start_up_objects_are_kept_out_of_full_collections(settings: Settings) -> None:
    """Frozen while serving (no 100 ms full passes over them), released at shutdown."""
    app = create_app(settings)
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 0
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0
    app.state.database.dispose()
