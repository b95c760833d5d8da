"""Wagtail hooks of two-factor authentication (loaded from cms.wagtail_hooks)."""

from django import forms
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views.account import BaseSettingsPanel
from wagtail.admin.widgets import Button

from . import two_factor, two_factor_views

urlpatterns = [
    path("", two_factor_views.ManageView.as_view(), name="rongmei_2fa_manage"),
    path("verify/", two_factor_views.VerifyView.as_view(), name="rongmei_2fa_verify"),
    path("enrol/", two_factor_views.EnrolView.as_view(), name="rongmei_2fa_enrol"),
    path(
        "recovery-codes/",
        two_factor_views.RecoveryCodesView.as_view(),
        name="rongmei_2fa_recovery_codes",
    ),
    path(
        "reset/<int:user_id>/",
        two_factor_views.ResetView.as_view(),
        name="rongmei_2fa_reset",
    ),
]


@hooks.register("register_admin_urls")
def register_two_factor_urls():
    return [path("2fa/", include(urlpatterns))]


class TwoFactorSettingsPanel(BaseSettingsPanel):
    """Status and a link to the two-factor page, on the account page."""

    name = "two_factor"
    title = _("Two-factor authentication")
    order = 600
    template_name = "cms/security/two_factor/account_panel.html"

    def get_form(self):
        # Nothing to save from the account form; an unbound form is skipped.
        return forms.Form(prefix=self.name)

    def get_context_data(self):
        return {
            "required": two_factor.two_factor_required(self.user),
            "device": two_factor.authenticator(self.user),
            "codes_left": two_factor.recovery_codes_left(self.user),
            "manage_url": reverse("rongmei_2fa_manage"),
        }


@hooks.register("register_account_settings_panel")
def register_two_factor_panel(request, user, profile):
    return TwoFactorSettingsPanel(request, user, profile)


@hooks.register("register_user_listing_buttons")
def two_factor_reset_button(user, request_user):
    if two_factor.can_reset_two_factor(request_user, user):
        yield Button(
            _("Reset two-factor authentication"),
            reverse("rongmei_2fa_reset", args=[user.pk]),
            icon_name="key",
            priority=90,
        )


_ACTIONS = [
    (
        two_factor.ACTION_ENROL,
        _("Enrol in two-factor authentication"),
        _("Enrolled in two-factor authentication"),
    ),
    (
        two_factor.ACTION_RESET,
        _("Reset two-factor authentication"),
        _("Two-factor authentication reset"),
    ),
    (
        two_factor.ACTION_RECOVERY_CODES,
        _("Generate recovery codes"),
        _("New recovery codes generated"),
    ),
    (
        two_factor.ACTION_FAILED,
        _("Failed two-factor verification"),
        _("Wrong two-factor code entered"),
    ),
]


@hooks.register("register_log_actions")
def register_two_factor_log_actions(actions):
    # The security audit hooks may register these names too; registering twice
    # would list them twice in the audit log filter. ``formatters`` is read
    # directly because ``action_exists`` would rescan the hooks from here.
    for action, label, message in _ACTIONS:
        if action not in actions.formatters:
            actions.register_action(action, label, message)
