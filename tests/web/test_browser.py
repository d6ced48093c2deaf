"""The public pages in a real browser: Playwright driving Debian's Chromium, headless,
against the app served over HTTP on 127.0.0.1.

A person opens a gig's page, signs up with the keyboard only, lands on the confirmation,
cancels by its link, and the API's `spots_left` follows. axe-core (the npm package in
`tests/web/browser_tools`, injected into each page) finds no serious or critical
violation on the gig's page, the form with errors and the confirmation. Screenshots at
360 and 1280 px wide are kept in `test-artifacts/screenshots/`.

Without Chromium (`apt-get install chromium`) these tests are skipped with that message;
`.ci/run` installs it, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import ADMIN
from tests.live_server import serve

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests/web/browser_tools/node_modules/axe-core/axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts/screenshots"
CHROMIUM = os.environ.get("KLUSMAKELAAR_CHROMIUM") or shutil.which("chromium") or ""

if not CHROMIUM and os.environ.get("KLUSMAKELAAR_REQUIRE_BROWSER"):
    raise RuntimeError("KLUSMAKELAAR_REQUIRE_BROWSER is set but Chromium is not installed")
if not CHROMIUM:
    pytest.skip(
        "Chromium is not installed: `sudo apt-get install chromium` (Debian/Ubuntu) runs the "
        "browser tests (or set KLUSMAKELAAR_CHROMIUM to a Chromium binary)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

# As the machine's notes say: without the background-networking flags, Chromium keeps
# calling out, which a closed network refuses.
_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def site(app: FastAPI) -> Iterator[str]:
    """The app over real HTTP."""
    with serve(app) as base:
        yield base


def _api(base: str, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, base + path, timeout=30, **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


def _gig(base: str, **fields: Any) -> dict[str, Any]:
    from tests.factories import gig_body

    organization = _api(base, "POST", "/api/v1/organizations", headers=ADMIN,
                        json={"name": "Buurthuis De Kroon"})  # fmt: skip
    # 10:00–13:00 in Amsterdam a week ahead, so the time never runs past midnight.
    day = datetime.now(ZoneInfo("Europe/Amsterdam")).date() + timedelta(days=7)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Europe/Amsterdam"))
    body = gig_body(title="Koffie schenken in De Kroon", organization_id=organization["id"],
                    starts_at=start.isoformat(),
                    ends_at=(start + timedelta(hours=3)).isoformat(), **fields)  # fmt: skip
    return _api(base, "POST", "/api/v1/gigs", headers=ADMIN, json=body)  # type: ignore[no-any-return]


def _axe(page: Page, name: str) -> None:
    """Inject axe-core and fail on any serious or critical violation of WCAG 2.1 A/AA."""
    assert AXE.exists(), "axe-core is missing: run `npm ci --prefix tests/web/browser_tools`"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
        })"""
    )
    bad = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"axe on {name}: {bad}"
    assert result["passes"], "axe ran no check at all"


