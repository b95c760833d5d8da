"""Fan-out of one release to 200 accounts, against the sandbox at 50 ms latency.

Not part of the test run. Runs in the production shape, one process per role:

- this process creates a throwaway PostgreSQL database (or SQLite with
  ``--sqlite``, one file shared by every process), migrates it, creates the
  accounts (by default 50 each on WeChat, Weibo, Douyin and the app) and one
  urgent release targeting all of them, publishes the release
  (``revision.publish()``, which plans the deliveries, as an editor's publish
  does) and then only watches the database, every 50 ms, until every delivery is
  sent, failed or cancelled (``--timeout``, default 300 s: then it lists what is
  still open and exits non-zero);
- the platform sandbox runs in its own process (``manage.py sandbox --port P
  --no-accounts`` on a free loopback port), with 50 ms added to every platform
  call; accounts are registered and faults set over its control API, as the
  remote platforms would be reached in production;
- ``RONGMEI_DISPATCHERS`` dispatcher processes (default 2, as django-q2 runs
  that many ``channels.tasks.dispatch`` tasks, each in its own q worker process;
  ``--dispatchers N`` overrides) run this file in worker mode. Each is already
  running and looking for work before the release is published, as a
  production dispatcher is: it loops ``tasks.dispatch(loop_seconds=600,
  until_idle=True)`` and, when that found nothing, sleeps
  ``RONGMEI_DISPATCH_INTERVAL``, so lateness includes the dispatchers'
  discovery delay. Each uses the production thread pool
  (``RONGMEI_DISPATCH_THREADS``) and the per-platform caps, which the claims
  count in the database across all processes.

Printed, overall and per platform (the instruments are in the dispatcher
processes, and only what they recorded between the publish() call and the
moment every delivery was seen final counts):

- total time against the ideal: the time from calling publish() to the last
  delivery's ``sent_at``, against the platform calls one delivery needs
  (counted in the sandbox's request log) x the latency x accounts / the
  concurrency available, min(platform cap, threads x dispatchers, accounts);
  goal <= 1.2x. Also the same from the moment the release went live
  (``page_published``, when planning starts), publish()'s own duration and
  when planning ran and its deliveries were committed;
- lateness: ``sent_at`` minus the slot (``due_at``), p50, p95 and max; goal
  p95 <= 5 s;
- engine overhead per delivery: wall time inside ``engine.run_delivery`` minus
  wall time inside ``requests.Session.send`` (per step, then summed over a
  delivery's steps: WeChat has a send and polls), and the same in the thread's
  CPU time (``time.thread_time``), which leaves out waiting for the database,
  for the GIL and for a core; plus ``engine.claim_due`` (calls, wall and CPU)
  per delivery; goal <= 10 ms per delivery. Where wall and CPU differ, two
  more figures say why: new database connections (each one's wall time),
  and how late a probe thread in each dispatcher that sleeps 5 ms wakes (its
  wait for the GIL and a core, which every thread meets after each query and
  HTTP call);
- SQL queries per delivery (every ``CursorWrapper.execute``/``executemany``
  in the dispatchers): in ``run_delivery``, in ``claim_due`` and elsewhere,
  their wall and CPU time, and the statements that took the most wall time;
- CPU time during the run of each process (from ``/proc``: the sandbox, each
  dispatcher, this process), of the local PostgreSQL server (all its
  databases) and of the whole machine, against the wall time x cores, so it
  shows where the cores went; and each dispatcher's own ``process_time``.

The machine may be shared: CPU taken by other processes shows in the last
figures and makes the times longer.

WeChat publishes asynchronously: its job finishes on the platform after
``--publish-delay`` ms and the engine polls for it (``RONGMEI_POLL_INTERVAL``),
so WeChat's time includes that wait. ``--platforms app=200`` runs one platform.

``--profile`` runs each dispatcher under ``cProfile`` and prints, for each,
the top 40 functions by cumulative time, then the top 25 of this repository's
own code (``channels/``, ``cms/``). To profile every call, the dispatchers
then send inline (``tasks.dispatch(threads=0)``: one delivery at a time per
dispatcher process), so the times printed in that mode are not the benchmark's
figures; use it to see where a delivery's time goes.

    .venv/bin/python bench/fanout.py
        [--platforms wechat_oa=50,weibo=50,douyin=50,app=50] [--latency 50]
        [--publish-delay 0] [--dispatchers N] [--timeout 300] [--sqlite]
        [--profile] [--keep]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()
FINAL = ("sent", "failed", "cancelled")
POLL = 0.05
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """The bench could not run to the end; the message says why."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--platforms",
        default="wechat_oa=50,weibo=50,douyin=50,app=50",
        help="accounts per platform",
    )
    parser.add_argument("--latency", type=int, default=50, help="ms per call")
    parser.add_argument("--publish-delay", type=int, default=0, help="WeChat job ms")
    parser.add_argument(
        "--dispatchers",
        type=int,
        default=None,
        help="dispatcher processes (default RONGMEI_DISPATCHERS)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds to wait for the fan-out"
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite, not PostgreSQL")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the dispatchers (inline, one thread each: not the figures)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    # Worker mode: this file run as one dispatcher process by the bench.
    parser.add_argument("--dispatcher", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    parser.add_argument("--stop-file", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------
# Instrumentation (installed in the dispatcher processes)


class Timers:
    """Wall and thread CPU time inside ``run_delivery``, ``claim_due``, HTTP
    calls and SQL queries, per thread; each record starts with its epoch time
    so the main process can keep the ones inside the run."""

    def __init__(self):
        self.local = threading.local()
        self.lock = threading.Lock()
        #: [epoch, wall, cpu, http wall, http cpu, http calls, queries, query wall]
        self.steps = []
        #: [epoch, wall, cpu, claimed, queries, query wall]
        self.claims = []
        #: [epoch, where, statement number, wall, thread cpu]: every query.
        self.queries = []
        #: Statement number by SQL text (its first 160 characters).
        self.statements = {}
        #: [epoch, where, wall]: every new database connection.
        self.connections = []
        #: [epoch, delay]: how late a thread sleeping 5 ms woke up (the probe).
        self.wakeups = []

    def install(self, *, engine_too=True):
        from django.db.backends import utils
        from django.db.backends.base.base import BaseDatabaseWrapper

        timers = self
        original_execute = utils.CursorWrapper.execute
        original_executemany = utils.CursorWrapper.executemany
        original_connect = BaseDatabaseWrapper.connect

        def counted(original):
            def execute(cursor, sql, params=None):
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    return original(cursor, sql, params)
                finally:
                    timers.query(
                        sql, time.perf_counter() - wall, time.thread_time() - cpu
                    )

            return execute

        def connect(wrapper):
            epoch, wall = time.time(), time.perf_counter()
            try:
                return original_connect(wrapper)
            finally:
                where = getattr(timers.local, "where", "other")
                with timers.lock:
                    timers.connections.append(
                        [epoch, where, time.perf_counter() - wall]
                    )

        utils.CursorWrapper.execute = counted(original_execute)
        utils.CursorWrapper.executemany = counted(original_executemany)
        BaseDatabaseWrapper.connect = connect
        if not engine_too:
            return

        import requests

        from channels import engine, tasks

        original_send = requests.Session.send
        original_run = engine.run_delivery
        original_claim = engine.claim_due

        def send(session, request, **kwargs):
            local = timers.local
            depth = getattr(local, "http_depth", 0)
            local.http_depth = depth + 1
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original_send(session, request, **kwargs)
            finally:
                local.http_depth = depth
                http = getattr(local, "http", None)
                if depth == 0 and http is not None:
                    http[0] += time.perf_counter() - wall
                    http[1] += time.thread_time() - cpu
                    http[2] += 1

        def run_delivery(pk, worker):
            local = timers.local
            local.http = [0.0, 0.0, 0]
            scope, local.scope = getattr(local, "scope", None), [0, 0.0]
            where, local.where = getattr(local, "where", "other"), "run"
            epoch = time.time()
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original_run(pk, worker)
            finally:
                wall = time.perf_counter() - wall
                cpu = time.thread_time() - cpu
                record = [epoch, wall, cpu, *local.http, *local.scope]
                local.http, local.scope, local.where = None, scope, where
                with timers.lock:
                    timers.steps.append(record)

        def claim_due(worker, limit, **kwargs):
            local = timers.local
            scope, local.scope = getattr(local, "scope", None), [0, 0.0]
            where, local.where = getattr(local, "where", "other"), "claim"
            epoch = time.time()
            wall, cpu = time.perf_counter(), time.thread_time()
            claimed = []
            try:
                claimed = original_claim(worker, limit, **kwargs)
                return claimed
            finally:
                wall = time.perf_counter() - wall
                cpu = time.thread_time() - cpu
                record = [epoch, wall, cpu, len(claimed), *local.scope]
                local.scope, local.where = scope, where
                with timers.lock:
                    timers.claims.append(record)

        requests.Session.send = send
        engine.run_delivery = run_delivery
        engine.claim_due = claim_due
        tasks.engine.run_delivery = run_delivery
        tasks.engine.claim_due = claim_due

    def query(self, sql, spent, cpu):
        epoch = time.time() - spent
        scope = getattr(self.local, "scope", None)
        if scope is not None:
            scope[0] += 1
            scope[1] += spent
        where = getattr(self.local, "where", "other")
        text = str(sql)[:160]
        with self.lock:
            number = self.statements.setdefault(text, len(self.statements))
            self.queries.append([epoch, where, number, spent, cpu])

    def start_probe(self, period=0.005):
        """A thread that sleeps ``period`` again and again and records how
        late it wakes: the wait for the GIL and for a core that every
        thread of the process meets after each query and HTTP call."""

        def probe():
            while True:
                started = time.perf_counter()
                time.sleep(period)
                late = time.perf_counter() - started - period
                with self.lock:
                    self.wakeups.append([time.time(), late])

        threading.Thread(target=probe, name="bench-probe", daemon=True).start()

    def as_json(self):
        with self.lock:
            return {
                "steps": list(self.steps),
                "claims": list(self.claims),
                "queries": list(self.queries),
                "statements": {n: text for text, n in self.statements.items()},
                "connections": list(self.connections),
                "wakeups": list(self.wakeups),
            }


def dispatcher_main(args):
    """Worker mode: one dispatcher process, as a django-q2 worker runs it."""
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.db import connection

    from channels import conf, tasks

    stats_path = Path(args.stats)
    stop_file = Path(args.stop_file)
    timers = Timers()
    timers.install()
    timers.start_probe()
    connection.ensure_connection()
    connection.close()
    # A q worker has usually run tasks before: load the URLconf now (public
    # links need it), not in the first delivery's step.
    from django.urls import get_resolver

    get_resolver().url_patterns
    interval = conf.get("RONGMEI_DISPATCH_INTERVAL")
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    threads = 0 if args.profile else None
    cpu_at_ready = time.process_time()
    Path(str(stats_path) + ".ready").write_text(str(os.getpid()))
    dispatched = rounds = 0
    while not stop_file.exists():
        if profiler is not None:
            profiler.enable()
        try:
            n = tasks.dispatch(loop_seconds=600, until_idle=True, threads=threads)
        finally:
            if profiler is not None:
                profiler.disable()
        dispatched += n
        rounds += 1
        if not n:
            time.sleep(interval)
    stats = {
        "pid": os.getpid(),
        "dispatched": dispatched,
        "rounds": rounds,
        "cpu_at_ready": cpu_at_ready,
        "cpu_at_end": time.process_time(),
        "profile": None,
        **timers.as_json(),
    }
    if profiler is not None:
        stats["profile"] = str(stats_path) + ".prof"
        profiler.dump_stats(stats["profile"])
    partial = Path(str(stats_path) + ".part")
    partial.write_text(json.dumps(stats))
    os.replace(partial, stats_path)


# ---------------------------------------------------------------------------
# Processes


def _parent_death_signal():
    """A ``preexec_fn`` that has Linux send SIGTERM to the child if this
    process dies, so no sandbox or dispatcher outlives a killed bench."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def set_signal():
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return set_signal


class Child:
    """A subprocess of the bench, its output in files under ``directory``."""

    def __init__(self, name, argv, directory):
        self.name = name
        self.stdout_path = directory / ("%s.out" % name)
        self.stderr_path = directory / ("%s.err" % name)
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(  # noqa: S603 — our own commands
                argv,
                cwd=REPO,
                env=os.environ.copy(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=_parent_death_signal(),
            )
        self.pid = self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def tail(self, lines=25):
        text = ""
        for path in (self.stderr_path, self.stdout_path):
            try:
                text = path.read_text(errors="replace").strip()
            except OSError:
                continue
            if text:
                break
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    def died(self, what="stopped early"):
        return BenchError(
            "%s (pid %d) %s with exit status %s; its output ends:\n%s"
            % (self.name, self.pid, what, self.proc.returncode, self.tail())
        )

    def check(self):
        if not self.running():
            raise self.died()

    def cpu(self):
        """CPU seconds (user + system) used so far, from /proc (Linux)."""
        try:
            data = Path("/proc/%d/stat" % self.pid).read_text()
        except OSError:
            return None
        fields = data[data.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self, timeout=10):
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def machine_cpu():
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
    steal = ticks[7] if len(ticks) > 7 else 0
    return (busy / CLOCK_TICKS, steal / CLOCK_TICKS)


def postgres_cpu():
    """CPU seconds used by the local PostgreSQL server so far: its processes,
    plus what its postmaster has reaped of ended ones (backends of closed
    connections). None when no local server is visible."""
    total, found = 0.0, False
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            data = (entry / "stat").read_text()
        except OSError:
            continue
        if data[data.index("(") + 1 : data.rindex(")")] != "postgres":
            continue
        fields = data[data.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
        parent = Path("/proc/%s/comm" % fields[1])
        try:
            is_postmaster = parent.read_text().strip() != "postgres"
        except OSError:
            is_postmaster = False
        if is_postmaster:
            total += int(fields[13]) + int(fields[14])
        found = True
    return total / CLOCK_TICKS if found else None


def delta(after, before):
    if after is None or before is None:
        return None
    if isinstance(after, tuple):
        return tuple(a - b for a, b in zip(after, before, strict=True))
    return after - before


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_sandbox(child, url, timeout=60):
    from channels.sandbox.client import SandboxClient

    client = SandboxClient(url, timeout=2)
    deadline = time.monotonic() + timeout
    while True:
        child.check()
        try:
            client.log()
            return
        except Exception:  # noqa: BLE001 — not listening yet
            if time.monotonic() > deadline:
                raise BenchError(
                    "The sandbox at %s did not answer within %d s; its output "
                    "ends:\n%s" % (url, timeout, child.tail())
                ) from None
        time.sleep(0.1)


def wait_for_ready(dispatchers, stats_paths, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        for child in dispatchers:
            child.check()
        if all(Path(str(p) + ".ready").exists() for p in stats_paths):
            return
        if time.monotonic() > deadline:
            late = [c.name for c, p in zip(dispatchers, stats_paths, strict=True)
                    if not Path(str(p) + ".ready").exists()]  # fmt: skip
            raise BenchError("%s not ready within %d s" % (", ".join(late), timeout))
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# The bench


def create_database(args, var_dir):
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
    return name


def setup_django():
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def drop_database(name):
    import psycopg

    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001, S110 — Django may not be set up
        pass
    with psycopg.connect(
        "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
    ) as conn:
        conn.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


def main():
    args = parse_args()
    if args.dispatcher:
        return dispatcher_main(args)
    counts = {}
    for part in args.platforms.split(","):
        platform, _, n = part.partition("=")
        counts[platform.strip()] = int(n)
    var_dir = Path(tempfile.mkdtemp(prefix="rongmei-fanout-"))
    db_name = create_database(args, var_dir)
    children = []
    code = 1
    try:
        setup_django()
        code = run(args, counts, var_dir, children)
    except BenchError as e:
        print("bench failed: %s" % e, file=sys.stderr)
    finally:
        for child in reversed(children):
            child.stop(timeout=5)
        if not args.sqlite and not args.keep:
            drop_database(db_name)
        if args.keep:
            print("kept:", os.environ["DATABASE_URL"], "and", var_dir)
        elif code == 0:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print("the processes' output is in", var_dir, file=sys.stderr)
    return code


def run(args, counts, var_dir, children):
    from django.db import transaction
    from django.utils import timezone
    from wagtail.signals import page_published

    from channels import conf, engine
    from channels.models import Delivery, ReleaseTarget
    from channels.sandbox.client import SandboxClient
    from cms.models import Unit
    from tests.utils import make_account, make_image, make_release, make_video

    port = free_port()
    url = "http://127.0.0.1:%d" % port
    sandbox_child = Child(
        "sandbox",
        [sys.executable, "manage.py", "sandbox", "--port", str(port), "--no-accounts"],
        var_dir,
    )
    children.append(sandbox_child)
    sandbox = SandboxClient(url)

    unit = Unit.objects.create(name="融媒体中心", code="bench")
    accounts = []
    for platform, n in counts.items():
        for i in range(n):
            accounts.append(
                make_account(
                    unit,
                    platform,
                    name="%s 账号 %03d" % (platform, i),
                    credentials=credentials(platform, i, url),
                    api_base_url=sandbox.base_url(platform),
                    is_verified=True,
                    platform_account_id=platform_account_id(platform, i),
                )
            )
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
    wait_for_sandbox(sandbox_child, url)
    for account in accounts:
        sandbox.register(account)

    n_dispatchers = args.dispatchers or conf.get("RONGMEI_DISPATCHERS")
    stop_file = var_dir / "stop"
    stats_paths = [
        var_dir / ("dispatcher-%d.json" % n) for n in range(1, n_dispatchers + 1)
    ]
    dispatchers = []
    for n, stats in enumerate(stats_paths, 1):
        argv = [sys.executable, str(HERE), "--dispatcher", "--stats", str(stats),
                "--stop-file", str(stop_file)]  # fmt: skip
        if args.profile:
            argv.append("--profile")
        dispatchers.append(Child("dispatcher-%d" % n, argv, var_dir))
        children.append(dispatchers[-1])
    wait_for_ready(dispatchers, stats_paths)
    sandbox.faults("*", latency_ms=args.latency, publish_delay_ms=args.publish_delay)
    # Let the dispatchers' first (idle) look at the database go by.
    time.sleep(1)
    for child in children:
        child.check()

    # In this process: when the release goes live (planning starts), and
    # planning itself. The receiver is put before the channels app's, so its
    # mark is the moment planning starts.
    marks = {}

    def went_live(sender, instance, **kwargs):
        if instance.pk == release.pk and instance.live:
            marks.setdefault("live", time.perf_counter())

    page_published.connect(went_live, weak=False, dispatch_uid="bench_fanout")
    with page_published.lock:
        page_published.receivers.insert(0, page_published.receivers.pop())
        page_published.sender_receivers_cache.clear()
    original_plan = engine.plan_deliveries

    def plan_deliveries(*a, **kw):
        marks.setdefault("plan", time.perf_counter())
        try:
            return original_plan(*a, **kw)
        finally:
            marks.setdefault("planned", time.perf_counter())
            # When the deliveries become visible to the dispatchers: now, or
            # when an enclosing transaction (the publish's) commits.
            transaction.on_commit(
                lambda: marks.setdefault("committed", time.perf_counter())
            )

    engine.plan_deliveries = plan_deliveries
    main_timers = Timers()
    main_timers.install(engine_too=False)

    before = sandbox.log().last
    cpu_before = {child.name: child.cpu() for child in children}
    machine_before = machine_cpu()
    postgres_before = None if args.sqlite else postgres_cpu()
    main_cpu = time.process_time()
    t0 = time.perf_counter()
    epoch0 = time.time()
    published_at = timezone.now()
    release.get_latest_revision().publish()
    t_published = time.perf_counter()
    publish_queries = len(main_timers.queries)
    engine.plan_deliveries = original_plan

    deadline = t0 + args.timeout
    while True:
        for child in children:
            child.check()
        remaining = Delivery.objects.exclude(status__in=FINAL).count()
        if not remaining:
            break
        if time.perf_counter() > deadline:
            print_open(Delivery)
            raise BenchError(
                "%d deliveries still open after %d s" % (remaining, args.timeout)
            )
        time.sleep(POLL)
    t_done = time.perf_counter()
    epoch_done = time.time()
    main_cpu = time.process_time() - main_cpu
    machine = delta(machine_cpu(), machine_before)
    postgres = None if args.sqlite else delta(postgres_cpu(), postgres_before)
    cpu_during = {}
    for child in children:
        now = child.cpu()
        was = cpu_before[child.name]
        cpu_during[child.name] = None if now is None or was is None else now - was
    entries = sandbox.log(since=before)

    stop_file.touch()
    stats = []
    for child, path in zip(dispatchers, stats_paths, strict=True):
        try:
            child.proc.wait(60)
        except subprocess.TimeoutExpired:
            raise BenchError(
                "%s did not stop within 60 s of the stop file; its output ends:\n%s"
                % (child.name, child.tail())
            ) from None
        if child.proc.returncode != 0 or not path.exists():
            raise child.died("ended")
        stats.append(json.loads(path.read_text()))
    sandbox_cpu_total = sandbox_child.cpu()
    sandbox_child.stop(timeout=10)

    report(
        args=args,
        counts=counts,
        accounts=accounts,
        entries=entries,
        stats=stats,
        n_dispatchers=n_dispatchers,
        published_at=published_at,
        times={
            "t0": t0,
            "published": t_published,
            "done": t_done,
            **marks,
        },
        window=(epoch0, epoch_done),
        publish_queries=publish_queries,
        cpu={
            "during": cpu_during,
            "main": main_cpu,
            "sandbox_total": sandbox_cpu_total,
            "machine": machine,
            "postgres": postgres,
        },
        children=children,
        url=url,
    )
    if args.profile:
        print_profiles(stats)
    unsent = Delivery.objects.exclude(status="sent").count()
    if unsent:
        print("%d deliveries were not sent: exiting with status 1" % unsent)
    return 1 if unsent else 0


def print_open(Delivery):
    open_ = Delivery.objects.exclude(status__in=FINAL).select_related("account")
    print("still open:", dict(count_by(open_, lambda d: d.status)))
    for d in open_.order_by("next_attempt_at")[:30]:
        print(
            "  %s %-9s %-11s attempts %d next %s claimed by %r: %s"
            % (
                d.pk,
                d.account.platform,
                d.status,
                d.attempts,
                d.next_attempt_at.isoformat(timespec="seconds"),
                d.claimed_by,
                d.error_message[:100],
            )
        )


def report(*, args, counts, accounts, entries, stats, n_dispatchers, published_at,
           times, window, publish_queries, cpu, children, url):  # fmt: skip
    from django.db import connection
    from django.utils import timezone

    from channels import conf
    from channels.adapters.base import adapter_class
    from channels.models import Delivery

    deliveries = list(Delivery.objects.select_related("account"))
    n_deliveries = max(1, len(deliveries))
    calls = defaultdict(int)
    for entry in entries:
        calls[entry["platform"]] += 1
    caps = conf.get("RONGMEI_PLATFORM_CONCURRENCY")
    threads = 1 if args.profile else conf.get("RONGMEI_DISPATCH_THREADS")
    latency = args.latency / 1000
    t0 = times["t0"]
    live_after = times.get("live", t0) - t0

    def after(mark):
        return times[mark] - t0 if mark in times else float("nan")

    print("Fan-out of one release to %d accounts" % len(accounts))
    if args.profile:
        print(
            "PROFILE MODE: each dispatcher sends inline (one delivery at a time) "
            "under cProfile; these times are not the benchmark's figures."
        )
    print(
        "database %s, latency %d ms, %d dispatcher processes x %d threads, caps %s"
        % (connection.vendor, args.latency, n_dispatchers, threads, caps)
    )
    print(
        "processes: sandbox pid %d at %s; %s; this process (pid %d) publishes "
        "and watches the database"
        % (
            children[0].pid,
            url,
            ", ".join("%s pid %d" % (c.name, c.pid) for c in children[1:]),
            os.getpid(),
        )
    )
    print("statuses:", dict(count_by(deliveries, lambda d: d.status)))
    print(
        "publish() took %.2f s, planning included (%d queries in this process); "
        "the release went live at %.2f s, planning ran %.2f-%.2f s, its deliveries "
        "were committed at %.2f s"
        % (
            after("published"),
            publish_queries,
            live_after,
            after("plan"),
            after("planned"),
            after("committed"),
        )
    )
    ideal_overall = 0.0
    for platform, n in counts.items():
        mine = [d for d in deliveries if d.account.platform == platform]
        per_delivery = calls[platform] / max(1, n)
        ideal = (
            per_delivery * latency * n / min(caps[platform], threads * n_dispatchers, n)
        )
        ideal_overall = max(ideal_overall, ideal)
        finished = [d.sent_at for d in mine if d.sent_at]
        span = (max(finished) - published_at).total_seconds() if finished else 0
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
    sent = [d.sent_at for d in deliveries if d.sent_at]
    total = (max(sent) - published_at).total_seconds() if sent else 0.0
    print(
        "total %.2f s from calling publish() to the last sent_at, against ideal "
        "%.2f s: %.2fx (goal <= 1.2x); %.2f s from going live (%.2fx)"
        % (
            total,
            ideal_overall,
            total / ideal_overall if ideal_overall else 0,
            total - live_after,
            (total - live_after) / ideal_overall if ideal_overall else 0,
        )
    )
    print(
        "every delivery seen final %.2f s after calling publish() (polling every "
        "%d ms)" % (after("done"), POLL * 1000)
    )
    late = sorted(
        (d.sent_at - d.due_at).total_seconds() for d in deliveries if d.sent_at
    )
    print(
        "lateness after the slot: p50 %.2f s, p95 %.2f s, max %.2f s (goal p95 <= 5 s)"
        % (percentile(late, 50), percentile(late, 95), late[-1] if late else 0)
    )

    # The dispatchers' instruments, inside the run only.
    start, end = window

    def inside(name):
        return [r for st in stats for r in st[name] if start <= r[0] <= end]

    def per(total_seconds):
        return total_seconds * 1000 / n_deliveries

    steps, claims, queries = inside("steps"), inside("claims"), inside("queries")
    wall = [(s[1] - s[3]) * 1000 for s in steps]
    if steps:
        print(
            "engine overhead per step (run_delivery minus HTTP, wall): median "
            "%.1f ms, mean %.1f ms, p95 %.1f ms, max %.1f ms over %d steps"
            % (
                statistics.median(wall),
                statistics.fmean(wall),
                percentile(sorted(wall), 95),
                max(wall),
                len(steps),
            )
        )
    print(
        "engine overhead per delivery (all its steps, %d deliveries): wall %.1f ms "
        "(%.1f ms of it waiting in SQL queries), thread CPU %.1f ms; claim_due wall "
        "%.1f ms, CPU %.1f ms (goal <= 10 ms per delivery)"
        % (
            len(deliveries),
            per(sum(s[1] - s[3] for s in steps)),
            per(sum(s[7] for s in steps)),
            per(sum(s[2] - s[4] for s in steps)),
            per(sum(c[1] for c in claims)),
            per(sum(c[2] for c in claims)),
        )
    )
    print(
        "HTTP per delivery: %.1f calls, wall %.1f ms (the latency is %d ms a call), "
        "thread CPU %.1f ms in requests"
        % (
            sum(s[5] for s in steps) / n_deliveries,
            per(sum(s[3] for s in steps)),
            args.latency,
            per(sum(s[4] for s in steps)),
        )
    )
    print(
        "claiming: %d claim_due calls (%d found work, %d claims), per call wall "
        "%.1f ms mean, CPU %.1f ms mean"
        % (
            len(claims),
            sum(1 for c in claims if c[3]),
            sum(c[3] for c in claims),
            statistics.fmean(c[1] for c in claims) * 1000 if claims else 0,
            statistics.fmean(c[2] for c in claims) * 1000 if claims else 0,
        )
    )
    first_work = min((c[0] for c in claims if c[3]), default=None)
    if first_work is not None:
        print(
            "first claim that found work started at %.2f s (deliveries committed at "
            "%.2f s)" % (first_work - start, after("committed"))
        )
    by_where = defaultdict(lambda: [0, 0.0, 0.0])
    for _epoch, where, _number, spent, spent_cpu in queries:
        by_where[where][0] += 1
        by_where[where][1] += spent
        by_where[where][2] += spent_cpu
    print(
        "SQL queries per delivery: %.1f (%.1f in run_delivery, %.1f in claim_due, "
        "%.1f elsewhere in the dispatchers); per delivery %.1f ms wall in them "
        "(run %.1f, claim %.1f, elsewhere %.1f), of which %.1f ms thread CPU"
        % (
            len(queries) / n_deliveries,
            by_where["run"][0] / n_deliveries,
            by_where["claim"][0] / n_deliveries,
            by_where["other"][0] / n_deliveries,
            per(sum(q[3] for q in queries)),
            per(by_where["run"][1]),
            per(by_where["claim"][1]),
            per(by_where["other"][1]),
            per(sum(q[4] for q in queries)),
        )
    )
    statements = defaultdict(lambda: [0, 0.0, 0.0])
    for st in stats:
        for epoch, where, number, spent, spent_cpu in st["queries"]:
            if start <= epoch <= end:
                row = statements[(where, st["statements"][str(number)])]
                row[0] += 1
                row[1] += spent
                row[2] += spent_cpu
    print(
        "  the statements with the most wall time (per delivery: count x wall; "
        "per call: wall, thread CPU):"
    )
    top = sorted(statements.items(), key=lambda item: -item[1][1])[:8]
    for (where, text), (count, spent, spent_cpu) in top:
        print(
            "    %-5s %5.2f x %5.1f ms (%4.1f ms, CPU %3.1f ms)  %s"
            % (
                where,
                count / n_deliveries,
                per(spent),
                spent * 1000 / count,
                spent_cpu * 1000 / count,
                " ".join(text.split())[:80],
            )
        )
    connections = inside("connections")
    by_where = defaultdict(list)
    for _epoch, where, spent in connections:
        by_where[where].append(spent)
    print(
        "new database connections in the dispatchers: %d (%s), %.1f ms each on "
        "average"
        % (
            len(connections),
            ", ".join("%d in %s" % (len(v), k) for k, v in sorted(by_where.items()))
            or "none",
            statistics.fmean(c[2] for c in connections) * 1000 if connections else 0,
        )
    )
    wakeups = sorted(w[1] * 1000 for w in inside("wakeups"))
    if wakeups:
        print(
            "a probe thread in each dispatcher sleeping 5 ms woke late by p50 %.1f ms, "
            "p95 %.1f ms, max %.1f ms (its wait for the GIL and a core, which every "
            "query and HTTP call also meets on return)"
            % (percentile(wakeups, 50), percentile(wakeups, 95), wakeups[-1])
        )

    span = after("done")
    cores = os.cpu_count() or 1
    parts = []
    used = cpu["main"]
    for child in children:
        spent = cpu["during"].get(child.name)
        if spent is None:
            parts.append("%s ?" % child.name)
            continue
        used += spent
        parts.append("%s %.2f s" % (child.name, spent))
    parts.append("this process %.2f s" % cpu["main"])
    available = span * cores

    def share(seconds):
        return 100 * seconds / available if available else 0

    print(
        "CPU during the run (%.2f s wall x %d cores = %.2f s): %s; the bench's "
        "processes together %.2f s (%.0f%%)"
        % (span, cores, available, ", ".join(parts), used, share(used))
    )
    if cpu["postgres"] is not None:
        used += cpu["postgres"]
        print(
            "  the PostgreSQL server (all its databases) %.2f s (%.0f%%)"
            % (cpu["postgres"], share(cpu["postgres"]))
        )
    if cpu["machine"] is not None:
        busy, steal = cpu["machine"]
        print(
            "  the whole machine was busy %.2f s (%.0f%%): %.2f s of it in other "
            "processes (others' work on a shared machine); %.2f s stolen by the "
            "hypervisor" % (busy, share(busy), max(0.0, busy - used), steal)
        )
    for child, st in zip(children[1:], stats, strict=True):
        mine = [s for s in st["steps"] if start <= s[0] <= end]
        print(
            "  %s: %d steps, %d dispatch() calls, process_time %.2f s in all "
            "(%.2f s of it starting up)"
            % (
                child.name,
                len(mine),
                st["rounds"],
                st["cpu_at_end"],
                st["cpu_at_ready"],
            )
        )
    if cpu["sandbox_total"] is not None:
        print("  sandbox: %.2f s CPU in all" % cpu["sandbox_total"])
    print("measured at", timezone.now().isoformat(timespec="seconds"))


def print_profiles(stats):
    import pstats

    for n, st in enumerate(stats, 1):
        if not st.get("profile"):
            continue
        print()
        print(
            "=== dispatcher-%d (pid %d): top 40 by cumulative time ===" % (n, st["pid"])
        )
        profile = pstats.Stats(st["profile"], stream=sys.stdout)
        profile.sort_stats("cumulative").print_stats(40)
        print("--- the same, this repository's code only (top 25) ---")
        profile.print_stats(re.escape(str(REPO)) + "/(channels|cms)/", 25)


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
    sys.exit(main())
