"""The fault proof: deliveries under worker kills and platform faults.

Starts the platform sandbox in this process, real ``manage.py qcluster``
processes on the same PostgreSQL database, publishes releases to accounts on
every platform, kills cluster worker processes with SIGKILL at random while the
sandbox returns 5xx answers, times out and expires tokens, then checks by the
sandbox's own record that nothing was published twice and that every delivery
ended sent, or failed with a reason.

Used by tests/channels/test_fault_proof.py (scaled down, in CI) and by
bench/faults.py (full size).
"""

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

REPO = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"故障演练稿件第(\d+)号")


@dataclass
class ProofReport:
    deliveries: int = 0
    sent: int = 0
    failed: int = 0
    failed_without_reason: int = 0
    open: int = 0
    duplicates: int = 0
    sent_but_not_on_platform: int = 0
    #: Posts the platform shows for deliveries the engine thinks failed.
    on_platform_not_sent: int = 0
    unconfirmed_resolved: int = 0
    kills: int = 0
    seconds: float = 0.0
    platform_calls: int = 0
    injected_faults: Counter = field(default_factory=Counter)
    failure_reasons: Counter = field(default_factory=Counter)

    @property
    def lost(self):
        return (
            self.open
            + self.failed_without_reason
            + self.sent_but_not_on_platform
            + self.on_platform_not_sent
        )

    def lines(self):
        return [
            "deliveries            %d" % self.deliveries,
            "sent                  %d" % self.sent,
            "failed (with reason)  %d" % (self.failed - self.failed_without_reason),
            "failed, no reason     %d" % self.failed_without_reason,
            "still open            %d" % self.open,
            "sent, not on platform %d" % self.sent_but_not_on_platform,
            "on platform, not sent %d" % self.on_platform_not_sent,
            "published twice       %d" % self.duplicates,
            "unconfirmed, resolved %d" % self.unconfirmed_resolved,
            "workers killed        %d" % self.kills,
            "platform calls        %d" % self.platform_calls,
            "faults injected       %s" % dict(self.injected_faults),
            "failure reasons       %s" % dict(self.failure_reasons.most_common(6)),
            "time                  %.1f s" % self.seconds,
        ]


def database_url():
    db = connection.settings_dict
    return "postgres://%s@%s:%s/%s" % (
        db["USER"] or "postgres",
        db["HOST"] or "127.0.0.1",
        db["PORT"] or 5432,
        db["NAME"],
    )


def build_fixture(sandbox, *, deliveries, accounts_per_platform, seed):
    """Accounts on every platform and enough urgent releases to make
    ``deliveries`` deliveries; return the releases."""
    from channels.models import Delivery, ReleaseTarget
    from tests.utils import (
        make_account,
        make_image,
        make_release,
        make_unit,
        make_video,
    )

    unit = make_unit()
    accounts = []
    credentials = {
        "wechat_oa": lambda i: {"app_id": "wxproof%04d" % i, "app_secret": "s%d" % i},
        "weibo": lambda i: {"access_token": "weibo-proof-%d" % i},
        "douyin": lambda i: {
            "client_key": "ck%d" % i,
            "client_secret": "cs%d" % i,
            "access_token": "dy-at-%d" % i,
            "refresh_token": "dy-rt-%d" % i,
            "open_id": "open-proof-%d" % i,
        },
        "app": lambda i: {
            "webhook_url": sandbox.url + "/app/webhook",
            "secret": "app-secret-%d" % i,
        },
    }
    index = 0
    for platform, count in accounts_per_platform.items():
        for _ in range(count):
            index += 1
            account = make_account(
                unit,
                platform,
                credentials=credentials[platform](index),
                api_base_url=sandbox.base_url(platform),
                is_verified=True,
                platform_account_id=(
                    "open-proof-%d" % index
                    if platform == "douyin"
                    else "%d" % (6_000_000_000 + index)
                ),
            )
            sandbox.register(account)
            accounts.append(account)
    rng = random.Random(seed)
    cover = make_image(title="封面")
    video = make_video(title="短视频")
    releases = []
    made = 0
    number = 0
    while made < deliveries:
        number += 1
        chosen = (
            accounts
            if deliveries - made >= len(accounts)
            else rng.sample(accounts, deliveries - made)
        )
        release = make_release(
            unit,
            title="故障演练稿件第%d号" % number,
            digest="第%d号演练稿件摘要" % number,
            cover_image=cover,
            is_urgent=True,
            body=[
                ("paragraph", "<p>第%d号稿件正文。</p>" % number),
                ("video", {"video": video, "caption": ""}),
            ],
            targets=[ReleaseTarget(account=a) for a in chosen],
            publish=True,
        )
        made += release.deliveries.count()
        releases.append(release)
    assert Delivery.objects.count() == deliveries, Delivery.objects.count()
    return releases


