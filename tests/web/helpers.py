"""Reading public pages in tests: the form's token, fields and errors, as a browser sees them."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import ADMIN


class _Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.meta: dict[str, str] = {}
        self.html_lang: str | None = None
        self.forms: list[str] = []
        self.labels: dict[str, str] = {}
        self._label_for: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "html":
            self.html_lang = named.get("lang")
        elif tag == "input" and named.get("name"):
            self.inputs[str(named["name"])] = named
        elif tag == "meta" and (named.get("property") or named.get("name")):
            self.meta[str(named.get("property") or named.get("name"))] = str(named.get("content"))
        elif tag == "form":
            self.forms.append(str(named.get("action")))
        elif tag == "label":
            self._label_for = named.get("for")

    def handle_data(self, data: str) -> None:
        if self._label_for:
            self.labels[self._label_for] = self.labels.get(self._label_for, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_for = None


def parse(html: str) -> _Page:
    """The page's inputs, meta tags, forms and labels."""
    page = _Page()
    page.feed(html)
    return page


def csrf_of(html: str) -> str:
    """The form token on a page."""
    value = parse(html).inputs["csrf"]["value"]
    assert value
    return value


def text_of(html: str) -> str:
    """The page's text without tags, whitespace collapsed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def sign_up_on_page(
    client: TestClient, gig_id: str, *, name: str, contact: str, lang: str = "nl", **extra: str
) -> Any:
    """Open the gig's page and send its form (as a browser would, with its cookie)."""
    page = client.get(f"/g/{gig_id}", params={"lang": lang})
    assert page.status_code == 200, page.text
    form = {"csrf": csrf_of(page.text), "name": name, "contact": contact, "consent": "yes"}
    form.update(extra)
    return client.post(f"/g/{gig_id}", params={"lang": lang}, data=form, follow_redirects=False)


def counts(client: TestClient, gig_id: str) -> tuple[int, int]:
    """The gig's spots left and waitlist as the API says them."""
    gig = client.get(f"/api/v1/gigs/{gig_id}", headers=ADMIN).json()
    return gig["spots_left"], gig["waitlist_count"]
