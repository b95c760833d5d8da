"""The Content Security Policy, in a real headless Chromium: the Wagtail admin and
the public site work under it and the browser reports no violation.

Violations are collected twice: from the console (Chromium logs each refused
resource) and from ``securitypolicyviolation`` events, which an init script
forwards from every document and frame, previews included.
"""

import re

import pytest
from django.urls import reverse
from PIL import Image as PILImage
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.i18n import site_gettext
from tests.utils import (
    PASSWORD,
    make_account,
    make_image,
    make_managing_department,
    make_release,
    make_unit,
    make_user,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.reportCspViolation({
        document: document.location.href,
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: event.sourceFile + ":" + event.lineNumber,
        sample: event.sample,
    });
});
"""


class Violations(list):
    """What the browser refused, with where it happened."""

    def __str__(self):
        return "\n".join(str(v) for v in self)


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists():
        pytest.skip("Chromium not found at /usr/bin/chromium (Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            locale="en-US", viewport={"width": 1400, "height": 1000}
        )
        violations = Violations()
        context.expose_binding(
            "reportCspViolation", lambda _source, v: violations.append(v)
        )
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on(
            "console",
            lambda message: (
                violations.append({"console": message.text, "url": page.url})
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.violations = violations
        yield page
        context.close()
        browser.close()


@pytest.fixture
def demo():
    make_managing_department()
    unit = make_unit("教务处", "jwc")
    admin = make_user("csp-admin", is_superuser=True, is_staff=True)
    release = make_release(unit, title="期末考试安排", publish=True, user=admin)
    return {
        "admin": admin,
        "image": make_image("校园图片"),
        "release": release,
        "account": make_account(unit, "wechat_oa", credentials={"app_id": "x"}),
    }


@pytest.fixture
def upload(tmp_path):
    path = tmp_path / "upload.jpg"
    PILImage.new("RGB", (320, 200), (20, 120, 60)).save(path, "JPEG")
    return str(path)


def csp_of(response):
    return response.headers.get("content-security-policy", "")


def log_in(page, base_url, user):
    response = page.goto(base_url + reverse("wagtailadmin_login"))
    # The login page keeps the strict policy.
    assert "script-src 'self';" in csp_of(response) + ";"
    assert "unsafe-inline" not in csp_of(response)
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + reverse("wagtailadmin_home"))


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in csp_of(response), url
    page.wait_for_load_state("networkidle")
    return response


def test_admin_works_without_csp_violations(live_server, browser_page, demo, upload):
    """Login, dashboard, the page editor (adding a block, the preview), the
    image library and uploads, accounts and the API token form all work, and the
    browser reports no violation of the policy."""
    page, base = browser_page, live_server.url
    release = demo["release"]
    log_in(page, base, demo["admin"])
    visit(page, base + reverse("wagtailadmin_home"))
    assert page.locator("#wagtail-sidebar .sidebar-main-menu").count() == 1

    # The editor: the StreamField "add block" menu opens and adds a block.
    visit(page, base + reverse("wagtailadmin_pages:edit", args=[release.pk]))
    blocks = page.locator("[data-streamfield-child]")
    assert blocks.count() == 2
    page.locator("button.c-sf-add-button").last.click()
    page.get_by_role("option", name=site_gettext("Paragraph")).click()
    expect(blocks).to_have_count(3)

    # The preview panel shows the release in a same-origin frame.
    page.locator("[data-side-panel-toggle=preview]").first.click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator("h1")).to_contain_text(release.title)

    visit(page, base + reverse("wagtailimages:index"))
    expect(page.locator("img[src*='/media/']").first).to_be_visible()
    visit(page, base + reverse("wagtailimages:edit", args=[demo["image"].pk]))
    visit(page, base + reverse("wagtailimages:add_multiple"))
    page.set_input_files("input[type=file]", upload)
    # The form previews the file as a blob: image while it uploads.
    expect(page.locator("#upload-list .status-msg.success")).to_be_visible()

    visit(page, base + reverse("wagtailsnippets_channels_account:list"))
    expect(page.get_by_text(demo["account"].name)).to_be_visible()
    visit(
        page,
        base
        + reverse("wagtailsnippets_channels_account:edit", args=[demo["account"].pk]),
    )

    visit(page, base + reverse("wagtailusers_api_tokens:add"))
    page.fill("input[name=name]", "客户端")
    page.get_by_role("checkbox", name=site_gettext("Check content")).check()
    page.locator("form [type=submit]").last.click()
    expect(page.locator("#api-token-value")).to_have_value(re.compile("^wagtail_"))

    assert not page.violations, str(page.violations)


def test_public_pages_work_under_the_strict_policy(live_server, browser_page, demo):
    """The public release page gets the strict policy (no inline script or
    style) and renders with its stylesheet and no violation."""
    page, base = browser_page, live_server.url
    for url in ("/", demo["release"].url):
        response = visit(page, base + url)
        assert "unsafe-inline" not in csp_of(response)
        assert "frame-ancestors 'none'" in csp_of(response)
    expect(page.locator("h1")).to_contain_text(demo["release"].title)
    rules = page.evaluate(
        "Array.from(document.styleSheets).reduce((n, s) => n + s.cssRules.length, 0)"
    )
    assert rules > 0
    assert not page.violations, str(page.violations)


def test_violations_are_noticed(live_server, browser_page, demo):
    """The watch works: an inline script on a public page is refused and
    reported."""
    page = browser_page
    visit(page, live_server.url + demo["release"].url)
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    assert any(v.get("directive", "").startswith("script-src") for v in page.violations)
