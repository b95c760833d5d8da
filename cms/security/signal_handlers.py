"""Security audit entries written from signals (see cms.security.audit).

Connected by ``register_security_signal_handlers()``, called from
``cms.signal_handlers.register_signal_handlers``.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Sum
from django.db.models.signals import post_delete, post_save, pre_save

from . import audit

logger = logging.getLogger(__name__)

#: Longest attempted user name kept in an entry (axes keeps 255 characters).
MAX_USERNAME_LENGTH = 150


def client_address(request):
    """The source address of ``request`` as django-axes sees it (proxies included)."""
    if request is None:
        return None
    address = getattr(request, "axes_ip_address", None)
    if address:
        return address
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


def find_user(username):
    if not username:
        return None
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        return None


def find_access_attempt(username=None, ip_address=None):
    """django-axes' latest record of failed attempts by this name or address."""
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.all()
    if username is not None:
        attempts = attempts.filter(username=username)
    if ip_address is not None:
        attempts = attempts.filter(ip_address=ip_address)
    return attempts.order_by("-attempt_time").first()


def _attempted_username(credentials):
    username = (credentials or {}).get(get_user_model().USERNAME_FIELD)
    return str(username)[:MAX_USERNAME_LENGTH] if username is not None else ""


# People signing in and out.


def record_login(sender, request, user, **kwargs):
    data = {"ip_address": client_address(request)}
    audit.record(audit.LOGIN, user, actor=user, data=data)


def record_logout(sender, request, user, **kwargs):
    if user is None:
        return
    data = {"ip_address": client_address(request)}
    audit.record(audit.LOGOUT, user, actor=user, data=data)


def record_login_failed(sender, credentials, request=None, **kwargs):
    """Record the name tried and the address, never the password.

    Runs after django-axes' own receiver (see ``register_security_signal_handlers``),
    so the attempt is counted and ``request.axes_locked_out`` tells whether the
    answer is the lockout page. A name that belongs to nobody is attached to axes'
    record of the attempts.
    """
    username = _attempted_username(credentials)
    address = client_address(request)
    data = {
        "username": username,
        "ip_address": address,
        "locked_out": bool(getattr(request, "axes_locked_out", False)),
    }
    subject = find_user(username) or find_access_attempt(username or None, address)
    if subject is None:
        # Only when axes is switched off: there is nothing to attach the entry to.
        logger.warning(
            "Failed sign-in as %r from %s (not in the audit log: axes is off)",
            username,
            address,
        )
        return
    audit.record(audit.LOGIN_FAILED, subject, data=data, title=username or "-")


def newly_locked_parameters(request):
    """Which lockout parameters (``username``, ``ip_address``) reached the failure
    limit with this attempt, as opposed to being locked already.

    Attempts made while locked out still count (axes'
    ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so a count equal to the
    limit is the attempt that locked.
    """
    from axes.handlers.proxy import AxesProxyHandler
    from axes.helpers import get_failure_limit, get_lockout_parameters

    credentials = getattr(request, "axes_credentials", None)
    limit = get_failure_limit(request, credentials)
    handler = AxesProxyHandler.get_implementation()
    if not hasattr(handler, "get_user_attempts"):
        # Not the database handler: only the overall count is known.
        failures = getattr(request, "axes_failures_since_start", None)
        return ["username", "ip_address"] if failures == limit else []
    locked = []
    parameters = get_lockout_parameters(request, credentials)
    for parameter, attempts in zip(
        parameters, handler.get_user_attempts(request, credentials)
    ):
        failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        if failures == limit:
            locked.append(
                parameter if isinstance(parameter, str) else "+".join(parameter)
            )
    return locked


def record_lockout(sender, request, username, ip_address, **kwargs):
    locked = newly_locked_parameters(request)
    if not locked:
        return
    username = str(username or "")[:MAX_USERNAME_LENGTH]
    from axes.helpers import get_failure_limit

    data = {
        "username": username,
        "ip_address": ip_address,
        "locked": locked,
        "failure_limit": get_failure_limit(
            request, getattr(request, "axes_credentials", None)
        ),
    }
    subject = find_user(username) or find_access_attempt(username, ip_address)
    if subject is not None:
        audit.record(audit.LOCKOUT, subject, data=data, title=username or ip_address)


