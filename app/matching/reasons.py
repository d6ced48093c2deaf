"""Short human sentences explaining a match, in Dutch (default) or English.

Only computed for the few results returned, after the top-k selection.
"""

from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from app.matching.factors import GigScoring
from app.matching.pool import VolunteerPool
from app.matching.profiles import postcode_digits
from app.matching.timeslots import day_part

Lang = Literal["nl", "en"]
Perspective = Literal["candidate", "self"]
"""``candidate``: about the volunteer, for the organiser; ``self``: to the volunteer."""

FULLY_AVAILABLE: Final = 0.999

_TEMPLATES: Final[dict[tuple[Lang, Perspective], dict[str, str]]] = {
    ("nl", "candidate"): {
        "skills": "heeft ervaring met {skills}",
        "km": "woont {band} van de klus",
        "postcode": "woont in hetzelfde postcodegebied ({postcode})",
        "area": "woont in dezelfde wijk ({area})",
        "available": "is {when} beschikbaar",
        "partly": "is {when} deels beschikbaar ({percent}%)",
        "interests": "is geïnteresseerd in {category}",
        "languages": "spreekt {languages}",
        "fairness": "heeft deze maand nog geen uren gemaakt",
    },
    ("nl", "self"): {
        "skills": "je hebt ervaring met {skills}",
        "km": "je woont {band} van de klus",
        "postcode": "je woont in hetzelfde postcodegebied ({postcode})",
        "area": "de klus is in jouw wijk ({area})",
        "available": "je bent {when} beschikbaar",
        "partly": "je bent {when} deels beschikbaar ({percent}%)",
        "interests": "past bij je interesse in {category}",
        "languages": "je spreekt {languages}",
    },
    ("en", "candidate"): {
        "skills": "has experience with {skills}",
        "km": "lives {band} from the task",
        "postcode": "lives in the same postcode area ({postcode})",
        "area": "lives in the same neighbourhood ({area})",
        "available": "is available on {when}",
        "partly": "is partly available on {when} ({percent}%)",
        "interests": "is interested in {category}",
        "languages": "speaks {languages}",
        "fairness": "has no hours booked this month yet",
    },
    ("en", "self"): {
        "skills": "you have experience with {skills}",
        "km": "you live {band} from the task",
        "postcode": "you live in the same postcode area ({postcode})",
        "area": "the task is in your neighbourhood ({area})",
        "available": "you are available on {when}",
        "partly": "you are partly available on {when} ({percent}%)",
        "interests": "matches your interest in {category}",
        "languages": "you speak {languages}",
    },
}

DISTANCE_BAND_LABELS: Final[dict[Lang, tuple[str, ...]]] = {
    "nl": ("minder dan 2 km", "2 tot 5 km", "5 tot 10 km"),
    "en": ("less than 2 km", "2–5 km", "5–10 km"),
}
"""Bands of ``weights.DISTANCE_BANDS_KM`` named in reasons; 10 km or more is no reason."""

ASSOCIATION_TEMPLATES: Final[dict[Lang, dict[str, str]]] = {
    "nl": {
        "category": "heeft voorkeur voor {category}",
        "area": "is actief in {area}",
        "size": "heeft {members} leden, genoeg voor deze groep",
        "engagement": "heeft al {hours} uur vrijwilligerswerk gedaan",
    },
    "en": {
        "category": "prefers {category}",
        "area": "is active in {area}",
        "size": "has {members} members, enough for this group",
        "engagement": "has already volunteered {hours} hours",
    },
}

CATEGORY_LABELS: Final[dict[Lang, dict[str, str]]] = {
    "nl": {
        "board": "bestuurswerk",
        "information_advice": "informatie en advies",
        "visiting": "bezoek en gezelschap",
        "training": "training en les",
        "advocacy": "belangenbehartiging",
        "office": "kantoorwerk",
        "odd_jobs": "klussen in en om het huis",
        "personal_advice": "persoonlijk advies",
        "transport": "vervoer",
        "fundraising": "fondsenwerving",
        "care": "zorg",
        "other": "overige klussen",
    },
    "en": {
        "board": "board work",
        "information_advice": "information and advice",
        "visiting": "visiting and company",
        "training": "training and teaching",
        "advocacy": "advocacy",
        "office": "office work",
        "odd_jobs": "odd jobs in and around the house",
        "personal_advice": "personal advice",
        "transport": "transport",
        "fundraising": "fundraising",
        "care": "care",
        "other": "other tasks",
    },
}

