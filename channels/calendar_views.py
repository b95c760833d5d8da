"""The publishing calendar (发布日历): a week of deliveries, and moving one.

Weeks run Monday to Sunday in Asia/Shanghai, the time the schedule reckons in,
whatever time zone the user chose for the admin. A delivery belongs to the unit
of its release and to the unit of its account: people who hold a role in
either see it. Sent deliveries sit at the time they went out, the others at
their slot.
"""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.models import Role, Unit
from cms.roles import units_where

from .engine import DeliveryActionError
from .models import Account, Delivery
from .rescheduling import (
    OffScheduleError,
    can_reschedule,
    reschedule_delivery,
    schedule_problems,
)
from .schedule import SHANGHAI

Status = Delivery.Status

#: Roles that see a unit's deliveries in the calendar.
CALENDAR_ROLES = (
    Role.EDITOR,
    Role.FIRST_REVIEWER,
    Role.SECOND_REVIEWER,
    Role.FINAL_REVIEWER,
    Role.UNIT_HEAD,
    Role.MAINTAINER,
)

#: Statuses shown in their own colour; the others are muted.
STATUS_STYLES = {
    Status.PLANNED: "planned",
    Status.SENDING: "planned",
    Status.PENDING: "planned",
    Status.SENT: "sent",
    Status.FAILED: "failed",
    Status.UNCONFIRMED: "failed",
}

#: Query parameters of the calendar kept when moving between weeks and back
#: from the reschedule form.
FILTER_PARAMS = ("unit", "account", "status")


def calendar_units(user):
    """Units whose deliveries ``user`` sees in the calendar."""
    return units_where(user, CALENDAR_ROLES)


def visible_deliveries(user):
    """Deliveries of the units ``user`` sees, by release or by account."""
    units = calendar_units(user)
    return Delivery.objects.filter(
        Q(release__unit__in=units) | Q(account__unit__in=units)
    )


def week_start(day):
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_bounds(monday):
    """Aware datetimes of Monday 00:00 and the next Monday 00:00, Shanghai time."""
    start = datetime.combine(monday, time(0), tzinfo=SHANGHAI)
    return start, datetime.combine(monday + timedelta(days=7), time(0), tzinfo=SHANGHAI)


def rendered(response):
    """Render a template response now, inside the time zone override."""
    if hasattr(response, "render"):
        response.render()
    return response


def shanghai_today():
    return timezone.now().astimezone(SHANGHAI).date()


