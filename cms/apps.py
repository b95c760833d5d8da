from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Content")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()

        # Close a gap in Wagtail's account-page password form (see the function).
        from wagtail.admin.views.account import ChangePasswordPanel

        from .security.passwords import strict_password_change_form

        ChangePasswordPanel.form_class = strict_password_change_form()
