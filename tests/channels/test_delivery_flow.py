"""Deliveries end to end: the engine, the real adapters and the sandbox over HTTP."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from channels import engine, tasks
from channels.models import Account, Delivery, ReleaseTarget
from channels.signals import delivery_failed, delivery_sent, delivery_withdrawn
from tests.utils import (
    make_account,
    make_image,
    make_release,
    make_unit,
    make_user,
    make_video,
)

pytestmark = pytest.mark.django_db
Status = Delivery.Status

CREDENTIALS = {
    "wechat_oa": {"app_id": "wxflow0001", "app_secret": "flow-secret"},
    "weibo": {"access_token": "weibo-flow-token"},
    "douyin": {
        "client_key": "ck-flow",
        "client_secret": "cs-flow",
        "access_token": "dy-flow-at",
        "refresh_token": "dy-flow-rt",
        "open_id": "open-flow",
    },
}


@pytest.fixture
def unit():
    return make_unit()


@pytest.fixture
def editor(unit):
    return make_user(username="editor", is_superuser=True)


def live_account(sandbox, unit, platform, **kwargs):
    credentials = CREDENTIALS.get(platform) or {
        "webhook_url": sandbox.url + "/app/webhook",
        "secret": "app-flow-secret",
    }
    account = make_account(
        unit,
        platform,
        credentials=credentials,
        api_base_url=sandbox.base_url(platform),
        platform_account_id="open-flow" if platform == "douyin" else "5000000001",
        is_verified=True,
        **kwargs,
    )
    sandbox.register(account)
    return account


def publish_to(unit, accounts, user=None, **kwargs):
    return make_release(
        unit,
        user=user,
        publish=True,
        is_urgent=True,
        cover_image=make_image(title="封面"),
        targets=[ReleaseTarget(account=a) for a in accounts],
        **kwargs,
    )


def run_until_idle():
    tasks.dispatch(loop_seconds=30, until_idle=True, threads=0)


def posts(sandbox, platform):
    return [i for i in sandbox.published(platform=platform) if not i["deleted"]]


def test_release_reaches_every_platform_once(
    sandbox, unit, editor, django_capture_on_commit_callbacks
):
    """An urgent release goes to WeChat, Weibo, Douyin and the app, once each,
    and the release shows 4 / 4 sent."""
    accounts = [
        live_account(sandbox, unit, platform)
        for platform in ("wechat_oa", "weibo", "douyin", "app")
    ]
    video = make_video()
    sent = []
    delivery_sent.connect(lambda **kw: sent.append(kw), weak=False, dispatch_uid="t1")
    try:
        release = publish_to(
            unit,
            accounts,
            user=editor,
            body=[
                ("paragraph", "<p>正文。</p>"),
                ("video", {"video": video, "caption": ""}),
            ],
        )
        with django_capture_on_commit_callbacks(execute=True):
            run_until_idle()
    finally:
        delivery_sent.disconnect(dispatch_uid="t1")
    deliveries = list(release.deliveries.all())
    assert [d.status for d in deliveries] == [Status.SENT] * 4, [
        (d.account.platform, d.status, d.error_message) for d in deliveries
    ]
    for platform in ("wechat_oa", "weibo", "douyin", "app"):
        assert len(posts(sandbox, platform)) == 1, platform
    assert all(d.platform_id and d.payload for d in deliveries)
    summary = engine.release_summary(release)
    assert (summary["sent"], summary["total"]) == (4, 4)
    assert {kw["delivery"].pk for kw in sent} == {d.pk for d in deliveries}
    assert all(kw["payload"] == kw["delivery"].payload for kw in sent)


def test_server_errors_are_retried_until_sent(sandbox, unit):
    """5xx answers are retried with backoff, and the post goes out once."""
    account = live_account(sandbox, unit, "weibo")
    release = publish_to(unit, [account])
    sandbox.faults("*", error_rate=1.0)
    worker = engine.worker_name()
    (pk,) = engine.claim_due(worker, 5)
    engine.run_delivery(pk, worker)
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.status == Status.PLANNED
    assert delivery.error_kind == "transient"
    assert delivery.next_attempt_at > timezone.now() - timedelta(seconds=1)
    sandbox.clear_faults()
    run_until_idle()
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    assert len(posts(sandbox, "weibo")) == 1
    assert release.deliveries.get().attempts == 2


def test_timeout_after_arrival_is_confirmed_not_resent(sandbox, unit, settings):
    """A request that arrived but timed out is found on the platform: the
    delivery becomes sent without a second post."""
    settings.RONGMEI_PLATFORM_TIMEOUT = (2, 1)
    account = live_account(sandbox, unit, "weibo")
    publish_to(unit, [account])
    sandbox.faults("*", timeout_rate=1.0, timeout_seconds=2, timeout_mode="after")
    worker = engine.worker_name()
    (pk,) = engine.claim_due(worker, 5)
    engine.run_delivery(pk, worker)
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.status == Status.UNCONFIRMED
    sandbox.clear_faults()
    run_until_idle()
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    assert len(posts(sandbox, "weibo")) == 1
    actions = list(delivery.attempt_log.values_list("action", "result"))
    assert ("confirm", "found") in actions


def test_timeout_before_arrival_is_sent_once_after_lookup(sandbox, unit, settings):
    """A request that never arrived is looked up, found absent, and sent once."""
    settings.RONGMEI_PLATFORM_TIMEOUT = (2, 1)
    account = live_account(sandbox, unit, "weibo")
    publish_to(unit, [account])
    sandbox.faults("*", timeout_rate=1.0, timeout_seconds=2, timeout_mode="before")
    worker = engine.worker_name()
    (pk,) = engine.claim_due(worker, 5)
    engine.run_delivery(pk, worker)
    assert Delivery.objects.get(pk=pk).status == Status.UNCONFIRMED
    assert posts(sandbox, "weibo") == []
    sandbox.clear_faults()
    run_until_idle()
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.status == Status.SENT
    assert len(posts(sandbox, "weibo")) == 1
    actions = list(delivery.attempt_log.values_list("action", "result"))
    assert ("confirm", "absent") in actions


def test_a_dead_worker_is_recovered_by_lookup(sandbox, unit):
    """A delivery left sending by a killed worker is confirmed with the
    platform before anything is sent again."""
    account = live_account(sandbox, unit, "app")
    publish_to(unit, [account])
    run_until_idle()
    delivery = Delivery.objects.get()
    assert delivery.status == Status.SENT
    # As if the worker had died after the platform took it but before the
    # answer was recorded.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING,
        claimed_by="dead",
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    run_until_idle()
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    assert len(posts(sandbox, "app")) == 1


def test_rejection_fails_with_reason_and_tells_people(
    sandbox, unit, editor, django_capture_on_commit_callbacks
):
    """A permanent refusal fails the delivery with the platform's reason,
    emails the editor and the account's administrators, and sends the signal."""
    account = live_account(sandbox, unit, "weibo")
    sandbox.faults("*", reject_words=["演练违禁词"])
    failed = []
    delivery_failed.connect(
        lambda **kw: failed.append(kw), weak=False, dispatch_uid="t2"
    )
    try:
        release = publish_to(unit, [account], user=editor, digest="含演练违禁词的摘要")
        with django_capture_on_commit_callbacks(execute=True):
            run_until_idle()
    finally:
        delivery_failed.disconnect(dispatch_uid="t2")
    delivery = release.deliveries.get()
    assert delivery.status == Status.FAILED
    assert delivery.error_message
    assert delivery.payload
    assert failed and failed[0]["reason"] == delivery.error_message
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"editor@example.cn", "admin@example.cn"} <= recipients
    assert posts(sandbox, "weibo") == []


