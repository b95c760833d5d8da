"""The delivery engine: plan, claim, send, confirm, retry, withdraw.

A delivery (发布任务) moves through these states::

    planned ──claim──▶ sending ──▶ sent
       ▲                 │ ├─────▶ pending ──poll──▶ sent / failed
       │ transient,      │ ├─────▶ failed (rejected, auth expired, out of attempts)
       │ rate limit      │ └─────▶ unconfirmed ──find──▶ sent / pending
       └─────────────────┘                         └──absent──▶ planned (sent again)

The rule that keeps a post from going out twice: ``sending`` is committed
before the first byte leaves, and a delivery found in ``sending`` without a
live claim (its worker died) or whose request timed out becomes
``unconfirmed``, which is only ever sent again after the platform itself says
it has no trace of it (``Adapter.find``).

Every state change happens here, so the admin, the API, tasks and management
commands behave the same.
"""

import logging
import os
import random
import socket
import threading
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cms.security import audit

from . import conf
from .adapters.base import (
    AuthExpired,
    ChannelError,
    Outcome,
    Payload,
    RateLimited,
    Rejected,
    TransientError,
    UnknownOutcome,
    adapter_class,
    get_adapter,
)
from .models import Account, Delivery, DeliveryAttempt, PublishingPause
from .schedule import NoSlotError, check_requested_time, next_slot, rules_for
from .signals import delivery_failed, delivery_sent, delivery_withdrawn

logger = logging.getLogger(__name__)

Status = Delivery.Status


class DeliveryActionError(Exception):
    """A person asked for something the delivery's state does not allow."""


def worker_name():
    """Name this process and thread, as claims record it."""
    return "%s:%s:%s" % (socket.gethostname(), os.getpid(), threading.get_ident())


# ---------------------------------------------------------------------------
# Planning


def plan_deliveries(release, revision, *, now=None):
    """Create one delivery per target account for a newly live ``revision``.

    Idempotent: a revision has at most one delivery per account. A revision of
    a release already sent to an account makes an update delivery; older
    revisions' deliveries that have not started are replaced.

    ``ReleasePage.publish`` runs it inside the publish's transaction, so a
    release never goes live without its deliveries. It takes a fixed number of
    queries however many accounts the release targets.
    """
    now = now or timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(
            release=release, status=Status.PLANNED, attempts=0
        ).exclude(revision=revision).update(
            status=Status.CANCELLED,
            error_message=_("Replaced by a newer version of the release."),
            next_attempt_at=now,
        )
        targets = list(release.targets.order_by("sort_order", "pk"))
        # Lock the accounts, in one order so that planners cannot deadlock, so
        # two releases planned at once get separate slots.
        accounts = {
            account.pk: account
            for account in _lock(
                Account.objects.filter(pk__in=[t.account_id for t in targets])
            ).order_by("pk")
        }
        planned = set(
            Delivery.objects.filter(revision=revision).values_list(
                "account_id", flat=True
            )
        )
        targets = [
            target
            for target in targets
            if target.account_id in accounts and target.account_id not in planned
        ]
        sent_to = set(
            Delivery.objects.filter(
                release=release,
                account_id__in=[t.account_id for t in targets],
                status=Status.SENT,
            ).values_list("account_id", flat=True)
        )
        needs_slot = [
            accounts[t.account_id]
            for t in targets
            if not release.is_urgent and t.requested_at is None
        ]
        taken = _taken_times_of(needs_slot, around=now)
        deliveries = [
            _new_delivery(
                release,
                revision,
                target,
                accounts[target.account_id],
                update=target.account_id in sent_to,
                taken=taken.get(target.account_id, []),
                now=now,
            )
            for target in targets
        ]
        # Another planner of the same revision may have won a row meanwhile
        # (SQLite has no row locks): keep whichever was first.
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        created = list(
            Delivery.objects.filter(key__in=[d.key for d in deliveries])
            .select_related("account")
            .order_by("pk")
        )
        for delivery in created:
            if delivery.status == Status.FAILED:
                _after_failure(delivery, None, "", delivery.error_message)
    return created


