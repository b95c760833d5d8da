"""Deliveries and the emergency stop in a real headless Chromium: an editor
finds a failed delivery with its reason on the release's page and retries it;
a unit head pauses their unit's publishing with a reason and lifts it again.
The same rules are tested without a browser in
tests/channels/test_delivery_views.py."""

import os
import shutil
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from channels.models import Delivery, PublishingPause
from cms.models import Role
from tests.i18n import site_gettext, site_language
from tests.utils import (
    PASSWORD,
    make_account,
    make_managing_department,
    make_release,
    make_unit,
    make_user,
)

#: Kept in the repository (docs); written only when RONGMEI_SCREENSHOTS=1.
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.usefixtures("one_request_at_a_time"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

Status = Delivery.Status
REASON = "标题含有平台禁用词：“最”，请修改后重发"


@pytest.fixture
def newsroom():
    """A unit with an editor and a head, and a release sent to one account and
    failed on another, built before the browser starts."""
    make_managing_department()
    unit = make_unit("教务处", "jwc")
    release = make_release(unit, "关于期末考试安排的通知", publish=True)
    now = timezone.now()
    deliveries = {}
    for status, account in (
        (Status.SENT, make_account(unit, "weibo", name="教务处微博")),
        (Status.FAILED, make_account(unit, "app", name="教务处App")),
    ):
        deliveries[status] = Delivery.objects.create(
            release=release,
            revision=release.live_revision,
            account=account,
            status=status,
            due_at=now,
            next_attempt_at=now,
            attempts=1 if status == Status.SENT else 8,
            sent_at=now if status == Status.SENT else None,
            platform_url="https://weibo.example/jwc/1" if status == Status.SENT else "",
            error_message="" if status == Status.SENT else REASON,
        )
    return {
        "unit": unit,
        "release": release,
        "deliveries": deliveries,
        "editor": make_user("bianji", roles=[(unit, Role.EDITOR)], first_name="编辑"),
        "head": make_user("fuzeren", roles=[(unit, Role.UNIT_HEAD)], first_name="主任"),
    }


@pytest.fixture
def sign_in(live_server, page):
    """``sign_in(user)``: the test's ``page`` signed in as ``user`` with the
    password, on the dashboard (``shoot`` photographs that page). A server
    error fails the test."""
    failed = []
    page.on(
        "response",
        lambda r: r.status >= 500 and failed.append(f"{r.status} {r.url}"),
    )

    def sign_in(user):
        page.goto(live_server.url + reverse("wagtailadmin_login"))
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.login-form button[type=submit]")
        page.wait_for_url(live_server.url + reverse("wagtailadmin_home"))
        return page

    yield sign_in
    assert not failed, failed


def docs_screenshot(page, path, name):
    """Keep ``path`` (a screenshot from ``shoot``) in docs/screenshots."""
    if os.environ.get("RONGMEI_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / name)


def label(choice):
    with site_language():
        return str(choice.label)


def test_editor_sees_the_reason_and_retries(live_server, newsroom, sign_in, shoot):
    """On the release's page the editor sees "1 / 2 已发布", the failed account
    with the platform's reason in plain words, and retries it: the delivery is
    planned again and the page says so."""
    release, failed = newsroom["release"], newsroom["deliveries"][Status.FAILED]
    page = sign_in(newsroom["editor"])
    page.goto(live_server.url + reverse("wagtailadmin_pages:edit", args=[release.pk]))
    panel = page.locator(".rongmei-deliveries")
    panel.scroll_into_view_if_needed()
    expect(panel.locator(".rongmei-deliveries-summary")).to_contain_text(
        site_gettext("%(sent)s / %(total)s published", sent=1, total=2)
    )
    row = panel.locator('tr[data-delivery="%d"]' % failed.pk)
    expect(row).to_contain_text(label(Status.FAILED))
    expect(row).to_contain_text(REASON)
    # The Wagtail page title in the header hides nothing of the panel.
    page.evaluate("window.scrollBy(0, -120)")
    path = shoot("deliveries-panel")
    docs_screenshot(page, path, "deliveries-panel.png")

    with page.expect_navigation():
        row.get_by_role("button", name=site_gettext("Retry")).click()
    expect(page.locator(".messages .success")).to_contain_text(
        site_gettext("%(account)s: it will be sent again.", account=str(failed.account))
    )
    row = page.locator('.rongmei-deliveries tr[data-delivery="%d"]' % failed.pk)
    expect(row).to_contain_text(label(Status.PLANNED))
    expect(row.get_by_role("button", name=site_gettext("Retry"))).to_have_count(0)
    failed.refresh_from_db()
    assert failed.status == Status.PLANNED
    assert failed.attempts == 0


def test_unit_head_pauses_with_a_reason_and_lifts(
    live_server, newsroom, sign_in, shoot
):
    """A unit head pauses their unit from 发布 › 紧急停发: without a reason the
    form says what is missing; with one, the pause is listed, the sidebar warns
    on every page, and lifting it moves it to the earlier pauses."""
    unit = newsroom["unit"]
    page = sign_in(newsroom["head"])
    page.goto(live_server.url + reverse("channels_pauses"))
    page.get_by_role("link", name=site_gettext("Pause publishing")).click()
    page.wait_for_url("**/publishing/pauses/new/")
    expect(page.locator("select[name=unit]")).to_have_value(str(unit.pk))

    with page.expect_navigation():
        page.locator("form.rongmei-pause-form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(
        site_gettext(
            "Say why publishing is paused: it is recorded and shown to everyone."
        )
    )
    assert not PublishingPause.objects.exists()

    reason = "校园网络安全事件处置中，暂停本单位全部发布"
    page.fill("textarea[name=reason]", reason)
    with page.expect_navigation():
        page.locator("form.rongmei-pause-form button[type=submit]").click()
    expect(page.locator(".rongmei-pauses-active")).to_contain_text(reason)
    expect(page.locator("#wagtail-sidebar")).to_contain_text(
        site_gettext("Publishing is paused")
    )
    pause = PublishingPause.objects.get()
    assert (pause.unit, pause.started_by) == (unit, newsroom["head"])
    path = shoot("emergency-stop")
    docs_screenshot(page, path, "emergency-stop.png")

    # The editor's release page says why nothing goes out.
    release = newsroom["release"]
    page.goto(live_server.url + reverse("wagtailadmin_pages:edit", args=[release.pk]))
    expect(page.locator(".rongmei-deliveries .rongmei-pause-banner")).to_contain_text(
        reason
    )

    page.goto(live_server.url + reverse("channels_pauses"))
    page.locator(".rongmei-pauses-active").get_by_role(
        "link", name=site_gettext("Lift")
    ).click()
    page.wait_for_url("**/lift/")
    with page.expect_navigation():
        page.get_by_role("button", name=site_gettext("Resume publishing")).click()
    expect(page.locator(".rongmei-pauses-past")).to_contain_text(reason)
    expect(page.locator(".rongmei-pauses-active")).to_have_count(0)
    pause.refresh_from_db()
    assert pause.lifted_by == newsroom["head"]
