"""Pages reached by a signed link, without logging in:

- `/s/{signup_id}?t=` a sign-up's own page: see it, cancel it, erase one's data;
- `/g/{gig_id}/confirm?v=&e=&t=` the link sent to an already registered contact: a
  button that signs the person up (a link preview that opens it changes nothing);
- `/privacy` what is kept, for how long, and how to be forgotten.

A link whose token does not match is a 404, like an unknown id. Buttons post a form
with the visitor's CSRF token (`app.web.csrf`) as well as the link's token.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.dependencies import CachesDep, DatabaseDep, SettingsDep
from app.errors import Conflict, NotFound
from app.integrations.message_vocabulary import Language
from app.models.base import utcnow
from app.services import gig_pages, page_signups
from app.services.gig_pages import state
from app.services.page_links import LinkKeys, confirm_message, signed, signup_token
from app.services.places import AlreadySignedUp, TimeConflict
from app.web.csrf import FormGuard, form_is_genuine
from app.web.forms import parse_form, read_contact
from app.web.language import page_language
from app.web.pages import gig_page
from app.web.rendering import language_query, not_found, notice, render, when_text, where_text
from app.web.texts import TEXTS

router = APIRouter(include_in_schema=False)
_EXPIRY = re.compile(r"[0-9]{1,12}")  # ASCII digits only (`str.isdigit` takes "²")


def _signup_link_ok(keys: LinkKeys, signup_id: str, token: str | None) -> bool:
    return signed(keys.signup, f"signup:{signup_id}", token)


def _own_page(signup_id: str, keys: LinkKeys, lang: Language) -> str:
    return f"/s/{signup_id}?t={signup_token(keys, signup_id)}" + language_query(lang).replace(
        "?", "&"
    )


async def _signup_page(
    request: Request,
    db: DatabaseDep,
    *,
    signup_id: str,
    keys: LinkKeys,
    guard: FormGuard,
    lang: Language,
    status: int = 200,
    forget_error: str | None = None,
) -> Response:
    words = TEXTS[lang]
    try:
        page = await page_signups.signup_page(db, signup_id=signup_id)
    except NotFound:
        return not_found(request, lang)
    signup, now = page.signup, utcnow()
    if signup.volunteer_id is not None:
        name = (signup.volunteer_name or "").split(" ")[0]
    else:
        name = signup.association_name or ""
    erased = signup.volunteer_id is None and signup.association_id is None
    over = signup.gig_status == "completed" or signup.ends_at <= now
    text: str | None
    if erased:
        heading, text = words["signup_erased"], words["signup_erased_text"]
    elif signup.attended:
        heading, text = words["signup_attended"], words["signup_attended_text"]
    elif signup.status == "cancelled":
        heading, text = words["signup_cancelled"], words["signup_cancelled_text"]
    elif signup.gig_status == "cancelled":
        heading, text = words["state_cancelled"], None
    elif over:
        heading, text = words["signup_past"], words["signup_past_text"]
    elif signup.status == "waitlisted":
        heading = words["signup_waitlisted"]
        text = words["signup_waitlisted_text"].format(name=name, position=page.waitlist_position)
    else:
        heading = words["signup_confirmed"]
        text = words["signup_confirmed_text"].format(
            name=name, organization=signup.organization_name
        )
    active = (not erased and signup.status in ("confirmed", "waitlisted")
              and signup.attended is None and signup.gig_status == "open" and not over)  # fmt: skip
    token = signup_token(keys, signup_id)
    context: dict[str, Any] = {
        "heading": heading, "text": text, "signup": signup,
        "when": when_text(signup.starts_at, signup.ends_at, lang, now),
        "where": where_text(signup, lang), "active": active, "token": token,
        "csrf": guard.token, "gig_url": f"/g/{signup.gig_id}{language_query(lang)}",
        "cancel_action": f"/s/{signup_id}/cancel{language_query(lang)}",
        "forget_action": f"/s/{signup_id}/forget{language_query(lang)}"
        if signup.volunteer_id else None,
        "forget_error": forget_error,
    }  # fmt: skip
    return render(request, "signup.html", lang=lang, status=status, guard=guard, personal=True,
                  keep=("t",), **context)  # fmt: skip


@router.get("/s/{signup_id}")
async def show_signup(
    signup_id: str, request: Request, db: DatabaseDep, caches: CachesDep
) -> Response:
    """A sign-up's own page (its link is in every message about it)."""
    lang = page_language(request)
    keys = await gig_pages.link_keys(db, caches)
    if not _signup_link_ok(keys, signup_id, request.query_params.get("t")):
        return not_found(request, lang)
    guard = FormGuard(request, keys)
    return await _signup_page(request, db, signup_id=signup_id, keys=keys, guard=guard,
                              lang=lang)  # fmt: skip


