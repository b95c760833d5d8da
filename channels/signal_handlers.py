"""Side effects of the channels app, connected from ``ChannelsConfig.ready``."""

from django.utils.translation import gettext as _
from wagtail.signals import page_published, page_unpublished

from .notifications import notify_failure
from .signals import delivery_failed


def plan_on_publish(sender, instance, revision=None, **kwargs):
    """A release that goes live gets one delivery per target account.

    ``page_published`` also fires for a publish with a future go-live time,
    with ``live`` still False; Wagtail's ``publish_scheduled`` publishes it
    again when the time comes, and that is when it is planned.
    """
    from . import engine

    if not instance.live or revision is None:
        return
    engine.plan_deliveries(instance, revision)


def cancel_on_unpublish(sender, instance, **kwargs):
    from . import engine

    engine.cancel_open_deliveries(
        instance, _("The release was unpublished before this went out.")
    )


def install_schedules(sender, **kwargs):
    from .tasks import ensure_schedules

    ensure_schedules()


def register_signal_handlers():
    from cms.models import ReleasePage

    page_published.connect(
        plan_on_publish, sender=ReleasePage, dispatch_uid="channels_plan_on_publish"
    )
    page_unpublished.connect(
        cancel_on_unpublish, sender=ReleasePage, dispatch_uid="channels_cancel"
    )
    delivery_failed.connect(notify_failure, dispatch_uid="channels_notify_failure")
