"""The delivery engine's planning, claiming and people's actions.

Sending through real adapters over HTTP is tested in test_delivery_flow.py.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from wagtail.models import PageLogEntry

from channels import engine
from channels.models import Account, Delivery, DeliveryAttempt, ReleaseTarget
from tests.utils import make_account, make_release, make_unit, make_user

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = Delivery.Status


def release_to(unit, accounts, **kwargs):
    kwargs.setdefault("publish", True)
    return make_release(
        unit, targets=[ReleaseTarget(account=a) for a in accounts], **kwargs
    )


@pytest.fixture
def unit():
    return make_unit()


def test_publishing_plans_one_delivery_per_target(unit):
    """Publishing a release plans one delivery per target account, once."""
    accounts = [make_account(unit, "weibo"), make_account(unit, "app")]
    release = release_to(unit, accounts, is_urgent=True)
    deliveries = list(release.deliveries.all())
    assert {d.account_id for d in deliveries} == {a.pk for a in accounts}
    assert all(d.status == Status.PLANNED for d in deliveries)
    assert all(d.kind == Delivery.Kind.PUBLISH for d in deliveries)
    revision = release.live_revision
    assert engine.plan_deliveries(release, revision) == []
    assert release.deliveries.count() == 2


def test_scheduled_publish_plans_only_when_live(unit):
    """A publish with a future go-live time plans nothing until it goes live."""
    account = make_account(unit, "weibo")
    release = release_to(unit, [account], publish=False)
    revision = release.save_revision()
    release.go_live_at = timezone.now() + timedelta(hours=2)
    revision = release.save_revision()
    revision.publish()
    assert not Delivery.objects.filter(release=release).exists()


def test_urgent_release_is_due_at_once(unit):
    """Urgent releases are due now, whatever the windows say."""
    account = make_account(unit, "wechat_oa")
    before = timezone.now()
    release = release_to(unit, [account], is_urgent=True)
    delivery = release.deliveries.get()
    assert before <= delivery.due_at <= timezone.now()
    assert delivery.is_urgent


def test_ordinary_release_gets_the_next_window(unit):
    """An ordinary release to WeChat is due inside one of its windows."""
    account = make_account(unit, "wechat_oa")
    release = release_to(unit, [account])
    due = release.deliveries.get().due_at.astimezone(SHANGHAI)
    windows = [(7, 9), (12, 14), (19, 22)]
    assert any(start <= due.hour < end for start, end in windows)


def test_spacing_separates_two_releases_to_one_account(unit):
    """Two releases to the same account keep the account's minimum spacing."""
    account = make_account(unit, "weibo", min_spacing_minutes=90)
    first = release_to(unit, [account]).deliveries.get()
    second = release_to(unit, [account]).deliveries.get()
    assert abs(second.due_at - first.due_at) >= timedelta(minutes=90)


def test_requested_time_and_reason_are_recorded(unit):
    """An editor's own time and reason travel to the delivery."""
    account = make_account(unit, "wechat_oa")
    at = timezone.now() + timedelta(days=1)
    release = make_release(
        unit,
        publish=True,
        targets=[
            ReleaseTarget(account=account, requested_at=at, off_window_reason="发布会")
        ],
    )
    delivery = release.deliveries.get()
    assert delivery.due_at == at
    assert delivery.requested_at == at
    assert delivery.off_window_reason == "发布会"


def test_requested_time_problems_names_the_window(unit):
    """A time outside the windows is reported so the form can ask for a reason."""
    account = make_account(unit, "wechat_oa")
    at = datetime(2026, 11, 24, 3, 0, tzinfo=SHANGHAI)
    assert engine.requested_time_problems(account, at)
    ok = datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    assert engine.requested_time_problems(account, ok) == []


