"""The admin side of deliveries: the release's 发布情况 panel, retry, cancel and
withdraw (撤稿) checked on the server, the delivery list and the watchdog's
list scoped to one's units, and the emergency stop (紧急停发) with its reason
and audit trail."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageLogEntry

from channels import engine
from channels.models import Delivery, PublishingPause, ReleaseTarget
from cms.models import Role
from tests.i18n import site_gettext, site_language, site_ngettext
from tests.utils import (
    make_account,
    make_managing_department,
    make_release,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db
Status = Delivery.Status

REASON = "标题含有平台禁用词：“最”"


@pytest.fixture
def world():
    """Two units, people with each role that matters, and a published release
    of the first unit."""
    managing = make_managing_department()
    jwc = make_unit("教务处", "jwc")
    xgb = make_unit("学工部", "xgb")
    editor = make_user("jwc-editor", roles=[(jwc, Role.EDITOR)])
    people = {
        "editor": editor,
        "other_editor": make_user("xgb-editor", roles=[(xgb, Role.EDITOR)]),
        "maintainer": make_user("jwc-maintainer", roles=[(jwc, Role.MAINTAINER)]),
        "archivist": make_user("jwc-archivist", roles=[(jwc, Role.ARCHIVIST)]),
        "final": make_user("jwc-final", roles=[(jwc, Role.FINAL_REVIEWER)]),
        "head": make_user("jwc-head", roles=[(jwc, Role.UNIT_HEAD)]),
        "other_head": make_user("xgb-head", roles=[(xgb, Role.UNIT_HEAD)]),
        "managing_head": make_user("xcb-head", roles=[(managing, Role.UNIT_HEAD)]),
        "managing_final": make_user(
            "xcb-final", roles=[(managing, Role.FINAL_REVIEWER)]
        ),
        "superuser": make_user("root", is_superuser=True),
    }
    release = make_release(jwc, "期末考试安排", publish=True)
    return {
        "managing": managing,
        "jwc": jwc,
        "xgb": xgb,
        "release": release,
        "weibo": make_account(jwc, "weibo", name="教务处微博"),
        **people,
    }


def deliver(release, account, status=Status.PLANNED, **fields):
    """A delivery of the release's live revision, made directly."""
    now = timezone.now()
    fields.setdefault("due_at", now)
    fields.setdefault("next_attempt_at", fields["due_at"])
    return Delivery.objects.create(
        release=release,
        revision=release.live_revision,
        account=account,
        status=status,
        **fields,
    )


def edit_url(release):
    return reverse("wagtailadmin_pages:edit", args=[release.pk])


def denied(response):
    """Whether Wagtail refused: a 403, or its redirect to the dashboard with
    "Sorry, you do not have permission" (what ``PermissionDenied`` becomes in
    admin views)."""
    if response.status_code == 403:
        return True
    return response.status_code == 302 and response["Location"] == reverse(
        "wagtailadmin_home"
    )


def texts(response):
    return [str(m).strip() for m in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------------------
# Retry and cancel


RETRY_WALK = [
    ("editor", True),
    ("other_editor", False),
    ("maintainer", True),
    ("archivist", False),
    ("superuser", True),
]


@pytest.mark.parametrize("person, allowed", RETRY_WALK)
def test_retry_needs_the_right_to_edit_or_to_maintain(client, world, person, allowed):
    """Whoever may edit the release, a maintainer of the account's unit and a
    superuser retry a failed delivery; an editor of another unit and an
    archivist are refused and nothing changes."""
    delivery = deliver(
        world["release"], world["weibo"], Status.FAILED, error_message=REASON
    )
    client.force_login(world[person])
    response = client.post(reverse("channels_delivery_retry", args=[delivery.pk]))
    delivery.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert response["Location"] == edit_url(world["release"])
        assert delivery.status == Status.PLANNED
        assert delivery.error_message == ""
    else:
        assert denied(response)
        assert delivery.status == Status.FAILED


@pytest.mark.parametrize("person, allowed", RETRY_WALK)
def test_cancel_needs_the_right_to_edit_or_to_maintain(client, world, person, allowed):
    """Cancelling a planned delivery follows the same rule as retrying."""
    delivery = deliver(world["release"], world["weibo"])
    client.force_login(world[person])
    response = client.post(reverse("channels_delivery_cancel", args=[delivery.pk]))
    delivery.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert delivery.status == Status.CANCELLED
    else:
        assert denied(response)
        assert delivery.status == Status.PLANNED


def test_retry_is_logged_and_said(client, world):
    """A retry goes back to planned, says so, returns to the page it came from
    and is written in the release's history."""
    delivery = deliver(
        world["release"],
        world["weibo"],
        Status.FAILED,
        attempts=8,
        error_message=REASON,
    )
    client.force_login(world["editor"])
    back = edit_url(world["release"]) + "#tab-content"
    response = client.post(
        reverse("channels_delivery_retry", args=[delivery.pk]), {"next": back}
    )
    assert response["Location"] == back
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PLANNED, 0)
    assert texts(response) == [
        site_gettext("%(account)s: it will be sent again.", account=str(world["weibo"]))
    ]
    entry = PageLogEntry.objects.get(
        page=world["release"], action="rongmei.delivery_retry"
    )
    assert entry.user == world["editor"]
    with site_language():
        assert entry.message == site_gettext(
            "Delivery to %(account_name)s sent again", account_name=str(world["weibo"])
        )