def _screenshots(page: Page, name: str) -> None:
    """The page at 360 px (a phone) and 1280 px wide, full length; nothing wider than
    the window at either (no sideways scrolling)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways at {width} px"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def _tab_to(page: Page, element_id: str, limit: int = 30) -> None:
    """Press Tab until ``element_id`` has the focus (the keyboard's way to a field)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_sign_up_with_the_keyboard_then_cancel_by_the_link(browser: Browser, site: str) -> None:
    gig = _gig(site, capacity=3)
    context = browser.new_context(bypass_csp=True, locale="nl-NL")  # axe is injected inline
    page = context.new_page()
    page.goto(f"{site}/g/{gig['id']}")
    expect(page).to_have_title("Koffie schenken in De Kroon – Klusmakelaar Groningen")
    expect(page.locator("h1")).to_have_text("Koffie schenken in De Kroon")
    expect(page.locator("#spots")).to_have_text("Nog 3 plekken vrij (van de 3)")
    when = page.locator(".facts div").first
    expect(when).to_contain_text("Wanneer")
    expect(when).to_contain_text(":00–")
    _axe(page, "the gig's page")
    _screenshots(page, "gig-page")

    # The form sent empty with Enter: the errors, each tied to its field.
    _tab_to(page, "name")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name-error")).to_have_text("Vul je naam in.")
    _axe(page, "the form with errors")
    _screenshots(page, "form-errors")

    # Keyboard only: Tab to each field, type, Space ticks the box, Enter sends.
    _tab_to(page, "name")
    page.keyboard.type("Anna de Boer")
    _tab_to(page, "contact")
    page.keyboard.type("06 12345678")
    _tab_to(page, "consent")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Je bent aangemeld!")
    assert "/s/" in page.url
    assert _api(site, "GET", f"/api/v1/gigs/{gig['id']}")["spots_left"] == 2
    _axe(page, "the confirmation")
    _screenshots(page, "confirmation")

    # The confirmation's address is the cancel link: it works in a new browser too.
    fresh = browser.new_context(locale="nl-NL")
    later = fresh.new_page()
    later.goto(page.url)
    later.get_by_role("button", name="Afmelden").click()
    expect(later.locator("h1")).to_have_text("Je bent afgemeld")
    assert _api(site, "GET", f"/api/v1/gigs/{gig['id']}")["spots_left"] == 3
    fresh.close()
    context.close()


def test_english_at_200_percent_zoom(browser: Browser, site: str) -> None:
    gig = _gig(site, capacity=1)
    # 200 % zoom of a 1280 px window: 640 CSS pixels, each drawn twice as large.
    context = browser.new_context(
        viewport={"width": 640, "height": 400}, device_scale_factor=2, locale="en-GB"
    )
    page = context.new_page()
    page.goto(f"{site}/g/{gig['id']}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#spots")).to_have_text("1 spot left (of 1)")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The focus is visible: the focused field has an outline.
    _tab_to(page, "name")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.screenshot(path=str(SCREENSHOTS / "gig-page-en-zoom-200.png"), full_page=True)
    context.close()


def test_check_in_by_the_qr_codes_address_with_the_keyboard(browser: Browser, site: str) -> None:
    organization = _api(site, "POST", "/api/v1/organizations", headers=ADMIN,
                        json={"name": "Buurthuis De Kroon"})  # fmt: skip
    start = datetime.now(ZoneInfo("Europe/Amsterdam")).replace(microsecond=0) + timedelta(
        minutes=10
    )
    from tests.factories import gig_body

    gig = _api(site, "POST", "/api/v1/gigs", headers=ADMIN, json=gig_body(
        title="Soep koken", organization_id=organization["id"], starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat()))  # fmt: skip
    volunteer = _api(site, "POST", "/api/v1/volunteers",
                     json={"name": "Anna", "consent": True, "phone": "06 12345678"})  # fmt: skip
    own = {"Authorization": f"Bearer {volunteer['access_token']}"}
    _api(site, "POST", f"/api/v1/gigs/{gig['id']}/signups", headers=own,
         json={"volunteer_id": volunteer["id"]})  # fmt: skip
    shown = _api(site, "GET", f"/api/v1/gigs/{gig['id']}/check-in", headers=ADMIN)
    context = browser.new_context(bypass_csp=True, locale="nl-NL")
    page = context.new_page()
    page.goto(site + shown["url"].split("klusmakelaar.test", 1)[1])
    expect(page.locator("h1")).to_have_text("Inchecken: Soep koken")
    _axe(page, "the check-in page")
    # A wrong code first: the error is tied to its field.
    _tab_to(page, "contact")
    page.keyboard.type("06 12345678")
    _tab_to(page, "code")
    page.keyboard.type(str((int(shown["code"]) + 1) % 1_000_000).zfill(6))
    page.keyboard.press("Enter")
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    _axe(page, "the check-in page with an error")
    _tab_to(page, "code")
    page.keyboard.press("Control+a")
    page.keyboard.type(shown["code"])
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Je bent ingecheckt")
    _axe(page, "the check-in confirmation")
    _screenshots(page, "check-in")
    signup = _api(site, "GET", f"/api/v1/volunteers/{volunteer['id']}/signups", headers=own)
    assert signup["items"][0]["checked_in_at"] is not None
    context.close()
