from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable
from wagtail.search import index

from ..crypto import CredentialsError, decrypt_credentials, encrypt_credentials
from ..platforms import get_platform, platform_choices


class AccountQuerySet(models.QuerySet):
    def running(self):
        return self.filter(status=Account.Status.RUNNING)

    def publishable_by(self, unit):
        """Accounts a release of ``unit`` may target: running accounts the unit
        owns or that are opened to it."""
        return self.running().filter(Q(unit=unit) | Q(publishing_units=unit)).distinct()


class Account(index.Indexed, ClusterableModel):
    """One official account on one platform (账号), with its filing data."""

    class Status(models.TextChoices):
        APPLYING = "applying", _("Applying")  # 申请中
        RUNNING = "running", _("Running")  # 运行
        DORMANT = "dormant", _("Suspended updates")  # 停更
        CLOSED = "closed", _("Closed")  # 已注销

    unit = models.ForeignKey(
        "cms.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    platform = models.CharField(_("platform"), max_length=32, choices=platform_choices)
    name = models.CharField(_("account name"), max_length=100)
    platform_account_id = models.CharField(
        _("platform account ID"),
        max_length=128,
        blank=True,
        help_text=_("The ID the platform gives the account (原始ID, UID, open_id)."),
    )
    home_url = models.URLField(_("home page address"), blank=True)
    is_verified = models.BooleanField(_("verified"), default=False)
    verification_subject = models.CharField(
        _("verification subject"), max_length=200, blank=True
    )
    purpose = models.TextField(_("purpose and content scope"), blank=True)
    leader_name = models.CharField(_("responsible leader"), max_length=50)
    leader_phone = models.CharField(_("responsible leader's phone"), max_length=32)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.APPLYING
    )
    api_base_url = models.URLField(
        _("API base address"),
        blank=True,
        help_text=_("Leave blank to use the platform's real API."),
    )
    publishing_units = models.ManyToManyField(
        "cms.Unit",
        verbose_name=_("other units that may publish here"),
        blank=True,
        related_name="shared_accounts",
    )
    publishing_windows = models.JSONField(
        _("publishing windows"),
        default=list,
        blank=True,
        help_text=_(
            "Times of day (Asia/Shanghai) when releases may go out, such as "
            "07:00-09:00, 12:00-14:00. Leave empty for the platform's defaults."
        ),
    )
    daily_cap = models.PositiveSmallIntegerField(
        _("releases per day at most"), null=True, blank=True
    )
    weekly_cap = models.PositiveSmallIntegerField(
        _("releases per week at most"), null=True, blank=True
    )
    min_spacing_minutes = models.PositiveSmallIntegerField(
        _("minimum minutes between releases"), default=0
    )
    blackout_dates = models.JSONField(
        _("dates without publishing"), default=list, blank=True
    )
    #: Set after a rate limit: nothing is sent to this account before it.
    cooldown_until = models.DateTimeField(
        _("paused by the platform until"), null=True, blank=True, editable=False
    )
    # Fernet token of the JSON credentials; never shown, never logged.
    credentials = models.TextField(editable=False, blank=True, default="")
    credentials_changed_at = models.DateTimeField(
        _("credentials changed at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AccountQuerySet.as_manager()

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("platform_account_id"),
        index.FilterField("unit"),
        index.FilterField("platform"),
        index.FilterField("status"),
    ]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["unit__code", "platform", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "name"],
                name="channels_account_unique_name",
                violation_error_message=_(
                    "An account with this name already exists on this platform."
                ),
            )
        ]

    def __str__(self):
        return "%(name)s（%(platform)s）" % {
            "name": self.name,
            "platform": self.get_platform_display(),
        }

    def __repr__(self):
        # Never include credentials.
        return f"<Account {self.pk}: {self.platform} {self.name}>"

    @property
    def platform_spec(self):
        return get_platform(self.platform)

    @property
    def effective_api_base_url(self):
        return self.api_base_url or self.platform_spec.default_api_base_url

    @sensitive_variables("values", "previous")
    def set_credentials(self, **values):
        """Encrypt and keep ``values``; saved with the account."""
        known = set(self.platform_spec.credential_fields)
        unknown = set(values) - known
        if unknown:
            raise ValueError(
                "Unknown credential fields for %s: %s (expected %s)"
                % (self.platform, ", ".join(sorted(unknown)), ", ".join(sorted(known)))
            )
        try:
            previous = self.get_credentials()
        except CredentialsError:
            previous = {}
        self.credentials = encrypt_credentials(values)
        self.credentials_changed_at = timezone.now()
        # The names, never the values, of what changed: the audit log records
        # them when the account is saved (cms.security.signal_handlers).
        self._changed_credential_names = sorted(
            name
            for name in values.keys() | previous.keys()
            if values.get(name) != previous.get(name)
        )

    def get_credentials(self):
        return decrypt_credentials(self.credentials)

    @property
    def has_credentials(self):
        return bool(self.credentials)

    def credential_names(self):
        """The names (never the values) of the credentials that are set."""
        return sorted(self.get_credentials()) if self.credentials else []

    def clean(self):
        try:
            get_platform(self.platform)
        except LookupError as e:
            raise ValidationError({"platform": _("Unknown platform.")}) from e


class AccountAdministrator(Orderable):
    """A person who administers the account on the platform (账号管理员)."""

    account = ParentalKey(
        Account, on_delete=models.CASCADE, related_name="administrators"
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=32)
    email = models.EmailField(_("email"), blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("administrator")
        verbose_name_plural = _("administrators")

    def __str__(self):
        return self.name


class ReleaseTarget(Orderable):
    """An account a release goes to, with optional per-account wording."""

    release = ParentalKey(
        "cms.ReleasePage", on_delete=models.CASCADE, related_name="targets"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="release_targets",
    )
    title_override = models.CharField(
        _("title for this account"), max_length=255, blank=True
    )
    text_override = models.TextField(_("text for this account"), blank=True)
    requested_at = models.DateTimeField(
        _("send at"),
        null=True,
        blank=True,
        help_text=_("Leave blank for the account's next publishing slot."),
    )
    off_window_reason = models.CharField(
        _("reason for a time outside the publishing windows"),
        max_length=255,
        blank=True,
    )

    panels = [
        # A plain select, so the unit's allowed accounts are the only choices.
        FieldPanel("account", widget=forms.Select),
        FieldPanel("title_override"),
        FieldPanel("text_override"),
        FieldPanel("requested_at"),
        FieldPanel("off_window_reason"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("target account")
        verbose_name_plural = _("target accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "account"], name="channels_target_unique"
            )
        ]

    def __str__(self):
        return str(self.account)

    def clean(self):
        """A time the account's schedule does not allow needs a reason."""
        super().clean()
        if self.requested_at is None or self.account_id is None:
            return
        from ..engine import requested_time_problems
        from ..schedule import RulesError

        try:
            problems = requested_time_problems(self.account, self.requested_at)
        except RulesError as e:
            raise ValidationError({"requested_at": str(e)}) from e
        if problems and not self.off_window_reason.strip():
            raise ValidationError(
                {
                    "off_window_reason": _("Give a reason for this time: %(problems)s")
                    % {"problems": " ".join(str(p) for p in problems)}
                }
            )