_LANGUAGE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "nl": ("Nederlands", "Dutch"),
    "en": ("Engels", "English"),
    "de": ("Duits", "German"),
    "fr": ("Frans", "French"),
    "es": ("Spaans", "Spanish"),
    "it": ("Italiaans", "Italian"),
    "pt": ("Portugees", "Portuguese"),
    "pl": ("Pools", "Polish"),
    "uk": ("Oekraïens", "Ukrainian"),
    "ru": ("Russisch", "Russian"),
    "ar": ("Arabisch", "Arabic"),
    "tr": ("Turks", "Turkish"),
    "fa": ("Perzisch", "Persian"),
    "so": ("Somalisch", "Somali"),
    "ti": ("Tigrinya", "Tigrinya"),
    "zh": ("Chinees", "Chinese"),
    "fy": ("Fries", "Frisian"),
}
_WEEKDAYS: Final[dict[Lang, tuple[str, ...]]] = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_DAY_PARTS_NL: Final = {
    "night": "nacht",
    "morning": "ochtend",
    "afternoon": "middag",
    "evening": "avond",
}


def join_words(words: Sequence[str], lang: Lang) -> str:
    """'a, b en c' (nl) or 'a, b and c' (en)."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {'en' if lang == 'nl' else 'and'} {words[-1]}"


def format_number(value: float, lang: Lang, decimals: int = 1) -> str:
    """A number with a decimal comma in Dutch and a decimal point in English."""
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if lang == "nl" else text


def language_name(tag: str, lang: Lang) -> str:
    """Human name of a language code ('en' -> 'Engels' / 'English'); unknown tags as given."""
    names = _LANGUAGE_NAMES.get(tag)
    return tag if names is None else names[0 if lang == "nl" else 1]


def category_label(category: str, lang: Lang) -> str:
    """Human label of a gig category."""
    return CATEGORY_LABELS[lang].get(category, category)


def when_label(scoring: GigScoring, lang: Lang) -> str:
    """'zaterdagochtend' / 'Saturday morning' for the gig's local start."""
    weekday, part = day_part(scoring.gig.starts_at)
    if lang == "nl":
        return _WEEKDAYS["nl"][weekday] + _DAY_PARTS_NL[part]
    return f"{_WEEKDAYS['en'][weekday]} {part}"


def volunteer_reasons(
    scoring: GigScoring, pool: VolunteerPool, row: int, *, lang: Lang, perspective: Perspective
) -> list[str]:
    """Reasons why pool volunteer ``row`` fits ``scoring.gig``, strongest kinds first."""
    text = _TEMPLATES[(lang, perspective)]
    gig = scoring.gig
    reasons: list[str] = []
    matched = [label for key, label in scoring.skills if _has(pool.skills.members(key), row)]
    if matched:
        reasons.append(text["skills"].format(skills=join_words(matched, lang)))
    band = int(scoring.distance_band[row])
    postcode = postcode_digits(gig.postcode)
    if 0 <= band < len(DISTANCE_BAND_LABELS[lang]):
        reasons.append(text["km"].format(band=DISTANCE_BAND_LABELS[lang][band]))
    elif postcode and int(pool.postcodes[row]) == postcode:
        reasons.append(text["postcode"].format(postcode=postcode))
    elif gig.area and pool.area_code(gig.area) == int(pool.area_codes[row]) >= 0:
        reasons.append(text["area"].format(area=gig.area))
    available = float(scoring.factors["availability"][row])
    if pool.availability_known[row] and available > 0.0:
        percent = round(available * 100)
        key = "available" if available >= FULLY_AVAILABLE else "partly"
        reasons.append(text[key].format(when=when_label(scoring, lang), percent=percent))
    if scoring.factors["interests"][row] == 1.0:
        reasons.append(text["interests"].format(category=category_label(gig.category, lang)))
    spoken = [
        language_name(tag, lang)
        for tag in scoring.languages
        if _has(pool.languages.members(tag), row)
    ]
    if spoken:
        reasons.append(text["languages"].format(languages=join_words(spoken, lang)))
    if "fairness" in text and pool.hours_booked[row] <= 0.0:
        reasons.append(text["fairness"])
    return reasons


def _has(sorted_rows: NDArray[np.intp], row: int) -> bool:
    position = int(np.searchsorted(sorted_rows, row))
    return position < len(sorted_rows) and int(sorted_rows[position]) == row
