"""What each operation of the OpenAPI document can answer besides its success: every
error with its problem+json body, and the response headers.

Most of it follows from the route: an auth dependency gives 401 (and 403 for a role
check), a path parameter 404, a body 400/413/422, a cursor 400, `If-Match` 412, a `POST`
under the API prefix the Idempotency-Key answers (400, 401 on a replay, 409 with
`Retry-After`, 422, `Idempotent-Replayed`), the database 503 with `Retry-After`, and
every request 431 and 500. What only a service knows (a 409 for a full gig, a handler's
own 403) is listed in `SERVICE_ERRORS`, by operation id; a route's own `responses=` are
kept and completed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi.routing import RouteContext

from app.auth import get_principal, needs_token, require_authenticated
from app.config import API_PREFIX
from app.dependencies import get_database
from app.errors import (
    PROBLEM_JSON,
    AppError,
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidCursor,
    MalformedJSON,
    PayloadTooLarge,
    PreconditionFailed,
    RateLimited,
    ServiceBusy,
    Unauthorized,
)
from app.idempotency import NOT_KEYED
from app.schemas.association import AssociationRead
from app.schemas.gig import GigRead
from app.schemas.organization import OrganizationRead
from app.schemas.volunteer import VolunteerRead
from app.server import MAX_HEAD_BYTES
from app.services.associations import AlreadyMember, SlugTaken
from app.services.check_in import (
    AlreadyCheckedOut,
    CheckInClosed,
    InvalidCheckInCode,
    NotCheckedIn,
)
from app.services.gig_series import SeriesCancelled
from app.services.gigs import GigNotEditable, InvalidTransition
from app.services.matching import AssignmentTooLarge
from app.services.signups import GigNotStarted, KindMismatch, SignupNotActive, SignupNotConfirmed
from app.services.volunteers import VolunteerExists

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
READINESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Whether the database is reachable and migrated to the head revision.",
    "required": ["status", "database"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "unavailable"]},
        "database": {"type": "string", "enum": ["ok", "unreachable", "not migrated"]},
    },
}
_READINESS_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}

#: Single resources that carry a version, answered with its `ETag` (`app.etags.Tagged`).
ETAG_MODELS: tuple[type, ...] = (GigRead, OrganizationRead, AssociationRead, VolunteerRead)
#: 201s whose handler sends no `Location` (the token is not a resource with an address),
#: and 201s that send one only sometimes, with when.
NO_LOCATION = frozenset({"issueToken"})
SOMETIMES_LOCATION = {"bridgeMessage": "The gig the message became, if it became one."}


def _kinds(*errors: type[AppError]) -> str:
    return ", ".join(f"`{error.type}`" for error in errors)


_OWNER_ONLY = "`forbidden`: only the owner (or the admin) may change it."
#: Errors a service or handler raises that the route's signature does not show.
SERVICE_ERRORS: dict[str, dict[int, str]] = {
    "createGig": {403: "`forbidden`: an organisation key posts gigs for itself only."},
    "updateGig": {
        403: _OWNER_ONLY,
        409: f"{_kinds(GigNotEditable, InvalidTransition)}, or `{Conflict.type}`: the kind "
        "of a gig with sign-ups cannot change.",
    },
    "cancelGig": {403: _OWNER_ONLY, 409: f"{_kinds(InvalidTransition)}: not open any more."},
    "completeGig": {403: _OWNER_ONLY, 409: f"{_kinds(InvalidTransition)}: not open."},
    "cancelSignup": {409: f"{_kinds(SignupNotActive)}."},
    "recordAttendance": {409: f"{_kinds(SignupNotConfirmed, GigNotStarted)}."},
    "createSignup": {  # its 409s are in the route's `responses=`
        403: "`forbidden`: a volunteer signs up with its own token, a group with its "
        "association's key.",
        422: f"`{KindMismatch.type}`: a one-off body for a group gig, or the reverse.",
    },
    "checkInSignup": {
        409: f"{_kinds(CheckInClosed, SignupNotConfirmed, AlreadyCheckedOut)}: outside the "
        "check-in time (30 minutes before the start until the end), not confirmed, or "
        "attendance already recorded.",
        422: f"`{InvalidCheckInCode.type}`: the code is wrong, expired or another gig's.",
    },
    "checkOutSignup": {409: f"{_kinds(NotCheckedIn, AlreadyCheckedOut, SignupNotConfirmed)}."},
    "createAttestation": {
        422: "`validation-error`: `valid_until` has passed, or `seen_on` is in the future."
    },
    "createGigSeries": {
        403: "`forbidden`: an organisation key posts gigs for itself only.",
        422: "`validation-error`: not an RRULE this service expands, or `starts_at` is not "
        "its first occurrence.",
    },
    "updateGigSeries": {403: _OWNER_ONLY, 409: f"{_kinds(SeriesCancelled)}."},
    "cancelGigSeries": {403: _OWNER_ONLY},
    "createSeriesSignups": {
        403: "`forbidden`: a volunteer signs up with its own token, a group with its "
        "association's key.",
        422: f"`{KindMismatch.type}`: a one-off body for a group series, or the reverse.",
    },
    "createOrganization": {
        409: f"`{Conflict.type}`: a WhatsApp number belongs to another organisation."
    },
    "updateOrganization": {
        403: _OWNER_ONLY,
        409: f"`{Conflict.type}`: a WhatsApp number belongs to another organisation.",
    },
    "registerVolunteer": {409: f"{_kinds(VolunteerExists)}: the e-mail or phone is taken."},
    "updateVolunteer": {409: f"{_kinds(VolunteerExists)}: the e-mail or phone is taken."},
    "getMe": {403: "`forbidden`: only a volunteer's token has a profile."},
    "createAssociation": {409: f"{_kinds(SlugTaken)}."},
    "updateAssociation": {403: _OWNER_ONLY, 409: f"{_kinds(SlugTaken)}."},
    "rotateCalendarToken": {403: _OWNER_ONLY},
    "addMember": {
        403: "`forbidden`: a volunteer joins with its own token.",
        409: f"{_kinds(AlreadyMember)}.",
    },
    "verifyWhatsappWebhook": {403: "`forbidden`: the verify token does not match."},
    "whatsappWebhook": {401: "`invalid-signature`: `X-Hub-Signature-256` is missing or wrong."},
    "wahaWebhook": {401: "`invalid-signature`: `X-Webhook-Hmac` is missing or wrong."},
    "proposeAssignments": {422: f"`{AssignmentTooLarge.type}`: over the limits of one proposal."},
    "bridgeMessage": {
        429: f"`{RateLimited.type}`: over 30 messages a minute from one number; nothing was stored."
    },
}


def _header(description: str, *, required: bool, **schema: Any) -> dict[str, Any]:
    return {
        "description": description,
        "required": required,
        "schema": {"type": "string", **schema},
    }


RETRY_AFTER = _header("Seconds to wait before trying again.", required=True, pattern="^[0-9]+$")
WWW_AUTHENTICATE = _header("`Bearer`, with the realm.", required=True)
HEADERS_TOO_LARGE: dict[str, Any] = {
    "description": (
        f"The request line and headers are over {MAX_HEAD_BYTES // 1024} KiB: answered by "
        "the HTTP server in plain text, and the connection is closed."
    ),
    "content": {"text/plain": {"schema": {"type": "string"}}},
}
INTERNAL_ERROR = "`internal-error`: a fault on our side; the body says nothing more."


@dataclass(frozen=True)
class Route:
    """What the document needs to know of one operation's route."""

    operation_id: str
    method: str
    path: str
    calls: frozenset[Callable[..., Any]]
    response_model: Any

    @classmethod
    def of(cls, route: RouteContext, method: str, path: str, operation_id: str) -> Route:
        """The facts of ``route`` (as included in the app) answering ``method`` on ``path``."""
        calls: set[Callable[..., Any]] = set()
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            if dependant.call is not None:
                calls.add(dependant.call)
            pending.extend(dependant.dependencies)
        return cls(operation_id, method.lower(), path, frozenset(calls), route.response_model)

    @property
    def keyed(self) -> bool:
        """Whether the Idempotency-Key mechanism answers for this operation."""
        under_api = self.path.startswith(API_PREFIX)
        return self.method == "post" and under_api and self.path not in NOT_KEYED

    @property
    def token_required(self) -> bool:
        """Whether anonymous callers are refused."""
        return any(needs_token(call) for call in self.calls)

    @property
    def reads_token(self) -> bool:
        """Whether a bearer token is read (and refused when unknown)."""
        return self.token_required or get_principal in self.calls

    @property
    def checks_role(self) -> bool:
        """Whether an authenticated caller of the wrong role gets 403."""
        return any(needs_token(call) and call is not require_authenticated for call in self.calls)

    @property
    def uses_database(self) -> bool:
        """Whether answering needs the database (so a lost connection is a 503)."""
        return get_database in self.calls or self.reads_token or self.keyed


