"""The OpenAPI document, fit to generate clients from: camelCase operation ids, security
per operation, every error and response header (`app.openapi_responses`), request bodies
whose defaulted fields are optional and responses whose fields are all required."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import BaseRoute

from app.openapi_responses import (
    READINESS_SCHEMA,
    Route,
    document_errors,
    document_success_headers,
)

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A stable slug per kind of error."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "missing": {
            "type": "array",
            "description": "`requirements-not-met` only: the gig's requirements not met.",
            "items": {"type": "string", "enum": ["min_age", "vog", "driving_licence"]},
        },
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
BEARER_SCHEME: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key, or a volunteer's access token.",
}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
#: A token is accepted (it may show more, e.g. drafts) but not needed.
BEARER_OPTIONAL: list[dict[str, list[str]]] = [{}, {"bearer": []}]
#: Operation ids where the endpoint's own name would collide with another's.
OPERATION_ID_OVERRIDES = {"app.routers.integrations.list_messages": "listInboundMessages"}
_CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")


class InvalidOperationId(RuntimeError):
    """Two operations would share an operation id (generated clients could not tell them
    apart), or one is not camelCase."""


def operation_id(route: APIRoute) -> str:
    """The camelCase operation id of a route: its endpoint's name, unless overridden."""
    endpoint = route.endpoint
    override = OPERATION_ID_OVERRIDES.get(f"{endpoint.__module__}.{endpoint.__name__}")
    if override is not None:
        return override
    if route.operation_id:
        return route.operation_id
    head, *rest = route.name.strip("_").split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _operations(
    routes: Sequence[BaseRoute | RouteContext],
) -> Iterator[tuple[RouteContext, APIRoute, str, str]]:
    """(context, route, method, path) of every operation in the document."""
    for context in iter_route_contexts(routes):
        route, path = context.original_route, context.path_format
        if isinstance(route, APIRoute) and route.include_in_schema and path is not None:
            for method in sorted(context.methods or ()):
                yield context, route, method.lower(), path


def operation_ids(routes: Sequence[BaseRoute | RouteContext]) -> dict[tuple[str, str], str]:
    """Each operation's id by (method, path); raises when two collide or one is not camelCase."""
    ids: dict[tuple[str, str], str] = {}
    owners: dict[str, tuple[str, str]] = {}
    for _context, route, method, path in _operations(routes):
        name = operation_id(route)
        if not _CAMEL_CASE.match(name):
            raise InvalidOperationId(f"{method.upper()} {path}: {name!r} is not camelCase")
        if name in owners and owners[name] != (method, path):
            first = " ".join(owners[name]).upper()
            raise InvalidOperationId(
                f"{first} and {method.upper()} {path} both have the operation id {name!r}: "
                "rename one endpoint, or add it to app.openapi.OPERATION_ID_OVERRIDES"
            )
        owners[name] = (method, path)
        ids[(method, path)] = name
    return ids


def _security(route: Route) -> list[dict[str, list[str]]]:
    """A token needed, a token optional, or none at all (`security: []`)."""
    if route.token_required:
        return BEARER
    if route.reads_token:
        return BEARER_OPTIONAL
    return []


def _referenced(node: Any, schemas: dict[str, Any], found: set[str]) -> set[str]:
    """The component schemas ``node`` refers to, directly or through others."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in found:
                found.add(name)
                _referenced(schemas[name], schemas, found)
        for value in node.values():
            _referenced(value, schemas, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, schemas, found)
    return found


def _split_request_and_response_schemas(schema: dict[str, Any]) -> None:
    """Request bodies: a defaulted field is optional. Responses: every field is required.

    Both are true of the models already, but generators read `default` on a component
    schema as "always present" (openapi-typescript's `defaultNonNullable`), and pydantic
    lists defaulted fields of a response (`distance_km`) as optional although every
    response has them. So in request schemas the default moves into the description,
    and response schemas require every property. A schema used both ways cannot be both.
    """
    schemas: dict[str, Any] = schema["components"]["schemas"]
    requests: set[str] = set()
    responses: set[str] = set()
    for operations in schema["paths"].values():
        for operation in operations.values():
            _referenced(operation.get("requestBody"), schemas, requests)
            _referenced(operation.get("responses"), schemas, responses)
    if shared := requests & responses - {"Problem"}:
        raise RuntimeError(f"Give these separate request and response models: {sorted(shared)}")
    for name in requests:
        for field in schemas[name].get("properties", {}).values():
            if "default" in field:
                default = json.dumps(field.pop("default"), ensure_ascii=False)
                text = field.get("description", "")
                field["description"] = f"{text} Default: `{default}`.".strip()
    for name in responses - {"Problem"}:
        properties = schemas[name].get("properties")
        if properties:
            schemas[name]["required"] = list(properties)


def _document(app: FastAPI) -> dict[str, Any]:
    ids = operation_ids(app.routes)
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
    schemas["Readiness"] = READINESS_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = {"bearer": BEARER_SCHEME}
    # Secure unless said otherwise; every operation says so itself all the same.
    schema["security"] = BEARER
    for context, _route, method, path in _operations(app.routes):
        operation = schema["paths"][path][method]
        route = Route.of(context, method, path, ids[(method, path)])
        operation["operationId"] = route.operation_id
        operation["security"] = _security(route)
        if route.keyed:
            operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        document_errors(route, operation)
        document_success_headers(route, operation)
    _split_request_and_response_schemas(schema)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Replace the app's schema generator with one that documents the cross-cutting rules.

    The operation ids are checked at once, so that a collision stops the start-up.
    """
    operation_ids(app.routes)

    def build() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
