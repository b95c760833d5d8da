from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "channels"
    verbose_name = _("Channels")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate
        from wagtail.admin.panels import InlinePanel

        from cms.models import ReleasePage

        from . import conf
        from .panels import DeliveriesPanel
        from .previews import register_preview_modes
        from .signal_handlers import install_schedules, register_signal_handlers

        register_signal_handlers()
        # Load every Pillow plugin now, in one thread: the dispatcher's threads
        # converting images at once can otherwise race Pillow's lazy plugin
        # import, and a plugin that failed then (WebP) is missing for good.
        PILImage.init()
        register_preview_modes()
        checks.register(conf.system_check)
        post_migrate.connect(
            install_schedules, sender=self, dispatch_uid="channels_schedules"
        )

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
        ReleasePage.add_content_panel(DeliveriesPanel())
