"""Checking in on the spot: `/g/{id}?checkin=1`, the address of the QR code the
organisation shows (`GET /gigs/{id}/check-in`), and `POST /g/{id}/check-in`.

The volunteer gives the phone number or e-mail address they signed up with and the
code shown on the spot (`services.check_in.by_page`). Like the sign-up form it works
without JavaScript, with the same protection (`app.web.csrf`) and the registration
rate per address; answers are pages, never problem+json.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from app.dependencies import caches_of, database_of, settings_of
from app.errors import NotFound, RateLimited
from app.integrations.message_vocabulary import Language
from app.models.base import utcnow
from app.services import check_in, gig_pages, rate_limits
from app.services.gig_pages import GigPage
from app.web.csrf import FormGuard, form_is_genuine
from app.web.forms import parse_form, read_contact
from app.web.language import page_language
from app.web.rendering import (
    language_query,
    not_found,
    notice,
    render,
    wait_text,
    when_text,
    where_text,
)
from app.web.texts import TEXTS

router = APIRouter(include_in_schema=False)
#: The code as people may type it: six digits, spaces allowed.
_CODE: Final = re.compile(r"^\d{6}$")
#: Tries per gig, from every address together: 300 people may check in within 5
#: minutes, and a code (good for up to 10 minutes) is guessed at most 1 time in 800.
GIG_ATTEMPTS: Final = 300
GIG_PERIOD_SECONDS: Final = 300


@dataclass
class CheckInForm:
    """What the visitor typed, and the text key of what is wrong with each field."""

    contact: str = ""
    code: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def show(
    request: Request,
    page: GigPage,
    *,
    lang: Language,
    guard: FormGuard,
    status: int = 200,
    form: CheckInForm | None = None,
    form_notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The check-in page of a gig: the form while check-in is open, else when it is."""
    gig, now = page.gig, utcnow()
    is_open = gig.status == "open" and check_in.check_in_open(gig, now)
    closed = None
    if not is_open:
        closed = "state_cancelled" if gig.status == "cancelled" else (
            "state_past" if now >= gig.ends_at else "checkin_closed")  # fmt: skip
    form = form or CheckInForm()
    context: dict[str, Any] = {
        "gig": gig, "when": when_text(gig.starts_at, gig.ends_at, lang, now),
        "where": where_text(gig, lang), "is_open": is_open, "closed": closed, "form": form,
        "errors": form.errors, "form_notice": form_notice, "csrf": guard.token,
        "form_action": f"/g/{gig.id}/check-in{language_query(lang)}",
        "gig_url": f"/g/{gig.id}{language_query(lang)}",
        "failed": status >= 400,
    }  # fmt: skip
    # Whatever address answered (the form's post too), the page is the gig's check-in page.
    return render(request, "check_in.html", lang=lang, status=status, guard=guard,
                  headers=headers, path=f"/g/{gig.id}", link_query={"checkin": "1"},
                  personal=bool(form.contact), **context)  # fmt: skip


@router.post("/g/{gig_id}/check-in")
async def check_in_on_page(gig_id: str, request: Request) -> Response:
    """The check-in form: the contact and the code; a page says what happened."""
    db, caches, settings = database_of(request), caches_of(request), settings_of(request)
    lang = page_language(request)
    words = TEXTS[lang]
    try:
        page = await gig_pages.read_page(db, caches, gig_id=gig_id, now=utcnow())
    except NotFound:
        return not_found(request, lang)
    keys = await gig_pages.link_keys(db, caches)
    guard = FormGuard(request, keys)
    fields = parse_form(await request.body())
    form = CheckInForm(contact=fields.get("contact", "").strip()[:320],
                       code=re.sub(r"\s", "", fields.get("code", ""))[:12])  # fmt: skip

    def again(status: int, **extra: Any) -> Response:
        return show(request, page, lang=lang, guard=guard, status=status, form=form, **extra)

    if not form_is_genuine(request, keys, fields.get("csrf")):
        return again(403, form_notice=words["form_expired"])
    limit, period = settings.registration_limit
    client = request.client.host if request.client else "unknown"
    try:
        await rate_limits.check(db, key=f"page-check-in:{client}", limit=limit,
                                period_seconds=period)  # fmt: skip
        # However many addresses try, a gig's code can be guessed only so often.
        await rate_limits.check(db, key=f"page-check-in-gig:{gig_id}", limit=GIG_ATTEMPTS,
                                period_seconds=GIG_PERIOD_SECONDS)  # fmt: skip
    except RateLimited as limited:
        return again(429, headers=limited.headers, form_notice=wait_text(limited, lang))
    contact = read_contact(form.contact)
    if not form.contact:
        form.errors["contact"] = "contact_missing"
    elif contact is None:
        form.errors["contact"] = "contact_invalid"
    if not _CODE.match(form.code):
        form.errors["code"] = "code_missing" if not form.code else "code_wrong"
    if form.errors or contact is None:
        return again(422)
    outcome = await check_in.by_page(
        db, gig_id=gig_id, email=contact.email, phone=contact.phone, code=form.code, now=utcnow()
    )
    if outcome == "closed":
        return again(409)
    if outcome in ("wrong_code", "not_found"):
        key = "code_wrong" if outcome == "wrong_code" else "checkin_not_found"
        form.errors["code" if outcome == "wrong_code" else "contact"] = key
        return again(422)
    # The same answer whether attendance was recorded already or not, and no name: the
    # code is shown to everyone on the spot, and a contact is no secret.
    return notice(
        request, lang=lang, heading=words["checkin_done_title"],
        paragraphs=[words["checkin_done"].format(title=page.gig.title)],
        back_url=f"/g/{gig_id}{language_query(lang)}", path=f"/g/{gig_id}",
    )  # fmt: skip
