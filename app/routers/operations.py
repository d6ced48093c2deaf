"""Operations outside `/api/v1`: health, readiness, metrics and offline docs."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.dependencies import DatabaseDep
from app.migrate import is_at_head

router = APIRouter(tags=["operations"])
SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable and migrated to the head revision",
    responses={503: {"description": "Not ready"}},
)
async def readyz(request: Request, db: DatabaseDep) -> JSONResponse:
    try:
        migrated = await is_at_head(db, request.app.state.head_revision)
    except Exception:  # any database failure means "not ready", never a 500
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not migrated:
        return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    body = generate_latest(request.app.state.metrics_registry)
    return PlainTextResponse(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Klusmakelaar API",
        swagger_js_url="/docs-assets/swagger-ui-bundle.js",
        swagger_css_url="/docs-assets/swagger-ui.css",
        swagger_favicon_url="/docs-assets/favicon.png",
    )
