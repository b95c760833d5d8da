"""Deliveries (发布任务): one release revision to one account, and what they need."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlatformToken(models.Model):
    """A platform token shared by every worker of every cluster.

    Refreshing one invalidates the one before on some platforms (WeChat), so
    exactly one worker refreshes at a time (``channels.tokens``), and the others
    read the new value from here.
    """

    account = models.ForeignKey(
        "channels.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="tokens",
    )
    #: "access_token", "refresh_token", …
    name = models.CharField(_("name"), max_length=32)
    # Fernet token of the value, like the account's credentials.
    value = models.TextField(editable=False, blank=True, default="")
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    #: Goes up by one on every refresh, so a worker holding an older token
    #: knows someone else refreshed it already.
    generation = models.PositiveIntegerField(_("generation"), default=0)
    #: How many more times the platform lets this token be renewed (Douyin's
    #: refresh token), when it says.
    renewals_left = models.PositiveSmallIntegerField(
        _("renewals left"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("platform token")
        verbose_name_plural = _("platform tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="channels_token_unique"
            )
        ]

    def __str__(self):
        return "%s · %s" % (self.account_id, self.name)

    def __repr__(self):
        # Never include the value.
        return "<PlatformToken %s of account %s>" % (self.name, self.account_id)


class DeliveryQuerySet(models.QuerySet):
    def open(self):
        """Deliveries that still have work to do."""
        return self.filter(status__in=Delivery.OPEN_STATUSES)


class Delivery(models.Model):
    """One revision of a release to one account (发布任务)."""

    class Kind(models.TextChoices):
        PUBLISH = "publish", _("publish")
        UPDATE = "update", _("update")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        SENDING = "sending", _("sending")
        PENDING = "pending", _("publishing on the platform")
        UNCONFIRMED = "unconfirmed", _("unconfirmed")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")
        WITHDRAWN = "withdrawn", _("withdrawn")

    #: Statuses the dispatcher still acts on.
    OPEN_STATUSES = (
        Status.PLANNED,
        Status.SENDING,
        Status.PENDING,
        Status.UNCONFIRMED,
    )

    release = models.ForeignKey(
        "cms.ReleasePage",
        verbose_name=_("release"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("revision"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    account = models.ForeignKey(
        "channels.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.PUBLISH
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    #: Sent to the platform where it can carry one, so a lookup can recognise
    #: this delivery's post after an unknown outcome.
    key = models.UUIDField(_("delivery key"), default=uuid.uuid4, unique=True)
    is_urgent = models.BooleanField(_("urgent"), default=False)
    #: The slot the schedule gave (or the editor's time, or now if urgent).
    due_at = models.DateTimeField(_("due at"), db_index=True)
    #: The editor's own time, when they chose one, and why it is outside
    #: the account's windows if it is.
    requested_at = models.DateTimeField(_("requested time"), null=True, blank=True)
    off_window_reason = models.CharField(
        _("reason for a time outside the windows"), max_length=255, blank=True
    )
    #: Nothing happens before this: the slot, then each retry's backoff.
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=8)
    #: The worker holding it and until when; an expired lease on a delivery
    #: that was sending means its request may have arrived.
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    #: The exact payload sent (or about to be sent).
    payload = models.JSONField(_("payload"), null=True, blank=True)
    #: Steps that left something on the platform (uploads, draft, job id).
    progress = models.JSONField(_("progress"), default=dict, blank=True)
    platform_id = models.CharField(_("platform id"), max_length=255, blank=True)
    platform_url = models.URLField(_("address"), max_length=1000, blank=True)
    job_id = models.CharField(_("platform job id"), max_length=255, blank=True)
    error_kind = models.CharField(_("error kind"), max_length=32, blank=True)
    error_code = models.CharField(_("platform error code"), max_length=64, blank=True)
    error_message = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_attempt_at = models.DateTimeField(_("first attempt at"), null=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = DeliveryQuerySet.as_manager()

    # Thousands per release; "used by" counts of releases and accounts gain
    # nothing from them, and indexing each save costs the sender.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "account"], name="channels_delivery_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "due_at"],
                name="channels_delivery_due",
                condition=Q(
                    status__in=["planned", "sending", "pending", "unconfirmed"]
                ),
            )
        ]

    def __str__(self):
        return _("%(release)s → %(account)s") % {
            "release": self.release_id,
            "account": self.account_id,
        }

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class DeliveryAttempt(models.Model):
    """One try at sending, polling or confirming a delivery."""

    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    action = models.CharField(_("action"), max_length=16)
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    #: "sent", "pending", "found", "absent" or an error kind.
    result = models.CharField(_("result"), max_length=32, blank=True)

    wagtail_reference_index_ignore = True
    error_code = models.CharField(_("platform error code"), max_length=64, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["started_at", "pk"]

    def __str__(self):
        return "%s %s %s" % (self.delivery_id, self.action, self.result)


class PublishingPauseQuerySet(models.QuerySet):
    def active(self):
        return self.filter(lifted_at__isnull=True)


class PublishingPause(models.Model):
    """An emergency stop (暂停发布): organisation-wide, or for one unit."""

    unit = models.ForeignKey(
        "cms.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="publishing_pauses",
        help_text=_("Leave blank to pause publishing for the whole organisation."),
    )
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField(_("paused at"), default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paused by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PublishingPauseQuerySet.as_manager()

    class Meta:
        verbose_name = _("publishing pause")
        verbose_name_plural = _("publishing pauses")
        ordering = ["-started_at"]

    def __str__(self):
        if self.unit_id is None:
            return str(_("All publishing paused"))
        return _("Publishing paused for %(unit)s") % {"unit": self.unit}

    @property
    def is_active(self):
        return self.lifted_at is None
