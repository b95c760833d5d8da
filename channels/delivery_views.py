"""Admin screens of deliveries (发布任务) and of the emergency stop (紧急停发).

People retry, cancel and withdraw deliveries, read the delivery list and the
watchdog's list of what is past due, and pause or resume publishing. Every
change goes through :mod:`channels.engine`; the views only decide who may ask
and tell them what happened.
"""

import logging

from django import forms
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView, View
from django_filters import ChoiceFilter, ModelChoiceFilter
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import ModelPermissionPolicy

from cms.models import ReleasePage, Role, RoleAssignment, Unit
from cms.roles import units_where, user_roles

from . import engine
from .adapters.base import adapter_class
from .models import Account, Delivery, PublishingPause
from .platforms import platform_choices

logger = logging.getLogger(__name__)

Status = Delivery.Status

#: Roles that may stop publishing: in their own unit, or everywhere when held
#: in the managing department.
PAUSE_ROLES = (Role.UNIT_HEAD, Role.FINAL_REVIEWER)

#: Statuses whose reason is worth showing next to the delivery.
EXPLAINED_STATUSES = (Status.FAILED, Status.UNCONFIRMED, Status.CANCELLED)


# ---------------------------------------------------------------------------
# Who may do what


def _signed_in(user):
    return user.is_active and user.is_authenticated


def visible_units(user):
    """Units whose deliveries ``user`` sees: every unit they hold a role in."""
    return units_where(user, list(Role))


