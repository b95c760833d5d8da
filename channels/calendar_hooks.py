"""Admin wiring of the publishing calendar: URLs, its item in the "发布"
(Publishing) menu, and the log action of a move (loaded from
``channels.wagtail_hooks``).

The "发布" menu itself is built in ``delivery_hooks`` from the
``register_publishing_menu_item`` hook.
"""

from django.urls import path, reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogFormatter

from . import calendar_views
from .rescheduling import ACTION
from .schedule import SHANGHAI


@hooks.register("register_admin_urls")
def calendar_urls():
    return [
        path(
            "publishing/calendar/",
            calendar_views.CalendarView.as_view(),
            name="channels_calendar",
        ),
        path(
            "publishing/delivery/<int:pk>/reschedule/",
            calendar_views.RescheduleView.as_view(),
            name="channels_reschedule",
        ),
    ]


class CalendarMenuItem(MenuItem):
    def is_shown(self, request):
        return calendar_views.calendar_units(request.user).exists()


@hooks.register("register_publishing_menu_item")
def register_calendar_menu_item():
    return CalendarMenuItem(
        gettext_lazy("Publishing calendar"),
        reverse("channels_calendar"),
        name="publishing-calendar",
        icon_name="date",
        order=300,
    )


def _local(value):
    moment = parse_datetime(value or "")
    if moment is None:
        return value or ""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


class RescheduleFormatter(LogFormatter):
    label = gettext_lazy("Reschedule delivery")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        values = {
            "account": data.get("account_name", ""),
            "old": _local(data.get("from")),
            "new": _local(data.get("to")),
        }
        if data.get("reason"):
            return _(
                "Delivery to %(account)s moved from %(old)s to %(new)s: %(reason)s"
            ) % {**values, "reason": data["reason"]}
        return _("Delivery to %(account)s moved from %(old)s to %(new)s") % values


@hooks.register("register_log_actions")
def register_reschedule_action(actions):
    actions.register_action(ACTION)(RescheduleFormatter)
