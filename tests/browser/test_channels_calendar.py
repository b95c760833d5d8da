"""An editor finds a planned delivery in the publishing calendar (发布日历), moves it
to a time outside the account's windows (which needs a reason), then previews the
release as a WeChat article (微信图文) from the page editor, in a real headless
Chromium. The same rules are tested without a browser in
tests/channels/test_calendar.py and tests/channels/test_previews.py."""

import os
import re
import shutil
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.models import PageLogEntry

from channels.models import Delivery, ReleaseTarget
from channels.rescheduling import ACTION
from cms.models import Role
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

#: Kept in the repository (docs); written only when RONGMEI_SCREENSHOTS=1.
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = [
    pytest.mark.usefixtures("one_request_at_a_time"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def next_wednesday():
    today = timezone.now().astimezone(SHANGHAI).date()
    return today - timedelta(days=today.weekday()) + timedelta(days=9)


@pytest.fixture
def newsroom():
    """A unit with an editor, a WeChat and a Weibo account, a release with a
    cover aimed at both, and a delivery to Weibo planned next Wednesday at 12:00
    (with one to WeChat on Monday and a cancelled one on Friday), built before
    the browser starts."""
    make_managing_department()
    unit = make_unit("教务处", "jwc")
    wechat = make_account(unit, "wechat_oa", name="教务处公众号")
    weibo = make_account(unit, "weibo", name="教务处微博")
    release = make_release(
        unit,
        title="关于期末考试安排的通知",
        digest="期末考试将于一月中旬举行，请各学院通知到每位学生。",
        author="教务处",
        cover_image=make_image("考场", color=(30, 90, 160)),
        body=[
            ("paragraph", "<p>各学院：本学期期末考试将于一月中旬举行。</p>"),
            ("heading", "考试安排"),
            ("paragraph", "<p>请各学院通知到每位学生，按时参加考试。</p>"),
        ],
        targets=[ReleaseTarget(account=wechat), ReleaseTarget(account=weibo)],
    )
    day = next_wednesday()
    delivery = Delivery.objects.create(
        release=release,
        revision=release.get_latest_revision(),
        account=weibo,
        due_at=datetime.combine(day, time(12), tzinfo=SHANGHAI),
        next_attempt_at=datetime.combine(day, time(12), tzinfo=SHANGHAI),
    )
    # Two more for the picture: WeChat on Monday, and a cancelled one, muted.
    monday = day - timedelta(days=2)
    Delivery.objects.create(
        release=release,
        revision=release.get_latest_revision(),
        account=wechat,
        due_at=datetime.combine(monday, time(7, 30), tzinfo=SHANGHAI),
        next_attempt_at=datetime.combine(monday, time(7, 30), tzinfo=SHANGHAI),
    )
    friday = day + timedelta(days=2)
    Delivery.objects.create(
        release=release,
        revision=release.save_revision(),
        account=weibo,
        status=Delivery.Status.CANCELLED,
        due_at=datetime.combine(friday, time(19), tzinfo=SHANGHAI),
        next_attempt_at=datetime.combine(friday, time(19), tzinfo=SHANGHAI),
    )
    return {
        "editor": make_user("bianji", roles=[(unit, Role.EDITOR)]),
        "release": release,
        "delivery": delivery,
        "wechat": wechat,
        "day": day,
    }


def docs_screenshot(path, name):
    """Copy a screenshot ``shoot`` took into docs/screenshots when asked to."""
    if os.environ.get("RONGMEI_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / name)


def test_editor_moves_a_delivery_and_previews_the_wechat_article(
    live_server, newsroom, page, shoot
):
    """The editor opens the calendar from the 发布 menu, finds next week's
    delivery, moves it to 03:00 (refused without a reason, accepted with one),
    then previews the release as a WeChat article with the platform's limits."""
    release, delivery, day = newsroom["release"], newsroom["delivery"], newsroom["day"]
    page.goto(live_server.url + reverse("wagtailadmin_login"))
    page.fill("input[name=username]", newsroom["editor"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(live_server.url + reverse("wagtailadmin_home"))

    # The 发布 menu, then the calendar.
    sidebar = page.locator("#wagtail-sidebar")
    sidebar.get_by_role("button", name=site_gettext("Publishing")).click()
    sidebar.get_by_role("link", name=site_gettext("Publishing calendar")).click()
    page.wait_for_url(re.compile(r"/admin/publishing/calendar/"))
    expect(page.locator("h1")).to_contain_text(site_gettext("Publishing calendar"))

    # Next week: the delivery sits in Wednesday's column, planned.
    page.get_by_role("link", name=site_gettext("Next week")).click()
    column = page.locator('section[data-date="%s"]' % day.isoformat())
    entry = column.locator('[data-delivery="%d"]' % delivery.pk)
    expect(entry).to_contain_text("12:00")
    expect(entry).to_contain_text(site_gettext("planned"))
    expect(entry).to_contain_text("教务处微博")
    expect(entry.get_by_role("link", name=release.title)).to_be_visible()
    docs_screenshot(shoot("calendar"), "calendar.png")

    # Move it to 03:00, outside Weibo's windows: a reason is required.
    entry.get_by_role("link", name=site_gettext("Reschedule")).click()
    page.wait_for_url(re.compile(r"/reschedule/"))
    when = page.locator("input[name=due_at]")
    expect(when).to_have_value("%sT12:00" % day.isoformat())
    when.fill("%sT03:00" % day.isoformat())
    page.get_by_role("button", name=site_gettext("Reschedule delivery")).click()
    expect(page.locator(".error-message")).to_contain_text(
        site_gettext(
            "Give a reason for publishing at a time the schedule does not allow."
        )
    )
    expect(page.locator("input[name=due_at]")).to_have_value(
        "%sT03:00" % day.isoformat()
    )
    shoot("reschedule-refused")
    page.fill("input[name=reason]", "配合考试通知提前发布")
    page.get_by_role("button", name=site_gettext("Reschedule delivery")).click()
    page.wait_for_url(re.compile(r"/admin/publishing/calendar/\?.*week="))
    expect(page.locator(".messages .success")).to_contain_text("03:00")
    moved = page.locator('[data-delivery="%d"]' % delivery.pk)
    expect(moved).to_contain_text("03:00")
    expect(moved).to_contain_text("配合考试通知提前发布")
    shoot("moved")

    delivery.refresh_from_db()
    assert delivery.due_at == datetime.combine(day, time(3), tzinfo=SHANGHAI)
    assert delivery.off_window_reason == "配合考试通知提前发布"
    assert PageLogEntry.objects.filter(action=ACTION, page=release).count() == 1

    # The release's editor: the preview panel, in the WeChat article mode.
    moved.get_by_role("link", name=release.title).click()
    page.wait_for_url("**/admin/pages/%d/edit/" % release.pk)
    page.click('[data-side-panel-toggle="preview"]')
    mode = page.locator("#id_preview_mode")
    expect(mode).to_be_visible()
    frame = page.frame_locator("#w-preview-iframe")
    # Wait for the first (default) preview: a mode chosen while it still loads
    # is lost.
    expect(frame.locator("#release-title")).to_have_text(release.title)
    mode.select_option(label=site_gettext("WeChat article"))
    expect(frame.locator(".wx-title")).to_have_text(release.title)
    expect(frame.locator(".rm-bar")).to_contain_text("教务处公众号")
    expect(frame.locator(".rm-limits")).to_contain_text(site_gettext("Title"))
    shoot("preview-panel")

    # The same preview in a tab of its own, at a phone's width.
    page.set_viewport_size({"width": 520, "height": 1100})
    page.goto(
        live_server.url
        + reverse("wagtailadmin_pages:preview_on_edit", args=[release.pk])
        + "?mode=wechat_oa"
    )
    expect(page.locator(".wx-title")).to_have_text(release.title)
    expect(page.locator(".wx-content")).to_contain_text("本学期期末考试")
    expect(page.locator(".rm-ok")).to_be_visible()
    docs_screenshot(shoot("preview-wechat"), "preview-wechat.png")
