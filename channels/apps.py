from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "channels"
    verbose_name = _("Channels")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from wagtail.admin.panels import InlinePanel

        from cms.models import ReleasePage

        ReleasePage.add_content_panel(
            InlinePanel(
                "targets",
                heading=_("Target accounts"),
                label=_("Target account"),
                help_text=_(
                    "Only accounts this unit may publish to are offered. "
                    "Leave the overrides blank to use the release's own title and text."
                ),
            )
        )