def visible_deliveries(user, queryset=None):
    """Deliveries of releases of ``user``'s units, or to their units' accounts."""
    queryset = Delivery.objects.all() if queryset is None else queryset
    if not _signed_in(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    units = visible_units(user).values("pk")
    return queryset.filter(Q(release__unit__in=units) | Q(account__unit__in=units))


def visible_pauses(user):
    """Organisation-wide pauses, and those of ``user``'s units."""
    pauses = PublishingPause.objects.select_related("unit", "started_by", "lifted_by")
    if not _signed_in(user):
        return pauses.none()
    if user.is_superuser:
        return pauses
    return pauses.filter(
        Q(unit__isnull=True) | Q(unit__in=visible_units(user).values("pk"))
    )


def can_see_deliveries(user):
    return _signed_in(user) and (user.is_superuser or visible_units(user).exists())


def can_manage_delivery(user, delivery):
    """Retry and cancel: whoever may edit the release, or a technical
    maintainer of the account's unit."""
    if not _signed_in(user):
        return False
    if delivery.release.permissions_for_user(user).can_edit():
        return True
    return Role.MAINTAINER in user_roles(user, delivery.account.unit)


def can_withdraw(user, release):
    """Withdrawal takes posts down publicly: it needs the right to publish and
    unpublish the release (a final reviewer), also once it is unpublished."""
    if not _signed_in(user):
        return False
    if user.is_superuser:
        return True
    tester = release.permissions_for_user(user)
    return tester.can_unpublish() or tester.can_publish()


def _holds_pause_role(user, units):
    return RoleAssignment.objects.filter(
        user=user, unit__in=units, role__in=PAUSE_ROLES
    ).exists()


def can_pause(user, unit=None):
    """Whether ``user`` may pause (and resume) publishing for ``unit``, or for
    the whole organisation when ``unit`` is None."""
    if not _signed_in(user):
        return False
    if user.is_superuser:
        return True
    if _holds_pause_role(user, Unit.objects.filter(kind=Unit.Kind.MANAGING)):
        return True
    return unit is not None and _holds_pause_role(user, [unit])


def pausable_units(user):
    """Units whose publishing ``user`` may pause one by one."""
    if not _signed_in(user):
        return Unit.objects.none()
    if can_pause(user, None):
        return Unit.objects.all()
    return Unit.objects.filter(
        pk__in=RoleAssignment.objects.filter(user=user, role__in=PAUSE_ROLES).values(
            "unit_id"
        )
    )


def may_pause_anything(user):
    return can_pause(user, None) or pausable_units(user).exists()


def can_delete_on_platform(platform):
    """Whether the platform's adapter can delete a post (撤稿)."""
    try:
        return adapter_class(platform).supports_withdraw
    except (LookupError, ImportError):
        return False


# ---------------------------------------------------------------------------
# What people see: shared by the views, the release's panel and the dashboard


def active_pauses_for(user=None, unit=None):
    """Active pauses that hold ``user``'s deliveries, or ``unit``'s releases."""
    pauses = PublishingPause.objects.active().select_related("unit", "started_by")
    if unit is not None:
        return pauses.filter(Q(unit__isnull=True) | Q(unit=unit))
    if user is not None:
        return pauses.filter(pk__in=visible_pauses(user).values("pk"))
    return pauses


def current_failures(queryset):
    """Failed deliveries not since replaced by one of a newer revision."""
    newer = Delivery.objects.filter(
        release=OuterRef("release"),
        account=OuterRef("account"),
        revision_id__gt=OuterRef("revision_id"),
    )
    return queryset.filter(status=Status.FAILED).filter(~Exists(newer))


def overdue_for(user, now=None):
    """The watchdog's list (``engine.overdue``), as far as ``user`` may see it."""
    return visible_deliveries(user, engine.overdue(now)).select_related(
        "account", "release", "release__unit"
    )


def token_warnings(user, now=None):
    """Douyin refresh tokens about to run out, on accounts ``user`` may see."""
    from .tasks import token_warnings as warnings_for

    accounts = Account.objects.select_related("unit")
    if not user.is_superuser:
        accounts = accounts.filter(unit__in=visible_units(user).values("pk"))
    return warnings_for(accounts, now or timezone.now())


def format_time(value):
    """A time in the admin's time zone (Asia/Shanghai unless the user chose)."""
    if value is None:
        return ""
    return dateformat.format(timezone.localtime(value), "Y-m-d H:i")


def reason_for(delivery):
    """The reason in plain words, where the state calls for one."""
    if delivery.status in EXPLAINED_STATUSES or (
        delivery.is_open and delivery.error_message
    ):
        return delivery.error_message
    return ""


# ---------------------------------------------------------------------------
# Acting on one delivery


def _back(request, delivery_or_release):
    release_id = getattr(delivery_or_release, "release_id", delivery_or_release.pk)
    return get_valid_next_url_from_request(request) or reverse(
        "wagtailadmin_pages:edit", args=[release_id]
    )


def _warn_if_paused(request, release):
    if active_pauses_for(unit=release.unit).exists():
        messages.warning(
            request,
            _("Publishing is paused: it waits until the pause is lifted."),
        )


class DeliveryActionView(View):
    """POST only: check the user may act, call the engine, say what happened."""

    http_method_names = ["post"]

    def get_delivery(self):
        return get_object_or_404(
            Delivery.objects.select_related("release", "account", "account__unit"),
            pk=self.kwargs["pk"],
        )

    def has_permission(self, delivery):
        return can_manage_delivery(self.request.user, delivery)

    def post(self, request, pk):
        delivery = self.get_delivery()
        if not self.has_permission(delivery):
            raise PermissionDenied
        try:
            delivery = self.act(delivery, request.user)
        except engine.DeliveryActionError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, self.success_message(delivery))
            self.after(delivery)
        return redirect(_back(request, delivery))

    def after(self, delivery):
        pass


class RetryDeliveryView(DeliveryActionView):
    def act(self, delivery, user):
        return engine.retry_delivery(delivery, user)

    def success_message(self, delivery):
        return _("%(account)s: it will be sent again.") % {"account": delivery.account}

    def after(self, delivery):
        _warn_if_paused(self.request, delivery.release)


class CancelDeliveryView(DeliveryActionView):
    def act(self, delivery, user):
        return engine.cancel_delivery(delivery, user)

    def success_message(self, delivery):
        return _("%(account)s: the delivery is cancelled.") % {
            "account": delivery.account
        }


