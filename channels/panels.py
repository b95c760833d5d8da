"""Where a release went (发布情况), shown in the release editor."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

from . import engine
from .models import Delivery

Status = Delivery.Status


class DeliveriesPanel(Panel):
    """ "3 / 4 已发布", then one row per account: its status, time, address or
    reason, and the retry, cancel and withdraw (撤稿) buttons the user may use."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "channels/deliveries/panel.html"

        def get_context_data(self, parent_context=None):
            from .delivery_views import (
                active_pauses_for,
                can_delete_on_platform,
                can_manage_delivery,
                can_withdraw,
                format_time,
                reason_for,
            )

            context = super().get_context_data(parent_context)
            release = self.instance
            context["release"] = release
            if not release.pk:
                return context
            user = self.request.user
            summary = engine.release_summary(release)
            overdue = set(
                engine.overdue(timezone.now())
                .filter(release=release)
                .values_list("pk", flat=True)
            )
            withdraw = can_withdraw(user, release)
            rows = []
            for delivery in summary["deliveries"]:
                manage = can_manage_delivery(user, delivery)
                deletes = can_delete_on_platform(delivery.account.platform)
                rows.append(
                    {
                        "delivery": delivery,
                        "due_at": format_time(delivery.due_at),
                        "sent_at": format_time(delivery.sent_at),
                        "reason": reason_for(delivery),
                        "overdue": delivery.pk in overdue,
                        "failed": delivery.status == Status.FAILED,
                        "can_retry": manage
                        and delivery.status in (Status.FAILED, Status.CANCELLED),
                        "can_cancel": manage
                        and delivery.status in (Status.PLANNED, Status.FAILED),
                        "can_withdraw": withdraw
                        and delivery.status == Status.SENT
                        and deletes,
                        "cannot_delete": delivery.status == Status.SENT and not deletes,
                        "retry_url": reverse(
                            "channels_delivery_retry", args=[delivery.pk]
                        ),
                        "cancel_url": reverse(
                            "channels_delivery_cancel", args=[delivery.pk]
                        ),
                        "withdraw_url": reverse(
                            "channels_delivery_withdraw", args=[delivery.pk]
                        ),
                    }
                )
            context.update(
                {
                    "summary": summary,
                    "rows": rows,
                    "pauses": active_pauses_for(unit=release.unit),
                    "can_withdraw_all": withdraw
                    and any(row["can_withdraw"] for row in rows),
                    "withdraw_all_url": reverse(
                        "channels_release_withdraw", args=[release.pk]
                    ),
                    "list_url": reverse("deliveries:index"),
                }
            )
            return context

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("Publishing status"))
        super().__init__(**kwargs)
