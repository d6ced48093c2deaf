"""share_text: the WhatsApp-ready text of a gig."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.integrations.message_parser import parse_message
from app.integrations.share_text import MAX_SHARE_CHARS, share_text

URL = "https://klusmakelaar.example/gigs/g_123"
START = datetime(2027, 6, 14, 8, 0, tzinfo=UTC)


def render(**changes: object) -> str:
    arguments: dict[str, object] = {
        "title": "Tuin opknappen bij buurthuis De Kroon",
        "starts_at": START,
        "ends_at": START + timedelta(hours=3),
        "address": "Oosterpoort 12",
        "area": "Oosterpoort",
        "postcode": "9724 AB",
        "spots_left": 3,
        "url": URL,
        "lang": "nl",
    }
    arguments.update(changes)
    return share_text(**arguments)  # type: ignore[arg-type]


def test_dutch_text_has_title_day_time_place_spots_and_url() -> None:
    text = render()

    assert text.splitlines() == [
        "*Tuin opknappen bij buurthuis De Kroon*",
        "Wanneer: maandag 14 juni 2027, 10:00\u201313:00",
        "Waar: Oosterpoort 12, 9724 AB",
        "Nog 3 plekken vrij",
        f"Aanmelden: {URL}",
    ]


def test_english_text() -> None:
    text = render(lang="en", spots_left=1, address=None)

    assert "When: Monday 14 June 2027, 10:00\u201313:00" in text
    assert "Where: 9724 AB (Oosterpoort)" in text
    assert "1 spot left" in text
    assert f"Sign up: {URL}" in text


@pytest.mark.parametrize(
    ("lang", "full", "link"),
    [
        ("nl", "Vol \u2014 aanmelden voor de wachtlijst", "Wachtlijst: "),
        ("en", "Full \u2014 join the waiting list", "Waiting list: "),
    ],
)
def test_full_gig_points_to_the_waitlist(lang: str, full: str, link: str) -> None:
    text = render(lang=lang, spots_left=0)

    assert full in text
    assert f"{link}{URL}" in text
    assert "plekken" not in text
    assert "spots" not in text


@pytest.mark.parametrize(
    ("starts_at", "expected"),
    [
        (datetime(2027, 3, 27, 9, 0, tzinfo=UTC), "zaterdag 27 maart 2027, 10:00"),
        (datetime(2027, 3, 28, 9, 0, tzinfo=UTC), "zondag 28 maart 2027, 11:00"),
        (datetime(2027, 10, 30, 9, 0, tzinfo=UTC), "zaterdag 30 oktober 2027, 11:00"),
        (datetime(2027, 10, 31, 9, 0, tzinfo=UTC), "zondag 31 oktober 2027, 10:00"),
        (datetime(2027, 6, 13, 22, 30, tzinfo=UTC), "maandag 14 juni 2027, 00:30"),
    ],
)
def test_times_are_rendered_in_amsterdam_across_dst(starts_at: datetime, expected: str) -> None:
    text = render(starts_at=starts_at, ends_at=None)

    assert f"Wanneer: {expected}\n" in text


def test_end_on_another_day_names_both_days() -> None:
    text = render(
        starts_at=datetime(2027, 6, 5, 20, 0, tzinfo=UTC),
        ends_at=datetime(2027, 6, 6, 0, 0, tzinfo=UTC),
    )

    assert "zaterdag 5 juni 2027, 22:00 \u2013 zondag 6 juni 2027, 02:00" in text


def test_huge_title_and_address_are_cut_to_fit_whatsapp() -> None:
    long_url = URL + "?" + "x" * 2900
    text = render(title="Klus " * 2000, address="Straat " * 2000, area="W" * 5000, url=long_url)

    assert len(text) <= MAX_SHARE_CHARS
    assert long_url in text
    assert text.splitlines()[0].endswith("Klus…*")
    assert len(text.splitlines()[0]) <= 122


def test_cut_does_not_leave_a_dangling_emoji_joiner() -> None:
    title = "a" * 110 + "\U0001f468\u200d\U0001f469\u200d\U0001f467" * 10

    first_line = render(title=title).splitlines()[0]

    assert not first_line.removesuffix("…*").endswith("\u200d")


def test_asterisks_in_the_title_cannot_break_the_bold() -> None:
    assert render(title="Tuin *opknappen*").splitlines()[0] == "*Tuin opknappen*"


def test_share_text_reads_back_as_the_same_gig() -> None:
    text = render(lang="en")
    parsed = parse_message(text, now=datetime(2027, 6, 2, 9, 0, tzinfo=UTC))

    assert parsed.title == "Tuin opknappen bij buurthuis De Kroon"
    assert parsed.starts_at == START
    assert parsed.ends_at == START + timedelta(hours=3)
    assert parsed.postcode == "9724 AB"


@pytest.mark.parametrize("url", ["", "https://x/" + "y" * 3000])
def test_missing_or_absurd_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="url"):
        render(url=url)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        render(starts_at=datetime(2027, 6, 14, 10, 0))
