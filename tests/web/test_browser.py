"""The contractor's whole path in a real browser: Debian's Chromium, driven by Playwright.

The QR code is read back from the rendered page with an independent decoder (zxing-cpp), and
the TOTP code is computed from what it decodes to, as an authenticator app would.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from bot.core import enrolment
from bot.core.context import Core
from bot.core.states import State
from tests.support.contractor import fresh_code, wrong_code
from tests.support.notifier import RecordingNotifier
from tests.web.conftest import Issued, enroll_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 390, "height": 844}

# Skipped on a developer machine without Chromium; in CI (``CI`` set) a missing browser fails.
pytestmark = pytest.mark.skipif(
    not shutil.which(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian chromium is not installed (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    yield page
    context.close()
    # A CSP violation or a script error shows up here. Chromium also logs every 4xx answer
    # (the refusals the tests provoke, the favicon): those are expected.
    expected = "Failed to load resource: the server responded with a status of 4"
    assert [e for e in errors if not e.startswith(expected)] == []


def screenshots_dir(tmp_path: Path) -> Path:
    """Where screenshots go: ``$CREDBOT_SCREENSHOTS`` to keep them, else the test's tmp dir."""
    target = Path(os.environ.get("CREDBOT_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in ``png``, read by zxing-cpp."""
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, f"expected one QR code, decoded {len(results)}"
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(results[0].text)


def test_contractor_enrols_in_chromium(
    phone: Page,
    server: str,
    core: Core,
    issued: Issued,
    notifier: RecordingNotifier,
    tmp_path: Path,
) -> None:
    shots = screenshots_dir(tmp_path)
    contractor, secret = issued()
    phone.goto(enroll_url(server, secret))

    # The secret left the address bar; the page says who sent it and asks for the code.
    expect(phone.locator("h1")).to_have_text("Your access to the review tool")
    assert "#" not in phone.url and secret not in phone.url
    expect(phone.locator("#reveal-form")).to_be_visible()
    assert "on behalf of your manager" in phone.locator(".lead").inner_text()
    phone.screenshot(path=shots / "enroll-start.png", full_page=True)

    # Keyboard only: the code field is the first stop, Enter sends the form.
    phone.keyboard.press("Tab")
    expect(phone.locator("#code")).to_be_focused()
    phone.keyboard.type(notifier.code_for(secret).lower())
    with phone.expect_navigation():
        phone.keyboard.press("Enter")

    expect(phone.locator("h1")).to_have_text("Your credentials")
    username = phone.locator("#username").inner_text()
    assert username == contractor.username
    assert len(phone.locator("#password").inner_text()) >= 32
    uri_on_page = phone.locator("#uri").inner_text()
    phone.screenshot(path=shots / "enroll-reveal.png", full_page=True)

    qr = phone.locator("svg.qr-code")
    qr.scroll_into_view_if_needed()
    decoded = decode_qr(qr.screenshot())
    assert decoded == uri_on_page
    totp = pyotp.parse_uri(decoded)
    assert isinstance(totp, pyotp.TOTP)
    assert totp.issuer == "credbot" and totp.name == username
    seed_on_page = phone.locator("#seed").inner_text().replace(" ", "")
    assert seed_on_page == totp.secret

    # The first login: the saved password and a code. A mistyped code is refused inline by
    # Vault's login MFA: the QR code and password stay on screen.
    phone.locator("#confirm-form-password").fill(phone.locator("#password").inner_text())
    field = phone.locator("#confirm-form-code")
    field.fill(wrong_code(totp.secret))
    phone.locator("#confirm-form button[type=submit]").click()
    expect(phone.locator("#confirm-form-error")).to_contain_text("did not accept")
    expect(qr).to_be_visible()
    expect(field).to_be_focused()

    field.fill(fresh_code(totp.secret))
    phone.locator("#confirm-form button[type=submit]").click()
    expect(phone.locator("h1")).to_have_text("You're done")
    expect(phone.locator("#password")).to_have_count(0)
    phone.screenshot(path=shots / "enroll-done.png", full_page=True)
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE
    assert "active" in notifier.events_for_requester()

    # The same link again: already used, said at once, nothing to type.
    phone.goto(enroll_url(server, secret))
    expect(phone.locator("#link-problem")).to_contain_text("already used")
    expect(phone.locator("#reveal-form")).to_be_hidden()
    phone.screenshot(path=shots / "enroll-used.png", full_page=True)


def test_wrong_confirmation_code_then_right_one(
    phone: Page, server: str, issued: Issued, notifier: RecordingNotifier
) -> None:
    _, secret = issued()
    phone.goto(enroll_url(server, secret))
    code = notifier.code_for(secret)
    phone.locator("#code").fill("AAA-AAA" if code != "AAA-AAA" else "BBB-BBB")
    with phone.expect_navigation():
        phone.locator("#reveal-form button").click()
    expect(phone.locator("#code-error")).to_contain_text("4 tries left")
    expect(phone.locator("#code")).to_be_focused()
    phone.locator("#code").fill(code)
    with phone.expect_navigation():
        phone.locator("#reveal-form button").click()
    expect(phone.locator("h1")).to_have_text("Your credentials")


def test_link_without_its_fragment_says_so(phone: Page, server: str) -> None:
    phone.goto(f"{server}/enroll")
    expect(phone.locator("#link-problem")).to_contain_text("including the part after the #")
    expect(phone.locator("#reveal-form")).to_be_hidden()


def test_a_reload_after_the_reveal_finishes_in_the_same_browser(
    phone: Page, server: str, core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    contractor, secret = issued()
    phone.goto(enroll_url(server, secret))
    phone.locator("#code").fill(notifier.code_for(secret))
    with phone.expect_navigation():
        phone.locator("#reveal-form button").click()
    password = phone.locator("#password").inner_text()
    seed = phone.locator("#seed").inner_text().replace(" ", "")

    phone.goto(enroll_url(server, secret))  # the tab was closed, the link opened again
    expect(phone.locator("#resume")).to_be_visible()
    expect(phone.locator("#reveal-form")).to_be_hidden()
    phone.locator("#resume-form-password").fill(password)
    phone.locator("#resume-form-code").fill(fresh_code(seed))
    phone.locator("#resume-form button[type=submit]").click()
    expect(phone.locator("h1")).to_have_text("You're done")
    assert core.store.get_contractor(contractor.id).state is State.ACTIVE


def test_another_browser_holding_the_link_cannot_take_the_last_step(
    phone: Page, server: str, core: Core, issued: Issued, notifier: RecordingNotifier
) -> None:
    contractor, secret = issued()
    revealed = enrolment.reveal(core, secret, notifier.code_for(secret))  # revealed elsewhere
    phone.goto(enroll_url(server, secret))
    expect(phone.locator("#resume")).to_be_visible()
    phone.locator("#resume-form-password").fill(revealed.secrets.password)
    phone.locator("#resume-form-code").fill(fresh_code(revealed.secrets.totp_secret))
    phone.locator("#resume-form button[type=submit]").click()
    expect(phone.locator("#resume-form-error")).to_contain_text("browser where you revealed")
    contractor = core.store.get_contractor(contractor.id)
    assert (contractor.state, contractor.failed_totp_attempts) == (State.ISSUED, 0)
