"""The security audit log: action names and one way to write an entry.

Entries are Wagtail log entries (``ModelLogEntry``), so they appear in the "Site
history" report as well as in the "Security log" (cms.security.audit_views). An
entry about a person is attached to their user; what cannot be (a failed sign-in
as a name nobody has) is attached to django-axes' record of the attempts.

Data never holds a password, a token or a credential value: names and addresses
only. The labels and messages are registered in cms.security.audit_hooks.
"""

from django.utils.functional import LazyObject, empty
from wagtail.log_actions import log

#: Every action of this log starts with this prefix.
PREFIX = "rongmei."

LOGIN = "rongmei.login"
LOGOUT = "rongmei.logout"
LOGIN_FAILED = "rongmei.login_failed"
LOCKOUT = "rongmei.lockout"
UNLOCK = "rongmei.unlock"
PASSWORD_CHANGE = "rongmei.password_change"  # noqa: S105 (an action name)
TWO_FACTOR_ENROL = "rongmei.2fa_enrol"
TWO_FACTOR_RESET = "rongmei.2fa_reset"
TWO_FACTOR_RECOVERY_CODES = "rongmei.2fa_recovery_codes"
TWO_FACTOR_FAILED = "rongmei.2fa_failed"
ROLE_GRANT = "rongmei.role_grant"
ROLE_REVOKE = "rongmei.role_revoke"
CREDENTIALS_CHANGE = "rongmei.credentials_change"
PUBLISHING_PAUSE = "rongmei.publishing_pause"
PUBLISHING_RESUME = "rongmei.publishing_resume"

#: All actions of the security log, in the order the filters list them.
ACTIONS = [
    LOGIN,
    LOGOUT,
    LOGIN_FAILED,
    LOCKOUT,
    UNLOCK,
    PASSWORD_CHANGE,
    TWO_FACTOR_ENROL,
    TWO_FACTOR_RESET,
    TWO_FACTOR_RECOVERY_CODES,
    TWO_FACTOR_FAILED,
    ROLE_GRANT,
    ROLE_REVOKE,
    CREDENTIALS_CHANGE,
    PUBLISHING_PAUSE,
    PUBLISHING_RESUME,
]


def record(action, instance, actor=None, data=None, title=None):
    """Write one entry of the security log about ``instance`` and return it.

    ``actor`` is who did it; when omitted, the user of the active admin request
    (Wagtail's log context) or nobody ("system"). ``data`` must hold no secret.
    ``title`` replaces ``str(instance)`` as the entry's label.
    """
    if not action.startswith(PREFIX):
        raise ValueError("Not a security log action: %s" % action)
    kwargs = {"user": _unwrap(actor), "data": data or {}}
    if title:
        kwargs["title"] = title
    return log(instance=_unwrap(instance), action=action, **kwargs)


def _unwrap(obj):
    # request.user may be a lazy object around another (django-otp wraps the auth
    # one), and Wagtail unwraps one level only before looking up the log model.
    while isinstance(obj, LazyObject):
        if obj._wrapped is empty:
            obj._setup()
        obj = obj._wrapped
    return obj