async def _signup_form(
    request: Request, db: DatabaseDep, caches: CachesDep, signup_id: str, lang: Language
) -> tuple[LinkKeys, dict[str, str], Response | None]:
    """A button's post on a sign-up's page: its fields, or the answer that refuses it
    (404 for a link token that does not match, 403 for a form token that does not)."""
    keys = await gig_pages.link_keys(db, caches)
    fields = parse_form(await request.body())
    if not _signup_link_ok(keys, signup_id, fields.get("t")):
        return keys, fields, not_found(request, lang)
    if not form_is_genuine(request, keys, fields.get("csrf")):
        guard = FormGuard(request, keys)
        page = await _signup_page(request, db, signup_id=signup_id, keys=keys, guard=guard,
                                  lang=lang, status=403)  # fmt: skip
        return keys, fields, page
    return keys, fields, None


@router.post("/s/{signup_id}/cancel")
async def cancel_signup(
    signup_id: str, request: Request, db: DatabaseDep, caches: CachesDep
) -> Response:
    """The cancel button: the spot goes back (and to the waitlist), then the page again."""
    lang = page_language(request)
    keys, _, refused = await _signup_form(request, db, caches, signup_id, lang)
    if refused is not None:
        return refused
    try:
        await page_signups.cancel(db, signup_id=signup_id)
    except Conflict:
        pass  # cancelled already, or attended: the page says how it stands
    except NotFound:
        return not_found(request, lang)
    return RedirectResponse(_own_page(signup_id, keys, lang), status_code=303)


@router.post("/s/{signup_id}/forget")
async def forget_volunteer(
    signup_id: str, request: Request, db: DatabaseDep, caches: CachesDep
) -> Response:
    """Erase the person of this sign-up for good (`volunteers.erase`), once they have
    typed the contact they signed up with: the link alone (which may have been
    forwarded) can cancel a sign-up, not erase a person."""
    lang = page_language(request)
    words = TEXTS[lang]
    keys, fields, refused = await _signup_form(request, db, caches, signup_id, lang)
    if refused is not None:
        return refused
    guard = FormGuard(request, keys)
    contact = read_contact(fields.get("contact", ""))
    try:
        erased = contact is not None and await page_signups.erase_by_contact(
            db, signup_id=signup_id, email=contact.email, phone=contact.phone
        )
    except NotFound:
        return not_found(request, lang)
    if not erased:
        return await _signup_page(request, db, signup_id=signup_id, keys=keys, guard=guard,
                                  lang=lang, status=422,
                                  forget_error="forget_mismatch")  # fmt: skip
    return notice(request, lang=lang, heading=words["forgotten_title"],
                  paragraphs=[words["forgotten_text"]])  # fmt: skip


def _confirm_link(
    keys: LinkKeys, gig_id: str, volunteer_id: str | None, expires: str | None, token: str | None
) -> tuple[str, int] | None:
    """The volunteer and expiry of a genuine confirmation link (expired or not)."""
    if not volunteer_id or not expires or not _EXPIRY.fullmatch(expires):
        return None
    if not signed(keys.confirm, confirm_message(volunteer_id, gig_id, int(expires)), token):
        return None
    return volunteer_id, int(expires)


def _expired(request: Request, lang: Language, gig_id: str) -> Response:
    words = TEXTS[lang]
    return notice(request, lang=lang, heading=words["confirm_title"],
                  paragraphs=[words["confirm_expired"]], status=410,
                  back_url=f"/g/{gig_id}{language_query(lang)}")  # fmt: skip


