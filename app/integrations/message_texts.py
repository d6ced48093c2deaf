"""What the service says to people, in Dutch and English: short, warm, and what to do next.

Each message thanks first (the city's policy), says what happened, and ends with the
gig's link. WhatsApp shows `*bold*`; e-mail gets the same text, and a simple HTML part.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from app.integrations.message_vocabulary import Language, format_when
from app.integrations.share_text import place_text

_TEXTS: Final[dict[str, dict[Language, tuple[str, str]]]] = {
    # kind: {language: (e-mail subject, text)}
    "signup_confirmed": {
        "nl": (
            "Je bent aangemeld: {title}",
            "Dank je wel, {name}! Je bent aangemeld voor *{title}*.\n"
            "Wanneer: {when}\n{where_line}"
            "Kun je toch niet? Meld je dan af, dan krijgt iemand anders je plek.\n{url}",
        ),
        "en": (
            "You are signed up: {title}",
            "Thank you, {name}! You are signed up for *{title}*.\n"
            "When: {when}\n{where_line}"
            "Can't make it after all? Please cancel, so someone else gets your spot.\n{url}",
        ),
    },
    "signup_waitlisted": {
        "nl": (
            "Je staat op de wachtlijst: {title}",
            "Dank je wel, {name}! *{title}* is vol, dus je staat op de wachtlijst "
            "(plaats {position}). Komt er een plek vrij, dan krijg je meteen bericht.\n"
            "Wanneer: {when}\n{url}",
        ),
        "en": (
            "You are on the waiting list: {title}",
            "Thank you, {name}! *{title}* is full, so you are on the waiting list "
            "(place {position}). If a spot opens up, we will tell you right away.\n"
            "When: {when}\n{url}",
        ),
    },
    "promoted": {
        "nl": (
            "Er is een plek vrij: {title}",
            "Dank je wel voor je geduld, {name}: er is een plek vrijgekomen en je bent nu "
            "aangemeld voor *{title}*.\nWanneer: {when}\n{where_line}"
            "Kun je toch niet? Meld je dan af, dan gaat de plek naar de volgende.\n{url}",
        ),
        "en": (
            "A spot opened up: {title}",
            "Thank you for waiting, {name}: a spot opened up and you are now signed up for "
            "*{title}*.\nWhen: {when}\n{where_line}"
            "Can't make it after all? Please cancel, so the spot goes to the next person.\n{url}",
        ),
    },
    "gig_changed": {
        "nl": (
            "Gewijzigd: {title}",
            "Dank je wel dat je meedoet, {name}. Let op: *{title}* is gewijzigd.\n"
            "Nu: {when}\n{where_line}"
            "Past het zo niet meer? Meld je dan af, dan kan iemand anders helpen.\n{url}",
        ),
        "en": (
            "Changed: {title}",
            "Thank you for joining, {name}. Please note: *{title}* has changed.\n"
            "Now: {when}\n{where_line}"
            "Doesn't it suit you any more? Please cancel, so someone else can help.\n{url}",
        ),
    },
    "gig_cancelled": {
        "nl": (
            "Gaat niet door: {title}",
            "Dank je wel dat je wilde helpen, {name}. Helaas gaat *{title}* ({when}) niet "
            "door. Je hoeft niets te doen; kijk gerust of er een andere klus bij je past.\n{url}",
        ),
        "en": (
            "Cancelled: {title}",
            "Thank you for wanting to help, {name}. Unfortunately *{title}* ({when}) is "
            "cancelled. You don't need to do anything; do have a look for another task.\n{url}",
        ),
    },
    "reminder": {
        "nl": (
            "Herinnering: {title}",
            "Dank je wel dat je komt helpen, {name}! Een herinnering: *{title}*.\n"
            "Wanneer: {when}\n{where_line}"
            "Kom je? Antwoord *ja*. Kun je toch niet? Antwoord *nee*, dan krijgt iemand "
            "anders je plek.\n{url}",
        ),
        "en": (
            "Reminder: {title}",
            "Thank you for coming to help, {name}! A reminder: *{title}*.\n"
            "When: {when}\n{where_line}"
            "Coming? Reply *yes*. Can't make it after all? Reply *no*, so someone else gets "
            "your spot.\n{url}",
        ),
    },
    "thanks": {
        "nl": (
            "Dank je wel voor {title}",
            "Dank je wel, {name}, voor je hulp bij *{title}*! We hebben {hours} uur "
            "genoteerd. Zin in meer? Er zijn altijd nieuwe klussen.\n{url}",
        ),
        "en": (
            "Thank you for {title}",
            "Thank you, {name}, for your help with *{title}*! We noted {hours} hours. "
            "Fancy more? There are always new tasks.\n{url}",
        ),
    },
}
_WHERE: Final[dict[Language, str]] = {"nl": "Waar: {where}\n", "en": "Where: {where}\n"}
_BOLD: Final = re.compile(r"\*([^*\n]+)\*")
_LINK: Final = re.compile(r"(https?://[^\s<]+)")


@dataclass(frozen=True, slots=True)
class GigFacts:
    """What a message says about a gig."""

    title: str
    starts_at: datetime
    ends_at: datetime
    address: str | None
    area: str | None
    postcode: str | None
    url: str


@dataclass(frozen=True, slots=True)
class Text:
    """A rendered message: the e-mail subject and the text."""

    subject: str
    body: str


def language_of(languages: list[str] | None) -> Language:
    """The person's language for messages: the first of Dutch and English they speak."""
    for language in languages or []:
        if language in ("nl", "en"):
            return language  # type: ignore[return-value]
    return "nl"


