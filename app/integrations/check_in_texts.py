"""Replies to a check-in by chat (`inchecken 123456`, `uitchecken`), in Dutch and English."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from app.integrations.message_vocabulary import Language, format_when

CheckInOutcome = Literal[
    "checked_in",
    "no_gig_now",
    "wrong_code",
    "unknown_number",
    "recorded",
    "checked_out",
    "not_checked_in",
]

_TEXTS: Final[dict[CheckInOutcome, dict[Language, str]]] = {
    "checked_in": {
        "nl": "Welkom, {name}! Je bent ingecheckt bij *{title}* ({when}). Fijn dat je er "
        "bent. Stuur *uitchecken* als je klaar bent, dan tellen je uren mee.",
        "en": "Welcome, {name}! You are checked in for *{title}* ({when}). Glad you are "
        "here. Send *check out* when you are done, so your hours count.",
    },
    "checked_out": {
        "nl": "Dank je wel, {name}! Je bent uitgecheckt bij *{title}*: {hours} uur genoteerd. "
        "Klopt er iets niet? De organisatie kan het nog aanpassen.",
        "en": "Thank you, {name}! You are checked out of *{title}*: {hours} hours recorded. "
        "Something not right? The organisation can still correct it.",
    },
    "not_checked_in": {
        "nl": "Dank je wel! Je bent nergens ingecheckt. Inchecken doe je met de code van de "
        "organisatie, bijvoorbeeld *inchecken 123456*.",
        "en": "Thank you! You are not checked in anywhere. Check in with the organisation's "
        "code, for example *check in 123456*.",
    },
    "no_gig_now": {
        "nl": "Dank je wel! We vinden geen klus van jou die nu bezig is of binnen 30 minuten "
        "begint. Inchecken kan vanaf een half uur voor de start.",
        "en": "Thank you! We find no task of yours that is on now or starts within 30 "
        "minutes. You can check in from half an hour before the start.",
    },
    "wrong_code": {
        "nl": "Die code klopt niet (meer). Vraag de organisatie om de code die nu te zien "
        "is en stuur *inchecken* met die code, bijvoorbeeld *inchecken 123456*.",
        "en": "That code is not right (any more). Ask the organisation for the code shown "
        "now and send *check in* with it, for example *check in 123456*.",
    },
    "unknown_number": {
        "nl": "Dank je wel! We kennen dit nummer niet. Check in via de link in je "
        "aanmeldbevestiging.",
        "en": "Thank you! We don't know this number. Check in with the link in your sign-up "
        "confirmation.",
    },
    "recorded": {
        "nl": "Dank je wel, {name}! Je aanwezigheid bij *{title}* is al geregistreerd.",
        "en": "Thank you, {name}! Your attendance at *{title}* is already recorded.",
    },
}


def render_check_in(
    outcome: CheckInOutcome,
    language: Language,
    *,
    name: str = "",
    title: str = "",
    when: tuple[datetime, datetime] | None = None,
    hours: float = 0,
) -> str:
    """The reply to a check-in (or check-out) by chat."""
    fallback = "vrijwilliger" if language == "nl" else "volunteer"
    when_text = format_when(when[0], when[1], language) if when else ""
    hours_text = f"{hours:g}".replace(".", ",") if language == "nl" else f"{hours:g}"
    return _TEXTS[outcome][language].format(
        name=name.strip() or fallback,
        title=title.replace("*", ""),
        when=when_text,
        hours=hours_text,
    )
