"""The sign-up forms' protection against cross-site requests, without a server session.

A visitor gets a random nonce in a cookie (HttpOnly, SameSite=Lax); every form carries
the token of that nonce (`page_links.sign` with the form key). A post counts only when
its token is the token of the nonce in its own cookie: another site cannot read the
cookie to make the token, and a token copied from another visitor's page does not match
this visitor's cookie.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from app.services.page_links import LinkKeys, sign, signed

COOKIE: Final = "klus_form"
#: On https the cookie is `__Host-` prefixed: Secure, for this host only, path `/`, so
#: no other subdomain can set a nonce of its own choosing.
SECURE_COOKIE: Final = "__Host-klus_form"
_NONCE: Final = re.compile(r"^[A-Za-z0-9_-]{22}$")


def _cookie_name(request: Request) -> str:
    return SECURE_COOKIE if request.url.scheme == "https" else COOKIE


def nonce_of(request: Request) -> str | None:
    """The nonce in the request's cookie, if it is one of ours."""
    nonce = request.cookies.get(_cookie_name(request))
    return nonce if nonce and _NONCE.match(nonce) else None


def form_token(keys: LinkKeys, nonce: str) -> str:
    """The token a form of this visitor carries."""
    return sign(keys.form, f"form:{nonce}")


class FormGuard:
    """The nonce of one request: the visitor's, or a new one to be set as a cookie."""

    def __init__(self, request: Request, keys: LinkKeys) -> None:
        kept = nonce_of(request)
        self._new = kept is None
        self.nonce = kept or secrets.token_urlsafe(16)
        self.token = form_token(keys, self.nonce)
        self._name = _cookie_name(request)

    def set_cookie(self, response: Response) -> None:
        """Give a new visitor its cookie (a visitor that has one keeps it)."""
        if self._new:
            response.set_cookie(self._name, self.nonce, httponly=True, samesite="lax",
                                secure=self._name == SECURE_COOKIE, path="/")  # fmt: skip


def form_is_genuine(request: Request, keys: LinkKeys, token: str | None) -> bool:
    """Whether a posted form's ``token`` belongs to the nonce in this request's cookie."""
    nonce = nonce_of(request)
    return nonce is not None and signed(keys.form, f"form:{nonce}", token)
