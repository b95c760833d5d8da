"""Admin wiring of the review: menu, screens, the dashboard panel, log actions
(loaded from moderation.wagtail_hooks)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from .review_views import MyReviewsView, ReviewRecordView, ReviewView, review_queue


@hooks.register("register_admin_urls")
def review_urls():
    return [
        path("reviews/", MyReviewsView.as_view(), name="moderation_my_reviews"),
        path(
            "reviews/<int:task_state_id>/",
            ReviewView.as_view(),
            name="moderation_review",
        ),
        path(
            "reviews/record/<int:page_id>/",
            ReviewRecordView.as_view(),
            name="moderation_review_record",
        ),
    ]


@hooks.register("register_admin_menu_item")
def my_reviews_menu_item():
    return MenuItem(
        _("Waiting for my review"),
        reverse("moderation_my_reviews"),
        icon_name="tasks",
        order=150,
    )


class NotificationsPanel(Component):
    name = "rongmei_notifications"
    order = 50
    template_name = "moderation/notifications_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        from .workflows import Notification

        return {
            "notifications": Notification.objects.filter(user=self.user, read_at=None)[
                :10
            ],
            "queue": review_queue(self.user)[:10],
        }


@hooks.register("construct_homepage_panels")
def add_notifications_panel(request, panels):
    panels.insert(0, NotificationsPanel(request.user))


@hooks.register("register_log_actions")
def register_review_actions(actions):
    actions.register_action(
        "rongmei.review_skipped",
        _("Skip review stage"),
        _("Review stage skipped"),
    )