def _new_delivery(release, revision, target, account, *, update, taken, now):
    """The unsaved delivery of ``revision`` to ``account``, with its time."""
    kind = Delivery.Kind.UPDATE if update else Delivery.Kind.PUBLISH
    status, message = Status.PLANNED, ""
    try:
        due_at = due_time(
            account, release.is_urgent, target.requested_at, now, taken=taken
        )
    except NoSlotError as e:
        due_at, status = now, Status.FAILED
        message = _("No publishing slot could be found: %(reason)s") % {"reason": e}
    if account.status != Account.Status.RUNNING:
        status = Status.CANCELLED
        message = _("The account is not running (%(status)s).") % {
            "status": account.get_status_display()
        }
    elif update and not adapter_class(account.platform).supports_update:
        status = Status.CANCELLED
        message = _(
            "%(platform)s cannot change a published post. Withdraw it and "
            "publish again if the change matters."
        ) % {"platform": account.get_platform_display()}
    return Delivery(
        release=release,
        revision=revision,
        account=account,
        kind=kind,
        is_urgent=release.is_urgent,
        requested_at=target.requested_at,
        off_window_reason=target.off_window_reason,
        max_attempts=conf.get("RONGMEI_DELIVERY_MAX_ATTEMPTS"),
        status=status,
        due_at=due_at,
        next_attempt_at=due_at,
        error_message=message,
    )


def _taken_queryset(around):
    return Delivery.objects.filter(
        status__in=[*Delivery.OPEN_STATUSES, Status.SENT],
        due_at__gte=around - timedelta(days=8),
    )


def _taken_times_of(accounts, *, around):
    """:func:`taken_times` of several accounts at once, by account id."""
    taken = {}
    if not accounts:
        return taken
    rows = (
        _taken_queryset(around)
        .filter(account__in=accounts)
        .order_by("due_at")
        .values_list("account_id", "due_at")
    )
    for account_id, due_at in rows:
        taken.setdefault(account_id, []).append(due_at)
    return taken


def taken_times(account, *, around, exclude=None):
    """Times of the account's deliveries that count against caps and spacing."""
    queryset = _taken_queryset(around).filter(account=account)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return sorted(queryset.values_list("due_at", flat=True))


def due_time(account, urgent, requested_at, now, *, taken=None):
    """The time a delivery to ``account`` is due (``taken``: its taken times,
    looked up when not given)."""
    if urgent:
        return now
    if requested_at is not None:
        return max(requested_at, now)
    rules = rules_for(account)
    if taken is None:
        taken = taken_times(account, around=now)
    return next_slot(rules, now, taken)


def requested_time_problems(account, at, *, now=None):
    """What is wrong with an editor's chosen time for ``account`` (for forms)."""
    now = now or timezone.now()
    return check_requested_time(
        rules_for(account), at, taken_times(account, around=now)
    )


# ---------------------------------------------------------------------------
# Claiming


def recover_lost(now=None):
    """Deliveries whose worker died while sending become unconfirmed."""
    now = now or timezone.now()
    lost = list(
        Delivery.objects.filter(status=Status.SENDING, lease_until__lt=now).values_list(
            "pk", flat=True
        )
    )
    recovered = 0
    for pk in lost:
        recovered += Delivery.objects.filter(
            pk=pk, status=Status.SENDING, lease_until__lt=now
        ).update(
            status=Status.UNCONFIRMED,
            claimed_by="",
            lease_until=None,
            next_attempt_at=now,
            error_kind=UnknownOutcome.kind,
            error_message=_(
                "The worker stopped while sending. The platform is asked before "
                "anything is sent again."
            ),
        )
        DeliveryAttempt.objects.create(
            delivery_id=pk,
            action="recover",
            result=UnknownOutcome.kind,
            finished_at=now,
            message="lease expired while sending",
        )
    return recovered


