"""The plain-text answer sent back to whoever posted a gig by chat."""

from __future__ import annotations

from typing import Final, Literal

from app.integrations.message_parsed import ParsedMessage
from app.integrations.message_vocabulary import EN_DASH, Language, format_day, format_when

ReplyStatus = Literal["created", "draft"]

_TEXT: Final[dict[Language, dict[str, str]]] = {
    "nl": {
        "created": "Dank je! De klus staat online: {title}",
        "draft_saved": "Dank je! Ik heb je bericht als concept bewaard.",
        "draft": "Dank je! Ik heb je bericht als concept bewaard, maar ik mis nog: {missing}.",
        "when": "Wanneer: {when}",
        "where": "Waar: {where}",
        "people": "Aantal: {people} {noun}",
        "person": "vrijwilliger",
        "persons": "vrijwilligers",
        "link": "Bekijk en deel: {url}",
        "draft_link": "Concept: {url}",
        "defaulted": "Eindtijd niet gevonden, ik heb 2 uur aangenomen.",
        "mismatch": "Let op: {day} is een {weekday}. Klopt de datum?",
        "understood": "Wat ik wel begreep:",
        "title_label": "Klus: {title}",
        "day_only": "Dag: {day}",
        "time_only": "Tijd: {time}",
        "how": "Stuur het bericht opnieuw, bijvoorbeeld zo:",
        "title": "de klus (een titel op de eerste regel of na Klus:)",
        "date": "de datum (zoals 14 juni of 14-06-2027)",
        "time": "de tijd (zoals 10:00-13:00)",
        "and": "en",
        "example": (
            "Klus: {title}\n"
            "Wanneer: 14 juni 10:00-13:00\n"
            "Waar: Oosterpoort, 9724 AB\n"
            "Aantal: 4\n"
            "Wat: Onkruid wieden en een border aanleggen."
        ),
        "example_title": "Tuin opknappen bij buurthuis De Kroon",
    },
    "en": {
        "created": "Thank you! The task is online: {title}",
        "draft_saved": "Thank you! I saved your message as a draft.",
        "draft": "Thank you! I saved your message as a draft, but I still need: {missing}.",
        "when": "When: {when}",
        "where": "Where: {where}",
        "people": "People: {people} {noun}",
        "person": "volunteer",
        "persons": "volunteers",
        "link": "View and share: {url}",
        "draft_link": "Draft: {url}",
        "defaulted": "End time not found, I assumed 2 hours.",
        "mismatch": "Note: {day} is a {weekday}. Is the date right?",
        "understood": "What I did understand:",
        "title_label": "Task: {title}",
        "day_only": "Day: {day}",
        "time_only": "Time: {time}",
        "how": "Please send the message again, for example like this:",
        "title": "the task (a title on the first line or after Task:)",
        "date": "the date (like 14 June or 14-06-2027)",
        "time": "the time (like 10:00-13:00)",
        "and": "and",
        "example": (
            "Task: {title}\n"
            "When: 14 June 10:00-13:00\n"
            "Where: Oosterpoort, 9724 AB\n"
            "People: 4\n"
            "What: Weeding and planting a flower border."
        ),
        "example_title": "Fix up the garden of community centre De Kroon",
    },
}


def _place(parsed: ParsedMessage) -> str | None:
    if parsed.address and parsed.postcode:
        compact = parsed.postcode.replace(" ", "")
        if compact in parsed.address.replace(" ", "").upper():
            return parsed.address
        return f"{parsed.address}, {parsed.postcode}"
    return parsed.address or parsed.postcode


def _list_words(words: list[str], conjunction: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _details(parsed: ParsedMessage, text: dict[str, str], lang: Language) -> list[str]:
    lines: list[str] = []
    if parsed.starts_at is not None:
        lines.append(text["when"].format(when=format_when(parsed.starts_at, parsed.ends_at, lang)))
    elif parsed.day is not None:
        lines.append(text["day_only"].format(day=format_day(parsed.day, lang)))
    elif parsed.start_time is not None:
        clock = f"{parsed.start_time:%H:%M}"
        if parsed.end_time is not None:
            clock += f"{EN_DASH}{parsed.end_time:%H:%M}"
        lines.append(text["time_only"].format(time=clock))
    place = _place(parsed)
    if place:
        lines.append(text["where"].format(where=place))
    if parsed.capacity is not None:
        noun = text["person"] if parsed.capacity == 1 else text["persons"]
        lines.append(text["people"].format(people=parsed.capacity, noun=noun))
    if parsed.weekday_mismatch and parsed.day is not None:
        weekday, day = format_day(parsed.day, lang).split(" ", 1)
        lines.append(text["mismatch"].format(day=day, weekday=weekday))
    return lines


def compose_reply(
    parsed: ParsedMessage,
    *,
    gig_url: str | None,
    status: ReplyStatus,
    lang: str | None = None,
) -> str:
    """Write the plain-text reply to the sender: a confirmation or what is still missing."""
    if status not in ("created", "draft"):
        raise ValueError(f"unknown status {status!r}")
    language: Language = "en" if lang == "en" else "nl" if lang == "nl" else parsed.language
    text = _TEXT[language]
    if status == "created":
        lines = [text["created"].format(title=parsed.title or "")]
        lines += _details(parsed, text, language)
        if parsed.end_defaulted:
            lines.append(text["defaulted"])
        if gig_url:
            lines.append(text["link"].format(url=gig_url))
        return "\n".join(lines)

    if parsed.missing:
        missing = _list_words([text[name] for name in parsed.missing], text["and"])
        lines = [text["draft"].format(missing=missing)]
    else:
        lines = [text["draft_saved"]]
    details = _details(parsed, text, language)
    if parsed.title is not None:
        details.insert(0, text["title_label"].format(title=parsed.title))
    if details:
        lines += ["", text["understood"], *details]
    example = text["example"].format(title=parsed.title or text["example_title"])
    if parsed.missing:
        lines += ["", text["how"], example]
    if gig_url:
        lines += ["", text["draft_link"].format(url=gig_url)]
    return "\n".join(lines)
