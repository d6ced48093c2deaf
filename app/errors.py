"""The AppError hierarchy, rendered as RFC 9457 problem details: the only error handlers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import OperationalError as DriverOperationalError
from sqlalchemy.exc import DataError, DBAPIError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db import NoConnection

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("klusmakelaar.errors")


class AppError(Exception):
    """A domain error with a stable problem type; subclasses set the class attributes."""

    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class BadRequest(AppError):
    status, type, title = 400, "bad-request", "Bad request"


class MalformedJSON(AppError):
    status, type, title = 400, "malformed-json", "The request body is not valid JSON"


class InvalidCursor(AppError):
    status, type, title = 400, "invalid-cursor", "The pagination cursor is not valid"


class Unauthorized(AppError):
    status, type, title = 401, "unauthorized", "Missing or invalid credentials"
    headers = {"WWW-Authenticate": 'Bearer realm="klusmakelaar"'}  # noqa: RUF012 (never mutated)


class Forbidden(AppError):
    status, type, title = 403, "forbidden", "Not allowed for this caller"


class NotFound(AppError):
    status, type, title = 404, "not-found", "Not found"


class MethodNotAllowed(AppError):
    status, type, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AppError):
    status, type, title = 409, "conflict", "Conflict with the current state"


class IdempotencyInProgress(AppError):
    status, type, title = 409, "idempotency-in-progress", "A request with this key is running"


class PreconditionFailed(AppError):
    status, type, title = 412, "precondition-failed", "If-Match does not match the current ETag"


class PayloadTooLarge(AppError):
    status, type, title = 413, "payload-too-large", "The request body is larger than allowed"


class UnsupportedMediaType(AppError):
    status, type, title = 415, "unsupported-media-type", "Send the body as application/json"


class ValidationFailed(AppError):
    status, type, title = 422, "validation-error", "The request is not valid"

    def __init__(self, detail: str | None = None, *, errors: Sequence[dict[str, Any]]) -> None:
        super().__init__(detail, errors=list(errors))


class IdempotencyKeyReused(AppError):
    status = 422
    type = "idempotency-key-reused"
    title = "This Idempotency-Key was used with a different request"


class RateLimited(AppError):
    status, type, title = 429, "rate-limited", "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Try again in {retry_after} seconds.")
        self.headers = {"Retry-After": str(retry_after)}


def field_error(loc: Sequence[str | int], msg: str) -> ValidationFailed:
    """A 422 for one field, in the same shape as request validation errors."""
    return ValidationFailed(msg, errors=[{"loc": list(loc), "msg": msg}])


def problem_response(
    status: int,
    type_: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _render(error: AppError) -> JSONResponse:
    return problem_response(
        error.status, error.type, error.title, error.detail, headers=error.headers, **error.extra
    )


def _clean_loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        msg = str(error.get("msg", "invalid"))
        if error.get("type") == "extra_forbidden":
            msg = "unknown or read-only field"
        errors.append({"loc": _clean_loc(error.get("loc", ())), "msg": msg})
    return errors


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return _render(exc)


async def _request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return _render(MalformedJSON("The body could not be parsed as JSON."))
    errors = _validation_errors(exc)
    return _render(ValidationFailed("See `errors` for what is wrong.", errors=errors))


async def _http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    by_status: dict[int, type[AppError]] = {
        401: Unauthorized,
        403: Forbidden,
        404: NotFound,
        405: MethodNotAllowed,
        413: PayloadTooLarge,
        415: UnsupportedMediaType,
    }
    if exc.status_code == 400:
        # FastAPI's one 400 of its own: a body it could not decode as JSON although the
        # JSON parser did not say why (not UTF-8, or nested deeper than it goes).
        return _render(MalformedJSON("The body could not be parsed as UTF-8 JSON."))
    error_class = by_status.get(exc.status_code)
    if error_class is None:
        return problem_response(exc.status_code, "http-error", str(exc.detail), str(exc.detail))
    error = error_class()
    if exc.headers:
        error.headers = {**(error.headers or {}), **exc.headers}
    return _render(error)


async def _out_of_range(_request: Request, exc: Exception) -> JSONResponse:
    # A value that validates but that no computation or database can hold: a date in
    # year 9999 shifted past the calendar's end, a NUL byte in text for PostgreSQL.
    logger.info("refused a value out of range: %s", type(exc).__name__)
    return _render(
        ValidationFailed(
            "A value is out of the range this service can store.",
            errors=[{"loc": ["request"], "msg": "value out of range"}],
        )
    )


async def _statement_error(request: Request, exc: Exception) -> JSONResponse:
    # SQLAlchemy wraps what fails while binding a value; out-of-range input stays a 422.
    assert isinstance(exc, StatementError)
    if isinstance(exc, DataError) or isinstance(exc.orig, OverflowError | ValueError):
        return await _out_of_range(request, exc)
    return await _unhandled(request, exc)


class DatabaseUnavailable(AppError):
    status, type, title = 503, "database-unavailable", "The database cannot be reached"
    headers = {"Retry-After": "5"}  # noqa: RUF012 (never mutated)


#: SQLSTATEs of a connection that is gone: class 08, and the server shutting down or
#: terminating the backend (57P01-57P03).
_LOST_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")


def lost_connection(exc: BaseException) -> bool:
    """Whether a database error means the connection broke or could not be made."""
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(driver_error, DriverOperationalError):
        return False
    # No SQLSTATE: the client noticed (server closed the connection, connection closed).
    return driver_error.sqlstate is None or driver_error.sqlstate.startswith(
        _LOST_CONNECTION_STATES
    )


class ServiceBusy(AppError):
    status, type, title = 503, "service-busy", "The service is busy"
    headers = {"Retry-After": "1"}  # noqa: RUF012 (never mutated)


class ReportsCatchingUp(ServiceBusy):
    """The report lines are being made (the first time after the upgrade: a minute)."""

    headers = {"Retry-After": "10"}  # noqa: RUF012 (never mutated)


async def _busy(_request: Request, exc: Exception) -> JSONResponse:
    # No database connection came free in time: a load peak, not a bug.
    logger.warning("no database connection in time: %s", type(exc).__name__)
    return _render(ServiceBusy("No database connection came free in time; try again."))


async def _unhandled(_request: Request, exc: Exception) -> JSONResponse:
    if lost_connection(exc):
        # A restart or failover of the database, not a bug: the client may try again.
        logger.warning("the database connection was lost: %s", getattr(exc, "orig", exc))
        return _render(DatabaseUnavailable("The database connection was lost; try again."))
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(
        500, "internal-error", "Internal server error", "Something went wrong on our side."
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every error of the application through the problem+json renderers."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(StatementError, _statement_error)
    app.add_exception_handler(NoConnection, _busy)
    app.add_exception_handler(Exception, _unhandled)