def _parameters(operation: dict[str, Any], where: str) -> set[str]:
    return {
        parameter["name"].lower()
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == where
    }


def error_reasons(route: Route, operation: dict[str, Any]) -> dict[int, list[str]]:
    """Why the operation can fail, per status (problem+json unless said otherwise)."""
    reasons: dict[int, list[str]] = {}

    def add(status: int, reason: str) -> None:
        reasons.setdefault(status, []).append(reason)

    has_body = "requestBody" in operation
    queries = _parameters(operation, "query")
    if has_body:
        add(400, f"`{MalformedJSON.type}`: the body is not valid UTF-8 JSON.")
    if queries & {"cursor", "after"}:
        add(400, f"`{InvalidCursor.type}`: the cursor is not one this list gave.")
    if route.keyed:
        add(400, "`bad-request`: `Idempotency-Key` is not 1–255 visible ASCII characters.")
    if route.token_required:
        add(401, f"`{Unauthorized.type}`: no bearer token, or one that is unknown or revoked.")
    elif route.reads_token:
        add(401, f"`{Unauthorized.type}`: the bearer token is unknown or revoked.")
    elif route.keyed:
        add(401, f"`{Unauthorized.type}`: the token of an idempotent replay no longer holds.")
    if route.checks_role:
        add(403, f"`{Forbidden.type}`: the caller's role may not do this.")
    if _parameters(operation, "path"):
        add(404, "`not-found`: unknown, or not visible to the caller.")
    if route.keyed:
        add(409, f"`{IdempotencyInProgress.type}`: the first request with this key still runs.")
    if "if-match" in _parameters(operation, "header"):
        add(412, f"`{PreconditionFailed.type}`: `If-Match` is not the current `ETag`.")
    if has_body:
        add(413, f"`{PayloadTooLarge.type}`: the body is over the limit (1 MiB by default).")
    if has_body or operation.get("parameters"):
        add(422, "`validation-error`: see `errors` for each field.")
    if route.keyed:
        add(422, f"`{IdempotencyKeyReused.type}`: the key was used for another request.")
    for status, reason in SERVICE_ERRORS.get(route.operation_id, {}).items():
        add(status, reason)
    if route.uses_database:
        add(503, f"`{DatabaseUnavailable.type}` or `{ServiceBusy.type}`: try again later.")
    return reasons