def claim_due(worker, limit, *, now=None, recover=True):
    """Claim up to ``limit`` due deliveries for ``worker``; return their ids.

    Respects emergency stops, account cooldowns, one delivery in flight per
    account, and the per-platform concurrency caps across every worker. Each
    platform's earliest deliveries are considered, so a long queue for one
    platform does not hold up another's. ``recover=False`` skips looking for
    deliveries whose worker died (:func:`recover_lost`; a dispatcher claiming
    many times a second does that once a second).

    A dispatcher claims after every delivery it finishes, so this is three
    plain SQL statements (:class:`_ClaimSQL`): building them with the ORM each
    time cost more CPU than sending a delivery.
    """
    now = now or timezone.now()
    if recover:
        recover_lost(now)
    if limit <= 0:
        return []
    sql = _ClaimSQL.get()
    at = connection.ops.adapt_datetimefield_value(now)
    caps = conf.get("RONGMEI_PLATFORM_CONCURRENCY")
    with connection.cursor() as cursor:
        cursor.execute(sql.in_flight, [at])
        in_flight = dict(cursor.fetchall())
        room = {
            platform: cap - in_flight.get(platform, 0) for platform, cap in caps.items()
        }
        open_platforms = [platform for platform, n in room.items() if n > 0]
        if not open_platforms:
            return []
        # The first few due of each platform with room: enough to fill its
        # room even when some share an account (one at a time per account).
        per_platform = min(limit, max(room.values())) * 2
        cursor.execute(
            sql.candidates(len(open_platforms)),
            [*sql.claimable_params(at), at, at, *open_platforms, per_platform],
        )
        chosen = _pick(cursor.fetchall(), room, limit)
        if not chosen:
            return []
        lease_until = now + timedelta(seconds=conf.get("RONGMEI_DELIVERY_LEASE"))
        cursor.execute(
            sql.claim(len(chosen)),
            [
                worker,
                connection.ops.adapt_datetimefield_value(lease_until),
                *chosen,
                *sql.claimable_params(at),
            ],
        )
        won = {row[0] for row in cursor.fetchall()}
    return [pk for pk in chosen if pk in won]


