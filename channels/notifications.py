"""Tell people when a delivery fails: the release's editor and the account's
maintainers, by email (the delivery list and the release's panel show it too)."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def failure_recipients(delivery):
    """Email addresses of the release's editors and the account's maintainers."""
    from cms.models import Role, RoleAssignment

    release = delivery.release
    people = set()
    if release.owner_id:
        people.add(release.owner)
    if delivery.revision.user_id:
        people.add(delivery.revision.user)
    maintainers = get_user_model().objects.filter(
        pk__in=RoleAssignment.objects.filter(
            unit=delivery.account.unit_id, role=Role.MAINTAINER
        ).values("user_id"),
        is_active=True,
    )
    people.update(maintainers)
    addresses = {person.email for person in people if person.email}
    addresses.update(
        admin.email for admin in delivery.account.administrators.all() if admin.email
    )
    return sorted(addresses)


def notify_failure(sender, delivery, reason="", **kwargs):
    recipients = failure_recipients(delivery)
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Not published to %(account)s: %(title)s") % {
            "account": delivery.account,
            "title": delivery.release.title,
        }
        body = _(
            "“%(title)s” could not be published to %(account)s.\n\n"
            "Reason: %(reason)s\n\n"
            "Retry or cancel it on the release's page: %(url)s"
        ) % {
            "title": delivery.release.title,
            "account": delivery.account,
            "reason": reason or delivery.error_message,
            "url": settings.WAGTAILADMIN_BASE_URL.rstrip("/")
            + reverse("wagtailadmin_pages:edit", args=[delivery.release_id]),
        }
    try:
        send_mail(subject, body, None, recipients)
    except OSError:
        # The failure is on the release's page; mail is a courtesy.
        logger.exception("Could not email the failure of delivery %s", delivery.pk)
