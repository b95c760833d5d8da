from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PasswordHistory(models.Model):
    """A password a user has had (its hash), to refuse reuse and date expiry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="password_history",
    )
    encoded = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("password history entry")
        verbose_name_plural = _("password history")
        ordering = ["-created_at"]


class TokenScopes(models.Model):
    """The scopes of one of Wagtail's API tokens (``wagtailcore.APIToken``).

    Wagtail's tokens are shown once, stored hashed, revocable and record their
    last use; Rongmei adds what each may be used for.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        CHECK = "check", _("Check content")
        ARCHIVE = "archive", _("Archive")

    token = models.OneToOneField(
        "wagtailcore.APIToken",
        verbose_name=_("API token"),
        on_delete=models.CASCADE,
        related_name="rongmei_scopes",
    )
    scopes = models.JSONField(_("scopes"), default=list)

    class Meta:
        verbose_name = _("API token scopes")
        verbose_name_plural = _("API token scopes")

    def __str__(self):
        return ", ".join(self.scopes)
