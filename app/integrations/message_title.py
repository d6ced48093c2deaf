"""The title of a chat message without keys: its first sentence, without the date, time,
number and recurrence phrases written in it (the contract's rule), and how titles are
cleaned and cut to `MAX_TITLE_LENGTH`. Pure functions, used by `message_parser`."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from app.integrations.message_dates import find_day_phrases, mask_dates
from app.integrations.message_doubts import recurring_phrase
from app.integrations.message_parsed import MAX_TITLE_LENGTH, MIN_TITLE_LENGTH
from app.integrations.message_phrases import PEOPLE, POSTCODE, time_after_day
from app.integrations.message_times import find_time

_SPACES: Final = re.compile(r"\s+")
# A title is at most 120 characters: a longer first sentence is read only this far.
MAX_SENTENCE_CHARS: Final = 400

# "Goedemorgen, wie kan er helpen?": the greeting in front of a title.
_GREETING_LEAD: Final = re.compile(
    r"^(?:hoi|hallo|hey|hi|hello|beste|goedemorgen|goedemiddag|goedenavond|allemaal|all)"
    r"(?:\s+(?:allemaal|all|iedereen|everyone))?\s*[,!:]\s*",
    re.IGNORECASE,
)
# A sentence ends at ! or ?, or at a full stop after a word and before a capital letter
# ("pers. nodig" and "10.00" do not end one).
_SENTENCE_END: Final = re.compile(r"[!?](?=\s|$)|(?<=[^\W_]{2})\.(?=\s+[A-Z]|$)")
# Words that only lead into a date, time or number and mean nothing once it is taken out.
_LEAD_IN: Final = re.compile(
    r"(?:(?<![^\W\d_])(?:op|om|van|vanaf|on|at|from|this|next|coming|aanstaande|komende"
    r"|volgende|deze|tussen|between|rond|around|a\.s\.|met|with|nog|still|of|en|or|and)\s+){1,2}$",
    re.IGNORECASE,
)
_TITLE_CONNECTORS: Final = frozenset(
    (
        "op", "on", "om", "at", "van", "from", "vanaf", "this", "next", "coming", "aanstaande",
        "komende", "volgende", "deze", "en", "of", "and", "or",
    )
)  # fmt: skip
_TITLE_TRIM: Final = " \t-\u2013\u2014:;,"


def clean_title(title: str) -> str | None:
    title = title.strip(_TITLE_TRIM + ".")
    words = title.split(" ")
    while len(words) > 1 and words[-1].casefold() in _TITLE_CONNECTORS:
        words.pop()
    title = " ".join(words).rstrip(_TITLE_TRIM)
    if len(title) > MAX_TITLE_LENGTH:
        cut = title[: MAX_TITLE_LENGTH - 1]
        if " " in cut[MAX_TITLE_LENGTH // 2 :]:
            cut = cut.rsplit(" ", 1)[0]
        title = cut.rstrip(_TITLE_TRIM) + "…"
    return title if len(title) >= MIN_TITLE_LENGTH else None


def _clock_spans(sentence: str, today: date) -> list[tuple[int, int]]:
    """Where the times are written (a second slot too: "10:00-12:00 of 14:00-16:00")."""
    masked = mask_dates(sentence)
    spans: list[tuple[int, int]] = []
    position = 0
    while len(spans) < 3 and (clock := find_time(masked[position:], context="free")):
        spans.append((position + clock.start, position + clock.end))
        position += clock.end
    if not spans and (clock := time_after_day(sentence, today)) is not None:
        spans.append((clock.start, clock.end))
    return spans


def _phrase_spans(sentence: str, today: date) -> list[tuple[int, int]]:
    """Where the date, time, number of people and recurrence are written in a sentence."""
    days = find_day_phrases(sentence, today=today, context="free")
    spans = [(hit.start, hit.end) for hit in days] + _clock_spans(sentence, today)
    spans += [match.span() for match in PEOPLE.finditer(sentence)]
    spans += [match.span() for match in POSTCODE.finditer(sentence)]
    recurring = recurring_phrase(sentence)
    if recurring is not None:
        spans.append(recurring)
    return spans


def title_from_line(line: str, today: date) -> str | None:
    """A free-text title: the line's first sentence minus its date, time and number phrases."""
    end = _SENTENCE_END.search(line)
    if end is not None and len(line[: end.end()].split()) < 3:  # "Hulp gezocht!" leads in
        end = _SENTENCE_END.search(line, end.end())
    sentence = (line[: end.end()] if end is not None else line)[:MAX_SENTENCE_CHARS]
    kept: list[str] = []
    position = 0
    for start, stop in sorted(_phrase_spans(sentence, today)):
        if start >= position:
            kept.append(_LEAD_IN.sub("", sentence[position:start]))
        position = max(position, stop)
    kept.append(sentence[position:])
    text = _SPACES.sub(" ", " ".join(kept))
    text = re.sub(r"\s+([?!.,])", r"\1", re.sub(r"(?:\s*,)+", ",", text)).strip()
    text = _GREETING_LEAD.sub("", re.sub(r",([.?!])", r"\1", text))
    title = clean_title(text.strip(" ,;:-"))
    if title is None:
        return None
    return title[0].upper() + title[1:]