class WithdrawView(WagtailAdminTemplateMixin, TemplateView):
    """撤稿: list what will be deleted on the platforms, then delete it."""

    template_name = "channels/deliveries/withdraw_confirm.html"
    page_title = gettext_lazy("Withdraw")
    header_icon = "bin"

    def dispatch(self, request, *args, **kwargs):
        self.release = self.get_release()
        if not can_withdraw(request.user, self.release):
            raise PermissionDenied
        self.deliveries = list(self.get_deliveries())
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.release.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.release.pk]),
                "label": self.release.title,
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request, *args, **kwargs):
        if not self.deliveries:
            messages.error(request, _("Nothing sent is left to withdraw."))
            return redirect(_back(request, self.release))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "release": self.release,
                "rows": [
                    {
                        "delivery": d,
                        "sent_at": format_time(d.sent_at),
                        "deletes": can_delete_on_platform(d.account.platform),
                    }
                    for d in self.deliveries
                ],
                "edit_url": reverse("wagtailadmin_pages:edit", args=[self.release.pk]),
            }
        )
        return context


class WithdrawDeliveryView(WithdrawView):
    def get_release(self):
        self.delivery = get_object_or_404(
            Delivery.objects.select_related("release", "account"), pk=self.kwargs["pk"]
        )
        return self.delivery.release

    def get_deliveries(self):
        if self.delivery.status != Status.SENT:
            return []
        return [self.delivery]

    def post(self, request, pk):
        try:
            engine.withdraw_delivery(self.delivery, request.user)
        except engine.DeliveryActionError as e:
            messages.error(request, str(e))
        else:
            messages.success(
                request,
                _("Withdrawn from %(account)s.") % {"account": self.delivery.account},
            )
        return redirect(_back(request, self.release))


class WithdrawReleaseView(WithdrawView):
    page_title = gettext_lazy("Withdraw everywhere")

    def get_release(self):
        return get_object_or_404(ReleasePage, pk=self.kwargs["page_id"])

    def get_deliveries(self):
        return self.release.deliveries.filter(status=Status.SENT).select_related(
            "account"
        )

    def post(self, request, page_id):
        done, errors = engine.withdraw_release(self.release, request.user)
        if done:
            messages.success(
                request,
                ngettext(
                    "Withdrawn from %(count)d account.",
                    "Withdrawn from %(count)d accounts.",
                    len(done),
                )
                % {"count": len(done)},
            )
        for error in errors:
            messages.error(request, error)
        if not done and not errors:
            messages.error(request, _("Nothing sent is left to withdraw."))
        return redirect(_back(request, self.release))


# ---------------------------------------------------------------------------
# The delivery list (发布任务) and the watchdog's list (逾期)


