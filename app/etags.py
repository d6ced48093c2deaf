"""Strong ETags for single resources and the If-Match precondition."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Header

from app.errors import PreconditionFailed

IfMatch = Annotated[str | None, Header(description="ETag from a GET; 412 when stale.")]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Tagged(Generic[T]):
    """A single resource as a service returns it: the response model and its ETag."""

    item: T
    etag: str


def etag_for(resource_id: str, version: int) -> str:
    """The quoted ETag of one version of a resource."""
    digest = hashlib.sha256(f"{resource_id}:{version}".encode()).hexdigest()[:20]
    return f'"{digest}"'


def check_if_match(if_match: str | None, current: str) -> None:
    """412 unless `If-Match` is absent, `*`, or lists the current ETag (strong comparison)."""
    if if_match is None:
        return
    candidates = [part.strip() for part in if_match.split(",")]
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed("The resource changed since you read it; GET it again.")
