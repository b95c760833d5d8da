import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState

from cms.models import ReleasePage, Role
from moderation.workflows import CheckRun, Notification, finding_key
from tests.utils import make_managing_department, make_release, make_unit, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    xcb = make_managing_department()
    unit = make_unit("教务处", "jwc")
    people = {
        "editor": make_user("ed", roles=[(unit, Role.EDITOR)]),
        "first": make_user("first", roles=[(unit, Role.FIRST_REVIEWER)]),
        "second": make_user("second", roles=[(unit, Role.SECOND_REVIEWER)]),
        "final": make_user("final", roles=[(unit, Role.FINAL_REVIEWER)]),
        "head": make_user("head", roles=[(unit, Role.UNIT_HEAD)]),
        "xcb_final": make_user("xcbfinal", roles=[(xcb, Role.FINAL_REVIEWER)]),
    }
    return unit, people


def submit(release, user):
    workflow = release.get_workflow()
    assert workflow is not None and workflow.name == "三审"
    return workflow.start(release, user)


def current(release):
    release.refresh_from_db()
    state = release.current_workflow_task_state
    return state, state.task.specific if state else None


def approve(release, user, comment="同意。"):
    state, task = current(release)
    run = CheckRun.objects.filter(revision=state.revision).first()
    keys = [finding_key(f) for f in run.warning_findings] if run else []
    task.on_action(state, user, "approve", comment=comment, acknowledged=keys)


def stages(release):
    workflow_state = WorkflowState.objects.for_instance(release).last()
    return [
        (s.task.name, s.status)
        for s in TaskState.objects.filter(workflow_state=workflow_state).order_by("pk")
    ]


def test_normal_release_passes_checks_and_three_stages_then_is_published(org):
    """Automatic checks, 初审, 复审, 终审 by three people; the optional stages are
    skipped with a reason; the release goes live."""
    unit, p = org
    release = make_release(unit, user=p["editor"], title="期末考试安排的通知")
    submit(release, p["editor"])
    for who in ("first", "second", "final"):
        approve(release, p[who])
    release.refresh_from_db()
    assert release.live
    assert stages(release) == [
        ("自动检查", "approved"),
        ("初审", "approved"),
        ("复审", "approved"),
        ("终审", "approved"),
        ("负责人审批", "skipped"),
        ("管理部门审批", "skipped"),
    ]
    skipped = TaskState.objects.filter(status="skipped").first()
    assert skipped.comment


def test_major_release_needs_unit_head_and_managing_department(org):
    unit, p = org
    release = make_release(
        unit, user=p["editor"], importance=ReleasePage.Importance.MAJOR
    )
    submit(release, p["editor"])
    for who in ("first", "second", "final", "head"):
        approve(release, p[who])
    state, task = current(release)
    assert task.stage == "managing"
    # The unit's own final reviewer cannot decide the managing department's stage.
    with pytest.raises(PermissionDenied):
        task.on_action(state, p["final"], "approve", comment="同意")
    approve(release, p["xcb_final"])
    release.refresh_from_db()
    assert release.live


def test_sensitive_release_skips_unit_head_but_needs_managing_department(org):
    unit, p = org
    release = make_release(unit, user=p["editor"], is_sensitive=True)
    submit(release, p["editor"])
    for who in ("first", "second", "final"):
        approve(release, p[who])
    state, task = current(release)
    assert task.stage == "managing"
    assert ("负责人审批", "skipped") in stages(release)


def test_blocking_findings_send_the_release_back_with_the_findings(org):
    """A secrecy marker stops the submission at the automatic step."""
    unit, p = org
    release = make_release(
        unit,
        user=p["editor"],
        body=[("paragraph", "<p>本文件为机密★一年，内部资料。</p>")],
    )
    workflow_state = submit(release, p["editor"])
    workflow_state.refresh_from_db()
    assert workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    rejected = TaskState.objects.get(workflow_state=workflow_state, status="rejected")
    assert "机密" in rejected.comment


def test_nobody_approves_a_revision_they_wrote(org):
    unit, p = org
    release = make_release(unit, user=p["first"])
    submit(release, p["first"])
    state, task = current(release)
    with pytest.raises(PermissionDenied, match="wrote or edited|编辑"):
        task.on_action(state, p["first"], "approve", comment="同意")


def test_nobody_approves_two_stages_of_one_run(org):
    unit, p = org
    both = make_user(
        "both", roles=[(unit, Role.FIRST_REVIEWER), (unit, Role.SECOND_REVIEWER)]
    )
    release = make_release(unit, user=p["editor"])
    submit(release, p["editor"])
    approve(release, both)
    state, task = current(release)
    assert task.stage == "second"
    with pytest.raises(PermissionDenied, match="another stage|另一"):
        task.on_action(state, both, "approve", comment="同意")