def _error_headers(route: Route, status: int) -> dict[str, Any]:
    if status == 401:
        return {"WWW-Authenticate": WWW_AUTHENTICATE}
    if status in (429, 503):
        return {"Retry-After": RETRY_AFTER}
    if status == 409 and route.keyed:
        return {
            "Retry-After": {
                **RETRY_AFTER,
                "required": False,
                "description": f"With `{IdempotencyInProgress.type}` only.",
            }
        }
    return {}


def _described(declared: str | None, reasons: Iterable[str]) -> str:
    lines = ([declared] if declared else []) + list(reasons)
    if len(lines) == 1:
        return lines[0]
    return "\n".join(f"- {line}" for line in lines)


def document_errors(route: Route, operation: dict[str, Any]) -> None:
    """Declare every error ``operation`` can answer, with its body and headers."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("default", None)
    reasons = error_reasons(route, operation)
    declared_statuses = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(reasons.keys() | declared_statuses):
        declared = responses.get(str(status), {})
        if route.path == "/readyz" and status == 503:
            declared["content"] = _READINESS_CONTENT
            continue
        # FastAPI's 422 description is its own ("Validation Error"): the reasons say more.
        own = None if status == 422 else declared.get("description")
        responses[str(status)] = {
            "description": _described(own, reasons.get(status, [])),
            "headers": _error_headers(route, status),
            "content": PROBLEM_CONTENT,
        }
        if not responses[str(status)]["headers"]:
            del responses[str(status)]["headers"]
    responses["431"] = HEADERS_TOO_LARGE
    responses["500"] = {"description": INTERNAL_ERROR, "content": PROBLEM_CONTENT}
    operation["responses"] = dict(sorted(responses.items()))


def document_success_headers(route: Route, operation: dict[str, Any]) -> None:
    """Declare `ETag`, `Location`, `Idempotent-Replayed` (and a feed's caching headers)."""
    for code, response in operation.get("responses", {}).items():
        if not code.startswith("2") and code != "304":
            continue
        headers: dict[str, Any] = response.setdefault("headers", {})
        if "text/calendar" in response.get("content", {}) or code == "304":
            headers["ETag"] = _header("The strong ETag of the feed's bytes.", required=True)
            headers["Last-Modified"] = _header(
                "When the feed was first made in this form (for `If-Modified-Since`).",
                required=True,
            )
            headers["Cache-Control"] = _header("How long the feed may be cached.", required=True)
        if _is_tagged(route.response_model):
            headers["ETag"] = _header(
                "The resource's version; send it as `If-Match` with a `PATCH`."
                + (" Not on an idempotent replay." if route.keyed else ""),
                required=not route.keyed,
            )
        if code == "201" and route.operation_id not in NO_LOCATION:
            when = SOMETIMES_LOCATION.get(route.operation_id)
            headers["Location"] = _header(
                when or "The new resource's path.", required=when is None, format="uri-reference"
            )
        if route.keyed:
            headers["Idempotent-Replayed"] = _header(
                "`true` when this is the stored answer to an earlier request with the same "
                "`Idempotency-Key`.",
                required=False,
                enum=["true"],
            )
        if not headers:
            del response["headers"]
    if route.path == "/readyz":
        operation["responses"]["200"]["content"] = _READINESS_CONTENT


def _is_tagged(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, ETAG_MODELS)