@router.get("/g/{gig_id}/confirm")
async def show_confirmation(
    gig_id: str, request: Request, db: DatabaseDep, caches: CachesDep, settings: SettingsDep
) -> Response:
    """The page of a confirmation link: the gig and one button."""
    lang = page_language(request)
    keys = await gig_pages.link_keys(db, caches)
    query = request.query_params
    link = _confirm_link(keys, gig_id, query.get("v"), query.get("e"), query.get("t"))
    if link is None:
        return not_found(request, lang)
    if link[1] <= utcnow().timestamp():
        return _expired(request, lang, gig_id)
    try:
        page = await gig_pages.read_page(db, caches, gig_id=gig_id, now=utcnow())
    except NotFound:
        return not_found(request, lang)
    guard = FormGuard(request, keys)
    gig, now = page.gig, utcnow()
    where_is = state(gig, now)
    if where_is not in ("open", "full"):  # closed since the link was sent: the page says so
        return gig_page(
            request, page, caches=caches, lang=lang, guard=guard, base_url=settings.public_base_url
        )
    return render(
        request, "confirm.html", lang=lang, guard=guard, gig=gig, personal=True,
        keep=("v", "e", "t"),
        when=when_text(gig.starts_at, gig.ends_at, lang, now), where=where_text(gig, lang),
        csrf=guard.token, volunteer_id=link[0], expires=link[1], token=query.get("t"),
        form_action=f"/g/{gig_id}/confirm{language_query(lang)}", full=where_is == "full",
        gig_url=f"/g/{gig_id}{language_query(lang)}",
    )  # fmt: skip


@router.post("/g/{gig_id}/confirm")
async def confirm_signup(
    gig_id: str, request: Request, db: DatabaseDep, caches: CachesDep, settings: SettingsDep
) -> Response:
    """The confirmation button: sign the person of the link up."""
    lang = page_language(request)
    words = TEXTS[lang]
    keys = await gig_pages.link_keys(db, caches)
    fields = parse_form(await request.body())
    link = _confirm_link(keys, gig_id, fields.get("v"), fields.get("e"), fields.get("t"))
    if link is None:
        return not_found(request, lang)
    if link[1] <= utcnow().timestamp():
        return _expired(request, lang, gig_id)
    guard = FormGuard(request, keys)
    back = f"/g/{gig_id}{language_query(lang)}"
    if not form_is_genuine(request, keys, fields.get("csrf")):
        link_again = (f"/g/{gig_id}/confirm?v={link[0]}&e={link[1]}&t={fields.get('t')}"
                      + language_query(lang).replace("?", "&"))  # fmt: skip
        return notice(request, lang=lang, heading=words["confirm_title"],
                      paragraphs=[words["form_expired"]], status=403, back_url=link_again,
                      back_text=words["confirm_title"])  # fmt: skip
    try:
        signup = await page_signups.confirm(db, volunteer_id=link[0], gig_id=gig_id)
    except NotFound:
        return not_found(request, lang)
    except AlreadySignedUp:
        return notice(request, lang=lang, heading=words["confirm_title"], status=409,
                      paragraphs=[words["already_signed_up"]], back_url=back)  # fmt: skip
    except TimeConflict:
        return notice(request, lang=lang, heading=words["confirm_title"],
                      paragraphs=[words["time_conflict"]], status=409, back_url=back)  # fmt: skip
    except Conflict:  # the gig closed since the link was sent: its page says so
        page = await gig_pages.read_page(db, caches, gig_id=gig_id, now=utcnow())
        return gig_page(request, page, caches=caches, lang=lang, guard=guard,
                        base_url=settings.public_base_url, status=409)  # fmt: skip
    return RedirectResponse(_own_page(signup.id, keys, lang), status_code=303)


@router.get("/privacy")
async def privacy(request: Request) -> Response:
    """What is kept about a person, for how long, and how to be forgotten."""
    return render(request, "privacy.html", lang=page_language(request))
