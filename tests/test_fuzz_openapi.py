"""Schema-driven fuzzing: every operation in the OpenAPI schema, called as the admin.

No response may be a 5xx, and every response must conform to the documented schema
(status code, content type, body). SCHEMATHESIS_MAX_EXAMPLES sets the depth per
operation (the CI runs a deeper pass).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from app.config import Settings
from app.main import create_app
from tests.conftest import ADMIN_TOKEN

# Schema-valid data may still be refused on meaning (an unknown phone number, an unknown
# id), and public reads need no auth: so no positive-data or auth checks, only these.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))
_SCHEMA = create_app(Settings(database_url="sqlite://")).openapi()
OPERATIONS = [
    (path, method.upper())
    for path, operations in _SCHEMA["paths"].items()
    for method in operations
    if method in {"get", "post", "put", "patch", "delete"}
]


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_every_operation_conforms_and_never_fails(app: FastAPI, path: str, method: str) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        case.validate_response(response, checks=CHECKS)

    run()