def start_cluster(env, number=1):
    """Start ``manage.py qcluster``; its output goes to the file named by
    ``RONGMEI_PROOF_LOG`` (with the cluster's number), if set."""
    log = os.environ.get("RONGMEI_PROOF_LOG")
    output = open("%s.%d" % (log, number), "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(  # noqa: S603 — our own manage.py
        [sys.executable, str(REPO / "manage.py"), "qcluster"],
        cwd=REPO,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def children(pid):
    """Direct child processes of ``pid`` (Linux /proc)."""
    try:
        tasks = Path("/proc/%d/task" % pid).iterdir()
        found = []
        for task in tasks:
            found += [int(p) for p in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def descendants(pid):
    found = []
    for child in children(pid):
        found.append(child)
        found += descendants(child)
    return found


def sending_workers(cluster):
    """Worker processes of ``cluster`` in the middle of sending deliveries.

    Their pids are in the claims they hold (``engine.worker_name``). Killing
    a worker mid-send is the fault that matters to the engine. (Killing an
    idle django-q2 worker while it holds the lock of the cluster's internal
    multiprocessing queue stalls that whole cluster: a limitation of
    django-q2, not of the deliveries, which another cluster then carries on.)
    """
    from channels.models import Delivery

    held = Delivery.objects.filter(lease_until__gt=timezone.now()).values_list(
        "claimed_by", flat=True
    )
    pids = set()
    for claim in held:
        parts = claim.split(":")
        if len(parts) == 3 and parts[1].isdigit():
            pids.add(int(parts[1]))
    return sorted(pids & set(descendants(cluster.pid)))


def stop_cluster(cluster):
    for pid in [cluster.pid, *descendants(cluster.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    cluster.wait(timeout=10)


def run_proof(
    sandbox,
    *,
    deliveries=1000,
    clusters=2,
    kills=20,
    error_rate=0.10,
    timeout_rate=0.05,
    expire_every=100,
    seed=2026,
    time_limit=1800,
    kill_gap=6.0,
    accounts_per_platform=None,
    log=print,
):
    from django_q.models import Schedule

    from channels import tasks
    from channels.models import Delivery, DeliveryAttempt

    accounts_per_platform = accounts_per_platform or {
        "wechat_oa": 20,
        "weibo": 20,
        "douyin": 5,
        "app": 5,
    }
    read_timeout = 3
    build_fixture(
        sandbox,
        deliveries=deliveries,
        accounts_per_platform=accounts_per_platform,
        seed=seed,
    )
    log("planned %d deliveries" % Delivery.objects.count())
    sandbox.faults(
        "*",
        error_rate=error_rate,
        timeout_rate=timeout_rate,
        timeout_seconds=read_timeout + 1,
        timeout_mode="after",
        expire_tokens_every=expire_every,
        publish_delay_ms=200,
    )
    tasks.ensure_schedules()
    Schedule.objects.update(next_run=timezone.now())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.cluster_settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": str(REPO),
    }
    report = ProofReport(deliveries=deliveries)
    rng = random.Random(seed)
    started = time.monotonic()
    running = [start_cluster(env, n) for n in range(1, clusters + 1)]
    try:
        deadline = started + time_limit
        # Kills of workers that are sending, at least ``kill_gap`` seconds
        # apart, from the first moment something is being sent.
        last_kill = None
        while time.monotonic() < deadline:
            now = time.monotonic()
            due = last_kill is None or now - last_kill >= kill_gap + rng.random()
            if report.kills < kills and due:
                victims = [p for c in running for p in sending_workers(c)]
                if victims:
                    os.kill(rng.choice(victims), signal.SIGKILL)
                    report.kills += 1
                    last_kill = now
            if not Delivery.objects.open().exists():
                break
            time.sleep(0.5)
    finally:
        for cluster in running:
            stop_cluster(cluster)
    report.seconds = time.monotonic() - started
    sandbox.clear_faults()

    # The sandbox's own record: every post names its release's number.
    on_platform = Counter()
    per_account = Counter()
    for item in sandbox.published():
        found = NUMBER.search("%s %s" % (item["title"], item["text"]))
        if found is None:
            continue
        number = int(found.group(1))
        on_platform[item["platform"], number] += 1
        per_account[item["platform"], item["account"], number] += 1
    report.duplicates = sum(n - 1 for n in per_account.values() if n > 1)
    log_entries = sandbox.log()
    report.platform_calls = len(log_entries)
    report.injected_faults = Counter(e["fault"] for e in log_entries if e.get("fault"))

    sent = Counter()
    for delivery in Delivery.objects.select_related("account", "release"):
        if delivery.status == Delivery.Status.SENT:
            report.sent += 1
            number = int(NUMBER.search(delivery.release.title).group(1))
            sent[delivery.account.platform, number] += 1
        elif delivery.status == Delivery.Status.FAILED:
            report.failed += 1
            if not delivery.error_message:
                report.failed_without_reason += 1
            report.failure_reasons[delivery.error_message[:40]] += 1
        else:
            report.open += 1
    for key in sent.keys() | on_platform.keys():
        if sent[key] > on_platform[key]:
            report.sent_but_not_on_platform += sent[key] - on_platform[key]
        elif on_platform[key] > sent[key]:
            report.on_platform_not_sent += on_platform[key] - sent[key]
    report.unconfirmed_resolved = Delivery.objects.filter(
        status__in=[Delivery.Status.SENT, Delivery.Status.FAILED],
        pk__in=DeliveryAttempt.objects.filter(action__in=["confirm", "recover"]).values(
            "delivery_id"
        ),
    ).count()
    return report
