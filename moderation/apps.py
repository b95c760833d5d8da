from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    """The three-stage review (三审) and automatic content checks."""

    name = "moderation"
    verbose_name = _("Review")
    default_auto_field = "django.db.models.BigAutoField"
