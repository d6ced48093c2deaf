"""A gig as a message ready to paste into a WhatsApp group (``GET /gigs/{id}/share``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Final

from app.integrations.message_vocabulary import Language, format_when

# WhatsApp refuses longer text messages.
MAX_SHARE_CHARS: Final = 4096
MAX_URL_CHARS: Final = 3000
_MAX_TITLE_CHARS: Final = 120
_MAX_PLACE_PART_CHARS: Final = 200
_SPACES: Final = re.compile(r"\s+")

_TEXT: Final[dict[Language, dict[str, str]]] = {
    "nl": {
        "when": "Wanneer: {when}",
        "where": "Waar: {where}",
        "one_left": "Nog 1 plek vrij",
        "many_left": "Nog {spots} plekken vrij",
        "full": "Vol — aanmelden voor de wachtlijst",
        "sign_up": "Aanmelden: {url}",
        "waitlist": "Wachtlijst: {url}",
    },
    "en": {
        "when": "When: {when}",
        "where": "Where: {where}",
        "one_left": "1 spot left",
        "many_left": "{spots} spots left",
        "full": "Full — join the waiting list",
        "sign_up": "Sign up: {url}",
        "waitlist": "Waiting list: {url}",
    },
}


def _shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut at a word boundary without splitting a character."""
    text = _SPACES.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    # Do not leave a dangling joiner, variation selector or combining accent.
    while cut and (unicodedata.category(cut[-1]) in ("Mn", "Me", "Cf") or cut[-1] == "\ufe0f"):
        cut = cut[:-1]
    return cut.rstrip(" ,;:-") + "…"


def place_text(address: str | None, area: str | None, postcode: str | None) -> str | None:
    parts = [_shorten(part, _MAX_PLACE_PART_CHARS) for part in (address, postcode) if part]
    if (
        postcode
        and address
        and postcode.replace(" ", "").upper() in address.replace(" ", "").upper()
    ):
        parts = parts[:1]
    place = ", ".join(part for part in parts if part)
    if area:
        area_text = _shorten(area, _MAX_PLACE_PART_CHARS)
        if area_text.casefold() not in place.casefold():
            place = f"{place} ({area_text})" if place else area_text
    return place or None


def share_text(
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime | None,
    address: str | None,
    area: str | None,
    postcode: str | None,
    spots_left: int,
    url: str,
    lang: str = "nl",
) -> str:
    """Render a gig as a plain-text WhatsApp message (Europe/Amsterdam times, with the url)."""
    if not url or len(url) > MAX_URL_CHARS:
        raise ValueError(f"url must be 1 to {MAX_URL_CHARS} characters")
    language: Language = "en" if lang == "en" else "nl"
    text = _TEXT[language]
    # An asterisk inside the title would end WhatsApp's bold early.
    lines = [f"*{_shorten(title.replace('*', ''), _MAX_TITLE_CHARS)}*"]
    lines.append(text["when"].format(when=format_when(starts_at, ends_at, language)))
    place = place_text(address, area, postcode)
    if place:
        lines.append(text["where"].format(where=place))
    if spots_left <= 0:
        lines += [text["full"], text["waitlist"].format(url=url)]
    else:
        spots = text["one_left"] if spots_left == 1 else text["many_left"].format(spots=spots_left)
        lines += [spots, text["sign_up"].format(url=url)]
    message = "\n".join(lines)
    assert len(message) <= MAX_SHARE_CHARS  # every part above is bounded
    return message
