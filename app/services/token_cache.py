"""`Caches.tokens`: the principals of bearer tokens seen lately, so that a client polling
with its key does not cost a read of its key on every request.

Kept by the token's SHA-256 digest (the form the database stores; the token itself is
never kept), each with the data version read before its key's row was read. Used only
while the data version is that one: nothing was committed since, so the key was not
revoked or changed meanwhile. Unknown and revoked tokens are not kept (each is read
again). Bounded: the oldest entries go first.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.auth import Principal


class KnownTokens:
    """Principals by token digest, each with the data version it was read at."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._known: dict[str, tuple[str, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, data_version: str | None) -> Principal | None:
        """The principal of ``digest`` if it was read at ``data_version``."""
        if data_version is None:
            return None
        known = self._known.get(digest)
        return known[1] if known is not None and known[0] == data_version else None

    def put(self, digest: str, data_version: str | None, principal: Principal) -> None:
        """Keep ``principal``, read at ``data_version`` (None: not kept)."""
        if data_version is None:
            return
        with self._lock:
            self._known.pop(digest, None)
            self._known[digest] = (data_version, principal)
            while len(self._known) > self._size:
                del self._known[next(iter(self._known))]