def render(
    kind: str,
    language: Language,
    *,
    name: str,
    gig: GigFacts,
    position: int | None = None,
    hours: float | None = None,
) -> Text:
    """The message of ``kind`` about ``gig`` for ``name``, in ``language``."""
    subject, body = _TEXTS[kind][language]
    where = place_text(gig.address, gig.area, gig.postcode)
    title = gig.title.replace("*", "")
    values = {
        "name": name.strip() or ("vrijwilliger" if language == "nl" else "volunteer"),
        "title": title,
        "when": format_when(gig.starts_at, gig.ends_at, language),
        "where_line": _WHERE[language].format(where=where) if where else "",
        "url": gig.url,
        "position": position if position is not None else "?",
        "hours": _hours(hours, language),
    }
    return Text(subject=subject.format(**values), body=body.format(**values))


_ANSWERS: Final[dict[str, dict[Language, str]]] = {
    "reconfirmed": {
        "nl": "Dank je wel, {name}! Fijn dat je komt: we rekenen op je bij *{title}* "
        "({when}).\n{url}",
        "en": "Thank you, {name}! Glad you are coming: we count on you for *{title}* "
        "({when}).\n{url}",
    },
    "cancelled": {
        "nl": "Dank je wel dat je het laat weten, {name}. Je bent afgemeld voor *{title}* "
        "({when}); je plek gaat naar iemand anders. Hopelijk tot een volgende keer!\n{url}",
        "en": "Thank you for letting us know, {name}. You are no longer signed up for "
        "*{title}* ({when}); your spot goes to someone else. Hope to see you another time!"
        "\n{url}",
    },
    "asked": {
        "nl": "Dank je wel! Over welke klus gaat het?\n{choices}\nAntwoord bijvoorbeeld met "
        "*{example}*.",
        "en": "Thank you! Which task do you mean?\n{choices}\nReply for example with *{example}*.",
    },
    "unknown": {
        "nl": "Dank je wel voor je bericht! We weten niet over welke klus het gaat: er staat "
        "geen herinnering voor je open. Aan- of afmelden kan via de link in onze berichten.",
        "en": "Thank you for your message! We don't know which task it is about: there is no "
        "reminder waiting for your answer. You can sign up or cancel with the link in our "
        "messages.",
    },
    "stopped": {
        "nl": "Dank je wel voor je bericht. Je krijgt geen berichten meer van ons. Stuur "
        "*START* als je ze weer wilt krijgen.",
        "en": "Thank you for letting us know. You will get no more messages from us. Send "
        "*START* to get them again.",
    },
    "number_linked": {
        "nl": "Dank je wel! Berichten van dit nummer worden nu klussen van {name}. Stuur een "
        "klus met wat, wanneer en waar, dan zetten wij hem klaar.",
        "en": "Thank you! Messages from this number now become tasks of {name}. Send a task "
        "with what, when and where, and we will put it up.",
    },
    "started": {
        "nl": "Dank je wel, welkom terug! Je krijgt onze berichten weer. Stuur *STOP* als je "
        "ze niet meer wilt.",
        "en": "Thank you, welcome back! You will get our messages again. Send *STOP* if you "
        "no longer want them.",
    },
}


