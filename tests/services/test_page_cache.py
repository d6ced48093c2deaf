"""The kept gig pages are bounded by the bytes of their HTML, oldest first, and HTML made
from a page that was replaced meanwhile is never kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.services.page_cache import RENDERED_PER_PAGE, GigPages


@dataclass(frozen=True)
class _Page:
    data_version: str | None
    rendered: dict[tuple[Any, ...], str] = field(default_factory=dict)


def test_the_oldest_pages_go_when_their_html_passes_the_bound() -> None:
    pages: GigPages[_Page] = GigPages(max_bytes=2500)
    for gig_id in ("a", "b", "c"):
        page = _Page("v1")
        pages.put(gig_id, page)
        pages.remember(gig_id, page, ("nl",), "x" * 1000)
    assert pages.get("a", "v1") is None
    assert pages.get("b", "v1") is not None
    assert pages.get("c", "v1") is not None
    assert pages.get("c", "v2") is None  # another data version: not this page


def test_html_of_a_replaced_page_is_not_kept_and_a_page_keeps_a_bounded_number() -> None:
    pages: GigPages[_Page] = GigPages(max_bytes=10_000_000)
    old, new = _Page("v1"), _Page("v2")
    pages.put("a", old)
    pages.put("a", new)
    pages.remember("a", old, ("nl",), "stale")
    assert old.rendered == {}
    for number in range(RENDERED_PER_PAGE + 3):
        pages.remember("a", new, (number,), "<html>")
    assert 0 < len(new.rendered) <= RENDERED_PER_PAGE