# Passwords.


def remember_creation(sender, instance, raw=False, **kwargs):
    # The passwords recorded while a new user is saved are its first: not changes.
    instance._rongmei_password_is_initial = instance._state.adding


def record_password_change(sender, instance, created, raw=False, **kwargs):
    """A ``PasswordHistory`` row is written each time a password is set (see
    cms.security.passwords.PasswordHistoryValidator), and for the first one."""
    if raw or not created:
        return
    user = instance.user
    if getattr(user, "_rongmei_password_is_initial", False):
        return
    audit.record(audit.PASSWORD_CHANGE, user)


# Roles.


def _role_data(user_id, unit_id, role):
    from ..models import Unit

    unit = Unit.objects.filter(pk=unit_id).only("name").first()
    return {"role": role, "unit_id": unit_id, "unit": unit.name if unit else ""}


def _record_role(action, user_id, unit_id, role):
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is not None:
        audit.record(action, user, data=_role_data(user_id, unit_id, role))


def remember_previous_role(sender, instance, raw=False, **kwargs):
    if raw or not instance.pk:
        return
    instance._rongmei_previous_role = (
        sender.objects.filter(pk=instance.pk)
        .values_list("user_id", "unit_id", "role")
        .first()
    )


def record_role_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    current = (instance.user_id, instance.unit_id, instance.role)
    previous = getattr(instance, "_rongmei_previous_role", None)
    if not created and previous == current:
        return
    if not created and previous is not None:
        _record_role(audit.ROLE_REVOKE, *previous)
    _record_role(audit.ROLE_GRANT, *current)


def record_role_deleted(sender, instance, **kwargs):
    try:
        user = instance.user
    except ObjectDoesNotExist:
        return
    audit.record(
        audit.ROLE_REVOKE,
        user,
        data=_role_data(instance.user_id, instance.unit_id, instance.role),
    )


# Account credentials (names only: see channels.models.Account.set_credentials).


def record_credentials_change(sender, instance, raw=False, **kwargs):
    names = getattr(instance, "_changed_credential_names", None)
    if raw or names is None:
        return
    del instance._changed_credential_names
    if names:
        audit.record(audit.CREDENTIALS_CHANGE, instance, data={"names": list(names)})


def register_security_signal_handlers():
    # Import axes' receivers first: receivers run in the order they were
    # connected, and record_login_failed reads what axes' receiver recorded.
    from axes.signals import user_locked_out

    from ..models import PasswordHistory, RoleAssignment

    user_logged_in.connect(record_login, dispatch_uid="rongmei_audit_login")
    user_logged_out.connect(record_logout, dispatch_uid="rongmei_audit_logout")
    user_login_failed.connect(
        record_login_failed, dispatch_uid="rongmei_audit_login_failed"
    )
    user_locked_out.connect(record_lockout, dispatch_uid="rongmei_audit_lockout")
    pre_save.connect(
        remember_creation,
        sender=settings.AUTH_USER_MODEL,
        dispatch_uid="rongmei_audit_user_created",
    )
    post_save.connect(
        record_password_change,
        sender=PasswordHistory,
        dispatch_uid="rongmei_audit_password_change",
    )
    pre_save.connect(
        remember_previous_role,
        sender=RoleAssignment,
        dispatch_uid="rongmei_audit_role_pre",
    )
    post_save.connect(
        record_role_saved, sender=RoleAssignment, dispatch_uid="rongmei_audit_role_save"
    )
    post_delete.connect(
        record_role_deleted,
        sender=RoleAssignment,
        dispatch_uid="rongmei_audit_role_delete",
    )
    # A lazy reference: cms does not import channels.
    post_save.connect(
        record_credentials_change,
        sender="channels.Account",
        dispatch_uid="rongmei_audit_credentials",
    )
