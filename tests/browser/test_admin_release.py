"""An editor writes a release in the Wagtail admin, in a real headless Chromium:
title, digest, a paragraph in the body StreamField and a target account, saved as
a draft."""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cms.models import ReleasePage, Role
from tests.utils import (
    PASSWORD,
    make_account,
    make_managing_department,
    make_unit,
    make_user,
)

#: Kept in the repository (docs); written only when RONGMEI_SCREENSHOTS=1.
DOCS_SCREENSHOT = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "release-editor.png"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def newsroom():
    """A unit with an editor and a running Weibo account, built before the browser
    starts."""
    make_managing_department()
    unit = make_unit("教务处", "jwc")
    return {
        "unit": unit,
        "editor": make_user("bianji", roles=[(unit, Role.EDITOR)]),
        "account": make_account(unit, "weibo", name="教务处微博"),
    }


def test_editor_saves_a_release_draft_with_body_and_target(
    live_server, newsroom, page, shoot
):
    """An editor logs into the admin, which speaks Chinese, writes a release with
    a paragraph and a target account, and saves it as a draft in the unit's
    section."""
    unit, account = newsroom["unit"], newsroom["account"]
    page.goto(live_server.url + reverse("wagtailadmin_login"))
    page.fill("input[name=username]", newsroom["editor"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(live_server.url + reverse("wagtailadmin_home"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.locator("#wagtail-sidebar")).to_contain_text("页面")
    shoot("dashboard")

    add_url = reverse(
        "wagtailadmin_pages:add", args=("cms", "releasepage", unit.section.id)
    )
    page.goto(live_server.url + add_url)
    page.fill("#id_title", "关于期末考试安排的通知")
    page.fill("#id_digest", "期末考试将于一月中旬举行。")
    shoot("add")

    # The body: "+" opens the block menu; the paragraph is the pilcrow option.
    page.locator("#body-root .c-sf-add-button").first.click()
    page.locator("[role=option]:has(.icon-pilcrow)").click()
    editor = page.locator("#body-root [data-streamfield-child] [contenteditable=true]")
    expect(editor).to_have_count(1)
    editor.click()
    editor.press_sequentially("考试安排如下，请各学院通知到每位学生。")
    # Draftail copies its content into the block's hidden input a moment after
    # the last change: leave the editor and wait for it, or the save may miss it.
    page.locator("#id_digest").click()
    expect(page.locator("input[name='body-0-value']")).to_have_value(
        re.compile("考试安排如下")
    )
    shoot("paragraph")

    # The targets: "add" opens a form in the inline panel; pick the account.
    page.click("#id_targets-ADD")
    select = page.locator("#id_targets-0-account")
    expect(select).to_be_visible()
    select.select_option(str(account.pk))
    shoot("target")

    page.click("footer button.action-save")
    page.wait_for_url("**/admin/pages/*/edit/")
    expect(page.locator(".messages .success")).to_be_visible()
    release = ReleasePage.objects.get(title="关于期末考试安排的通知")
    shoot("saved")
    if os.environ.get("RONGMEI_SCREENSHOTS") == "1":
        # Tall enough to show the title down to the target accounts.
        page.set_viewport_size({"width": 1400, "height": 2800})
        page.locator("#id_title").scroll_into_view_if_needed()
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOT), animations="disabled")

    assert release.unit == unit
    assert release.get_parent().id == unit.section.id
    assert not release.live
    assert release.has_unpublished_changes
    assert release.owner == newsroom["editor"]
    assert release.digest == "期末考试将于一月中旬举行。"
    assert [block.block_type for block in release.body] == ["paragraph"]
    assert "考试安排如下，请各学院通知到每位学生。" in release.body[0].value.source
    assert [target.account for target in release.targets.all()] == [account]
