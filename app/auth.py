"""Bearer tokens → Principal; the dependencies that routers use to require a role.

Tokens are 256-bit random values. Only their SHA-256 is stored: a token is looked up by
its hash through a unique index, and the stored hash is then compared in constant time
(``hmac.compare_digest``), as is the bootstrap admin token from the settings.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy import Select, bindparam, select

from app.config import Settings
from app.db import Database
from app.dependencies import caches_of, database_of, settings_of
from app.errors import Forbidden, Unauthorized
from app.models import ApiKey, Volunteer

if TYPE_CHECKING:
    from app.services.token_cache import KnownTokens

logger = logging.getLogger(__name__)

Role = Literal["admin", "organization", "association", "integration", "volunteer", "anonymous"]
KEY_TOKEN_PREFIX = "kmk_"  # noqa: S105 (a public prefix, not a secret)
VOLUNTEER_TOKEN_PREFIX = "kmv_"  # noqa: S105


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role and the one organisation, association or volunteer it is bound to."""

    role: Role
    key_id: str | None = None
    organization_id: str | None = None
    association_id: str | None = None
    volunteer_id: str | None = None

    @property
    def is_admin(self) -> bool:
        """Whether the caller may do everything."""
        return self.role == "admin"

    def acts_for_organization(self, organization_id: str) -> bool:
        """Whether the caller is the admin or that organisation's key."""
        return self.is_admin or (
            self.role == "organization" and self.organization_id == organization_id
        )

    def acts_for_association(self, association_id: str) -> bool:
        """Whether the caller is the admin or that association's key."""
        return self.is_admin or (
            self.role == "association" and self.association_id == association_id
        )

    def acts_for_volunteer(self, volunteer_id: str) -> bool:
        """Whether the caller is the admin or that volunteer's own token."""
        return self.is_admin or (self.role == "volunteer" and self.volunteer_id == volunteer_id)

    def may_see_gig(self, organization_id: str, status: str) -> bool:
        """Drafts are for their organisation and the admin; every other gig is public."""
        return status != "draft" or self.acts_for_organization(organization_id)


ANONYMOUS = Principal(role="anonymous")


def generate_token(prefix: str) -> str:
    """A new random bearer token (256 bits of entropy)."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


_KEY_BY_HASH = select(
    ApiKey.id,
    ApiKey.role,
    ApiKey.organization_id,
    ApiKey.association_id,
    ApiKey.token_hash,
    ApiKey.revoked_at,
).where(ApiKey.token_hash == bindparam("digest"))
_VOLUNTEER_BY_HASH = select(Volunteer.id, Volunteer.access_token_hash).where(
    Volunteer.access_token_hash == bindparam("digest")
)


def token_query(
    settings: Settings, token: str
) -> Principal | tuple[Select[*tuple[Any, ...]], str] | None:
    """The bootstrap admin, None for a token that cannot be ours, or (query, hash)."""
    if settings.admin_token and hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        return Principal(role="admin", key_id="bootstrap")
    if token.startswith(KEY_TOKEN_PREFIX):
        return _KEY_BY_HASH, hash_token(token)
    if token.startswith(VOLUNTEER_TOKEN_PREFIX):
        return _VOLUNTEER_BY_HASH, hash_token(token)
    return None


def principal_from(token: str, digest: str, rows: Sequence[Any]) -> Principal | None:
    """The principal of the row found by the token's hash (compared again, in constant time)."""
    if not rows:
        return None
    row = rows[0]
    if token.startswith(KEY_TOKEN_PREFIX):
        if row["revoked_at"] is not None or not hmac.compare_digest(row["token_hash"], digest):
            return None
        return Principal(
            role=row["role"],
            key_id=row["id"],
            organization_id=row["organization_id"],
            association_id=row["association_id"],
        )
    if not hmac.compare_digest(row["access_token_hash"], digest):
        return None
    return Principal(role="volunteer", volunteer_id=row["id"])


async def resolve_token(
    database: Database, settings: Settings, token: str, tokens: KnownTokens | None = None
) -> Principal | None:
    """The principal a bearer token stands for, or None when it is unknown or revoked:
    one indexed read by the token's hash, or from ``tokens`` while nothing was committed
    since it was read there (`app.services.token_cache`)."""
    query = token_query(settings, token)
    if not isinstance(query, tuple):
        return query
    statement, digest = query
    version = None
    if tokens is not None:
        try:
            version = await database.data_version()
        except Exception:  # read as if nothing were kept; the read itself decides
            logger.warning("tokens: no data version", exc_info=True)
        known = tokens.get(digest, version)
        if known is not None:
            return known
    async with database.read() as tx:
        rows = await tx.rows(statement, digest=digest)
    principal = principal_from(token, digest, rows)
    if tokens is not None and principal is not None:
        tokens.put(digest, version, principal)
    return principal


async def _caller(request: Request) -> Principal:
    """The caller; anonymous without credentials, 401 for credentials that are not valid
    (a token costs one read, `resolve_token`)."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Use `Authorization: Bearer <token>`.")
    principal = await resolve_token(
        database_of(request), settings_of(request), token, caches_of(request).tokens
    )
    if principal is None:
        raise Unauthorized("The token is unknown or revoked.")
    request.state.principal = principal
    return principal


# Each requirement is one dependency that reads the header itself: FastAPI's cost per
# dependency is more than a token's look-up. The OpenAPI document gets the security of
# each operation from which of these it depends on (`app.openapi`).


async def get_principal(request: Request) -> Principal:
    """Any caller, anonymous included."""
    return await _caller(request)


async def require_authenticated(request: Request) -> Principal:
    """Any authenticated caller; 401 without a token."""
    principal = await _caller(request)
    if principal.role == "anonymous":
        raise Unauthorized("This endpoint needs a bearer token.")
    return principal


def require_role(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency: the admin or a caller with one of ``roles``; others get 403."""

    async def dependency(request: Request) -> Principal:
        principal = await require_authenticated(request)
        if not principal.is_admin and principal.role not in roles:
            raise Forbidden(f"Needs the admin or a {' or '.join(roles)} token.")
        return principal

    dependency.needs_token = True  # type: ignore[attr-defined]
    return dependency


async def require_admin(request: Request) -> Principal:
    """The admin only; other authenticated callers get 403."""
    principal = await require_authenticated(request)
    if not principal.is_admin:
        raise Forbidden("Only the admin may do this.")
    return principal


def needs_token(dependency: Any) -> bool:
    """Whether a dependency refuses anonymous callers (for the OpenAPI document)."""
    return dependency in (require_authenticated, require_admin) or bool(
        getattr(dependency, "needs_token", False)
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
AuthenticatedPrincipal = Annotated[Principal, Depends(require_authenticated)]
AdminPrincipal = Annotated[Principal, Depends(require_admin)]
#: The admin or an organisation's key (403 for other callers).
require_organization = require_role("organization")
OrganizationPrincipal = Annotated[Principal, Depends(require_organization)]
VolunteerPrincipal = Annotated[Principal, Depends(require_role("volunteer"))]