def test_retry_while_paused_says_it_waits(client, world):
    """Retrying during an emergency stop works and warns that it waits."""
    delivery = deliver(world["release"], world["weibo"], Status.FAILED)
    engine.pause_publishing(world["superuser"], "网络安全检查")
    client.force_login(world["editor"])
    response = client.post(reverse("channels_delivery_retry", args=[delivery.pk]))
    assert site_gettext(
        "Publishing is paused: it waits until the pause is lifted."
    ) in texts(response)


def test_a_refused_action_shows_the_engines_reason(client, world):
    """Cancelling a sent delivery is refused with the engine's words, not a 500."""
    delivery = deliver(world["release"], world["weibo"], Status.SENT)
    client.force_login(world["editor"])
    response = client.post(reverse("channels_delivery_cancel", args=[delivery.pk]))
    assert response.status_code == 302
    with site_language():
        status = str(Status.SENT.label)
    assert texts(response) == [
        site_gettext(
            "Only planned or failed deliveries can be cancelled; this one is "
            "%(status)s.",
            status=status,
        )
    ]
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    assert not PageLogEntry.objects.filter(action="rongmei.delivery_cancel").exists()


def test_actions_accept_only_post(client, world):
    """Retry and cancel change state, so a GET is refused."""
    delivery = deliver(world["release"], world["weibo"], Status.FAILED)
    client.force_login(world["editor"])
    assert (
        client.get(reverse("channels_delivery_retry", args=[delivery.pk])).status_code
        == 405
    )
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED


# ---------------------------------------------------------------------------
# Withdraw: who may, and what they are asked


WITHDRAW_WALK = [
    ("editor", False),
    ("other_editor", False),
    ("maintainer", False),
    ("archivist", False),
    ("final", True),
    ("managing_final", True),
    ("superuser", True),
]


@pytest.mark.parametrize("person, allowed", WITHDRAW_WALK)
def test_withdraw_needs_the_right_to_unpublish(client, world, person, allowed):
    """Only those who may publish and unpublish the release (final reviewers,
    the managing department's, superusers) reach the withdrawal; the others are
    refused on the confirmation page and on the POST alike."""
    delivery = deliver(world["release"], world["weibo"], Status.SENT)
    client.force_login(world[person])
    url = reverse("channels_delivery_withdraw", args=[delivery.pk])
    everything = reverse("channels_release_withdraw", args=[world["release"].pk])
    if allowed:
        assert client.get(url).status_code == 200
        assert client.get(everything).status_code == 200
    else:
        assert denied(client.get(url))
        assert denied(client.get(everything))
        assert denied(client.post(url))
        assert denied(client.post(everything))
        delivery.refresh_from_db()
        assert delivery.status == Status.SENT


def test_withdraw_confirmation_lists_what_will_be_deleted(client, world):
    """The confirmation of 撤稿 lists each sent post with its address, and
    leaves out what was never sent."""
    release = world["release"]
    sent = deliver(
        release,
        world["weibo"],
        Status.SENT,
        sent_at=timezone.now(),
        platform_url="https://weibo.example/jwc/1",
    )
    deliver(release, make_account(world["jwc"], "app", name="教务处App"), Status.FAILED)
    client.force_login(world["final"])
    response = client.get(reverse("channels_release_withdraw", args=[release.pk]))
    page = BeautifulSoup(response.content, "html.parser")
    rows = page.select("main table.listing tbody tr")
    assert len(rows) == 1
    assert "教务处微博" in rows[0].get_text()
    assert rows[0].find("a", href=sent.platform_url)
    assert page.find("form", method="post").find("button", type="submit")