def test_new_revision_after_sending_makes_an_update(unit):
    """A new revision of a sent release makes update deliveries; platforms
    that cannot edit a post get a cancelled one that says why."""
    app = make_account(unit, "app")
    weibo = make_account(unit, "weibo")
    release = release_to(unit, [app, weibo], is_urgent=True)
    release.deliveries.update(status=Status.SENT, sent_at=timezone.now())
    release.title = "更正后的标题"
    release.save_revision().publish()
    release.refresh_from_db()
    newest = release.deliveries.filter(revision=release.live_revision)
    assert newest.get(account=app).kind == Delivery.Kind.UPDATE
    assert newest.get(account=app).status == Status.PLANNED
    weibo_update = newest.get(account=weibo)
    assert weibo_update.status == Status.CANCELLED
    assert weibo_update.error_message


def test_new_revision_replaces_unstarted_deliveries(unit):
    """A delivery that has not started is replaced by the newer revision's."""
    account = make_account(unit, "weibo")
    release = release_to(unit, [account])
    old = release.deliveries.get()
    release.title = "新标题"
    release.save_revision().publish()
    old.refresh_from_db()
    assert old.status == Status.CANCELLED
    assert release.deliveries.filter(status=Status.PLANNED).count() == 1


def test_unpublishing_cancels_what_has_not_started(unit):
    """Unpublishing a release cancels its planned deliveries."""
    account = make_account(unit, "weibo")
    release = release_to(unit, [account])
    release.unpublish()
    assert release.deliveries.get().status == Status.CANCELLED


def test_account_not_running_gets_a_cancelled_delivery(unit):
    """A suspended account's delivery is cancelled with the reason."""
    account = make_account(unit, "weibo")
    release = release_to(unit, [account], publish=False)
    Account.objects.filter(pk=account.pk).update(status=Account.Status.DORMANT)
    release.save_revision().publish()
    delivery = release.deliveries.get()
    assert delivery.status == Status.CANCELLED
    assert delivery.error_message


def _due_now(unit, accounts):
    release = release_to(unit, accounts, is_urgent=True)
    return list(release.deliveries.order_by("pk"))


def test_claim_is_exclusive(unit):
    """A due delivery is claimed by one worker only."""
    (delivery,) = _due_now(unit, [make_account(unit, "weibo")])
    assert engine.claim_due("a", 10) == [delivery.pk]
    assert engine.claim_due("b", 10) == []
    delivery.refresh_from_db()
    assert delivery.claimed_by == "a"


def test_claim_keeps_one_in_flight_per_account(unit):
    """Two due deliveries to one account go one after the other."""
    account = make_account(unit, "weibo")
    first = _due_now(unit, [account])[0]
    _due_now(unit, [account])
    assert engine.claim_due("a", 10) == [first.pk]


def test_claim_respects_platform_caps(unit, settings):
    """No more deliveries of a platform are in flight than its cap."""
    settings.RONGMEI_PLATFORM_CONCURRENCY = {"weibo": 2}
    accounts = [make_account(unit, "weibo") for _ in range(5)]
    _due_now(unit, accounts)
    assert len(engine.claim_due("a", 10)) == 2
    assert engine.claim_due("b", 10) == []


def test_claim_skips_cooling_accounts(unit):
    """An account in a rate-limit cooldown gets nothing until it ends."""
    account = make_account(unit, "weibo")
    _due_now(unit, [account])
    Account.objects.filter(pk=account.pk).update(
        cooldown_until=timezone.now() + timedelta(minutes=5)
    )
    assert engine.claim_due("a", 10) == []


def test_pause_holds_deliveries_and_lifting_resumes_in_order(unit):
    """An emergency stop holds deliveries; lifting it releases them in order."""
    other = make_unit()
    user = make_user(is_superuser=True)
    mine = _due_now(unit, [make_account(unit, "weibo")])
    theirs = _due_now(other, [make_account(other, "weibo")])
    pause = engine.pause_publishing(user, "网络安全事件", unit=unit)
    assert engine.claim_due("a", 10) == [theirs[0].pk]
    everything = engine.pause_publishing(user, "全局暂停")
    assert engine.claim_due("b", 10) == []
    engine.lift_pause(everything, user)
    engine.lift_pause(pause, user)
    assert engine.claim_due("c", 10) == [mine[0].pk]
    actions = set(PageLogEntry.objects.values_list("action", flat=True))
    assert "rongmei.delivery_retry" not in actions


