"""Fan-out of one release to 200 accounts, against the sandbox at 50 ms latency.

Not part of the test run. Creates a throwaway PostgreSQL database (or SQLite
with ``--sqlite``), starts the platform sandbox in this process with 50 ms added
to every platform call, creates the accounts (by default 50 each on WeChat,
Weibo, Douyin and the app) and one urgent release targeting all of them, then
runs the dispatcher exactly as a django-q2 worker runs it
(``channels.tasks.dispatch``, the production defaults of ``channels/conf.py``:
its thread pool and per-platform caps) until every delivery is sent.

Prints, overall and per platform:

- total time against the ideal: the platform calls one delivery needs (counted
  in the sandbox's request log) x the latency x accounts / the concurrency the
  caps allow; goal <= 1.2x;
- lateness: sent time minus the slot (the due time), p50 and p95; goal p95 <= 5 s;
- engine overhead per delivery: time inside ``engine.run_delivery`` minus time
  waiting for HTTP answers, median and mean; goal <= 10 ms.

WeChat publishes asynchronously: its job finishes on the platform after
``--publish-delay`` ms and the engine polls for it (``RONGMEI_POLL_INTERVAL``),
so WeChat's time includes that wait. ``--platforms app=200`` runs one platform.

    .venv/bin/python bench/fanout.py
        [--platforms wechat_oa=50,weibo=50,douyin=50,app=50] [--latency 50]
        [--publish-delay 0] [--sqlite] [--keep]
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--platforms",
        default="wechat_oa=50,weibo=50,douyin=50,app=50",
        help="accounts per platform",
    )
    parser.add_argument("--latency", type=int, default=50, help="ms per call")
    parser.add_argument("--publish-delay", type=int, default=0, help="WeChat job ms")
    parser.add_argument("--sqlite", action="store_true", help="SQLite, not PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def setup_django(args, var_dir):
    os.environ["RONGMEI_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.dev"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ["MEDIA_ROOT"] = str(var_dir / "media")
    for name in ("REDIS_URL", "STATIC_ROOT"):
        os.environ.pop(name, None)
    name = "rongmei_bench_fanout_%d" % os.getpid()
    if args.sqlite:
        os.environ["DATABASE_URL"] = "sqlite:///%s" % (var_dir / "bench.sqlite3")
    else:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE %s" % name)
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/%s" % name
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return name


def drop_database(name):
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(
        "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
    ) as conn:
        conn.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


class Timers:
    """Time inside ``run_delivery`` and inside HTTP calls, per thread."""

    def __init__(self):
        self.local = threading.local()
        self.lock = threading.Lock()
        self.engine = []
        self.http = []

    def install(self):
        import requests

        from channels import engine, tasks

        original_send = requests.Session.send
        original_run = engine.run_delivery
        timers = self

        def send(session, request, **kwargs):
            started = time.perf_counter()
            try:
                return original_send(session, request, **kwargs)
            finally:
                timers.local.http = getattr(timers.local, "http", 0.0) + (
                    time.perf_counter() - started
                )

        def run_delivery(pk, worker):
            timers.local.http = 0.0
            started = time.perf_counter()
            try:
                return original_run(pk, worker)
            finally:
                spent = time.perf_counter() - started
                with timers.lock:
                    timers.engine.append(spent)
                    timers.http.append(timers.local.http)

        requests.Session.send = send
        engine.run_delivery = run_delivery
        tasks.engine.run_delivery = run_delivery


def main():
    args = parse_args()
    counts = {}
    for part in args.platforms.split(","):
        platform, _, n = part.partition("=")
        counts[platform.strip()] = int(n)
    var_dir = Path(tempfile.mkdtemp(prefix="rongmei-fanout-"))
    db_name = setup_django(args, var_dir)
    try:
        run(args, counts)
    finally:
        if not args.sqlite and not args.keep:
            drop_database(db_name)


def run(args, counts):
    from django.db import connection
    from django.utils import timezone

    from channels import conf, tasks
    from channels.adapters.base import adapter_class
    from channels.models import Delivery, ReleaseTarget
    from channels.sandbox.client import SandboxClient
    from channels.sandbox.server import SandboxServer
    from cms.models import Unit
    from tests.utils import make_account, make_image, make_release, make_video

    server = SandboxServer(port=0).start()
    sandbox = SandboxClient(server.url)
    unit = Unit.objects.create(name="融媒体中心", code="bench")
    accounts = []
    for platform, n in counts.items():
        for i in range(n):
            account = make_account(
                unit,
                platform,
                name="%s 账号 %03d" % (platform, i),
                credentials=credentials(platform, i, server.url),
                api_base_url=sandbox.base_url(platform),
                is_verified=True,
                platform_account_id=platform_account_id(platform, i),
            )
            sandbox.register(account)
            accounts.append(account)
    release = make_release(
        unit,
        title="全市秋冬季防火工作部署会召开",
        digest="会议部署了今冬明春森林防火和城市消防安全工作。",
        cover_image=make_image(title="封面"),
        body=[
            ("paragraph", "<p>会议要求各单位压实责任，排查隐患。</p>"),
            ("video", {"video": make_video(title="会议视频"), "caption": ""}),
        ],
        targets=[ReleaseTarget(account=a) for a in accounts],
        is_urgent=True,
        publish=False,
    )
    sandbox.faults("*", latency_ms=args.latency, publish_delay_ms=args.publish_delay)
    timers = Timers()
    timers.install()
    before = sandbox.log().last
    started_wall = time.perf_counter()
    published_at = timezone.now()
    release.get_latest_revision().publish()
    tasks.dispatch(loop_seconds=600, until_idle=True)
    total = time.perf_counter() - started_wall
    entries = sandbox.log(since=before)
    server.stop()

    deliveries = list(Delivery.objects.select_related("account"))
    calls = defaultdict(int)
    for entry in entries:
        calls[entry["platform"]] += 1
    caps = conf.get("RONGMEI_PLATFORM_CONCURRENCY")
    threads = conf.get("RONGMEI_DISPATCH_THREADS")
    latency = args.latency / 1000
    print("Fan-out of one release to %d accounts" % len(accounts))
    print(
        "database %s, latency %d ms, dispatcher threads %d, caps %s"
        % (connection.vendor, args.latency, threads, caps)
    )
    print("statuses:", dict(count_by(deliveries, lambda d: d.status)))
    ideal_overall = 0.0
    for platform, n in counts.items():
        mine = [d for d in deliveries if d.account.platform == platform]
        per_delivery = calls[platform] / max(1, n)
        ideal = per_delivery * latency * n / min(caps[platform], threads, n)
        ideal_overall = max(ideal_overall, ideal)
        finished = [d.sent_at for d in mine if d.sent_at]
        span = (max(finished) - published_at).total_seconds()
        late = sorted((d.sent_at - d.due_at).total_seconds() for d in mine if d.sent_at)
        print(
            "  %-9s %3d accounts  %5.1f calls each (adapter says %d)  ideal %6.2f s"
            "  last sent after %6.2f s (%.2fx)  lateness p50 %.2f s p95 %.2f s"
            % (
                platform,
                n,
                per_delivery,
                adapter_class(platform).calls_per_publish,
                ideal,
                span,
                span / ideal if ideal else 0,
                percentile(late, 50),
                percentile(late, 95),
            )
        )
    late = sorted(
        (d.sent_at - d.due_at).total_seconds() for d in deliveries if d.sent_at
    )
    overhead = [
        (spent - waited) * 1000 for spent, waited in zip(timers.engine, timers.http)
    ]
    print(
        "total %.2f s against ideal %.2f s: %.2fx (goal <= 1.2x)"
        % (total, ideal_overall, total / ideal_overall if ideal_overall else 0)
    )
    print(
        "lateness after the slot: p50 %.2f s, p95 %.2f s, max %.2f s (goal p95 <= 5 s)"
        % (percentile(late, 50), percentile(late, 95), late[-1] if late else 0)
    )
    print(
        "engine overhead per engine step: median %.1f ms, mean %.1f ms over %d steps "
        "(%d deliveries; goal <= 10 ms per delivery)"
        % (
            statistics.median(overhead),
            statistics.fmean(overhead),
            len(overhead),
            len(deliveries),
        )
    )
    per_delivery = sum(overhead) / max(1, len(deliveries))
    print("engine overhead per delivery (all its steps): %.1f ms" % per_delivery)
    print("measured at", timezone.now().isoformat(timespec="seconds"))


def platform_account_id(platform, i):
    if platform == "douyin":
        return "bench-open-%d" % i
    return str(7_000_000_000 + i)


def credentials(platform, i, url):
    return {
        "wechat_oa": {"app_id": "wxbench%04d" % i, "app_secret": "secret%d" % i},
        "weibo": {"access_token": "weibo-bench-%d" % i},
        "douyin": {
            "client_key": "ck%d" % i,
            "client_secret": "cs%d" % i,
            "access_token": "at%d" % i,
            "refresh_token": "rt%d" % i,
            "open_id": "bench-open-%d" % i,
        },
        "app": {"webhook_url": url + "/app/webhook", "secret": "app-secret-%d" % i},
    }[platform]


def count_by(items, key):
    counts = defaultdict(int)
    for item in items:
        counts[key(item)] += 1
    return counts


def percentile(values, p):
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))
    return values[index]


if __name__ == "__main__":
    main()