class _ClaimSQL:
    """The claim's statements, written once per process from the models'
    table and column names.

    - ``in_flight``: deliveries held by a live claim, per platform;
    - ``candidates``: due, claimable deliveries, ranked per platform by time,
      leaving out accounts cooling down after a rate limit, accounts with a
      delivery in flight and releases under an emergency stop (the whole
      organisation's or their unit's);
    - ``claim``: one UPDATE taking those of the chosen that are still
      claimable. On PostgreSQL its rows come from ``SELECT … FOR UPDATE SKIP
      LOCKED``, so dispatchers neither wait for each other nor take the same
      row; on SQLite the single statement is atomic.
    """

    _instance = None

    @classmethod
    def get(cls):
        if cls._instance is None or cls._instance.vendor != connection.vendor:
            cls._instance = cls(connection)
        return cls._instance

    def __init__(self, connection):
        from cms.models import ReleasePage

        self.vendor = connection.vendor
        q = connection.ops.quote_name

        def columns(model):
            return {f.name: q(f.column) for f in model._meta.concrete_fields}

        d = self.d = columns(Delivery)
        a, p = columns(Account), columns(PublishingPause)
        names = {
            "delivery": q(Delivery._meta.db_table),
            "account": q(Account._meta.db_table),
            "pause": q(PublishingPause._meta.db_table),
            "release": q(ReleasePage._meta.db_table),
            "release_pk": q(ReleasePage._meta.pk.column),
            "release_unit": q(ReleasePage._meta.get_field("unit").column),
            "d_id": d["id"],
            "d_account": d["account"],
            "d_release": d["release"],
            "d_due": d["due_at"],
            "d_lease": d["lease_until"],
            "d_by": d["claimed_by"],
            "a_id": a["id"],
            "a_platform": a["platform"],
            "a_cooldown": a["cooldown_until"],
            "p_lifted": p["lifted_at"],
            "p_unit": p["unit"],
        }
        self.names = names
        self.in_flight = (  # noqa: S608 — quoted names from the models, values as parameters
            "SELECT a.{a_platform}, COUNT(*) FROM {delivery} d"
            " JOIN {account} a ON a.{a_id} = d.{d_account}"
            " WHERE d.{d_lease} > %s GROUP BY a.{a_platform}"
        ).format(**names)
        self.skip_locked = connection.features.has_select_for_update_skip_locked

    def claimable(self, alias=""):
        """Due, and held by nobody (params: :meth:`claimable_params`)."""
        d = self.d
        return (
            "{s} IN (%s, %s, %s) AND {n} <= %s AND ({l} IS NULL OR {l} <= %s)".format(
                s=alias + d["status"],
                n=alias + d["next_attempt_at"],
                l=alias + d["lease_until"],
            )
        )

    @staticmethod
    def claimable_params(at):
        return [Status.PLANNED, Status.PENDING, Status.UNCONFIRMED, at, at]

    def candidates(self, n_platforms):
        return (  # noqa: S608 — quoted names from the models, values as parameters
            "SELECT id, account_id, platform FROM ("
            " SELECT d.{d_id} AS id, d.{d_account} AS account_id,"
            " a.{a_platform} AS platform, d.{d_due} AS due_at,"
            " ROW_NUMBER() OVER ("
            "  PARTITION BY a.{a_platform} ORDER BY d.{d_due}, d.{d_id}) AS place"
            " FROM {delivery} d"
            " JOIN {account} a ON a.{a_id} = d.{d_account}"
            " JOIN {release} r ON r.{release_pk} = d.{d_release}"
            " WHERE {claimable}"
            " AND (a.{a_cooldown} IS NULL OR a.{a_cooldown} <= %s)"
            " AND NOT EXISTS (SELECT 1 FROM {delivery} b"
            "  WHERE b.{d_account} = d.{d_account} AND b.{d_lease} > %s)"
            " AND NOT EXISTS (SELECT 1 FROM {pause} p WHERE p.{p_lifted} IS NULL"
            "  AND (p.{p_unit} IS NULL OR p.{p_unit} = r.{release_unit}))"
            " AND a.{a_platform} IN ({platforms})"
            ") ranked WHERE place <= %s ORDER BY due_at, id"
        ).format(
            claimable=self.claimable("d."),
            platforms=", ".join(["%s"] * n_platforms),
            **self.names,
        )

    def claim(self, n_chosen):
        chosen = ", ".join(["%s"] * n_chosen)
        if self.skip_locked:
            rows = (  # noqa: S608 — quoted names from the models, values as parameters
                "SELECT {d_id} FROM {delivery} WHERE {d_id} IN ({chosen})"
                " AND {claimable} ORDER BY {d_id} FOR UPDATE SKIP LOCKED"
            ).format(chosen=chosen, claimable=self.claimable(), **self.names)
        else:
            rows = chosen
        where = "{d_id} IN ({rows})".format(rows=rows, **self.names)
        if not self.skip_locked:
            where += " AND " + self.claimable()
        return (  # noqa: S608 — quoted names from the models, values as parameters
            "UPDATE {delivery} SET {d_by} = %s, {d_lease} = %s"
            " WHERE {where} RETURNING {d_id}"
        ).format(where=where, **self.names)


def claim_one(pk, worker, *, now=None):
    """Claim delivery ``pk`` if it is due and nobody holds it."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=conf.get("RONGMEI_DELIVERY_LEASE"))
    return bool(
        Delivery.objects.filter(
            pk=pk,
            status__in=[Status.PLANNED, Status.PENDING, Status.UNCONFIRMED],
            next_attempt_at__lte=now,
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(claimed_by=worker, lease_until=lease_until)
    )


def _pick(rows, room, limit):
    chosen, accounts = [], set()
    for pk, account_id, platform in rows:
        if len(chosen) >= limit:
            break
        if account_id in accounts or room.get(platform, 1) <= 0:
            continue
        chosen.append(pk)
        accounts.add(account_id)
        room[platform] = room.get(platform, 1) - 1
    return chosen


# ---------------------------------------------------------------------------
# Running a claimed delivery


def run_delivery(pk, worker):
    """Do the next step of a delivery ``worker`` has claimed."""
    # A pause can start between the claim and now: look again, in the same query.
    paused = PublishingPause.objects.active().filter(
        Q(unit__isnull=True) | Q(unit_id=OuterRef("release__unit_id"))
    )
    # Not the revision's content or the release's row: the revision's release
    # is built once per process (``render.release_of``) and shared.
    delivery = (
        Delivery.objects.select_related("account", "revision")
        .defer("revision__content")
        .annotate(paused=Exists(paused))
        .filter(pk=pk, claimed_by=worker)
        .first()
    )
    if delivery is None:
        return
    step = {
        Status.PLANNED: _send,
        Status.PENDING: _poll,
        Status.UNCONFIRMED: _confirm,
    }.get(delivery.status)
    if delivery.paused or step is None:
        _release_claim(delivery)
        return
    step(delivery, worker)


def _release_claim(delivery):
    Delivery.objects.filter(pk=delivery.pk, claimed_by=delivery.claimed_by).update(
        claimed_by="", lease_until=None
    )


def _adapter(delivery):
    def checkpoint(name, value):
        delivery.progress = {**delivery.progress, name: value}
        Delivery.objects.filter(pk=delivery.pk).update(progress=delivery.progress)

    adapter = get_adapter(delivery.account, checkpoint=checkpoint)
    adapter.progress = dict(delivery.progress)
    return adapter


def render_payload(delivery):
    """Render the delivery's revision for its account, keyed to the delivery."""
    payload = adapter_class(delivery.account.platform).render(
        delivery.revision, delivery.account
    )
    payload.key = str(delivery.key)
    return payload