def test_nothing_to_withdraw_goes_back_with_a_message(client, world):
    """Asking to withdraw a delivery that was not sent says so and changes
    nothing."""
    delivery = deliver(world["release"], world["weibo"], Status.FAILED)
    client.force_login(world["final"])
    response = client.get(reverse("channels_delivery_withdraw", args=[delivery.pk]))
    assert response.status_code == 302
    assert texts(response) == [site_gettext("Nothing sent is left to withdraw.")]


def test_a_failed_withdrawal_is_reported_and_the_post_stays_sent(client, world):
    """When the platform cannot be reached, the delivery stays sent and the
    person is told why."""
    account = make_account(
        world["jwc"],
        "weibo",
        name="离线微博",
        api_base_url="http://127.0.0.1:9",
        credentials={"access_token": "t"},
    )
    delivery = deliver(
        world["release"], account, Status.SENT, platform_id="4999000000000001"
    )
    client.force_login(world["final"])
    response = client.post(reverse("channels_delivery_withdraw", args=[delivery.pk]))
    assert response.status_code == 302
    (message,) = texts(response)
    assert "离线微博" in message
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    assert not PageLogEntry.objects.filter(action="rongmei.delivery_withdraw").exists()


# ---------------------------------------------------------------------------
# The release's panel


def test_panel_shows_partial_success_and_the_reason(client, world):
    """The release's 发布情况 shows "3 / 4 已发布" (a cancelled delivery is left
    out), each account with its status label, and the failed one's reason in
    plain words with a retry button."""
    release, jwc = world["release"], world["jwc"]
    for n in range(3):
        deliver(
            release,
            make_account(jwc, "weibo", name="微博%d" % n),
            Status.SENT,
            sent_at=timezone.now(),
            platform_url="https://weibo.example/%d" % n,
        )
    failed = deliver(
        release, make_account(jwc, "app", name="教务处App"), Status.FAILED,
        error_message=REASON,
    )  # fmt: skip
    deliver(release, make_account(jwc, "weibo", name="已取消微博"), Status.CANCELLED)
    client.force_login(world["editor"])
    response = client.get(edit_url(release))
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    panel = page.select_one(".rongmei-deliveries")
    summary = panel.select_one(".rongmei-deliveries-summary").get_text(" ", strip=True)
    assert site_gettext("%(sent)s / %(total)s published", sent=3, total=4) in summary
    row = panel.select_one('tr[data-delivery="%d"]' % failed.pk)
    with site_language():
        assert str(Status.FAILED.label) in row.get_text()
    assert REASON in row.get_text()
    retry = row.find("button", attrs={"data-action": "w-action#post"})
    assert retry["data-w-action-url-value"] == reverse(
        "channels_delivery_retry", args=[failed.pk]
    )
    assert panel.find("a", href="https://weibo.example/0")
    # An editor may not take posts down: no withdraw buttons for them.
    assert not panel.find(
        "a", href=reverse("channels_release_withdraw", args=[release.pk])
    )


def test_panel_offers_withdrawal_to_final_reviewers(client, world):
    """A final reviewer sees 撤稿 on each sent delivery and "withdraw all"."""
    release = world["release"]
    sent = deliver(release, world["weibo"], Status.SENT, sent_at=timezone.now())
    client.force_login(world["final"])
    page = BeautifulSoup(client.get(edit_url(release)).content, "html.parser")
    panel = page.select_one(".rongmei-deliveries")
    assert panel.find("a", href=reverse("channels_delivery_withdraw", args=[sent.pk]))
    assert panel.find("a", href=reverse("channels_release_withdraw", args=[release.pk]))


def test_panel_warns_while_publishing_is_paused(client, world):
    """The release's panel shows the emergency stop that holds its deliveries."""
    deliver(world["release"], world["weibo"])
    engine.pause_publishing(world["head"], "等待上级通知", unit=world["jwc"])
    client.force_login(world["editor"])
    page = BeautifulSoup(client.get(edit_url(world["release"])).content, "html.parser")
    banner = page.select_one(".rongmei-deliveries .rongmei-pause-banner")
    assert banner is not None and "等待上级通知" in banner.get_text()


