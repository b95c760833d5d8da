"""Background work of the channels, run by django-q2 (see ``ensure_schedules``).

Thin wrappers: they take ids, never model instances, and call ``engine``.
"""

import logging
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from . import conf, engine

logger = logging.getLogger(__name__)

#: ``dispatch(until_idle=True)`` stops when nothing is due within this many seconds.
IDLE_HORIZON = 10


def schedules():
    """The django-q2 schedules this app needs: (name, function, minutes).

    ``RONGMEI_DISPATCHERS`` dispatchers start every minute, so that when a
    worker running one dies the others carry on until the next minute.
    """
    dispatchers = [
        ("rongmei: dispatch deliveries %d" % n, "channels.tasks.dispatch", 1)
        for n in range(1, conf.get("RONGMEI_DISPATCHERS") + 1)
    ]
    return [
        *dispatchers,
        ("rongmei: publish scheduled pages", "channels.tasks.publish_scheduled", 1),
        ("rongmei: delivery watchdog", "channels.tasks.watchdog", 5),
    ]


def _run_claimed(pk, worker):
    """Run one delivery on a pool thread, which keeps its database connection
    for the next one (dropped with the thread when the dispatcher ends)."""
    try:
        return engine.run_delivery(pk, worker)
    except Exception:
        # The claim expires and the delivery is recovered as unconfirmed.
        logger.exception("Delivery %s: the engine raised", pk)
        connection.close()
        return None


def dispatch(loop_seconds=None, *, until_idle=False, threads=None):
    """Claim due deliveries and send them, for ``loop_seconds``.

    Runs as a django-q2 task every minute and looks for due deliveries every
    ``RONGMEI_DISPATCH_INTERVAL`` seconds, sending them on a pool of threads
    (the calls wait on the network, not the CPU). Overlapping dispatchers, in
    one cluster or several, are safe: claims are atomic. ``until_idle`` returns
    as soon as nothing is due or in flight (tests and commands); ``threads=0``
    sends in the calling thread, one delivery after another.
    """
    if loop_seconds is None:
        loop_seconds = conf.get("RONGMEI_DISPATCH_LOOP")
    interval = conf.get("RONGMEI_DISPATCH_INTERVAL")
    if threads is None:
        threads = conf.get("RONGMEI_DISPATCH_THREADS")
    deadline = time.monotonic() + loop_seconds
    if threads == 0:
        return _dispatch_inline(deadline, interval, until_idle)
    done = 0
    running = set()
    recovered_at = None
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="delivery") as pool:
        while True:
            running = {future for future in running if not future.done()}
            free = threads - len(running)
            claimed = []
            if free > 0 and time.monotonic() < deadline:
                worker = engine.worker_name()
                # Claims follow every finished delivery; dead workers' claims
                # are looked for once per interval.
                recover = recovered_at is None or (
                    time.monotonic() - recovered_at >= interval
                )
                if recover:
                    recovered_at = time.monotonic()
                claimed = engine.claim_due(worker, free, recover=recover)
                for pk in claimed:
                    running.add(pool.submit(_run_claimed, pk, worker))
                done += len(claimed)
            if time.monotonic() >= deadline and not running:
                break
            if until_idle and not claimed and not running:
                if not _anything_due_soon():
                    break
            if not claimed:
                if running:
                    # Look again as soon as a delivery finishes: its slot, or
                    # its account, may let the next one go.
                    wait(running, timeout=interval, return_when=FIRST_COMPLETED)
                else:
                    time.sleep(interval)
            _drop_broken_connection()
    connection.close()
    return done


def _drop_broken_connection():
    """Reconnect only after a database error: the dispatcher queries many
    times a second, and ``close_old_connections`` would close the connection
    each time when ``CONN_MAX_AGE`` is 0."""
    if connection.connection is not None and connection.errors_occurred:
        if not connection.is_usable():
            connection.close()
        connection.errors_occurred = False


def _dispatch_inline(deadline, interval, until_idle):
    done = 0
    while time.monotonic() < deadline:
        worker = engine.worker_name()
        claimed = engine.claim_due(worker, 1)
        for pk in claimed:
            engine.run_delivery(pk, worker)
        done += len(claimed)
        if not claimed:
            if until_idle and not _anything_due_soon():
                break
            time.sleep(interval)
    return done


def _anything_due_soon():
    from .models import Delivery

    # Retries and polls come back within seconds; a slot hours away is idle.
    soon = timezone.now() + timezone.timedelta(seconds=IDLE_HORIZON)
    return Delivery.objects.open().filter(next_attempt_at__lte=soon).exists()


def publish_scheduled():
    """Wagtail's scheduled go-live and expiry, every minute."""
    call_command("publish_scheduled", verbosity=0)


def watchdog():
    """Log what is past due, so the maintainer's alerting sees it."""
    late = list(engine.overdue())
    for delivery in late:
        logger.warning(
            "Delivery %s to account %s is past due since %s (status %s: %s)",
            delivery.pk,
            delivery.account_id,
            delivery.next_attempt_at.isoformat(),
            delivery.status,
            delivery.error_message,
        )
    for warning in token_warnings(renew=True):
        logger.warning("%s", warning["message"])
    return len(late)


def token_warnings(accounts=None, now=None, *, renew=False):
    """Douyin refresh tokens running out among ``accounts`` (default: every
    running one), each ``{code, message, expires_at, account}``; with
    ``renew``, first renew those due (the watchdog does)."""
    from .adapters import douyin
    from .adapters.base import ChannelError
    from .models import Account

    if accounts is None:
        accounts = Account.objects.running()
    warnings = []
    for account in accounts.filter(platform="douyin"):
        if renew:
            try:
                douyin.DouyinAdapter(account).renew_refresh_token_if_due(now)
            except ChannelError as e:
                logger.warning("Renewing %s's refresh token failed: %s", account, e)
        for warning in douyin.refresh_token_warnings(account, now=now):
            warnings.append({**warning, "account": account})
    return warnings


def ensure_schedules(**kwargs):
    """Install this app's django-q2 schedules (post_migrate; idempotent)."""
    from django_q.models import Schedule

    wanted = schedules()
    names = [name for name, _func, _minutes in wanted]
    Schedule.objects.filter(name__startswith="rongmei: dispatch").exclude(
        name__in=names
    ).delete()
    for name, func, minutes in wanted:
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