def _send(delivery, worker):
    attempt = DeliveryAttempt(delivery=delivery, action="publish", worker=worker)
    try:
        if delivery.payload:
            payload = Payload.from_json(delivery.payload)
        else:
            payload = render_payload(delivery)
    except Exception as e:  # noqa: BLE001 — any rendering bug fails this delivery only
        logger.exception("Rendering delivery %s failed", delivery.pk)
        _fail(
            delivery,
            attempt,
            "render",
            "",
            _("It could not be formatted: %(error)s") % {"error": e},
        )
        return
    if payload.blocking_problems:
        reason = "；".join(str(p["message"]) for p in payload.blocking_problems)
        _fail(delivery, attempt, Rejected.kind, "", reason, payload=payload.as_json())
        return
    # Committed before any byte leaves: from here on a crash means "unconfirmed".
    sending = {
        "status": Status.SENDING,
        "payload": payload.as_json(),
        # The claim makes this worker the only writer: counting here is safe.
        "attempts": delivery.attempts + 1,
        "first_attempt_at": delivery.first_attempt_at or timezone.now(),
    }
    started = Delivery.objects.filter(
        pk=delivery.pk, claimed_by=worker, status=Status.PLANNED
    ).update(**sending)
    if not started:
        return
    _set(delivery, sending)
    adapter = _adapter(delivery)
    try:
        if delivery.kind == Delivery.Kind.UPDATE:
            outcome = adapter.update(payload, delivery)
        else:
            outcome = adapter.publish(payload)
    except ChannelError as e:
        _handle_error(delivery, attempt, e, sending=True)
    except Exception as e:  # noqa: BLE001 — the request may have gone out
        logger.exception("Publishing delivery %s raised", delivery.pk)
        _handle_error(delivery, attempt, UnknownOutcome(str(e)), sending=True)
    else:
        _record_outcome(delivery, attempt, outcome)


def _poll(delivery, worker):
    attempt = DeliveryAttempt(delivery=delivery, action="poll", worker=worker)
    outcome = Outcome(
        state=Outcome.PENDING,
        platform_id=delivery.platform_id,
        url=delivery.platform_url,
        job_id=delivery.job_id,
        extra=dict(delivery.progress),
    )
    try:
        outcome = _adapter(delivery).poll(outcome)
    except (Rejected, AuthExpired) as e:
        _handle_error(delivery, attempt, e, sending=False)
    except ChannelError as e:
        # Asking again is always safe: keep polling, with backoff.
        _later(delivery, attempt, e, Status.PENDING, _poll_delay(delivery))
    else:
        _record_outcome(delivery, attempt, outcome)


