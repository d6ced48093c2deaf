"""Signing up on a gig's page without JavaScript or an account: a new person in one step,
a known contact only through a link sent to it, cancelling by the sign-up's own link,
and the form's protection (CSRF, rate limit, errors next to their fields)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.config import Settings
from app.main import create_app
from app.models import Message, Signup, Volunteer
from tests.direct import db_session
from tests.factories import ADMIN, make_gig, make_volunteer, organization_with_key
from tests.integrations.test_messages import talking, wait_for_status
from tests.web.helpers import counts, csrf_of, parse, sign_up_on_page, text_of

__all__ = ["talking"]  # the fixture, shared with the message tests


def _people(app: Any) -> int:
    with db_session(app) as session:
        return int(session.scalar(select(func.count()).select_from(Volunteer)) or 0)


def _signups(app: Any) -> int:
    with db_session(app) as session:
        return int(session.scalar(select(func.count()).select_from(Signup)) or 0)


def test_a_new_person_signs_up_in_one_step_and_cancels_by_the_link(
    client: TestClient, app: Any
) -> None:
    _, org = organization_with_key(client, name="Voedselbank Groningen")
    gig = make_gig(client, org, capacity=2)
    sent = sign_up_on_page(client, gig["id"], name="Anna de Boer", contact="06 1234 5678")
    assert sent.status_code == 303
    own_page = sent.headers["location"]
    assert own_page.startswith("/s/sgn_")
    assert counts(client, gig["id"]) == (1, 0)
    person = client.get(f"/api/v1/gigs/{gig['id']}/signups", headers=ADMIN).json()["items"][0]
    assert person["status"] == "confirmed"
    assert person["contact"]["phone"] == "+31612345678"
    assert person["contact"]["name"] == "Anna de Boer"

    page = client.get(own_page)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = text_of(page.text)
    assert "Je bent aangemeld!" in text
    assert "Dank je wel, Anna! Voedselbank Groningen rekent op je." in text
    assert "Bewaar deze pagina: hier kun je je ook afmelden." in text

    # The cancel button posts the link's token and the visitor's form token.
    cancelled = client.post(f"/s/{person['id']}/cancel", data={
        "t": parse(page.text).inputs["t"]["value"], "csrf": csrf_of(page.text)},
        follow_redirects=False)  # fmt: skip
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == own_page
    assert "Je bent afgemeld" in text_of(client.get(own_page).text)
    assert counts(client, gig["id"]) == (2, 0)
    after = client.get(own_page).text
    assert f"/s/{person['id']}/cancel" not in after  # nothing left to cancel


def test_a_full_gig_puts_the_new_person_on_the_waitlist_with_the_place(
    client: TestClient,
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, capacity=1)
    first = sign_up_on_page(client, gig["id"], name="Eerste", contact="eerste@example.org")
    assert first.status_code == 303
    second = sign_up_on_page(client, gig["id"], name="Tweede Persoon", contact="tweede@example.org",
                             lang="en")  # fmt: skip
    assert second.status_code == 303
    assert second.headers["location"].endswith("&lang=en")
    text = text_of(client.get(second.headers["location"]).text)
    assert "You are on the waiting list" in text
    assert "You are number 1 on the waiting list" in text
    assert counts(client, gig["id"]) == (0, 1)


def test_errors_are_answered_on_the_page_next_to_their_fields(client: TestClient, app: Any) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    page = client.get(f"/g/{gig['id']}")
    sent = client.post(f"/g/{gig['id']}", data={"csrf": csrf_of(page.text), "name": "  ",
                                                "contact": "bel me"})  # fmt: skip
    assert sent.status_code == 422
    assert sent.headers["content-type"].startswith("text/html")
    html = parse(sent.text)
    for field, error in (("name", "Vul je naam in."),
                         ("contact", "Dit herkennen we niet als telefoonnummer of e-mailadres."),
                         ("consent", "Vink dit aan, anders kunnen we je niet aanmelden.")):  # fmt: skip
        assert html.inputs[field]["aria-invalid"] == "true"
        described = str(html.inputs[field]["aria-describedby"]).split()
        assert f"{field}-error" in described
        assert re.search(rf'id="{field}-error">{re.escape(error)}', sent.text)
        assert f'href="#{field}"' in sent.text  # the summary links to the field
    assert html.inputs["contact"]["value"] == "bel me"  # what was typed stays
    assert _people(app) == 0
    assert _signups(app) == 0
    # A wrong e-mail address, in English.
    english = client.post(f"/g/{gig['id']}?lang=en", data={
        "csrf": csrf_of(page.text), "name": "Sam", "contact": "sam@", "consent": "yes"})  # fmt: skip
    assert english.status_code == 422
    assert "We don't recognise this as a phone number or e-mail address." in text_of(english.text)
    assert _people(app) == 0


def test_a_post_without_the_token_or_with_anothers_is_refused_and_makes_nothing(
    client: TestClient, app: Any
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    path = f"/g/{gig['id']}"
    form = {"name": "Mallory", "contact": "mallory@example.org", "consent": "yes"}
    # No token at all (and no cookie yet).
    assert client.post(path, data=form).status_code == 403
    # Two visitors: each a cookie of its own and the token that goes with it.
    client.cookies.clear()
    ours = client.get(path)
    our_cookie = client.cookies["klus_form"]
    client.cookies.clear()
    theirs = csrf_of(client.get(path).text)
    assert theirs != csrf_of(ours.text)
    # Their token with our cookie: refused.
    client.cookies.clear()
    client.cookies.set("klus_form", our_cookie)
    refused = client.post(path, data={**form, "csrf": theirs})
    assert refused.status_code == 403
    assert "Deze pagina stond te lang open" in text_of(refused.text)
    # The form comes back with what was typed, and our own token.
    assert parse(refused.text).inputs["name"]["value"] == "Mallory"
    assert csrf_of(refused.text) == csrf_of(ours.text)
    # Our token without our cookie (a post from another site cannot send the cookie).
    client.cookies.clear()
    assert client.post(path, data={**form, "csrf": csrf_of(ours.text)}).status_code == 403
    assert _people(app) == 0
    assert _signups(app) == 0
    client.cookies.clear()
    client.cookies.set("klus_form", our_cookie)
    accepted = client.post(path, data={**form, "csrf": csrf_of(ours.text)}, follow_redirects=False)
    assert accepted.status_code == 303
    assert _signups(app) == 1


def test_the_cookie_is_http_only_and_same_site(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    cookie = client.get(f"/g/{gig['id']}").headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    # A visitor that has the cookie keeps it, and so its token and the page's ETag.
    again = client.get(f"/g/{gig['id']}")
    assert "set-cookie" not in again.headers


def test_a_known_contact_is_never_signed_up_by_the_form(client: TestClient, app: Any) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, title="Boodschappen")
    volunteer, _ = make_volunteer(client, name="Bert", email="bert@example.org")
    sent = sign_up_on_page(client, gig["id"], name="Iemand Anders", contact="BERT@example.org")
    assert sent.status_code == 200
    assert "We kennen BERT@example.org al, maar we kunnen je nu geen bericht sturen." in text_of(
        sent.text
    )
    assert _signups(app) == 0
    with db_session(app) as session:
        (message,) = session.scalars(select(Message).where(Message.kind == "signup_link")).all()
    # Without a channel for the contact, recorded as failed and without its text, never
    # handed to bridges (whoever read it could sign Bert up).
    assert message.status == "failed"
    assert message.body == ""
    assert message.volunteer_id == volunteer["id"]


def test_the_confirmation_link_signs_the_person_up_once_they_press_the_button(
    client: TestClient, app: Any
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org, title="Boodschappen")
    volunteer, _ = make_volunteer(client, name="Bert", email="bert@example.org")
    link = _confirm_link(app, client, gig["id"], volunteer["id"])
    shown = client.get(link)
    assert shown.status_code == 200
    assert "Bevestig je aanmelding" in shown.text
    assert _signups(app) == 0  # opening the link (a link preview does) changes nothing
    query = parse_qs(urlsplit(link).query)
    tampered = client.get(link.replace(f"v={volunteer['id']}", "v=vol_someone_else"))
    assert tampered.status_code == 404
    other_gig = make_gig(client, org)
    assert client.get(link.replace(gig["id"], other_gig["id"])).status_code == 404
    confirmed = client.post(f"/g/{gig['id']}/confirm", data={
        "v": query["v"][0], "e": query["e"][0], "t": query["t"][0],
        "csrf": csrf_of(shown.text)}, follow_redirects=False)  # fmt: skip
    assert confirmed.status_code == 303
    assert "Je bent aangemeld!" in text_of(client.get(confirmed.headers["location"]).text)
    (signup,) = client.get(f"/api/v1/gigs/{gig['id']}/signups", headers=ADMIN).json()["items"]
    assert signup["volunteer_id"] == volunteer["id"]
    twice = client.post(f"/g/{gig['id']}/confirm", data={
        "v": query["v"][0], "e": query["e"][0], "t": query["t"][0],
        "csrf": csrf_of(shown.text)})  # fmt: skip
    assert twice.status_code == 409
    assert "Je was al aangemeld" in text_of(twice.text)


def test_an_expired_confirmation_link_says_so(client: TestClient, app: Any) -> None:
    from app.services.calendar_tokens import instance_secret
    from app.services.page_links import LinkKeys, confirm_message, sign
    from tests.direct import run

    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    volunteer, _ = make_volunteer(client)

    async def keys() -> LinkKeys:
        async with app.state.database.read() as tx:
            return LinkKeys.derive(await instance_secret(tx))

    expires = 1_700_000_000  # in 2023
    token = sign(run(app.state.database, keys()).confirm,
                 confirm_message(volunteer["id"], gig["id"], expires))  # fmt: skip
    page = client.get(f"/g/{gig['id']}/confirm?v={volunteer['id']}&e={expires}&t={token}")
    assert page.status_code == 410
    assert "Deze link werkt niet meer" in text_of(page.text)


def _confirm_link(app: Any, client: TestClient, gig_id: str, volunteer_id: str) -> str:
    """Ask on the page for the known contact, and read the link from the message made."""
    settings: Settings = app.state.settings
    talking = create_app(settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:9",
                                                     "mail_from": "klus@example.org"}))  # fmt: skip
    try:
        with TestClient(talking) as browser:
            answer = sign_up_on_page(browser, gig_id, name="Bert", contact="bert@example.org")
            assert answer.status_code == 200
            assert "We hebben je een bericht gestuurd" in text_of(answer.text)
    finally:
        talking.state.database.dispose()
    with db_session(app) as session:
        (message,) = session.scalars(select(Message).where(Message.kind == "signup_link")).all()
    assert message.channel == "email"
    assert message.volunteer_id == volunteer_id
    assert message.recipient == "bert@example.org"
    url = re.search(r"https://klusmakelaar\.test(/g/\S+)", message.body or "")
    assert url, message.body
    return url.group(1)


def test_one_confirmation_message_a_day_per_person_and_gig(client: TestClient, app: Any) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    make_volunteer(client, email="bert@example.org")
    for _ in range(3):
        assert (
            sign_up_on_page(client, gig["id"], name="B", contact="bert@example.org").status_code
            == 200
        )
    with db_session(app) as session:
        made = session.scalar(select(func.count()).select_from(Message)
                              .where(Message.kind == "signup_link"))  # fmt: skip
    assert made == 1


def test_a_sign_ups_link_works_for_that_sign_up_only(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    first = sign_up_on_page(client, gig["id"], name="Een", contact="een@example.org")
    second = sign_up_on_page(client, gig["id"], name="Twee", contact="twee@example.org")
    first_id, first_token = _split(first.headers["location"])
    second_id, second_token = _split(second.headers["location"])
    assert client.get(f"/s/{first_id}?t={second_token}").status_code == 404
    assert client.get(f"/s/{first_id}").status_code == 404
    assert client.get(f"/s/{first_id}?t={first_token[:-1]}x").status_code == 404
    page = client.get(f"/s/{second_id}?t={second_token}")
    refused = client.post(f"/s/{first_id}/cancel", data={"t": second_token,
                                                         "csrf": csrf_of(page.text)})  # fmt: skip
    assert refused.status_code == 404
    without_form_token = client.post(f"/s/{first_id}/cancel", data={"t": first_token})
    assert without_form_token.status_code == 403
    assert counts(client, gig["id"])[0] == 2  # capacity 4, both still confirmed


def _split(location: str) -> tuple[str, str]:
    parts = urlsplit(location)
    return parts.path.removeprefix("/s/"), parse_qs(parts.query)["t"][0]


def test_erasure_from_the_sign_ups_page_asks_for_the_contact(client: TestClient, app: Any) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    sent = sign_up_on_page(client, gig["id"], name="Vergeet Mij", contact="06 5555 1234")
    signup_id, token = _split(sent.headers["location"])
    page = client.get(sent.headers["location"])
    # The link alone (it may have been forwarded) does not erase anyone.
    for typed in ("", "06 5555 9999", "iemand@example.org"):
        refused = client.post(f"/s/{signup_id}/forget",
                              data={"t": token, "csrf": csrf_of(page.text), "contact": typed})  # fmt: skip
        assert refused.status_code == 422
        assert "Dit is niet het telefoonnummer of e-mailadres van deze aanmelding" in text_of(
            refused.text
        )
        assert parse(refused.text).inputs["contact"]["aria-invalid"] == "true"
    assert _people(app) == 1
    erased = client.post(f"/s/{signup_id}/forget",
                         data={"t": token, "csrf": csrf_of(page.text), "contact": "+31655551234"})  # fmt: skip
    assert erased.status_code == 200
    assert "Je gegevens zijn gewist" in text_of(erased.text)
    assert _people(app) == 0
    assert counts(client, gig["id"])[0] == 4  # the sign-up for a gig to come is cancelled
    after = client.get(sent.headers["location"])
    assert "Deze aanmelding is van niemand meer" in text_of(after.text)
    assert "/forget" not in after.text
    assert "/cancel" not in after.text


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"registration_rate": "2/minute"})


def test_the_form_is_rate_limited_per_address(strict_settings: Settings) -> None:
    application = create_app(strict_settings)
    try:
        with TestClient(application) as browser:
            _, org = organization_with_key(browser)
            gig = make_gig(browser, org)
            for number in range(2):
                answer = sign_up_on_page(browser, gig["id"], name="Een",
                                         contact=f"p{number}@example.org")  # fmt: skip
                assert answer.status_code == 303
            limited = sign_up_on_page(browser, gig["id"], name="Drie", contact="p3@example.org")
            assert limited.status_code == 429
            assert int(limited.headers["retry-after"]) > 0
            assert "Probeer het over een minuut nog een keer." in text_of(limited.text)
            assert counts(browser, gig["id"])[0] == 2
    finally:
        application.state.database.dispose()


def test_the_link_in_a_sign_ups_message_opens_its_page_and_cancels(talking: Any) -> None:
    with talking() as client:
        _, org = organization_with_key(client)
        gig = make_gig(client, org, capacity=1)
        volunteer, own = make_volunteer(client, name="Carla Visser")
        signed = client.post(f"/api/v1/gigs/{gig['id']}/signups",
                             json={"volunteer_id": volunteer["id"]}, headers=own)  # fmt: skip
        signup_id = signed.json()["id"]
        wait_for_status(client, 1, "not_sent", kind="signup_confirmed")
        with db_session(client.app) as session:  # type: ignore[arg-type]
            body = session.scalar(select(Message.body).where(Message.signup_id == signup_id))
        link = re.search(r"https://klusmakelaar\.test(/s/\S+)", body or "")
        assert link, body
        page = client.get(link.group(1))
        assert "Dank je wel, Carla!" in text_of(page.text)
        cancelled = client.post(f"/s/{signup_id}/cancel", data={
            "t": parse(page.text).inputs["t"]["value"], "csrf": csrf_of(page.text)})  # fmt: skip
        assert cancelled.status_code == 200  # followed to the page again
        assert "Je bent afgemeld" in text_of(cancelled.text)
        assert client.get(f"/api/v1/signups/{signup_id}", headers=own).json()["status"] == (
            "cancelled"
        )


def test_the_sign_up_page_of_a_group_and_of_an_erased_person(client: TestClient, app: Any) -> None:
    from app.services.calendar_tokens import instance_secret
    from app.services.page_links import LinkKeys, signup_token
    from tests.direct import run
    from tests.factories import make_association

    async def keys() -> LinkKeys:
        async with app.state.database.read() as tx:
            return LinkKeys.derive(await instance_secret(tx))

    link_keys = run(app.state.database, keys())
    _, org = organization_with_key(client)
    group_gig = make_gig(client, org, kind="group", capacity=10, group_size_max=6)
    association, key = make_association(client, name="Vindicat")
    signup = client.post(f"/api/v1/gigs/{group_gig['id']}/signups",
                         json={"association_id": association["id"], "size": 4}, headers=key).json()  # fmt: skip
    page = client.get(f"/s/{signup['id']}?t={signup_token(link_keys, signup['id'])}")
    assert "Dank je wel, Vindicat!" in text_of(page.text)
    assert "/forget" not in page.text  # a group is not a person to erase
    cancelled = client.post(f"/s/{signup['id']}/cancel", data={
        "t": signup_token(link_keys, signup["id"]), "csrf": csrf_of(page.text)},
        follow_redirects=False)  # fmt: skip
    assert cancelled.status_code == 303
    assert counts(client, group_gig["id"])[0] == 10

    # An erased person's sign-up of a gig that has started stays, anonymous.
    gig = make_gig(client, org)
    volunteer, own = make_volunteer(client)
    taken = client.post(f"/api/v1/gigs/{gig['id']}/signups",
                        json={"volunteer_id": volunteer["id"]}, headers=own).json()  # fmt: skip
    with db_session(app) as session, session.begin():
        session.execute(update(Signup).where(Signup.id == taken["id"]).values(volunteer_id=None))
    orphan = client.get(f"/s/{taken['id']}?t={signup_token(link_keys, taken['id'])}")
    assert "Deze aanmelding is van niemand meer" in text_of(orphan.text)
    assert "/cancel" not in orphan.text


def test_a_gig_that_closes_between_page_and_post_leaves_nobody_registered(
    client: TestClient, app: Any
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    page = client.get(f"/g/{gig['id']}")
    assert client.post(f"/api/v1/gigs/{gig['id']}/cancel", headers=org).status_code == 200
    sent = client.post(f"/g/{gig['id']}", data={"csrf": csrf_of(page.text), "name": "Te Laat",
                                                "contact": "telaat@example.org", "consent": "yes"})  # fmt: skip
    assert sent.status_code == 409
    assert "Deze klus gaat helaas niet door." in text_of(sent.text)
    assert _people(app) == 0


def test_newcomer_registration_is_undone_when_the_sign_up_fails_after_it(app: Any) -> None:
    """`drop_newcomer`: a newcomer without a sign-up is removed; one with a sign-up stays."""
    from app.services import page_signups
    from tests.direct import run

    with db_session(app) as session, session.begin():
        session.add(Volunteer(id="vol_alone", name="Alleen", email="alleen@example.org",
                              access_token_hash="x", consent_at=datetime.now(UTC),
                              created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))  # fmt: skip
    run(
        app.state.database, page_signups.drop_newcomer(app.state.database, volunteer_id="vol_alone")
    )
    assert _people(app) == 0


def test_odd_input_is_answered_without_a_500(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    page = client.get(f"/g/{gig['id']}")
    many = "&".join(f"f{number}=x" for number in range(50))
    crowded = client.post(f"/g/{gig['id']}", content=many,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert crowded.status_code == 403
    broken = client.post(f"/g/{gig['id']}", content=b"name=\xff\xfe",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert broken.status_code == 403
    nul = client.post(f"/g/{gig['id']}", data={"csrf": csrf_of(page.text), "name": "A\x00B",
                                               "contact": "nul@example.org", "consent": "yes"})  # fmt: skip
    assert nul.status_code == 422
    assert "Je naam bevat een teken dat we niet kunnen bewaren" in text_of(nul.text)
    volunteer, _ = make_volunteer(client)
    for expires in ("²", "1" * 13, "-5", ""):
        odd = client.get(f"/g/{gig['id']}/confirm?v={volunteer['id']}&e={expires}&t=abc")
        assert odd.status_code == 404
    assert client.get("/s/sgn_nope?t=" + "x" * 500).status_code == 404
    assert client.post("/s/sgn_nope/cancel", data={"t": "x"}).status_code == 404


def test_a_link_in_the_address_never_reaches_another_visitors_page(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    poisoned = client.get(f"/g/{gig['id']}?t=SECRET123&v=vol_x&e=1&lang=nl")
    assert "SECRET123" not in poisoned.text
    client.cookies.clear()
    later = client.get(f"/g/{gig['id']}")
    assert "SECRET123" not in later.text
    assert f'href="/g/{gig["id"]}?lang=en"' in later.text
    # Two visitors: each sees its own form token, never the other's.
    first = csrf_of(later.text)
    client.cookies.clear()
    second = csrf_of(client.get(f"/g/{gig['id']}").text)
    assert first != second


def test_the_form_cookie_is_host_only_and_secure_on_https(app: Any) -> None:
    with TestClient(app, base_url="https://klusmakelaar.test") as browser:
        _, org = organization_with_key(browser)
        gig = make_gig(browser, org)
        cookie = browser.get(f"/g/{gig['id']}").headers["set-cookie"]
        assert cookie.startswith("__Host-klus_form=")
        assert "Secure" in cookie
        assert "Path=/" in cookie
        assert (
            sign_up_on_page(browser, gig["id"], name="Sam", contact="sam@example.org").status_code
            == 303
        )


def test_a_confirmation_link_of_a_closed_gig_shows_the_gig_as_it_stands(
    client: TestClient, app: Any
) -> None:
    _, org = organization_with_key(client)
    gig = make_gig(client, org)
    volunteer, _ = make_volunteer(client, name="Bert", email="bert@example.org")
    link = _confirm_link(app, client, gig["id"], volunteer["id"])
    assert client.post(f"/api/v1/gigs/{gig['id']}/cancel", headers=org).status_code == 200
    shown = client.get(link)
    assert "Deze klus gaat helaas niet door." in text_of(shown.text)
    assert "Ja, meld me aan" not in shown.text


def test_links_are_capped_per_person_across_gigs_and_repeat_the_same_answer(
    client: TestClient, app: Any
) -> None:
    from app.services.direct_messages import SIGNUP_LINKS_PER_DAY

    _, org = organization_with_key(client)
    make_volunteer(client, email="bert@example.org")
    for _ in range(SIGNUP_LINKS_PER_DAY + 2):
        gig = make_gig(client, org)
        answer = sign_up_on_page(client, gig["id"], name="B", contact="bert@example.org")
        assert answer.status_code == 200
        # Without a channel: said the first time and every time after.
        assert "maar we kunnen je nu geen bericht sturen" in text_of(answer.text)
        again = sign_up_on_page(client, gig["id"], name="B", contact="bert@example.org")
        assert "maar we kunnen je nu geen bericht sturen" in text_of(again.text)
    with db_session(app) as session:
        made = session.scalar(select(func.count()).select_from(Message)
                              .where(Message.kind == "signup_link"))  # fmt: skip
    assert made == SIGNUP_LINKS_PER_DAY
