"""Moving a planned delivery to another time (改期), from the publishing calendar.

Only a delivery that has not been tried yet can move: once the engine has
claimed or attempted it, its time belongs to the engine. A time the account's
schedule does not allow (outside its windows, on a blackout date, over a cap,
too close to another release) needs a reason, which is kept on the delivery and
in the release's history.
"""

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .engine import DeliveryActionError, taken_times
from .models import Account, Delivery
from .schedule import SHANGHAI

#: The audit log action of a move (registered in ``calendar_hooks``).
ACTION = "rongmei.delivery_rescheduled"

Status = Delivery.Status


class OffScheduleError(DeliveryActionError):
    """The time needs a reason, and none was given; ``problems`` says why."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(
            _("Give a reason for publishing at a time the schedule does not allow.")
        )


def _not_claimed(now):
    return Q(lease_until__isnull=True) | Q(lease_until__lte=now)


def can_reschedule(delivery, *, now=None):
    """Whether ``delivery`` can still move: planned, never tried, not claimed."""
    now = now or timezone.now()
    return (
        delivery.status == Status.PLANNED
        and delivery.attempts == 0
        and (delivery.lease_until is None or delivery.lease_until <= now)
    )


def user_can_reschedule(delivery, user):
    """Whether ``user`` may move ``delivery``: they may edit its release."""
    return bool(
        user.is_authenticated
        and user.is_active
        and delivery.release.permissions_for_user(user).can_edit()
    )


def schedule_problems(delivery, at):
    """What the account's schedule says against sending ``delivery`` at ``at``.

    The delivery's own current time does not count against caps and spacing.
    """
    from .schedule import check_requested_time, rules_for

    taken = taken_times(delivery.account, around=at, exclude=delivery)
    return check_requested_time(rules_for(delivery.account), at, taken)


def reschedule_delivery(delivery, at, reason, user, *, now=None):
    """Move a planned ``delivery`` to ``at``; return it, refreshed.

    ``user`` must be allowed to edit the release (else ``PermissionDenied``).
    Raise :class:`DeliveryActionError` when the delivery can no longer move or
    ``at`` has passed, and :class:`OffScheduleError` when the schedule does not
    allow ``at`` and ``reason`` is blank. Writes ``rongmei.delivery_rescheduled``
    to the release's history.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not user_can_reschedule(delivery, user):
        raise PermissionDenied
    if timezone.is_naive(at):
        raise ValueError("A delivery's time must be timezone-aware, got %r" % at)
    if not can_reschedule(delivery, now=now):
        raise DeliveryActionError(
            _(
                "Only planned deliveries that have not been tried yet can be moved; "
                "this one is %(status)s."
            )
            % {"status": delivery.get_status_display()}
        )
    if at < now:
        raise DeliveryActionError(_("Choose a time that has not passed yet."))
    with transaction.atomic():
        # Lock the account, as planning does, so caps and spacing hold.
        accounts = Account.objects.all()
        if connection.features.has_select_for_update:
            accounts = accounts.select_for_update()
        accounts.filter(pk=delivery.account_id).first()
        problems = schedule_problems(delivery, at)
        if problems and not reason:
            raise OffScheduleError(problems)
        previous = delivery.due_at
        moved = (
            Delivery.objects.filter(pk=delivery.pk, status=Status.PLANNED, attempts=0)
            .filter(_not_claimed(now))
            .update(
                due_at=at,
                next_attempt_at=at,
                requested_at=at,
                off_window_reason=reason[:255] if problems else "",
                updated_at=now,
            )
        )
        if not moved:
            raise DeliveryActionError(
                _("It is being sent right now, so its time can no longer change.")
            )
        log(
            delivery.release,
            ACTION,
            user=user,
            data={
                "delivery": delivery.pk,
                "account": delivery.account_id,
                "account_name": str(delivery.account),
                "from": previous.astimezone(SHANGHAI).isoformat(),
                "to": at.astimezone(SHANGHAI).isoformat(),
                "reason": reason,
                "problems": [str(problem) for problem in problems],
            },
        )
    delivery.refresh_from_db()
    return delivery
