"""`/g/{id}`: a gig's public page, and its sign-up form (which works without JavaScript).

A form post answers on the page itself, in plain words next to the field, never with
problem+json: 403 for a form whose token does not belong to the visitor's cookie, 429
past the address's limit, 422 for what is missing or wrong, 409 when the gig no longer
takes sign-ups. A new person is registered and signed up at once and sent (303) to their
sign-up's own page; a contact that is already registered is sent a link to confirm.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.dependencies import (
    CachesDep,
    ChannelsDep,
    DatabaseDep,
    SettingsDep,
    database_of,
    settings_of,
)
from app.errors import Conflict, NotFound, RateLimited
from app.integrations.message_vocabulary import Language
from app.models.base import new_id, utcnow
from app.services import gig_pages, page_signups, rate_limits
from app.services.caches import Caches
from app.services.gig_pages import GigPage, spots_left, state
from app.services.page_links import signup_token
from app.services.volunteers import VolunteerExists
from app.web import check_in_page
from app.web.csrf import FormGuard, form_is_genuine
from app.web.forms import SignupForm, parse_form, read_signup_form
from app.web.language import page_language
from app.web.rendering import (
    STATIC_DIR,
    STYLESHEET_URL,
    language_query,
    not_found,
    notice,
    page_html,
    respond,
    shows_year,
    wait_text,
    when_text,
    where_text,
)
from app.web.texts import TEXTS

router = APIRouter(include_in_schema=False)
#: Where a visitor's form token goes in a kept page: random, so no gig's text can hold it.
_TOKEN_MARK = f"form-token-{secrets.token_hex(16)}"
_STYLESHEET = (STATIC_DIR / "klus.css").read_bytes()


def _paragraphs(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").splitlines() if part.strip()]


def gig_page(
    request: Request,
    page: GigPage,
    *,
    caches: Caches,
    lang: Language,
    guard: FormGuard,
    base_url: str,
    status: int = 200,
    form: SignupForm | None = None,
    form_notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The gig's page as it stands now, with the form (and what was typed in it)."""
    now = utcnow()
    gig = page.gig
    where_is = state(gig, now)
    others = gig_pages.nearby(page, now) if where_is not in _TAKES_SIGN_UPS else None
    plain_view = form is None and form_notice is None and status == 200
    # Everything the page depends on besides its rows (which its entry in
    # `caches.gig_pages` is valid for) and the visitor's token (put in below).
    years = tuple((other.id, shows_year(other.starts_at, now)) for other in others or ())
    key = (lang, where_is, shows_year(gig.starts_at, now), years)
    html = page.rendered.get(key) if plain_view else None
    if html is None:
        html = _gig_html(request, page, lang=lang, where_is=where_is, others=others, now=now,
                         base_url=base_url, form=form, form_notice=form_notice)  # fmt: skip
        if plain_view:
            caches.gig_pages.remember(gig.id, page, key, html)
    return respond(request, html.replace(_TOKEN_MARK, guard.token), lang=lang, status=status,
                   guard=guard, headers=headers)  # fmt: skip


_TAKES_SIGN_UPS = ("open", "full", "group")


def _gig_html(
    request: Request,
    page: GigPage,
    *,
    lang: Language,
    where_is: str,
    others: list[Any] | None,
    now: datetime,
    base_url: str,
    form: SignupForm | None,
    form_notice: str | None,
) -> str:
    """The page's HTML, with `_TOKEN_MARK` where the visitor's form token goes."""
    words = TEXTS[lang]
    gig = page.gig
    spots = spots_left(gig)
    if spots > 0:
        spots_text = words["spots_left_one"] if spots == 1 else words["spots_left"].format(
            spots=spots)  # fmt: skip
        spots_text += " " + words["spots_of"].format(capacity=gig.capacity)
    else:
        spots_text = words["full"]
    when = when_text(gig.starts_at, gig.ends_at, lang, now)
    where = where_text(gig, lang)
    closed_notice = words.get(f"state_{where_is}")
    nearby = None
    if others is not None:
        nearby = [
            {"title": other.title, "url": f"/g/{other.id}{language_query(lang)}",
             "when": when_text(other.starts_at, other.ends_at, lang, now)}
            for other in others
        ]  # fmt: skip
    summary = " · ".join(part for part in (when, where, closed_notice or spots_text) if part)
    takes = where_is in ("open", "full")
    context: dict[str, Any] = {
        "gig": gig, "when": when, "where": where, "summary": summary,
        "page_url": f"{base_url}/g/{gig.id}{language_query(lang)}",
        "notice": closed_notice, "show_spots": takes, "spots_text": spots_text,
        "waitlist_text": words["waitlist_count"].format(count=gig.waitlist_count)
        if gig.waitlist_count and takes else None,
        "description": _paragraphs(gig.description), "nearby": nearby,
        "form_open": takes, "full": where_is == "full",
        "form": form or SignupForm(), "errors": (form.errors if form else {}),
        "form_notice": form_notice, "csrf": _TOKEN_MARK,
        # Back at the form after a post, not at the top of a long page.
        "form_action": f"/g/{gig.id}{language_query(lang)}#signup-title",
        "failed": bool(form_notice or (form and form.errors)),
    }  # fmt: skip
    # Whatever address showed it (a form post, a confirmation link), the page is the gig's.
    return page_html(request, "gig.html", lang=lang, path=f"/g/{gig.id}", **context)


