"""The whole two-factor sign-in, in a real headless Chromium: enrolment with the
QR code page on first sign-in, then a recovery code on the next."""

import os
import re
import tempfile
from base64 import b32decode
from pathlib import Path

import pytest
from django_otp.oath import totp

from cms.models import Role
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.i18n import site_gettext, site_ngettext
from tests.utils import PASSWORD, make_unit, make_user

#: Kept in the repository (docs); written only when RONGMEI_SCREENSHOTS=1.
DOCS_SCREENSHOT = (
    Path(__file__).resolve().parents[2]
    / "docs"
    / "screenshots"
    / "two-factor-enrol.png"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def chromium_page():
    if not CHROMIUM.exists():
        pytest.skip("Chromium not found at /usr/bin/chromium (Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            locale="en-US", viewport={"width": 1280, "height": 1000}
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def shots():
    """Where screenshots go while the test runs (a temporary folder)."""
    path = Path(
        os.environ.get("RONGMEI_SCREENSHOT_DIR")
        or tempfile.mkdtemp(prefix="rongmei-2fa-")
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def shoot(page, path):
    # Finished animations: Wagtail's messages slide in.
    page.screenshot(path=str(path), full_page=True, animations="disabled")


def sign_in(page, base_url, username):
    page.goto(base_url + "/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_load_state()


def test_final_reviewer_enrols_then_signs_in_with_a_recovery_code(
    live_server, chromium_page, shots, settings
):
    settings.RONGMEI_2FA_ENFORCED = True
    page = chromium_page
    user = make_user(roles=[(make_unit(), Role.FINAL_REVIEWER)])

    # First sign-in: the password leads to enrolment, not the dashboard.
    sign_in(page, live_server.url, user.username)
    assert "/admin/2fa/enrol/" in page.url
    qr = page.locator(".two-factor-qr-code svg")
    assert qr.is_visible()
    assert qr.bounding_box()["width"] >= 150
    secret = re.sub(r"\s", "", page.inner_text("[data-two-factor-secret]"))
    shoot(page, shots / "enrol.png")
    if os.environ.get("RONGMEI_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shoot(page, DOCS_SCREENSHOT)

    # What the authenticator app would show for the key on the page.
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("input[name=code]", str(totp(key)).zfill(6))
    page.click("form.login-form button[type=submit]")
    page.wait_for_load_state()
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == 10
    shoot(page, shots / "recovery-codes.png")

    page.click("text=" + site_gettext("I have saved my codes, continue"))
    page.wait_for_load_state()
    assert page.url == live_server.url + "/admin/"
    assert page.locator("#main").is_visible()
    shoot(page, shots / "dashboard.png")

    # Sign out, then in again: now the code is asked for; a recovery code does.
    page.context.clear_cookies()
    sign_in(page, live_server.url, user.username)
    assert "/admin/2fa/verify/" in page.url
    shoot(page, shots / "verify.png")
    page.fill("input[name=code]", codes[0])
    page.click("form.login-form button[type=submit]")
    page.wait_for_load_state()
    assert page.url == live_server.url + "/admin/"
    assert site_ngettext(
        "You signed in with a recovery code; it cannot be used again. "
        "%(count)d recovery code is left.",
        "You signed in with a recovery code; it cannot be used again. "
        "%(count)d recovery codes are left.",
        9,
        count=9,
    ) in page.inner_text(".messages")
    shoot(page, shots / "after-recovery-code.png")

    # The used code does not work twice.
    page.context.clear_cookies()
    sign_in(page, live_server.url, user.username)
    page.fill("input[name=code]", codes[0])
    page.click("form.login-form button[type=submit]")
    page.wait_for_load_state()
    shoot(page, shots / "verify-refused.png")
    assert "/admin/2fa/verify/" in page.url
    assert site_gettext(
        "That code is not right. Check it and try again."
    ) in page.inner_text(".messages")