class CalendarFilterForm(forms.Form):
    week = forms.DateField(label=gettext_lazy("Week of"), required=False)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=gettext_lazy("All units"),
    )
    account = forms.ModelChoiceField(
        label=gettext_lazy("Account"),
        queryset=Account.objects.none(),
        required=False,
        empty_label=gettext_lazy("All accounts"),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("code")
        self.fields["account"].queryset = (
            Account.objects.filter(Q(unit__in=units) | Q(publishing_units__in=units))
            .distinct()
            .select_related("unit")
        )
        self.fields["status"].choices = [
            ("", _("All statuses")),
            *Status.choices,
        ]


class CalendarView(WagtailAdminTemplateMixin, TemplateView):
    """A week of planned, sent and failed deliveries, per unit and per account."""

    template_name = "channels/calendar/week.html"
    page_title = gettext_lazy("Publishing calendar")
    header_icon = "date"

    def dispatch(self, request, *args, **kwargs):
        self.units = calendar_units(request.user)
        if not self.units.exists():
            raise PermissionDenied
        with timezone.override(SHANGHAI):
            return rendered(super().dispatch(request, *args, **kwargs))

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = CalendarFilterForm(self.request.GET or None, units=self.units)
        # A filter that does not validate is left out; the others still apply.
        form.is_valid()
        filters = getattr(form, "cleaned_data", {})
        today = shanghai_today()
        monday = week_start(filters.get("week") or today)
        start, end = week_bounds(monday)
        deliveries = (
            visible_deliveries(self.request.user)
            .annotate(shown_at=Coalesce("sent_at", "due_at"))
            .filter(shown_at__gte=start, shown_at__lt=end)
            .select_related("account", "release", "release__unit")
            .order_by("shown_at", "pk")
        )
        if filters.get("unit"):
            unit = filters["unit"]
            deliveries = deliveries.filter(
                Q(release__unit=unit) | Q(account__unit=unit)
            )
        if filters.get("account"):
            deliveries = deliveries.filter(account=filters["account"])
        if filters.get("status"):
            deliveries = deliveries.filter(status=filters["status"])
        days = [{"date": monday + timedelta(days=n), "entries": []} for n in range(7)]
        editable = {}
        now = timezone.now()
        for delivery in deliveries:
            release = delivery.release
            if release.pk not in editable:
                editable[release.pk] = release.permissions_for_user(
                    self.request.user
                ).can_edit()
            local = delivery.shown_at.astimezone(SHANGHAI)
            days[(local.date() - monday).days]["entries"].append(
                {
                    "delivery": delivery,
                    "time": local,
                    "style": STATUS_STYLES.get(delivery.status, "muted"),
                    "may_reschedule": editable[release.pk]
                    and can_reschedule(delivery, now=now),
                }
            )
        kept = {
            key: self.request.GET[key]
            for key in FILTER_PARAMS
            if self.request.GET.get(key)
        }
        url = reverse("channels_calendar")

        def week_url(day):
            return "%s?%s" % (url, urlencode({**kept, "week": day.isoformat()}))

        context.update(
            form=form,
            days=days,
            today=today,
            monday=monday,
            sunday=monday + timedelta(days=6),
            previous_url=week_url(monday - timedelta(days=7)),
            next_url=week_url(monday + timedelta(days=7)),
            today_url=week_url(week_start(today)),
            filter_query=urlencode(kept),
            count=sum(len(day["entries"]) for day in days),
        )
        return context


class RescheduleForm(forms.Form):
    due_at = forms.DateTimeField(
        label=gettext_lazy("New time (Asia/Shanghai)"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        required=False,
        help_text=gettext_lazy(
            "Required when the time is outside the account's publishing windows "
            "or over its caps."
        ),
    )

    def __init__(self, *args, delivery, **kwargs):
        super().__init__(*args, **kwargs)
        self.delivery = delivery
        self.problems = []

    def clean(self):
        cleaned = super().clean()
        at = cleaned.get("due_at")
        if at is None:
            return cleaned
        if at < timezone.now():
            self.add_error("due_at", _("Choose a time that has not passed yet."))
            return cleaned
        self.problems = schedule_problems(self.delivery, at)
        if self.problems and not cleaned.get("reason", "").strip():
            self.add_error("reason", str(OffScheduleError(self.problems)))
        return cleaned


class RescheduleView(WagtailAdminTemplateMixin, TemplateView):
    """Move one planned delivery to another time (改期)."""

    template_name = "channels/calendar/reschedule.html"
    page_title = gettext_lazy("Reschedule delivery")
    header_icon = "date"

    def dispatch(self, request, pk):
        # Another unit's delivery does not exist, as far as this user knows.
        self.delivery = get_object_or_404(
            visible_deliveries(request.user).select_related(
                "account", "release", "release__unit"
            ),
            pk=pk,
        )
        release = self.delivery.release
        if not release.permissions_for_user(request.user).can_edit():
            raise PermissionDenied
        with timezone.override(SHANGHAI):
            if not can_reschedule(self.delivery):
                messages.error(
                    request,
                    _(
                        "Only planned deliveries that have not been tried yet can be "
                        "moved; this one is %(status)s."
                    )
                    % {"status": self.delivery.get_status_display()},
                )
                return redirect(self.calendar_url(self.delivery.due_at))
            return rendered(super().dispatch(request, pk))

    def calendar_url(self, moment):
        query = {
            key: self.request.GET[key]
            for key in FILTER_PARAMS
            if self.request.GET.get(key)
        }
        query["week"] = moment.astimezone(SHANGHAI).date().isoformat()
        return "%s?%s" % (reverse("channels_calendar"), urlencode(query))

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": self.calendar_url(self.delivery.due_at),
                "label": CalendarView.page_title,
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        if form is None:
            form = RescheduleForm(
                delivery=self.delivery,
                initial={
                    "due_at": self.delivery.due_at.astimezone(SHANGHAI),
                    "reason": self.delivery.off_window_reason,
                },
            )
        context.update(
            form=form,
            delivery=self.delivery,
            release=self.delivery.release,
            problems=form.problems,
            calendar_url=self.calendar_url(self.delivery.due_at),
        )
        return context

    def post(self, request, pk):
        form = RescheduleForm(request.POST, delivery=self.delivery)
        if form.is_valid():
            at = form.cleaned_data["due_at"]
            try:
                delivery = reschedule_delivery(
                    self.delivery, at, form.cleaned_data["reason"], request.user
                )
            except OffScheduleError as e:
                form.problems = e.problems
                form.add_error("reason", str(e))
            except DeliveryActionError as e:
                form.add_error(None, str(e))
            else:
                messages.success(
                    request,
                    _("The delivery to %(account)s now goes out at %(time)s.")
                    % {
                        "account": delivery.account,
                        "time": delivery.due_at.astimezone(SHANGHAI).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                    },
                )
                return redirect(self.calendar_url(delivery.due_at))
        return self.render_to_response(self.get_context_data(form=form))
