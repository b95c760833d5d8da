from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    """The three-stage review (三审) and automatic content checks."""

    name = "moderation"
    verbose_name = _("Review")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cms.models import ReleasePage

        from .panels import CheckFindingsPanel
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
        ReleasePage.add_content_panel(CheckFindingsPanel())
