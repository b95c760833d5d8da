"""Side effects of the review, connected from ``ModerationConfig.ready``."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.signals import post_migrate, post_save
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.models import Revision, TaskState
from wagtail.signals import task_rejected

logger = logging.getLogger(__name__)


def check_saved_revision(sender, instance, created, raw=False, **kwargs):
    """Run the checks on every saved revision of a release (shown in the editor)."""
    from cms.models import ReleasePage

    if raw or not created:
        return
    if not issubclass(instance.content_type.model_class() or object, ReleasePage):
        return
    from .checking import check_revision
    from .workflows import CheckRun

    check_revision(instance, CheckRun.Trigger.SAVE)


def rejection_recipients(task_state):
    """The release's editor, whoever submitted it, and everyone who approved an
    earlier stage of this run; never the person who rejected it."""
    workflow_state = task_state.workflow_state
    release = workflow_state.content_object.specific
    people = {release.owner, workflow_state.requested_by}
    approved = TaskState.objects.filter(
        workflow_state=workflow_state, status=TaskState.STATUS_APPROVED
    ).exclude(finished_by=None)
    people.update(state.finished_by for state in approved.select_related("finished_by"))
    people.discard(None)
    people.discard(task_state.finished_by)
    return [person for person in people if person.is_active]


def notify_rejection(sender, instance, user=None, **kwargs):
    """Tell the editor and the earlier approvers, in the admin and by email."""
    from cms.models import ReleasePage

    from .workflows import AutomaticCheckTask, Notification, ReviewTask

    task_state = instance
    if not isinstance(task_state.task.specific, (AutomaticCheckTask, ReviewTask)):
        return
    release = task_state.workflow_state.content_object.specific
    if not isinstance(release, ReleasePage):
        return
    url = reverse("wagtailadmin_pages:edit", args=[release.pk])
    reviewer = task_state.finished_by
    message = _("%(stage)s sent back “%(title)s”%(by)s: %(opinion)s") % {
        "stage": task_state.task.name,
        "title": release.get_admin_display_title(),
        "by": (
            _(" (%(name)s)") % {"name": reviewer.get_full_name() or reviewer}
            if reviewer
            else ""
        ),
        "opinion": task_state.comment,
    }
    recipients = rejection_recipients(task_state)
    Notification.objects.bulk_create(
        [Notification(user=person, message=message, url=url) for person in recipients]
    )
    addresses = [person.email for person in recipients if person.email]
    if addresses:
        link = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url

        def send():
            try:
                send_mail(
                    _("[Rongmei] Sent back: %(title)s") % {"title": release.title},
                    "%s\n\n%s" % (message, link),
                    None,
                    addresses,
                )
            except OSError:
                logger.exception("Could not email the rejection of %s", release.pk)

        transaction.on_commit(send)


def ensure_review_workflow(sender, app_config, **kwargs):
    from django.apps import apps

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if app_config is not with_models[-1]:
        return
    from .setup import ensure_review_workflow as ensure

    ensure()


def register_signal_handlers():
    post_migrate.connect(ensure_review_workflow, dispatch_uid="moderation_workflow")
    post_save.connect(
        check_saved_revision, sender=Revision, dispatch_uid="moderation_check_save"
    )
    task_rejected.connect(notify_rejection, dispatch_uid="moderation_rejected")
