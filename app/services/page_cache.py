"""The kept public gig pages (`Caches.gig_pages`); their validity rule is written with the
other caches' in `app.services.caches`."""

from __future__ import annotations

import threading
from typing import Any, Generic, Protocol, TypeVar


class _Versioned(Protocol):
    @property
    def data_version(self) -> str | None: ...


V = TypeVar("V", bound=_Versioned)


class GigPages(Generic[V]):
    """Public gig pages by gig id, each used while the data version is the one read
    before its rows were read (see the module docstring), with the HTML made from them
    (`remember`). Bounded by the bytes of that HTML and by count: the oldest go first."""

    def __init__(self, size: int = 20_000, max_bytes: int = 16 * 1024 * 1024) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._pages: dict[str, V] = {}
        self._bytes: dict[str, int] = {}
        self._total = 0
        self._lock = threading.Lock()
        #: The pages' link keys (`page_links.LinkKeys`), once read.
        self.keys: Any = None

    def get(self, gig_id: str, data_version: str | None) -> V | None:
        """The kept page of ``gig_id`` if it was read at ``data_version``."""
        if data_version is None:
            return None
        page = self._pages.get(gig_id)
        return page if page is not None and page.data_version == data_version else None

    def put(self, gig_id: str, page: V) -> None:
        """Keep ``page`` (replacing an older one)."""
        with self._lock:
            self._drop(gig_id)
            self._pages[gig_id] = page
            self._bytes[gig_id] = sum(len(html) for html in self._rendered(page).values())
            self._total += self._bytes[gig_id]
            self._shrink()

    def remember(self, gig_id: str, page: V, key: tuple[Any, ...], html: str) -> None:
        """Keep ``html``, made from ``page`` for ``key``, while ``page`` is kept (and at
        most `RENDERED_PER_PAGE` of them)."""
        with self._lock:
            if self._pages.get(gig_id) is not page:
                return  # replaced since: what it was made from is gone
            rendered = self._rendered(page)
            if len(rendered) >= RENDERED_PER_PAGE:
                self._total -= self._bytes[gig_id]
                self._bytes[gig_id] = 0
                rendered.clear()
            rendered[key] = html
            self._bytes[gig_id] += len(html)
            self._total += len(html)
            self._shrink()

    @staticmethod
    def _rendered(page: V) -> dict[tuple[Any, ...], str]:
        rendered: dict[tuple[Any, ...], str] = getattr(page, "rendered", {})
        return rendered

    def _drop(self, gig_id: str) -> None:
        if self._pages.pop(gig_id, None) is not None:
            self._total -= self._bytes.pop(gig_id, 0)

    def _shrink(self) -> None:
        while self._pages and (len(self._pages) > self._size or self._total > self._max_bytes):
            self._drop(next(iter(self._pages)))


#: Ways one page is shown (language, state, ...) kept at once (`GigPages.remember`).
RENDERED_PER_PAGE = 16
