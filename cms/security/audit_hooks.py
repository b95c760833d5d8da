"""Wagtail hooks of the security audit log (loaded from cms.wagtail_hooks)."""

from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogFormatter

from . import audit, audit_views
from .audit_views import may_unlock, may_view_security_log


def _role_label(role):
    from ..models import Role

    try:
        return str(Role(role).label)
    except ValueError:
        return role


def _address(entry):
    return entry.data.get("ip_address") or _("an unknown address")


class LoginFormatter(LogFormatter):
    label = gettext_lazy("Sign in")

    def format_message(self, log_entry):
        return _("Signed in from %(address)s") % {"address": _address(log_entry)}


class LogoutFormatter(LogFormatter):
    label = gettext_lazy("Sign out")

    def format_message(self, log_entry):
        return _("Signed out")


class LoginFailedFormatter(LogFormatter):
    label = gettext_lazy("Failed sign-in")

    def format_message(self, log_entry):
        if log_entry.data.get("locked_out"):
            message = _(
                "Failed sign-in as “%(username)s” from %(address)s; sign-in is locked"
            )
        else:
            message = _("Failed sign-in as “%(username)s” from %(address)s")
        return message % {
            "username": log_entry.data.get("username", ""),
            "address": _address(log_entry),
        }


class LockoutFormatter(LogFormatter):
    label = gettext_lazy("Sign-in locked")

    def format_message(self, log_entry):
        data = log_entry.data
        values = {
            "username": data.get("username", ""),
            "address": _address(log_entry),
            "limit": data.get("failure_limit", ""),
        }
        locked = set(data.get("locked", []))
        if locked == {"username"}:
            message = _(
                "Sign-in locked for “%(username)s” after %(limit)s failed "
                "attempts (the last from %(address)s)"
            )
        elif locked == {"ip_address"}:
            message = _(
                "Sign-in locked for the address %(address)s after %(limit)s "
                "failed attempts (the last as “%(username)s”)"
            )
        else:
            message = _(
                "Sign-in locked for “%(username)s” and for the address "
                "%(address)s after %(limit)s failed attempts"
            )
        return message % values


class UnlockFormatter(LogFormatter):
    label = gettext_lazy("Sign-in unlocked")

    def format_message(self, log_entry):
        data = log_entry.data
        if data.get("username"):
            return _("Unlocked sign-in for “%(username)s”") % {
                "username": data["username"]
            }
        return _("Unlocked sign-in from the address %(address)s") % {
            "address": _address(log_entry)
        }


class PasswordChangeFormatter(LogFormatter):
    label = gettext_lazy("Password change")

    def format_message(self, log_entry):
        return _("Password changed")


class RoleGrantFormatter(LogFormatter):
    label = gettext_lazy("Role granted")

    def format_message(self, log_entry):
        return _("Granted the role %(role)s in %(unit)s") % {
            "role": _role_label(log_entry.data.get("role", "")),
            "unit": log_entry.data.get("unit", ""),
        }


class RoleRevokeFormatter(LogFormatter):
    label = gettext_lazy("Role removed")

    def format_message(self, log_entry):
        return _("Removed the role %(role)s in %(unit)s") % {
            "role": _role_label(log_entry.data.get("role", "")),
            "unit": log_entry.data.get("unit", ""),
        }


class CredentialsChangeFormatter(LogFormatter):
    label = gettext_lazy("Credentials change")

    def format_message(self, log_entry):
        return _("Changed the credentials %(names)s") % {
            "names": _(", ").join(log_entry.data.get("names", []))
        }


# Publishing pause and resume (audit.PUBLISHING_PAUSE/RESUME) are written and
# registered by channels, which owns emergency stops.

#: Two-factor actions, written by cms.security.two_factor. Its hooks register them
#: too; whichever runs first wins, so the filter lists each once.
_TWO_FACTOR_ACTIONS = [
    (
        audit.TWO_FACTOR_ENROL,
        gettext_lazy("Enrol in two-factor authentication"),
        gettext_lazy("Enrolled in two-factor authentication"),
    ),
    (
        audit.TWO_FACTOR_RESET,
        gettext_lazy("Reset two-factor authentication"),
        gettext_lazy("Two-factor authentication reset"),
    ),
    (
        audit.TWO_FACTOR_RECOVERY_CODES,
        gettext_lazy("Generate recovery codes"),
        gettext_lazy("New recovery codes generated"),
    ),
    (
        audit.TWO_FACTOR_FAILED,
        gettext_lazy("Failed two-factor verification"),
        gettext_lazy("Wrong two-factor code entered"),
    ),
]

_FORMATTERS = {
    audit.LOGIN: LoginFormatter,
    audit.LOGOUT: LogoutFormatter,
    audit.LOGIN_FAILED: LoginFailedFormatter,
    audit.LOCKOUT: LockoutFormatter,
    audit.UNLOCK: UnlockFormatter,
    audit.PASSWORD_CHANGE: PasswordChangeFormatter,
    audit.ROLE_GRANT: RoleGrantFormatter,
    audit.ROLE_REVOKE: RoleRevokeFormatter,
    audit.CREDENTIALS_CHANGE: CredentialsChangeFormatter,
}


@hooks.register("register_log_actions")
def register_security_log_actions(actions):
    for action, formatter in _FORMATTERS.items():
        actions.register_action(action)(formatter)
    for action, label, message in _TWO_FACTOR_ACTIONS:
        # ``formatters`` rather than ``action_exists``, which would rescan hooks.
        if action not in actions.formatters:
            actions.register_action(action, label, message)


@hooks.register("register_admin_urls")
def register_security_log_urls():
    return [
        path(
            "security/log/",
            audit_views.SecurityLogView.as_view(),
            name="rongmei_security_log",
        ),
        path(
            "security/log/results/",
            audit_views.SecurityLogView.as_view(results_only=True),
            name="rongmei_security_log_results",
        ),
        path(
            "security/lockouts/",
            audit_views.LockoutsView.as_view(),
            name="rongmei_security_lockouts",
        ),
        path(
            "security/lockouts/unlock/",
            audit_views.UnlockView.as_view(),
            name="rongmei_security_unlock",
        ),
    ]


class SecurityLogMenuItem(MenuItem):
    def is_shown(self, request):
        return may_view_security_log(request.user)


class LockoutsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_unlock(request.user)


@hooks.register("register_reports_menu_item")
def register_security_log_menu_item():
    return SecurityLogMenuItem(
        gettext_lazy("Security log"),
        reverse("rongmei_security_log"),
        name="security-log",
        icon_name="warning",
        order=1010,
    )


@hooks.register("register_reports_menu_item")
def register_lockouts_menu_item():
    return LockoutsMenuItem(
        gettext_lazy("Sign-in lockouts"),
        reverse("rongmei_security_lockouts"),
        name="sign-in-lockouts",
        icon_name="lock",
        order=1020,
    )
