"""Where in Groningen a chat message is about: a neighbourhood name or a postcode.

The table (``groningen_places.csv`` next to this module) lists the municipality's
neighbourhoods and villages with their spelling variants, and its 4-digit postcode areas,
each with an approximate centre; its header says where the numbers come from and how far
to trust them. It is loaded once, on first use.

Names are matched case- and accent-insensitively, as whole words, the longest name first
("Zernike campus" as one name); punctuation and hyphens count as spaces. Names that are ordinary
Dutch words ("haren", "glimmen", "de hoogte") are only listed with a preposition before them
("in Haren"), and "centrum" only counts when no other neighbourhood is named. A postcode
counts when written in full ("9724 AB", "9724ab") or as four digits followed by the name of
the town ("9724 Groningen").
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final, TypeAlias

_CSV_NAME: Final = "groningen_places.csv"
# Match only when no other neighbourhood is named: generic words, not a real place.
_WEAK_ALIASES: Final = frozenset({"centrum", "zuidoost"})
# Towns a bare 4-digit code may be followed by ("9742 Groningen").
_POSTAL_TOWNS: Final = (
    "groningen",
    "haren gn",
    "haren",
    "glimmen",
    "onnen",
    "noordlaren",
    "meerstad",
    "hoogkerk",
    "ten boer",
    "ten post",
    "garmerwolde",
    "thesinge",
    "sint annen",
    "woltersum",
    "wittewierum",
    "lellens",
    "winneweer",
)
# Two lowercase letters after a space that are a word, not a postcode ("tussen 9741 en 9743").
_LETTER_WORDS: Final = frozenset(
    "al de en er ik in is ja je na nu of om op te uw we ze zo an as at by if it on or so to".split()
)
# All the municipality's codes start with a 9: a literal first character makes the scan fast.
_POSTCODE: Final = re.compile(
    r"(?P<digits>9\d{3})(?:(?P<space> ?)(?P<letters>[A-Za-z]{2})(?!\w)"
    r"|\s+(?i:" + "|".join(re.escape(town) for town in _POSTAL_TOWNS) + r")(?!\w))"
)
_FULL_POSTCODE: Final = re.compile(r"\s*(\d{4})\s*([A-Za-z]{2})?\s*")
# ASCII bytes to lowercase letters and digits; everything else becomes a space.
_FOLD: Final = bytes(
    byte + 32 if 65 <= byte <= 90 else byte if 48 <= byte <= 57 or 97 <= byte <= 122 else 32
    for byte in range(256)
)

_Trie: TypeAlias = dict[str, "_Trie"]


@dataclass(frozen=True)
class Place:
    """A neighbourhood and/or postcode with the centre to measure distances from.

    ``postcode`` is only set for a full postcode ("9724 AB"); a 4-digit area gives its
    neighbourhood and centre with ``postcode`` None.
    """

    area: str | None
    postcode: str | None
    lat: float
    lon: float


@dataclass(frozen=True)
class _Table:
    by_alias: Mapping[str, Place]
    by_postcode: Mapping[str, Place]
    names: re.Pattern[str]


def find_place(text: str) -> Place | None:
    """The place a message names, or None. A postcode's centre wins over a named
    neighbourhood's, and the named neighbourhood wins as the area."""
    table = _table()
    named = _named_area(table, _normalise(text))
    coded = _coded_place(table, text)
    if coded is None:
        return named
    if named is None:
        return coded
    return Place(named.area, coded.postcode, coded.lat, coded.lon)


def place_for_postcode(postcode: str) -> Place | None:
    """The area of a 4-digit or full postcode ("9724", "9724 AB", "9724ab"), or None when it
    is not one of the municipality's."""
    match = _FULL_POSTCODE.fullmatch(postcode)
    if match is None:
        return None
    digits, letters = match.groups()
    return _postcode_place(_table(), digits, letters)


def _named_area(table: _Table, normalised: str) -> Place | None:
    weak: Place | None = None
    for match in table.names.finditer(normalised):
        alias = match.group()[1:]
        if alias not in _WEAK_ALIASES:
            return table.by_alias[alias]
        weak = weak or table.by_alias[alias]
    return weak


def _coded_place(table: _Table, text: str) -> Place | None:
    for match in _POSTCODE.finditer(text):
        if match.start() > 0 and text[match.start() - 1].isalnum():
            continue  # part of a longer number or word
        letters = match.group("letters")
        if letters and match.group("space") and letters.islower() and letters in _LETTER_WORDS:
            continue  # "9741 en 9743": a number and a word
        place = _postcode_place(table, match.group("digits"), letters)
        if place is not None:
            return place
    return None


def _postcode_place(table: _Table, digits: str, letters: str | None) -> Place | None:
    area = table.by_postcode.get(digits)
    if area is None or not letters:
        return area
    return Place(area.area, f"{digits} {letters.upper()}", area.lat, area.lon)


def _normalise(text: str) -> str:
    """Lowercase letters and digits without accents, single spaces between the words and one
    before and after them all, so that a name always sits between two spaces."""
    if text.isascii():
        raw = text.encode("ascii")
    else:
        raw = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return " " + " ".join(raw.translate(_FOLD).decode("ascii").split()) + " "


@cache
def _table() -> _Table:
    by_alias: dict[str, Place] = {}
    by_postcode: dict[str, Place] = {}
    for row in _rows():
        place = Place(row["area"], None, float(row["lat"]), float(row["lon"]))
        if row["kind"] == "postcode":
            by_postcode[row["postcode"]] = place
        else:
            _add_aliases(by_alias, place, row["aliases"].split("|"))
    return _Table(by_alias, by_postcode, _names_pattern(by_alias))


def _rows() -> list[dict[str, str]]:
    resource = resources.files(__package__ or "app.integrations").joinpath(_CSV_NAME)
    lines = resource.read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(line for line in lines if not line.startswith("#")))


def _add_aliases(by_alias: dict[str, Place], place: Place, aliases: Iterable[str]) -> None:
    for alias in (_normalise(alias).strip() for alias in aliases):
        if not alias:
            raise ValueError(f"{_CSV_NAME}: {place.area} has an empty alias")
        known = by_alias.setdefault(alias, place)
        if known != place:
            raise ValueError(f"{_CSV_NAME}: {alias!r} names both {known.area} and {place.area}")


def _names_pattern(aliases: Iterable[str]) -> re.Pattern[str]:
    """One alternation of all aliases, as a trie so that a failed start costs one character,
    between spaces (the text is normalised) and longest first."""
    trie: _Trie = {}
    for alias in aliases:
        node = trie
        for char in alias:
            node = node.setdefault(char, {})
        node[""] = {}
    # A leading space as a literal lets the scan skip to the word starts.
    return re.compile(" " + _trie_regex(trie) + "(?= )")


def _trie_regex(node: _Trie) -> str:
    branches = [re.escape(char) + _trie_regex(child) for char, child in node.items() if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # An alias that ends here and goes on in a longer one: try the longer one first.
    return f"(?:{body})?" if "" in node else body
