"""How a public page is answered: a Jinja2 template (FastAPI's templating) with the words
of its language, and the headers every page has.

Every page carries an ETag of its own bytes (so it changes when the gig, its spots, the
language or the visitor's form token changes), `Cache-Control: private, no-cache` (a
browser keeps it and asks again each time; a shared cache never holds a visitor's form
token), and a Content-Security-Policy that allows nothing from elsewhere.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from app.errors import RateLimited
from app.integrations.message_vocabulary import (
    EN_DASH,
    Language,
    format_day,
    format_when,
    to_local,
)
from app.integrations.share_text import place_text
from app.web.csrf import FormGuard
from app.web.texts import TEXTS

_HERE: Final = Path(__file__).parent
STATIC_DIR: Final = _HERE / "static"
TEMPLATES: Final = Jinja2Templates(directory=_HERE / "templates")
_STYLESHEET_VERSION: Final = hashlib.sha256((STATIC_DIR / "klus.css").read_bytes()).hexdigest()[:10]
#: The stylesheet's address changes with its content, so it may be kept for a year.
STYLESHEET_URL: Final = f"/assets/klus.css?v={_STYLESHEET_VERSION}"

_HEADERS: Final = {
    "Cache-Control": "private, no-cache",
    "Vary": "Accept-Language, Cookie",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    # A sign-up's page has its token in the address: never pass it on.
    "Referrer-Policy": "no-referrer",
}


def language_query(lang: Language) -> str:
    """What an address on a page adds to stay in its language (Dutch is the default)."""
    return "?lang=en" if lang == "en" else ""


def shows_year(starts_at: datetime, now: datetime) -> bool:
    """Whether a time is written with its year: when it is not within about ten months."""
    return abs((starts_at - now).days) > 300


def when_text(starts_at: datetime, ends_at: datetime, lang: Language, now: datetime) -> str:
    """A gig's time as people write it, in Europe/Amsterdam: "zaterdag 14 december,
    10:00–13:00" (with the year when `shows_year`)."""
    start, end = to_local(starts_at), to_local(ends_at)
    if shows_year(starts_at, now):
        return format_when(starts_at, ends_at, lang)

    def day(moment: datetime) -> str:
        return format_day(moment.date(), lang).rsplit(" ", 1)[0]  # without the year

    if end.date() == start.date():
        return f"{day(start)}, {start:%H:%M}{EN_DASH}{end:%H:%M}"
    return f"{day(start)}, {start:%H:%M} {EN_DASH} {day(end)}, {end:%H:%M}"


def where_text(gig: Any, lang: Language) -> str | None:
    """Where the gig is, in words (online, or its address, postcode and area)."""
    if gig.online:
        return TEXTS[lang]["online"]
    return place_text(gig.address, gig.area, gig.postcode)


def page_html(
    request: Request,
    template: str,
    *,
    lang: Language,
    keep: tuple[str, ...] = (),
    path: str | None = None,
    link_query: dict[str, str] | None = None,
    **context: Any,
) -> str:
    """The page ``template`` in ``lang``, as text. Its other-language link is to ``path``
    (by default the request's) and keeps the query parameters named in ``keep`` (a
    link's own tokens) and those in ``link_query``, and no others."""
    other: Language = "en" if lang == "nl" else "nl"
    kept = {name: request.query_params[name] for name in keep
            if name in request.query_params}  # fmt: skip
    kept.update(link_query or {})
    values = {
        "lang": lang,
        "t": TEXTS[lang],
        "stylesheet": STYLESHEET_URL,
        "privacy_url": "/privacy" + language_query(lang),
        "other_language_url": (path or request.url.path) + "?" + urlencode({**kept, "lang": other}),
        **context,
    }
    return TEMPLATES.get_template(template).render(values)


def respond(
    request: Request,
    html: str,
    *,
    lang: Language,
    status: int = 200,
    guard: FormGuard | None = None,
    headers: dict[str, str] | None = None,
    personal: bool = False,
) -> Response:
    """A page's answer with the common headers; a 304 when the browser already has these
    bytes (GET and HEAD). A ``personal`` page (a name, what was typed in a form) is never
    stored by a browser or cache."""
    personal = personal or request.method not in ("GET", "HEAD")
    body = html.encode()
    answer_headers = {**_HEADERS, **({"Cache-Control": "no-store"} if personal else {}),
                      "Content-Language": lang, **(headers or {})}  # fmt: skip
    if status == 200 and request.method in ("GET", "HEAD"):
        etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        answer_headers["ETag"] = etag
        asked = request.headers.get("if-none-match", "")
        if etag in (part.strip().removeprefix("W/") for part in asked.split(",")):
            unchanged = Response(status_code=304, headers=answer_headers)
            if guard is not None:
                guard.set_cookie(unchanged)
            return unchanged
    response = HTMLResponse(body, status_code=status, headers=answer_headers)
    if guard is not None:
        guard.set_cookie(response)
    return response


def render(
    request: Request,
    template: str,
    *,
    lang: Language,
    status: int = 200,
    guard: FormGuard | None = None,
    headers: dict[str, str] | None = None,
    personal: bool = False,
    keep: tuple[str, ...] = (),
    **context: Any,
) -> Response:
    """The page ``template`` in ``lang``, answered (`respond`)."""
    html = page_html(request, template, lang=lang, keep=keep, **context)
    return respond(request, html, lang=lang, status=status, guard=guard, headers=headers,
                   personal=personal)  # fmt: skip


def notice(
    request: Request,
    *,
    lang: Language,
    heading: str,
    paragraphs: list[str],
    status: int = 200,
    back_url: str | None = None,
    back_text: str | None = None,
    headers: dict[str, str] | None = None,
    path: str | None = None,
) -> Response:
    """A short page that says one thing, and where to go next (``path``: the address its
    other-language link is to, by default the request's)."""
    return render(
        request, "notice.html", lang=lang, status=status, headers=headers, heading=heading,
        paragraphs=paragraphs, back_url=back_url, back_text=back_text, path=path,
    )  # fmt: skip


def wait_text(limited: RateLimited, lang: Language) -> str:
    """What a form says when too much was sent from the visitor's address: how many
    minutes to wait (from the answer's Retry-After)."""
    seconds = int((limited.headers or {}).get("Retry-After", "60"))
    minutes = max(1, math.ceil(seconds / 60))
    words = TEXTS[lang]
    return words["rate_limited_one" if minutes == 1 else "rate_limited"].format(minutes=minutes)


def not_found(request: Request, lang: Language) -> Response:
    """The 404 page."""
    words = TEXTS[lang]
    return notice(
        request, lang=lang, heading=words["not_found_title"],
        paragraphs=[words["not_found_text"]], status=404,
    )  # fmt: skip