def _confirm(delivery, worker):
    attempt = DeliveryAttempt(delivery=delivery, action="confirm", worker=worker)
    payload = Payload.from_json(delivery.payload) if delivery.payload else None
    try:
        if payload is None:
            outcome = None  # nothing was rendered, so nothing was sent
        else:
            outcome = _adapter(delivery).find(payload, dict(delivery.progress))
    except (Rejected, AuthExpired) as e:
        _handle_error(delivery, attempt, e, sending=False)
        return
    except ChannelError as e:
        delay = _backoff(delivery.attempts + 1)
        _later(delivery, attempt, e, Status.UNCONFIRMED, delay)
        return
    if outcome is not None:
        _record_outcome(delivery, attempt, outcome, found=True)
        return
    _finish_attempt(attempt, "absent", "", "")
    if delivery.attempts >= delivery.max_attempts:
        _fail(
            delivery,
            None,
            TransientError.kind,
            delivery.error_code,
            _("It did not arrive after %(n)s attempts. Last error: %(error)s")
            % {"n": delivery.attempts, "error": delivery.error_message},
        )
        return
    # The platform has no trace of it: sending again cannot make a second post.
    Delivery.objects.filter(pk=delivery.pk, claimed_by=worker).update(
        status=Status.PLANNED
    )
    delivery.status = Status.PLANNED
    _send(delivery, worker)


def _record_outcome(delivery, attempt, outcome, *, found=False):
    now = timezone.now()
    common = {
        "platform_id": outcome.platform_id or delivery.platform_id,
        "platform_url": outcome.url or delivery.platform_url,
        "job_id": outcome.job_id or delivery.job_id,
        "claimed_by": "",
        "lease_until": None,
    }
    if outcome.extra:
        common["progress"] = {**delivery.progress, **outcome.extra}
    if outcome.is_sent:
        sent = {
            "status": Status.SENT,
            "sent_at": now,
            "error_kind": "",
            "error_code": "",
            "error_message": "",
            **common,
        }
        Delivery.objects.filter(pk=delivery.pk).update(**sent)
        _finish_attempt(attempt, "found" if found else Status.SENT, "", "")
        _set(delivery, sent)
        transaction.on_commit(lambda: _announce_sent(delivery))
    else:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Status.PENDING,
            next_attempt_at=now + timedelta(seconds=_poll_delay(delivery)),
            **common,
        )
        _finish_attempt(attempt, Status.PENDING, "", "")


def _set(delivery, fields):
    """Keep the instance in step with an update just made to its row."""
    for name, value in fields.items():
        setattr(delivery, name, value)


def _announce_sent(delivery):
    delivery_sent.send(
        sender=Delivery,
        delivery=delivery,
        payload=delivery.payload,
        platform_id=delivery.platform_id,
        url=delivery.platform_url,
    )


def _handle_error(delivery, attempt, error, *, sending):
    now = timezone.now()
    if isinstance(error, RateLimited):
        wait = error.retry_after if error.retry_after is not None else 60
        until = now + timedelta(seconds=max(1, wait))
        Account.objects.filter(pk=delivery.account_id).update(cooldown_until=until)
        # A refused request was not accepted, so it does not use up an attempt.
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=F("attempts") - 1 if sending else F("attempts")
        )
        back_to = Status.PLANNED if sending else delivery.status
        _later(delivery, attempt, error, back_to, wait)
    elif isinstance(error, Rejected | AuthExpired):
        _fail(delivery, attempt, error.kind, error.code, error.message)
    elif isinstance(error, UnknownOutcome):
        _later(
            delivery,
            attempt,
            error,
            Status.UNCONFIRMED,
            conf.get("RONGMEI_UNCONFIRMED_DELAY"),
        )
    else:  # transient: known not to have been accepted
        delivery.refresh_from_db(fields=["attempts"])
        if delivery.attempts >= delivery.max_attempts:
            _fail(
                delivery,
                attempt,
                error.kind,
                error.code,
                _("Gave up after %(n)s attempts: %(error)s")
                % {"n": delivery.attempts, "error": error.message},
            )
            return
        back_to = Status.PLANNED if sending else delivery.status
        _later(delivery, attempt, error, back_to, _backoff(delivery.attempts))


def _later(delivery, attempt, error, status, delay):
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        error_kind=error.kind,
        error_code=error.code,
        error_message=error.message,
        claimed_by="",
        lease_until=None,
    )
    _finish_attempt(attempt, error.kind, error.code, error.message)