def test_pause_needs_a_reason(unit):
    """Pausing without a reason is refused."""
    with pytest.raises(engine.DeliveryActionError):
        engine.pause_publishing(make_user(is_superuser=True), "  ")


def test_lost_worker_makes_the_delivery_unconfirmed(unit):
    """A delivery left sending by a dead worker becomes unconfirmed, not resent."""
    (delivery,) = _due_now(unit, [make_account(unit, "weibo")])
    past = timezone.now() - timedelta(seconds=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING, claimed_by="dead", lease_until=past, attempts=1
    )
    assert engine.recover_lost() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.UNCONFIRMED
    assert delivery.claimed_by == ""
    assert DeliveryAttempt.objects.filter(delivery=delivery, action="recover").exists()


def test_claim_uses_skip_locked_where_the_database_has_it(unit):
    """PostgreSQL claims with SKIP LOCKED; SQLite with a conditional update."""
    (delivery,) = _due_now(unit, [make_account(unit, "weibo")])
    expected = connection.vendor == "postgresql"
    assert connection.features.has_select_for_update_skip_locked is expected
    assert engine.claim_due("a", 1) == [delivery.pk]


def test_retry_and_cancel_follow_the_state(unit):
    """Only failed or cancelled deliveries retry; sent ones cannot be cancelled."""
    user = make_user(is_superuser=True)
    (delivery,) = _due_now(unit, [make_account(unit, "weibo")])
    with pytest.raises(engine.DeliveryActionError):
        engine.retry_delivery(delivery, user)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.FAILED, error_message="20019", attempts=3
    )
    delivery.refresh_from_db()
    delivery = engine.retry_delivery(delivery, user)
    assert delivery.status == Status.PLANNED
    assert delivery.attempts == 0
    assert delivery.error_message == ""
    engine.cancel_delivery(delivery, user)
    delivery.refresh_from_db()
    assert delivery.status == Status.CANCELLED
    Delivery.objects.filter(pk=delivery.pk).update(status=Status.SENT)
    delivery.refresh_from_db()
    with pytest.raises(engine.DeliveryActionError):
        engine.cancel_delivery(delivery, user)
    actions = set(PageLogEntry.objects.values_list("action", flat=True))
    assert {"rongmei.delivery_retry", "rongmei.delivery_cancel"} <= actions


def test_release_summary_counts_the_latest_per_account(unit):
    """The summary shows sent of total, leaving cancelled ones out."""
    accounts = [make_account(unit, "weibo") for _ in range(4)]
    release = release_to(unit, accounts, is_urgent=True)
    deliveries = list(release.deliveries.order_by("pk"))
    for delivery in deliveries[:3]:
        delivery.status = Status.SENT
        delivery.save()
    summary = engine.release_summary(release)
    assert (summary["sent"], summary["total"]) == (3, 4)
    deliveries[3].status = Status.CANCELLED
    deliveries[3].save()
    summary = engine.release_summary(release)
    assert (summary["sent"], summary["total"]) == (3, 3)


def test_a_time_outside_the_windows_needs_a_reason(unit):
    """The release form refuses an off-window time without a reason, naming
    what is wrong, and accepts it with one."""
    from django.core.exceptions import ValidationError

    account = make_account(unit, "wechat_oa")
    release = make_release(unit)
    night = datetime(2030, 11, 25, 3, 0, tzinfo=SHANGHAI)
    target = ReleaseTarget(release=release, account=account, requested_at=night)
    with pytest.raises(ValidationError) as refused:
        target.full_clean()
    assert "off_window_reason" in refused.value.message_dict
    target.off_window_reason = "配合凌晨的新闻发布会"
    target.full_clean()
    morning = datetime(2030, 11, 25, 8, 0, tzinfo=SHANGHAI)
    ReleaseTarget(release=release, account=account, requested_at=morning).full_clean()
