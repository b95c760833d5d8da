"""The three-stage review (三审) of a release, in a real headless Chromium.

Each person has a browser context of their own and signs in with a password. The
editor submits from the page editor; the reviewers find the release in 待我审核
and decide on the review screen. The same rules are tested without a browser in
tests/moderation/test_workflow.py; here they are seen as the people see them.
"""

import os
import re
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect
from wagtail.models import TaskState, WorkflowState

from cms.models import ReleasePage, Role
from moderation.workflows import CheckRun, Notification, finding_key
from tests.utils import (
    PASSWORD,
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


def t(message, **kwargs):
    """``message`` in the admin's language, as the browser shows it."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % kwargs if kwargs else text


ALREADY_APPROVED = (
    "You already approved another stage of this review, and one person approves "
    "one stage only."
)
WROTE_IT = (
    "You wrote or edited this version of the release, so someone else must review it."
)


@pytest.fixture
def newsroom():
    """A unit with an editor and holders of each review role, built before the
    browser starts."""
    make_managing_department()
    unit = make_unit("教务处", "jwc")

    def person(username, name, *roles):
        return make_user(
            username, roles=[(unit, role) for role in roles], first_name=name
        )

    people = {
        "editor": person("bianji", "编辑", Role.EDITOR),
        "first": person("chushen", "初审员", Role.FIRST_REVIEWER),
        "first2": person("chushen2", "初审员乙", Role.FIRST_REVIEWER),
        "second": person("fushen", "复审员", Role.SECOND_REVIEWER),
        "final": person("zhongshen", "终审员", Role.FINAL_REVIEWER),
        "head": person("fuzeren", "负责人", Role.UNIT_HEAD),
        "both": person("jianren", "兼任", Role.FIRST_REVIEWER, Role.SECOND_REVIEWER),
    }
    return unit, people


@pytest.fixture
def sign_in(live_server, browser):
    """``sign_in(user)``: a browser context of the user's own, signed in with the
    password, on the dashboard. Any answer of the server from 400 up, except a
    404, fails the test."""
    failed = []

    def sign_in(user):
        context = browser.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.status != 404
                and failed.append(f"{user.username}: {r.status} {r.url}")
            ),
        )
        page.goto(live_server.url + reverse("wagtailadmin_login"))
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.login-form button[type=submit]")
        page.wait_for_url(live_server.url + reverse("wagtailadmin_home"))
        return page

    yield sign_in
    assert not failed, failed


@pytest.fixture
def snap(tmp_path):
    """``snap(page, name)``: a screenshot under tmp_path (or
    RONGMEI_SCREENSHOT_DIR), to look at."""
    folder = Path(os.environ.get("RONGMEI_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def snap(page, name, full_page=True):
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return snap


def docs_screenshot(page, name):
    if os.environ.get("RONGMEI_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / name), full_page=True, animations="disabled")


# -- in the browser -----------------------------------------------------------


def settle(page):
    """Wait until the page has stopped loading (icons, pings, autosave) before
    the test reads the database."""
    page.wait_for_load_state("networkidle")


def url(live_server, name, *args):
    return live_server.url + reverse(name, args=args)


def submit_from_editor(page, live_server, release, label):
    """Submit (or resubmit) from the editor's action menu, where the button waits
    in the dropdown next to “Save draft”."""
    edit_url = url(live_server, "wagtailadmin_pages:edit", release.pk)
    if page.url != edit_url:
        page.goto(edit_url)
    page.click("footer .w-dropdown__toggle")
    button = page.locator("footer button[name=action-submit]")
    expect(button).to_have_text(label)
    button.click()
    # Wagtail goes to the section's page listing, with a message.
    page.wait_for_url(url(live_server, "wagtailadmin_explore", release.get_parent().pk))
    expect(page.locator(".messages .success")).to_contain_text(release.title)
    settle(page)


def open_review(page, live_server, release, stage):
    """待我审核, then the release's row for ``stage``: the review screen."""
    page.goto(url(live_server, "moderation_my_reviews"))
    row = page.locator("table.listing tbody tr", has_text=release.title)
    expect(row.locator("td").nth(2)).to_have_text(stage)
    row.get_by_role("link", name=release.title).click()
    page.wait_for_url(re.compile(r"/admin/reviews/\d+/$"))
    expect(page.locator(".rongmei-review__text > h2")).to_have_text(release.title)


def decide(page, action, opinion, acknowledge=True):
    """Tick the warnings, write the opinion, approve or request changes."""
    if acknowledge:
        for box in page.locator("input[name=acknowledged]").all():
            box.check()
    page.fill("#id_comment", opinion)
    with page.expect_navigation():
        page.click(f"button[name=action][value={action}]")


def approve(page, live_server, release, stage, opinion):
    """Approve ``stage`` from 待我审核; back there with a message."""
    open_review(page, live_server, release, stage)
    decide(page, "approve", opinion)
    expect(page.locator(".messages .success")).to_contain_text(
        t("Approved: %(title)s", title=release.title)
    )
    expect(page).to_have_url(url(live_server, "moderation_my_reviews"))


def alert(page):
    return page.locator(".rongmei-review [role=alert]")


def for_you(page):
    """The dashboard's “For you” panel."""
    return page.locator("section[aria-labelledby=rongmei-notifications-title]")


# -- in the database ----------------------------------------------------------


def submit_in_db(release, user):
    """Start the review without a browser, for the journeys that begin later."""
    return release.get_workflow().start(release, user)


def approve_in_db(release, user, opinion):
    state = ReleasePage.objects.get(pk=release.pk).current_workflow_task_state
    run = CheckRun.objects.filter(revision=state.revision).first()
    state.task.specific.on_action(
        state,
        user,
        "approve",
        comment=opinion,
        acknowledged=[finding_key(f) for f in run.warning_findings] if run else [],
    )


def stages(release):
    """(stage, status) of every step of the release's latest review run."""
    workflow_state = WorkflowState.objects.for_instance(release).order_by("pk").last()
    return [
        (s.task.name, s.status)
        for s in workflow_state.task_states.order_by("started_at", "pk")
    ]


def current_stage(release):
    state = ReleasePage.objects.get(pk=release.pk).current_workflow_task_state
    return state.task.name if state else None


def record_rows(page, live_server, release):
    """The rows of the review record (审核单)."""
    page.goto(url(live_server, "moderation_review_record", release.pk))
    return page.locator("table.listing tbody tr")


# -- the journeys -------------------------------------------------------------


def test_three_reviewers_approve_and_the_release_is_published(
    live_server, newsroom, sign_in, snap
):
    """The editor submits from the editor; the checks pass; 初审, 复审 and 终审
    are decided by three people from 待我审核; the release is live, and the review
    record lists the three opinions and the two stages skipped."""
    unit, p = newsroom
    release = make_release(unit, user=p["editor"], title="关于期末考试安排的通知")

    editor = sign_in(p["editor"])
    submit_from_editor(
        editor,
        live_server,
        release,
        t("Submit to %(workflow_name)s", workflow_name="三审"),
    )
    snap(editor, "1-submitted")
    assert stages(release) == [("自动检查", "approved"), ("初审", "in_progress")]
    assert CheckRun.objects.filter(release=release, trigger="submit").exists()

    # The first reviewer is told on the dashboard, and follows it to 待我审核.
    first = sign_in(p["first"])
    for_you(first).get_by_role("link").click()
    first.wait_for_url(url(live_server, "moderation_my_reviews"))
    rows = first.locator("table.listing tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(release.title)
    settle(first)
    snap(first, "2-my-reviews")
    docs_screenshot(first, "my-reviews.png")
    approve(first, live_server, release, "初审", "语言通顺，格式规范。")
    expect(first.locator("#main")).to_contain_text(
        t("Nothing is waiting for your review.")
    )

    second = sign_in(p["second"])
    approve(second, live_server, release, "复审", "数据与来源核实无误。")
    final = sign_in(p["final"])
    approve(final, live_server, release, "终审", "导向正确，同意发布。")
    settle(final)

    release = ReleasePage.objects.get(pk=release.pk)
    assert release.live and not release.has_unpublished_changes
    assert stages(release) == [
        ("自动检查", "approved"),
        ("初审", "approved"),
        ("复审", "approved"),
        ("终审", "approved"),
        ("负责人审批", "skipped"),
        ("管理部门审批", "skipped"),
    ]

    # The public page.
    editor.goto(live_server.url + release.get_url())
    expect(editor.locator("h1#release-title")).to_have_text(release.title)

    # The review record, as the editor sees it: who decided, and what they said.
    rows = record_rows(editor, live_server, release)
    expect(rows).to_have_count(6)
    snap(editor, "3-record")
    for row, expected in zip(
        range(1, 4),
        [
            ("初审", "初审员", "语言通顺，格式规范。"),
            ("复审", "复审员", "数据与来源核实无误。"),
            ("终审", "终审员", "导向正确，同意发布。"),
        ],
        strict=True,
    ):
        stage, reviewer, opinion = expected
        cells = rows.nth(row).locator("td")
        expect(cells.nth(0)).to_have_text(stage)
        expect(cells.nth(1)).to_have_text(t("Approved"))
        expect(cells.nth(2)).to_have_text(reviewer)
        expect(cells.nth(4)).to_have_text(opinion)
    skipped = TaskState.objects.filter(status="skipped").order_by("pk")
    for row, stage, state in zip((4, 5), ("负责人审批", "管理部门审批"), skipped):
        cells = rows.nth(row).locator("td")
        expect(cells.nth(0)).to_have_text(stage)
        expect(cells.nth(1)).to_have_text(t("Skipped"))
        expect(cells.nth(4)).to_have_text(state.comment)  # why


def test_approving_needs_an_opinion_and_each_warning_acknowledged(
    live_server, newsroom, sign_in, snap
):
    """A clickbait title draws a warning. Approving needs an opinion (the browser
    asks for one, then the server for a blank one) and the warning ticked; what
    was typed stays when refused."""
    unit, p = newsroom
    release = make_release(unit, user=p["editor"], title="震惊！刚刚发生的期末考试调整")
    submit_in_db(release, p["editor"])
    warnings = CheckRun.objects.filter(release=release).first().warning_findings
    assert warnings

    first = sign_in(p["first"])
    open_review(first, live_server, release, "初审")
    review_url = first.url
    boxes = first.locator("input[name=acknowledged]")
    expect(boxes).to_have_count(len(warnings))
    expect(first.locator(".rongmei-review__findings")).to_contain_text(
        warnings[0]["message"]
    )
    opinion = first.locator("#id_comment")
    opinion.fill("标题用语不当，建议修改，其余可以。")
    opinion.blur()
    settle(first)
    snap(first, "review-screen")
    docs_screenshot(first, "review-screen.png")

    # No opinion: the browser does not send the form.
    opinion.fill("")
    first.click("button[name=action][value=approve]")
    assert opinion.evaluate("el => el.validity.valueMissing")
    assert first.url == review_url
    # A blank one: the server asks for it.
    decide(first, "approve", "   ", acknowledge=False)
    expect(first.locator(".error-message")).to_have_text(
        t("Write your review opinion: every decision needs one.")
    )
    expect(alert(first)).to_have_count(0)

    # An opinion, the warning not ticked: refused, and the opinion stays.
    expect(boxes.first).not_to_be_checked()
    opinion.fill("标题用语不当，建议修改，其余可以。")
    with first.expect_navigation():
        first.click("button[name=action][value=approve]")
    expect(alert(first)).to_contain_text(
        t("Acknowledge each warning before approving: %(list)s", list="")
    )
    expect(alert(first)).to_contain_text(warnings[0]["message"])
    expect(opinion).to_have_value("标题用语不当，建议修改，其余可以。")
    snap(first, "review-refused-warning")
    settle(first)
    assert current_stage(release) == "初审"

    # Ticked: approved, with the warnings acknowledged on the record.
    decide(first, "approve", "标题用语不当，建议修改，其余可以。")
    expect(first.locator(".messages .success")).to_be_visible()
    settle(first)
    assert current_stage(release) == "复审"
    row = record_rows(first, live_server, release).nth(1)
    expect(row.locator("td").nth(6)).to_have_text(str(len(warnings)))


def test_an_important_release_also_goes_to_the_unit_head(
    live_server, newsroom, sign_in, snap
):
    """After 终审 an important release waits for 负责人审批, which the unit head
    decides on the review screen; 管理部门审批 is skipped."""
    unit, p = newsroom
    release = make_release(
        unit,
        user=p["editor"],
        title="关于调整寒假放假时间的通知",
        importance=ReleasePage.Importance.IMPORTANT,
    )
    submit_in_db(release, p["editor"])
    approve_in_db(release, p["first"], "语言通顺。")
    approve_in_db(release, p["second"], "事实无误。")

    final = sign_in(p["final"])
    approve(final, live_server, release, "终审", "同意，报负责人审批。")
    settle(final)
    assert current_stage(release) == "负责人审批"
    assert not ReleasePage.objects.get(pk=release.pk).live

    head = sign_in(p["head"])
    expect(for_you(head)).to_be_visible()
    open_review(head, live_server, release, "负责人审批")
    row_url = head.url
    decide(head, "approve", "同意发布。")
    if head.url == row_url and alert(head).count():
        # Refused: said in the alert, the opinion kept, nothing decided.
        expect(head.locator("#id_comment")).to_have_value("同意发布。")
        snap(head, "head-refused")
        settle(head)
        assert current_stage(release) == "负责人审批"
        pytest.fail(
            "moderation: the unit head's approval, the last of the run, is refused "
            "with “%s”: publishing at the end of the workflow uses the last "
            "approver's page permissions, and 部门负责人 has no publish "
            "permission (cms/roles.py)" % alert(head).inner_text()
        )
    expect(head.locator(".messages .success")).to_be_visible()
    settle(head)
    assert ReleasePage.objects.get(pk=release.pk).live
    assert stages(release)[-2:] == [
        ("负责人审批", "approved"),
        ("管理部门审批", "skipped"),
    ]
    rows = record_rows(head, live_server, release)
    expect(rows.nth(4)).to_contain_text("负责人")
    expect(rows.nth(4)).to_contain_text("同意发布。")
    expect(rows.nth(5).locator("td").nth(1)).to_have_text(t("Skipped"))


def test_separation_of_duties_is_explained_on_the_review_screen(
    live_server, newsroom, sign_in, snap
):
    """One person approves one stage only; nobody approves a version they edited.
    Each refusal says why in the alert, and keeps the opinion typed."""
    unit, p = newsroom
    release = make_release(unit, user=p["editor"], title="关于图书馆开放时间的通知")
    submit_in_db(release, p["editor"])

    # 兼任 holds the first and the second reviewer's roles.
    both = sign_in(p["both"])
    approve(both, live_server, release, "初审", "语言通顺。")
    open_review(both, live_server, release, "复审")
    expect(alert(both)).to_have_text(t(ALREADY_APPROVED))  # said before deciding
    decide(both, "approve", "事实核实无误。")
    expect(alert(both)).to_have_text(t(ALREADY_APPROVED))
    expect(both.locator("#id_comment")).to_have_value("事实核实无误。")
    snap(both, "refused-two-stages")
    settle(both)
    assert current_stage(release) == "复审"

    # The second reviewer edits the digest in the editor, then cannot approve.
    second = sign_in(p["second"])
    open_review(second, live_server, release, "复审")
    expect(alert(second)).to_have_count(0)
    second.get_by_role("link", name=t("Open in the editor")).click()
    edit_url = url(live_server, "wagtailadmin_pages:edit", release.pk)
    second.wait_for_url(edit_url)
    second.fill("#id_digest", "图书馆寒假期间开放时间调整。")
    second.click("footer button.action-save")
    expect(second.locator(".messages .success")).to_be_visible()
    open_review(second, live_server, release, "复审")
    expect(alert(second)).to_have_text(t(WROTE_IT))
    decide(second, "approve", "同意。")
    expect(alert(second)).to_have_text(t(WROTE_IT))
    expect(second.locator("#id_comment")).to_have_value("同意。")
    snap(second, "refused-edited")
    settle(second)
    assert current_stage(release) == "复审"
    latest = ReleasePage.objects.get(pk=release.pk).get_latest_revision()
    assert latest.user == p["second"]
    assert latest.as_object().digest == "图书馆寒假期间开放时间调整。"


def test_changes_requested_then_the_edited_version_is_reviewed_again(
    live_server, newsroom, sign_in, snap
):
    """复审 sends the release back with an opinion: the editor and the first
    reviewer are told on their dashboards and by email. The editor edits and
    resubmits from the editor; the edited version goes through 复审, the checks,
    初审 and 终审 again, and goes live."""
    unit, p = newsroom
    release = make_release(unit, user=p["editor"], title="关于校园网升级的通知")
    workflow_state = submit_in_db(release, p["editor"])
    approve_in_db(release, p["first"], "语言通顺。")
    opinion = "升级时间与信息中心的通知不一致，请核实。"

    second = sign_in(p["second"])
    open_review(second, live_server, release, "复审")
    decide(second, "reject", opinion)
    expect(second.locator(".messages .success")).to_contain_text(
        t("Sent back: %(title)s", title=release.title)
    )
    expect(second).to_have_url(url(live_server, "moderation_my_reviews"))
    settle(second)
    workflow_state.refresh_from_db()
    assert workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    # The email of the review (Wagtail also sends its own to the submitter).
    (email,) = [
        m
        for m in mail.outbox
        if m.subject == t("[Rongmei] Sent back: %(title)s", title=release.title)
    ]
    assert sorted(email.to) == ["bianji@example.cn", "chushen@example.cn"]
    assert opinion in email.body
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "bianji",
        "chushen",
    ]

    # Told on the dashboard: the first reviewer and the editor, not the second.
    first = sign_in(p["first"])
    expect(for_you(first)).to_contain_text(opinion)
    second.goto(url(live_server, "wagtailadmin_home"))
    expect(second.locator("#main")).not_to_contain_text(opinion)
    editor = sign_in(p["editor"])
    expect(for_you(editor)).to_contain_text("复审")
    expect(for_you(editor)).to_contain_text(opinion)
    snap(editor, "told")

    # The editor follows the notice to the editor, edits and resubmits.
    for_you(editor).get_by_role("link", name=re.compile(re.escape(opinion))).click()
    editor.wait_for_url(url(live_server, "wagtailadmin_pages:edit", release.pk))
    editor.fill("#id_digest", "校园网将于一月十日零时起升级，届时暂停服务。")
    submit_from_editor(
        editor, live_server, release, t("Resubmit to %(task_name)s", task_name="复审")
    )
    assert current_stage(release) == "复审"

    # Wagtail resumes at the stage that sent it back, then starts over.
    approve(second, live_server, release, "复审", "已与信息中心核实，一致。")
    settle(second)
    latest = ReleasePage.objects.get(pk=release.pk).get_latest_revision()
    assert latest.user == p["editor"]
    assert CheckRun.objects.filter(revision=latest, trigger="submit").exists()
    assert current_stage(release) == "初审"

    # The first reviewer approved 初审 of the earlier version in this run.
    open_review(first, live_server, release, "初审")
    refused_again = alert(first).count() > 0
    if refused_again:
        expect(alert(first)).to_have_text(t(ALREADY_APPROVED))
        first2 = sign_in(p["first2"])
        approve(first2, live_server, release, "初审", "语言通顺。")
    else:
        decide(first, "approve", "语言通顺。")
        expect(first.locator(".messages .success")).to_be_visible()
    final = sign_in(p["final"])
    approve(final, live_server, release, "终审", "同意发布。")
    settle(final)

    release = ReleasePage.objects.get(pk=release.pk)
    assert release.live
    assert release.digest == "校园网将于一月十日零时起升级，届时暂停服务。"
    assert stages(release) == [
        ("自动检查", "approved"),
        ("初审", "approved"),
        ("复审", "rejected"),
        ("复审", "approved"),
        ("自动检查", "approved"),
        ("初审", "approved"),
        ("终审", "approved"),
        ("负责人审批", "skipped"),
        ("管理部门审批", "skipped"),
    ]
    rows = record_rows(final, live_server, release)
    expect(rows).to_have_count(9)
    expect(rows.nth(2)).to_contain_text(opinion)
    snap(final, "record-after-rejection")
    if refused_again:
        pytest.fail(
            "moderation.review.refusal: after changes were requested and the edited "
            "version resubmitted, the first reviewer cannot approve 初审 again (“"
            + t(ALREADY_APPROVED)
            + "”): their approval of the earlier version, in the same run, counts "
            "as another stage. The rest of the journey passed (初审员乙 approved)."
        )


def test_blocking_findings_send_the_release_back_at_once(
    live_server, newsroom, sign_in, snap
):
    """A secrecy marking stops the release at the automatic checks: it is back
    with its editor at once, who sees the finding."""
    unit, p = newsroom
    release = make_release(
        unit,
        user=p["editor"],
        title="关于档案管理的通知",
        body=[("paragraph", "<p>本文件为机密★一年，请勿外传。</p>")],
    )
    editor = sign_in(p["editor"])
    submit_from_editor(
        editor,
        live_server,
        release,
        t("Submit to %(workflow_name)s", workflow_name="三审"),
    )
    workflow_state = WorkflowState.objects.for_instance(release).get()
    assert workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert stages(release) == [("自动检查", "rejected")]
    comment = workflow_state.current_task_state.comment
    assert "机密★一年" in comment

    editor.goto(url(live_server, "wagtailadmin_home"))
    expect(for_you(editor)).to_contain_text("自动检查")
    expect(for_you(editor)).to_contain_text("机密★一年")
    snap(editor, "blocked-dashboard")
    editor.goto(url(live_server, "wagtailadmin_pages:edit", release.pk))
    editor.click("button[data-side-panel-toggle='status']")
    # The status panel's details: the step that sent it back, and why.
    editor.get_by_text(t("View details")).click()
    rejected = editor.locator(
        "#workflow-status-dialog .workflow-timeline__item--rejected"
    )
    expect(rejected).to_contain_text("自动检查")
    expect(rejected).to_contain_text("机密★一年")
    snap(editor, "blocked-details", full_page=False)
