"""The texts people get: every kind in Dutch and English, thanking first, with the link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.integrations.message_texts import GigFacts, as_html, language_of, plain, render

GIG = GigFacts(
    title="Boodschappen *voor* mevrouw",
    starts_at=datetime(2027, 6, 12, 8, 0, tzinfo=UTC),
    ends_at=datetime(2027, 6, 12, 11, 0, tzinfo=UTC),
    address="Bornholmstraat 14",
    area="Selwerd",
    postcode="9723 AZ",
    url="https://klusmakelaar.test/api/v1/gigs/gig_1",
)
KINDS = ["signup_confirmed", "signup_waitlisted", "promoted", "gig_changed",
         "gig_cancelled", "reminder", "thanks"]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("language", "thanks"), [("nl", "Dank je wel"), ("en", "Thank you")])
def test_every_text_thanks_first_and_links_the_gig(kind: str, language: str, thanks: str) -> None:
    text = render(kind, language, name="Anna", gig=GIG, position=3, hours=2.5)  # type: ignore[arg-type]
    assert text.body.startswith(thanks)
    assert "Anna" in text.body
    assert text.body.rstrip().endswith(GIG.url)
    assert "*Boodschappen voor mevrouw*" in text.body  # the title's own asterisks dropped
    assert "Boodschappen voor mevrouw" in text.subject
    assert "{" not in text.body
    assert "{" not in text.subject
    assert len(text.body) < 600


def test_times_in_amsterdam_and_the_place_and_numbers_as_people_write_them() -> None:
    dutch = render("signup_confirmed", "nl", name="Anna", gig=GIG).body
    assert "zaterdag 12 juni 2027, 10:00–13:00" in dutch  # 08:00 UTC is 10:00 in summer
    assert "Waar: Bornholmstraat 14, 9723 AZ (Selwerd)" in dutch
    assert "2,5 uur" in render("thanks", "nl", name="A", gig=GIG, hours=2.5).body
    assert "2.5 hours" in render("thanks", "en", name="A", gig=GIG, hours=2.5).body
    assert "(plaats 3)" in render("signup_waitlisted", "nl", name="A", gig=GIG, position=3).body


def test_a_missing_name_still_greets() -> None:
    assert render("thanks", "nl", name="  ", gig=GIG, hours=1).body.startswith(
        "Dank je wel, vrijwilliger,"
    )


def test_the_language_is_the_first_of_dutch_and_english_spoken() -> None:
    assert language_of(["ar", "en", "nl"]) == "en"
    assert language_of(["nl", "en"]) == "nl"
    assert language_of(["ar"]) == "nl"
    assert language_of([]) == "nl"


def test_e_mail_gets_plain_text_and_escaped_html() -> None:
    body = render("signup_confirmed", "en", name="<b>Anna</b>", gig=GIG).body
    assert "*" not in plain(body)
    page = as_html(body, "en")
    assert page.startswith('<!doctype html><html lang="en">')
    assert "&lt;b&gt;Anna&lt;/b&gt;" in page
    assert "<strong>Boodschappen voor mevrouw</strong>" in page
    assert f'<a href="{GIG.url}">{GIG.url}</a>' in page
