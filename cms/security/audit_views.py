"""Admin views of the security log and of sign-in lockouts.

The log is read-only: there is a listing and an export, and no view that edits or
deletes an entry.
"""

import datetime
from dataclasses import dataclass

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import IntegerField, Max, Sum, Value
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.history import HistoryFilterSet
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.log_actions import registry as log_action_registry
from wagtail.models import ModelLogEntry

from ..models import Role, RoleAssignment, Unit
from . import audit
from .signal_handlers import find_access_attempt, find_user

#: Roles in the managing department whose holders may read the security log
#: (superusers always may). Usernames tried and addresses are personal data:
#: other roles of the department do not need them.
SECURITY_LOG_ROLES = {Role.UNIT_HEAD, Role.MAINTAINER}

#: What a spreadsheet program would read as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def may_view_security_log(user):
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.filter(
        user=user, unit__kind=Unit.Kind.MANAGING, role__in=SECURITY_LOG_ROLES
    ).exists()


def may_unlock(user):
    return user.is_authenticated and user.is_active and user.is_superuser


def spreadsheet_safe(value):
    """Text that a spreadsheet shows as text: an attempted user name such as
    ``=HYPERLINK(…)`` must not become a formula in the exported CSV."""
    text = "" if value is None else force_str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class SecurityLogFilterSet(HistoryFilterSet):
    label = django_filters.CharFilter(
        label=gettext_lazy("Name"), lookup_expr="icontains"
    )
    ip_address = django_filters.CharFilter(
        label=gettext_lazy("Address"), field_name="data__ip_address"
    )

    class Meta:
        model = ModelLogEntry
        fields = []

    def get_action_choices(self):
        return [
            (action, label)
            for action, label in log_action_registry.get_choices()
            if action.startswith(audit.PREFIX)
        ]

    def get_users_queryset(self):
        user_ids = set()
        for log_model in log_action_registry.get_log_entry_models():
            user_ids |= log_model.objects.filter(
                action__startswith=audit.PREFIX
            ).get_user_ids()
        User = get_user_model()
        return User.objects.filter(pk__in=user_ids - {None}).order_by(
            User.USERNAME_FIELD
        )


class SecurityLogView(LogEntriesView):
    """Wagtail's site history, limited to the security actions (``rongmei.*``),
    with the source address, for superusers and the managing department's heads
    and technical maintainers."""

    page_title = gettext_lazy("Security log")
    header_icon = "warning"
    filterset_class = SecurityLogFilterSet
    index_url_name = "rongmei_security_log"
    index_results_url_name = "rongmei_security_log_results"
    results_template_name = "cms/security/audit/log_results.html"
    export_headings = {
        "timestamp": gettext_lazy("Date/Time"),
        "action": gettext_lazy("Action type"),
        "message": gettext_lazy("Details"),
        "label": gettext_lazy("Name"),
        "content_type": gettext_lazy("Type"),
        "user_display_name": gettext_lazy("User"),
        "ip_address": gettext_lazy("Address"),
    }
    list_export = list(export_headings)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for field in ["message", "label", "user_display_name", "ip_address"]:
            self.custom_field_preprocess[field] = {self.FORMAT_CSV: spreadsheet_safe}
        # Local time, as the admin shows it (Wagtail's export writes UTC).
        self.custom_field_preprocess["timestamp"] = {
            self.FORMAT_CSV: lambda value: timezone.localtime(value).isoformat(
                sep=" ", timespec="seconds"
            ),
            self.FORMAT_XLSX: lambda value: timezone.make_naive(value),
        }

    def dispatch(self, request, *args, **kwargs):
        if not may_view_security_log(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_filename(self):
        return "security-log-%s" % timezone.localdate().strftime("%Y-%m-%d")

    def get_filtered_queryset(self):
        # As LogEntriesView, over every log model, but only security actions and
        # regardless of the reader's model permissions (checked in dispatch).
        self.log_models = list(log_action_registry.get_log_entry_models())
        queryset = None
        for index, log_model in enumerate(self.log_models):
            entries = (
                log_model.objects.filter(action__startswith=audit.PREFIX)
                .values("pk", "timestamp")
                .annotate(log_model_index=Value(index, output_field=IntegerField()))
            )
            entries = self.filter_queryset(entries).order_by()
            queryset = (
                entries if queryset is None else queryset.union(entries, all=True)
            )
        return queryset.order_by("-timestamp")

    def decorate_paginated_queryset(self, queryset):
        entries = super().decorate_paginated_queryset(queryset)
        for entry in entries:
            entry.ip_address = entry.data.get("ip_address") or ""
        return entries


# Lockouts.


@dataclass
class Lockout:
    """A user name or an address that may not sign in until ``until``."""

    kind: str  # "username" or "ip_address"
    value: str
    failures: int
    last_attempt: datetime.datetime
    until: datetime.datetime | None


def current_lockouts():
    """User names and addresses locked now, the most recent first."""
    from axes.helpers import get_cool_off, get_failure_limit, get_lockout_parameters
    from axes.models import AccessAttempt

    limit = get_failure_limit(None, None)
    cool_off = get_cool_off(None)
    attempts = AccessAttempt.objects.all()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    parameters = get_lockout_parameters(None, None)
    lockouts = []
    for kind in ["username", "ip_address"]:
        if kind not in parameters:
            continue
        groups = (
            attempts.exclude(**{kind: None})
            .values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
        )
        for group in groups:
            lockouts.append(
                Lockout(
                    kind=kind,
                    value=group[kind],
                    failures=group["failures"],
                    last_attempt=group["last"],
                    until=group["last"] + cool_off if cool_off else None,
                )
            )
    return sorted(lockouts, key=lambda lockout: lockout.last_attempt, reverse=True)


def unlock(kind, value, actor):
    """Forget the failed attempts of a user name or an address, and log it.

    Return the number of attempt records removed (0: nothing was locked).
    """
    from axes.utils import reset

    if kind == "username":
        attempt = find_access_attempt(username=value)
        subject = find_user(value) or attempt
        data = {"username": value}
    elif kind == "ip_address":
        attempt = find_access_attempt(ip_address=value)
        subject = attempt
        data = {"ip_address": value}
    else:
        raise ValueError("Cannot unlock by %r" % kind)
    if attempt is None:
        return 0
    with transaction.atomic():
        # Logged first: the entry may be attached to an attempt reset removes.
        audit.record(audit.UNLOCK, subject, actor=actor, data=data, title=value)
        if kind == "username":
            return reset(username=value)
        return reset(ip=value)


class LockoutsView(WagtailAdminTemplateMixin, TemplateView):
    """The user names and addresses locked out now, each with an unlock button."""

    template_name = "cms/security/audit/lockouts.html"
    page_title = gettext_lazy("Sign-in lockouts")
    header_icon = "lock"

    def dispatch(self, request, *args, **kwargs):
        if not may_unlock(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lockouts"] = current_lockouts()
        return context


class UnlockView(View):
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not may_unlock(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request):
        kind = request.POST.get("kind")
        value = request.POST.get("value", "")
        if kind not in {"username", "ip_address"} or not value:
            messages.error(request, _("Say which user name or address to unlock."))
        elif unlock(kind, value, request.user):
            messages.success(request, _("“%(value)s” is unlocked.") % {"value": value})
        else:
            messages.warning(
                request, _("“%(value)s” was not locked.") % {"value": value}
            )
        return redirect("rongmei_security_lockouts")
