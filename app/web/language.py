"""Which language a page is in: `?lang=en|nl` first, then the browser's
`Accept-Language`, else Dutch."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

from app.integrations.message_vocabulary import Language

_OURS: Final[tuple[Language, ...]] = ("nl", "en")


def preferred(accept_language: str | None) -> Language:
    """The one of ours that ``accept_language`` likes most (RFC 9110 q-values; of equal
    weights the one named first), or Dutch when it names neither."""
    liked: list[tuple[float, int, Language]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        primary = tag.strip().split("-")[0].lower()
        name, _, value = parameters.strip().partition("=")
        try:
            weight = float(value) if name.strip().lower() == "q" else 1.0
        except ValueError:
            continue
        for language in _OURS:
            if primary == language and weight > 0:
                liked.append((weight, -position, language))
    return max(liked)[2] if liked else "nl"


def page_language(request: Request) -> Language:
    """The language of the page for ``request``."""
    asked = request.query_params.get("lang")
    if asked in _OURS:
        return asked
    return preferred(request.headers.get("accept-language"))