@router.get("/g/{gig_id}")
async def show_gig(gig_id: str, request: Request) -> Response:
    """A gig's page: what, when, where, spots, and the form (404 for a draft)."""
    # The hottest page: the application's parts are taken directly, which costs less
    # than FastAPI's dependency resolution (`app.dependencies`).
    db, caches, settings = database_of(request), request.app.state.caches, settings_of(request)
    lang = page_language(request)
    try:
        page = await gig_pages.read_page(db, caches, gig_id=gig_id, now=utcnow())
    except NotFound:
        return not_found(request, lang)
    guard = FormGuard(request, await gig_pages.link_keys(db, caches))
    if request.query_params.get("checkin") == "1":  # the QR code's address: check in here
        return check_in_page.show(request, page, lang=lang, guard=guard)
    return gig_page(request, page, caches=caches, lang=lang, guard=guard,
                    base_url=settings.public_base_url)  # fmt: skip


@router.post("/g/{gig_id}")
async def sign_up_on_page(
    gig_id: str,
    request: Request,
    db: DatabaseDep,
    caches: CachesDep,
    settings: SettingsDep,
    channels: ChannelsDep,
) -> Response:
    """The form: sign a new person up, or send a known contact a link to confirm."""
    lang = page_language(request)
    words = TEXTS[lang]
    try:
        page = await gig_pages.read_page(db, caches, gig_id=gig_id, now=utcnow())
    except NotFound:
        return not_found(request, lang)
    keys = await gig_pages.link_keys(db, caches)
    guard = FormGuard(request, keys)
    fields = parse_form(await request.body())
    typed = SignupForm(name=fields.get("name", "")[:400], contact=fields.get("contact", "")[:320],
                       consent=fields.get("consent") == "yes")  # fmt: skip

    def again(status: int, **extra: Any) -> Response:
        return gig_page(request, page, caches=caches, lang=lang, guard=guard,
                        base_url=settings.public_base_url, status=status, **extra)  # fmt: skip

    if not form_is_genuine(request, keys, fields.get("csrf")):
        return again(403, form=typed, form_notice=words["form_expired"])
    limit, period = settings.registration_limit
    client = request.client.host if request.client else "unknown"
    try:
        await rate_limits.check(db, key=f"page-signup:{client}", limit=limit,
                                period_seconds=period)  # fmt: skip
    except RateLimited as limited:
        return again(429, form=typed, headers=limited.headers,
                     form_notice=wait_text(limited, lang))  # fmt: skip
    form = read_signup_form(fields, lang)
    if form.errors or form.volunteer is None:
        return again(422, form=form)
    if state(page.gig, utcnow()) not in ("open", "full"):
        return again(409, form=form)
    volunteer = form.volunteer
    known = await page_signups.registered(db, email=volunteer.email, phone=volunteer.phone)
    newcomer = new_id("vol")
    try:
        if known is None:
            signup = await page_signups.sign_up_newcomer(
                db, volunteer_id=newcomer, volunteer_in=volunteer, gig_id=gig_id
            )
            token = signup_token(keys, signup.id)
            return RedirectResponse(
                f"/s/{signup.id}?t={token}" + language_query(lang).replace("?", "&"),
                status_code=303,
            )
    except VolunteerExists:  # registered in a parallel request
        known = await page_signups.registered(db, email=volunteer.email, phone=volunteer.phone)
    except Conflict:  # the gig closed or changed since the page was read
        await page_signups.drop_newcomer(db, volunteer_id=newcomer)
        page = await gig_pages.read_page(db, caches, gig_id=gig_id, now=utcnow())
        return again(409, form=form)
    if known is None:
        return notice(request, lang=lang, heading=words["error_title"],
                      paragraphs=[words["error_text"]], status=503)  # fmt: skip
    sent = await page_signups.send_confirmation(
        db, channels=channels, keys=keys, base_url=settings.public_base_url, volunteer=known,
        by_email=form.by_email, gig_id=gig_id, now=utcnow(),
    )  # fmt: skip
    text = words["known_unsendable" if sent == "unsendable" else "known_sent"]
    return notice(
        request, lang=lang, heading=words["known_title"],
        paragraphs=[text.format(contact=form.contact, organization=page.gig.organization_name)],
        back_url=f"/g/{gig_id}{language_query(lang)}",
    )  # fmt: skip


@router.get("/assets/klus.css")
async def stylesheet(request: Request) -> Response:
    """The pages' one stylesheet; kept for a year under its versioned address."""
    current = request.url.path + "?" + request.url.query == STYLESHEET_URL
    cache = "public, max-age=31536000, immutable" if current else "public, max-age=300"
    return Response(
        _STYLESHEET, media_type="text/css; charset=utf-8", headers={"Cache-Control": cache}
    )