def test_every_decision_needs_an_opinion(org):
    unit, p = org
    release = make_release(unit, user=p["editor"])
    submit(release, p["editor"])
    state, task = current(release)
    for action in ("approve", "reject"):
        with pytest.raises(PermissionDenied):
            task.on_action(state, p["first"], action, comment="  ")


def test_warnings_must_be_acknowledged(org):
    unit, p = org
    release = make_release(unit, title="震惊！刚刚发生的事", user=p["editor"])
    submit(release, p["editor"])
    state, task = current(release)
    with pytest.raises(PermissionDenied, match="warning|警告"):
        task.on_action(state, p["first"], "approve", comment="同意")
    approve(release, p["first"])


def test_rejection_notifies_editor_and_earlier_approvers(
    org, django_capture_on_commit_callbacks
):
    unit, p = org
    release = make_release(unit, user=p["editor"])
    submit(release, p["editor"])
    approve(release, p["first"])
    state, task = current(release)
    with django_capture_on_commit_callbacks(execute=True):
        task.on_action(state, p["second"], "reject", comment="数据来源不清，请补充。")
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"ed", "first"}
    assert any("数据来源不清" in m.body for m in mail.outbox)
    recipients = {r for m in mail.outbox for r in m.to}
    assert {"ed@example.cn", "first@example.cn"} <= recipients


def test_editing_during_review_requires_the_stages_again(org):
    """A new revision makes earlier approvals stale: the run goes back through
    the checks and the stages."""
    unit, p = org
    release = make_release(unit, user=p["editor"])
    submit(release, p["editor"])
    approve(release, p["first"])
    release.refresh_from_db()
    release.title = "改过的标题"
    release.save_revision(user=p["second"])
    state, task = current(release)
    assert task.stage == "second"
    # The second reviewer edited this version, so cannot approve it.
    with pytest.raises(PermissionDenied):
        task.on_action(state, p["second"], "approve", comment="同意")
    other = make_user("second2", roles=[(unit, Role.SECOND_REVIEWER)])
    approve(release, other)
    # The first stage's approval was for the old version: the run starts over.
    state, task = current(release)
    assert task.stage == "first"


def test_review_screen_keeps_the_opinion_when_refused(client, org):
    unit, p = org
    release = make_release(unit, user=p["first"])
    submit(release, p["first"])
    state, _task = current(release)
    client.force_login(p["first"])
    url = reverse("moderation_review", args=[state.pk])
    response = client.post(url, {"action": "approve", "comment": "我的意见原文"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的意见原文" in html
    assert 'role="alert"' in html


def test_my_reviews_lists_waiting_stage_and_review_record_exports(client, org):
    unit, p = org
    release = make_release(unit, user=p["editor"], title="待审稿件")
    submit(release, p["editor"])
    client.force_login(p["first"])
    html = client.get(reverse("moderation_my_reviews")).content.decode()
    assert "待审稿件" in html
    client.force_login(p["second"])
    assert (
        "待审稿件" not in client.get(reverse("moderation_my_reviews")).content.decode()
    )
    state, _task = current(release)
    client.force_login(p["first"])
    response = client.post(
        reverse("moderation_review", args=[state.pk]),
        {"action": "approve", "comment": "语言通顺。"},
    )
    assert response.status_code == 302
    record = reverse("moderation_review_record", args=[release.pk])
    assert "语言通顺" in client.get(record).content.decode()
    csv = client.get(record + "?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert "语言通顺" in csv.content.decode("utf-8-sig")


def test_checks_run_on_every_saved_revision(org):
    unit, p = org
    release = make_release(unit, user=p["editor"], title="突发！")
    run = CheckRun.objects.filter(release=release).first()
    assert run is not None and run.trigger == "save"
    assert run.warnings >= 1


def test_findings_know_their_place_in_the_text_but_personal_data_stays_masked(org):
    unit, p = org
    release = make_release(
        unit,
        user=p["editor"],
        body=[("paragraph", "<p>请联系11010519491231002X办理，已经再接再励。</p>")],
    )
    run = CheckRun.objects.filter(release=release).first()
    by_category = {f["category"]: f for f in run.findings}
    assert by_category["typo"]["place"][1] == "再接再励"
    assert by_category["privacy"]["place"] == []
    assert "11010519491231002X" not in str(run.findings)