def _fail(delivery, attempt, kind, code, reason, *, payload=None):
    updates = {
        "status": Status.FAILED,
        "error_kind": kind,
        "error_code": code or "",
        "error_message": reason,
        "claimed_by": "",
        "lease_until": None,
    }
    if payload is not None:
        updates["payload"] = payload
    Delivery.objects.filter(pk=delivery.pk).update(**updates)
    if attempt is not None:
        _finish_attempt(attempt, kind, code, reason)
    delivery.refresh_from_db()
    _after_failure(delivery, kind, code, reason)


def _after_failure(delivery, kind, code, reason):
    def announce():
        delivery_failed.send(
            sender=Delivery,
            delivery=delivery,
            payload=delivery.payload,
            kind=kind,
            code=code,
            reason=reason,
        )

    transaction.on_commit(announce)


def _finish_attempt(attempt, result, code, message):
    if attempt is None:
        return
    attempt.finished_at = timezone.now()
    attempt.result = result
    attempt.error_code = code or ""
    attempt.message = message or ""
    attempt.save()


def _backoff(attempt_number):
    """Exponential backoff with full jitter (AWS architecture blog's variant)."""
    base = conf.get("RONGMEI_DELIVERY_BACKOFF")
    ceiling = min(conf.get("RONGMEI_DELIVERY_BACKOFF_MAX"), base * 2**attempt_number)
    return random.uniform(base / 2, max(base / 2, ceiling))  # noqa: S311 — jitter


def _poll_delay(delivery):
    polls = delivery.attempt_log.filter(action="poll").count()
    return min(
        conf.get("RONGMEI_POLL_INTERVAL_MAX"),
        conf.get("RONGMEI_POLL_INTERVAL") * 2 ** min(polls, 10),
    )


def _lock(queryset):
    if connection.features.has_select_for_update:
        return queryset.select_for_update()
    return queryset


# ---------------------------------------------------------------------------
# People's actions: retry, cancel, withdraw, pause


def retry_delivery(delivery, user):
    """Send a failed or cancelled delivery again (from the start)."""
    if delivery.status not in (Status.FAILED, Status.CANCELLED):
        raise DeliveryActionError(
            _("Only failed or cancelled deliveries can be retried.")
        )
    now = timezone.now()
    changed = Delivery.objects.filter(
        pk=delivery.pk, status__in=[Status.FAILED, Status.CANCELLED]
    ).update(
        status=Status.PLANNED,
        attempts=0,
        next_attempt_at=now,
        due_at=now if delivery.due_at < now else delivery.due_at,
        error_kind="",
        error_code="",
        error_message="",
        # Render again: the failure may have been in the content.
        payload=None if not delivery.progress else delivery.payload,
    )
    if changed:
        log(
            delivery.release,
            "rongmei.delivery_retry",
            user=user,
            data=_log_data(delivery),
        )
    delivery.refresh_from_db()
    return delivery


def cancel_delivery(delivery, user):
    """Stop a delivery that has not gone out."""
    if delivery.status not in (Status.PLANNED, Status.FAILED):
        raise DeliveryActionError(
            _(
                "Only planned or failed deliveries can be cancelled; this one is "
                "%(status)s."
            )
            % {"status": delivery.get_status_display()}
        )
    changed = (
        Delivery.objects.filter(
            pk=delivery.pk, status__in=[Status.PLANNED, Status.FAILED]
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=timezone.now()))
        .update(
            status=Status.CANCELLED,
            error_message=_("Cancelled by %(person)s.") % {"person": user},
        )
    )
    if not changed:
        raise DeliveryActionError(_("It is being sent right now; try again shortly."))
    log(
        delivery.release, "rongmei.delivery_cancel", user=user, data=_log_data(delivery)
    )
    delivery.refresh_from_db()
    return delivery