class DeliveryPermissionPolicy(ModelPermissionPolicy):
    """Deliveries are read here and changed only through the engine: anyone
    with a role views those of their units; nobody adds, edits or deletes."""

    def user_has_permission(self, user, action):
        return action == "view" and can_see_deliveries(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return (
            action == "view"
            and visible_deliveries(user).filter(pk=instance.pk).exists()
        )

    def instances_user_has_any_permission_for(self, user, actions):
        if "view" not in actions:
            return Delivery.objects.none()
        return visible_deliveries(user)


def _visible_units_for_filter(request):
    if request is None:
        return Unit.objects.none()
    return visible_units(request.user)


def _visible_accounts_for_filter(request):
    if request is None:
        return Account.objects.none()
    accounts = Account.objects.select_related("unit")
    if request.user.is_superuser:
        return accounts
    return accounts.filter(unit__in=visible_units(request.user).values("pk"))


class DeliveryFilterSet(WagtailFilterSet):
    status = ChoiceFilter(label=gettext_lazy("status"), choices=Status.choices)
    platform = ChoiceFilter(
        label=gettext_lazy("platform"),
        field_name="account__platform",
        choices=platform_choices,
    )
    unit = ModelChoiceFilter(
        label=gettext_lazy("unit"),
        field_name="release__unit",
        queryset=_visible_units_for_filter,
    )
    account = ModelChoiceFilter(
        label=gettext_lazy("account"), queryset=_visible_accounts_for_filter
    )

    class Meta:
        model = Delivery
        fields = []


class DeliveryIndexView(IndexView):
    def get_base_queryset(self):
        return visible_deliveries(self.request.user).select_related(
            "release", "release__unit", "account"
        )

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["pauses"] = active_pauses_for(user=self.request.user)
        context["overdue_url"] = reverse("channels_overdue")
        return context


class DeliveryInspectView(InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(
            visible_deliveries(self.request.user).select_related("release", "account"),
            pk=self.pk,
        )

    def get_release_display_value(self):
        return self.object.release.title

    def get_due_at_display_value(self):
        return format_time(self.object.due_at)

    def get_sent_at_display_value(self):
        return format_time(self.object.sent_at) or "-"

    def get_withdrawn_at_display_value(self):
        return format_time(self.object.withdrawn_at) or "-"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        delivery = self.object
        context.update(
            {
                "attempts": delivery.attempt_log.all(),
                "edit_url": reverse(
                    "wagtailadmin_pages:edit", args=[delivery.release_id]
                ),
                "format_time": format_time,
            }
        )
        return context


class DeliveryViewSet(ModelViewSet):
    """发布任务: read-only; people act on deliveries from the release's page."""

    model = Delivery
    name = "deliveries"
    url_prefix = "publishing/deliveries"
    icon = "list-ul"
    menu_label = gettext_lazy("Deliveries")
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = DeliveryIndexView
    inspect_view_class = DeliveryInspectView
    index_template_name = "channels/deliveries/index.html"
    inspect_template_name = "channels/deliveries/inspect.html"
    filterset_class = DeliveryFilterSet
    ordering = ["-due_at", "-pk"]
    list_per_page = 50
    list_display = [
        # The first column links to the inspect view.
        "release",
        Column(
            "unit",
            label=gettext_lazy("unit"),
            accessor="release.unit.name",
        ),
        Column(
            "platform",
            label=gettext_lazy("platform"),
            accessor="account.get_platform_display",
        ),
        Column("account", label=gettext_lazy("account"), accessor="account.name"),
        Column(
            "status",
            label=gettext_lazy("status"),
            accessor="get_status_display",
            sort_key="status",
        ),
        Column(
            "due_at",
            label=gettext_lazy("due at"),
            accessor=lambda d: format_time(d.due_at),
            sort_key="due_at",
        ),
        Column("attempts", label=gettext_lazy("attempts"), sort_key="attempts"),
        Column("reason", label=gettext_lazy("reason"), accessor=reason_for),
    ]
    inspect_view_fields = [
        "release",
        "account",
        "kind",
        "status",
        "due_at",
        "is_urgent",
        "requested_at",
        "off_window_reason",
        "attempts",
        "max_attempts",
        "error_kind",
        "error_code",
        "error_message",
        "platform_id",
        "platform_url",
        "sent_at",
        "withdrawn_at",
        "withdrawn_by",
    ]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        # Only the list and the inspect view exist.
        for name in (
            "add_url_name",
            "edit_url_name",
            "delete_url_name",
            "history_url_name",
            "usage_url_name",
        ):
            view_kwargs[name] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]

    def get_permissions_to_register(self):
        # Nothing to grant in group settings: visibility follows roles.
        return Permission.objects.none()


class OverdueView(WagtailAdminTemplateMixin, TemplateView):
    """逾期: open deliveries past their time (the watchdog), and tokens about to
    run out."""

    template_name = "channels/deliveries/overdue.html"
    page_title = gettext_lazy("Past due")
    header_icon = "time"

    def dispatch(self, request, *args, **kwargs):
        if not can_see_deliveries(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context.update(
            {
                "rows": [
                    {
                        "delivery": d,
                        "due_at": format_time(d.due_at),
                        "next_attempt_at": format_time(d.next_attempt_at),
                        "late": now - d.next_attempt_at,
                        "reason": d.error_message,
                    }
                    for d in overdue_for(self.request.user, now)
                ],
                "token_warnings": token_warnings(self.request.user, now),
                "pauses": active_pauses_for(user=self.request.user),
            }
        )
        return context


# ---------------------------------------------------------------------------
# Emergency stop (紧急停发)


class PauseForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Scope"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=gettext_lazy("The whole organisation"),
        help_text=gettext_lazy(
            "Releases of a paused unit wait; pausing the whole organisation "
            "stops every delivery."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy(
                "Say why publishing is paused: it is recorded and shown to everyone."
            )
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["unit"]
        field.queryset = pausable_units(user)
        if not can_pause(user, None):
            field.required = True
            field.empty_label = None
            field.label = gettext_lazy("Unit")


class PauseIndexView(WagtailAdminTemplateMixin, TemplateView):
    """Active and past emergency stops, with the way to lift the active ones."""

    template_name = "channels/pauses/index.html"
    page_title = gettext_lazy("Emergency stop")
    header_icon = "warning"
    #: How many lifted pauses to list.
    history_length = 50

    def dispatch(self, request, *args, **kwargs):
        if not can_see_deliveries(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        pauses = visible_pauses(user)
        context.update(
            {
                "active": [
                    {"pause": p, "can_lift": can_pause(user, p.unit)}
                    for p in pauses.filter(lifted_at__isnull=True)
                ],
                "past": pauses.filter(lifted_at__isnull=False)[: self.history_length],
                "can_pause": may_pause_anything(user),
                "format_time": format_time,
            }
        )
        return context


class PauseCreateView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "channels/pauses/create.html"
    page_title = gettext_lazy("Pause publishing")
    header_icon = "warning"

    def dispatch(self, request, *args, **kwargs):
        if not may_pause_anything(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("channels_pauses"), "label": _("Emergency stop")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get(self, request, *args, **kwargs):
        initial = {}
        unit_id = request.GET.get("unit")
        if unit_id and unit_id.isdigit():
            initial["unit"] = int(unit_id)
        return self.render_to_response(
            self.get_context_data(form=PauseForm(user=request.user, initial=initial))
        )

    def post(self, request, *args, **kwargs):
        unit = None
        unit_id = request.POST.get("unit", "")
        if unit_id:
            unit = (
                Unit.objects.filter(pk=unit_id).first() if unit_id.isdigit() else None
            )
            if unit is None:
                raise PermissionDenied
        if not can_pause(request.user, unit):
            raise PermissionDenied
        form = PauseForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                pause = engine.pause_publishing(
                    request.user, form.cleaned_data["reason"], form.cleaned_data["unit"]
                )
            except engine.DeliveryActionError as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, pause_message(pause))
                return redirect("channels_pauses")
        messages.validation_error(
            request, _("Publishing was not paused: see below."), form
        )
        return self.render_to_response(self.get_context_data(form=form))


def pause_message(pause):
    if pause.unit_id is None:
        return _("All publishing is paused. Deliveries wait until it is lifted.")
    return _(
        "Publishing of %(unit)s is paused. Its deliveries wait until it is lifted."
    ) % {"unit": pause.unit}


class PauseLiftView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "channels/pauses/lift_confirm.html"
    page_title = gettext_lazy("Resume publishing")
    header_icon = "warning"

    def dispatch(self, request, *args, **kwargs):
        self.pause = get_object_or_404(
            PublishingPause.objects.select_related("unit", "started_by"),
            pk=kwargs["pk"],
        )
        if not can_pause(request.user, self.pause.unit):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("channels_pauses"), "label": _("Emergency stop")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "pause": self.pause,
                "started_at": format_time(self.pause.started_at),
                "waiting": self.waiting_count(),
            }
        )
        return context

    def waiting_count(self):
        waiting = Delivery.objects.open()
        if self.pause.unit_id is not None:
            waiting = waiting.filter(release__unit=self.pause.unit_id)
        return waiting.count()

    def post(self, request, pk):
        try:
            engine.lift_pause(self.pause, request.user)
        except engine.DeliveryActionError as e:
            messages.error(request, str(e))
        else:
            if self.pause.unit_id is None:
                text = _("Publishing is resumed; waiting deliveries go out in order.")
            else:
                text = _(
                    "Publishing of %(unit)s is resumed; its waiting deliveries go "
                    "out in order."
                ) % {"unit": self.pause.unit}
            messages.success(request, text)
        return redirect("channels_pauses")