def render_answer(
    outcome: str,
    language: Language,
    *,
    name: str = "",
    gig: GigFacts | None = None,
    choices: str = "",
    example: str = "",
) -> str:
    """The acknowledgement of an answer (`services.answers`)."""
    values: dict[str, object] = {"name": name.strip() or ("vrijwilliger" if language == "nl"
                                                          else "volunteer"),
                                 "choices": choices, "example": example}  # fmt: skip
    if gig is not None:
        values.update(title=gig.title.replace("*", ""), url=gig.url,
                      when=format_when(gig.starts_at, gig.ends_at, language))  # fmt: skip
    return _ANSWERS[outcome][language].format(**values)


_LOGIN_CODE: Final[dict[Language, tuple[str, str]]] = {
    "nl": (
        "Je code: {code}",
        "Dank je wel dat je terugkomt! Je code is *{code}*. Vul hem in om weer in te loggen; "
        "hij werkt {minutes} minuten. Heb je hem niet gevraagd? Dan kun je dit bericht "
        "negeren.",
    ),
    "en": (
        "Your code: {code}",
        "Thank you for coming back! Your code is *{code}*. Enter it to sign in again; it "
        "works for {minutes} minutes. Didn't ask for it? Then you can ignore this message.",
    ),
}


_NUMBER_CODE: Final = {
    "nl": (
        "Code voor {organization}: {code}",
        "{organization} wil berichten van dit nummer op Klusmakelaar zetten als klussen. "
        "Klopt dat? Stuur dan deze code terug: *{code}*. Hij werkt {hours} uur. Weet je "
        "hier niets van? Dan hoef je niets te doen: zonder de code gebeurt er niets.",
    ),
    "en": (
        "Code for {organization}: {code}",
        "{organization} wants to post tasks on Klusmakelaar from this number. Is that "
        "right? Then send back this code: *{code}*. It works for {hours} hours. Don't know "
        "about this? Then do nothing: without the code, nothing happens.",
    ),
}


_SIGNUP_LINK: Final = {
    "nl": (
        "Bevestig je aanmelding: {title}",
        "Dank je wel dat je wilt helpen, {name}! Iemand heeft je via onze website aangemeld "
        "voor *{title}* ({when}). Was jij dat? Bevestig het dan met deze link (hij werkt "
        "{hours} uur):\n{url}\nWas jij het niet? Dan hoef je niets te doen.",
    ),
    "en": (
        "Confirm your sign-up: {title}",
        "Thank you for wanting to help, {name}! Someone asked on our website to sign you up "
        "for *{title}* ({when}). Was it you? Then confirm with this link (it works for "
        "{hours} hours):\n{url}\nWasn't it you? Then you don't need to do anything.",
    ),
}


def render_signup_link(
    language: Language, *, name: str, gig: GigFacts, url: str, hours: int
) -> Text:
    """The message with a link to confirm a sign-up asked for on a gig's page."""
    subject, body = _SIGNUP_LINK[language]
    title = gig.title.replace("*", "")
    values = {"name": name.strip() or ("vrijwilliger" if language == "nl" else "volunteer"),
              "title": title, "when": format_when(gig.starts_at, gig.ends_at, language),
              "url": url, "hours": hours}  # fmt: skip
    return Text(subject.format(**values), body.format(**values))


def render_number_code(language: Language, *, organization: str, code: str, hours: int) -> Text:
    """The message that asks a number to confirm it posts for an organisation."""
    subject, body = _NUMBER_CODE[language]
    values = {"organization": organization, "code": code, "hours": hours}
    return Text(subject.format(**values), body.format(**values))


def render_login_code(language: Language, *, code: str, minutes: int) -> Text:
    """The message with a login code."""
    subject, body = _LOGIN_CODE[language]
    return Text(subject.format(code=code), body.format(code=code, minutes=minutes))


def _hours(hours: float | None, language: Language) -> str:
    if hours is None:
        return "0"
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "nl" else text


def as_html(body: str, language: Language) -> str:
    """The text as a small HTML document: paragraphs, bold and links kept."""
    escaped = html.escape(body)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    escaped = _LINK.sub(r'<a href="\1">\1</a>', escaped)
    paragraphs = "".join(f"<p>{line}</p>" for line in escaped.split("\n") if line)
    return (
        f'<!doctype html><html lang="{language}"><body style="font-family:sans-serif">'
        f"{paragraphs}</body></html>"
    )


def plain(body: str) -> str:
    """The text for e-mail: without WhatsApp's asterisks."""
    return _BOLD.sub(r"\1", body)