def withdraw_delivery(delivery, user):
    """Delete a sent post on its platform (撤稿) and record it."""
    if delivery.status != Status.SENT:
        raise DeliveryActionError(_("Only sent deliveries can be withdrawn."))
    # Hold the delivery while the platform is asked, so two people withdrawing
    # at once make one call.
    now = timezone.now()
    holder = "withdraw:%s" % worker_name()
    held = (
        Delivery.objects.filter(pk=delivery.pk, status=Status.SENT)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(
            claimed_by=holder,
            lease_until=now + timedelta(seconds=conf.get("RONGMEI_DELIVERY_LEASE")),
        )
    )
    if not held:
        raise DeliveryActionError(_("It is being withdrawn right now."))
    adapter = _adapter(delivery)
    attempt = DeliveryAttempt(delivery=delivery, action="withdraw", worker=str(user))
    try:
        adapter.withdraw(delivery)
    except ChannelError as e:
        _finish_attempt(attempt, e.kind, e.code, e.message)
        Delivery.objects.filter(pk=delivery.pk, claimed_by=holder).update(
            claimed_by="", lease_until=None
        )
        raise DeliveryActionError(
            _("%(account)s could not withdraw it: %(reason)s")
            % {"account": delivery.account, "reason": e}
        ) from e
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.WITHDRAWN,
        withdrawn_at=timezone.now(),
        withdrawn_by=user,
        claimed_by="",
        lease_until=None,
    )
    _finish_attempt(attempt, Status.WITHDRAWN, "", "")
    delivery.refresh_from_db()
    log(
        delivery.release,
        "rongmei.delivery_withdraw",
        user=user,
        data=_log_data(delivery),
    )
    transaction.on_commit(
        lambda: delivery_withdrawn.send(
            sender=Delivery,
            delivery=delivery,
            payload=delivery.payload,
            platform_id=delivery.platform_id,
            user=user,
        )
    )
    return delivery


def withdraw_release(release, user):
    """Withdraw every sent delivery of ``release``; return (done, errors)."""
    done, errors = [], []
    for delivery in release.deliveries.filter(status=Status.SENT).select_related(
        "account"
    ):
        try:
            done.append(withdraw_delivery(delivery, user))
        except DeliveryActionError as e:
            errors.append(str(e))
    return done, errors


def cancel_open_deliveries(release, reason):
    """Cancel what has not started, when a release is unpublished."""
    return Delivery.objects.filter(
        release=release, status=Status.PLANNED, attempts=0
    ).update(status=Status.CANCELLED, error_message=reason)


def pause_publishing(user, reason, unit=None):
    """Stop all publishing, or one unit's, until lifted (紧急停发)."""
    reason = (reason or "").strip()
    if not reason:
        raise DeliveryActionError(_("A reason is required to pause publishing."))
    if PublishingPause.objects.active().filter(unit=unit).exists():
        raise DeliveryActionError(_("Publishing is already paused there."))
    pause = PublishingPause.objects.create(unit=unit, reason=reason, started_by=user)
    log(pause, audit.PUBLISHING_PAUSE, user=user, data={"reason": reason})
    return pause


def lift_pause(pause, user):
    """End an emergency stop; waiting deliveries go out in their order."""
    if not pause.is_active:
        raise DeliveryActionError(_("This pause has already been lifted."))
    pause.lifted_at = timezone.now()
    pause.lifted_by = user
    pause.save(update_fields=["lifted_at", "lifted_by"])
    log(pause, audit.PUBLISHING_RESUME, user=user, data={"reason": pause.reason})
    return pause


def _log_data(delivery):
    return {
        "delivery": delivery.pk,
        "account": delivery.account_id,
        "account_name": str(delivery.account),
        "status": delivery.status,
    }


# ---------------------------------------------------------------------------
# Reading


def release_summary(release):
    """Counts for "3 / 4 已发布": sent, total (cancelled left out), failed."""
    latest = {}
    for delivery in release.deliveries.order_by("account_id", "-revision_id"):
        latest.setdefault(delivery.account_id, delivery)
    counted = [d for d in latest.values() if d.status != Status.CANCELLED]
    return {
        "sent": sum(d.status == Status.SENT for d in counted),
        "total": len(counted),
        "failed": sum(d.status == Status.FAILED for d in counted),
        "open": sum(d.is_open for d in counted),
        "deliveries": sorted(latest.values(), key=lambda d: (d.due_at, d.pk)),
    }


def overdue(now=None):
    """Open deliveries past their time by more than the grace period."""
    now = now or timezone.now()
    grace = timedelta(seconds=conf.get("RONGMEI_WATCHDOG_GRACE"))
    return (
        Delivery.objects.open()
        .filter(next_attempt_at__lt=now - grace)
        .select_related("account", "release")
        .order_by("due_at")
    )
