"""The plain-text answer sent back to whoever posted a gig by chat."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final, Literal

from app.integrations.message_parsed import ParsedMessage
from app.integrations.message_vocabulary import EN_DASH, Language, format_day, format_when

ReplyStatus = Literal["created", "draft"]

_TEXT: Final[dict[Language, dict[str, str]]] = {
    "nl": {
        "created": "Dank je! De klus staat online: {title}",
        "draft": "Dank je! Ik heb je bericht als concept bewaard; het staat nog niet online.",
        "when": "Wanneer: {when}",
        "where": "Waar: {where}",
        "people": "Aantal: {people} {noun}",
        "person": "vrijwilliger",
        "persons": "vrijwilligers",
        "link": "Bekijk en deel: {url}",
        "draft_link": "Concept: {url}",
        "understood": "Wat ik begreep:",
        "title_label": "Klus: {title}",
        "day_only": "Dag: {day}",
        "time_only": "Tijd: {time}",
        "answer": "Stuur je antwoord hier in de chat, dan zet ik de klus online.",
        "or": "of",
        "which_date": "Welke datum bedoel je: {options}?",
        "which_time": "Welke tijd bedoel je? Stuur er één, bijvoorbeeld: 10:00-12:00.",
        "passed": "{day} is al voorbij. Welke datum bedoel je?",
        "past": "Die tijd is al voorbij ({when}). Welke datum en tijd bedoel je?",
        "recurring": (
            "Dit lijkt een klus die steeds terugkomt (\u201c{phrase}\u201d). Voor welke datum "
            "is deze keer? Stuur voor elke keer een eigen bericht."
        ),
        "title": (
            "Wat is de klus? Stuur een korte titel, bijvoorbeeld: "
            "Boodschappen doen voor een buurvrouw."
        ),
        "date": "Op welke datum? Bijvoorbeeld: zaterdag 19 december.",
        "time": "Hoe laat begint en eindigt het? Bijvoorbeeld: 10:00-12:00.",
        "time_morning": "In de ochtend, van hoe laat tot hoe laat? Bijvoorbeeld: 9:00-11:00.",
        "time_afternoon": "In de middag, van hoe laat tot hoe laat? Bijvoorbeeld: 14:00-16:00.",
        "time_evening": "In de avond, van hoe laat tot hoe laat? Bijvoorbeeld: 19:00-21:00.",
        "end": "Tot hoe laat duurt het? Bijvoorbeeld: tot {example}.",
    },
    "en": {
        "created": "Thank you! The task is online: {title}",
        "draft": "Thank you! I saved your message as a draft; it is not online yet.",
        "when": "When: {when}",
        "where": "Where: {where}",
        "people": "People: {people} {noun}",
        "person": "volunteer",
        "persons": "volunteers",
        "link": "View and share: {url}",
        "draft_link": "Draft: {url}",
        "understood": "What I understood:",
        "title_label": "Task: {title}",
        "day_only": "Day: {day}",
        "time_only": "Time: {time}",
        "answer": "Send your answer here in the chat and I will put the task online.",
        "or": "or",
        "which_date": "Which date do you mean: {options}?",
        "which_time": "Which time do you mean? Send one, for example: 10:00-12:00.",
        "passed": "{day} has already passed. Which date do you mean?",
        "past": "That time has already passed ({when}). Which date and time do you mean?",
        "recurring": (
            "This looks like a task that comes back (\u201c{phrase}\u201d). Which date is it "
            "for this time? Please send one message for each time."
        ),
        "title": "What is the task? Send a short title, for example: Shopping for a neighbour.",
        "date": "On which date? For example: Saturday 19 December.",
        "time": "What time does it start and end? For example: 10:00-12:00.",
        "time_morning": "From what time to what time in the morning? E.g. 9:00-11:00.",
        "time_afternoon": "From what time to what time in the afternoon? E.g. 14:00-16:00.",
        "time_evening": "From what time to what time in the evening? E.g. 19:00-21:00.",
        "end": "Until what time? For example: until {example}.",
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
    day_in_doubt = "which_date" in parsed.doubts or "past" in parsed.doubts
    if parsed.starts_at is not None and not day_in_doubt:
        ends_at = None if parsed.end_defaulted else parsed.ends_at
        lines.append(text["when"].format(when=format_when(parsed.starts_at, ends_at, lang)))
    elif parsed.day is not None and not day_in_doubt:
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
    return lines


def day_options(days: tuple[date, ...], lang: Language) -> str:
    """ "maandag 14 of zaterdag 19 december": the days to choose between, in words (with
    the year when they are not all in one year)."""
    words = [format_day(day, lang) for day in days]
    if len({day.year for day in days}) == 1:
        words = [word.rsplit(" ", 1)[0] for word in words]  # without the year
        if len({day.month for day in days}) == 1:
            words = [" ".join(word.split(" ")[:2]) for word in words[:-1]] + words[-1:]
    return _list_words(words, _TEXT[lang]["or"])


def questions(parsed: ParsedMessage, lang: Language) -> list[str]:
    """What to ask the sender before the gig can go online, most important first."""
    text = _TEXT[lang]
    asked: list[str] = []
    if "which_date" in parsed.doubts:
        asked.append(text["which_date"].format(options=day_options(parsed.date_options, lang)))
    if "which_time" in parsed.doubts:
        asked.append(text["which_time"])
    if "past" in parsed.doubts and "which_date" not in parsed.doubts:
        if parsed.passed_day is not None:
            day = format_day(parsed.passed_day, lang).rsplit(" ", 1)[0]
            asked.append(text["passed"].format(day=day[0].upper() + day[1:]))
        elif parsed.starts_at is not None:
            asked.append(text["past"].format(when=format_when(parsed.starts_at, None, lang)))
    if "recurring" in parsed.doubts:
        asked.append(text["recurring"].format(phrase=parsed.recurring or ""))
    for name in parsed.missing:
        if name == "time" and parsed.part_of_day is not None:
            name = f"time_{parsed.part_of_day}"
        if name == "end" and parsed.start_time is not None:
            example = (datetime.combine(date.min, parsed.start_time) + timedelta(hours=2)).time()
            asked.append(text["end"].format(example=f"{example:%H:%M}"))
            continue
        if name == "date" and "recurring" in parsed.doubts:
            continue  # the recurring question asks for the date already
        asked.append(text[name])
    return asked


def compose_reply(
    parsed: ParsedMessage,
    *,
    gig_url: str | None,
    status: ReplyStatus,
    lang: str | None = None,
) -> str:
    """Write the plain-text reply to the sender: a confirmation, or what to answer."""
    if status not in ("created", "draft"):
        raise ValueError(f"unknown status {status!r}")
    language: Language = "en" if lang == "en" else "nl" if lang == "nl" else parsed.language
    text = _TEXT[language]
    if status == "created":
        lines = [text["created"].format(title=parsed.title or "")]
        lines += _details(parsed, text, language)
        if gig_url:
            lines.append(text["link"].format(url=gig_url))
        return "\n".join(lines)

    lines = [text["draft"], "", *questions(parsed, language)]
    details = _details(parsed, text, language)
    if parsed.title is not None:
        details.insert(0, text["title_label"].format(title=parsed.title))
    if details:
        lines += ["", text["understood"], *details]
    lines += ["", text["answer"]]
    if gig_url:
        lines.append(text["draft_link"].format(url=gig_url))
    return "\n".join(lines)
