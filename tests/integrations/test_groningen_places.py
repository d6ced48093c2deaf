"""Neighbourhoods and postcodes of Groningen found in chat messages, and the table behind them."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from app.integrations.groningen_places import Place, find_place, place_for_postcode

# The municipality (with Haren and Ten Boer) lies well inside this box.
LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = 53.10, 53.32, 6.45, 6.80


def _rows() -> list[dict[str, str]]:
    text = resources.files("app.integrations").joinpath("groningen_places.csv").read_text("utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


ROWS = _rows()
AREAS = {row["name"]: row for row in ROWS if row["kind"] == "area"}
POSTCODES = {row["postcode"]: row for row in ROWS if row["kind"] == "postcode"}


def _centre(row: dict[str, str]) -> tuple[float, float]:
    return float(row["lat"]), float(row["lon"])


def _area_place(name: str) -> Place:
    lat, lon = _centre(AREAS[name])
    return Place(name, None, lat, lon)


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("Wie kan boodschappen doen voor mevrouw in Selwerd?", "Selwerd"),
        ("Hulp gezocht bij het verhuizen in de Oosterparkwijk, zaterdag 10:00", "Oosterparkwijk"),
        ("KLUSJE IN DE WIJERT, WIE HEEFT TIJD", "De Wijert"),
        ("Tuin wieden in de Hoogte, graag iemand met een kruiwagen", "De Hoogte"),
        ("Iemand in Corpus-den-Hoorn die een lamp kan ophangen?", "Corpus den Hoorn"),
        ("Mevrouw woont in Vinkhuízen (bij de Siersteenlaan)", "Vinkhuizen"),
        ("Oppas gezocht in Beijum.", "Beijum"),
        ("Klus in de Oosterpoort!", "Oosterpoort"),
        ("Fietsje repareren op Zernike campus", "Zernike"),
        ("Wie rijdt mee naar Ten  Boer?", "Ten Boer"),
        ("Ik woon in Haren (Gn) en zoek hulp", "Haren"),
        ("Boodschappen naar St. Annen brengen", "Sint Annen"),
        ("Schilderen in de Schilderswijk", "Schildersbuurt"),
        # "centrum" only when no real neighbourhood is named.
        ("Bij het centrum van Lewenborg, naast de bieb", "Lewenborg"),
        ("Koffie drinken in het centrum", "Binnenstad"),
    ],
)
def test_finds_the_neighbourhood_named_in_a_sentence(text: str, area: str) -> None:
    assert find_place(text) == _area_place(area)


@pytest.mark.parametrize(
    "text",
    [
        "Wie kan me helpen met de tuin?",
        "Meer informatie volgt",
        "Kan iemand mijn haren knippen?",
        "Hou me op de hoogte!",
        "De vloer moet weer glimmen",
        "Hij is de held van de dag",
        "Engelbert komt ook helpen",
        "We verzamelen bij Groningen Centraal Station",
        "Ophalen bij het winkelcentrum",
        "Het kost 9741 euro",
        "Bel 06-97411234 of mail",
        "Tussen 9741 en 9743 mensen",
        "Ons adres is 1012 AB Amsterdam",
        "",
    ],
)
def test_ordinary_words_and_numbers_are_no_place(text: str) -> None:
    assert find_place(text) is None


def test_a_full_postcode_gives_its_area_and_centre() -> None:
    lat, lon = _centre(POSTCODES["9724"])
    assert find_place("Adres: Oosterweg 13, 9724 CA Groningen") == Place(
        "Oosterpoort", "9724 CA", lat, lon
    )


def test_a_postcode_without_a_space_or_capitals_counts() -> None:
    lat, lon = _centre(POSTCODES["9741"])
    assert find_place("postcode 9741eh") == Place("Selwerd", "9741 EH", lat, lon)


def test_four_digits_and_the_town_give_the_area_without_a_postcode() -> None:
    lat, lon = _centre(POSTCODES["9742"])
    assert find_place("Ergens in 9742 Groningen") == Place("Paddepoel", None, lat, lon)


def test_a_named_neighbourhood_is_the_area_and_the_postcode_the_centre() -> None:
    lat, lon = _centre(POSTCODES["9715"])
    place = find_place("Floresplein 13, 9715 HH — dat is in de Hoogte")
    assert place == Place("De Hoogte", "9715 HH", lat, lon)


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("9724", Place("Oosterpoort", None, *_centre(POSTCODES["9724"]))),
        ("9724 ca", Place("Oosterpoort", "9724 CA", *_centre(POSTCODES["9724"]))),
        (" 9751AB ", Place("Haren", "9751 AB", *_centre(POSTCODES["9751"]))),
        ("1012 AB", None),
        ("97241", None),
        ("Selwerd", None),
    ],
)
def test_place_for_postcode(postcode: str, expected: Place | None) -> None:
    assert place_for_postcode(postcode) == expected


def test_every_centre_lies_inside_the_municipality() -> None:
    outside = [
        row["name"]
        for row in ROWS
        if not (LAT_MIN <= float(row["lat"]) <= LAT_MAX and LON_MIN <= float(row["lon"]) <= LON_MAX)
    ]
    assert outside == []


def test_centres_lie_where_the_neighbourhoods_are() -> None:
    centre_lat, centre_lon = _centre(AREAS["Binnenstad"])
    beijum, vinkhuizen = _centre(AREAS["Beijum"]), _centre(AREAS["Vinkhuizen"])
    assert beijum[0] > centre_lat  # north-east
    assert beijum[1] > centre_lon
    assert vinkhuizen[1] < centre_lon - 0.02  # west
    assert _centre(AREAS["Haren"])[0] < _centre(AREAS["Helpman"])[0] < centre_lat  # south
    assert _centre(AREAS["Oosterpoort"])[0] < centre_lat < _centre(AREAS["Selwerd"])[0]


def test_no_alias_or_name_names_two_places() -> None:
    owners: dict[str, set[str]] = {}
    for row in AREAS.values():
        for alias in row["aliases"].split("|"):
            owners.setdefault(alias, set()).add(row["name"])
    assert {alias: names for alias, names in owners.items() if len(names) > 1} == {}
    assert len(AREAS) == sum(row["kind"] == "area" for row in ROWS)


def test_every_area_has_lowercase_aliases() -> None:
    bad = [
        name
        for name, row in AREAS.items()
        if not row["aliases"]
        or any(alias != alias.lower().strip() for alias in row["aliases"].split("|"))
    ]
    assert bad == []


def test_postcode_rows_are_unique_four_digit_codes_of_listed_areas() -> None:
    rows = [row for row in ROWS if row["kind"] == "postcode"]
    assert len(rows) == len(POSTCODES)
    assert all(code.isdigit() and len(code) == 4 for code in POSTCODES)
    assert {row["area"] for row in rows} <= set(AREAS)
    assert {
        f"97{n}" for n in (*range(11, 19), *range(21, 29), *range(31, 39), *range(41, 48))
    } <= set(POSTCODES)


def test_every_area_is_found_by_its_first_alias() -> None:
    missed = [
        name
        for name, row in AREAS.items()
        if (place := find_place(f"Klus: {row['aliases'].split('|')[0]}.")) is None
        or place.area != name
    ]
    assert missed == []
