"""The OpenAPI document: problem+json errors, bearer auth and Idempotency-Key, everywhere."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A stable slug per kind of error."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "422 only: what is wrong, per field.",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                },
            },
        },
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_PROBLEM_CONTENT = {"application/problem+json": {"schema": _PROBLEM_REF}}
IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key with the same request replays the first 2xx "
        "response; with a different request it is 422 `idempotency-key-reused`; while the "
        "first still runs, 409. Scoped per caller, kept 48 hours, 1–255 characters, quoted or bare."
    ),
    "schema": {"type": "string", "pattern": '^("[!#-~]{1,255}"|[!#-~]{1,255})$'},
}


def _adjust_operation(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if "422" in responses:
        responses["422"] = {"description": "Validation error", "content": _PROBLEM_CONTENT}
    responses.setdefault("default", {"description": "Problem details", "content": _PROBLEM_CONTENT})
    if method == "post":
        operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)


def install_openapi(app: FastAPI) -> None:
    """Replace the app's schema generator with one that documents the cross-cutting rules."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if path.startswith("/api/"):
                    _adjust_operation(method, operation)
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