# ---------------------------------------------------------------------------
# The delivery list, the watchdog's list and the dashboard


def test_delivery_list_shows_only_ones_units(client, world):
    """The list (发布任务) shows each person the deliveries of their units; the
    managing department and superusers see all."""
    deliver(world["release"], world["weibo"], Status.FAILED, error_message=REASON)
    other = make_release(world["xgb"], "奖学金评定", publish=True)
    deliver(other, make_account(world["xgb"], "weibo", name="学工部微博"))
    url = reverse("deliveries:index")

    def titles(user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        return {t for t in ("期末考试安排", "奖学金评定") if t in response.text}

    assert titles(world["editor"]) == {"期末考试安排"}
    assert titles(world["archivist"]) == {"期末考试安排"}
    assert titles(world["other_editor"]) == {"奖学金评定"}
    assert titles(world["managing_head"]) == {"期末考试安排", "奖学金评定"}
    assert titles(world["superuser"]) == {"期末考试安排", "奖学金评定"}


def test_delivery_list_filters_and_shows_the_reason(client, world):
    """Filtering by status keeps the failed delivery and shows its reason;
    filtering by account, platform and unit keeps only theirs."""
    deliver(world["release"], world["weibo"], Status.FAILED, error_message=REASON)
    second = make_release(world["jwc"], "新生报到", publish=True)
    deliver(second, world["weibo"], Status.SENT)
    client.force_login(world["editor"])
    response = client.get(reverse("deliveries:index"), {"status": "failed"})
    assert "期末考试安排" in response.text
    assert REASON in response.text
    assert "新生报到" not in response.text
    app = make_account(world["jwc"], "app", name="教务处App")
    deliver(make_release(world["jwc"], "图书馆闭馆", publish=True), app)
    for query in (
        {"account": app.pk},
        {"platform": "app"},
        {"unit": world["jwc"].pk, "platform": "app"},
    ):
        response = client.get(reverse("deliveries:index"), query)
        assert "图书馆闭馆" in response.text, query
        assert "新生报到" not in response.text, query


def test_delivery_list_is_read_only(client, world):
    """The list has no add, edit or delete; inspecting is scoped to one's units."""
    delivery = deliver(world["release"], world["weibo"])
    client.force_login(world["superuser"])
    assert client.get("/admin/publishing/deliveries/new/").status_code == 404
    inspect = reverse("deliveries:inspect", args=[delivery.pk])
    assert client.get(inspect).status_code == 200
    client.force_login(world["other_editor"])
    assert client.get(inspect).status_code == 404


def test_watchdog_lists_what_is_past_due_in_ones_units(client, world):
    """逾期 lists open deliveries past their time, to people of the unit only."""
    hour_ago = timezone.now() - timedelta(hours=1)
    deliver(world["release"], world["weibo"], due_at=hour_ago)
    url = reverse("channels_overdue")
    client.force_login(world["editor"])
    assert "期末考试安排" in client.get(url).text
    client.force_login(world["other_editor"])
    response = client.get(url)
    assert response.status_code == 200
    assert "期末考试安排" not in response.text


def test_dashboard_lists_failures_and_pauses(client, world):
    """The dashboard shows the unit's failed deliveries with their reason and
    a link to the release, and any emergency stop."""
    deliver(world["release"], world["weibo"], Status.FAILED, error_message=REASON)
    engine.pause_publishing(world["superuser"], "系统维护")
    client.force_login(world["editor"])
    page = BeautifulSoup(
        client.get(reverse("wagtailadmin_home")).content, "html.parser"
    )
    failures = page.select_one(".rongmei-failed-deliveries")
    assert REASON in failures.get_text()
    assert failures.find("a", href=edit_url(world["release"]))
    assert "系统维护" in page.select_one(".rongmei-pause-banner").get_text()
    client.force_login(world["other_editor"])
    page = BeautifulSoup(
        client.get(reverse("wagtailadmin_home")).content, "html.parser"
    )
    assert page.select_one(".rongmei-failed-deliveries") is None


# ---------------------------------------------------------------------------
# Emergency stop


def pause_url():
    return reverse("channels_pause_create")


def test_unit_head_pauses_their_unit_with_a_reason(client, world):
    """A unit head pauses their unit's publishing; the pause and its reason are
    recorded in the audit log."""
    client.force_login(world["head"])
    response = client.post(
        pause_url(), {"unit": world["jwc"].pk, "reason": "舆情处置，暂停发布"}
    )
    assert response.status_code == 302
    pause = PublishingPause.objects.get()
    assert (pause.unit, pause.reason, pause.started_by) == (
        world["jwc"],
        "舆情处置，暂停发布",
        world["head"],
    )
    entry = ModelLogEntry.objects.get(action="rongmei.publishing_pause")
    assert entry.object_id == str(pause.pk)
    assert entry.user == world["head"]
    assert entry.data["reason"] == "舆情处置，暂停发布"


@pytest.mark.parametrize(
    "person, scope, allowed",
    [
        ("head", "jwc", True),
        ("final", "jwc", True),
        ("head", "xgb", False),
        ("head", None, False),
        ("editor", "jwc", False),
        ("maintainer", "jwc", False),
        ("managing_head", None, True),
        ("managing_final", "xgb", True),
        ("superuser", None, True),
    ],
)
def test_who_may_pause(client, world, person, scope, allowed):
    """Pausing a unit needs its head or final reviewer (or the managing
    department's); pausing everything needs the managing department's head or
    final reviewer, or a superuser. The others are refused and nothing is paused."""
    client.force_login(world[person])
    unit = world[scope] if scope else None
    response = client.post(
        pause_url(), {"unit": unit.pk if unit else "", "reason": "演练"}
    )
    if allowed:
        assert response.status_code == 302
        assert PublishingPause.objects.get().unit == unit
    else:
        assert denied(response)
        assert not PublishingPause.objects.exists()


def test_pausing_needs_a_reason_and_keeps_what_was_typed(client, world):
    """A pause without a reason is refused with a message that says what is
    missing, the chosen unit still chosen, and nothing is paused."""
    client.force_login(world["managing_head"])
    for blank in ("", "   "):
        response = client.post(pause_url(), {"unit": world["xgb"].pk, "reason": blank})
        assert response.status_code == 200
        page = BeautifulSoup(response.content, "html.parser")
        selected = page.select_one("select[name=unit] option[selected]")
        assert selected["value"] == str(world["xgb"].pk)
        assert (
            site_gettext(
                "Say why publishing is paused: it is recorded and shown to everyone."
            )
            in page.get_text()
        )
    assert not PublishingPause.objects.exists()


def test_pausing_twice_keeps_the_reason_typed(client, world):
    """A second pause of the same scope is refused; the reason typed stays in
    the form."""
    engine.pause_publishing(world["head"], "第一次", unit=world["jwc"])
    client.force_login(world["head"])
    response = client.post(pause_url(), {"unit": world["jwc"].pk, "reason": "第二次"})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one("textarea[name=reason]").get_text().strip() == "第二次"
    assert site_gettext("Publishing is already paused there.") in page.get_text()
    assert PublishingPause.objects.count() == 1


def test_lifting_a_pause_is_recorded(client, world):
    """The unit head lifts their unit's pause; the lifting is logged and the
    pause moves to the past list."""
    pause = engine.pause_publishing(world["head"], "系统升级", unit=world["jwc"])
    url = reverse("channels_pause_lift", args=[pause.pk])
    client.force_login(world["editor"])
    assert denied(client.post(url))
    client.force_login(world["other_head"])
    assert denied(client.post(url))
    client.force_login(world["head"])
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.lifted_by == world["head"] and pause.lifted_at is not None
    assert ModelLogEntry.objects.filter(
        action="rongmei.publishing_resume", object_id=str(pause.pk)
    ).exists()
    page = BeautifulSoup(client.get(reverse("channels_pauses")).content, "html.parser")
    assert page.select_one(".rongmei-pauses-active") is None
    assert "系统升级" in page.select_one(".rongmei-pauses-past").get_text()


def test_a_unit_head_cannot_lift_an_organisation_wide_pause(client, world):
    """Only those who may pause everything lift an organisation-wide pause."""
    pause = engine.pause_publishing(world["managing_head"], "全局暂停")
    client.force_login(world["head"])
    assert denied(client.post(reverse("channels_pause_lift", args=[pause.pk])))
    client.force_login(world["managing_final"])
    assert (
        client.post(reverse("channels_pause_lift", args=[pause.pk])).status_code == 302
    )
    pause.refresh_from_db()
    assert not pause.is_active


def test_pause_list_and_menu_alert(client, world):
    """Everyone with a role sees the active pauses; the sidebar carries an alert
    while one is active, and only people who may pause get the button."""
    engine.pause_publishing(world["head"], "暂停原因甲", unit=world["jwc"])
    client.force_login(world["editor"])
    response = client.get(reverse("channels_pauses"))
    page = BeautifulSoup(response.content, "html.parser")
    assert "暂停原因甲" in page.select_one(".rongmei-pauses-active").get_text()
    assert not page.find("a", href=pause_url())
    home = client.get(reverse("wagtailadmin_home"))
    assert "publishing-paused" in home.text
    client.force_login(world["other_editor"])
    assert "publishing-paused" not in client.get(reverse("wagtailadmin_home")).text


# ---------------------------------------------------------------------------
# Withdrawal through the real adapters, against the platform sandbox


def send_now(release):
    """Run each of the release's deliveries through the engine until it is
    sent, as the dispatcher would."""
    for delivery in release.deliveries.all():
        for _ in range(5):
            if engine.claim_one(delivery.pk, "test-worker"):
                engine.run_delivery(delivery.pk, "test-worker")
            delivery.refresh_from_db()
            if delivery.status == Status.SENT:
                break
        assert delivery.status == Status.SENT, delivery.error_message


@pytest.fixture
def live_release(world, sandbox):
    """An urgent release sent to a Weibo account and to the app, both in the
    sandbox."""
    weibo = make_account(
        world["jwc"],
        "weibo",
        name="教务处沙箱微博",
        credentials={"access_token": "weibo-sandbox-token"},
        platform_account_id="1902538057",
        api_base_url=sandbox.base_url("weibo"),
    )
    app = make_account(
        world["jwc"],
        "app",
        name="教务处沙箱App",
        credentials={"webhook_url": sandbox.url + "/app/webhook", "secret": "s3cret"},
    )
    for account in (weibo, app):
        sandbox.register(account)
    release = make_release(
        world["jwc"],
        "校园开放日通知",
        publish=True,
        is_urgent=True,
        targets=[ReleaseTarget(account=weibo), ReleaseTarget(account=app)],
    )
    send_now(release)
    return release


def test_withdrawing_one_delivery_deletes_the_post(
    client, world, sandbox, live_release
):
    """撤稿 of one delivery deletes its post on the platform, marks it withdrawn
    by whom, and writes it in the release's history; the other post stays."""
    weibo = live_release.deliveries.get(account__platform="weibo")
    client.force_login(world["final"])
    response = client.post(reverse("channels_delivery_withdraw", args=[weibo.pk]))
    assert response.status_code == 302
    assert response["Location"] == edit_url(live_release)
    weibo.refresh_from_db()
    assert weibo.status == Status.WITHDRAWN
    assert weibo.withdrawn_by == world["final"]
    [post] = sandbox.published(platform="weibo")
    assert post["deleted"]
    assert not any(item["deleted"] for item in sandbox.published(platform="app"))
    entry = PageLogEntry.objects.get(
        page=live_release, action="rongmei.delivery_withdraw"
    )
    assert entry.user == world["final"]
    summary = engine.release_summary(live_release)
    assert (summary["sent"], summary["total"]) == (1, 2)


def test_withdrawing_everywhere_deletes_every_post(
    client, world, sandbox, live_release
):
    """ "Withdraw everywhere" deletes the posts on every platform and says how
    many."""
    client.force_login(world["superuser"])
    response = client.post(reverse("channels_release_withdraw", args=[live_release.pk]))
    assert response.status_code == 302
    assert texts(response) == [
        site_ngettext(
            "Withdrawn from %(count)d account.",
            "Withdrawn from %(count)d accounts.",
            2,
            count=2,
        )
    ]
    assert set(live_release.deliveries.values_list("status", flat=True)) == {
        Status.WITHDRAWN
    }
    published = sandbox.published()
    assert published and all(item["deleted"] for item in published)
    assert (
        PageLogEntry.objects.filter(
            page=live_release, action="rongmei.delivery_withdraw"
        ).count()
        == 2
    )