def test_rate_limit_cools_the_account_down(sandbox, unit):
    """A rate limit pauses the account until the platform's retry time without
    using up an attempt."""
    account = live_account(sandbox, unit, "wechat_oa")
    publish_to(unit, [account])
    sandbox.faults("*", quota={"freepublish/submit": 0})
    worker = engine.worker_name()
    (pk,) = engine.claim_due(worker, 5)
    engine.run_delivery(pk, worker)
    delivery = Delivery.objects.get(pk=pk)
    account.refresh_from_db()
    assert delivery.error_kind == "rate_limited", delivery.error_message
    assert delivery.status == Status.PLANNED
    assert delivery.attempts == 0
    assert account.cooldown_until > timezone.now()
    assert engine.claim_due(worker, 5) == []


def test_withdraw_deletes_the_post_and_records_it(
    sandbox, unit, django_capture_on_commit_callbacks
):
    """Withdrawing a sent delivery deletes the post and sends the signal."""
    account = live_account(sandbox, unit, "weibo")
    release = publish_to(unit, [account])
    run_until_idle()
    withdrawn = []
    delivery_withdrawn.connect(
        lambda **kw: withdrawn.append(kw), weak=False, dispatch_uid="t3"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            done, errors = engine.withdraw_release(
                release, make_user(is_superuser=True)
            )
    finally:
        delivery_withdrawn.disconnect(dispatch_uid="t3")
    assert errors == []
    assert [d.status for d in done] == [Status.WITHDRAWN]
    assert posts(sandbox, "weibo") == []
    assert withdrawn[0]["platform_id"] == done[0].platform_id


def test_paused_unit_waits_and_resumes(sandbox, unit):
    """Nothing is sent while the unit is paused; lifting the pause sends it."""
    account = live_account(sandbox, unit, "app")
    boss = make_user(is_superuser=True)
    pause = engine.pause_publishing(boss, "突发事件，暂停发布", unit=unit)
    publish_to(unit, [account])
    run_until_idle()
    assert Delivery.objects.get().status == Status.PLANNED
    assert posts(sandbox, "app") == []
    engine.lift_pause(pause, boss)
    run_until_idle()
    assert Delivery.objects.get().status == Status.SENT


def test_closed_account_is_not_sent_to(sandbox, unit):
    """An account closed before the release goes live gets a cancelled delivery
    that says why, and nothing is sent to it."""
    account = live_account(sandbox, unit, "app")
    release = make_release(
        unit, targets=[ReleaseTarget(account=account)], is_urgent=True
    )
    Account.objects.filter(pk=account.pk).update(status=Account.Status.CLOSED)
    release.get_latest_revision().publish()
    run_until_idle()
    assert Delivery.objects.get().status == Status.CANCELLED
    assert posts(sandbox, "app") == []


@pytest.mark.django_db(transaction=True)
def test_threaded_dispatcher_sends_a_fan_out_once_each(sandbox):
    """The dispatcher's thread pool sends a release to many accounts, each once."""
    if connection.vendor == "sqlite":
        # The test database is SQLite in memory, whose shared cache refuses
        # concurrent writers at once instead of waiting as a database file does.
        pytest.skip("threads need PostgreSQL or a SQLite file")
    unit = make_unit()
    accounts = []
    for i in range(12):
        account = make_account(
            unit,
            "app",
            credentials={
                "webhook_url": sandbox.url + "/app/webhook",
                "secret": "s%d" % i,
            },
            name="客户端%d" % i,
        )
        sandbox.register(account)
        accounts.append(account)
    release = publish_to(unit, accounts)
    tasks.dispatch(loop_seconds=30, until_idle=True, threads=4)
    assert set(release.deliveries.values_list("status", flat=True)) == {Status.SENT}
    assert len(posts(sandbox, "app")) == 12
