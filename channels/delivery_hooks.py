"""Admin wiring of deliveries and the emergency stop (loaded from
channels.wagtail_hooks): URLs, the "发布" menu, the dashboard panel, the alert
while publishing is paused, and the log actions.

The "发布" (Publishing) menu is a submenu named "publishing", built from the
hook ``register_publishing_menu_item``; another module adds an item to it the
way it would to the main menu::

    @hooks.register("register_publishing_menu_item")
    def calendar_menu_item():
        return MenuItem(_("Calendar"), reverse("channels_calendar"), order=300)
"""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogFormatter
from wagtail.permissions import policy_registry

from cms.security import audit

from .delivery_views import (
    CancelDeliveryView,
    DeliveryPermissionPolicy,
    DeliveryViewSet,
    OverdueView,
    PauseCreateView,
    PauseIndexView,
    PauseLiftView,
    RetryDeliveryView,
    WithdrawDeliveryView,
    WithdrawReleaseView,
    active_pauses_for,
    can_see_deliveries,
    current_failures,
    overdue_for,
    visible_deliveries,
)
from .models import Delivery

#: The hook other modules use to add items to the "发布" menu.
PUBLISHING_MENU_HOOK = "register_publishing_menu_item"

policy_registry.register(Delivery, DeliveryPermissionPolicy(Delivery))


@hooks.register("register_admin_viewset")
def register_delivery_viewset():
    return DeliveryViewSet()


@hooks.register("register_admin_urls")
def delivery_urls():
    return [
        path(
            "publishing/delivery/<int:pk>/retry/",
            RetryDeliveryView.as_view(),
            name="channels_delivery_retry",
        ),
        path(
            "publishing/delivery/<int:pk>/cancel/",
            CancelDeliveryView.as_view(),
            name="channels_delivery_cancel",
        ),
        path(
            "publishing/delivery/<int:pk>/withdraw/",
            WithdrawDeliveryView.as_view(),
            name="channels_delivery_withdraw",
        ),
        path(
            "publishing/release/<int:page_id>/withdraw/",
            WithdrawReleaseView.as_view(),
            name="channels_release_withdraw",
        ),
        path("publishing/overdue/", OverdueView.as_view(), name="channels_overdue"),
        path("publishing/pauses/", PauseIndexView.as_view(), name="channels_pauses"),
        path(
            "publishing/pauses/new/",
            PauseCreateView.as_view(),
            name="channels_pause_create",
        ),
        path(
            "publishing/pauses/<int:pk>/lift/",
            PauseLiftView.as_view(),
            name="channels_pause_lift",
        ),
    ]


# ---------------------------------------------------------------------------
# Menu


class DeliveriesMenuItem(MenuItem):
    """Shown to anyone who holds a role: each sees their units' deliveries."""

    def is_shown(self, request):
        return can_see_deliveries(request.user)


class PauseAlertMenuItem(MenuItem):
    """At the top of the sidebar, on every admin page, while publishing that
    concerns the user is paused."""

    def is_shown(self, request):
        return (
            can_see_deliveries(request.user)
            and active_pauses_for(user=request.user).exists()
        )


publishing_menu = Menu(register_hook_name=PUBLISHING_MENU_HOOK)


@hooks.register("register_admin_menu_item")
def publishing_menu_item():
    return SubmenuMenuItem(
        gettext_lazy("Publishing"),
        publishing_menu,
        name="publishing",
        icon_name="calendar-alt",
        order=300,
    )


@hooks.register("register_admin_menu_item")
def pause_alert_menu_item():
    return PauseAlertMenuItem(
        gettext_lazy("Publishing is paused"),
        reverse("channels_pauses"),
        name="publishing-paused",
        icon_name="warning",
        classname="rongmei-publishing-paused",
        order=1,
    )


@hooks.register(PUBLISHING_MENU_HOOK)
def deliveries_menu_item():
    return DeliveriesMenuItem(
        gettext_lazy("Deliveries"),
        reverse("deliveries:index"),
        name="deliveries",
        icon_name="list-ul",
        order=100,
    )


@hooks.register(PUBLISHING_MENU_HOOK)
def overdue_menu_item():
    return DeliveriesMenuItem(
        gettext_lazy("Past due"),
        reverse("channels_overdue"),
        name="deliveries-past-due",
        icon_name="time",
        order=200,
    )


@hooks.register(PUBLISHING_MENU_HOOK)
def pauses_menu_item():
    return DeliveriesMenuItem(
        gettext_lazy("Emergency stop"),
        reverse("channels_pauses"),
        name="emergency-stop",
        icon_name="warning",
        order=900,
    )


# ---------------------------------------------------------------------------
# Dashboard


class DeliveriesDashboardPanel(Component):
    """Failed and past-due deliveries of the user's units, and any pause."""

    name = "rongmei_deliveries"
    order = 60
    template_name = "channels/deliveries/dashboard_panel.html"
    #: How many of each list to show.
    limit = 10

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        failed = current_failures(visible_deliveries(self.user)).select_related(
            "release", "account"
        )
        overdue = overdue_for(self.user)
        return {
            "pauses": active_pauses_for(user=self.user),
            "failed": list(failed.order_by("-updated_at")[: self.limit]),
            "failed_count": failed.count(),
            "overdue": list(overdue[: self.limit]),
            "overdue_count": overdue.count(),
        }


@hooks.register("construct_homepage_panels")
def add_deliveries_panel(request, panels):
    if can_see_deliveries(request.user):
        panels.insert(0, DeliveriesDashboardPanel(request.user))


# ---------------------------------------------------------------------------
# Log actions (written by channels.engine)


class DataLogFormatter(LogFormatter):
    """A message filled in from the log entry's data (see ``engine._log_data``)."""

    #: The data keys the message's placeholders name.
    keys = ("account_name",)

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return str(self.message) % {key: data.get(key, "") for key in self.keys}


class DeliveryRetryFormatter(DataLogFormatter):
    label = gettext_lazy("Retry delivery")
    message = gettext_lazy("Delivery to %(account_name)s sent again")


class DeliveryCancelFormatter(DataLogFormatter):
    label = gettext_lazy("Cancel delivery")
    message = gettext_lazy("Delivery to %(account_name)s cancelled")


class DeliveryWithdrawFormatter(DataLogFormatter):
    label = gettext_lazy("Withdraw delivery")
    message = gettext_lazy("Withdrawn from %(account_name)s")


class PublishingPausedFormatter(DataLogFormatter):
    label = gettext_lazy("Pause publishing")
    message = gettext_lazy("Publishing paused: %(reason)s")
    keys = ("reason",)


class PublishingResumedFormatter(LogFormatter):
    label = gettext_lazy("Resume publishing")
    message = gettext_lazy("Publishing resumed")


@hooks.register("register_log_actions")
def register_delivery_actions(actions):
    for action, formatter in (
        ("rongmei.delivery_retry", DeliveryRetryFormatter),
        ("rongmei.delivery_cancel", DeliveryCancelFormatter),
        ("rongmei.delivery_withdraw", DeliveryWithdrawFormatter),
        (audit.PUBLISHING_PAUSE, PublishingPausedFormatter),
        (audit.PUBLISHING_RESUME, PublishingResumedFormatter),
    ):
        actions.register_action(action)(formatter)
